"""Decode ESC/POS bytes back into what the paper shows: a small decoder of our own.

Why: the dev-mode preview and the tests must see exactly what the printer would print, so the
PNG is drawn from the bytes themselves, never from the layout code. It understands what our
receipts use (python-escpos's text styles, alignment, feeds, `GS v 0` rasters, cuts) and fails
loudly on anything else, so a new command can't slip into a receipt unnoticed.

    doc = decode(data)            # doc.text, doc.rasters, doc.cuts, doc.ops
    render(doc, 384).save("receipt.png")
"""
from __future__ import annotations

import io
from pathlib import Path
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from ..errors import DeviceError

CELLS = {0: (12, 24), 1: (9, 17)}   # font A, font B
LINE_SPACING = 30          # dots a line feed advances until ESC 3 says otherwise (ESC 2: back to this)
GLYPHS = Path(__file__).parent / "data"   # made by make_glyphs.py from DejaVu Sans Mono
PAD = 2                    # blank margin around each glyph in the atlas
# what the atlases hold, in order: printable ASCII, then the upper half of code page 437
PRINTABLE = bytes(range(32, 127)).decode("cp437") + bytes(range(128, 256)).decode("cp437")


class DecodeError(DeviceError, ValueError):
    pass


@dataclass
class Style:
    bold: bool = False
    underline: bool = False
    width: int = 1
    height: int = 1
    align: int = 0            # 0 left, 1 centre, 2 right
    invert: bool = False
    font: int = 0             # 0: font A (12 x 24), 1: font B (9 x 17)
    spacing: int = LINE_SPACING


@dataclass
class Decoded:
    ops: list = field(default_factory=list)    # ("text", str, Style) | ("newline", Style) | ("feed", dots) | ("raster", array, align) | ("cut",)
    cuts: int = 0

    @property
    def text(self) -> str:
        return "".join(op[1] if op[0] == "text" else "\n" if op[0] == "newline" else "" for op in self.ops)

    @property
    def rasters(self) -> list[np.ndarray]:
        return [op[1] for op in self.ops if op[0] == "raster"]

    @property
    def photo(self) -> np.ndarray | None:
        """The rasters stacked: a receipt's photo, sent as bands, whole again."""
        return np.vstack(self.rasters) if self.rasters else None


# ESC and GS commands that take one parameter byte and what they set
_ONE_ARG = {b"\x1b!", b"\x1bE", b"\x1ba", b"\x1bt", b"\x1b{", b"\x1b-", b"\x1bM", b"\x1bd", b"\x1bJ",
            b"\x1b3", b"\x1dB", b"\x1db", b"\x1d!", b"\x1bG", b"\x1bR", b"\x1bc"}


def decode(data: bytes) -> Decoded:
    doc, style, i, n = Decoded(), Style(), 0, len(data)
    text = bytearray()

    def flush():
        if text:
            doc.ops.append(("text", text.decode("cp437", "replace"), Style(**vars(style))))
            text.clear()

    while i < n:
        b = data[i]
        if b == 0x00:   # NUL: ignored, as printers do (a repair pads with it)
            i += 1
        elif b == 0x0A:
            flush()
            doc.ops.append(("newline", Style(**vars(style))))
            i += 1
        elif b in (0x1B, 0x1D):
            cmd = data[i:i + 2]
            if len(cmd) < 2:
                raise DecodeError(f"truncated command at byte {i}")
            flush()
            if cmd[1] == 0x00:   # ESC/GS NUL: no command; printers skip it (a repair's NULs after a cut ESC)
                i += 2
            elif cmd == b"\x1b@":
                style = Style()
                i += 2
            elif cmd == b"\x1b2":
                style.spacing = LINE_SPACING
                i += 2
            elif cmd in _ONE_ARG:
                if i + 2 >= n:
                    raise DecodeError(f"command {cmd!r} at byte {i} lacks its parameter")
                arg = data[i + 2]
                _apply(cmd, arg, style, doc)
                i += 3
            elif cmd == b"\x1dv":
                if data[i + 2] not in (0, 48) or i + 8 > n:
                    raise DecodeError(f"bad GS v raster header at byte {i}")
                xl, xh, yl, yh = data[i + 4:i + 8]
                width_bytes, rows = xl + 256 * xh, yl + 256 * yh
                end = i + 8 + width_bytes * rows
                if end > n:
                    raise DecodeError(f"raster at byte {i} is cut short ({n - i - 8} of {width_bytes * rows} bytes)")
                packed = np.frombuffer(data[i + 8:end], np.uint8).reshape(rows, width_bytes)
                doc.ops.append(("raster", np.unpackbits(packed, axis=1).astype(bool), style.align))
                i = end
            elif cmd == b"\x1dV":
                m = data[i + 2] if i + 2 < n else None
                if m in (0, 1, 48, 49):
                    i += 3
                elif m in (65, 66) and i + 3 < n:
                    i += 4
                else:
                    raise DecodeError(f"bad cut command at byte {i}")
                doc.ops.append(("cut",))
                doc.cuts += 1
            else:
                raise DecodeError(f"unknown command {cmd!r} at byte {i}")
        elif b >= 0x20:
            text.append(b)
            i += 1
        else:
            raise DecodeError(f"unexpected control byte 0x{b:02x} at byte {i}")
    flush()
    return doc


def command_length(data: bytes, i: int) -> int:
    """How many bytes the command (or character) starting at data[i] takes, read from its
    header alone: what a printer that stopped mid-command is still waiting for."""
    cmd = data[i:i + 2]
    if data[i] not in (0x1B, 0x1D):
        return 1
    if cmd in (b"\x1b@", b"\x1b2", b"\x1b\x00", b"\x1d\x00"):
        return 2
    if cmd in _ONE_ARG:
        return 3
    if cmd == b"\x1dv" and len(data) >= i + 8:
        xl, xh, yl, yh = data[i + 4:i + 8]
        return 8 + (xl + 256 * xh) * (yl + 256 * yh)
    if cmd == b"\x1dV" and len(data) > i + 2:
        return 3 if data[i + 2] in (0, 1, 48, 49) else 4
    raise DecodeError(f"unknown or truncated command {cmd!r} at byte {i}")


def longest_command(data: bytes | memoryview) -> int:
    """The most bytes any one command of `data` takes: the repair's padding. A printer cut off
    anywhere in this stream waits for fewer bytes than that to finish its command, and once it
    has finished, NULs are nothing to it. A stream that does not decode could be inside any
    command of any length it holds: then its whole length."""
    i, most = 0, 2
    try:
        while i < len(data):
            step = command_length(data, i)
            most, i = max(most, step), i + step
    except DecodeError:
        return max(most, len(data))
    return most


def _apply(cmd: bytes, arg: int, style: Style, doc: Decoded) -> None:
    if cmd == b"\x1b!":   # print mode: font, bold, double height/width, underline
        style.font = arg & 1
        style.bold, style.height = bool(arg & 0x08), 2 if arg & 0x10 else 1
        style.width, style.underline = 2 if arg & 0x20 else 1, bool(arg & 0x80)
    elif cmd in (b"\x1bE", b"\x1bG"):
        style.bold = bool(arg & 1)
    elif cmd == b"\x1ba":
        style.align = arg % 48 if arg >= 48 else arg
    elif cmd == b"\x1b-":
        style.underline = bool(arg % 48 if arg >= 48 else arg)
    elif cmd == b"\x1d!":
        style.width, style.height = (arg >> 4) + 1, (arg & 0x0F) + 1
    elif cmd == b"\x1dB":
        style.invert = bool(arg & 1)
    elif cmd == b"\x1bM":
        style.font = arg % 48 if arg >= 48 else arg & 1
    elif cmd == b"\x1b3":
        style.spacing = arg
    elif cmd == b"\x1bd":
        doc.ops.append(("feed", arg * style.spacing))
    elif cmd == b"\x1bJ":
        doc.ops.append(("feed", arg))


@lru_cache(maxsize=None)
def _atlas(font: int, bold: bool) -> Image.Image:
    return Image.open(GLYPHS / f"font_{'ab'[font]}{'_bold' if bold else ''}.png").convert("1")


@lru_cache(maxsize=1024)
def _glyph(ch: str, bold: bool, font: int = 0) -> Image.Image:
    """One character in its font's cell, from the atlas; one code page 437 cannot print shows
    as '?', as it does on paper."""
    w, h = CELLS[font]
    k = PRINTABLE.find(ch)
    k = PRINTABLE.index("?") if k < 0 else k
    x = k * (w + 2 * PAD) + PAD
    return _atlas(font, bold).crop((x, PAD, x + w, PAD + h))


def render(doc: Decoded, width: int) -> Image.Image:
    """Draw the decoded receipt at the printer's resolution (one pixel per dot)."""
    pieces: list[tuple[int, Image.Image | None]] = []   # (height, image or None for blank)
    line: list[tuple[str, Style]] = []

    def end_line(st: Style):
        """One printed line: characters top-aligned, the feed its line spacing (or the tallest
        character, when that is taller), as paper advances."""
        tallest = max([CELLS[s.font][1] * s.height for _, s in line] or [CELLS[st.font][1] * st.height])
        h = max(tallest, st.spacing)
        img = Image.new("1", (width, h), 1)
        d = ImageDraw.Draw(img)
        total = sum(len(t) * CELLS[s.font][0] * s.width for t, s in line)
        align = line[0][1].align if line else st.align
        x = {0: 0, 1: max(0, (width - total) // 2), 2: max(0, width - total)}[align]
        for t, s in line:
            w, gh = CELLS[s.font][0] * s.width, CELLS[s.font][1] * s.height
            for ch in t:
                if x + w > width:
                    break
                glyph = _glyph(ch, s.bold, s.font).resize((w, gh))
                if s.invert:
                    glyph = glyph.point(lambda v: 255 - v)
                img.paste(glyph, (x, tallest - gh))
                if s.underline:
                    d.line([x, tallest - 2, x + w, tallest - 2], fill=0, width=2)
                x += w
        pieces.append((h, img))
        line.clear()

    for op in doc.ops:
        if op[0] == "text":
            line.append((op[1], op[2]))
        elif op[0] == "newline":
            end_line(op[1])
        elif op[0] == "feed":
            pieces.append((op[1], None))
        elif op[0] == "raster":
            bits, align = op[1], op[2]
            img = Image.fromarray(np.where(bits, 0, 255).astype(np.uint8)).convert("1")
            canvas = Image.new("1", (width, img.height), 1)
            x = {0: 0, 1: max(0, (width - img.width) // 2), 2: max(0, width - img.width)}.get(align, 0)
            canvas.paste(img.crop((0, 0, min(img.width, width), img.height)), (x, 0))
            pieces.append((img.height, canvas))
        elif op[0] == "cut":
            cut = Image.new("1", (width, 12), 1)
            ImageDraw.Draw(cut).line([0, 6, width, 6], fill=0, width=1)
            for x in range(0, width, 16):
                ImageDraw.Draw(cut).line([x, 6, x + 8, 6], fill=1)
            pieces.append((12, cut))
    if line:
        end_line(line[-1][1])
    out = Image.new("1", (width, max(1, sum(h for h, _ in pieces))), 1)
    y = 0
    for h, img in pieces:
        if img is not None:
            out.paste(img, (0, y))
        y += h
    return out


@lru_cache(maxsize=2)
def preview_png(data: bytes, width: int) -> bytes:
    """The receipt as a PNG file's bytes. Kept for the last receipts, so a job's preview is
    rendered once although the archive and the simulated printer both want it."""
    buf = io.BytesIO()
    render(decode(data), width).save(buf, "PNG")
    return buf.getvalue()
