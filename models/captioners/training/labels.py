"""Training labels for the object head: the real annotations where a photo has them, the
teachers' agreed boxes elsewhere.

The agreement rule (how sure each teacher must be, how many must agree) is chosen where the
truth is known: on the training photos whose labels are complete for a category (COCO
instances: all 80; person boxes: person), the rule whose photo-level labels match the truth
best (micro F1 over category x photo) wins. Dev, tune and coco-mini photos take no part.
"""
from __future__ import annotations

import itertools

from .photos import Photo
from .teachers import Rule, agreed

RULES = [Rule(s, v, a) for s, v, a in itertools.product((0.2, 0.25, 0.3, 0.35, 0.4, 0.5), (1, 2, 3),
                                                           (0.4, 0.5, 0.6, 0.7, 1.1))]


def teacher_boxes(photo: Photo, teachers: dict, rule: Rule) -> list[tuple]:
    return agreed([t.get(photo.key, []) for t in teachers.values()], rule)


def choose_rule(photos: list[Photo], teachers: dict) -> tuple[Rule, float]:
    """The agreement rule with the best photo-level micro F1 against complete real labels."""
    judged = [p for p in photos if p.split == "train" and p.complete]
    best = (RULES[0], -1.0)
    for rule in RULES:
        tp = fp = fn = 0
        for p in judged:
            said = {b[0] for b in teacher_boxes(p, teachers, rule)} & p.complete
            true = {b[0] for b in p.boxes} & p.complete
            tp, fp, fn = tp + len(said & true), fp + len(said - true), fn + len(true - said)
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        if f1 > best[1]:
            best = (rule, f1)
    return best


def photo_boxes(photo: Photo, teachers: dict, rule: Rule) -> list[tuple[str, float, float, float, float]]:
    """(category, cx, cy, w, h): real boxes for the categories the photo's labels cover, the
    teachers' for the others; a class folder's category gets a central box if none was found
    (those photos frame their subject)."""
    boxes = [b for b in photo.boxes if b[0] in photo.complete]
    boxes += [(b[0], *b[2:]) for b in teacher_boxes(photo, teachers, rule) if b[0] not in photo.complete]
    for cat in photo.present - {b[0] for b in boxes}:
        boxes.append((cat, 0.5, 0.5, 0.8, 0.8))
    return [b for b in boxes if b[3] > 0 and b[4] > 0]
