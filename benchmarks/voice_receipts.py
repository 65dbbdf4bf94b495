"""Every voice of the default config writes from the same photos: one picture, a column a voice.

    python benchmarks/voice_receipts.py PHOTO... --out docs/voices.png [--seed 1]

The photos go through the default captioner once; each voice writes its receipt from that
caption as a job would (its seed template, temperatures and length, the paper plan and budget),
and each receipt is drawn by the project's own preview from its ESC/POS bytes. Photos from the
eyes' dev split or dev mode's samples (never trained on) make a fair sample; docs/voices.png is
drawn from device/camera/samples/{cat,coffee,rocket}.jpg.
"""
from __future__ import annotations

import argparse

import common  # noqa: F401  (puts the checkout on sys.path)
from PIL import Image

from device.config import load_config
from device.printer.preview import decode, render
from device.receipt import Paper, fit_budget, plan, receipt_body, receipt_head
from device.voices import load_voices
from models.captioners import load_image


def receipt(paper: Paper, voice, rgb, caption: str, seed: int, label: str) -> Image.Image:
    head = receipt_head(paper, "2026-12-04 12:00:00", "narrated reality", rgb, caption)
    head_dots = render(decode(head), paper.dots).height
    temps, length = plan(paper, voice.temperatures, voice.length, head_dots)
    poem = voice.writer.write(caption, temps, length, preseed=voice.preseed, rng_seed=seed,
                              keep_subject=voice.keep_subject, seed=voice.seed_template or None)
    labels = [f"{s.temperature:g}" for s in poem.stanzas]
    opening = poem.stanzas[0].caption
    keep, texts = fit_budget(paper, head_dots, [s.text for s in poem.stanzas], labels, voice.name, label, opening)
    body = receipt_body(paper, [texts[i] for i in keep], voice.name, label, opening, [labels[i] for i in keep])
    return render(decode(head + body), paper.dots)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("photos", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=0.5, help="shrink the picture (1: one dot a pixel)")
    args = ap.parse_args()
    config = load_config()
    paper = Paper.from_config(config.printer)
    voices = load_voices(config)
    rgbs = [load_image(p) for p in args.photos]
    captions = [voices[0].captioner.caption(rgb).text for rgb in rgbs]
    columns = []
    for v in voices:
        column = [receipt(paper, v, rgb, cap, args.seed + i, f"{v.name} {i + 1}") for i, (rgb, cap) in
                  enumerate(zip(rgbs, captions))]
        columns.append(column)
        print(f"{v.name}: " + " | ".join(captions))
    gap = 24
    width = len(columns) * (paper.dots + gap)
    height = sum(max(col[i].height for col in columns) + gap for i in range(len(rgbs)))
    sheet = Image.new("L", (width, height), 200)
    y = 0
    for i in range(len(rgbs)):
        for c, col in enumerate(columns):
            sheet.paste(col[i].convert("L"), (c * (paper.dots + gap) + gap // 2, y))
        y += max(col[i].height for col in columns) + gap
    if args.scale != 1:
        sheet = sheet.resize((round(width * args.scale), round(height * args.scale)), Image.LANCZOS)
    sheet.save(args.out, optimize=True)
    print(f"{len(voices)} voices x {len(rgbs)} photos: {args.out} ({sheet.width} x {sheet.height})")


if __name__ == "__main__":
    main()
