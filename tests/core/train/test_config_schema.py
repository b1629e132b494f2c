"""config.json is read back as untrusted input: a wrong type is refused in one sentence
naming the file and the field, never a traceback from deep inside (issue 8, item 5)."""

from __future__ import annotations

import json

import pytest

from core.errors import LoupeError
from core.train.config import TrainConfig, read_config, to_dict


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ([1], "the file must be a JSON object, not list"),
        ({"epochs": "many"}, "'epochs' must be a whole number, not \"many\""),
        ({"epochs": 1.5}, "'epochs' must be a whole number, not 1.5"),
        ({"lr": "NaN"}, "'lr' must be a finite number"),
        ({"pretrained": "yes"}, "'pretrained' must be true or false"),
        ({"optimizer": "adamz"}, "'optimizer' must be one of 'auto', 'sgd', "),  # the list grows
        ({"augment": {"hflip": 1}}, "'augment.hflip' must be true or false, not 1"),
        ({"weights_file": 3}, "'weights_file' must be text or null, not 3"),
    ],
)
def test_a_bad_config_json_names_the_file_and_the_field(tmp_path, content, words):
    path = tmp_path / "config.json"
    if isinstance(content, dict):
        content = {**to_dict(TrainConfig(data_dir="/d", out_dir=str(tmp_path))), **content}
    path.write_text(json.dumps(content))
    with pytest.raises(LoupeError) as caught:
        read_config(str(path))
    assert str(caught.value).startswith(f"{path}: ")
    assert words in str(caught.value)


def test_a_good_config_json_round_trips_and_unknown_keys_are_ignored(tmp_path):
    config = TrainConfig(data_dir="/d", out_dir=str(tmp_path), epochs=7, weights_file=None)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**to_dict(config), "from_a_newer_loupe": [1, 2]}))
    assert read_config(str(path)) == config
