"""Product pictures for the demo town, drawn with Pillow: no image files to ship or license.

Pillow is imported lazily inside :func:`draw_product_picture`, so the demo data can be imported
without it. The drawing is deterministic for a given (product, seed).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import zlib

from otesaintjo.demo.model import DemoProduct

_SHAPES: tuple[str, ...] = ("round", "box", "stack", "jar", "bag")
_SMALL_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "au", "aux", "a", "en", "et", "pour", "sur", "avec"}
    | {"kg", "ml", "cl", "mm", "lot", "env", "pouces", "parts", "part", "pot", "x"}
)
_SUPERSAMPLE = 2


# Pillow's embedded default font has no precomposed accented letters: fold them for drawing.
_FOLD = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "–": "-", "—": "-", "×": "x", "’": "'"}
    | {"\u00a0": " ", "\u202f": " ", "…": "..."}
)


def _drawable(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _initials(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[A-Za-z]+", plain)
    significant = [w for w in words if len(w) > 1 and w.lower() not in _SMALL_WORDS]
    chosen = significant or words or ["?"]
    return "".join(w[0] for w in chosen[:2]).upper()


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    """Blend ``a`` toward ``b`` by ``t`` (0 = a, 1 = b)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _is_dark(colour: tuple[int, int, int]) -> bool:
    r, g, b = colour
    return 0.299 * r + 0.587 * g + 0.114 * b < 150


@functools.lru_cache(maxsize=16)
def _font(size: int):  # returns a Pillow FreeTypeFont
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _fit_text(draw, text: str, font, max_width: float) -> str:
    if draw.textlength(text, font=font) <= max_width:
        return text
    while len(text) > 1 and draw.textlength(text + "...", font=font) > max_width:
        text = text[:-1]
    return text.rstrip() + "..."


def _centered_text(draw, xy: tuple[float, float], text: str, font, fill) -> None:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = xy[0] - (left + right) / 2
    y = xy[1] - (top + bottom) / 2
    draw.text((x, y), text, font=font, fill=fill)


def draw_product_picture(product: DemoProduct, *, seed: int = 0) -> bytes:
    """A PNG (not square: e.g. 640×480 or 480×640 depending on seed) with a light background,
    a simple drawn object in the product's colour (ellipse/rounded rectangle/stacked shapes chosen
    deterministically from the name), and the product's initials; deterministic for a given
    (product, seed); uses only Pillow's built-in default font (ImageFont.load_default(size=...))
    — no font files, no network."""
    import io

    from PIL import Image, ImageDraw

    landscape = seed % 2 == 0
    out_w, out_h = (640, 480) if landscape else (480, 640)
    k = _SUPERSAMPLE
    w, h = out_w * k, out_h * k

    jitter = hashlib.blake2b(f"{product.name}\x00{seed}".encode(), digest_size=16).digest()
    shape = _SHAPES[zlib.crc32(product.name.encode()) % len(_SHAPES)]

    white = (255, 255, 255)
    black = (0, 0, 0)
    colour = tuple(max(0, min(255, int(c))) for c in product.colour)
    dark = _mix(colour, black, 0.35)
    light = _mix(colour, white, 0.45)
    bg_top = _mix(colour, white, 0.93)
    bg_bottom = _mix(colour, white, 0.80)

    img = Image.new("RGB", (w, h), bg_top)
    draw = ImageDraw.Draw(img)

    # Vertical gradient, drawn as thin bands (much cheaper than a per-pixel gradient).
    bands = 48
    for i in range(bands):
        y0 = h * i // bands
        y1 = h * (i + 1) // bands
        draw.rectangle((0, y0, w, y1), fill=_mix(bg_top, bg_bottom, i / (bands - 1)))

    # A few soft confetti circles in the background.
    for i in range(4):
        cx = jitter[i] / 255 * w
        cy = jitter[i + 4] / 255 * h
        r = (0.05 + jitter[i + 8] / 255 * 0.10) * min(w, h)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_mix(bg_top, colour, 0.10))

    base = min(w, h) * 0.46
    cx = w / 2 + (jitter[12] - 128) / 128 * w * 0.03
    cy = h * 0.46 + (jitter[13] - 128) / 128 * h * 0.02
    outline_w = max(2, round(base * 0.018))

    # Shadow under the object, touching its bottom edge.
    bottom_factor = {"round": 0.5, "box": 0.425, "stack": 0.48, "jar": 0.475, "bag": 0.45}
    shadow = _mix(bg_bottom, black, 0.12)
    sy = cy + base * (bottom_factor[shape] + 0.02)
    draw.ellipse((cx - base * 0.62, sy - base * 0.08, cx + base * 0.62, sy + base * 0.08), shadow)

    text_fill = white if _is_dark(colour) else _mix(colour, black, 0.6)
    text_cy = cy

    if shape == "round":
        rx, ry = base * 0.6, base * 0.5
        draw.ellipse(
            (cx - rx, cy - ry, cx + rx, cy + ry), fill=colour, outline=dark, width=outline_w
        )
        hx, hy = cx - rx * 0.45, cy - ry * 0.5
        draw.ellipse((hx - rx * 0.22, hy - ry * 0.14, hx + rx * 0.22, hy + ry * 0.14), fill=light)
        leaf = (70, 150, 70)
        draw.line((cx, cy - ry, cx + rx * 0.05, cy - ry - base * 0.1), fill=dark, width=outline_w)
        lx, ly = cx + rx * 0.2, cy - ry - base * 0.08
        draw.ellipse((lx - base * 0.12, ly - base * 0.05, lx + base * 0.12, ly + base * 0.05), leaf)
    elif shape == "box":
        bw, bh = base * 1.2, base * 0.85
        x0, y0, x1, y1 = cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2
        rad = base * 0.08
        draw.rounded_rectangle((x0, y0, x1, y1), rad, fill=colour, outline=dark, width=outline_w)
        draw.rounded_rectangle((x0, y0, x1, y0 + bh * 0.2), rad, fill=dark)
        draw.rounded_rectangle(
            (cx - bw * 0.3, cy - bh * 0.18, cx + bw * 0.3, cy + bh * 0.32),
            rad,
            fill=_mix(colour, white, 0.85),
        )
        text_fill = _mix(colour, black, 0.55)
        text_cy = cy + bh * 0.07
    elif shape == "stack":
        layer_h = base * 0.3
        widths = (1.25, 1.05, 0.85)
        shades = (_mix(colour, black, 0.15), colour, _mix(colour, white, 0.2))
        for i, (factor, fill) in enumerate(zip(widths, shades, strict=True)):
            lw = base * factor
            ly1 = cy + base * 0.48 - i * layer_h * 0.92
            ly0 = ly1 - layer_h
            draw.rounded_rectangle(
                (cx - lw / 2, ly0, cx + lw / 2, ly1),
                layer_h / 2,
                fill=fill,
                outline=dark,
                width=outline_w,
            )
        text_cy = cy + base * 0.48 - layer_h * 1.4
        text_fill = white if _is_dark(colour) else _mix(colour, black, 0.6)
    elif shape == "jar":
        jw, jh = base * 0.85, base * 0.95
        x0, y0, x1, y1 = cx - jw / 2, cy - jh / 2 + base * 0.06, cx + jw / 2, cy + jh / 2
        draw.rounded_rectangle(
            (x0, y0, x1, y1), base * 0.14, fill=colour, outline=dark, width=outline_w
        )
        lid_w = jw * 0.8
        draw.rounded_rectangle(
            (cx - lid_w / 2, y0 - base * 0.16, cx + lid_w / 2, y0 + base * 0.04),
            base * 0.04,
            fill=dark,
        )
        draw.rectangle(
            (x0 + outline_w, cy - jh * 0.16, x1 - outline_w, cy + jh * 0.3),
            fill=_mix(colour, white, 0.85),
        )
        text_fill = _mix(colour, black, 0.55)
        text_cy = cy + jh * 0.07
    else:  # "bag"
        bw, bh = base * 1.0, base * 0.9
        x0, y0, x1, y1 = cx - bw / 2, cy - bh / 2 + base * 0.08, cx + bw / 2, cy + bh / 2
        hr = bw * 0.22
        draw.arc(
            (cx - hr, y0 - hr * 1.1, cx + hr, y0 + hr * 0.9),
            180,
            360,
            fill=dark,
            width=outline_w * 3,
        )
        draw.polygon(
            [(x0 + bw * 0.06, y0), (x1 - bw * 0.06, y0), (x1, y1), (x0, y1)],
            fill=colour,
            outline=dark,
            width=outline_w,
        )
        text_cy = (y0 + y1) / 2

    # Initials on the object.
    initials = _initials(product.name)
    _centered_text(draw, (cx, text_cy), initials, _font(round(base * 0.3)), text_fill)

    # Category pill (top left) and product name caption (bottom).
    small = _font(round(min(w, h) * 0.045))
    pad = min(w, h) * 0.03
    cat = _drawable(product.category.replace("-", " "))
    left, top, right, bottom = draw.textbbox((0, 0), cat, font=small)
    pill_w = right - left + pad * 1.6
    pill_h = bottom - top + pad * 0.9
    draw.rounded_rectangle((pad, pad, pad + pill_w, pad + pill_h), pill_h / 2, fill=colour)
    pill_text = white if _is_dark(colour) else _mix(colour, black, 0.65)
    _centered_text(draw, (pad + pill_w / 2, pad + pill_h / 2), cat, small, pill_text)

    caption_font = _font(round(min(w, h) * 0.055))
    caption = _fit_text(draw, _drawable(product.name), caption_font, w - 4 * pad)
    _centered_text(draw, (w / 2, h - pad * 2.6), caption, caption_font, (45, 45, 50))

    img = img.reduce(k)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=3)
    return buf.getvalue()
