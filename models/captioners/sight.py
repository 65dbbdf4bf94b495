"""`sight`: the embedded default captioner. It looks at the photo and says what is there, offline.

NeuralTalk / Show, Attend and Tell in small parts, all trained on photos (the recipe and
the measured figures are in models/README.md):
1. *Backbone*: EfficientNet-Lite0 (ImageNet weights, frozen) reads the frame at 288 px into a
   stride-16 and a stride-32 map (efficientnet_lite.py).
2. *Objects*: the object head (objects.py) finds the COCO categories there, how many and where,
   each above a threshold measured on photos no model trained on.
3. *Setting*: the setting head (setting_head.py) says which settings are there (indoors,
   street, field, water, ...).
4. *What ImageNet knows*: the backbone's own classifier, read through the word table
   (word_table.py), adds a COCO category the object head missed when it is sure of it (an
   espresso's cup) and a subject only it can name (a squirrel, a lemon, a castle).
5. *Sentence*: the caption decoder (a phrase model with eyes, phrase.py) attends over the 9x9
   image cells and the objects found, and writes one sentence by beam search (beam.py). The
   guard: it may not name an object the head did not find (CHAIR, in caption_bench), nor a
   setting the setting head did not support (setting CHAIR).

Honesty: nothing found, nothing named: below the object head's and the classifier's thresholds
the caption says less, in the `scene` captioner's plain words about colour and light ("an empty
black wall in dim light"; a room only where the setting head sees indoors), never the
decoder's guess at a scene. job.json gets the objects (label, score, box), the top ImageNet
classes and what the classifier added.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np

from .base import Captioner
from .beam import beam_write
from .coco_words import CATEGORIES, CONCEPT, backed_words, forms
from .scene import SceneCaptioner, phrase

log = logging.getLogger(__name__)

DECODER = Path(__file__).resolve().parents[1] / "shipped" / "sight_decoder.safetensors"
MAX_CONCEPTS = 2      # concepts the decoder is told: 2 wrote better captions than 3 or 4 on the tune split
# What the ImageNet classifier may add where the object head is silent (word_table.py), each
# threshold on the evidence above a flat guess. Measured on the 8,604 training photos (which the
# classifier never saw), the share whose captions name what it adds (docs/benchmarks.md): a COCO
# category 0.88 at 0.3; a subject 0.62 at 0.4, 0.71 at 0.5, and 0.45 between the two.
CLASSIFIER_COCO_MIN = 0.3   # a COCO category it is this sure of counts as found (an espresso's cup)
SUBJECT_MIN = 0.5           # a subject only it can name (a squirrel, a lemon), told after the objects


def concepts_for(found, seen: tuple[str, float] | None = None, subject: str | None = None) -> tuple[list[str], set[str]]:
    """What the decoder is told, from the object head's findings and what the classifier saw
    (a COCO category the head missed, with its evidence; a subject outside COCO): (the concept words of people
    when found, then of the strongest categories, MAX_CONCEPTS in all, plural when more than
    one was found, then the subject; every word the caption may use for any category found,
    its synonyms and plurals, the words they back ("parking" beside a car), and the subject's)."""
    count, best = Counter(f.label for f in found), {}
    for f in found:
        best[f.label] = max(best.get(f.label, 0.0), f.score)
    if seen and seen[0] not in best:
        count[seen[0]], best[seen[0]] = 1, seen[1]
    ranked = sorted(best, key=lambda c: (c != "person", -best[c]))   # people first: a gallery's camera sees them most
    concepts = [CONCEPT[c][count[c] > 1] for c in ranked[:MAX_CONCEPTS]]
    allowed = set()
    for c in best:
        for word in CATEGORIES[c] + CONCEPT[c]:
            allowed |= set(word.split()) | forms(word)
    if subject:
        concepts.append(subject)
        allowed |= forms(subject)
    return concepts, allowed | {f for w in backed_words(best) for f in forms(w)}


def classifier_adds(table, probs: np.ndarray) -> tuple[tuple[str, float] | None, str | None]:
    """What ImageNet knows that the object head may not say, from the word table (word_table.py):
    ((a COCO category the classifier is sure of, its evidence), a subject only it can name)."""
    evidence = table.evidence(probs)
    coco = table.strongest(evidence, table.coco_concepts, CLASSIFIER_COCO_MIN)
    subject = table.strongest(evidence, table.subjects, SUBJECT_MIN)
    return ((table.coco[coco[0]], coco[1]) if coco else None), (subject[0] if subject else None)


class SightCaptioner(Captioner):
    name = "sight"

    def __init__(self, device: str | None = None, objects_model: str | Path | None = None,
                 decoder_model: str | Path | None = None, settings_model: str | Path | None = None):
        import torch
        from .efficientnet_lite import EfficientNetLite
        from .objects import ObjectHead
        from .phrase import PhraseModel
        from .setting_head import SettingHead
        from .word_table import shipped_table
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.backbone = EfficientNetLite.from_wheel(device=self.device, dtype=dtype)
        self.objects = ObjectHead.load(objects_model, self.device).to(dtype)
        self.decoder = PhraseModel.load(decoder_model or DECODER, self.device).to(dtype)
        self.settings = SettingHead.load(settings_model, self.device).to(dtype)
        self.scene = SceneCaptioner(detect=False)   # colour and light, for a frame with nothing named
        self.table = shipped_table()   # the classifier's words, and its class names

    @classmethod
    def available(cls) -> tuple[bool, str]:
        from .efficientnet_lite import EfficientNetLite
        from .objects import SHIPPED
        from .setting_head import SHIPPED as SETTINGS
        from .weights import first_missing
        why = EfficientNetLite.unavailable() or first_missing(SHIPPED, DECODER, SETTINGS)
        return not why, why

    def look(self, rgb: np.ndarray):
        """(objects found, image cells for the decoder (1, 81, 1280), the ImageNet class
        probabilities (1000,), each setting group's probability)."""
        import torch
        from .efficientnet_lite import SIGHT_SIDE
        with torch.inference_mode():
            mid, top = self.backbone.features(self.backbone.pixels(rgb, SIGHT_SIDE))
            found = self.objects.find(mid, top)
            cells = self.backbone.head_map(top)
            probs = self.backbone.probabilities(cells)[0].cpu().numpy()
            settings = self.settings.probabilities(cells)
        return found, cells.flatten(2).transpose(1, 2), probs, settings

    def describe(self, rgb: np.ndarray) -> tuple[str, dict]:
        from .settings import setting_words
        found, cells, probs, settings = self.look(rgb)
        seen, subject = classifier_adds(self.table, probs)
        concepts, allowed = concepts_for(found, seen, subject)
        supported = self.settings.supported(settings)
        top = np.argsort(-probs)[:5]
        classes = [{"name": self.table.rows[k].name, "p": round(float(probs[k]), 4)} for k in top]
        details = {"objects": [f.to_dict() for f in found], "top_classes": classes, "concepts_named": concepts,
                   "classifier_adds": [w for w in (seen and seen[0], subject) if w],
                   "settings": {g: round(p, 3) for g, p in settings.items()}, "settings_named": sorted(supported)}
        if not concepts:   # nothing sure enough to name: say less, colour and light, never a guess
            facts = self.scene.analyse(rgb, detect=False)
            return phrase(facts, rooms="indoors" in supported), {**details, "setting": facts.to_dict()}
        return beam_write(self.decoder, concepts, image=cells, allowed=allowed,
                          settings=setting_words(supported)), details
