"""The phrase model: concept words in, one COCO-style sentence out.

    model = PhraseModel.load()                                  # models/shipped/phrase.safetensors
    beam_write(model, ["person", "surfboard", "water"])         # "a person riding a wave on a surfboard"

Two uses, one class. Words only (`words`, the first captioner): concept words in, a sentence
out, trained on COCO's caption text. With eyes (`sight`'s decoder, config image_dim > 0): the
backbone's image cells join the concepts as tokens the decoder attends over (Show, Attend and
Tell's soft attention, as cross-attention), so it sees what the concepts leave out (a beach, a
kitchen, snow); it is trained on caption text first, then on captioned photos
(models/captioners/training). Training pairs come from each caption's own content words
(canonical forms, shuffled, some dropped, an occasional distractor), so the model learns to
write a fluent sentence around the words it is given. Words it never saw travel through a copy
slot: during training a concept is sometimes replaced by <thing> on both sides; at run time an
unknown concept goes in as <thing> and its word is put back into the sentence ("a koala
sitting in a tree"). Writing is beam.py's: beam_write(model, concepts, ...), with its guard.

People are written without gender ("a person", "two people", "a child"): a camera cannot know
it, so the model is trained on captions where man/woman/guy/lady read "person".
"""
from __future__ import annotations

import re
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn

from ..errors import ModelError

SHIPPED = Path(__file__).resolve().parents[1] / "shipped" / "phrase.safetensors"
FORMAT = "narrator-phrase/1"
PAD, BOS, EOS, THING, UNK = "<pad>", "<bos>", "<eos>", "<thing>", "<unk>"
SPECIALS = [PAD, BOS, EOS, THING, UNK]
# Where a photo was taken: concept words the eyes report from the setting, and words the
# writer may add on its own (a table under a plate is no invention worth refusing).
SETTINGS = {"sky", "field", "grass", "water", "beach", "sand", "snow", "night", "room", "street", "city",
            "kitchen", "bathroom", "bedroom", "park", "ocean", "lake", "mountain", "road",
            "window", "building", "tree", "trees", "sunset", "restaurant", "store", "market", "wall"}

# Gendered words a camera cannot judge -> what the model reads and writes instead.
NEUTRAL = {"man": "person", "woman": "person", "guy": "person", "lady": "person", "gentleman": "person",
           "men": "people", "women": "people", "guys": "people", "ladies": "people",
           "boy": "child", "girl": "child", "boys": "children", "girls": "children",
           "he": "they", "she": "they", "his": "their", "her": "their", "him": "them",
           "mother": "parent", "father": "parent", "mom": "parent", "dad": "parent"}
# Caption words -> the concept word the eyes would report.
CANONICAL = {"kitten": "cat", "kitty": "cat", "cats": "cat", "puppy": "dog", "dogs": "dog",
             "motorbike": "motorcycle", "scooter": "motorcycle", "moped": "motorcycle", "bike": "bicycle",
             "plane": "airplane", "jet": "airplane", "sofa": "couch", "fridge": "refrigerator",
             "tv": "television", "cellphone": "phone", "doughnut": "donut", "doughnuts": "donut",
             "donuts": "donut", "kids": "children", "kid": "child",
             "skiers": "skier", "surfers": "surfer", "players": "player",
             "persons": "people", "crowd": "people", "mug": "cup", "automobile": "car", "taxi": "car"}

# Words that also name a thing but are mostly colour, place or kind in a caption ("an orange
# cat", "a tennis court", "a living room"): the writer may use them freely.
FREE = {"the", "red", "orange", "living", "light", "snowy", "food", "tracks", "buildings", "fence", "top", "front",
        "side", "back", "white", "black", "green", "blue", "yellow", "brown", "grey", "gray", "pink", "purple", "close", "set", "sets", "view"}

# Words that make "each other" possible.
PLURAL = {"two", "three", "four", "several", "group", "people", "couple", "pair", "many", "some", "herd",
          "flock", "children", "crowd", "both", "they"}
# First halves of things written as two words ("skate board", "teddy bear", "hot dog").
SPLIT = {"skate", "surf", "teddy", "hot", "soccer", "motor", "dirt", "dining", "potted", "wine", "stuffed"}


class PhraseError(ModelError, ValueError):
    """A phrase-model file is missing, corrupt, or not a phrase model."""


def tokens(text: str) -> list[str]:
    """Lower-case words with gendered words made neutral: the model's view of a caption."""
    return [NEUTRAL.get(w, w) for w in re.findall(r"[a-z]+", text.lower())]


def canonical(word: str, known: set[str]) -> str:
    """The concept form of a caption word: synonyms folded, simple plurals made singular."""
    word = CANONICAL.get(word, word)
    if word not in known and word.endswith("es") and word[:-2] in known:
        return word[:-2]
    if word not in known and word.endswith("s") and word[:-1] in known:
        return word[:-1]
    return word


def concepts_of(words: list[str], concepts: set[str]) -> list[str]:
    """The concepts a caption's tokens name, in canonical form and in order, each once:
    ["two", "squirrels", "and", "a", "squirrel"] -> ["squirrel"]."""
    seen = []
    for w in words:
        c = canonical(w, concepts)
        if c in concepts and c not in seen:
            seen.append(c)
    return seen


@dataclass
class PhraseConfig:
    d_model: int = 192
    heads: int = 4
    encoder_layers: int = 2
    decoder_layers: int = 2
    ff: int = 512
    max_len: int = 24       # longest sentence, in words
    max_concepts: int = 8
    dropout: float = 0.1
    image_dim: int = 0      # 0: words only; else the width of each image cell the decoder attends over
    image_cells: int = 81   # 9x9 cells of the backbone's stride-32 map at 288 px


class PhraseModel(nn.Module):
    """A small encoder-decoder transformer. The encoder reads the concepts as a set (no
    positions); the decoder writes words left to right."""

    def __init__(self, config: PhraseConfig, words: list[str]):
        super().__init__()
        self.config, self.words = config, list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        V, d = len(self.words), config.d_model
        self.embed = nn.Embedding(V, d, padding_idx=0)
        self.position = nn.Embedding(config.max_len + 2, d)
        with warnings.catch_warnings():   # pre-norm layers cannot use nested tensors; torch says so on every load
            warnings.filterwarnings("ignore", message="enable_nested_tensor is True")
            self.transformer = nn.Transformer(d, config.heads, config.encoder_layers, config.decoder_layers,
                                              config.ff, config.dropout, batch_first=True, norm_first=True)
        self.head = nn.Linear(d, V, bias=False)
        self.head.weight = self.embed.weight   # tied: a word reads and writes the same vector
        if config.image_dim:   # the eyes: each image cell is a token beside the concepts
            self.image = nn.Linear(config.image_dim, d)
            self.image_position = nn.Embedding(config.image_cells, d)

    # -- the network ----------------------------------------------------------------------------

    def encode(self, concepts: torch.Tensor, image: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """concepts (B, C) ids, image (B, cells, image_dim) or None -> (memory, its padding mask)."""
        x, pad = self.embed(concepts), concepts == 0
        if image is not None:
            cells = self.image(image) + self.image_position.weight[: image.shape[1]]
            x = torch.cat([x, cells], 1)
            pad = torch.cat([pad, torch.zeros(pad.shape[0], image.shape[1], dtype=torch.bool, device=pad.device)], 1)
        return self.transformer.encoder(x, src_key_padding_mask=pad), pad

    def decode(self, memory, pad, prefix) -> torch.Tensor:
        """Logits for every position of prefix (training; writing steps with DecoderStepper)."""
        T = prefix.shape[1]
        x = self.embed(prefix) + self.position(torch.arange(T, device=prefix.device))
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=prefix.device)
        y = self.transformer.decoder(x, memory, tgt_mask=mask, tgt_is_causal=True, memory_key_padding_mask=pad)
        return self.head(y)

    def forward(self, concepts: torch.Tensor, prefix: torch.Tensor, image: torch.Tensor | None = None) -> torch.Tensor:
        """concepts (B, C) ids, prefix (B, T) ids starting with <bos> -> logits (B, T, V)."""
        return self.decode(*self.encode(concepts, image), prefix)

    # -- writing --------------------------------------------------------------------------------

    def ids(self, concepts: list[str]) -> tuple[list[int], dict[str, str]]:
        """Concept words -> ids; unknown words go through the <thing> slot (at most one)."""
        out, slot = [], {}
        for c in concepts[: self.config.max_concepts]:
            for w in c.lower().split():
                if w in self.index:
                    out.append(self.index[w])
                elif not slot:
                    slot[THING] = w
                    out.append(self.index[THING])
        return out or [self.index[UNK]], slot

    def groups(self, words: set[str]) -> tuple[dict[int, list[int]], set[int]]:
        """(word id -> the ids of it and its plural/singular, the ids of plural forms): a thing
        is named once, in one number, and a plural makes "each other" possible."""
        def stem(w: str) -> str:
            for end in ("es", "s"):
                if w.endswith(end) and w[:-len(end)] in self.index:
                    return w[:-len(end)]
            return w
        key = {}
        for w in words:
            base = stem(w)
            for form in (base, base + "s", base + "es"):
                if form in self.index:
                    key[self.index[form]] = base
        members: dict[str, list[int]] = {}
        for i, k in key.items():
            members.setdefault(k, []).append(i)
        plural_ids = {i for i, k in key.items() if self.words[i] != k}
        return {i: members[k] for i, k in key.items()}, plural_ids

    def object_words(self) -> set[str]:
        """Words that name a thing or a person, which the writer may only use when given:
        the concepts it was trained with, COCO's object and people words, the words that need
        one of them (coco_words.EVIDENCE), the subjects only the classifier may name
        (word_table.py), and their plurals."""
        if not hasattr(self, "_objects"):
            from .coco_words import CATEGORIES, EVIDENCE, forms
            from .word_table import shipped_table
            words = set(getattr(self, "meta", {}).get("concepts", ()))
            words |= {w for syns in CATEGORIES.values() for w in syns if " " not in w} | set(EVIDENCE)
            words |= shipped_table().guarded()   # a box, a mask, a fish: only when the classifier says so
            words = {f for w in words for f in forms(w)}
            words |= SPLIT   # "skate board" is a skateboard too
            self._objects = {w for w in words - SETTINGS - FREE if w in self.index and len(w) > 1}
        return self._objects

    # -- files ----------------------------------------------------------------------------------

    def save(self, path: str | Path, meta: dict) -> None:
        from .weights import write_weights
        tensors = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in self.state_dict().items()
                   if k != "head.weight"}
        write_weights(Path(path), tensors, dict(meta, format=FORMAT, config=asdict(self.config), words=self.words))

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> "PhraseModel":
        from .weights import read_weights
        path = Path(path or SHIPPED)
        tensors, meta = read_weights(path, FORMAT, PhraseError, "phrase model")
        try:
            config, words = PhraseConfig(**meta["config"]), meta["words"]
            check_bounds(config, words)
            model = cls(config, words)
            tensors["head.weight"] = tensors["embed.weight"]
            model.load_state_dict({k: v.float() for k, v in tensors.items()})
        except (TypeError, KeyError, ValueError, RuntimeError) as e:
            raise PhraseError(f"{path}: weights do not match its own config: {e}") from None
        model.meta = meta
        return model.to(device).eval()


BOUNDS = {"d_model": 2048, "heads": 64, "encoder_layers": 24, "decoder_layers": 24, "ff": 8192, "max_len": 256,
          "max_concepts": 64, "image_dim": 8192, "image_cells": 4096}


def check_bounds(config: PhraseConfig, words: list) -> None:
    """Refuse a config no shipped model could have before anything is allocated for it."""
    for k, most in BOUNDS.items():
        v = getattr(config, k)
        if not isinstance(v, int) or not (0 if k == "image_dim" else 1) <= v <= most:
            raise ValueError(f"{k} = {v!r} is outside 1..{most}")
    if config.d_model % config.heads or not (isinstance(words, list) and 0 < len(words) <= 200_000):
        raise ValueError("heads must divide d_model and the vocabulary must be a list of words")


def fix_articles(text: str) -> str:
    """'a elephant' -> 'an elephant' after words were put back through the slot."""
    return re.sub(r"\ba ([aeiou])", r"an \1", re.sub(r"\ban ([^aeiou\W])", r"a \1", text))
