"""The phrase model: concept words in, one COCO-style sentence out.

    model = PhraseModel.load()                                  # models/shipped/phrase.safetensors
    model.write(["person", "surfboard", "water"])               # "a person riding a wave on a surfboard"

NeuralTalk wrote captions from pixels; with no image-caption pairs to learn from at scale, the
eyes here are split in two: detectors and the ImageNet classifier say *what* is in the frame,
and this small transformer, trained on COCO's caption text alone, says it the way people do.
Training pairs come from each caption's own content words (canonical forms, shuffled, some
dropped, an occasional distractor), so the model learns to write a fluent sentence around the
words it is given. Words it never saw travel through a copy slot: during training a concept is
sometimes replaced by <thing> on both sides; at run time an unknown concept goes in as <thing>
and its word is put back into the sentence ("a koala sitting in a tree").

People are written without gender ("a person", "two people", "a child"): a camera cannot know
it, so the model is trained on captions where man/woman/guy/lady read "person".
"""
from __future__ import annotations

import json
import re
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn

from ..errors import ModelError
from .stepper import DecoderStepper

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
FREE = {"the", "red", "orange", "living", "light", "fire", "parking", "traffic", "cell", "snowy", "tennis",
        "baseball", "food", "tracks", "buildings", "fence", "top", "front", "side", "back", "white", "black",
        "green", "blue", "yellow", "brown", "grey", "gray", "pink", "purple", "close", "set", "sets", "view"}

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

    # -- the network ----------------------------------------------------------------------------

    def encode(self, concepts: torch.Tensor) -> torch.Tensor:
        return self.transformer.encoder(self.embed(concepts), src_key_padding_mask=concepts == 0)

    def decode(self, memory, concepts, prefix) -> torch.Tensor:
        """Logits for every position of prefix (training; writing steps with DecoderStepper)."""
        T = prefix.shape[1]
        x = self.embed(prefix) + self.position(torch.arange(T, device=prefix.device))
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=prefix.device)
        y = self.transformer.decoder(x, memory, tgt_mask=mask, tgt_is_causal=True,
                                     memory_key_padding_mask=concepts == 0)
        return self.head(y)

    def forward(self, concepts: torch.Tensor, prefix: torch.Tensor) -> torch.Tensor:
        """concepts (B, C) ids, prefix (B, T) ids starting with <bos> -> logits (B, T, V)."""
        return self.decode(self.encode(concepts), concepts, prefix)

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

    @torch.inference_mode()
    def write(self, concepts: list[str], beams: int = 4) -> str:
        """One sentence using the concepts: beam search that may not name an object or person
        it was not given, nor the same thing twice, nor repeat a word pair; then the beam that
        mentions the most given concepts wins (ties: the likelier). Deterministic."""
        ids, slot = self.ids(concepts)
        dev = self.embed.weight.device
        src = torch.tensor([ids], device=dev)
        memory = self.encode(src)
        bos, eos = self.index[BOS], self.index[EOS]
        given = {self.words[i] for i in ids}
        given |= {w + "s" for w in given} | {w + "es" for w in given}   # two elephants are still elephants
        objects = self.object_words()
        # never an object or a person it was not given; each thing it names, named once
        banned = torch.tensor([self.index[w] for w in objects - given if w in self.index], dtype=torch.long)
        once, plural_ids = self.groups(objects | {self.words[i] for i in ids})
        each = self.index.get("each")
        alive = [([bos], 0.0)]
        done: list[tuple[list[int], float]] = []
        stepper = DecoderStepper(self.transformer.decoder, memory, src == 0)
        for t in range(self.config.max_len):
            last = torch.tensor([[a[0][-1]] for a in alive], device=dev)
            x = self.embed(last) + self.position(torch.tensor([t], device=dev))
            logp = torch.log_softmax(self.head(stepper.step(x))[:, -1].float(), -1)
            logp[:, self.index[PAD]] = logp[:, bos] = logp[:, self.index[UNK]] = -1e9
            logp[:, banned] = -1e9
            if not slot:
                logp[:, self.index[THING]] = -1e9
            for row, (seq, _) in enumerate(alive):   # no word pair twice, no thing named twice
                for a, b in zip(seq[1:], seq[2:]):
                    if a == seq[-1]:
                        logp[row, b] = -1e9
                logp[row, seq[-1]] = -1e9
                for w in seq:
                    if w in once:
                        logp[row, once[w]] = -1e9
                if each is not None and not any(self.words[w] in PLURAL or w in plural_ids for w in seq):
                    logp[row, each] = -1e9   # "a cat sitting next to each other": one cat has no other
            scores = torch.tensor([a[1] for a in alive], device=dev)[:, None] + logp
            top = torch.topk(scores.flatten(), 2 * beams)
            nxt, rows = [], []
            for s, flat in zip(top.values.tolist(), top.indices.tolist()):
                row, word = divmod(flat, logp.shape[1])
                seq = alive[row][0] + [word]
                if word == eos:
                    done.append((seq, s))
                else:
                    nxt.append((seq, s))
                    rows.append(row)
                if len(nxt) == beams:
                    break
            alive = nxt
            if len(done) >= beams or not alive:
                break
            stepper.keep(rows)
        done = done or alive
        wanted = {self.words[i] for i in ids} | set(slot.values())

        def rank(item):
            seq, score = item
            said = {self.words[i] for i in seq}
            return (len(wanted & said), score / max(1, len(seq) - 1) ** 0.7)

        best = max(done, key=rank)[0]
        words = [slot.get(self.words[i], self.words[i]) for i in best[1:] if i != eos]
        return fix_articles(" ".join(words))

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
        the concepts it was trained with, COCO's object and people words, and their plurals."""
        if not hasattr(self, "_objects"):
            from .coco_words import CATEGORIES
            words = set(getattr(self, "meta", {}).get("concepts", ()))
            words |= {w for syns in CATEGORIES.values() for w in syns if " " not in w}
            words |= {w + "s" for w in words} | {w + "es" for w in words}
            words |= SPLIT   # "skate board" is a skateboard too
            self._objects = {w for w in words - SETTINGS - FREE if w in self.index and len(w) > 1}
        return self._objects

    # -- files ----------------------------------------------------------------------------------

    def save(self, path: str | Path, meta: dict) -> None:
        from safetensors.torch import save_file
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in self.state_dict().items()
                   if k != "head.weight"}
        meta = dict(meta, format=FORMAT, config=asdict(self.config), words=self.words)
        tmp = path.with_name(path.name + ".tmp")
        save_file(tensors, str(tmp), metadata={"narrator": json.dumps(meta)})
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> "PhraseModel":
        from safetensors import SafetensorError, safe_open
        from safetensors.torch import load_file
        path = Path(path or SHIPPED)
        try:
            with safe_open(str(path), framework="pt") as f:
                meta = json.loads((f.metadata() or {}).get("narrator", "{}"))
            tensors = load_file(str(path))
        except FileNotFoundError:
            raise PhraseError(f"phrase model not found: {path}") from None
        except (SafetensorError, OSError, ValueError) as e:
            raise PhraseError(f"{path} is not a readable phrase model (corrupt or truncated?): {e}") from None
        if meta.get("format") != FORMAT:
            raise PhraseError(f"{path} is not a narrator phrase model (no '{FORMAT}' metadata)")
        try:
            model = cls(PhraseConfig(**meta["config"]), meta["words"])
            tensors["head.weight"] = tensors["embed.weight"]
            model.load_state_dict({k: v.float() for k, v in tensors.items()})
        except (TypeError, KeyError, RuntimeError) as e:
            raise PhraseError(f"{path}: weights do not match its own config: {e}") from None
        model.meta = meta
        return model.to(device).eval()


def fix_articles(text: str) -> str:
    """'a elephant' -> 'an elephant' after words were put back through the slot."""
    return re.sub(r"\ba ([aeiou])", r"an \1", re.sub(r"\ban ([^aeiou\W])", r"a \1", text))
