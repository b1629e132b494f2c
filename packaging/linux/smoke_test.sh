#!/usr/bin/env bash
# Use a built Linux bundle the way a user does, beyond its --self-test: draw the demo dataset,
# train one epoch, classify, check the dataset (the doctor), export to ONNX with the parity check,
# explain one image (Grad-CAM), and, where the bundle has the command, train in 2 processes under
# torch.distributed.run (gloo on the CPU). With a display (DISPLAY set, e.g. Xvfb), also time the
# window and take a screenshot (needs xdotool; the screenshot needs ImageMagick's `import`).
#
#     bash packaging/linux/smoke_test.sh [BUNDLE_DIR] [WORK_DIR]
#
# BUNDLE_DIR defaults to packaging/dist/Loupe, WORK_DIR to a new temporary folder (kept: it holds
# the logs, the run folders and window.png). Prints one line per step with its time; exits
# non-zero at the first failing step. Takes 3-5 minutes on 2 busy cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="$(cd "${1:-$ROOT/packaging/dist/Loupe}" && pwd)"
WORK="${2:-$(mktemp -d -t loupe-smoke-XXXXXX)}"
LOUPE="$BUNDLE/Loupe"
mkdir -p "$WORK"
cd "$WORK"
[[ -x "$LOUPE" ]] || { echo "smoke_test.sh: no executable $LOUPE" >&2; exit 2; }
echo "== smoke test of $LOUPE in $WORK (load average: $(cut -d' ' -f1-3 /proc/loadavg))"

# step NAME COMMAND...: run headless, log to NAME.log, print the time and the log's last line.
step() {
    local name="$1"; shift
    local start end
    start=$(date +%s.%N)
    if ! QT_QPA_PLATFORM=offscreen "$@" >"$name.log" 2>&1; then
        echo "FAIL  $name: $*" >&2
        tail -20 "$name.log" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    printf 'ok    %-12s %5.1f s  %s\n' "$name" "$(echo "$end - $start" | bc)" "$(tail -1 "$name.log")"
}

step self-test "$LOUPE" --self-test
step samples "$LOUPE" samples demo --out data
step train "$LOUPE" train data --out run --arch loupe_net --epochs 1 --image-size 32 --cpu-threads 1
step classify "$LOUPE" classify run data/test --out results.csv
step doctor "$LOUPE" doctor data --out doctor
step export-onnx "$LOUPE" export run --format onnx --out model.onnx
grep -q "parity ok" export-onnx.log || { echo "FAIL  export-onnx: no parity check" >&2; exit 1; }
image="$(find data/test -type f | sort | head -1)"
step explain "$LOUPE" explain run "$image" --out explained
if QT_QPA_PLATFORM=offscreen "$LOUPE" distributed-train --help >/dev/null 2>&1; then
    # The frozen multi-GPU path: the bundle runs torch.distributed.run in-process, and each worker
    # is the bundle again (--no-python), exactly what the window's "All N GPUs" starts.
    step distributed "$LOUPE" distributed-train --standalone --nproc-per-node=2 --no-python \
        "$LOUPE" train data --out run-ddp --arch loupe_net --epochs 1 --image-size 32 \
        --device cpu --cpu-threads 1
else
    echo "skip  distributed  (this bundle has no distributed-train command)"
fi

if [[ -n "${DISPLAY:-}" ]] && command -v xdotool >/dev/null; then
    start=$(date +%s.%N)
    "$LOUPE" >window.log 2>&1 &
    pid=$!
    shown=""
    for _ in $(seq 1 600); do  # up to 60 s
        if xdotool search --onlyvisible --pid "$pid" >/dev/null 2>&1; then
            shown=$(echo "$(date +%s.%N) - $start" | bc)
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$shown" ]]; then
        kill "$pid" 2>/dev/null || true
        echo "FAIL  window: no window within 60 s" >&2
        tail -20 window.log >&2
        exit 1
    fi
    sleep 8  # torch loads in the background; let the window settle for the screenshot
    command -v import >/dev/null && import -window root window.png
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    printf 'ok    %-12s %5.1f s  to a visible window%s\n' window "$shown" \
        "$([[ -f window.png ]] && echo ", screenshot $WORK/window.png")"
else
    echo "skip  window       (no DISPLAY, or xdotool missing)"
fi
echo "== smoke test passed"
