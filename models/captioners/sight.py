"""`sight`: the embedded default captioner. It looks at the photo and says what is there, offline.

NeuralTalk / Show, Attend and Tell in three small parts, all trained on photos (the recipe and
the measured figures are in models/README.md):
1. *Backbone*: EfficientNet-Lite0 (ImageNet weights, frozen) reads the frame at 288 px into a
   stride-16 and a stride-32 map (efficientnet_lite.py).
2. *Objects*: the object head (objects.py) finds the COCO categories there, how many and where,
   each above a threshold measured on photos no model trained on.
3. *Setting*: the setting head (setting_head.py) says which settings are there (indoors,
   street, field, water, ...).
4. *Sentence*: the caption decoder (a phrase model with eyes, phrase.py) attends over the 9x9
   image cells and the objects found, and writes one sentence by beam search (beam.py). The
   guard: it may not name an object the head did not find (CHAIR, in caption_bench), nor a
   setting the setting head did not support (setting CHAIR).

Honesty: nothing found, nothing named: below the object head's thresholds the caption says
less, in the `scene` captioner's plain words about colour and light ("an empty black wall in
dim light"), never the decoder's guess at a scene. job.json gets the objects (label, score,
box) and the top ImageNet classes.
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np

from .base import Captioner
from .beam import beam_write
from .coco_words import CATEGORIES, CONCEPT, backed_words
from .scene import SceneCaptioner, phrase

log = logging.getLogger(__name__)

DECODER = Path(__file__).resolve().parents[1] / "shipped" / "sight_decoder.safetensors"
MAX_CONCEPTS = 2      # concepts the decoder is told: 2 wrote better captions than 3 or 4 on the tune split


def concepts_for(found) -> tuple[list[str], set[str]]:
    """What the decoder is told, from the object head's findings: (the concept words of people
    when found, then of the strongest categories, MAX_CONCEPTS in all, plural when more than
    one was found; every word the caption may use for any category found, its synonyms and
    plurals, and the words they back: "parking" beside a car)."""
    count, best = Counter(f.label for f in found), {}
    for f in found:
        best[f.label] = max(best.get(f.label, 0.0), f.score)
    ranked = sorted(best, key=lambda c: (c != "person", -best[c]))   # people first: a gallery's camera sees them most
    concepts = [CONCEPT[c][count[c] > 1] for c in ranked[:MAX_CONCEPTS]]
    allowed = set()
    for c in best:
        for word in CATEGORIES[c] + CONCEPT[c]:
            allowed |= set(word.split()) | {word + "s", word + "es"}
    return concepts, allowed | {w + end for w in backed_words(best) for end in ("", "s")}


class SightCaptioner(Captioner):
    name = "sight"

    def __init__(self, device: str | None = None, objects_model: str | Path | None = None,
                 decoder_model: str | Path | None = None, settings_model: str | Path | None = None):
        import torch
        from .efficientnet_lite import EfficientNetLite, imagenet_names
        from .objects import ObjectHead
        from .phrase import PhraseModel
        from .setting_head import SettingHead
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.backbone = EfficientNetLite.from_wheel(device=self.device, dtype=dtype)
        self.objects = ObjectHead.load(objects_model, self.device).to(dtype)
        self.decoder = PhraseModel.load(decoder_model or DECODER, self.device).to(dtype)
        self.settings = SettingHead.load(settings_model, self.device).to(dtype)
        self.scene = SceneCaptioner(detect=False)   # colour and light, for a frame with nothing named
        self.class_names = imagenet_names()

    @classmethod
    def available(cls) -> tuple[bool, str]:
        from .efficientnet_lite import EfficientNetLite
        from .objects import SHIPPED
        from .setting_head import SHIPPED as SETTINGS
        from .weights import first_missing
        why = EfficientNetLite.unavailable() or first_missing(SHIPPED, DECODER, SETTINGS)
        return not why, why

    def look(self, rgb: np.ndarray):
        """(objects found, image cells for the decoder (1, 81, 1280), top-5 ImageNet classes,
        each setting group's probability)."""
        import torch
        from .efficientnet_lite import SIGHT_SIDE
        with torch.inference_mode():
            mid, top = self.backbone.features(self.backbone.pixels(rgb, SIGHT_SIDE))
            found = self.objects.find(mid, top)
            cells = self.backbone.head_map(top)
            probs = torch.softmax(self.backbone.classes(cells).float(), -1)[0]
            p, i = probs.topk(5)
            settings = self.settings.probabilities(cells)
        names = self.class_names
        classes = [{"name": names[int(k)], "p": round(float(v), 4)} for v, k in zip(p, i)]
        return found, cells.flatten(2).transpose(1, 2), classes, settings

    def describe(self, rgb: np.ndarray) -> tuple[str, dict]:
        from .settings import setting_words
        found, cells, classes, settings = self.look(rgb)
        concepts, allowed = concepts_for(found)
        supported = self.settings.supported(settings)
        details = {"objects": [f.to_dict() for f in found], "top_classes": classes, "concepts_named": concepts,
                   "settings": {g: round(p, 3) for g, p in settings.items()}, "settings_named": sorted(supported)}
        if not found:   # nothing sure enough to name: say less, colour and light, never a guess
            facts = self.scene.analyse(rgb, detect=False)
            return phrase(facts), {**details, "setting": facts.to_dict()}
        return beam_write(self.decoder, concepts, image=cells, allowed=allowed,
                          settings=setting_words(supported)), details
