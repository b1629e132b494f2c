"""core.data.datasets: layouts, seeded stratified splits, corrupt files, warnings, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from core.data.datasets import (
    DatasetReport,
    Sample,
    SkippedFile,
    add_skipped,
    scan_dataset,
)
from core.errors import DatasetError
from tests.core.image_factory import (
    CORRUPT_KINDS,
    make_image,
    make_shapes_dataset,
    write_all_corrupt,
    write_too_large,
)


def _names(samples: list[Sample]) -> set[str]:
    return {Path(s.path).name for s in samples}


def _warned(report: DatasetReport, *words: str) -> bool:
    return any(all(w in line for w in words) for line in report.warnings)


def _flat(tmp_path, per_class=10, **kw) -> Path:
    return make_shapes_dataset(tmp_path / "data", per_class=per_class, size=16, **kw)


# ---- flat layout ------------------------------------------------------------------------------


def test_flat_layout_splits_every_class(tmp_path):
    scan = scan_dataset(str(_flat(tmp_path, per_class=10)))
    report = scan.report
    assert report.layout == "flat"
    assert report.class_names == ["circle", "square", "triangle"]
    assert report.counts == {
        "train": {"circle": 8, "square": 8, "triangle": 8},
        "val": {"circle": 2, "square": 2, "triangle": 2},
    }
    assert report.total == 30 and scan.test == []
    assert len(scan.train) == 24 and len(scan.val) == 6
    assert not {s.path for s in scan.train} & {s.path for s in scan.val}
    for sample in scan.train + scan.val:
        assert Path(sample.path).parent.name == report.class_names[sample.label]
        assert os.path.isabs(sample.path)
    assert report.warnings == []


def test_stratified_with_at_least_one_val_image(tmp_path):
    root = _flat(tmp_path, per_class=[2, 3, 40])
    scan = scan_dataset(str(root), val_split=0.2)
    assert scan.report.counts["val"] == {"circle": 1, "square": 1, "triangle": 8}
    assert scan.report.counts["train"] == {"circle": 1, "square": 2, "triangle": 32}


def test_awkward_class_sizes_round_to_the_nearest_count(tmp_path):
    # 20 % of 9 is 1.8 and of 13 is 2.6: a split that truncates would hold out 1 and 2.
    root = _flat(tmp_path, per_class=[9, 13, 7])
    counts = scan_dataset(str(root), val_split=0.2).report.counts
    assert counts["val"] == {"circle": 2, "square": 3, "triangle": 1}
    assert counts["train"] == {"circle": 7, "square": 10, "triangle": 6}


def test_single_image_class_stays_in_train(tmp_path):
    root = _flat(tmp_path, per_class=[1, 12, 12])
    counts = scan_dataset(str(root)).report.counts
    assert counts["train"]["circle"] == 1 and counts["val"]["circle"] == 0


def test_val_split_zero_and_invalid(tmp_path):
    root = _flat(tmp_path, per_class=5)
    assert scan_dataset(str(root), val_split=0.0).val == []
    with pytest.raises(ValueError):
        scan_dataset(str(root), val_split=1.0)


def test_split_is_deterministic_and_seeded(tmp_path):
    root = str(_flat(tmp_path, per_class=20))
    first = scan_dataset(root, seed=3)
    again = scan_dataset(root, seed=3)
    assert first.train == again.train and first.val == again.val
    other_seeds = [_names(scan_dataset(root, seed=s).val) for s in range(4, 8)]
    assert any(names != _names(first.val) for names in other_seeds)


def test_split_does_not_depend_on_listing_order(tmp_path):
    # Same file names written in opposite orders into two folders: same split.
    def build(root: Path, order: list[int]) -> list[str]:
        for i in order:
            for cls in ("a", "b"):
                make_image(root / cls / f"img_{i:02d}.png", (4, 4), (i * 10, 0, 0))
        return sorted(
            Path(s.path).relative_to(root).as_posix() for s in scan_dataset(str(root)).val
        )

    forward = build(tmp_path / "one", list(range(15)))
    backward = build(tmp_path / "two", list(reversed(range(15))))
    assert forward == backward


def test_adding_a_file_moves_no_other_file_to_val(tmp_path):
    root = _flat(tmp_path, per_class=20)
    before = _names(scan_dataset(str(root)).val)
    make_image(root / "circle" / "zz_new.png", (8, 8))
    after = _names(scan_dataset(str(root)).val)
    assert len(before - after) <= 1  # at most one file swaps to keep the 20 % share


def test_nested_folders_hidden_files_and_extension_case(tmp_path):
    root = tmp_path / "data"
    make_image(root / "cats" / "a.JPG", (8, 8))
    make_image(root / "cats" / "2021" / "summer" / "b.Jpeg", (8, 8))
    make_image(root / "cats" / "c.PNG", (8, 8))
    make_image(root / "cats" / ".hidden.png", (8, 8))  # ignored: hidden
    make_image(root / "cats" / ".thumbs" / "d.png", (8, 8))  # ignored: hidden folder
    make_image(root / "cats" / "._a.JPG", (8, 8))  # macOS resource-fork twin
    (root / "cats" / "notes.txt").write_text("not an image")
    (root / "cats" / "Thumbs.db").write_bytes(b"\0" * 10)
    make_image(root / "dogs" / "e.webp", (8, 8))
    make_image(root / "dogs" / "f.bmp", (8, 8))
    make_image(root / ".git" / "g.png", (8, 8))  # hidden top-level folder: not a class
    make_image(root / "__MACOSX" / "cats" / "h.png", (8, 8))
    report = scan_dataset(str(root)).report
    assert report.class_names == ["cats", "dogs"]
    assert report.total == 5
    assert report.ignored == 7
    assert report.skipped == []


def test_loupes_own_files_are_not_counted_as_ignored_items(tmp_path):
    """A fresh sample dataset said "1 other item ... was ignored": its own marker file. Loupe's
    entries (a sample's marker, reviewed findings, relabel and add manifests) are not the
    user's stray items."""
    root = tmp_path / "data"
    for name in ("cats", "dogs"):
        make_image(root / name / "a.png", (8, 8))
    (root / ".loupe-sample.json").write_text("{}")
    (root / ".loupe").mkdir()
    (root / ".loupe" / "reviewed.json").write_text("[]")
    (root / "cats" / ".loupe-add-1.json").write_text("{}")
    assert scan_dataset(str(root)).report.ignored == 0
    (root / ".DS_Store").write_bytes(b"\0")  # a person's hidden file still counts
    assert scan_dataset(str(root)).report.ignored == 1


def test_images_next_to_class_folders_are_ignored_with_a_warning(tmp_path):
    root = _flat(tmp_path, per_class=10)
    make_image(root / "stray.png", (8, 8))
    report = scan_dataset(str(root)).report
    assert report.total == 30 and report.ignored == 1
    assert _warned(report, "1 file", "no class folder")


# ---- pre-split layout -------------------------------------------------------------------------


@pytest.mark.parametrize("val_name", ["val", "valid", "validation", "Val", "VALIDATION"])
def test_split_layout_val_aliases(tmp_path, val_name):
    root = make_shapes_dataset(tmp_path / "data", per_class=8, size=16, split=True)
    if val_name != "val":
        (root / "val").rename(root / f"{val_name}_tmp")
        (root / f"{val_name}_tmp").rename(root / val_name)
    scan = scan_dataset(str(root))
    assert scan.report.layout == "split"
    assert scan.report.counts["train"] == {"circle": 8, "square": 8, "triangle": 8}
    assert scan.report.counts["val"] == {"circle": 2, "square": 2, "triangle": 2}
    assert all(f"{os.sep}{val_name}{os.sep}" in s.path for s in scan.val)
    assert "test" not in scan.report.counts


def test_split_layout_with_test_and_uppercase_train(tmp_path):
    root = make_shapes_dataset(tmp_path / "d", per_class=6, size=16, split=True, test_per_class=3)
    (root / "train").rename(root / "TRAIN")
    scan = scan_dataset(str(root))
    assert scan.report.counts["test"] == {"circle": 3, "square": 3, "triangle": 3}
    assert len(scan.test) == 9 and all(f"{os.sep}test{os.sep}" in s.path for s in scan.test)
    assert [s.label for s in scan.test] == sorted(s.label for s in scan.test)


def test_split_layout_classes_are_the_union_and_gaps_warned(tmp_path):
    root = tmp_path / "data"
    for cls in ("ant", "bee", "cow"):
        for i in range(10):
            make_image(root / "train" / cls / f"{i}.png", (6, 6))
    make_image(root / "val" / "ant" / "v.png", (6, 6))
    make_image(root / "val" / "bee" / "v.png", (6, 6))
    make_image(root / "val" / "dog" / "v.png", (6, 6))
    report = scan_dataset(str(root)).report
    assert report.class_names == ["ant", "bee", "cow", "dog"]
    assert report.counts["val"] == {"ant": 1, "bee": 1, "cow": 0, "dog": 1}
    assert _warned(report, "'cow'", "val folder")
    assert _warned(report, "'dog'", "train folder")


def test_split_layout_without_val_holds_out_from_train(tmp_path):
    root = tmp_path / "data"
    for cls in ("a", "b"):
        for i in range(10):
            make_image(root / "train" / cls / f"{i}.png", (6, 6))
    make_image(root / "test" / "a" / "t.png", (6, 6))
    report = scan_dataset(str(root)).report
    assert report.layout == "split"
    assert report.counts["val"] == {"a": 2, "b": 2} and report.counts["test"] == {"a": 1, "b": 0}
    assert _warned(report, "No val folder")


def test_a_class_only_in_the_test_folder_is_warned_about(tmp_path):
    # It became a model class with no training image, silently (audit, session 7).
    root = tmp_path / "data"
    for cls in ("a", "b"):
        for i in range(10):
            make_image(root / "train" / cls / f"{i}.png", (6, 6))
    make_image(root / "test" / "zebra" / "t.png", (6, 6))
    report = scan_dataset(str(root)).report
    assert _warned(report, "'zebra'", "no images in the train folder", "cannot learn it")
    assert not _warned(report, "'a'", "train folder")


def test_a_class_called_train_in_a_flat_dataset(tmp_path):
    root = tmp_path / "data"
    for cls in ("train", "car"):
        for i in range(3):
            make_image(root / cls / f"{i}.png", (6, 6))
    assert scan_dataset(str(root)).report.layout == "flat"


# ---- unreadable files -------------------------------------------------------------------------


def test_every_corrupt_kind_is_skipped_with_its_reason(tmp_path):
    root = _flat(tmp_path, per_class=10)
    expected = write_all_corrupt(root / "square")
    scan = scan_dataset(str(root))
    got = {Path(s.path): s.reason for s in scan.report.skipped}
    assert got == expected and len(expected) == len(CORRUPT_KINDS)
    assert scan.report.counts["train"]["square"] + scan.report.counts["val"]["square"] == 10
    assert not {s.path for s in scan.train + scan.val} & {str(p) for p in expected}
    assert _warned(scan.report, f"{len(expected)} files could not be read")


def test_too_large_image_is_skipped(tmp_path, monkeypatch):
    root = _flat(tmp_path, per_class=10)
    big = write_too_large(root / "circle" / "huge.png", (64, 64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 16x16 shapes still pass
    skipped = scan_dataset(str(root)).report.skipped
    assert skipped == [SkippedFile(str(big), skipped[0].reason)]
    assert skipped[0].reason.startswith("too large (64×64 pixels")


def test_check_images_false_skips_the_checks(tmp_path):
    root = _flat(tmp_path, per_class=10)
    write_all_corrupt(root / "circle")
    report = scan_dataset(str(root), check_images=False).report
    assert report.skipped == [] and report.total == 30 + len(CORRUPT_KINDS)
    assert report.min_size is None


def test_add_skipped_updates_report(tmp_path):
    root = _flat(tmp_path, per_class=10)
    scan = scan_dataset(str(root))
    victim = scan.train[0]
    name = scan.report.class_names[victim.label]
    add_skipped(scan.report, victim.path, "truncated", split="train", class_name=name)
    add_skipped(scan.report, victim.path, "truncated", split="train", class_name=name)
    add_skipped(scan.report, "/elsewhere/x.jpg", "unreadable: broken")
    assert scan.report.counts["train"][name] == 7
    assert [s.reason for s in scan.report.skipped] == ["truncated", "unreadable: broken"]
    assert [w for w in scan.report.warnings if "could not be read" in w] == [
        "2 files could not be read and will be skipped (see the list of skipped files)."
    ]


# ---- warnings, sizes, progress, serialisation -------------------------------------------------


def test_small_imbalanced_and_single_class_warnings(tmp_path):
    report = scan_dataset(str(_flat(tmp_path, per_class=[3, 60, 12]))).report
    assert _warned(report, "Class 'circle' has only 3 images", "at least 10")
    assert _warned(report, "imbalanced", "'square'", "'circle'", "20.0x", "class-balanced")
    assert not _warned(report, "'triangle' has only")
    one = make_shapes_dataset(tmp_path / "one", classes=("circle",), per_class=12, size=16)
    assert _warned(scan_dataset(str(one)).report, "at least two classes")


def test_empty_class_folder_is_ignored_with_a_warning(tmp_path):
    root = _flat(tmp_path, per_class=10)
    (root / "unused" / "sub").mkdir(parents=True)
    (root / "broken").mkdir()
    write_all_corrupt(root / "broken")
    report = scan_dataset(str(root)).report
    assert report.class_names == ["circle", "square", "triangle"]
    assert _warned(report, "'unused'", "no images")
    assert _warned(report, "'broken'", "no readable images")


def test_sizes_are_reported(tmp_path):
    root = tmp_path / "data"
    for i, size in enumerate([(10, 10), (40, 30), (20, 4), (30, 30)]):
        make_image(root / "a" / f"{i}.png", size)
        make_image(root / "b" / f"{i}.png", (12, 12))
    report = scan_dataset(str(root)).report
    assert report.min_size == (20, 4) and report.max_size == (40, 30)
    assert report.median_size == (12, 12)


def test_progress_is_called_and_finishes(tmp_path):
    calls: list[tuple[int, int]] = []
    scan_dataset(str(_flat(tmp_path, per_class=10)), progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 30) and calls[-1] == (30, 30)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_report_survives_json(tmp_path):
    root = _flat(tmp_path, per_class=[4, 10, 10])
    write_all_corrupt(root / "circle")
    report = scan_dataset(str(root)).report
    restored = DatasetReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert restored == report and restored.total == report.total


# ---- errors -----------------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="not found.*nope"):
        scan_dataset(str(tmp_path / "nope"))


def test_a_file_is_not_a_folder(tmp_path):
    path = make_image(tmp_path / "a.png")
    with pytest.raises(DatasetError, match="Not a folder"):
        scan_dataset(str(path))


def test_no_class_subfolders(tmp_path):
    make_image(tmp_path / "data" / "a.png")
    with pytest.raises(DatasetError, match="No class folders in .*data"):
        scan_dataset(str(tmp_path / "data"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="No class folders"):
        scan_dataset(str(tmp_path / "empty"))


def test_no_images_at_all(tmp_path):
    (tmp_path / "data" / "cats").mkdir(parents=True)
    (tmp_path / "data" / "cats" / "notes.txt").write_text("hi")
    with pytest.raises(DatasetError, match="No images found in .*data"):
        scan_dataset(str(tmp_path / "data"))


def test_no_readable_images(tmp_path):
    write_all_corrupt(tmp_path / "data" / "cats")
    with pytest.raises(DatasetError, match="No readable images in .*data") as info:
        scan_dataset(str(tmp_path / "data"))
    assert "\n" not in str(info.value)


def test_split_layout_ignores_hidden_and_unknown_top_folders(tmp_path):
    root = make_shapes_dataset(tmp_path / "d", classes=("a", "b"), per_class=10, size=8, split=True)
    make_image(root / ".cache" / "x.png", (4, 4))
    make_image(root / "extras" / "a" / "y.png", (4, 4))
    report = scan_dataset(str(root)).report
    assert report.total == 10 * 2 + 2 * 2
    assert report.ignored == 2
    assert _warned(report, "'extras'", "ignored")


def test_a_loupe_sort_inside_the_dataset_is_not_more_training_data(tmp_path):
    """A sort into DATA/sorted (or into a class folder) would otherwise double the data and
    add a class named 'sorted' (issue 8, item 10)."""
    root = make_shapes_dataset(tmp_path / "data", per_class=4, size=16)
    for sort_root in (root / "sorted", root / "circle" / "by-model"):
        (sort_root / "circle").mkdir(parents=True)
        for i in range(3):
            make_image(sort_root / "circle" / f"copy_{i}.png")
        (sort_root / "loupe-sort-manifest-20260101-000000.jsonl").write_text("{}\n")
    report = scan_dataset(str(root), check_images=False).report
    assert report.class_names == ["circle", "square", "triangle"]
    assert report.total == 12
    assert sum("holds a Loupe sort" in w for w in report.warnings) == 2
