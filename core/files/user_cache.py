"""The user's cache folder for what Loupe may forget and measure again (never user data):
the platform's usual place, or $LOUPE_CACHE_DIR (tests and portable set-ups). Torch-free."""

from __future__ import annotations

import os
import sys

CACHE_ENV = "LOUPE_CACHE_DIR"


def user_cache_dir() -> str:
    """Not created here: writers create it when they first write."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return os.path.abspath(os.path.expanduser(override))
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return os.path.join(base, "Loupe", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/Loupe")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "loupe")
