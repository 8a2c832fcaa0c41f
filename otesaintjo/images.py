"""Uploaded photos: refuse anything that is not a real PNG/JPEG, then re-encode it.

Uploads are hostile input. We decide the format from the bytes (never from the file name or the
declared content type), refuse decompression bombs from the header before any pixel is decoded,
and never serve the original bytes: the normalised photo is a fresh JPEG, without EXIF (GPS
position of the seller's home), ICC profile, XMP or comments.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from PIL import Image, ImageOps

try:  # Pillow wheels ship LittleCMS; a distribution build may not.
    from PIL import ImageCms
except ImportError:  # pragma: no cover - depends on how Pillow was built
    ImageCms = None  # type: ignore[assignment]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
PRODUCT_SIZE = 400
COVER_BOX = (1600, 900)
JPEG_QUALITY = 88

UNSUPPORTED_IMAGE_FORMAT = "UNSUPPORTED_IMAGE_FORMAT"
IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
IMAGE_TOO_MANY_PIXELS = "IMAGE_TOO_MANY_PIXELS"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
WHITE = (255, 255, 255)
_SIXTEEN_BIT_GREY = ("I;16", "I;16L", "I;16B", "I;16N", "I")


class ImageRejected(Exception):
    """An upload we refuse; ``message`` is French and can be shown to the user as is."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _unsupported() -> ImageRejected:
    return ImageRejected(
        UNSUPPORTED_IMAGE_FORMAT,
        "Ce fichier n'est pas une image valide : envoyez une photo JPEG ou PNG.",
    )


def _too_many_pixels() -> ImageRejected:
    return ImageRejected(
        IMAGE_TOO_MANY_PIXELS,
        f"L'image est trop grande ({MAX_PIXELS // 1_000_000} mégapixels maximum).",
    )


def _too_large(max_bytes: int) -> ImageRejected:
    if max_bytes >= 1024 * 1024:
        limit = f"{max_bytes / (1024 * 1024):g} Mo"
    else:
        limit = f"{max_bytes / 1024:g} Ko"
    return ImageRejected(IMAGE_TOO_LARGE, f"L'image est trop lourde ({limit} maximum).")


def sniff_format(data: bytes) -> str | None:
    """The format according to the magic bytes: ``"PNG"``, ``"JPEG"`` or ``None``."""
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(JPEG_SIGNATURE):
        return "JPEG"
    return None


@contextmanager
def _pillow_errors() -> Iterator[None]:
    """Turn whatever Pillow raises on hostile bytes into an ``ImageRejected``.

    Parsers of untrusted data raise a zoo of exceptions (``OSError``, ``SyntaxError``,
    ``ValueError``, ``struct.error``, ``EOFError``…); all of them mean "not an image we accept",
    never a server error. Pillow's own bomb guard is reported as a pixel-count refusal.
    """
    try:
        yield
    except ImageRejected:
        raise
    except MemoryError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:
        raise _unsupported() from exc


def _open(data: bytes) -> Image.Image:
    """Parse the header only (no pixel is decoded), restricted to the PNG and JPEG plugins.

    Pillow's bomb check runs inside ``Image.open``: above ``MAX_IMAGE_PIXELS`` it only warns,
    above twice that it raises. The warning becomes an error here. Note: ``catch_warnings`` changes
    process-wide state, which is not thread-safe before Python 3.14; our own ``MAX_PIXELS`` check
    refuses those sizes anyway, so a lost filter would only cost a log line.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])


def check_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> tuple[str, int, int]:
    """Cheap structural check of an upload: returns ``(format, width, height)`` or raises.

    Order matters: byte size first, magic bytes next, then the dimensions read from the header
    (a 50,000×50,000 PNG of a few hundred bytes is refused without allocating its pixels), and
    only then ``verify()``. ``verify()`` checks PNG chunk CRCs but does not decode JPEG data, so a
    truncated JPEG passes here and is refused by the ``normalise_*`` functions, which decode.
    The format returned is the sniffed one: multi-picture JPEGs (MPO) are reported as JPEG.
    """
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    fmt = sniff_format(data)
    if fmt is None:
        raise _unsupported()
    with _pillow_errors(), _open(data) as image:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _unsupported()
        if width * height > MAX_PIXELS:
            raise _too_many_pixels()
        image.verify()
    return fmt, width, height


def decode_fully(data: bytes) -> None:
    """Decode every pixel (after ``check_image``): a truncated or corrupt JPEG, which
    ``verify()`` lets through, is refused here. CPU-bound: call it in a thread."""
    with _pillow_errors(), _open(data) as image:
        image.load()


def _decode_upright(data: bytes, longest_needed: int) -> tuple[Image.Image, bytes | None]:
    """Decode, rotate per EXIF orientation; also return the embedded ICC profile, if any.

    ``draft`` lets libjpeg decode a big JPEG at 1/2, 1/4 or 1/8 scale while keeping both sides
    at least ``longest_needed``: a 12 MP phone photo needed at 400 px costs 0.75 MP of memory.
    It must be called before anything loads the pixels.
    """
    image = _open(data)
    icc = image.info.get("icc_profile")
    image.draft(None, (longest_needed, longest_needed))
    ImageOps.exif_transpose(image, in_place=True)  # no full-size copy of a 40 MP image
    return image, icc if isinstance(icc, bytes) and icc else None


def _flatten(image: Image.Image) -> Image.Image:
    """Any mode to RGB, L or CMYK, with transparency composited onto white.

    Converting RGBA straight to RGB drops alpha and shows whatever colour hides under the
    transparent pixels (usually black); 16-bit grey PNGs would clip to white on ``convert``.
    """
    if image.mode in _SIXTEEN_BIT_GREY:
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.has_transparency_data:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        background = Image.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba)  # alpha-blends onto white
        return background
    if image.mode in ("RGB", "L", "CMYK"):
        return image
    return image.convert("RGB")


def _fit(image: Image.Image, box: tuple[int, int], *, upscale: bool) -> Image.Image:
    """Resize to fit inside ``box`` keeping the aspect ratio (never crops)."""
    width, height = image.size
    scale = min(box[0] / width, box[1] / height)
    if not upscale:
        scale = min(scale, 1.0)
    target = (
        max(1, min(box[0], round(width * scale))),
        max(1, min(box[1], round(height * scale))),
    )
    if target == image.size:
        return image
    return image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    assert ImageCms is not None
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB: since the profile is stripped, its colours must be baked into the pixels.

    An iPhone photo is Display P3: dropping the profile without converting washes it out.
    A broken or mismatched profile is ignored (plain conversion), it is not worth a refusal.
    """
    if icc is not None and ImageCms is not None:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None
        if converted is not None:
            return converted
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image) -> bytes:
    """Encode a fresh copy: ``info`` of decoded images leaks into saves (JPEG comments do)."""
    clean = Image.new("RGB", image.size, WHITE)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def normalise_product_photo(data: bytes, size: int = PRODUCT_SIZE) -> bytes:
    """A ``size``×``size`` JPEG: the whole photo fitted (up- or down-scaled), centred on white.

    Product grids need identical squares; cropping could cut off the product, so we pad.
    """
    check_image(data)
    with _pillow_errors():
        image, icc = _decode_upright(data, size)
        fitted = _to_srgb(_fit(_flatten(image), (size, size), upscale=True), icc)
        canvas = Image.new("RGB", (size, size), WHITE)
        canvas.paste(fitted, ((size - fitted.width) // 2, (size - fitted.height) // 2))
        return _encode_jpeg(canvas)


def normalise_cover_photo(data: bytes) -> bytes:
    """A JPEG fitting inside 1600×900, never upscaled nor padded, metadata stripped."""
    check_image(data)
    with _pillow_errors():
        image, icc = _decode_upright(data, max(COVER_BOX))
        fitted = _to_srgb(_fit(_flatten(image), COVER_BOX, upscale=False), icc)
        return _encode_jpeg(fitted)
