"""gui.runs.run_records: the short labels that name compared runs in legends."""

from __future__ import annotations

from gui.runs.run_records import RunData, compare_labels


def _run(name: str, started: str | None, arch: str = "loupe_net", dataset: str = "/d/shapes"):
    summary = {"arch": arch, "dataset": dataset}
    if started is not None:
        summary["started"] = started
    return RunData(f"/workspace/runs/{name}", summary)


def test_runs_of_one_day_are_named_by_start_time_and_architecture():
    runs = [
        _run("20261128-172119-shapes-auto", "2026-11-28T17:21:19"),
        _run("20261128-172150-shapes-resnet18", "2026-11-28T17:21:50", arch="resnet18"),
    ]
    assert compare_labels(runs) == ["17:21:19 loupe_net", "17:21:50 resnet18"]


def test_the_day_and_the_dataset_appear_only_when_they_differ():
    runs = [
        _run("a", "2026-11-27T09:05:00", dataset="/d/shapes"),
        _run("b", "2026-11-28T17:21:50", dataset="/d/flowers/"),
    ]
    assert compare_labels(runs) == [
        "2026-11-27 09:05 shapes loupe_net",
        "2026-11-28 17:21 flowers loupe_net",
    ]


def test_labels_stay_distinct_and_unreadable_runs_keep_a_short_folder_name():
    long_name = "20261128-172119-a-very-long-dataset-name-resnet18"
    runs = [
        _run("x", "2026-11-28T17:21:19"),
        _run("y", "2026-11-28T17:21:19"),
        _run("z", "2026-11-28T17:21:19"),
        _run(long_name, None),
    ]
    labels = compare_labels(runs)
    assert labels[:3] == ["17:21:19 loupe_net", "17:21:19 loupe_net (2)", "17:21:19 loupe_net (3)"]
    assert len(labels[3]) == 28 and "…" in labels[3]
    assert labels[3].startswith("20261128") and labels[3].endswith("resnet18")
