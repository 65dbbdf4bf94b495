"""Draft the table from the 1000 ImageNet classes to caption words, then apply the review.

    apt-get install wordnet-base                       # WordNet 3.0 (Debian), the hypernyms
    pip download --no-deps timm -d /tmp/timm           # only for the ordered list of 1000 wnids
    python -m models.captioners.draft_wordtable --synsets imagenet_synsets.txt \
        --captions ../shared/data/captions/coco_captions_val2017.json

Writes models/captioners/data/imagenet_words.tsv: index, wnid, ImageNet name, the concept words
a caption would use (space-separated, "-" for none), the COCO category they name ("-" for none)
and whether the class implies a person in the frame.

The draft: the class's own name when COCO's captions use it (>= 5 times), else the nearest
WordNet hypernym they use often (>= 20 times as a word, >= 10 as a two-word name): tabby -> cat,
Italian greyhound -> dog, Indian elephant -> elephant; else the nearest name they use at all
(whiptail -> lizard), else the class's own last word (koala). Then the review (data/reviewed_words.tsv) overrides what a
reader would say differently (espresso -> cup coffee, tripod -> camera tripod) and drops classes
that are never the subject of a photo or are too often wrong (`-`).
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import re
from pathlib import Path

from .coco_words import CATEGORIES

WORDNET = Path("/usr/share/wordnet/data.noun")
OUT = Path(__file__).parent / "data" / "imagenet_words.tsv"
PERSON = "00007846"          # person.n.01
MIN_OWN = 5                  # the class's own name: COCO's captions use it at least this often
MIN_WORD, MIN_PAIR = 20, 10  # a hypernym's name: at least this often as a word / a word pair
# Hypernyms too vague to be a subject: the walk goes on past them.
GENERIC = {"object", "device", "clothing", "machine", "equipment", "container", "piece", "being", "game",
           "toy", "wood", "top", "board", "bar", "meter", "disc", "gear", "control", "platform", "post",
           "case", "can", "rack", "pool", "stick", "brush", "cream", "thing", "material", "structure",
           "animal", "vehicle", "item", "unit", "system", "covering", "area", "place", "part", "whole",
           "construction", "transport", "wind", "string", "fixing", "fabric", "wear", "automatic", "rail",
           "organism", "kit", "patch", "commode", "hose", "plaque", "rig", "good", "instrument", "grand",
           "upright", "setup", "arm", "formation", "appliance", "slide", "track", "weight", "support"}

# The review: ImageNet name -> concept words ("-" drops the class as a subject), one per line
# in data/reviewed_words.tsv, written by hand where the draft read wrong.
REVIEWED_FILE = Path(__file__).parent / "data" / "reviewed_words.tsv"


def read_reviewed(path: Path = REVIEWED_FILE) -> dict[str, str]:
    with open(path, newline="") as f:
        return {r["name"]: r["words"] for r in csv.DictReader(f, delimiter="\t")}


PEOPLE_CLASSES = {  # classes whose photos nearly always show a person, wearing or using the thing
    "ballplayer", "scuba diver", "groom", "bow tie", "Windsor tie", "suit", "jersey", "sweatshirt",
    "cardigan", "sunglass", "sunglasses", "wig", "lipstick", "mask", "swimming trunks", "bikini",
    "maillot", "miniskirt", "gown", "abaya", "kimono", "fur coat", "trench coat", "lab coat",
    "military uniform", "academic gown", "mortarboard", "cowboy hat", "sombrero", "football helmet",
    "snorkel", "water ski", "horizontal bar", "parallel bars", "balance beam", "crutch", "stretcher",
    "ski", "racket", "unicycle", "jean", "poncho", "stole", "vestment", "pajama", "apron", "bulletproof vest",
    "knee pad", "crash helmet", "hoopskirt", "overskirt", "brassiere", "cloak", "feather boa", "bonnet",
    "shower cap", "neck brace", "bath towel", "bearskin", "breastplate", "cuirass",
    "paddle", "volleyball", "rugby ball", "basketball", "tennis ball", "puck",
    "dumbbell", "barbell", "harmonica", "oboe", "flute", "sax", "trombone", "cornet", "violin",
    "cello", "banjo", "accordion", "acoustic guitar", "electric guitar", "stage", "microphone",
    "dogsled", "bobsled", "snowmobile", "tricycle", "mountain bike", "bicycle-built-for-two",
    "barbershop", "jinrikisha", "horse cart", "oxcart",
}


def read_wordnet(path: Path = WORDNET) -> dict[str, tuple[list[str], list[str]]]:
    """offset -> (lemmas, hypernym offsets) for every noun synset."""
    synsets = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split(" | ")[0].split()
        offset, n_words = fields[0], int(fields[3], 16)
        lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).replace("_", " ") for i in range(n_words)]
        rest = fields[4 + 2 * n_words:]
        n_ptr = int(rest[0])
        hypernyms = [rest[1 + 4 * i + 1] for i in range(n_ptr) if rest[1 + 4 * i] in ("@", "@i")]
        synsets[offset] = (lemmas, hypernyms)
    return synsets


def ancestors(offset: str, synsets) -> list[str]:
    """The synset and its hypernyms, nearest first (breadth first)."""
    seen, queue = [], [offset]
    while queue:
        o = queue.pop(0)
        if o not in seen:
            seen.append(o)
            queue += synsets[o][1]
    return seen


def caption_counts(captions_json: Path) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for a in json.loads(captions_json.read_text())["annotations"]:
        w = re.findall(r"[a-z]+", a["caption"].lower())
        counts.update(w)
        counts.update(" ".join(p) for p in zip(w, w[1:]))
    return counts


def coco_category(words: str) -> str:
    """The COCO category the words name: word pairs first, then the last word (the head
    noun), then any word ("teddy bear" is a teddy bear, "hot dog" no dog, "computer mouse" a mouse)."""
    toks = words.split()
    for grams in ([" ".join(p) for p in zip(toks, toks[1:])], [toks[-1]], toks):
        for cat, syns in CATEGORIES.items():
            if set(grams).intersection(syns):
                return cat
    return "-"


def _nearest_common_name(chain: list[str], synsets, counts) -> str:
    """The class's own name when captions use it, else the nearest hypernym they use often,
    else the nearest one-word name they use at all, else the class's own last word (the phrase
    model copies words it has never seen)."""
    lemmas = [(depth, l.lower()) for depth, o in enumerate(chain) for l in synsets[o][0]
              if l.count(" ") <= 1 and l.lower() not in GENERIC]
    for depth, l in lemmas:
        if counts[l] >= (MIN_OWN if depth == 0 else MIN_PAIR if " " in l else MIN_WORD):
            return l
    for depth, l in lemmas:
        if " " not in l and counts[l] >= 2:
            return l
    return synsets[chain[0]][0][0].lower().split()[-1].replace("-", " ")


def draft(wnids: list[str], synsets, counts) -> list[tuple]:
    reviewed = read_reviewed()
    rows = []
    for i, wnid in enumerate(wnids):
        chain = ancestors(wnid[1:], synsets)
        name = synsets[chain[0]][0][0]
        words = _nearest_common_name(chain, synsets, counts)
        words = reviewed.get(name, words)
        person = PERSON in chain or name in PEOPLE_CLASSES
        rows.append((i, wnid, name, words, coco_category(words) if words != "-" else "-", int(person)))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--synsets", required=True, help="the 1000 ImageNet wnids, one per line, in class order")
    p.add_argument("--captions", required=True, help="COCO captions JSON (caption vocabulary)")
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args()
    wnids = [w.strip() for w in Path(args.synsets).read_text().split() if w.strip()]
    if len(wnids) != 1000:
        raise SystemExit(f"{args.synsets}: expected 1000 wnids, found {len(wnids)}")
    rows = draft(wnids, read_wordnet(), caption_counts(Path(args.captions)))
    lines = ["index\twnid\tname\twords\tcoco\tperson"] + ["\t".join(map(str, r)) for r in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    named = sum(r[3] != "-" for r in rows)
    print(f"wrote {args.out}: {named} of 1000 classes have caption words, "
          f"{sum(r[4] != '-' for r in rows)} name a COCO category, {sum(r[5] for r in rows)} imply a person")


if __name__ == "__main__":
    main()
