"""Sample datasets: the built-in demo photos, and MNIST-style files read from an archive the user
downloaded elsewhere (no internet in tests: torchvision's downloads are never reached)."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data import samples
from core.data.datasets import scan_dataset
from core.errors import LoupeError
from tests.core.cli.cli_helpers import loupe


def idx_bytes(array: np.ndarray) -> bytes:
    """LeCun's IDX format, as torchvision's MNIST files hold it: magic, big-endian sizes, bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def tiny_mnist_archive(path: Path, train: int = 12, test: int = 5) -> dict[str, tuple]:
    """A tar.gz of the four gzipped IDX files, named as the real ones; digits 0-2 only."""
    rng = np.random.default_rng(0)
    arrays = {}
    with tarfile.open(path, "w:gz") as archive:
        for prefix, n in (("train", train), ("t10k", test)):
            images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
            labels = np.arange(n, dtype=np.uint8) % 3
            arrays[prefix] = (images, labels)
            for kind, array, ndim in (("images", images, 3), ("labels", labels, 1)):
                data = gzip.compress(idx_bytes(array))
                info = tarfile.TarInfo(f"mnist/{prefix}-{kind}-idx{ndim}-ubyte.gz")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return arrays


def test_demo_sample_is_a_split_photo_dataset_written_without_internet(tmp_path):
    result = loupe("samples", "demo", "--out", tmp_path / "demo")
    assert result.returncode == 0, result.stderr
    # Not a terminal: a line at every tenth of the work (0 %, 10 %, ... 100 %), not 400.
    drawn = [line for line in result.stderr.splitlines() if line.startswith("Drew ")]
    assert len(drawn) == 11 and drawn[-1] == "Drew 400 of 400 pictures (100%)"
    scan = scan_dataset(str(tmp_path / "demo"), 0.2, 0)
    assert scan.report.layout == "split"
    assert scan.report.class_names == list(samples.DEMO_CLASSES)
    assert scan.report.counts["test"] == {
        c: samples.DEMO_TEST_PER_CLASS for c in samples.DEMO_CLASSES
    }
    assert len(scan.train) + len(scan.val) == samples.DEMO_PER_CLASS * len(samples.DEMO_CLASSES)
    sizes = {Image.open(s.path).size for s in scan.train[:40]}
    assert all(min(w, h) >= 96 and max(w, h) <= 160 for w, h in sizes) and len(sizes) > 5
    # A second call writes nothing new and overwrites nothing.
    first = scan.train[0].path
    Path(first).write_bytes(b"mine")
    assert loupe("samples", "demo", "--out", tmp_path / "demo").returncode == 0
    assert Path(first).read_bytes() == b"mine"


def test_mnist_from_an_archive_downloaded_elsewhere(tmp_path):
    archive = tmp_path / "mnist.tar.gz"
    arrays = tiny_mnist_archive(archive)
    result = loupe("samples", "mnist", "--out", tmp_path / "out", "--from", archive)
    assert result.returncode == 0, result.stderr
    assert "Wrote 17 of 17 images" in result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "train").iterdir()) == ["0", "1", "2"]
    assert len(list((out / "train" / "1").glob("*.png"))) == 4
    assert len(list((out / "test").rglob("*.png"))) == 5
    # Pixels arrive unchanged, in the class of their label.
    images, labels = arrays["train"]
    written = np.asarray(Image.open(out / "train" / str(labels[4]) / "train_00004.png"))
    assert np.array_equal(written, images[4])


def test_offline_says_so_in_one_sentence_and_points_to_from(tmp_path, monkeypatch):
    monkeypatch.setattr(samples, "is_online", lambda url: False)
    with pytest.raises(LoupeError) as info:
        list(
            samples.write_sample("fashion-mnist", str(tmp_path / "out"), root=str(tmp_path / "tv"))
        )
    message = str(info.value)
    assert message.startswith("Cannot download Fashion-MNIST: this computer seems to be offline.")
    assert "--from FILE" in message and message.count(". ") <= 1
    assert not (tmp_path / "out").exists()


def test_files_that_are_not_the_dataset_are_refused_by_name(tmp_path):
    bogus = tmp_path / "cifar-10-python.tar.gz"
    bogus.write_bytes(b"not the archive")
    result = loupe("samples", "cifar10", "--out", tmp_path / "c", "--from", bogus)
    assert result.returncode == 1 and "checksum differs" in result.stderr
    assert str(bogus) in result.stderr and "Traceback" not in result.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x03" + b"\0" * 5)
    (broken / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(1)))
    result = loupe("samples", "mnist", "--out", tmp_path / "m", "--from", broken)
    assert result.returncode == 1 and "train-images-idx3-ubyte: truncated" in result.stderr


@pytest.mark.parametrize("under", ["", "sub"])
def test_an_out_that_is_a_file_is_refused_by_name(tmp_path, under):
    """--out afile once failed with the operating system's ".../afile/train: Not a directory"."""
    afile = tmp_path / "afile"
    afile.write_bytes(b"mine")
    result = loupe("samples", "demo", "--out", afile / under if under else afile)
    assert result.returncode == 1 and "Not a directory" not in result.stderr
    assert f"{afile} is a file, not a folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and afile.read_bytes() == b"mine"


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_folder_of_ones_own_classes_is_refused_and_left_as_it_is(tmp_path):
    """train/ and test/ added beside a person's class folders would hide those from training."""
    mine = tmp_path / "MYDATA"
    for name in ("cats", "dogs"):
        (mine / name).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(mine / name / "a.jpg")
    before = _listing(mine)
    result = loupe("samples", "demo", "--out", mine)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"loupe: error: {mine} already holds other files: choose a new or empty folder for "
        "the demo sample, so that it is not mixed into them."
    )
    assert _listing(mine) == before


def test_one_sample_is_never_written_into_another(tmp_path):
    archive = tmp_path / "idx.tar.gz"
    tiny_mnist_archive(archive)
    out = tmp_path / "fashion"
    assert loupe("samples", "fashion-mnist", "--out", out, "--from", archive).returncode == 0
    before = _listing(out)
    result = loupe("samples", "mnist", "--out", out, "--from", archive)
    assert result.returncode == 1
    assert f"{out} holds the fashion-mnist sample: choose another folder for mnist" in (
        result.stderr
    )
    (out / samples.MARKER).unlink()  # written by a Loupe without the marker: its classes tell
    result = loupe("samples", "mnist", "--out", out, "--from", archive)
    assert result.returncode == 1 and "already holds other files" in result.stderr
    assert _listing(out) == [p for p in before if p != samples.MARKER]


def test_an_earlier_copy_without_a_marker_is_completed(tmp_path):
    """A copy interrupted (or written by an older Loupe) is recognised by its names, a
    leftover temporary file included, and completed; the marker is added."""
    archive = tmp_path / "mnist.tar.gz"
    tiny_mnist_archive(archive)
    out = tmp_path / "out"
    assert loupe("samples", "mnist", "--out", out, "--from", archive).returncode == 0
    (out / samples.MARKER).unlink()
    for path in list((out / "train" / "1").iterdir())[:2]:
        path.unlink()
    (out / "train" / "1" / ".train_00004.png.0a1b2c3d.tmp").write_bytes(b"half")
    result = loupe("samples", "mnist", "--out", out, "--from", archive)
    assert result.returncode == 0, result.stderr
    assert len(list(out.rglob("*.png"))) == 17 and (out / samples.MARKER).is_file()


def test_demo_refuses_from(tmp_path):
    archive = tmp_path / "mnist.tar.gz"
    tiny_mnist_archive(archive)
    result = loupe("samples", "demo", "--out", tmp_path / "d", "--from", archive)
    assert result.returncode == 1 and result.stderr.strip() == (
        "loupe: error: demo is drawn on your computer; --from is for cifar10/mnist/fashion-mnist."
    )
    assert not (tmp_path / "d").exists()


def test_the_offline_sentence_asks_for_the_four_files_of_an_idx_dataset(tmp_path, monkeypatch):
    monkeypatch.setattr(samples, "is_online", lambda url: False)
    with pytest.raises(LoupeError) as info:
        list(samples.write_sample("mnist", str(tmp_path / "out"), root=str(tmp_path / "tv")))
    assert str(info.value).endswith(
        "Download its four .gz files elsewhere from https://ossci-datasets.s3.amazonaws.com/"
        "mnist/, put them in one folder (or one archive) and choose it (--from FILE)."
    )
