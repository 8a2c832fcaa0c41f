"""Photo validation and normalisation, on images built in memory with Pillow."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, features

from otesaintjo import images
from otesaintjo.images import (
    ImageRejected,
    check_image,
    normalise_cover_photo,
    normalise_product_photo,
    sniff_format,
)

RED = (220, 30, 30)
BLUE = (30, 60, 200)
GREEN = (20, 160, 40)


# --- builders ---------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def solid(size: tuple[int, int], colour=RED, mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def png(size: tuple[int, int], colour=RED) -> bytes:
    return encode(solid(size, colour), "PNG")


def jpeg(size: tuple[int, int], colour=RED, **params) -> bytes:
    return encode(solid(size, colour), "JPEG", quality=95, **params)


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (21.0, 22.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (55.0, 28.0, 12.0)
    return exif


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def handmade_grey_png(width: int, height: int, rows: int = 4) -> bytes:
    """A tiny PNG declaring ``width``×``height`` 8-bit grey pixels, with only a few real rows."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (width + 1) * rows)
    return (
        images.PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming_size(width: int, height: int) -> bytes:
    """A small real JPEG whose start-of-frame header is patched to claim ``width``×``height``."""
    data = bytearray(jpeg((16, 16)))
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5 : i + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        i += 2 + length
    raise AssertionError("no SOF marker")


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def is_white(pixel) -> bool:
    return all(channel >= 250 for channel in pixel)


def is_close(pixel, colour, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def assert_no_metadata(data: bytes) -> None:
    image = decode(data)
    assert not image.getexif()
    assert b"Exif" not in data
    assert "icc_profile" not in image.info
    assert "xmp" not in image.info
    assert "comment" not in image.info


def rejection(data: bytes, **kwargs) -> str:
    with pytest.raises(ImageRejected) as refused:
        check_image(data, **kwargs)
    assert refused.value.message  # a French sentence for the user
    return refused.value.code


# --- sniffing and acceptance ------------------------------------------------------------------


def test_sniff_format_reads_magic_bytes_only() -> None:
    assert sniff_format(png((2, 2))) == "PNG"
    assert sniff_format(jpeg((2, 2))) == "JPEG"
    assert sniff_format(b"<!doctype html><title>x.png</title>") is None
    assert sniff_format(b"\x89PNG") is None  # incomplete signature
    assert sniff_format(b"") is None


def test_check_image_accepts_png_and_jpeg() -> None:
    assert check_image(png((300, 200))) == ("PNG", 300, 200)
    assert check_image(jpeg((120, 80), exif=exif_with_gps(6))) == ("JPEG", 120, 80)


def test_multi_picture_jpeg_is_reported_as_jpeg() -> None:
    """Pillow opens some camera JPEGs as "MPO"; they are JPEG files all the same."""
    mpo = encode(solid((50, 40)), "MPO", save_all=True, append_images=[solid((50, 40), BLUE)])
    assert check_image(mpo) == ("JPEG", 50, 40)
    assert decode(normalise_product_photo(mpo)).size == (400, 400)


# --- refusals ---------------------------------------------------------------------------------


def refused_formats() -> list:
    """Everything that is not PNG/JPEG by content, whatever it could be named."""
    cases = [
        pytest.param(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", id="pdf"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', id="svg"),
        pytest.param(b"<!doctype html><html><script>alert(1)</script></html>", id="html"),
        pytest.param(b"", id="empty"),
        pytest.param(images.PNG_SIGNATURE + b"garbage" * 20, id="png-signature-then-garbage"),
        pytest.param(images.JPEG_SIGNATURE + b"\xe0garbage", id="jpeg-signature-then-garbage"),
        pytest.param(encode(solid((10, 10)).convert("P"), "GIF"), id="gif"),
        pytest.param(encode(solid((10, 10)), "BMP"), id="bmp"),
        pytest.param(encode(solid((10, 10)), "TIFF"), id="tiff"),
    ]
    if features.check("webp"):
        cases.append(pytest.param(encode(solid((10, 10)), "WEBP"), id="webp"))
    return cases


@pytest.mark.parametrize("data", refused_formats())
def test_not_png_or_jpeg_is_refused(data: bytes) -> None:
    assert rejection(data) == "UNSUPPORTED_IMAGE_FORMAT"


def test_truncated_or_corrupted_png_is_refused() -> None:
    good = png((300, 200))
    assert rejection(good[: len(good) // 2]) == "UNSUPPORTED_IMAGE_FORMAT"
    corrupted = bytearray(good)
    corrupted[-20] ^= 0xFF  # inside IDAT: bad CRC
    assert rejection(bytes(corrupted)) == "UNSUPPORTED_IMAGE_FORMAT"


def test_truncated_jpeg_is_refused_when_normalising() -> None:
    photo = encode(Image.effect_noise((300, 200), 60).convert("RGB"), "JPEG")
    truncated = photo[: len(photo) // 2]
    with pytest.raises(ImageRejected) as refused:
        normalise_product_photo(truncated)
    assert refused.value.code == "UNSUPPORTED_IMAGE_FORMAT"
    with pytest.raises(ImageRejected) as refused:
        normalise_cover_photo(truncated)
    assert refused.value.code == "UNSUPPORTED_IMAGE_FORMAT"


def test_too_many_bytes_is_refused_before_anything_else() -> None:
    huge = images.PNG_SIGNATURE + b"\x00" * (11 * 1024 * 1024)
    assert rejection(huge) == "IMAGE_TOO_LARGE"
    assert rejection(png((20, 20)), max_bytes=10) == "IMAGE_TOO_LARGE"


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (50_000, 50_000),  # Pillow itself raises DecompressionBombError
        (10_000, 10_000),  # Pillow only warns (DecompressionBombWarning)
        (7_000, 7_000),  # 49 MP: under Pillow's limits, over ours
    ],
)
def test_png_decompression_bomb_is_refused_from_its_header(width: int, height: int) -> None:
    bomb = handmade_grey_png(width, height)
    assert len(bomb) < 2_000
    assert rejection(bomb) == "IMAGE_TOO_MANY_PIXELS"
    with pytest.raises(ImageRejected) as refused:
        normalise_product_photo(bomb)
    assert refused.value.code == "IMAGE_TOO_MANY_PIXELS"
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # the global guard is left alone


def test_jpeg_decompression_bomb_is_refused_from_its_header() -> None:
    assert rejection(jpeg_claiming_size(50_000, 50_000)) == "IMAGE_TOO_MANY_PIXELS"
    assert rejection(jpeg_claiming_size(8_000, 6_000)) == "IMAGE_TOO_MANY_PIXELS"


def test_largest_allowed_pixel_count_passes_the_check() -> None:
    assert check_image(handmade_grey_png(8_000, 5_000)) == ("PNG", 8_000, 5_000)


# --- product photo ----------------------------------------------------------------------------


def test_wide_png_is_fitted_and_padded_top_and_bottom_with_white() -> None:
    out = decode(normalise_product_photo(png((200, 100), BLUE)))
    assert out.format == "JPEG"
    assert out.mode == "RGB"
    assert out.size == (400, 400)
    for corner in [(0, 0), (399, 0), (0, 399), (399, 399), (200, 5), (200, 394)]:
        assert is_white(out.getpixel(corner)), corner
    for inside in [(5, 200), (200, 200), (394, 200), (200, 120), (200, 280)]:
        assert is_close(out.getpixel(inside), BLUE), inside


def test_tall_image_is_padded_left_and_right() -> None:
    out = decode(normalise_product_photo(jpeg((100, 300), GREEN)))
    assert out.size == (400, 400)
    for border in [(5, 200), (394, 200), (100, 200), (300, 200)]:
        assert is_white(out.getpixel(border)), border
    for inside in [(200, 5), (200, 200), (200, 394), (150, 200), (250, 200)]:
        assert is_close(out.getpixel(inside), GREEN), inside


def test_small_image_is_upscaled_to_fill_the_width() -> None:
    out = decode(normalise_product_photo(png((100, 50), RED)))
    assert out.size == (400, 400)
    for inside in [(200, 200), (10, 200), (389, 200)]:
        assert is_close(out.getpixel(inside), RED), inside
        assert not is_white(out.getpixel(inside))
    assert is_white(out.getpixel((200, 50)))


def test_custom_size() -> None:
    assert decode(normalise_product_photo(png((30, 60)), size=64)).size == (64, 64)


def test_transparent_areas_become_white_not_black() -> None:
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))  # transparent *black*
    image.paste((*GREEN, 255), (100, 0, 200, 200))
    image.paste((0, 0, 0, 128), (0, 150, 50, 200))  # half-transparent black: mid-grey on white
    out = decode(normalise_product_photo(encode(image, "PNG")))
    assert out.size == (400, 400)
    assert is_white(out.getpixel((100, 200)))
    assert is_close(out.getpixel((300, 200)), GREEN)
    assert is_close(out.getpixel((50, 350)), (127, 127, 127), tolerance=8)


def test_palette_and_grey_alpha_transparency_become_white() -> None:
    palette = Image.new("P", (40, 40), 0)
    palette.putpalette([0, 0, 0, *RED])
    palette.paste(1, (20, 0, 40, 40))
    grey_alpha = Image.new("LA", (40, 40), (0, 0))
    grey_alpha.paste((0, 255), (20, 0, 40, 40))
    for data in [encode(palette, "PNG", transparency=0), encode(grey_alpha, "PNG")]:
        out = decode(normalise_product_photo(data))
        assert is_white(out.getpixel((100, 200)))
        assert not is_white(out.getpixel((300, 200)))


def test_sixteen_bit_grey_png_is_not_turned_white() -> None:
    """``convert("RGB")`` clips 16-bit values: mid-grey 32768 would become 255."""
    data = encode(Image.new("I;16", (50, 50), 32768), "PNG")
    out = decode(normalise_product_photo(data))
    assert is_close(out.getpixel((200, 200)), (128, 128, 128), tolerance=4)


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (50, 50), (0, 255, 255, 0)), "JPEG")
    out = decode(normalise_product_photo(data))
    assert out.mode == "RGB"
    assert is_close(out.getpixel((200, 200)), (255, 0, 0))


def test_exif_orientation_is_applied() -> None:
    """Orientation 6: the stored 200×100 picture is shown rotated 90° clockwise, 100×200."""
    image = solid((200, 100), RED)
    image.paste(BLUE, (100, 0, 200, 100))  # left half red, right half blue
    data = encode(image, "JPEG", quality=95, exif=exif_with_gps(orientation=6))
    assert Image.open(io.BytesIO(data)).getexif()[ExifTags.Base.Orientation] == 6
    out = decode(normalise_product_photo(data))
    # Upright it is taller than wide: 200×400 centred, white bands left and right.
    for border in [(5, 200), (80, 200), (320, 200), (394, 200)]:
        assert is_white(out.getpixel(border)), border
    # Clockwise: the stored left (red) ends up on top, the right (blue) at the bottom.
    assert is_close(out.getpixel((200, 100)), RED)
    assert is_close(out.getpixel((200, 300)), BLUE)


def test_metadata_is_stripped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg(
        (300, 200),
        exif=exif_with_gps(orientation=1),
        icc_profile=srgb,
        comment=b"chez Lea, 12 rue des Letchis",
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>GPSLatitude</x:xmpmeta>",
    )
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture does carry GPS
    assert {"icc_profile", "comment", "xmp"} <= original.info.keys()
    for out in [normalise_product_photo(data), normalise_cover_photo(data)]:
        assert_no_metadata(out)
        assert b"Letchis" not in out
        assert b"GPSLatitude" not in out
        assert is_close(decode(out).getpixel((100, 100)), RED)


def test_broken_icc_profile_is_ignored_not_refused() -> None:
    data = jpeg((60, 40), icc_profile=b"this is not an ICC profile")
    out = normalise_product_photo(data)
    assert_no_metadata(out)
    assert is_close(decode(out).getpixel((200, 200)), RED)


# --- cover photo ------------------------------------------------------------------------------


def test_cover_photo_is_fitted_inside_1600_by_900_without_padding() -> None:
    out = decode(normalise_cover_photo(png((3200, 1200), BLUE)))
    assert out.format == "JPEG"
    assert out.size == (1600, 600)
    assert is_close(out.getpixel((0, 0)), BLUE)
    tall = decode(normalise_cover_photo(jpeg((1000, 2000), GREEN)))
    assert tall.size == (450, 900)


def test_cover_photo_is_never_upscaled() -> None:
    assert decode(normalise_cover_photo(png((320, 200)))).size == (320, 200)


def test_cover_photo_applies_orientation_and_strips_exif() -> None:
    data = jpeg((1800, 1000), exif=exif_with_gps(orientation=8))
    out = normalise_cover_photo(data)
    assert decode(out).size == (500, 900)
    assert_no_metadata(out)
