"""Weights and checkpoint files Loupe refuses are named in one sentence with the reason:
never torch's multi-line advice to load them with weights_only=False, and never any code run."""

from __future__ import annotations

import io
import os
import pickle

import pytest
import torch

from core.errors import ModelFileError
from core.models.checkpoints import load_checkpoint
from core.models.registry import read_state_dict
from tests.core.cli.cli_helpers import loupe
from tests.core.image_factory import make_shapes_dataset
from tests.core.run_factory import make_run_folder


class _Payload:
    """Unpickled, it would create the file `marker`."""

    marker = ""

    def __reduce__(self):
        return (open, (_Payload.marker, "w"))


def _saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


CHECKPOINT = {"model": {"w": torch.zeros(100_000)}, "next_epoch": 1}
OBJECTS = "not a plain tensor file: it holds Python objects, which Loupe never unpickles."


def _bad_files() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, how the refusal ends)"""
    whole = _saved(CHECKPOINT)
    return {
        "empty.pth": (b"", " is empty."),
        "torch-objects.pt": (_saved({"w": _Payload()}), OBJECTS),
        "plain-pickle.pth": (pickle.dumps({"w": _Payload()}, protocol=4), OBJECTS),
        # 10,000 bytes once gave "[Errno 22] Invalid argument", the others torch's zip errors.
        **{f"cut-{n}.pt": (whole[:n], " is truncated or damaged.") for n in (100, 10_000)},
        "half.pt": (whole[: len(whole) // 2], " is truncated or damaged."),
        "photo.pth": (b"\xff\xd8\xff\xe0" + bytes(200), " is not a PyTorch tensor file"),
    }


def _check_sentence(message: str, path, ending: str) -> None:
    assert str(path) in message and ending in message, message
    assert "\n" not in message and "weights_only" not in message


@pytest.mark.parametrize("name", list(_bad_files()))
def test_a_bad_weights_file_is_one_sentence_and_runs_nothing(tmp_path, name):
    _Payload.marker = str(tmp_path / "pwned")
    data, ending = _bad_files()[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ModelFileError) as info:
        read_state_dict(str(path))
    _check_sentence(str(info.value), path, ending)
    assert not os.path.exists(_Payload.marker)


@pytest.mark.parametrize(
    ("data", "ending"),
    [(b"", " is empty."), (b"\x08\x00\x00\x00", "is not a valid safetensors file")],
)
def test_a_bad_safetensors_file_is_one_sentence(tmp_path, data, ending):
    path = tmp_path / "w.safetensors"
    path.write_bytes(data)
    with pytest.raises(ModelFileError) as info:
        read_state_dict(str(path))
    _check_sentence(str(info.value), path, ending)


@pytest.mark.parametrize("name", ["empty.pth", "plain-pickle.pth", "cut-10000.pt", "half.pt"])
def test_a_bad_last_ckpt_is_one_sentence(tmp_path, name):
    _Payload.marker = str(tmp_path / "pwned")
    data, ending = _bad_files()[name]
    path = tmp_path / "last.ckpt"
    path.write_bytes(data)
    with pytest.raises(ModelFileError) as info:
        load_checkpoint(str(path))
    message = str(info.value)
    assert message.startswith("Cannot resume: ")
    _check_sentence(message, path, ending)
    assert not os.path.exists(_Payload.marker)
    path.write_bytes(_saved({"w": torch.zeros(3)}))  # plain tensors, but no checkpoint
    with pytest.raises(ModelFileError, match="is not a Loupe checkpoint"):
        load_checkpoint(str(path))
    path.write_bytes(_saved(CHECKPOINT))
    assert load_checkpoint(str(path))["next_epoch"] == 1


def test_resume_from_a_truncated_last_ckpt_is_one_line(tmp_path):
    data = make_shapes_dataset(tmp_path / "data", per_class=3)
    run = make_run_folder(tmp_path / "run")
    (run / "last.ckpt").write_bytes(_saved(CHECKPOINT)[:10_000])
    result = loupe("train", data, "--out", run, "--resume")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].endswith(f"Cannot resume: {run / 'last.ckpt'} is truncated or damaged.")
    assert "Errno" not in result.stderr and "Traceback" not in result.stderr
