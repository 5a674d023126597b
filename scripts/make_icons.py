"""Draw Parley's app icons into static/icons/ (pure Python: no image library needed).

    python scripts/make_icons.py

The mark is two overlapping speech bubbles on the theme blue: a pale one behind, a
white one in front with three "typing" dots. Shapes are signed distance functions, so
one sample per pixel gives clean anti-aliased edges at every size from 32 to 512 px.

Variants:
- "any": a rounded square with transparent corners (favicon, install dialogs, desktop).
- "maskable": full-bleed background with the mark inside the central safe circle
  (radius 40 % of the size), so any platform mask (circle, squircle) keeps all of it.
- apple-touch-icon: full-bleed and opaque; iOS rounds the corners itself.
"""

import math
import struct
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"

# The gradient runs from top left to bottom right through the theme colour #3b5bdb.
GRADIENT_FROM = (0x4C, 0x6E, 0xF5)
GRADIENT_TO = (0x34, 0x4B, 0xC4)
WHITE = (0xFF, 0xFF, 0xFF)
BACK_BUBBLE = (0xC5, 0xD0, 0xFF)
DOTS = (0x3B, 0x5B, 0xDB)


# Signed distances in unit coordinates (the icon is the square [0, 1]^2): negative inside.


def rounded_box(px, py, cx, cy, half_w, half_h, radius):
    qx = abs(px - cx) - half_w + radius
    qy = abs(py - cy) - half_h + radius
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def circle(px, py, cx, cy, radius):
    return math.hypot(px - cx, py - cy) - radius


def triangle(px, py, a, b, c):
    """Exact distance to a triangle (after Inigo Quilez)."""
    (ax, ay), (bx, by), (cx, cy) = a, b, c
    e0 = (bx - ax, by - ay)
    e1 = (cx - bx, cy - by)
    e2 = (ax - cx, ay - cy)
    v0 = (px - ax, py - ay)
    v1 = (px - bx, py - by)
    v2 = (px - cx, py - cy)

    def closest(v, e):
        t = max(0.0, min(1.0, (v[0] * e[0] + v[1] * e[1]) / (e[0] ** 2 + e[1] ** 2)))
        return (v[0] - e[0] * t, v[1] - e[1] * t)

    pq = [closest(v0, e0), closest(v1, e1), closest(v2, e2)]
    s = 1.0 if e0[0] * e2[1] - e0[1] * e2[0] > 0 else -1.0
    crosses = [
        s * (v0[0] * e0[1] - v0[1] * e0[0]),
        s * (v1[0] * e1[1] - v1[1] * e1[0]),
        s * (v2[0] * e2[1] - v2[1] * e2[0]),
    ]
    distance = min(q[0] ** 2 + q[1] ** 2 for q in pq)
    return -math.sqrt(distance) * math.copysign(1.0, min(crosses))


def bubble(px, py, cx, cy, half_w, half_h, radius, tail):
    """A speech bubble: a rounded box joined to a tail triangle."""
    return min(rounded_box(px, py, cx, cy, half_w, half_h, radius), triangle(px, py, *tail))


class Mark:
    """The two bubbles, laid out in unit coordinates, scaled about the icon's centre."""

    def __init__(self, scale: float):
        self.scale = scale

    def local(self, px, py):
        return (0.5 + (px - 0.5) / self.scale, 0.5 + (py - 0.5) / self.scale)

    def back(self, px, py):
        x, y = self.local(px, py)
        tail = ((0.27, 0.50), (0.40, 0.50), (0.22, 0.64))
        return bubble(x, y, 0.42, 0.37, 0.22, 0.155, 0.11, tail) * self.scale

    def front(self, px, py):
        x, y = self.local(px, py)
        tail = ((0.60, 0.70), (0.74, 0.70), (0.79, 0.83))
        return bubble(x, y, 0.595, 0.585, 0.225, 0.16, 0.115, tail) * self.scale

    def dots(self, px, py):
        x, y = self.local(px, py)
        nearest = min(circle(x, y, 0.595 + dx, 0.585, 0.03) for dx in (-0.105, 0.0, 0.105))
        return nearest * self.scale


def coverage(distance, pixel):
    """How much of a pixel a shape covers, from its signed distance at the pixel centre."""
    return max(0.0, min(1.0, 0.5 - distance / pixel))


def blend(under, colour, alpha):
    return tuple(u + (c - u) * alpha for u, c in zip(under, colour, strict=True))


def render(size: int, *, full_bleed: bool, mark_scale: float, dots: bool = True) -> bytes:
    pixel = 1.0 / size
    mark = Mark(mark_scale)
    # The front bubble's outline, a little wider than the bubble, cut out of the back one
    # in the background colour so the two read as separate shapes at small sizes.
    gap = 0.028 * mark_scale
    rows = []
    for j in range(size):
        row = bytearray([0])  # PNG filter type 0 for this row
        py = (j + 0.5) * pixel
        for i in range(size):
            px = (i + 0.5) * pixel
            t = (px + py) / 2
            background = blend(GRADIENT_FROM, GRADIENT_TO, t)
            if full_bleed:
                alpha = 1.0
            else:
                alpha = coverage(rounded_box(px, py, 0.5, 0.5, 0.5, 0.5, 0.22), pixel)
            colour = background
            colour = blend(colour, BACK_BUBBLE, coverage(mark.back(px, py), pixel))
            front = mark.front(px, py)
            colour = blend(colour, background, coverage(front - gap, pixel))
            colour = blend(colour, WHITE, coverage(front, pixel))
            if dots:
                colour = blend(colour, DOTS, coverage(mark.dots(px, py), pixel))
            row += bytes(round(c) for c in colour) + bytes([round(alpha * 255)])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw_rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw_rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


# name -> size and how to draw it. The maskable mark fits the 40 % safe circle; at 32 px
# the dots would only blur the front bubble, so the favicon has none and larger bubbles.
ICONS = {
    "icon-192.png": (192, {"full_bleed": False, "mark_scale": 1.0}),
    "icon-512.png": (512, {"full_bleed": False, "mark_scale": 1.0}),
    "maskable-192.png": (192, {"full_bleed": True, "mark_scale": 0.72}),
    "maskable-512.png": (512, {"full_bleed": True, "mark_scale": 0.72}),
    "apple-touch-icon.png": (180, {"full_bleed": True, "mark_scale": 0.86}),
    "favicon-32.png": (32, {"full_bleed": False, "mark_scale": 1.16, "dots": False}),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (size, options) in ICONS.items():
        (OUT / name).write_bytes(render(size, **options))
        print(f"wrote {OUT / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
