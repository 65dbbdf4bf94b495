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
(whiptail -> lizard), else the class's own last word (koala). Then REVIEWED overrides what a
reader would say differently (espresso -> cup coffee, tripod -> camera tripod) and drops classes
that are never the subject of a photo or are too often wrong (`-`).
"""
from __future__ import annotations

import argparse
import collections
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

# The review: ImageNet name -> concept words ("-" drops the class as a subject).
REVIEWED = {
    "espresso": "cup coffee", "cup": "cup coffee", "coffee mug": "coffee mug", "tripod": "camera tripod",
    "moped": "motorcycle", "motor scooter": "motorcycle", "crash helmet": "motorcycle helmet",
    "tabby": "cat", "tiger cat": "cat", "Persian cat": "cat", "Siamese cat": "cat", "Egyptian cat": "cat",
    "dining table": "dining table", "plate": "plate food", "restaurant": "restaurant table",
    "entertainment center": "living room television", "home theater": "living room television",
    "television": "television", "monitor": "computer monitor", "screen": "computer monitor",
    "desktop computer": "desk computer", "notebook": "laptop", "laptop": "laptop",
    "microwave": "kitchen microwave", "refrigerator": "kitchen refrigerator", "dishwasher": "kitchen",
    "stove": "kitchen stove", "Dutch oven": "kitchen pot", "washbasin": "bathroom sink",
    "toilet seat": "bathroom toilet", "tub": "bathroom tub", "shower curtain": "bathroom shower",
    "studio couch": "living room couch", "four-poster": "bedroom bed", "quilt": "bed blanket",
    "bakery": "bakery", "Komodo dragon": "lizard", "pitcher": "water pitcher", "plane": "-",
    "bubble": "bubbles", "punching bag": "punching bag", "lumbermill": "building", "slide rule": "-",
    "scoreboard": "scoreboard", "switch": "light switch", "joystick": "joystick", "diaper": "diaper",
    "jean": "person jeans", "menu": "menu", "ear": "corn", "rapeseed": "field flowers", "acorn": "acorn",
    "hip": "berries", "buckeye": "nuts", "lesser panda": "red panda", "ashcan": "trash can", "confectionery": "store", "grocery store": "store food",
    "ski": "skier snow", "dogsled": "dog snow", "alp": "snowy mountain", "snowmobile": "snow",
    "ballplayer": "baseball player", "scuba diver": "diver water", "groom": "man suit",
    "sandbar": "beach", "seashore": "beach ocean", "lakeside": "lake", "promontory": "ocean",
    "cliff": "mountain", "valley": "valley", "volcano": "mountain", "geyser": "water",
    "pizza": "pizza", "cheeseburger": "burger", "hotdog": "hot dog", "bagel": "bagel",
    "French loaf": "bread", "trifle": "cake dessert", "ice cream": "ice cream",
    "Granny Smith": "apple", "banana": "banana", "orange": "orange", "lemon": "lemon",
    "broccoli": "broccoli", "head cabbage": "vegetables", "cauliflower": "vegetables", "zucchini": "vegetables",
    "traffic light": "traffic light", "street sign": "street sign", "parking meter": "parking meter",
    "passenger car": "train", "streetcar": "train", "electric locomotive": "train", "steam locomotive": "train",
    "freight car": "train", "bullet train": "train", "trolleybus": "bus", "school bus": "bus",
    "minibus": "bus", "airliner": "airplane", "warplane": "airplane", "wing": "airplane",
    "airship": "airplane", "speedboat": "boat", "canoe": "boat", "gondola": "boat", "fireboat": "boat",
    "lifeboat": "boat", "catamaran": "boat", "trimaran": "boat", "yawl": "boat", "schooner": "boat",
    "pirate": "boat", "container ship": "ship", "liner": "ship", "wreck": "boat",
    "mountain bike": "bicycle", "tricycle": "bicycle", "bicycle-built-for-two": "bicycle",
    "unicycle": "bicycle", "tandem": "bicycle", "sports car": "car", "convertible": "car",
    "cab": "taxi car", "limousine": "car", "jeep": "car", "minivan": "car", "police van": "car",
    "racer": "car", "beach wagon": "car", "car wheel": "car", "grille": "car", "pickup": "truck",
    "tow truck": "truck", "trailer truck": "truck", "fire engine": "fire truck", "garbage truck": "truck",
    "moving van": "truck", "umbrella": "umbrella", "kite": "bird", "teddy": "teddy bear",
    "bow tie": "man tie", "Windsor tie": "man tie", "suit": "man suit", "jersey": "person shirt",
    "sweatshirt": "person shirt", "cardigan": "person sweater", "sunglass": "person sunglasses",
    "sunglasses": "person sunglasses", "wig": "person", "lipstick": "woman", "mask": "person mask",
    "swimming trunks": "person swimming", "bikini": "woman beach", "maillot": "woman swimsuit",
    "miniskirt": "woman skirt", "gown": "woman dress", "abaya": "woman", "kimono": "woman",
    "fur coat": "woman coat", "trench coat": "person coat", "lab coat": "person coat",
    "military uniform": "soldier uniform", "academic gown": "person gown", "mortarboard": "graduate",
    "cowboy hat": "man cowboy hat", "sombrero": "man hat", "football helmet": "football player",
    "tennis ball": "tennis ball", "racket": "tennis racket", "baseball": "baseball",
    "basketball": "basketball", "soccer ball": "soccer ball", "volleyball": "volleyball",
    "rugby ball": "ball", "croquet ball": "ball", "golf ball": "golf ball", "ping-pong ball": "ball",
    "snorkel": "person water", "paddle": "person paddle boat", "surfboard": "surfboard",
    "water ski": "water skier", "bobsled": "snow", "horizontal bar": "gymnast", "parallel bars": "gymnast",
    "balance beam": "gymnast", "puck": "hockey", "crutch": "person", "stretcher": "person",
    "kite (bird of prey)": "bird", "hen": "chicken", "cock": "chicken", "ox": "cow", "water buffalo": "cow",
    "bison": "cow", "ram": "sheep", "bighorn": "sheep", "sorrel": "horse", "zebra": "zebra",
    "African elephant": "elephant", "Indian elephant": "elephant", "tusker": "elephant",
    "brown bear": "bear", "American black bear": "bear", "ice bear": "polar bear", "sloth bear": "bear",
    "giant panda": "panda bear", "hippopotamus": "hippo", "pot": "plant pot", "vase": "flowers vase",
    "daisy": "flowers", "bell pepper": "vegetables", "cucumber": "vegetables", "mushroom": "mushrooms",
    "pool table": "pool table", "park bench": "park bench", "library": "library books",
    "bookshop": "books store", "bookcase": "bookshelf books", "book jacket": "book", "comic book": "book",
    "wall clock": "clock wall", "analog clock": "clock", "digital clock": "clock", "clock tower": "clock tower",
    "street clock": "street clock", "cellular telephone": "cell phone", "dial telephone": "telephone",
    "pay-phone": "telephone", "iPod": "phone", "hand-held computer": "phone", "remote control": "remote control",
    "computer keyboard": "computer keyboard", "typewriter keyboard": "keyboard", "mouse": "computer mouse",
    "toaster": "toaster", "hair spray": "bottle", "toothbrush": "toothbrush", "scissors": "scissors",
    "pop bottle": "bottle", "beer bottle": "beer bottle", "wine bottle": "wine bottle", "water bottle": "water bottle",
    "red wine": "glass wine", "beer glass": "glass beer", "goblet": "glass", "wooden spoon": "spoon",
    "spatula": "kitchen", "ladle": "spoon", "frying pan": "pan", "wok": "pan", "caldron": "pot",
    "backpack": "backpack", "purse": "purse", "mailbag": "bag", "plastic bag": "bag", "suitcase": "luggage",
    "fire screen": "fireplace", "window screen": "window", "window shade": "window", "sliding door": "door",
    "shoji": "window", "doormat": "door", "prayer rug": "rug", "quill": "pen",
    "ballpoint": "pen", "fountain pen": "pen", "rule": "ruler",
    "web site": "-", "envelope": "-", "honeycomb": "-", "jigsaw puzzle": "-", "crossword puzzle": "-",
    "chain mail": "-", "shield": "-", "maze": "-", "tile roof": "roof", "mosquito net": "bed net",
    "chainlink fence": "fence", "picket fence": "fence", "worm fence": "fence", "stone wall": "stone wall",
    "steel arch bridge": "bridge", "suspension bridge": "bridge", "viaduct": "bridge", "pier": "pier",
    "dock": "boats dock", "boathouse": "boat house", "breakwater": "water", "dam": "water",
    "traffic cone": "-", "manhole cover": "street", "street lamp": "-", "spotlight": "light",
    "lampshade": "lamp", "table lamp": "lamp", "candle": "candles", "matchstick": "-",
    "barbershop": "barber shop", "tobacco shop": "store", "toyshop": "toy store", "shoe shop": "store",
    "butcher shop": "store", "planetarium": "building", "mosque": "building", "church": "church",
    "palace": "building", "monastery": "building", "castle": "castle", "triumphal arch": "building",
    "prison": "building", "cinema": "building", "greenhouse": "greenhouse", "patio": "patio",
    "obelisk": "monument", "totem pole": "pole", "flagpole": "flag pole", "pole": "pole",
    "bannister": "stairs", "carousel": "carousel", "jinrikisha": "cart", "horse cart": "horse cart",
    "oxcart": "cart", "shopping cart": "cart", "barrow": "cart",
}
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
    rows = []
    for i, wnid in enumerate(wnids):
        chain = ancestors(wnid[1:], synsets)
        name = synsets[chain[0]][0][0]
        words = _nearest_common_name(chain, synsets, counts)
        words = REVIEWED.get(name, words)
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
