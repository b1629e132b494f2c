"""`python main.py train ...` as a real process (core.cli.short_lived): it ends without the
interpreter's teardown and pauses the garbage collector while torch imports. What a user (or
the window reading a training process) must still get: every line of output, the exit code,
the exit handlers; and a run that imports nothing it does not use."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.core.cli.cli_helpers import PINNED_CPU, ROOT
from tests.core.image_factory import make_shapes_dataset

# Libraries Loupe uses elsewhere (export, explanations, label issues, other architectures, the
# window): a training run of its own small CNN has no use for any of them.
UNUSED_BY_TRAINING = (
    "torchvision",
    "onnx",
    "onnxruntime",
    "captum",
    "scipy",
    "sklearn",
    "cleanlab",
    "timm",
    "PySide6",
    "pyqtgraph",
)

# main.py run as the program (its __main__ block), with an exit handler that records what the
# process looked like at its very end.
_PROBE = textwrap.dedent(
    """
    import atexit, gc, json, runpy, sys
    report, main_py = sys.argv[1], sys.argv[2]
    def record():
        with open(report, "w") as f:
            json.dump({"collector_on": gc.isenabled(), "frozen": gc.get_freeze_count(),
                       "modules": sorted(m for m in sys.modules if "." not in m)}, f)
    atexit.register(record)
    sys.argv = sys.argv[2:]
    sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0])
    runpy.run_path(main_py, run_name="__main__")
    """
)


def _run_as_program(report, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _PROBE, str(report), str(ROOT / "main.py"), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_training_process_ends_with_its_output_and_imports_only_what_it_uses(tmp_path):
    data = make_shapes_dataset(tmp_path / "data", per_class=8, size=16)
    report = tmp_path / "report.json"
    done = _run_as_program(
        report, "train", data, "--out", tmp_path / "run", "--epochs", "1", "--image-size", "16",
        "--batch-size", "8", "--device", "cpu", *PINNED_CPU,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # stdout is a pipe here, so block-buffered: the final sentence arrives only if the
    # shortened exit flushed it.
    assert done.stdout.strip().splitlines()[-1].startswith("Completed 1 epoch;")
    assert "epoch 1/1" in done.stderr and "Traceback" not in done.stderr
    seen = json.loads(report.read_text())  # the exit handlers still ran
    # The collector was paused during start-up and runs again, the start-up's objects frozen.
    assert seen["collector_on"] and seen["frozen"] > 0
    assert not set(UNUSED_BY_TRAINING) & set(seen["modules"])
