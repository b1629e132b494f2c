"""Verified export: the file loads where users load it (onnxruntime, torch.jit.load), takes
any batch size, agrees with PyTorch, and an export that disagrees is never written."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from tests.core.cli.cli_helpers import loupe
from tests.core.run_factory import make_run_folder


def _pytorch_logits(run, x):
    from core.models.checkpoints import load_model

    model, _ = load_model(str(run))
    with torch.inference_mode():
        return model(x).numpy()


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_export_loads_with_a_batch_of_three_and_agrees(split_run, tmp_path, fmt):
    _, run, _ = split_run
    out = tmp_path / f"model.{fmt}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = loupe("export", run, "--out", out, "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert not caught, [str(w.message) for w in caught]  # no tracer/deprecation noise
    assert result.stderr == ""
    line = next(line for line in result.stdout.splitlines() if "parity" in line)
    assert "18 validation images" in line and "top-1 agreement 100.0%" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, out.name + ".json"])
    x = torch.randn(3, 3, 32, 32)
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        got = session.run(None, {"image": x.numpy()})[0]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit.load's own deprecation notice
            got = torch.jit.load(str(out))(x).detach().numpy()
    assert got.shape == (3, 3)
    np.testing.assert_allclose(got, _pytorch_logits(run, x), atol=1e-4, rtol=1e-4)
    sidecar = json.loads((tmp_path / (out.name + ".json")).read_text(encoding="utf-8"))
    assert sidecar["export"]["input"]["shape"] == ["batch", 3, 32, 32]
    assert "centre" in sidecar["export"]["preprocessing"]
    assert sidecar["export"]["parity"]["ok"] is True
    again = loupe("export", run, "--out", out, "--format", fmt)
    assert again.returncode == 1 and "--force" in again.stderr


def test_without_its_dataset_parity_uses_synthetic_images(tmp_path):
    run = make_run_folder(tmp_path / "run")  # its config names a dataset that is gone
    result = loupe("export", run, "--out", tmp_path / "m.pt")
    assert result.returncode == 0, result.stderr
    assert "parity ok: 16 synthetic images" in result.stdout


def test_an_export_that_disagrees_exits_non_zero_and_writes_nothing(tmp_path, monkeypatch):
    from core.infer import export_check

    run = make_run_folder(tmp_path / "run")
    real = export_check.run_exported
    monkeypatch.setattr(export_check, "run_exported", lambda data, fmt, x: real(data, fmt, x) + 0.5)
    result = loupe("export", run, "--out", tmp_path / "m.pt")
    assert result.returncode == 1
    assert "parity FAILED" in result.stderr and "nothing was written" in result.stderr
    assert not (tmp_path / "m.pt").exists() and not (tmp_path / "m.pt.json").exists()
