"""The "Tutorial recipe" preset is the classic PyTorch CIFAR-10 tutorial, exactly."""

from __future__ import annotations

import torch
from torch import nn

from core.cli.commands import _train_config, build_parser
from core.models.registry import arch_info, build_model
from core.train.optim import build_loss, build_optimizer, lr_factor


def _config(*flags: str):
    args = build_parser().parse_args(["train", "/data", "--out", "/run", *flags])
    return _train_config(args)


def test_cli_preset_tutorial_is_the_tutorials_recipe():
    cfg = _config("--preset", "tutorial")
    assert (cfg.arch, cfg.image_size, cfg.batch_size, cfg.epochs) == ("simple_cnn", 32, 4, 2)
    assert cfg.mixed_precision == "off" and cfg.label_smoothing == 0.0
    aug = cfg.augment
    assert not (aug.hflip or aug.vflip or aug.random_resized_crop or aug.trivial_augment)
    assert aug.rotation_degrees == 0 and aug.color_jitter == 0
    model = build_model(cfg.arch, 10)
    opt = build_optimizer(model.parameters(), cfg, cfg.lr)
    assert isinstance(opt, torch.optim.SGD)  # core.train.eager_optimizers: a subclass
    group = opt.param_groups[0]
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.001, 0.9, 0.0)
    assert group["nesterov"] is False
    assert all(lr_factor(cfg, step, 5000, 2500) == 1.0 for step in (0, 1, 2500, 4999))
    loss = build_loss(cfg, [10] * 10)
    assert type(loss) is nn.CrossEntropyLoss and loss.label_smoothing == 0.0


def test_the_tutorial_network_layer_by_layer():
    """conv(3->6, 5) pool conv(6->16, 5) pool, 16*5*5 -> 120 -> 84 -> classes, at 32 px."""
    model = build_model("simple_cnn", 10)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (3, 6, (5, 5), (0, 0)),
        (6, 16, (5, 5), (0, 0)),
    ]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(400, 120), (120, 84), (84, 10)]
    x = torch.randn(2, 3, 32, 32)
    assert model.features[:-1](x).shape == (2, 16, 5, 5)  # the adaptive pool has nothing to do
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 10)  # its smallest input
    assert arch_info("simple_cnn").min_image_size == 16


def test_flags_given_with_a_preset_change_it():
    cfg = _config("--preset", "tutorial", "--epochs", "5", "--batch-size", "8")
    assert (cfg.epochs, cfg.batch_size, cfg.optimizer) == (5, 8, "sgd")


def test_nesterov_is_its_own_optimizer_choice():
    cfg = _config("--optimizer", "nesterov", "--lr", "0.1")
    opt = build_optimizer(build_model("simple_cnn", 3).parameters(), cfg, cfg.lr)
    assert opt.param_groups[0]["nesterov"] is True
