"""Classifying folders with a saved model; model files from anywhere are untrusted."""

from __future__ import annotations

import json
import os
import pickle
import shutil

import pytest

from core.control import RunControl
from core.errors import ModelFileError
from core.infer.inference import (
    classify_folder,
    classify_paths,
    list_images,
    load_model_for_inference,
)
from core.infer.results import ClassifiedImage, ClassifyProgress, UnreadableImage
from tests.core.image_factory import make_shapes_dataset, write_all_corrupt


@pytest.fixture(scope="module")
def new_images(tmp_path_factory):
    root = tmp_path_factory.mktemp("new")
    make_shapes_dataset(root / "batch", per_class=8, size=40, seed=7, ext=".jpg")
    corrupt = write_all_corrupt(root / "batch" / "bad")
    (root / "batch" / ".hidden.jpg").write_bytes(b"x")
    (root / "batch" / "notes.txt").write_text("not an image")
    return root / "batch", corrupt


def test_classifies_every_readable_image_and_reports_the_rest(trained_run, new_images):
    run, _ = trained_run
    folder, corrupt = new_images
    lm = load_model_for_inference(run, "cpu")
    items = list(classify_folder(lm, str(folder), batch_size=5, top_k=3))
    done = [i for i in items if isinstance(i, ClassifiedImage)]
    bad = {i.path: i.reason for i in items if isinstance(i, UnreadableImage)}
    assert len(done) == 24
    assert bad == {str(p): r for p, r in corrupt.items()}
    correct = sum(os.path.basename(os.path.dirname(r.path)) == r.label for r in done)
    assert correct >= 18  # the model learned the shapes; 8 would be chance
    assert all(len(r.top_k) == 3 and r.top_k[0] == (r.label, r.confidence) for r in done)
    progress = [i for i in items if isinstance(i, ClassifyProgress)]
    assert progress[-1].done == progress[-1].total == 24 + len(corrupt)


def test_listing_skips_hidden_and_non_images_and_can_stay_shallow(new_images):
    folder, corrupt = new_images
    deep = list_images(str(folder))
    assert not any(os.path.basename(p).startswith(".") or p.endswith(".txt") for p in deep)
    shallow = list_images(str(folder), recursive=False)
    assert len(shallow) == 0 and len(deep) == 24 + len(corrupt)


def test_cancel_stops_promptly(trained_run, new_images):
    run, _ = trained_run
    folder, _ = new_images
    lm = load_model_for_inference(run, "cpu")
    control = RunControl()
    paths = list_images(str(folder)) * 20
    seen = 0
    for item in classify_paths(lm, paths, batch_size=4, control=control):
        if isinstance(item, ClassifiedImage):
            seen += 1
            if seen == 4:
                control.request_stop()
    assert seen < 12


def test_malformed_and_mismatched_model_folders_are_explained(trained_run, tmp_path):
    run, _ = trained_run
    bad = tmp_path / "bad"
    shutil.copytree(run, bad)
    meta = json.loads((bad / "model.json").read_text())
    meta["class_names"] = meta["class_names"] + ["extra"]
    meta["num_classes"] = len(meta["class_names"])  # consistent JSON, weights for 3 classes
    (bad / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="does not match"):
        load_model_for_inference(str(bad), "cpu")
    (bad / "model.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model_for_inference(str(bad), "cpu")
    with pytest.raises(ModelFileError, match="not found"):
        load_model_for_inference(str(tmp_path / "nowhere"), "cpu")


class _Payload:
    marker = ""

    def __reduce__(self):
        return (os.system, (f"touch {_Payload.marker}",))


def test_model_files_with_pickle_payloads_never_run_code(trained_run, tmp_path):
    run, _ = trained_run
    evil = tmp_path / "evil"
    shutil.copytree(run, evil)
    _Payload.marker = str(tmp_path / "pwned")
    for name in ("model.safetensors", "last.ckpt"):
        with open(evil / name, "wb") as f:
            pickle.dump({"weights": _Payload()}, f)
    with pytest.raises(ModelFileError):
        load_model_for_inference(str(evil), "cpu")
    from core.models.checkpoints import load_checkpoint

    with pytest.raises(ModelFileError):
        load_checkpoint(str(evil / "last.ckpt"))
    assert not os.path.exists(_Payload.marker)


def test_the_model_device_becomes_current_on_the_classifying_thread(
    trained_run, new_images, monkeypatch
):
    """The current CUDA device is per thread: a model kept from an earlier classification is
    used on a new thread, which must make the model's GPU current (not GPU 0)."""
    import threading

    import torch

    import core.infer.inference as inference

    run, _ = trained_run
    folder, _ = new_images
    made_current = []
    monkeypatch.setattr(
        inference, "use_device", lambda dev: made_current.append((dev, threading.get_ident()))
    )
    lm = load_model_for_inference(run, "cpu")
    assert made_current == [(torch.device("cpu"), threading.get_ident())]
    worker = threading.Thread(target=lambda: list(classify_folder(lm, str(folder), batch_size=8)))
    worker.start()
    worker.join()
    assert made_current[1:] == [(torch.device("cpu"), worker.ident)]


def test_out_of_memory_halves_the_batch_and_classifies_everything(trained_run, new_images):
    """The error is injected on the CPU: the model's forward raises it once."""
    import torch

    run, _ = trained_run
    folder, _ = new_images
    lm = load_model_for_inference(run, "cpu")
    plain = {i.path: i.label for i in classify_folder(lm, str(folder), batch_size=8)
             if isinstance(i, ClassifiedImage)}  # fmt: skip
    forward, batches, failed = lm.model.forward, [], []

    def fail_once(x):
        # The first full batch (the first 8 files hold the 4 unreadable ones: 4 images).
        if not failed and x.shape[0] == 8:
            failed.append(x.shape[0])
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 1 GiB")
        batches.append(x.shape[0])
        return forward(x)

    lm.model.forward = fail_once
    items = list(classify_folder(lm, str(folder), batch_size=8))
    done = {i.path: i.label for i in items if isinstance(i, ClassifiedImage)}
    assert done == plain  # every image, the same answers
    assert failed and max(batches[1:]) == 4 and sum(batches) == 24
    notes = [i.note for i in items if isinstance(i, ClassifyProgress) and i.note]
    assert notes == ["The CPU ran out of memory at batch size 8: continuing with batch size 4."]
