"""A dataset scan (core.data.datasets.scan_dataset) as a job for gui.jobs. Qt-free.

A newer load cancels an older scan (JobRunner.cancel): the progress callback then raises,
which stops the image checks within one progress interval (the folder walk before them
cannot be interrupted); nothing of the cancelled scan reaches the page."""

from __future__ import annotations

from collections.abc import Iterator

from core.data.datasets import DatasetScan, scan_dataset
from core.errors import DatasetError
from gui.jobs import JobControl, JobProgress


class ScanCancelled(Exception):
    """Raised from the progress callback to stop a scan nobody waits for any more."""


def scan_job(path: str, val_split: float, seed: int):
    """The job that scans `path`: JobProgress events, then the DatasetScan as the result;
    a problem with the folder fails the job with one readable sentence."""

    def job(control: JobControl) -> Iterator[object]:
        yield from ()

        def progress(done: int, total: int) -> None:
            if control.stop_requested:
                raise ScanCancelled
            control.report(JobProgress(done, total))

        try:
            # Looked up at call time so tests can wrap it.
            scan: DatasetScan = scan_dataset(path, val_split, seed, progress=progress)
        except (DatasetError, ScanCancelled):
            raise
        except Exception as error:  # a bug or an OS error: still a sentence, never a crash
            raise DatasetError(f"Could not scan {path}: {error}") from error
        return scan

    return job
