"""The receipt, written in ESC/POS through python-escpos: header, photo, caption, poem, footer.

Layout is written as text, image and cut calls on python-escpos's Dummy printer, which turns
them into the exact bytes a printer receives; the connection (device/printer.py) only moves
bytes. A receipt is built in two parts so the head (header, photo; the caption as a title if
printer.caption_title) can print while the poem is still being written. The photo is sent as narrow raster bands, so a
printer cut off mid-photo is never owed more than one band (device/recovery.py). Each stanza begins with the caption in bold,
under a small label naming the temperature that wrote it. A paper budget (Paper.budget_dots)
is kept by plan(): fewer or shorter stanzas before anything is written, never cut text.
"""
from __future__ import annotations

import dataclasses
import math
import textwrap
from dataclasses import dataclass

import numpy as np
from escpos.printer import Dummy
from PIL import Image, ImageEnhance, ImageOps

from .printer.preview import decode, render

ASCII_RAMP = "@%#*+=-:. "   # dark -> light
DOTS_PER_CM = 80             # 203 dpi thermal heads: 8 dots a millimetre
LINE_DOTS = 30               # one line of font A, as the printer feeds it (ESC 2)
CHARS_PER_LINE = 0.65        # verse fills this share of a 32-column line (the shipped voice: 0.69 on 24 stanzas)
MIN_STANZA = 160             # characters: below this a stanza is dropped rather than shrunk further
BAND_ROWS = 24               # the photo goes as GS v 0 bands of this many dot rows (at most 1.7 KB on
                             # 80 mm paper): no command is long, so the repair after a cut is short


@dataclass
class Paper:
    dots: int = 384           # printable width
    profile: str = "POS-5890"
    cutter: bool = False
    photo: str = "raster"     # raster | ascii | none
    columns: int = 0          # characters of font A per line; 0: dots // 12 (font A is 12 dots wide)
    budget_cm: float = 0.0    # paper a receipt may use on 58 mm paper (wider paper: the same area); 0: no limit
    labels: bool = True       # the temperature above each stanza, in font B
    title: bool = False       # the caption again under the photo (each stanza already begins with it)

    def __post_init__(self):
        self.columns = self.columns or self.dots // 12

    @property
    def budget_dots(self) -> int:
        """The budget as paper length in dots, for this paper's width: 30 cm of 58 mm paper is
        about 22 cm of 80 mm, the same paper."""
        return round(self.budget_cm * DOTS_PER_CM * 384 / self.dots)

    @classmethod
    def from_config(cls, printer) -> "Paper":
        """The paper a [printer] config section describes. Width, columns and cutter come from
        the python-escpos profile unless the config says otherwise (paper, cutter)."""
        from .config import paper_dots
        media = profile_media(printer.profile)
        if printer.paper != "":
            dots, columns = paper_dots(printer.paper), 0
        else:
            dots, columns = media["dots"] or 384, media["columns"] if media["dots"] else 0
        cutter = media["cutter"] if printer.cutter is None else printer.cutter
        return cls(dots, printer.profile, cutter, printer.photo, columns, printer.budget_cm, printer.stanza_labels,
                   printer.caption_title)


def profile_media(name: str) -> dict:
    """What a python-escpos profile knows of its paper: {"dots", "columns", "cutter"}; dots and
    columns are 0 where the profile does not say (the "default" profile)."""
    from escpos.capabilities import get_profile
    data = get_profile(name).profile_data
    pixels = data.get("media", {}).get("width", {}).get("pixels")
    columns = data.get("fonts", {}).get("0", {}).get("columns")
    return {"dots": pixels if isinstance(pixels, int) else 0,
            "columns": columns if isinstance(columns, int) else 0,
            "cutter": bool(data.get("features", {}).get("paperFullCut") or data.get("features", {}).get("paperPartCut"))}


def _printer(paper: Paper) -> Dummy:
    """python-escpos's printer, writing in code page 437 alone. Left to itself it starts on
    the profile's first-listed page (Katakana on an Epson) and switches pages mid-receipt at
    the first accented letter; page 0 is CP437 on every profile, so ESC t 0 once, then never
    another switch: what CP437 cannot print becomes '?'."""
    p = Dummy(profile=paper.profile)
    p.magic.encoder.codepages["CP437"] = 0   # profiles list CP437 under several numbers; 0 is the standard one
    p.magic.force_encoding("CP437")
    return p


def dithered(rgb: np.ndarray, width: int) -> Image.Image:
    """A 1-bit photo for thermal paper: autocontrast and a contrast lift first (faces survive
    dithering better), then Floyd-Steinberg at the paper's width."""
    im = ImageOps.autocontrast(Image.fromarray(rgb).convert("L"), cutoff=1)
    im = ImageEnhance.Contrast(im).enhance(1.3)
    h = max(1, round(im.height * width / im.width))
    return im.resize((width, h), Image.LANCZOS).convert("1")


def ascii_art(rgb: np.ndarray, columns: int) -> str:
    """The photo as characters; a character cell is about twice as tall as wide."""
    im = Image.fromarray(rgb).convert("L")
    im = ImageOps.autocontrast(im, cutoff=1)
    rows = max(1, round(im.height / im.width * columns / 2))
    a = np.asarray(im.resize((columns, rows), Image.BOX), dtype=np.float32) / 255
    idx = np.minimum((a * len(ASCII_RAMP)).astype(int), len(ASCII_RAMP) - 1)
    return "\n".join("".join(ASCII_RAMP[i] for i in row) for row in idx) + "\n"


def wrap(text: str, columns: int) -> str:
    """Word-wrap each line to the paper's columns, keeping the poem's own line breaks; verse
    indentation is kept but capped at 4 spaces, as 32 columns have no room for more."""
    out = []
    for line in text.split("\n"):
        indent = " " * min(4, len(line) - len(line.lstrip(" ")))
        out.extend(textwrap.wrap(indent + line.lstrip(" "), columns, subsequent_indent=indent,
                                 break_long_words=True) or [""])
    return "\n".join(out) + "\n"


def receipt_head(paper: Paper, when: str, installation: str, rgb: np.ndarray | None, caption: str) -> bytes:
    p = _printer(paper)
    p.set(align="center", bold=True, double_height=True)
    p.text(wrap(installation or "narrated reality", paper.columns))
    p.set_with_default(align="center")
    p.text(when + "\n")
    p.ln(1)
    if rgb is not None and paper.photo == "raster":
        p.image(dithered(rgb, paper.dots), impl="bitImageRaster", fragment_height=BAND_ROWS)
    elif rgb is not None and paper.photo == "ascii":
        p.set_with_default(align="left")
        p.text(ascii_art(rgb, paper.columns))
    p.ln(1)
    if paper.title:
        p.set_with_default(align="left", bold=True)
        p.text(wrap(caption, paper.columns))
        p.set_with_default()
        p.ln(1)
    return p.output


def plan(paper: Paper, temperatures: list[float], length: int, head_dots: int) -> tuple[list[float], int]:
    """The temperatures and stanza length that fit the paper budget after a head of head_dots:
    shorter stanzas first (down to MIN_STANZA characters), then fewer, keeping the lowest and
    highest temperature and spreading the rest. Estimated before writing, so no text is cut."""
    if not paper.budget_cm:
        return list(temperatures), length
    free = (paper.budget_dots - head_dots) // LINE_DOTS - 7        # footer and feed take ~7 lines
    per_line = paper.columns * CHARS_PER_LINE

    def lines(n: int, chars: int) -> int:   # label, verse (up to 25 % over to finish a line), blank
        return n * (math.ceil(chars * 1.25 / per_line) + 1 + paper.labels)
    n, wanted = len(temperatures), length
    while length > MIN_STANZA and lines(n, length) > free:
        length = max(MIN_STANZA, int(length * 0.9))
    while n > 1 and lines(n, length) > free:
        n -= 1
    while length < wanted and lines(n, min(wanted, int(length * 1.05) + 1)) <= free:   # fewer: each may be longer
        length = min(wanted, int(length * 1.05) + 1)
    if n == len(temperatures):
        return list(temperatures), length
    ordered = sorted(temperatures)
    picks = [ordered[round(i * (len(ordered) - 1) / max(1, n - 1))] for i in range(n)] if n > 1 else [ordered[0]]
    return sorted(set(picks)), length


def fit_budget(paper: Paper, head_dots: int, stanzas: list[str], labels: list[str], voice: str, job_id: str,
               opening: str) -> tuple[list[int], list[str]]:
    """Which stanzas print, and their text, so that the receipt never runs past the paper
    budget whatever the voice wrote. plan() estimated the poem before it was written, but
    verse of short lines takes more paper than its characters suggest: so the body is measured
    as it will print (rendered from its bytes), and if it is too long the middle stanzas go
    (the lowest and highest temperature stay), then the longest stanza ends at an earlier line,
    again and again; one stanza alone only if two openings do not fit."""
    keep, texts = list(range(len(stanzas))), list(stanzas)
    if not paper.budget_cm:
        return keep, texts

    def over() -> int:   # lines past the budget (0: it fits)
        body = receipt_body(paper, [texts[i] for i in keep], voice, job_id, opening, [labels[i] for i in keep])
        return max(0, math.ceil((head_dots + render(decode(body), paper.dots).height - paper.budget_dots) / LINE_DOTS))
    while len(keep) > 2 and over():
        keep.pop(len(keep) // 2)
    while lines := over():
        longest = max(keep, key=lambda i: len(texts[i]))
        text = texts[longest]
        cut = len(text)
        for _ in range(lines):   # that many lines off its end at once (a word at a time in a long line)
            earlier = text.rfind("\n", len(opening), cut - 1)
            if earlier <= len(opening):
                break
            cut = earlier
        if cut == len(text):
            cut = text.rfind(" ", len(opening), len(text) - 1)
        if cut > len(opening):
            texts[longest] = text[:cut].rstrip()
        elif len(texts[longest]) > len(opening):
            texts[longest] = opening
        elif len(keep) > 1:
            keep.pop()
        else:
            break
    return keep, texts


def _bold_split(wrapped: str, caption: str) -> int:
    """Where the caption ends in its wrapped stanza: wrapping only moved its spaces."""
    want, i = len(caption.replace(" ", "")), 0
    while want and i < len(wrapped):
        want -= not wrapped[i].isspace()
        i += 1
    return i


def receipt_body(paper: Paper, stanzas: list[str], voice: str, job_id: str, caption: str = "",
                 labels: list[str] | None = None) -> bytes:
    """The poem and the footer. Each stanza that starts with `caption` prints it in bold."""
    p = _printer(paper)
    p.set_with_default(align="left")
    for i, stanza in enumerate(stanzas):
        if labels and paper.labels:
            p.set_with_default(align="left", font="b")
            p.text(labels[i] + "\n")
            p.set_with_default(align="left")
        text = wrap(stanza, paper.columns)
        k = _bold_split(text, caption) if caption and stanza.startswith(caption) else 0
        if k:
            p.set_with_default(align="left", bold=True)
            p.text(text[:k])
            p.set_with_default(align="left")
        p.text(text[k:])
        p.ln(1)
    p.set_with_default(align="center")
    p.text(f"~ {voice} ~\n{job_id}\n")
    p.ln(4)  # feed past the tear bar or the blade
    if paper.cutter:
        p.cut(feed=False)  # GS V even when the profile does not list a cutter
    return p.output


def print_test_receipt(paper: Paper, installation: str, printer: str, when: str) -> bytes:
    """`narrator print-test`: the header, a grey ramp through the dithering, the printable ASCII
    set and a rule the paper's width, so one strip shows contrast, character set and columns."""
    ramp = np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (96, 1))
    gradient = np.stack([ramp] * 3, axis=-1)
    head = receipt_head(dataclasses.replace(paper, title=True), when, installation or "print test", gradient,
                        f"{paper.columns} columns, {paper.dots} dots, profile {paper.profile}")
    body = receipt_body(paper, ["".join(chr(c) for c in range(32, 127)), "-" * paper.columns], "print test", printer)
    return head + body
