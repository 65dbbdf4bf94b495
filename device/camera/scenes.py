"""Generated scenes: photographs in miniature, of any size, for `narrator doctor`'s test
receipt and for tests that need a frame that dithers like a real camera's (gradients, texture,
light and shadow). Deterministic for a given index; four kinds in turn: a landscape at sunset,
a dim room with a lamp, a still life of a ball on a table, a wooden desk with papers and a mug.
(Dev mode photographs the sample photos in samples/ instead: real ones, truly captioned.)
"""
from __future__ import annotations

import cv2
import numpy as np


def generated_scene(i: int, w: int = 1280, h: int = 720) -> np.ndarray:
    rng = np.random.default_rng(i)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = x / w, y / h
    img = (_landscape, _room, _still_life, _desk)[i % 4](u, v, rng, w, h)
    img = img * _vignette(u, v) + _noise(rng, w, h, scale=4, amp=6)[..., None]   # lens and sensor
    return np.clip(img, 0, 255).astype(np.uint8)


def _noise(rng, w: int, h: int, scale: int, amp: float) -> np.ndarray:
    """Smooth random texture: random values on a coarse grid, enlarged and blurred."""
    coarse = rng.standard_normal((max(2, h // scale), max(2, w // scale))).astype(np.float32)
    return cv2.GaussianBlur(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC), (0, 0), scale / 2) * amp


def _vignette(u, v) -> np.ndarray:
    return (1.0 - 0.35 * ((u - 0.5) ** 2 + (v - 0.5) ** 2) * 2)[..., None]


def _mix(a, b, t) -> np.ndarray:
    t = np.clip(t, 0, 1)[..., None]
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def _landscape(u, v, rng, w, h):
    sun_x, horizon = rng.uniform(0.25, 0.75), 0.55
    img = _mix((40, 70, 150), (250, 170, 110), v / horizon)                      # sky: deep blue to dusk
    glow = np.exp(-(((u - sun_x) * w / h) ** 2 + (v - horizon + 0.08) ** 2) / 0.01)
    img += glow[..., None] * np.float32([255, 210, 140]) * 0.9                    # the sun and its glow
    hills = horizon + 0.06 * np.sin(u * 7 + rng.uniform(0, 6)) + 0.03 * np.sin(u * 19)
    ground = _mix((70, 90, 40), (20, 35, 15), (v - hills) / (1 - horizon)) + _noise(rng, w, h, 3, 18)[..., None]
    return np.where((v > hills)[..., None], ground, img)


def _room(u, v, rng, w, h):
    lamp_x, lamp_y = rng.uniform(0.55, 0.8), 0.3
    img = _mix((70, 60, 55), (35, 30, 28), v) + _noise(rng, w, h, 40, 6)[..., None]   # wall
    light = np.exp(-(((u - lamp_x) * w / h) ** 2 + (v - lamp_y) ** 2) / 0.05)
    img += light[..., None] * np.float32([200, 150, 90])                          # warm light on the wall
    shade = (np.abs((u - lamp_x) * w / h) < 0.08 - (v - lamp_y + 0.1) * 0.3) & (v > lamp_y - 0.1) & (v < lamp_y + 0.05)
    img[shade] = np.float32([240, 220, 170])                                     # the lampshade
    floor = v > 0.78
    img[floor] = (_mix((60, 40, 30), (30, 20, 15), (v - 0.78) / 0.22) + _noise(rng, w, h, 2, 10)[..., None])[floor]
    return img


def _still_life(u, v, rng, w, h):
    img = _mix((190, 185, 175), (110, 105, 100), u * 0.7 + v * 0.3)              # wall, lit from the left
    table = v > 0.65
    img[table] = (_mix((150, 110, 70), (90, 60, 35), (v - 0.65) / 0.35) + _noise(rng, w, h, 2, 12)[..., None])[table]
    cx, cy, r = rng.uniform(0.35, 0.65), 0.6, 0.16
    dx, dy = (u - cx) * w / h, v - cy
    shadow = np.exp(-(((dx - 0.12) / 1.6) ** 2 + ((v - 0.74) * 4) ** 2) / (r * r))  # cast to the right
    img *= (1 - 0.5 * shadow * table)[..., None]
    inside = dx ** 2 + dy ** 2 < r * r
    nz = np.sqrt(np.clip(r * r - dx ** 2 - dy ** 2, 0, None)) / r
    lambert = np.clip((-dx / r) * 0.6 + (-dy / r) * 0.5 + nz * 0.6, 0, 1)      # light from the upper left
    ball = np.float32([200, 40, 35]) * (0.25 + 0.75 * lambert)[..., None] + (lambert ** 40 * 255)[..., None]
    img[inside] = ball[inside]
    return img


def _desk(u, v, rng, w, h):
    grain = np.sin((v * 60 + 4 * np.sin(u * 3 + rng.uniform(0, 6))) + _noise(rng, w, h, 8, 1.5))
    img = _mix((190, 140, 95), (145, 100, 62), grain * 0.5 + 0.5) + _noise(rng, w, h, 2, 8)[..., None]
    for _ in range(3):                                                            # papers with soft shadows
        x0, y0 = rng.uniform(0.05, 0.55), rng.uniform(0.05, 0.45)
        pw, ph = rng.uniform(0.2, 0.35), rng.uniform(0.3, 0.45)
        shadow = cv2.GaussianBlur(((u > x0 + 0.01) & (u < x0 + pw + 0.01) & (v > y0 + 0.02) & (v < y0 + ph + 0.02))
                                  .astype(np.float32), (0, 0), 8)
        img *= (1 - 0.4 * shadow)[..., None]
        paper = (u > x0) & (u < x0 + pw) & (v > y0) & (v < y0 + ph)
        img[paper] = _mix((245, 242, 235), (215, 210, 200), (u - x0) / pw)[paper]
    cx, r = rng.uniform(0.65, 0.85), 0.07                                        # a mug, seen from the side
    body = (np.abs(u - cx) < r) & (v > 0.45) & (v < 0.8)
    shade = np.cos(np.clip((u - cx) / r, -1, 1) * 1.3)
    img[body] = (np.float32([60, 90, 140]) * (0.35 + 0.65 * shade)[..., None])[body]
    return img
