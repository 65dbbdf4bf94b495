"""The word table: what each of the 1000 ImageNet classes is called in a caption.

data/imagenet_words.tsv maps a class to the words a caption would use (tabby -> cat, espresso ->
cup coffee, fox squirrel -> squirrel), to the COCO category it is (or "-"), and says whether it
implies a person (a jersey, a bobsled). Probabilities of classes that share words add up, so 120
dog breeds make one confident "dog". Both `words` (its only eyes) and `sight` (where the object
head is silent: a squirrel, a lemon, a castle) read ImageNet's knowledge through it.
"""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TABLE = Path(__file__).parent / "data" / "imagenet_words.tsv"
# Word-table words for the scene around a subject, which captions say freely (as phrase.py's
# SETTINGS and FREE): never a subject of their own.
SCENE = {"building", "fence", "food", "light", "window"}
# Subject words that captions use for something else (a verb, an idiom, a part of the scene):
# "looks at the camera", "watch", "a swing at the ball", "train tracks". The guard leaves these
# free; every other subject is said only when the classifier names it.
SAID_LOOSELY = {"camera", "watch", "swing", "track", "slide", "pole", "outfit", "drink", "cloth", "bridge",
                "vehicle", "stairs", "platform", "fly", "pick", "bank", "bow", "chain", "machine", "pipe",
                "gate", "door", "tower", "roof", "patio", "pier", "fan", "iron", "scale", "saw", "key", "nail",
                "pin", "pen", "rack", "slot", "trap", "tank", "bubbles", "hay", "dish", "furniture", "wheel"}


@dataclass
class WordRow:
    name: str
    words: str
    coco: str
    person: bool


def read_table(path: Path = TABLE) -> list[WordRow]:
    with open(path, newline="") as f:
        rows = [WordRow(r["name"], r["words"], r["coco"], r["person"] == "1") for r in csv.DictReader(f, delimiter="\t")]
    if len(rows) != 1000:
        raise RuntimeError(f"{path}: the word table must have 1000 rows (one per ImageNet class), found {len(rows)}")
    return rows


class WordTable:
    """Class probabilities -> each concept's evidence: its classes' summed probability *above
    what a flat guess gives them* (120 dog breeds hold 0.12 of a uniform softmax: a grey wall is
    no dog)."""

    def __init__(self, path: Path = TABLE):
        self.rows = read_table(path)
        self.concepts = sorted({r.words for r in self.rows if r.words != "-"})
        self.index = index = {c: i for i, c in enumerate(self.concepts)}
        # (1000 classes x concepts) 0/1 matrix: summing class probabilities into concepts is one matmul
        self.to_concepts = np.zeros((1000, len(self.concepts)), np.float32)
        for i, r in enumerate(self.rows):
            if r.words != "-":
                self.to_concepts[i, index[r.words]] = 1.0
        self.flat = self.to_concepts.sum(axis=0) / 1000
        self.person_classes = np.array([r.person for r in self.rows])
        # a concept's COCO category ("-" for none) and whether its classes imply a person
        self.coco = {r.words: r.coco for r in self.rows if r.words != "-"}
        self.person = {r.words for r in self.rows if r.person}
        self.subjects, self.coco_concepts = self._subjects(), self._coco_concepts()

    def evidence(self, probs: np.ndarray) -> np.ndarray:
        """(1000,) class probabilities -> (concepts,) evidence above a flat guess."""
        return probs @ self.to_concepts - self.flat

    # -- what sight takes from it -----------------------------------------------------------------

    def _subjects(self) -> set[str]:
        """One-word concepts that are no COCO category, no person and no setting: what only
        ImageNet can name (squirrel, lemon, castle, fox)."""
        from .coco_words import PEOPLE
        from .settings import SETTING_WORDS
        skip = SETTING_WORDS | SCENE | set(PEOPLE) | self.person
        return {c for c in self.concepts if self.coco[c] == "-" and " " not in c and c not in skip}

    def guarded(self) -> set[str]:
        """The subjects a caption may name only when the classifier names them."""
        return self.subjects - SAID_LOOSELY

    def _coco_concepts(self) -> set[str]:
        """Concepts that are one COCO category other than a person (espresso's "cup coffee" -> cup,
        goldfinch's "bird")."""
        return {c for c, cat in self.coco.items() if cat not in ("-", "person") and c not in self.person}

    def strongest(self, evidence: np.ndarray, among: set[str], minimum: float) -> tuple[str, float] | None:
        """(concept, evidence) of the concept in `among` with the most evidence, if at least `minimum`."""
        best = max(among, key=lambda c: evidence[self.index[c]], default=None)
        return (best, float(evidence[self.index[best]])) if best and evidence[self.index[best]] >= minimum else None


@functools.cache
def shipped_table() -> WordTable:
    """The shipped word table, read once per process (sight, words and the decoder's guard share it)."""
    return WordTable()

