"""`words`: the first embedded captioner, built from words alone (kept to measure `sight` against).

It never saw a photo with its caption: it names ImageNet classes through a word table, so it
misses people (ImageNet has no person class) and names things that are not there (about 28 %
of COCO photos, caption_bench). `sight` replaced it as the default.

NeuralTalk-style in three parts, each small enough to read:
1. *What is there*: the ImageNet classifier (EfficientNet-Lite0, efficientnet_lite.py) and
   OpenCV's face detector; the `scene` analysis adds colour, light and setting.
2. *Words*: the word table (word_table.py) maps each of the 1000 ImageNet classes to the words a
   caption would use (tabby -> cat, espresso -> cup coffee). Probabilities of classes that share
   words add up, so 120 dog breeds make one confident "dog".
3. *Sentence*: the phrase model (phrase.py), trained on COCO caption text, writes one sentence
   around the concepts found.

Honesty: a concept becomes the subject only above a confidence measured on captioned photos
(SUBJECT_MIN). With nothing that sure, the caption says less, from the setting alone ("a dim
room beside a patch of red light"). The top classes with probabilities and the detections go
into the caption's details (and so into job.json).
"""
from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from .base import Captioner
from .beam import beam_write
from .coco_words import CATEGORIES
from .scene import SceneCaptioner, SceneFacts, _fit, cascade, phrase
from .word_table import shipped_table

log = logging.getLogger(__name__)

# Confidence needed before anything is named, chosen on coco-mini's photos (docs/benchmarks.md).
# A concept's evidence is its classes' summed probability *above what a flat guess gives them*
# (120 dog breeds hold 0.12 of a uniform softmax: a grey wall is no dog).
PEAK_MIN = 0.03        # the top class at least this sure, else the photo is unreadable to it
SUBJECT_MIN = 0.08     # the subject's evidence
SECOND_MIN = 0.08      # a second concept joins the first above this
PERSON_MIN = 0.03      # evidence of person-implying classes (suits, jerseys, skis...)
TEXTURE_MIN = 0.01     # edge density: below it the frame is a plain surface (every coco-mini photo had >= 0.015)
FACE_SIDE = 320        # faces worth naming are 1/12 of the frame or more: 27 px here, plenty for a cascade
WHO = set(CATEGORIES["person"]) | {"gymnast", "graduate"}   # concept words that are people already
GROUND = {"green": "field", "blue": "water", "teal": "water", "yellow": "beach", "white": "snow"}


class WordsCaptioner(Captioner):
    name = "words"

    def __init__(self, device: str | None = None, phrase_model: str | Path | None = None):
        import torch
        from .efficientnet_lite import EfficientNetLite
        from .phrase import PhraseModel
        dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = torch.float16 if dev.type == "cuda" else torch.float32
        self.classifier = EfficientNetLite.from_wheel(device=dev, dtype=dtype)
        self.phrases = PhraseModel.load(phrase_model, dev)
        self.table = shipped_table()
        self.scene = SceneCaptioner(detect=False)   # the setting only
        self.face = cascade("frontalface_default")

    @classmethod
    def available(cls) -> tuple[bool, str]:
        from .efficientnet_lite import EfficientNetLite
        from .phrase import SHIPPED
        from .weights import first_missing
        why = EfficientNetLite.unavailable() or first_missing(SHIPPED)
        if why:
            return False, why
        return SceneCaptioner.available()

    def faces(self, rgb: np.ndarray) -> list[tuple[float, float, float, float]]:
        """Frontal faces as (x, y, w, h) fractions of the frame. Strict (minNeighbors 10, at
        least 1/12 of the frame wide): on COCO photos looser settings found more faces that were
        not there than faces that were; a visitor in front of the camera has a large face."""
        H, W = rgb.shape[:2]
        if min(H, W) < 24:
            return []
        gw, gh = _fit(W, H, FACE_SIDE)
        gray = cv2.equalizeHist(cv2.cvtColor(cv2.resize(rgb, (gw, gh), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY))
        found = self.face.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=10, minSize=(max(20, gw // 12),) * 2)
        return [(x / gw, y / gh, w / gw, h / gh) for x, y, w, h in (found if len(found) else [])]

    def look(self, rgb: np.ndarray) -> dict:
        """Everything seen, as plain data: top classes, concept scores, people, setting."""
        probs = self.classifier.classify(rgb)
        scores = self.table.evidence(probs)
        top = np.argsort(-probs)[:5]
        ranked = np.argsort(-scores)[:5]
        faces = self.faces(rgb)
        person = self.table.person_classes
        person_p = float(probs[person].sum() - person.mean())
        return {
            "classes": [{"name": self.table.rows[i].name, "p": round(float(probs[i]), 4)} for i in top],
            "concepts": [{"words": self.table.concepts[i], "evidence": round(float(scores[i]), 4)} for i in ranked],
            "faces": [[round(v, 3) for v in f] for f in faces],
            "person_evidence": round(person_p, 4),
            "setting": self.scene.analyse(rgb, detect=False).to_dict(),
        }

    def choose(self, seen: dict) -> list[str]:
        """The concept words confident enough to name, people first."""
        chosen = []
        # a plain surface or a flat guess shows nothing to name, whatever the classes say
        readable = seen["classes"][0]["p"] >= PEAK_MIN and seen["setting"]["texture"] >= TEXTURE_MIN
        found = [c for c in seen["concepts"] if c["evidence"] >= SECOND_MIN]
        if readable and found and found[0]["evidence"] >= SUBJECT_MIN:
            chosen = [c["words"] for c in found[:2]]
        said = {w for c in chosen for w in c.split()}
        if not said & WHO:   # "a baseball player" needs no "person" beside it
            n_faces = len(seen["faces"])
            person = readable and seen["person_evidence"] >= PERSON_MIN
            if n_faces >= 2:
                chosen.insert(0, "people")
            elif n_faces == 1 or person:
                chosen.insert(0, "person")
        setting = seen["setting"]
        if chosen and setting.get("horizon") and setting.get("ground") in GROUND:
            chosen.append(GROUND[setting["ground"]])   # "a dog in the snow"
        return chosen

    def describe(self, rgb: np.ndarray) -> tuple[str, dict]:
        seen = self.look(rgb)
        concepts = self.choose(seen)
        if concepts:
            text = beam_write(self.phrases, concepts)
        else:   # nothing sure enough to name: say less, from the setting alone
            text = phrase(SceneFacts(**seen["setting"]))
        return text, {"concepts_named": concepts, **seen}
