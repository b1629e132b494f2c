"""Does the test suite catch the bugs that matter? Plants one small bug at a time in a
temporary copy of the repository, runs the tests that guard that code, and prints a table:
mutant, caught or not, and by which tests.

The bugs are the ones a review found the suite missing (resume forgetting the optimizer, the
random state or the weights; Stop overwriting the best model; a stratified split rounding a
class of 9 down to 1 validation image) and others users would feel. Each replaces one whole
line. A mutant whose original line is no longer in the code is reported as "STALE" (update it
here), one that stops the tests from even being collected as "BROKEN" (a typo is not a bug the
tests caught); neither counts as caught. Before any mutant, the same tests must pass on the
unchanged copy, or the table would mean nothing.

    python benchmarks/mutation_check.py                # about 5-10 min on 2 shared cores
    python benchmarks/mutation_check.py --only resume  # mutants whose name contains 'resume'
    python benchmarks/mutation_check.py --list
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RESUME = "tests/core/train/test_resume_exact.py"
STOP_CORE = RESUME + "::test_stop_inside_a_later_epoch_keeps_the_best_epochs_model"
STOP_WINDOW = "tests/gui/train/test_stop_keeps_best.py"
TRAINING = "tests/core/train/test_training.py"
REPORTED = "tests/core/train/test_reported_accuracy.py"
DISTRIBUTED = "tests/core/train/test_distributed.py"
SEMI = "tests/core/train/test_semi_supervised.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    edits: tuple[tuple[str, str], ...]  # (original text, planted text), each found once
    tests: tuple[str, ...]


MUTANTS = [
    Mutant(
        "resume skips the optimizer state",
        "core/train/resume.py",
        (('        load_optimizer_state(optimizer, ckpt["optimizer"])', "        pass"),),
        (RESUME,),
    ),
    Mutant(
        "resume skips the data RNG (shuffle, augmentation)",
        "core/train/resume.py",
        (('    gen.set_state(ckpt["generator"])', "    pass"),),
        (RESUME,),
    ),
    Mutant(
        "resume skips the torch RNG (dropout)",
        "core/train/resume.py",
        (('        torch.set_rng_state(ckpt["torch_rng"])', "        pass"),),
        (RESUME,),
    ),
    Mutant(
        "resume skips the model weights",
        "core/train/resume.py",
        (('        model.load_state_dict(ckpt["model"])', "        pass"),),
        (RESUME,),
    ),
    Mutant(
        "mid-epoch Stop overwrites the best model with the current weights",
        "core/train/loop.py",
        (("        if not self.model_saved:", "        if True:"),),
        (STOP_CORE, STOP_WINDOW),
    ),
    Mutant(
        "stratified split truncates (9 images at 20 % -> 1 for validation)",
        "core/data/datasets.py",
        (
            (
                "    n_val = min(max(1, round(n * val_split)), n - 1) if val_split > 0 and n >= 2 else 0",
                "    n_val = min(max(1, int(n * val_split)), n - 1) if val_split > 0 and n >= 2 else 0",
            ),
        ),
        ("tests/core/data/test_datasets.py",),
    ),
    Mutant(
        "atomic text/JSON write opens the target in place (no temp file + replace)",
        "core/files/atomic.py",
        (
            (
                '    with atomic_open(path, "w", newline=newline) as f:',
                '    with open(path, "w", encoding="utf-8", newline=newline) as f:',
            ),
        ),
        ("tests/core/files/test_atomic.py",),
    ),
    Mutant(
        "undo deletes a copy that was changed since the sort",
        "core/files/sort_undo.py",
        (("    if not _matches(placed.destination, placed):", "    if False:"),),
        ("tests/core/files/test_sort_undo.py",),
    ),
    Mutant(
        "model.json lists the classes in the wrong order",
        "core/train/run_saving.py",
        (
            (
                "        class_names=s.class_names,\n        image_size=cfg.image_size,",
                "        class_names=sorted(s.class_names, reverse=True),\n"
                "        image_size=cfg.image_size,",
            ),
        ),
        (TRAINING + "::test_run_folder_contents", REPORTED),
    ),
    Mutant(
        "classify reports raw logits as confidence (no softmax)",
        "core/infer/inference.py",
        (
            (
                "    probs = softmax_with_temperature(batch.logits, lm.temperature)",
                "    probs = batch.logits / lm.temperature",
            ),
        ),
        (REPORTED, "tests/core/infer/test_inference.py"),
    ),
    Mutant(
        "training runs one epoch too few",
        "core/train/loop.py",
        (
            (
                "        for epoch in range(s.start_epoch, cfg.epochs):",
                "        for epoch in range(s.start_epoch, cfg.epochs - 1):",
            ),
        ),
        (TRAINING + "::test_training_learns_well_above_chance", RESUME),
    ),
    Mutant(
        "sorting overwrites a file that already exists at the destination",
        "core/files/file_transfer.py",
        (
            (
                '        dst = open(destination, "xb")  # noqa: SIM115 - FileExistsError: caller picks a new name',
                '        dst = open(destination, "wb")  # noqa: SIM115',
            ),
        ),
        ("tests/core/files/test_sorting.py",),
    ),
    Mutant(
        "validation images are augmented like training images",
        "core/train/evaluation.py",
        (
            (
                "            logits = model(normalize(images, mean, std))",
                # one line, so that it does not depend on the module's imports
                '            logits = model(__import__("core.data.augment", fromlist=["x"])'
                '.augment_batch(images, __import__("core.train.config", fromlist=["x"])'
                ".AugmentConfig(), torch.Generator(), mean, std))",
            ),
        ),
        (REPORTED,),
    ),
    Mutant(
        "Pause is ignored (the loop only checks for Stop)",
        "core/control.py",
        (("        if not self._running.is_set():", "        if False:"),),
        (
            TRAINING + "::test_pause_holds_the_loop_until_resumed",
            "tests/gui/train/test_train_worker.py::test_pause_holds_the_loop_and_resume_continues",
        ),
    ),
    Mutant(
        "classify --shard parts overlap (each takes the next part's first file too)",
        "core/infer/shards.py",
        (
            (
                "    return min(first * batch_size, total), min(last * batch_size, total)",
                "    return min(first * batch_size, total), min(last * batch_size + 1, total)",
            ),
        ),
        ("tests/core/cli/test_classify_shard.py",),
    ),
    Mutant(
        "batches are cut by decoded images, so an unreadable file shifts every later batch",
        "core/infer/inference.py",
        (
            (
                "                if done % grid == 0 and batch_arrays:",
                "                if len(batch_arrays) >= batch_size:",
            ),
        ),
        ("tests/core/cli/test_classify_shard.py",),
    ),
    Mutant(
        "data-parallel: every process trains on the whole global batch (no share)",
        "core/train/shards.py",
        (
            (
                "        share = range(start + rank, stop, world)",
                "        share = range(start, stop)",
            ),
        ),
        (DISTRIBUTED + "::test_every_process_takes_the_same_steps_and_together_every_image_once",),
    ),
    Mutant(
        "data-parallel: a pause is not shared (the others run on into a collective)",
        "core/train/distributed.py",
        (
            (
                '            flags = self.ranks.all_reduce([stop, self.own.paused, self.report_wanted], "max")',
                '            flags = self.ranks.all_reduce([stop, False, self.report_wanted], "max")',
            ),
        ),
        (DISTRIBUTED + "::test_a_pause_holds_every_process_in_short_polls_until_resumed",),
    ),
    Mutant(
        "data-parallel: the epoch's training loss and accuracy are process 0's alone",
        "core/train/data_parallel.py",
        (
            (
                "    loss, right, images = ranks.all_reduce([float(loss_sum), float(correct), seen])",
                "    loss, right, images = float(loss_sum), float(correct), seen",
            ),
        ),
        (DISTRIBUTED + "::test_epoch_and_report_figures_are_those_of_all_processes",),
    ),
    Mutant(
        "unlabelled: pseudo-labels ignore the confidence threshold",
        "core/train/semi_supervised.py",
        (
            (
                "    return classes, (confidence >= threshold).float()",
                "    return classes, torch.ones_like(confidence)",
            ),
        ),  # fmt: skip
        (SEMI + "::test_pseudo_labels_only_where_the_model_is_sure_enough",),
    ),
    Mutant(
        "unlabelled: resume restarts the labelled-only twin",
        "core/train/semi_supervised.py",
        (('        semi.load_state(ckpt.get("unlabelled"), model, optimizer)', "        pass"),),
        (SEMI + "::test_stopped_and_resumed_semi_supervised_run_equals_an_uninterrupted_one",),
    ),
    Mutant(
        "unlabelled: copies of dataset images are learnt from",
        "core/train/unlabelled_data.py",
        (("    paths = [p for p in paths if p not in copies]", "    paths = list(paths)"),),
        (SEMI + "::test_a_folder_of_only_dataset_copies_is_refused_in_a_sentence",),
    ),
]


def copy_repository(target: Path) -> None:
    """The working tree as git sees it (tracked and untracked files, ignored ones left out)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        name = os.fsdecode(raw)
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run_tests(copy: Path, tests: tuple[str, ...], timeout: int) -> tuple[int, list[str], float]:
    """pytest's exit code, the failed tests' names, seconds."""
    started = time.perf_counter()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", *tests],
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return -1, [f"timed out after {timeout} s"], time.perf_counter() - started
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, flags=re.M)
    if done.returncode not in (0, 1) and not failed:
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        failed = [f"pytest exit {done.returncode}: " + " | ".join(tail)]
    return done.returncode, failed, time.perf_counter() - started


def _whole_lines(text: str, old: str) -> list[int]:
    """Where `old` stands as whole lines in `text` (a part of a longer line does not count)."""
    lines, wanted = text.split("\n"), old.split("\n")
    return [i for i in range(len(lines) - len(wanted) + 1) if lines[i : i + len(wanted)] == wanted]


def plant(copy: Path, mutant: Mutant) -> str | None:
    """Apply the mutant's edits; the reason it cannot be applied, if so."""
    path = copy / mutant.file
    text = path.read_text(encoding="utf-8")
    for old, new in mutant.edits:
        found = _whole_lines(text, old)
        if len(found) != 1:
            return f"stale: {old.strip()!r} found {len(found)} times in {mutant.file}"
        lines = text.split("\n")
        count = len(old.split("\n"))
        lines[found[0] : found[0] + count] = new.split("\n")
        text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="mutants whose name contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per pytest run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args()
    mutants = [m for m in MUTANTS if args.only.lower() in m.name.lower()]
    if args.list or not mutants:
        for m in MUTANTS:
            print(f"{m.name}\n    {m.file}; tests: {', '.join(m.tests)}")
        return 0 if mutants else 2

    copy = Path(tempfile.mkdtemp(prefix="loupe-mutants-"))
    try:
        copy_repository(copy)
        guards = tuple(dict.fromkeys(t for m in mutants for t in m.tests))
        print(f"Unchanged copy: {len(guards)} test selections ...", flush=True)
        code, failed, seconds = run_tests(copy, guards, args.timeout)
        if code != 0:
            print(f"The tests fail without any mutant ({', '.join(failed)}): fix them first.")
            return 2
        print(f"  pass ({seconds:.0f} s)\n", flush=True)

        rows = []
        for mutant in mutants:
            original = (copy / mutant.file).read_text(encoding="utf-8")
            problem = plant(copy, mutant)
            if problem:
                rows.append((mutant.name, "STALE", problem, 0.0))
            else:
                code, failed, seconds = run_tests(copy, mutant.tests, args.timeout)
                caught = "yes" if code != 0 else "NO"
                if code != 0 and not any("::" in f for f in failed):
                    caught = "BROKEN"  # not collected, or pytest failed before any test
                by = ", ".join(f.split("::")[-1] for f in failed[:3]) or "-"
                if len(failed) > 3:
                    by += f" (+{len(failed) - 3} more)"
                rows.append((mutant.name, caught, by, seconds))
            (copy / mutant.file).write_text(original, encoding="utf-8")
            print(f"  {rows[-1][1]:<5} {mutant.name} ({rows[-1][3]:.0f} s)", flush=True)
    finally:
        if args.keep:
            print(f"copy kept in {copy}")
        else:
            shutil.rmtree(copy, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print(f"\n| {'mutant':<{width}} | caught | failing tests |")
    print(f"|{'-' * (width + 2)}|--------|---------------|")
    for name, caught, by, _ in rows:
        print(f"| {name:<{width}} | {caught:<6} | {by} |")
    missed = [r for r in rows if r[1] != "yes"]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} mutants caught.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
