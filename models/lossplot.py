"""A PNG of training and validation loss against step, drawn with Pillow (no plotting stack
needed on a device that only ever trains small models)."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

W, H, PAD = 720, 420, 50


def plot_losses(rows: list[dict], path: str | Path) -> None:
    """rows: dicts with 'step', 'train_loss' and (maybe empty) 'val_loss' values."""
    series = {
        "train": [(float(r["step"]), float(r["train_loss"])) for r in rows if r.get("train_loss") not in ("", None)],
        "val": [(float(r["step"]), float(r["val_loss"])) for r in rows if r.get("val_loss") not in ("", None)],
    }
    pts = series["train"] + series["val"]
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    d.text((PAD, 15), "loss (nats/char) by step   red: train   blue: val", fill="black")
    d.rectangle([PAD, PAD, W - PAD, H - PAD], outline="black")
    if pts:
        x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
        y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
        x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1e-3)

        def xy(p):
            return (PAD + (p[0] - x0) / (x1 - x0) * (W - 2 * PAD),
                    H - PAD - (p[1] - y0) / (y1 - y0) * (H - 2 * PAD))
        for name, colour in (("train", "red"), ("val", "blue")):
            line = [xy(p) for p in series[name]]
            if len(line) > 1:
                d.line(line, fill=colour, width=2)
            for q in line[-1:] if name == "train" else line:
                d.ellipse([q[0] - 3, q[1] - 3, q[0] + 3, q[1] + 3], fill=colour)
        for v, y in ((y1, PAD), (y0, H - PAD)):
            d.text((5, y - 6), f"{v:.3f}", fill="black")
        d.text((PAD, H - PAD + 8), f"{x0:.0f}", fill="black")
        d.text((W - PAD - 40, H - PAD + 8), f"{x1:.0f}", fill="black")
    img.save(path)
