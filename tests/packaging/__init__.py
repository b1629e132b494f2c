"""Packaging checks that need no PyInstaller run: the spec, what the bundle must contain, the
trimmed files, the version, the scripts, the icons and the stylesheet.

A real build takes minutes and gigabytes; packaging/build.sh does it and smoke-tests the
bundle."""
