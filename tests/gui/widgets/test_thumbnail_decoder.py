"""decode_thumbnail: the one decoder behind the Classify tiles and the Data page samples."""

from __future__ import annotations

import pytest

from gui.widgets.thumbnail_cache import decode_thumbnail
from tests.core.image_factory import make_image

pytestmark = pytest.mark.usefixtures("qapp")


def test_big_images_shrink_and_small_ones_grow_only_when_asked(tmp_path):
    big = make_image(tmp_path / "big.jpg", (400, 200))
    digit = make_image(tmp_path / "digit.png", (28, 28), mode="L")
    assert (decode_thumbnail(str(big), 64).width(), decode_thumbnail(str(big), 64).height()) == (
        64,
        32,
    )
    assert decode_thumbnail(str(digit), 76).width() == 28  # Classify tiles: as stored
    assert decode_thumbnail(str(digit), 76, upscale=True).width() == 76  # Data page samples


def test_a_file_qt_cannot_read_goes_through_pil(tmp_path):
    deep = make_image(tmp_path / "deep.tif", (50, 40), mode="I;16")
    image = decode_thumbnail(str(deep), 32)
    assert not image.isNull() and max(image.width(), image.height()) <= 32
    assert decode_thumbnail(str(tmp_path / "missing.jpg"), 32).isNull()
