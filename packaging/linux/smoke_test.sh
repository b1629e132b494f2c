#!/usr/bin/env bash
# Use a built Linux bundle the way a user does, beyond its --self-test: draw the demo dataset,
# train one epoch, train as the window does (the bundle as a child process: JSON events into a
# file, a control file that stops it; and the standby process that waits for its command),
# classify (also through the window's classification
# process), check the dataset (the doctor), export to ONNX with the parity check, explain one
# image (Grad-CAM), and, where the bundle has the command, train in 2 processes under
# torch.distributed.run (gloo on the CPU). With a display (DISPLAY set, e.g. Xvfb), also time the
# window opened on the demo dataset (`Loupe FOLDER`) and take a screenshot (needs xdotool; the
# screenshot needs ImageMagick's `import`).
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
# The hints a bundle prints name its own command: a user of the installer has no python main.py.
grep -q -E "Train on it with: (\"?$LOUPE\"?|loupe) train" samples.log \
    || { echo "FAIL  samples: the hint does not name the bundle: $(tail -1 samples.log)" >&2; exit 1; }
step train "$LOUPE" train data --out run --arch loupe_net --epochs 1 --image-size 32 --cpu-threads 1

# The window's training path: Train in the window runs the bundle again as a child process,
# `Loupe train ... --events json --events-file E --log-file L --control-file C` (core.train.launch,
# ChildFiles), reads one JSON event per line from E and writes "stop" into C for Stop. Check both:
# E holds a whole run's events and nothing else, and C stops a run with its model kept (and the
# hint to go on, in L, names the bundle's command, not python main.py).
check_events() {  # FILE STATUS
    python3 - "$1" "$2" <<'EOF'
import json
import sys

path, status = sys.argv[1], sys.argv[2]
events, arrays = [], set()
with open(path, encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        try:
            data = json.loads(line)
            if isinstance(data.get("array"), int):  # a thumbnail, sent once for later events
                arrays.add(data["array"])
                continue
            data["event"]
        except (ValueError, KeyError, TypeError, AttributeError):
            sys.exit(f"{path}:{number}: not a JSON event: {line[:80]!r}")
        named = {s["image"]["id"] for s in data.get("samples", ()) if "id" in s.get("image", {})}
        if named - arrays:
            sys.exit(f"{path}:{number}: names thumbnails {sorted(named - arrays)} never sent")
        events.append(data)
names = [e["event"] for e in events]
whole = "RunStarted" in names and "EpochEnded" in names[names.index("RunStarted") :]
if not whole or names[-1] != "RunFinished":  # log messages may come before RunStarted
    sys.exit(f"{path}: events {sorted(set(names))}, the last {names[-1:]}: not a whole run")
if events[-1]["status"] != status:
    sys.exit(f"{path}: the run ended {events[-1]['status']!r}, not {status!r}: {events[-1]['reason']}")
print(f"{len(names)} events, {names.count('EpochEnded')} epoch(s), {len(arrays)} thumbnails, {status}")
EOF
}
child_flags() {  # FOLDER: the window's files for one child (core.train.launch.ChildFiles)
    mkdir -p "$1"
    echo --arch loupe_net --image-size 32 --cpu-threads 1 --events json \
        --events-file "$1/events.jsonl" --log-file "$1/log.txt" --control-file "$1/control"
}
if command -v python3 >/dev/null; then
    # shellcheck disable=SC2046 (the folder names have no spaces)
    step child-train "$LOUPE" train data --out run-child --epochs 1 $(child_flags child)
    [[ ! -s child-train.log ]] || { echo "FAIL  child-train: wrote to the terminal:" >&2; cat child-train.log >&2; exit 1; }
    check_events child/events.jsonl completed >child/check.txt 2>&1 \
        || { echo "FAIL  child-train: $(cat child/check.txt)" >&2; exit 1; }
    printf 'ok    %-12s %7s  %s; %s\n' child-events "" "$(cat child/check.txt)" "$(tail -1 child/log.txt)"

    # The window's next run waits in `Loupe train-standby` (core.train.standby): torch loaded,
    # it reads one JSON line, the train command's arguments, and runs it as `Loupe train` would.
    # shellcheck disable=SC2046
    python3 -c 'import json, sys; print(json.dumps(["train", *sys.argv[1:]]))' data --out run-standby \
        --epochs 1 $(child_flags standby) >standby-command.json
    step standby bash -c '"$0" train-standby <standby-command.json' "$LOUPE"
    check_events standby/events.jsonl completed >standby/check.txt 2>&1 \
        || { echo "FAIL  standby: $(cat standby/check.txt)" >&2; exit 1; }

    start=$(date +%s.%N)
    # shellcheck disable=SC2046
    QT_QPA_PLATFORM=offscreen timeout 600 "$LOUPE" train data --out run-stop --epochs 50 \
        $(child_flags stop) >stop/terminal.txt 2>&1 &
    pid=$!
    for _ in $(seq 1 3000); do  # up to 5 minutes for the first epoch
        grep -q '"event":"EpochEnded"' stop/events.jsonl 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    printf 'stop\n' >stop/control.tmp && mv stop/control.tmp stop/control  # as the window: atomic
    rc=0
    wait "$pid" || rc=$?
    if [[ "$rc" != 130 ]] || ! check_events stop/events.jsonl stopped >stop/check.txt 2>&1; then
        echo "FAIL  child-stop: exit code $rc (130 expected); $(cat stop/check.txt 2>/dev/null)" >&2
        tail -5 stop/log.txt stop/terminal.txt >&2
        exit 1
    fi
    if ! grep -q -E "Continue with: (\"?$LOUPE\"?|loupe) train" stop/log.txt; then
        echo "FAIL  child-stop: the hint to continue does not name the bundle: $(tail -1 stop/log.txt)" >&2
        exit 1
    fi
    printf 'ok    %-12s %5.1f s  %s; %s\n' child-stop "$(echo "$(date +%s.%N) - $start" | bc)" \
        "$(cat stop/check.txt)" "$(tail -1 stop/log.txt)"
else
    echo "skip  child-train  (python3 is needed to read the JSON events)"
fi

step classify "$LOUPE" classify run data/test --out results.csv
# The window's classification process is the bundle again (`Loupe classify-worker`, hidden): one
# request on stdin, its events as JSON lines on stdout. stdin stays open until the run has ended
# (a closed stdin means the window is gone: the run stops).
start=$(date +%s.%N)
(printf '{"op":"classify","model_path":"run","folder":"data/test","device":"cpu"}\n'
 for _ in $(seq 1 600); do grep -q '"type":"\(ended\|failed\)"' classify-worker.log && break; sleep 0.2; done
) | QT_QPA_PLATFORM=offscreen "$LOUPE" classify-worker >classify-worker.log 2>classify-worker.err || true
if ! grep -q '"type":"ended","message":"Classified' classify-worker.log; then
    echo "FAIL  classify-worker: $(tail -c 300 classify-worker.log) $(tail -5 classify-worker.err)" >&2
    exit 1
fi
printf 'ok    %-12s %5.1f s  %s\n' classify-worker "$(echo "$(date +%s.%N) - $start" | bc)" \
    "$(grep -o '"message":"[^"]*"' classify-worker.log | tail -1)"
step doctor "$LOUPE" doctor data --out doctor
# The window's dataset check is the bundle again (`Loupe doctor-worker`, hidden): the check's
# settings as one JSON line on stdin, its events as JSON lines on stdout. stdin stays open until
# the check has finished (a closed stdin means the window stopped the check or is gone).
start=$(date +%s.%N)
(printf '{"data_dir":"data"}\n'
 for _ in $(seq 1 600); do grep -q '"type":"\(finished\|error\)"' doctor-worker.log && break; sleep 0.2; done
) | QT_QPA_PLATFORM=offscreen "$LOUPE" doctor-worker >doctor-worker.log 2>doctor-worker.err || true
if ! grep -q '"type":"finished","status":"completed"' doctor-worker.log; then
    echo "FAIL  doctor-worker: $(tail -c 300 doctor-worker.log) $(tail -5 doctor-worker.err)" >&2
    exit 1
fi
printf 'ok    %-12s %5.1f s  %s\n' doctor-worker "$(echo "$(date +%s.%N) - $start" | bc)" \
    "$(grep -o '"reason":"[^"]*"' doctor-worker.log | tail -1)"
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
    "$LOUPE" data >window.log 2>&1 &  # `Loupe FOLDER`: the window opens with that dataset
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
