#!/usr/bin/env bash
# Build Loupe's Linux bundle and release archive.
#
# Run it with the project's virtual environment active (or PYTHON=/path/to/python), after
#     pip install -e ".[package]"
# It uses that Python as it is: no venv is created here, so the bundle holds exactly the
# versions you tested with.
#
#     bash packaging/build.sh [--variant cuda|cpu|untrimmed] [--no-archive] [--no-smoke]
#
# Output (repository-relative):
#     packaging/dist/Loupe/                              the one-folder bundle (Loupe = executable)
#     packaging/dist/Loupe-<version>-linux-x86_64.tar.gz  bundle + loupe.desktop + icon + install.sh
#         (the cpu variant's archive ends in -linux-x86_64-cpu.tar.gz)
# PyInstaller's work files go to packaging/build/ (kept: they make a rebuild faster).
#
# No AppImage: appimagetool is not available from any package registry this project uses, and a
# 4 GB AppImage would have to be unpacked to /tmp on every start anyway.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python}"
VARIANT="cuda"
MAKE_ARCHIVE=1
SMOKE=1

while [[ $# -gt 0 ]]; do
    case "$1" in
        --variant) VARIANT="${2:?--variant needs cuda, cpu or untrimmed}"; shift 2 ;;
        --no-archive) MAKE_ARCHIVE=0; shift ;;
        --no-smoke) SMOKE=0; shift ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

cd "$ROOT"
if ! "$PYTHON" -m PyInstaller --version >/dev/null 2>&1; then
    echo "build.sh: PyInstaller is not installed for '$PYTHON'." >&2
    echo "          Activate the project's venv and run: pip install -e \".[package]\"" >&2
    exit 1
fi

# The version has one home: core/__init__.py.
VERSION="$(sed -n 's/^__version__ *= *["'\'']\([^"'\'']*\)["'\''].*/\1/p' core/__init__.py)"
if [[ -z "$VERSION" ]]; then
    echo "build.sh: could not read __version__ from core/__init__.py" >&2
    exit 1
fi

DIST="$ROOT/packaging/dist"
BUNDLE="$DIST/Loupe"
SUFFIX=""
[[ "$VARIANT" == "cpu" ]] && SUFFIX="-cpu"
ARCHIVE="$DIST/Loupe-$VERSION-linux-x86_64$SUFFIX.tar.gz"

echo "== Loupe $VERSION, variant $VARIANT, $("$PYTHON" -m PyInstaller --version | tr -d '\n') on $("$PYTHON" --version)"
start=$(date +%s)
LOUPE_BUNDLE_VARIANT="$VARIANT" "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$ROOT/packaging/build" "$ROOT/packaging/loupe.spec"
build_s=$(( $(date +%s) - start ))
bundle_bytes=$(du -sb "$BUNDLE" | cut -f1)
echo "== PyInstaller: ${build_s} s, bundle $(numfmt --to=iec "$bundle_bytes") ($bundle_bytes bytes) in $BUNDLE"

# Every library the bundle links must resolve, inside the bundle or from the system. torch/lib is
# on the path because torchvision's extensions find libc10 & co. as libraries torch already loaded.
# Known gaps, all from the target system: libcuda.so.1 (the NVIDIA driver; without it torch runs
# on the CPU), GTK for Qt's GTK theme plugin and libwayland-* for its Wayland plugin (Qt skips a
# plugin whose libraries are missing).
internal="$BUNDLE/_internal"
unresolved="$(find "$BUNDLE" -name '*.so*' -type f -print0 \
    | xargs -0 -n 50 env LD_LIBRARY_PATH="$internal:$internal/torch/lib" ldd 2>/dev/null \
    | grep 'not found' | awk '{print $1}' | sort -u \
    | grep -v -E '^(libcuda\.so\.1|libgtk-3\.so\.0|libgdk-3\.so\.0|libwayland-[a-z]+\.so\.[0-9]+)$' || true)"
if [[ -n "$unresolved" ]]; then
    echo "== warning: libraries linked by the bundle but found nowhere:" $unresolved
fi

if [[ "$SMOKE" == 1 ]] && grep -q -- "--self-test" "$ROOT/main.py"; then
    echo "== smoke test: Loupe --self-test"
    smoke_start=$(date +%s)
    if QT_QPA_PLATFORM=offscreen timeout 600 "$BUNDLE/Loupe" --self-test; then
        echo "== self-test passed in $(( $(date +%s) - smoke_start )) s"
    else
        rc=$?
        echo "build.sh: the bundled self-test failed (exit code $rc)" >&2
        exit "$rc"
    fi
fi

if [[ "$MAKE_ARCHIVE" == 1 ]]; then
    echo "== archive: $ARCHIVE"
    top="Loupe-$VERSION"
    compress="gzip"
    command -v pigz >/dev/null && compress="pigz"
    archive_start=$(date +%s)
    # --transform puts the bundle and the loose files under one top folder without copying 4 GB;
    # its S flag leaves symlink targets alone (the bundle's links are relative).
    tar --use-compress-program="$compress" -cf "$ARCHIVE" \
        --transform "s,^,$top/,S" \
        -C "$DIST" Loupe \
        -C "$ROOT/packaging" loupe.desktop \
        -C "$ROOT/packaging/linux" install.sh \
        -C "$ROOT/resources/icons" loupe-256.png
    echo "== archive: $(du -h "$ARCHIVE" | cut -f1) in $(( $(date +%s) - archive_start )) s"
fi

echo "== done: build ${build_s} s, bundle $(numfmt --to=iec "$bundle_bytes")"
