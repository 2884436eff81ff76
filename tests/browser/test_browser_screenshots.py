"""Screenshots of the main pages, decoded and checked to show a drawn page rather than a blank one.

PNG files are decoded here with zlib and struct (no imaging library is a test dependency); the decoder itself
is checked against images it did not write, encoded with every PNG row filter.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NewContext = Callable[..., tuple[Any, Any]]
SIGNATURE = b"\x89PNG\r\n\x1a\n"
VIEWPORT = {"width": 1280, "height": 800}
NAV_COLOUR = (0x12, 0x34, 0x2A)  # the default branding's sidebar colour


@dataclass
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        start = x * self.channels
        return tuple(self.rows[y][start:start + 3])

    def colours(self) -> Counter[bytes]:
        """How often each RGB colour occurs (alpha ignored)."""
        counts: Counter[bytes] = Counter()
        step = self.channels
        for row in self.rows:
            if step == 3:
                counts.update(row[i:i + 3] for i in range(0, len(row), 3))
            else:
                counts.update(row[i:i + 3] for i in range(0, len(row), step))
        return counts

    def mean_luminance(self) -> float:
        total = 0
        for row in self.rows:
            total += sum(row[1::self.channels])  # green dominates perceived brightness
        return total / (255 * self.width * self.height)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _add_bytes(a: bytes, b: bytes) -> bytes:
    """Byte-wise (a + b) mod 256 of two equal-length strings, on big integers without carries between bytes."""
    n = len(a)
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    low = int.from_bytes(b"\x7f" * n, "big")
    high = int.from_bytes(b"\x80" * n, "big")
    return (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(n, "big")


def decode_png(data: bytes) -> Image:
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG, verifying chunk CRCs."""
    assert data[:8] == SIGNATURE, "not a PNG file"
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r} chunk"
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    assert header is not None, "no IHDR chunk"
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unsupported PNG format {header}"
    bpp = 3 if colour_type == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    assert len(raw) == height * (stride + 1), "image data has the wrong size"
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1:start + 1 + stride]
        if kind == 0:
            out = bytes(line)
        elif kind == 2:
            out = _add_bytes(line, prev)
        elif kind in (1, 3, 4):
            cur = bytearray(line)
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                if kind == 1:
                    cur[i] = (cur[i] + left) & 0xFF
                elif kind == 3:
                    cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 0xFF
                else:
                    upper_left = prev[i - bpp] if i >= bpp else 0
                    cur[i] = (cur[i] + _paeth(left, prev[i], upper_left)) & 0xFF
            out = bytes(cur)
        else:
            raise AssertionError(f"unknown PNG filter {kind} in row {y}")
        rows.append(out)
        prev = out
    return Image(width, height, bpp, rows)


def _encode_png(width: int, height: int, pixels: list[bytes], filters: list[int]) -> bytes:
    """A minimal RGB PNG writer applying the given filter to each row (to test the decoder)."""
    bpp, stride = 3, width * 3
    raw = bytearray()
    prev = bytes(stride)
    for y, row in enumerate(pixels):
        kind = filters[y % len(filters)]
        raw.append(kind)
        for i in range(stride):
            left = row[i - bpp] if i >= bpp else 0
            up = prev[i]
            upper_left = prev[i - bpp] if i >= bpp else 0
            predictor = [0, left, up, (left + up) >> 1, _paeth(left, up, upper_left)][kind]
            raw.append((row[i] - predictor) & 0xFF)
        prev = row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")


def test_png_decoder_reverses_every_row_filter() -> None:
    rng = random.Random(7)
    width, height = 37, 25
    pixels = [bytes(rng.randrange(256) for _ in range(width * 3)) for _ in range(height)]
    image = decode_png(_encode_png(width, height, pixels, [0, 1, 2, 3, 4]))
    assert (image.width, image.height, image.channels) == (width, height, 3)
    assert image.rows == pixels
    blank = decode_png(_encode_png(4, 3, [bytes(12)] * 3, [2]))
    assert len(blank.colours()) == 1 and blank.mean_luminance() == 0
    with pytest.raises(AssertionError, match="CRC"):
        broken = bytearray(_encode_png(4, 3, [bytes(12)] * 3, [0]))
        broken[20] ^= 0xFF  # inside IHDR
        decode_png(bytes(broken))


def shoot(page: Any, path: Path) -> Image:
    """Screenshot the viewport once fonts are in, save it to `path`, and check it shows a drawn page."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    data = page.screenshot(path=str(path), type="png")
    assert path.read_bytes() == data and data.startswith(SIGNATURE)
    image = decode_png(data)
    assert (image.width, image.height) == (VIEWPORT["width"], VIEWPORT["height"])
    colours = image.colours()
    total = image.width * image.height
    _, most = colours.most_common(1)[0]
    assert len(colours) >= 100, f"{path.name}: only {len(colours)} distinct colours: blank or unstyled?"
    assert most / total < 0.9, f"{path.name}: one colour covers {most / total:.0%} of the screen"
    rows_differ = sum(1 for a, b in zip(image.rows, image.rows[1:], strict=False) if a != b)
    assert rows_differ > image.height // 10, f"{path.name}: almost every row is identical"
    # The stylesheet is applied: the sidebar has the branding colour at its bottom-left.
    assert image.pixel(4, image.height - 4) == NAV_COLOUR, f"{path.name}: sidebar not drawn"
    return image


@pytest.mark.browser
def test_screenshots_of_main_pages_are_not_blank(new_context: NewContext, tmp_path: Path) -> None:
    context, _ = new_context(viewport=VIEWPORT, color_scheme="light")
    page = context.new_page()

    page.goto("/")
    home_light = shoot(page, tmp_path / "home-light.png")

    page.goto("/settings")
    shoot(page, tmp_path / "settings.png")

    page.goto("/plugins")
    ids = page.locator("table.data-table tbody tr td:nth-child(2)").all_inner_texts()
    assert {"home", "plugins", "hello"} <= set(ids), ids
    shoot(page, tmp_path / "plugins.png")

    page.goto("/settings")
    page.get_by_label("Dark", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    page.goto("/")
    assert page.locator("html").get_attribute("data-theme") == "dark"
    home_dark = shoot(page, tmp_path / "home-dark.png")

    assert home_dark.rows != home_light.rows
    light, dark = home_light.mean_luminance(), home_dark.mean_luminance()
    assert light > 0.7, f"light home page is not light (mean {light:.2f})"
    assert dark < 0.25, f"dark home page is not dark (mean {dark:.2f})"
    # The content area's background is the theme's: near-white in light, near-black in dark.
    x, y = VIEWPORT["width"] - 20, VIEWPORT["height"] - 20
    assert min(home_light.pixel(x, y)) > 230 and max(home_dark.pixel(x, y)) < 40
    saved = sorted(p.name for p in tmp_path.glob("*.png"))
    assert saved == ["home-dark.png", "home-light.png", "plugins.png", "settings.png"]
