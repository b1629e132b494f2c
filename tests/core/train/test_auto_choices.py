"""What 'auto' picks for photos and how many epochs it gives a run (core.train.defaults)."""

from __future__ import annotations

from core.data.datasets import DatasetReport
from core.train.config import TrainConfig
from core.train.defaults import auto_epochs, resolve_auto


def _photos(median=(128, 120), train=240) -> DatasetReport:
    counts = {"train": {c: train // 5 for c in "abcde"}}
    return DatasetReport("/d", "flat", list("abcde"), counts, median_size=median)


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(data_dir="/d", out_dir="/o", **kw)


def test_offline_photos_fine_tune_the_bundled_backbone_and_say_why():
    offline = {"efficientnet_lite0"}  # torchvision's weights neither cached nor reachable
    cfg, notes = resolve_auto(_cfg(), _photos(), "cpu", offline.__contains__, train_images=240)
    assert (cfg.arch, cfg.pretrained) == ("efficientnet_lite0", True)
    assert notes[0].startswith("Fine-tuning EfficientNet-Lite0 (ImageNet weights bundled)")
    assert "because" in notes[0]
    assert cfg.image_size == 120  # not enlarged past the photos' own size on a CPU


def test_cached_torchvision_weights_still_come_first():
    cfg, _ = resolve_auto(_cfg(), _photos(), "cpu", lambda arch: True, train_images=240)
    assert (cfg.arch, cfg.pretrained) == ("mobilenet_v3_large", True)


def test_without_any_weights_photos_train_a_small_cnn_from_scratch():
    cfg, notes = resolve_auto(_cfg(), _photos(), "cpu", lambda arch: False, train_images=240)
    assert (cfg.arch, cfg.pretrained) == ("loupe_net", False)
    assert "from scratch because" in notes[0]
    # Not even a GPU makes ResNet-18 learn 240 photos from random weights.
    cfg, _ = resolve_auto(_cfg(), _photos(), "cuda", lambda arch: False, train_images=240)
    assert cfg.arch == "loupe_net"
    cfg, _ = resolve_auto(_cfg(), _photos(), "cuda", lambda arch: False, train_images=20_000)
    assert cfg.arch == "resnet18"


def test_auto_epochs_give_a_small_dataset_enough_optimizer_steps():
    # The case: 240 training images, batch 64. Ten epochs were only 40 steps.
    assert 240 // 64 * auto_epochs(240, 64, fine_tuning=True) >= 75
    assert auto_epochs(240, 64, fine_tuning=False) > auto_epochs(240, 64, fine_tuning=True)
    # Large datasets keep at least the old number of passes and never explode.
    assert auto_epochs(50_000, 64, fine_tuning=False) == 10
    assert auto_epochs(10, 64, fine_tuning=False) <= 60
    cfg, notes = resolve_auto(_cfg(), _photos(), "cpu", {"efficientnet_lite0"}.__contains__, 240)
    assert cfg.epochs == auto_epochs(240, 64, True)
    assert any("optimizer steps" in n for n in notes)


def test_epochs_the_user_chose_are_kept():
    cfg, _ = resolve_auto(_cfg(epochs=3), _photos(), "cpu", lambda arch: False, 240)
    assert cfg.epochs == 3


def test_best_accuracy_preset_never_trains_a_big_network_from_scratch_on_few_photos():
    """The issue's case: MobileNetV3-Large chosen, offline, 240 photos. A preset chooses the
    architecture too: auto, which fine-tunes ImageNet weights for photos (bundled offline)."""
    from core.train.presets import BEST, PresetContext, preset_recipe

    for context in (PresetContext(), PresetContext(small_images=True)):
        recipe = preset_recipe(BEST, context)
        assert recipe["arch"] == "auto" and recipe["weights_file"] is None
