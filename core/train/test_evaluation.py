"""The end of every run: the best model, evaluated once on the dataset's test split, into
RUN_DIR/test_report/. The test split never influences training or model selection (that
is validation's job): it is looked at only here, after the model is chosen."""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence

from core.data.datasets import Sample
from core.errors import LoupeError
from core.events import LogMessage, TrainEvent
from core.infer.evaluate import LabelledImage, evaluate_images, write_report
from core.infer.inference import load_model_for_inference
from core.train.progress_log import logged_progress
from core.train.setup import Setup

TEST_REPORT_DIR = "test_report"


def evaluate_test_split(
    run_dir: str, samples: Sequence[Sample], class_names: list[str], device: str
) -> Generator[TrainEvent, None, dict]:
    """Evaluate the run's saved (best) model on `samples`; returns report.json's content."""
    lm = load_model_for_inference(run_dir, device)
    images = [LabelledImage(s.path, class_names[s.label]) for s in samples]
    evaluation = evaluate_images(lm, images, _common_root(samples))
    report = yield from logged_progress(
        evaluation, lambda progress: f"Tested {progress.done:,} of {progress.total:,} images ..."
    )
    return write_report(report, os.path.join(run_dir, TEST_REPORT_DIR))


def _common_root(samples: Sequence[Sample]) -> str:
    """The test folder: the common parent of the class folders."""
    if not samples:
        return ""
    common = os.path.commonpath([os.path.dirname(s.path) for s in samples])
    single_class = len({os.path.dirname(s.path) for s in samples}) == 1
    return os.path.dirname(common) if single_class else common


def evaluate_best_model(s: Setup, run_dir: str) -> Generator[TrainEvent, None, float | None]:
    """The run's saved best model on the test split, with the report written and announced;
    its accuracy, or None when the evaluation failed (the trained model stays usable)."""
    yield LogMessage(
        "info", f"Evaluating the best model on the {len(s.test_samples)} test images ..."
    )
    try:
        report = yield from evaluate_test_split(
            run_dir, s.test_samples, s.class_names, str(s.device)
        )
    except (LoupeError, OSError) as exc:  # say so, go on
        yield LogMessage("warning", f"Test evaluation failed: {exc}")
        return None
    accuracy = report["accuracy"]
    yield LogMessage(
        "info",
        f"Test accuracy {accuracy:.1%} on {report['images']} images; report in "
        f"{os.path.join(run_dir, TEST_REPORT_DIR, 'report.html')}",
    )
    return accuracy
