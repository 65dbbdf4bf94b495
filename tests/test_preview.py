"""The receipt preview prints what paper prints: every character in its own monospaced cell,
lines as far apart as a printer feeds them, legible enough for OCR to read the poem back."""
import collections
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from device.printer.preview import CELLS, GLYPHS, LINE_SPACING, PAD, PRINTABLE, _glyph, decode, render
from device.receipt import Paper, receipt_body

POEM = """The common sea, the same old sea,
Comes in and goes as oceans do;
POS-5890 prints it plain for me:
Quietly, quickly, over you.
Jumping foxes vex the wizard,
Crazy quilts of amber hue,
Mommy's zigzag, sixty lizards,
Bright October, "yes" and "you"."""


@pytest.mark.parametrize("font", [0, 1])
@pytest.mark.parametrize("bold", [False, True])
def test_every_printable_character_is_distinct_and_inside_its_cell(font, bold):
    w, h = CELLS[font]
    atlas = np.asarray(Image.open(GLYPHS / f"font_{'ab'[font]}{'_bold' if bold else ''}.png").convert("L")) < 128
    assert atlas.shape == (h + 2 * PAD, len(PRINTABLE) * (w + 2 * PAD))
    glyphs = set()
    for k, ch in enumerate(PRINTABLE):
        cell = atlas[:, k * (w + 2 * PAD):(k + 1) * (w + 2 * PAD)]
        inner = cell[PAD:PAD + h, PAD:PAD + w]
        assert cell.sum() == inner.sum(), f"{ch!r} is clipped"          # no ink in the margin
        assert ch.isspace() == (inner.sum() == 0), ch                    # only spaces are blank
        if not ch.isspace():
            glyphs.add(inner.tobytes())
        assert np.array_equal(np.asarray(_glyph(ch, bold, font).convert("L")) < 128, inner)
    assert len(glyphs) == sum(not c.isspace() for c in PRINTABLE)            # no two look the same


def test_lines_are_as_far_apart_as_the_printer_feeds_them():
    one = render(decode(b"\x1b@one\n"), 384).height
    three = render(decode(b"\x1b@one\ntwo\nthree\n"), 384).height
    assert (one, three) == (LINE_SPACING, 3 * LINE_SPACING)
    assert render(decode(b"\x1b@\x1b3\x18a\nb\n"), 384).height == 48          # ESC 3 24: 24-dot lines
    ink = np.asarray(render(decode(b"\x1b@\x1bM\x01ab\n"), 384).convert("L")) < 128
    assert 9 < np.nonzero(ink.any(axis=0))[0].max() < 2 * 9                       # font B: two 9-dot cells


@pytest.mark.skipif(not shutil.which("tesseract"), reason="needs tesseract (apt install tesseract-ocr)")
def test_ocr_reads_the_poem_back_off_the_preview(tmp_path):
    png = tmp_path / "receipt.png"
    render(decode(receipt_body(Paper(), [POEM], "test", "20261201-000000-0001")), 384).save(png)
    out = subprocess.run(["tesseract", str(png), "-", "--psm", "6"], capture_output=True, text=True, check=True).stdout
    want = collections.Counter(re.findall(r"[A-Za-z0-9-]+", POEM))
    got = collections.Counter(re.findall(r"[A-Za-z0-9-]+", out))
    assert sum((want & got).values()) / sum(want.values()) >= 0.97, out


@pytest.mark.parametrize("profile", ["POS-5890", "TM-T20II", "TM-T88V"])
def test_accented_text_never_switches_code_pages_mid_receipt(profile):
    from device.receipt import receipt_head
    paper = Paper(profile=profile)
    head = receipt_head(Paper(profile=profile, title=True), "now", "Galería Ñandú", None, "café, naïve — “quoted” Łódź")
    body = receipt_body(paper, ["Ångström ☃ straße"], "voice", "job")
    for part in (head, body):
        assert part.count(b"\x1bt") == 1 and b"\x1bt\x00" in part           # CP437, selected once
    text = decode(head + body).text
    assert "Galería Ñandú" in text and "café, naïve" in text and "Ångström" in text
    assert "?" in text          # what CP437 has no letter for is a '?', not a page switch
