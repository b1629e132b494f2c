"""core.data.imaging: decoding, mode conversion, EXIF orientation, corrupt files, resizing."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFile

from core.data import imaging
from core.errors import ImageLoadError
from tests.core.image_factory import (
    CORRUPT_KINDS,
    make_exif_rotated_jpeg,
    make_gradient_16bit_png,
    make_image,
    save_image,
    write_corrupt,
    write_png_short_pixel_data,
    write_too_large,
)


def _pixel(img: Image.Image, xy=(0, 0)) -> np.ndarray:
    return np.asarray(img)[xy[1], xy[0]].astype(int)


def _stored_mode(path) -> str:
    with Image.open(path) as img:
        return img.mode


def _close(actual, expected, tol: int = 6) -> bool:
    return bool(np.all(np.abs(np.asarray(actual, int) - np.asarray(expected, int)) <= tol))


@pytest.mark.parametrize(
    "name", ["a.jpg", "B.JPEG", "c.Png", "d.bmp", "e.gif", "f.tif", "g.TIFF", "h.webp"]
)
def test_image_names_in_any_case(name):
    assert imaging.is_image_name(name)


@pytest.mark.parametrize("name", ["notes.txt", "photo.jpg.bak", "README", "raw.cr2", ".jpg"])
def test_other_names_are_not_images(name):
    assert not imaging.is_image_name(name)


def test_rgb_png_round_trip(tmp_path):
    path = make_image(tmp_path / "red.png", (8, 6), (200, 30, 40))
    img = imaging.open_rgb(str(path))
    assert img.mode == "RGB" and img.size == (8, 6)
    assert _close(_pixel(img), (200, 30, 40), 0)


def test_grayscale_becomes_three_equal_channels(tmp_path):
    path = make_image(tmp_path / "g.png", color=(90, 90, 90), mode="L")
    img = imaging.open_rgb(str(path))
    assert img.mode == "RGB" and _close(_pixel(img), (90, 90, 90), 0)


def test_rgba_is_composited_on_white(tmp_path):
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))  # fully transparent red
    img.putpixel((1, 1), (0, 0, 255, 255))  # one opaque blue pixel
    img.putpixel((2, 2), (0, 0, 0, 128))  # half-transparent black
    path = save_image(img, tmp_path / "a.png")
    out = imaging.open_rgb(str(path))
    assert _close(_pixel(out, (0, 0)), (255, 255, 255), 0)
    assert _close(_pixel(out, (1, 1)), (0, 0, 255), 0)
    assert _close(_pixel(out, (2, 2)), (127, 127, 127), 2)


def test_la_is_composited_on_white(tmp_path):
    img = Image.new("LA", (3, 3), (0, 0))
    img.putpixel((1, 1), (0, 255))
    out = imaging.open_rgb(str(save_image(img, tmp_path / "la.png")))
    assert _close(_pixel(out, (0, 0)), (255, 255, 255), 0)
    assert _close(_pixel(out, (1, 1)), (0, 0, 0), 0)


def test_palette_with_transparent_index_is_white(tmp_path):
    img = Image.new("P", (4, 4), 0)
    img.putpalette([10, 200, 10, 200, 10, 10] + [0, 0, 0] * 254)
    img.putpixel((3, 3), 1)
    img.info["transparency"] = 0
    path = save_image(img, tmp_path / "p.png")
    assert _stored_mode(path) == "P"
    out = imaging.open_rgb(str(path))
    assert _close(_pixel(out, (0, 0)), (255, 255, 255), 0)  # transparent green -> white
    assert _close(_pixel(out, (3, 3)), (200, 10, 10), 0)


def test_palette_gif_without_transparency(tmp_path):
    path = make_image(tmp_path / "p.gif", color=(0, 0, 255), mode="P")
    assert _close(_pixel(imaging.open_rgb(str(path))), (0, 0, 255), 8)


def test_transparent_gif(tmp_path):
    path = save_image(Image.new("RGBA", (4, 4), (255, 0, 0, 0)), tmp_path / "t.gif")
    assert _close(_pixel(imaging.open_rgb(str(path))), (255, 255, 255), 0)


def test_cmyk_jpeg_colours(tmp_path):
    # Pillow writes CMYK JPEGs with an Adobe marker (inverted storage); reading must undo it.
    path = save_image(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), tmp_path / "c.jpg")
    assert _stored_mode(path) == "CMYK"
    assert _close(_pixel(imaging.open_rgb(str(path))), (255, 0, 0), 10)


def test_sixteen_bit_png_is_scaled_not_clipped(tmp_path):
    path = make_gradient_16bit_png(tmp_path / "g16.png", (32, 4), high=4095)
    assert _stored_mode(path).startswith("I")
    row = np.asarray(imaging.open_rgb(str(path)))[0, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255
    assert 100 < row[16] < 160  # mid-grey in the middle, not clipped white
    assert np.all(np.diff(row) >= 0)


def test_big_endian_16bit_and_float_images_scale():
    big_endian = Image.fromarray((np.arange(12).reshape(3, 4) * 1000).astype(">u2"))
    assert big_endian.mode == "I;16B"
    values = np.asarray(imaging.to_rgb(big_endian))[..., 0]
    assert values[0, 0] == 0 and values[-1, -1] == 255
    as_float = Image.fromarray(np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4))
    values = np.asarray(imaging.to_rgb(as_float))[..., 1]
    assert values[0, 0] == 0 and values[-1, -1] == 255


def test_one_bit_image(tmp_path):
    img = Image.new("1", (4, 4), 0)
    img.putpixel((1, 1), 1)
    out = imaging.open_rgb(str(save_image(img, tmp_path / "b.png")))
    assert _close(_pixel(out, (0, 0)), (0, 0, 0), 0)
    assert _close(_pixel(out, (1, 1)), (255, 255, 255), 0)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied(tmp_path, orientation):
    path = make_exif_rotated_jpeg(tmp_path / "r.jpg", (40, 20), orientation)
    img = imaging.open_rgb(str(path))
    expected_size = (20, 40) if orientation in (6, 8) else (40, 20)
    assert img.size == expected_size
    # The red block stored top-left ends up where a viewer would show it.
    w, h = img.size
    corner = {3: (w - 1, h - 1), 6: (w - 1, 0), 8: (0, h - 1)}[orientation]
    assert _close(_pixel(img, corner), (255, 0, 0), 40)
    assert imaging.quick_check(str(path)) == (None, expected_size)


@pytest.mark.parametrize("kind", sorted(CORRUPT_KINDS))
def test_corrupt_files_raise_with_reason(tmp_path, kind):
    path, reason = write_corrupt(kind, tmp_path)
    with pytest.raises(ImageLoadError) as info:
        imaging.open_rgb(str(path))
    assert info.value.reason == reason
    assert info.value.path == str(path)
    assert str(path) in str(info.value)


def _with_exif_chunk_before_end(png: Path, orientation: int) -> Path:
    """The PNG with an eXIf chunk after its pixels, where some tools write it (Pillow's
    own writer puts it before)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    payload = exif.tobytes()
    chunk = struct.pack(">I", len(payload)) + b"eXIf" + payload
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + payload) & 0xFFFFFFFF)
    data = png.read_bytes()
    end = data.rindex(b"IEND") - 4  # the IEND chunk starts with its length
    png.write_bytes(data[:end] + chunk + data[end:])
    return png


def test_quick_check_of_a_png_decodes_no_pixels(tmp_path, monkeypatch):
    """The dataset scan checks every file: for PNGs it decoded each one in full (Pillow's
    getexif loads the image to look for EXIF after the pixels), as slow as training's own
    decode for big screenshots."""
    plain = make_image(tmp_path / "plain.png", (40, 20))
    late = _with_exif_chunk_before_end(make_image(tmp_path / "late.png", (40, 20)), 6)
    decoded = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda img: decoded.append(img.format) or real_load(img)
    )
    assert imaging.quick_check(str(plain)) == (None, (40, 20))
    assert decoded == []
    # An orientation stored after the pixels still turns the size as a viewer shows it.
    assert imaging.quick_check(str(late)) == (None, (20, 40))
    monkeypatch.undo()
    assert imaging.open_rgb(str(late)).size == (20, 40)


@pytest.mark.parametrize("kind", sorted(CORRUPT_KINDS))
def test_quick_check_reports_corrupt_files(tmp_path, kind):
    path, reason = write_corrupt(kind, tmp_path)
    assert imaging.quick_check(str(path))[0] == reason


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(ImageLoadError, match="unreadable: file not found"):
        imaging.open_rgb(str(tmp_path / "gone.jpg"))
    assert imaging.quick_check(str(tmp_path / "gone.jpg")) == ("unreadable: file not found", None)


def test_damage_inside_the_file_is_found_by_full_decode(tmp_path):
    path = write_png_short_pixel_data(tmp_path / "short.png")
    assert imaging.quick_check(str(path)) == (None, (48, 48))
    with pytest.raises(ImageLoadError) as info:
        imaging.open_rgb(str(path))
    assert info.value.reason == "truncated"


def test_load_truncated_images_stays_off():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# pytest resets warning filters per test, so the 3000 case also proves the explicit size check.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("limit", [1000, 3000])  # 3000 < 64*64 < 6000: Pillow only warns
def test_too_large_images(tmp_path, monkeypatch, limit):
    path = write_too_large(tmp_path / "big.png", (64, 64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    expected = "too large (64×64 pixels, over Pillow's decompression-bomb limit)"
    assert imaging.quick_check(str(path)) == (expected, None)
    with pytest.raises(ImageLoadError) as info:
        imaging.open_rgb(str(path))
    assert info.value.reason == expected


def test_quick_check_accepts_padding_after_jpeg_end(tmp_path):
    path = make_image(tmp_path / "pad.jpg", (20, 10))
    path.write_bytes(path.read_bytes() + b"\x00" * 300 + b"junk")
    assert imaging.quick_check(str(path)) == (None, (20, 10))
    assert imaging.open_rgb(str(path)).size == (20, 10)


def _big_jpeg(path: Path, size=(400, 300)) -> Path:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    return save_image(Image.fromarray(pixels), path, quality=85)


def test_draft_decodes_jpeg_smaller_but_not_below_request(tmp_path):
    path = str(_big_jpeg(tmp_path / "big.jpg"))
    assert imaging.open_rgb(path).size == (400, 300)
    assert imaging.open_rgb(path, draft_size=64).size == (100, 75)
    small = imaging.open_rgb(path, draft_size=140)
    assert min(small.size) >= 140 and small.size[0] < 400


def test_load_square_crop_keeps_the_centre(tmp_path):
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    ImageDraw.Draw(img).rectangle((10, 0, 29, 19), fill=(255, 0, 0))
    path = str(save_image(img, tmp_path / "wide.png"))
    square = imaging.load_square(path, 10)
    assert square.shape == (10, 10, 3) and square.dtype == np.uint8
    assert _close(square[5, 5], (255, 0, 0), 0)
    assert square[..., 0].min() > 200  # the blue sides were cropped away
    squashed = imaging.load_square(path, 10, mode="squash")
    assert _close(squashed[5, 0], (0, 0, 255), 0) and _close(squashed[5, 5], (255, 0, 0), 0)


def test_load_square_from_jpeg_and_small_images(tmp_path):
    path = str(_big_jpeg(tmp_path / "big.jpg"))
    assert imaging.load_square(path, 64).shape == (64, 64, 3)
    tiny = str(make_image(tmp_path / "tiny.png", (5, 3), (1, 2, 3)))
    out = imaging.load_square(tiny, 16)
    assert out.shape == (16, 16, 3) and _close(out[8, 8], (1, 2, 3), 0)
    with pytest.raises(ValueError):
        imaging.load_square(tiny, 16, mode="stretch")


def test_thumbnail_keeps_aspect(tmp_path):
    path = str(_big_jpeg(tmp_path / "big.jpg"))
    thumb = imaging.thumbnail_array(path, 50)
    assert thumb.shape == (38, 50, 3) and thumb.dtype == np.uint8
