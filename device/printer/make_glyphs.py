"""Make the preview's bitmap fonts: every character code page 437 prints (the receipt's code
page) in a thermal printer's character cell, drawn once from DejaVu Sans Mono and kept as
data (device/printer/data/).

    python -m device.printer.make_glyphs [--font-dir /usr/share/fonts/truetype/dejavu]

Font A is 12 x 24 dots and font B 9 x 17, as on ESC/POS printers. Each glyph is stored in its
cell with a PAD-dot blank margin on every side: the script fails if any ink would fall in the
margin, so a glyph is never clipped, and tests/test_preview.py checks the margins stay blank.
DejaVu fonts are free (Bitstream Vera licence); data/README.md says where the glyphs come from.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .preview import CELLS, PAD
from .preview import GLYPHS as OUT
from .preview import PRINTABLE as CHARS   # one definition of the atlas's order

SIZES = {0: 20, 1: 14}   # DejaVu Sans Mono's pixel size that fills each font's cell (font A, font B)


def glyph(font: ImageFont.FreeTypeFont, ch: str, w: int, h: int) -> Image.Image:
    """The character centred in a padded cell, thresholded to black and white."""
    cell = Image.new("L", (w + 2 * PAD, h + 2 * PAD), 255)
    left, top, right, bottom = font.getbbox(ch)
    ascent, descent = font.getmetrics()
    x = PAD + (w - font.getlength(ch)) / 2
    y = PAD + (h - ascent - descent) / 2
    ImageDraw.Draw(cell).text((x, y), ch, font=font, fill=0)
    bw = cell.point(lambda v: 0 if v < 128 else 255)
    inner = bw.crop((PAD, PAD, PAD + w, PAD + h))
    ink_all, ink_in = bw.histogram()[0], inner.histogram()[0]
    if ink_all != ink_in:
        raise ValueError(f"{ch!r} does not fit a {w}x{h} cell at this font size")
    return bw


def atlas(path: Path, w: int, h: int, size: int) -> Image.Image:
    """All CHARS side by side; a glyph too tall for the cell at `size` (capitals with accents
    in font B) is drawn a little smaller, never clipped."""
    sheet = Image.new("L", ((w + 2 * PAD) * len(CHARS), h + 2 * PAD), 255)
    for i, ch in enumerate(CHARS):
        for s in range(size, size - 6, -1):
            try:
                sheet.paste(glyph(ImageFont.truetype(str(path), s), ch, w, h), (i * (w + 2 * PAD), 0))
                break
            except ValueError:
                if s == size - 5:
                    raise
    return sheet.convert("1")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--font-dir", default="/usr/share/fonts/truetype/dejavu")
    args = p.parse_args()
    OUT.mkdir(exist_ok=True)
    for font, (w, h) in CELLS.items():
        for weight, file in (("", "DejaVuSansMono.ttf"), ("_bold", "DejaVuSansMono-Bold.ttf")):
            out = OUT / f"font_{'ab'[font]}{weight}.png"
            atlas(Path(args.font_dir) / file, w, h, SIZES[font]).save(out, optimize=True)
            print(f"wrote {out}")


if __name__ == "__main__":
    main()
