"""The classifier head is the model's last Linear layer in definition order, wherever it is
defined: Swin's `head` sits on the model itself, after the Linear layers of its blocks."""

from __future__ import annotations

import torch

from core.models.registry import build_model


def test_swin_keeps_its_blocks_and_gets_a_new_head():
    with torch.device("meta"):  # shapes only: no weights allocated
        model = build_model("swin_t", 3)
    assert model.head.out_features == 3
    # The old per-parent search replaced the last block's MLP output (768 -> 3) instead.
    assert model.features[-1][-1].mlp[3].out_features == 768


def test_heads_in_a_classifier_sequential_are_still_found():
    with torch.device("meta"):
        model = build_model("convnext_tiny", 5)
    assert model.classifier[2].out_features == 5
