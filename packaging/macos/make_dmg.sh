#!/usr/bin/env bash
# Build Loupe.app and a compressed .dmg on macOS.
#
# Run on a Mac with the project's virtual environment active (after `pip install -e ".[package]"`),
# or with PYTHON=/path/to/python:
#     bash packaging/macos/make_dmg.sh [--no-smoke]
# Output:
#     packaging/build/loupe.icns                       made here with iconutil from the icon PNGs
#     packaging/dist/Loupe.app
#     packaging/dist/Loupe-<version>-macos-<arch>.dmg  Loupe.app + a link to /Applications
# The app is ad-hoc signed by PyInstaller only; distributing it outside your own machines needs a
# Developer ID signature and notarization (codesign / xcrun notarytool), not done here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python}"
SMOKE=1
[[ "${1:-}" == "--no-smoke" ]] && SMOKE=0

if [[ "$(uname -s)" != "Darwin" ]]; then
    echo "make_dmg.sh: needs macOS (iconutil, hdiutil)." >&2
    exit 1
fi
cd "$ROOT"
if ! "$PYTHON" -m PyInstaller --version >/dev/null 2>&1; then
    echo "make_dmg.sh: PyInstaller is not installed for '$PYTHON'; run: pip install -e \".[package]\"" >&2
    exit 1
fi

# The version has one home: core/__init__.py.
VERSION="$(sed -n 's/^__version__ *= *["'\'']\([^"'\'']*\)["'\''].*/\1/p' core/__init__.py)"
[[ -n "$VERSION" ]] || { echo "make_dmg.sh: no __version__ in core/__init__.py" >&2; exit 1; }
ARCH="$(uname -m)"
BUILD="$ROOT/packaging/build"
DIST="$ROOT/packaging/dist"
ICONS="$ROOT/resources/icons"
mkdir -p "$BUILD" "$DIST"

# .icns from the committed PNGs. iconutil wants exactly these names; 1024 px is rendered from the
# SVG geometry because no 1024 PNG is committed.
ICONSET="$BUILD/loupe.iconset"
rm -rf "$ICONSET"
mkdir -p "$ICONSET"
for size in 16 32 128 256 512; do
    cp "$ICONS/loupe-$size.png" "$ICONSET/icon_${size}x${size}.png"
done
cp "$ICONS/loupe-32.png" "$ICONSET/icon_16x16@2x.png"
cp "$ICONS/loupe-64.png" "$ICONSET/icon_32x32@2x.png"
cp "$ICONS/loupe-256.png" "$ICONSET/icon_128x128@2x.png"
cp "$ICONS/loupe-512.png" "$ICONSET/icon_256x256@2x.png"
"$PYTHON" "$ROOT/packaging/make_icons.py" --render 1024 "$ICONSET/icon_512x512@2x.png"
iconutil -c icns "$ICONSET" -o "$BUILD/loupe.icns"  # the spec picks it up from here

echo "== Loupe $VERSION ($ARCH): PyInstaller"
start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$BUILD" "$ROOT/packaging/loupe.spec"
APP="$DIST/Loupe.app"
echo "== built $APP in $(( $(date +%s) - start )) s, $(du -sh "$APP" | cut -f1)"

if [[ "$SMOKE" == 1 ]] && grep -q -- "--self-test" "$ROOT/main.py"; then
    echo "== smoke test: Loupe --self-test"
    QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/Loupe" --self-test
fi

DMG="$DIST/Loupe-$VERSION-macos-$ARCH.dmg"
STAGE="$BUILD/dmg"
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
ditto "$APP" "$STAGE/Loupe.app"          # ditto keeps the bundle's symlinks and signatures intact
ln -s /Applications "$STAGE/Applications"  # drag-to-install target
hdiutil create -volname Loupe -srcfolder "$STAGE" -ov -format UDZO "$DMG"
rm -rf "$STAGE"
echo "== $DMG ($(du -h "$DMG" | cut -f1))"
