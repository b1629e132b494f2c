"""`classify --shard K/N` and `merge`: a folder classified as N parts (a Slurm job array)
gives, joined, exactly the CSV one run writes; bad values and mismatched parts are refused
before anything is written. In this process through main.main, like tests/core/cli/test_cli."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest

from tests.core.cli.cli_helpers import loupe
from tests.core.image_factory import make_shapes_dataset, write_corrupt
from tests.core.run_factory import make_run_folder

BATCH = ("--batch-size", "4", "--device", "cpu", "--top-k", "2")


def _shuffled_copy(source: Path, target: Path, seed: int) -> Path:
    """The same files created in a shuffled order: a file system may list them that way."""
    files = sorted(p for p in source.rglob("*") if p.is_file())
    random.Random(seed).shuffle(files)
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


@pytest.fixture(scope="module")
def classified(trained_run, tmp_path_factory):
    """One folder (22 files, one unreadable: 6 batches of 4) classified once in one run and
    once as three parts."""
    base = tmp_path_factory.mktemp("shard")
    made = make_shapes_dataset(base / "made", per_class=7, size=32, seed=4)
    write_corrupt("truncated_png", made / "square", "square_003b.png")
    images = _shuffled_copy(made, base / "images", seed=1)
    run = trained_run[0]
    single = base / "single.csv"
    result = loupe("classify", run, images, "--out", single, *BATCH)
    assert result.returncode == 0, result.stderr
    parts = []
    for k in (1, 2, 3):
        part = base / f"part-{k}.csv"
        result = loupe("classify", run, images, "--out", part, "--shard", f"{k}/3", *BATCH)
        assert result.returncode == 0, result.stderr
        assert "square_003b.png" in result.stderr or k != 2  # its part lists it unreadable
        parts.append(part)
    return run, images, single, parts


def _copy_part(part: Path, folder: Path, name: str | None = None) -> Path:
    target = folder / (name or part.name)
    shutil.copyfile(part, target)
    shutil.copyfile(f"{part}.shard.json", f"{target}.shard.json")
    return target


def test_parts_concatenate_to_the_single_run_csv_byte_for_byte(classified):
    _, _, single, parts = classified
    texts = [p.read_bytes() for p in parts]
    header = texts[0].split(b"\n", 1)[0] + b"\n"
    joined = header + b"".join(t[len(header) :] for t in texts)
    assert all(t.startswith(header) for t in texts)
    assert joined == single.read_bytes()
    # Every part holds rows: the batches were shared out, not all given to one part.
    assert all(t.count(b"\n") > 1 for t in texts)
    assert single.read_bytes().count(b"\n") == 1 + 21  # 21 readable images, one header


def test_merge_orders_parts_by_number_not_by_command_line(classified, tmp_path):
    _, _, single, parts = classified
    out = tmp_path / "all.csv"
    result = loupe("merge", parts[2], parts[0], parts[1], "--out", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == single.read_bytes()
    assert "Merged 3 parts, 21 images" in result.stderr


def test_more_parts_than_batches_leaves_empty_parts_that_still_merge(classified, tmp_path):
    run, images, single, _ = classified
    parts = []
    for k in range(1, 8):  # 22 files in batches of 4 are 6 batches: one part of 7 is empty
        part = tmp_path / f"part-{k}.csv"
        result = loupe("classify", run, images, "--out", part, "--shard", f"{k}/7", *BATCH)
        assert result.returncode == 0, result.stderr
        parts.append(part)
    assert sum(p.read_text().count("\n") == 1 for p in parts) == 1  # the header only
    assert loupe("merge", *parts, "--out", tmp_path / "all.csv").returncode == 0
    assert (tmp_path / "all.csv").read_bytes() == single.read_bytes()


def test_rows_follow_the_sorted_listing_whatever_order_the_files_were_created_in(
    classified, tmp_path
):
    run, images, single, _ = classified
    again = _shuffled_copy(images, tmp_path / "images", seed=99)
    out = tmp_path / "part-1.csv"
    result = loupe("classify", run, again, "--out", out, "--shard", "1/3", *BATCH)
    assert result.returncode == 0, result.stderr
    rows = [line.split(",")[0] for line in out.read_text().splitlines()[1:]]
    relative = [str(Path(p).relative_to(again)) for p in rows]
    single_rows = [line.split(",")[0] for line in single.read_text().splitlines()[1:]]
    assert relative == [str(Path(p).relative_to(images)) for p in single_rows[: len(rows)]]
    assert relative == sorted(relative)


def test_batches_are_cut_on_the_file_grid_so_an_unreadable_file_shifts_nothing(trained_run):
    from core.infer.inference import (
        LogitsBatch,
        list_images,
        load_model_for_inference,
        logit_batches,
    )

    lm = load_model_for_inference(trained_run[0], "cpu")
    folder = Path(trained_run[0]).parent.parent / "shard-grid"
    images = make_shapes_dataset(folder, classes=("circle",), per_class=7, size=16, seed=2)
    write_corrupt("zero_bytes", images / "circle", "circle_001b.png")
    paths = list_images(str(images))
    batches = [
        b.paths for b in logit_batches(lm, paths, batch_size=4) if isinstance(b, LogitsBatch)
    ]
    # Files 0-3 (one unreadable) form the first batch, files 4-7 the second.
    assert batches == [[p for p in paths[:4] if "001b" not in p], paths[4:8]]


@pytest.mark.parametrize(
    "value, words",
    [
        ("0/3", "count from 1 to N"),
        ("4/3", "part 4 does not exist"),
        ("1/0", "at least 1"),
        ("2", "is not K/N"),
        ("a/b", "is not K/N"),
        ("-1/3", "is not K/N"),
        ("", "is not K/N"),
    ],
)
def test_bad_shard_values_are_refused_before_anything_is_loaded(tmp_path, value, words):
    out = tmp_path / "part.csv"
    # Neither the model nor the folder exists: the refusal must come first.
    result = loupe(
        "classify", tmp_path / "no-run", tmp_path / "no-images", "--out", out, f"--shard={value}"
    )
    assert result.returncode == 2
    assert "argument --shard:" in result.stderr and words in result.stderr
    assert repr(value) in result.stderr or f" {value}:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_move_with_shard_is_refused_before_anything_is_written(classified, tmp_path):
    run, images, _, _ = classified
    result = loupe(
        "classify",
        run,
        images,
        "--out",
        tmp_path / "p.csv",
        "--shard",
        "1/2",
        "--sort-into",
        tmp_path / "dest",
        "--move",
    )
    assert result.returncode == 1 and "--move cannot be used with --shard" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_each_part_sorts_with_its_own_manifest_and_undoes_alone(classified, tmp_path):
    run, images, _, _ = classified
    dest = tmp_path / "sorted"
    for k in (1, 2):
        result = loupe(
            "classify",
            run,
            images,
            "--out",
            tmp_path / f"p{k}.csv",
            "--shard",
            f"{k}/2",
            "--sort-into",
            dest,
            *BATCH,
        )
        assert result.returncode == 0, result.stderr
    manifests = sorted(dest.glob("loupe-sort-manifest-part-*.jsonl"))
    assert [m.name[:34] for m in manifests] == [
        "loupe-sort-manifest-part-1-of-2-20",
        "loupe-sort-manifest-part-2-of-2-20",
    ]
    assert len(list(dest.rglob("*.png"))) == 21  # every readable image, once
    first = [json.loads(line) for line in manifests[0].read_text().splitlines()[1:]]
    first_copies = {r["destination"] for r in first if r.get("op") == "copy"}
    assert loupe("undo", manifests[0]).returncode == 0
    left = {str(p) for p in dest.rglob("*.png")}
    assert left and not left & first_copies and len(left) == 21 - len(first_copies)


def test_merge_refuses_a_missing_or_repeated_part_and_writes_nothing(classified, tmp_path):
    _, _, _, parts = classified
    out = tmp_path / "all.csv"
    result = loupe("merge", parts[0], parts[2], "--out", out)
    assert (
        result.returncode == 1
        and "Part 2 of 3 is missing: classify it (--shard 2/3)" in result.stderr
    )
    twin = _copy_part(parts[0], tmp_path, "again.csv")
    result = loupe("merge", parts[0], twin, parts[1], parts[2], "--out", out)
    assert result.returncode == 1 and "are both part 1/3" in result.stderr
    assert not out.exists()


def test_merge_refuses_parts_that_do_not_belong_together(classified, tmp_path):
    run, images, _, parts = classified
    other_model = make_run_folder(tmp_path / "other-run")
    cases = {
        "different models": (other_model, images, BATCH),
        "different columns": (run, images, ("--batch-size", "4", "--device", "cpu")),
    }
    for words, (model, folder, flags) in cases.items():
        odd = tmp_path / f"{words}.csv"
        made = loupe("classify", model, folder, "--out", odd, "--shard", "2/3", *flags)
        assert made.returncode == 0, made.stderr
        result = loupe("merge", parts[0], odd, parts[2], "--out", tmp_path / "all.csv")
        assert result.returncode == 1 and words in result.stderr, result.stderr
    # A folder that gained a file between the parts: the slices no longer fit together.
    grown = _shuffled_copy(images, tmp_path / "grown", seed=3)
    shutil.copyfile(next(grown.rglob("*.png")), grown / "circle" / "zz_new.png")
    late = tmp_path / "late.csv"
    assert loupe("classify", run, grown, "--out", late, "--shard", "3/3", *BATCH).returncode == 0
    result = loupe("merge", parts[0], parts[1], late, "--out", tmp_path / "all.csv")
    assert result.returncode == 1 and "do not belong together" in result.stderr
    assert not (tmp_path / "all.csv").exists()


def test_merge_refuses_a_changed_part_or_one_without_its_record(classified, tmp_path):
    _, _, _, parts = classified
    edited = _copy_part(parts[1], tmp_path)
    edited.write_text(edited.read_text().replace("circle", "square", 1))
    result = loupe("merge", parts[0], edited, parts[2], "--out", tmp_path / "all.csv")
    assert result.returncode == 1 and "not the CSV its part record describes" in result.stderr
    bare = tmp_path / "bare.csv"
    shutil.copyfile(parts[1], bare)
    result = loupe("merge", parts[0], bare, parts[2], "--out", tmp_path / "all.csv")
    assert result.returncode == 1 and "has no part record" in result.stderr
    Path(f"{bare}.shard.json").write_text('{"format": "loupe-classify-part", "version": 1}')
    result = loupe("merge", parts[0], bare, parts[2], "--out", tmp_path / "all.csv")
    assert result.returncode == 1 and "the field 'index' is missing" in result.stderr
    assert not (tmp_path / "all.csv").exists()


def test_merge_never_overwrites_without_force(classified, tmp_path):
    _, _, single, parts = classified
    out = tmp_path / "all.csv"
    out.write_text("keep me\n")
    result = loupe("merge", *parts, "--out", out)
    assert result.returncode == 1 and "already exists" in result.stderr
    assert out.read_text() == "keep me\n"
    assert loupe("merge", *parts, "--out", parts[0]).returncode == 1  # never over a part
    assert (
        hashlib.sha256(parts[0].read_bytes()).hexdigest()
        == json.loads(Path(f"{parts[0]}.shard.json").read_text())["csv_sha256"]
    )
    result = loupe("merge", *parts, "--out", out, "--force")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == single.read_bytes()
