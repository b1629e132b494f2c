"""`samples --from`: an archive cut short or damaged, or holding files that cannot be a
dataset, is refused in one sentence naming the archive (never the temporary folder it was
unpacked into), before anything is written; and each image appears under its name only
once whole, so a re-run never keeps a cut-short one."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data import sample_files
from tests.core.cli.cli_helpers import loupe
from tests.core.data.test_samples import idx_bytes, tiny_mnist_archive


def _zip(path: Path, **arrays: np.ndarray) -> Path:
    """A zip of the four IDX files (not gzipped), each replaced by `arrays` where named."""
    files = {
        "train-images-idx3-ubyte": np.zeros((3, 28, 28)),
        "train-labels-idx1-ubyte": np.zeros(3),
        "t10k-images-idx3-ubyte": np.zeros((2, 28, 28)),
        "t10k-labels-idx1-ubyte": np.zeros(2),
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in files.items():
            archive.writestr(name, idx_bytes(arrays.get(name.replace("-", "_"), array)))
    return path


def _cut(path: Path, name: str) -> Path:
    data = path.read_bytes()
    cut = path.parent / name
    cut.write_bytes(data[: len(data) // 2])
    return cut


def _one_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith("loupe: error: "), result.stderr
    return lines[-1].removeprefix("loupe: error: ")


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_an_archive_cut_short_is_named_as_damaged_and_nothing_is_written(tmp_path, kind):
    if kind == "tar.gz":
        tiny_mnist_archive(tmp_path / "full.tar.gz", train=300, test=50)
    else:
        _zip(tmp_path / "full.zip")
    cut = _cut(tmp_path / f"full.{kind}", f"trunc.{kind}")
    out = tmp_path / "out"
    result = loupe("samples", "mnist", "--out", out, "--from", cut)
    assert _one_error(result) == f"{cut} is damaged or truncated: download it again."
    assert not out.exists()


@pytest.mark.parametrize(
    "arrays, words",
    [
        (
            {"train_labels_idx1_ubyte": np.zeros(4)},
            "its train-images-idx3-ubyte: images and labels do not match",
        ),
        (
            {"train_images_idx3_ubyte": np.zeros((3, 0, 0))},
            "its train-images-idx3-ubyte: the images are 0x0 pixels, nothing to draw.",
        ),
        (
            {"t10k_labels_idx1_ubyte": np.full(2, 12)},
            "its t10k-labels-idx1-ubyte: labels must be 0-9, found 12.",
        ),
    ],
)
def test_a_file_inside_an_archive_is_named_by_the_archive(tmp_path, arrays, words):
    archive = _zip(tmp_path / "mismatch.zip", **arrays)
    out = tmp_path / "out"
    message = _one_error(loupe("samples", "mnist", "--out", out, "--from", archive))
    assert message.startswith(f"{archive}: {words}"), message
    assert "/tmp/tmp" not in message.replace(str(tmp_path), "")
    assert not out.exists()


def test_an_interrupted_write_leaves_no_cut_short_image(tmp_path, monkeypatch):
    archive = tmp_path / "mnist.tar.gz"
    tiny_mnist_archive(archive)
    save = Image.Image.save
    calls = []

    def torn(self, fp, *args, **kwargs):
        calls.append(fp)
        if len(calls) == 3:  # Ctrl+C in the middle of the third image
            if isinstance(fp, (str, Path)):
                with open(fp, "wb") as f:
                    f.write(b"\x89PNG\r\n\x1a\n half")
            else:
                fp.write(b"\x89PNG\r\n\x1a\n half")
            raise KeyboardInterrupt
        return save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", torn)
    out = tmp_path / "out"
    assert loupe("samples", "mnist", "--out", out, "--from", archive).returncode == 130
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.parent != out)
    assert [p.name for p in files] == ["train_00000.png", "train_00001.png"]
    monkeypatch.setattr(Image.Image, "save", save)
    assert loupe("samples", "mnist", "--out", out, "--from", archive).returncode == 0
    written = sorted(out.rglob("*.png"))
    assert len(written) == 17
    for path in written:
        with Image.open(path) as image:
            image.load()  # a cut-short PNG fails here


def test_save_new_image_never_replaces_a_file(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(b"mine")
    sample_files.save_new_image(Image.new("L", (2, 2)), str(path), "PNG")
    assert path.read_bytes() == b"mine" and sorted(tmp_path.iterdir()) == [path]
