#!/usr/bin/env bash
# Install Loupe for the current user (no root needed). Run it from the unpacked archive:
#     ./install.sh              install or update into ~/.local/opt/Loupe
#     ./install.sh --uninstall  remove it again
# LOUPE_PREFIX=/some/dir ./install.sh installs elsewhere.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST="${LOUPE_PREFIX:-$HOME/.local/opt/Loupe}"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
BIN="$HOME/.local/bin"

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -rf "$DEST"
    rm -f "$APPS/loupe.desktop" "$BIN/loupe"
    command -v update-desktop-database >/dev/null && update-desktop-database "$APPS" || true
    echo "Loupe removed."
    exit 0
fi

if [[ ! -x "$HERE/Loupe/Loupe" ]]; then
    echo "install.sh: $HERE/Loupe/Loupe not found; run this script from the unpacked archive." >&2
    exit 1
fi

mkdir -p "$(dirname "$DEST")" "$APPS" "$BIN"
# Replace, not merge: files left from an older version could shadow the new ones.
rm -rf "$DEST.new"
cp -a "$HERE/Loupe" "$DEST.new"
cp "$HERE/loupe-256.png" "$DEST.new/loupe.png"
rm -rf "$DEST"
mv "$DEST.new" "$DEST"

# A desktop file needs absolute paths: launchers do not search ~/.local/bin.
sed -e "s|^Exec=.*|Exec=\"$DEST/Loupe\" %f|" -e "s|^Icon=.*|Icon=$DEST/loupe.png|" \
    "$HERE/loupe.desktop" > "$APPS/loupe.desktop"
ln -sfn "$DEST/Loupe" "$BIN/loupe"
command -v update-desktop-database >/dev/null && update-desktop-database "$APPS" || true

echo "Loupe installed in $DEST"
echo "  menu entry: $APPS/loupe.desktop"
echo "  command:    $BIN/loupe  (loupe --help for the command line)"
