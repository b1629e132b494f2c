"""core.event_stream: every training event survives the trip through a JSON line exactly
(thumbnails, per-class metrics and top-k pairs included), and a line that is not an event is
refused with one sentence."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from core import events as ev
from core.event_stream import (
    EventDecoder,
    EventEncoder,
    EventStreamError,
    decode,
    encode,
    event_types,
)


def _thumbnail(seed: int, shape=(24, 32, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


EXAMPLES = {
    ev.RunStarted: ev.RunStarted(
        run_dir="/runs/a",
        config={"epochs": 3, "augment": {"hflip": True}, "lr": 0.001, "weights_file": None},
        dataset={"classes": ["cat", "dog"], "counts": {"cat": 10, "dog": 12}},
        class_names=["cat", "dog"],
        device="CPU (2 threads)",
        arch="simple_cnn",
        param_count=1234,
        train_images=18,
        val_images=4,
        steps_per_epoch=3,
        start_epoch=1,
        data_mode="cache",
        plan="Training from scratch because ...",
    ),
    ev.LogMessage: ev.LogMessage("warning", "Ünïcode and\nnew lines survive"),
    ev.StepEnded: ev.StepEnded(0, 2, 2, 3, float("nan"), 0.01, 123.5, float("inf"), True),
    ev.ClassMetrics: ev.ClassMetrics("cat", 0.5, 0.25, 1 / 3, 4),
    ev.EpochEnded: ev.EpochEnded(
        epoch=1,
        epochs=3,
        train_loss=0.7,
        train_acc=0.6,
        val_loss=0.8,
        val_acc=0.5,
        lr=1e-3,
        seconds=2,  # an int where a float is declared: decoded as a float
        per_class=[ev.ClassMetrics("cat", 1.0, 0.5, 2 / 3, 2), ev.ClassMetrics("dog", 0, 0, 0, 2)],
        confusion=[[1, 1], [2, 0]],
        is_best=True,
        best_val_acc=0.5,
    ),
    ev.PredictionSample: ev.PredictionSample(
        _thumbnail(1), "/data/cat/1.png", 0, 1, 0.75, [(1, 0.75), (0, 0.25)]
    ),
    ev.PredictionsSampled: ev.PredictionsSampled(
        epoch=2,
        class_names=["cat", "dog"],
        samples=[
            ev.PredictionSample(_thumbnail(2), "/data/a.png", 0, 0, 0.9, [(0, 0.9), (1, 0.1)]),
            ev.PredictionSample(_thumbnail(3, (8, 8, 3)), "/data/b.png", 1, 0, 0.6, [(0, 0.6)]),
        ],
        all_true=[0, 1, 1],
        all_pred=[0, 0, 1],
    ),
    ev.CheckpointSaved: ev.CheckpointSaved("/runs/a/last.ckpt", "last", 2),
    ev.RunFinished: ev.RunFinished(
        "completed",
        "Completed 3 epochs.",
        "/runs/a",
        3,
        0.75,
        2,
        "/runs/a/model.safetensors",
        verdict="",
        test_acc=None,
        unlabelled_verdict="The unlabelled images helped.",
    ),
}


def _same(a, b) -> bool:
    """Equal, arrays by value (and dtype and shape), NaN equal to NaN, tuples kept as tuples;
    a whole number given for a float field comes back as that float."""
    if isinstance(a, float) and type(b) is int:
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def test_every_event_type_has_an_example_here():
    # An event added to core.events must be added above, so its round trip is proven.
    assert set(event_types().values()) == set(EXAMPLES)


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_every_event_survives_a_json_line(cls):
    event = EXAMPLES[cls]
    line = encode(event)
    assert "\n" not in line  # one event, one line, even with new lines in a message
    back = decode(line + "\n")
    assert _same(back, event), (back, event)


def test_thumbnails_and_numbers_come_back_as_their_types():
    sample = decode(encode(EXAMPLES[ev.PredictionsSampled])).samples[1]
    assert sample.image.dtype == np.uint8 and sample.image.shape == (8, 8, 3)
    assert sample.image.flags.writeable  # the dashboard may hand it to QImage
    assert sample.top_k == [(0, 0.6)] and isinstance(sample.top_k[0], tuple)
    assert type(decode(encode(EXAMPLES[ev.EpochEnded])).seconds) is float
    numpy_scalars = dataclasses.replace(EXAMPLES[ev.ClassMetrics], f1=np.float32(0.5))
    assert decode(encode(numpy_scalars)).f1 == 0.5


def test_a_line_from_a_newer_engine_with_more_fields_still_decodes():
    line = encode(EXAMPLES[ev.CheckpointSaved])[:-1] + ',"world_size":2}'
    assert decode(line) == EXAMPLES[ev.CheckpointSaved]


@pytest.mark.parametrize(
    "line, words",
    [
        ("Epoch 3/10 ...", "not JSON"),
        ("[1, 2]", "no 'event' name"),
        ('{"event": "Exploded"}', "Unknown event 'Exploded'"),
        ('{"event": "LogMessage", "level": "info"}', "lacks its field 'text'"),
        ('{"event": "LogMessage", "level": "loud", "text": "x"}', "should be one of"),
        ('{"event": "CheckpointSaved", "path": "p", "kind": "best", "epoch": "2"}', "int"),
        (
            '{"event": "PredictionSample", "image": {"dtype": "|u1", "shape": [2, 2, 3], '
            '"base64": "AAAA"}, "path": "p", "true_index": 0, "pred_index": 0, '
            '"confidence": 1.0, "top_k": []}',
            "not a readable array",
        ),
    ],
)
def test_garbage_is_refused_with_one_sentence(line, words):
    with pytest.raises(EventStreamError, match=words) as caught:
        decode(line)
    assert "\n" not in str(caught.value)


def test_only_core_events_are_encoded():
    with pytest.raises(TypeError, match="not an event"):
        encode({"epoch": 1})


def test_a_stream_sends_each_thumbnail_once_and_gives_back_the_same_images():
    # The window's events file carries the same 96 thumbnails every epoch: each goes once, on
    # a short line of its own (a long line's parse holds the window's GIL), then by number.
    sampled = EXAMPLES[ev.PredictionsSampled]
    encoder, decoder = EventEncoder(), EventDecoder()
    first, again = encoder.encode(sampled).split("\n"), encoder.encode(sampled).split("\n")
    images = len(sampled.samples)
    assert len(first) == images + 1 and len(again) == 1 and '"base64"' not in again[0]
    assert [decoder.decode(line) for line in first[:-1]] == [None] * images
    one, two = decoder.decode(first[-1]), decoder.decode(again[0])
    assert one.all_pred == two.all_pred == sampled.all_pred
    for a, b, original in zip(one.samples, two.samples, sampled.samples, strict=True):
        assert a.image is b.image and np.array_equal(a.image, original.image)
        assert (a.path, a.top_k) == (b.path, b.top_k) == (original.path, original.top_k)
    # A line that names an array the reader never got is refused in one sentence, and the
    # self-contained lines of `encode` stay readable alone.
    with pytest.raises(EventStreamError, match="not sent before"):
        EventDecoder().decode(again[0])
    alone = decode(encode(sampled))
    assert np.array_equal(alone.samples[0].image, sampled.samples[0].image)
