"""The 80 COCO object categories and the words captions use for them.

Used to judge whether a caption names an object that is really in the photo (the caption
benchmark) and to tie ImageNet classes to COCO's words (the word table's draft). Synonyms are
the plain words COCO's human captions use; they are matched as whole words, plural or not.
"""
from __future__ import annotations

import re

PEOPLE = ("person", "people", "man", "men", "woman", "women", "boy", "boys", "girl", "girls", "child",
          "children", "kid", "kids", "baby", "guy", "guys", "lady", "ladies", "player", "players", "skier",
          "skiers", "surfer", "surfers", "skateboarder", "snowboarder", "rider", "crowd", "family", "couple",
          "someone", "adult", "adults", "toddler", "teenager", "teen", "gentleman", "worker", "workers",
          "chef", "batter", "catcher", "pitcher", "umpire", "biker", "cyclist", "tourist", "tourists",
          "friends", "group of people", "mother", "father", "son", "daughter",
          "student", "students", "officer", "policeman", "soldier", "soldiers", "athlete", "pedestrian",
          "pedestrians", "passenger", "passengers", "cowboy", "groom", "bride", "diver", "fisherman",
          # the people Flickr8k's captions name too (the decoder read them): a person all the same
          "artist", "artists", "backpacker", "ballplayer", "bartender", "beachgoers", "bicycler", "bicyclist",
          "bicyclists", "bikers", "boarder", "boarders", "bowler", "boxer", "boxers", "brother", "brothers",
          "bystanders", "camper", "cheerleader", "cheerleaders", "climber", "climbers", "commuter", "commuters",
          "customer", "customers", "cyclists", "dancer", "dancers", "diner", "diners", "driver", "drivers",
          "drummer", "farmer", "farmers", "fighter", "fighters", "firefighter", "firefighters", "footballer",
          "footballers", "goalkeeper", "guitarist", "hiker", "hikers", "jogger", "kayaker", "kayakers",
          "member", "members", "motorcyclist", "motorcyclists", "mountaineer", "musician", "musicians",
          "onlookers", "owner", "owners", "performer", "performers", "photographer", "photographers",
          "racer", "racers", "riders", "runner", "runners", "shoppers", "singer", "sister", "skater",
          "skaters", "skateboarders", "skydivers", "snowboarders", "spectators", "swimmer", "swimmers",
          "teacher", "teenagers", "toddlers", "travelers", "walker", "walkers", "waiter", "windsurfer",
          "wrestler", "wrestlers", "youngster", "youngsters", "parent", "parents")

CATEGORIES: dict[str, tuple[str, ...]] = {
    "person": PEOPLE,
    "bicycle": ("bicycle", "bike", "bikes"), "car": ("car", "cars", "taxi", "suv", "sedan"),
    "motorcycle": ("motorcycle", "motorbike", "motor bike", "scooter", "moped", "dirt bike"),
    "airplane": ("airplane", "plane", "jet", "aircraft", "airliner", "jetliner"), "bus": ("bus", "buses"),
    "train": ("train", "locomotive", "tram", "subway"), "truck": ("truck", "trucks", "pickup", "lorry"),
    "boat": ("boat", "boats", "ship", "canoe", "kayak", "sailboat", "yacht", "ferry", "gondola"),
    "traffic light": ("traffic light", "stop light", "stoplight", "traffic signal"),
    "fire hydrant": ("fire hydrant", "hydrant"), "stop sign": ("stop sign",), "parking meter": ("parking meter",),
    "bench": ("bench", "benches"), "bird": ("bird", "birds", "pigeon", "seagull", "gull", "duck", "ducks", "goose",
                                            "parrot", "swan", "owl", "eagle", "penguin", "crow", "sparrow", "hen", "chicken"),
    "cat": ("cat", "cats", "kitten", "kitty"), "dog": ("dog", "dogs", "puppy", "pup", "terrier", "retriever"),
    "horse": ("horse", "horses", "pony", "foal"), "sheep": ("sheep", "lamb", "lambs", "ram"),
    "cow": ("cow", "cows", "cattle", "bull", "calf", "ox", "oxen"), "elephant": ("elephant", "elephants"),
    "bear": ("bear", "bears"), "zebra": ("zebra", "zebras"), "giraffe": ("giraffe", "giraffes"),
    "backpack": ("backpack", "back pack", "rucksack"), "umbrella": ("umbrella", "umbrellas", "parasol"),
    "handbag": ("handbag", "purse", "bag", "bags"), "tie": ("tie", "necktie", "bow tie"),
    "suitcase": ("suitcase", "suitcases", "luggage", "baggage"), "frisbee": ("frisbee", "frisbees"),
    "skis": ("skis", "ski"), "snowboard": ("snowboard", "snowboards"), "sports ball": ("ball", "soccer ball", "football", "baseball", "tennis ball", "basketball", "volleyball"),
    "kite": ("kite", "kites"), "baseball bat": ("bat", "baseball bat"), "baseball glove": ("glove", "mitt", "baseball glove"),
    "skateboard": ("skateboard", "skate board"), "surfboard": ("surfboard", "surf board"),
    "tennis racket": ("racket", "racquet", "tennis racket"), "bottle": ("bottle", "bottles"),
    "wine glass": ("wine glass", "glass"), "cup": ("cup", "cups", "mug"),
    "fork": ("fork", "forks"), "knife": ("knife", "knives"), "spoon": ("spoon", "spoons"), "bowl": ("bowl", "bowls"),
    "banana": ("banana", "bananas"), "apple": ("apple", "apples"), "sandwich": ("sandwich", "sandwiches", "burger", "hamburger"),
    "orange": ("orange", "oranges"), "broccoli": ("broccoli",), "carrot": ("carrot", "carrots"),
    "hot dog": ("hot dog", "hotdog", "hot dogs"), "pizza": ("pizza", "pizzas"), "donut": ("donut", "donuts", "doughnut", "doughnuts"),
    "cake": ("cake", "cakes", "cupcake", "cupcakes"), "chair": ("chair", "chairs", "stool"), "couch": ("couch", "sofa", "couches"),
    "potted plant": ("plant", "plants", "potted plant", "flowers", "flower"), "bed": ("bed", "beds"),
    "dining table": ("table", "tables", "dining table", "desk"), "toilet": ("toilet", "toilets"),
    "tv": ("tv", "television", "tvs", "monitor"), "laptop": ("laptop", "laptops", "computer"),
    "mouse": ("mouse",), "remote": ("remote", "remotes", "controller"), "keyboard": ("keyboard", "keyboards"),
    "cell phone": ("phone", "cellphone", "cell phone", "smartphone", "telephone", "phones"),
    "microwave": ("microwave",), "oven": ("oven", "stove"), "toaster": ("toaster",), "sink": ("sink", "sinks"),
    "refrigerator": ("refrigerator", "fridge"), "book": ("book", "books"), "clock": ("clock", "clocks"),
    "vase": ("vase", "vases"), "scissors": ("scissors",), "teddy bear": ("teddy bear", "teddy", "stuffed animal", "stuffed bear"),
    "hair drier": ("hair dryer", "hair drier", "blow dryer"), "toothbrush": ("toothbrush", "toothbrushes"),
}


# Words that are no category but speak of one (a sport, a place for it, the second half of a
# two-word name): a caption may use one only when the eyes found a category that backs it, or
# "a game of baseball" is said of a clock, a person and an apple.
EVIDENCE = {"baseball": ("baseball bat", "baseball glove", "sports ball"), "tennis": ("tennis racket", "sports ball"),
            "soccer": ("sports ball",),
            "game": ("baseball bat", "baseball glove", "tennis racket", "sports ball", "frisbee"),
            "parking": ("parking meter", "car", "truck", "bus"), "meter": ("parking meter",),
            "traffic": ("traffic light", "car", "truck", "bus", "motorcycle"), "signal": ("traffic light",),
            "fire": ("fire hydrant", "truck"), "cell": ("cell phone",), "board": ("skateboard", "surfboard"),
            "dryer": ("hair drier",), "drier": ("hair drier",), "stop": ("stop sign", "traffic light"),
            "pack": ("backpack",)}


def backed_words(categories) -> set[str]:
    """The EVIDENCE words that the found categories back."""
    return {w for w, cats in EVIDENCE.items() if set(cats) & set(categories)}


COLOURS = {"orange"}   # a fruit, or the colour of the next word ("an orange cat")
FUNCTION_WORDS = {"and", "on", "in", "with", "is", "are", "of", "at", "next", "sitting", "slices", "juice"}


def forms(word: str) -> set[str]:
    """A word and its plurals, as a guard must know them: dog, dogs; bus, buses; puppy, puppies."""
    out = {word, word + "s", word + "es"}
    return out | {word[:-1] + "ies"} if word.endswith("y") else out


def words_of(text: str) -> list[str]:
    """Lower-case word tokens, as the caption benchmark and the phrase model see them."""
    return re.findall(r"[a-z]+", text.lower())


def mentions(toks: list[str]):
    """Yield (position, category, the words that name it), left to right: a word pair first
    ("hot dog", "teddy bear"), whose second word then names nothing more (a hot dog names no
    dog); "orange" before a noun or after "something" is a colour ("an orange cat", "something
    orange in the dark"). The one rule both categories_named and concepts_in read."""
    i = 0
    while i < len(toks):
        pair = " ".join(toks[i:i + 2])
        paired = [cat for cat, syns in CATEGORIES.items() if i + 1 < len(toks) and pair in syns]
        if paired:
            for cat in paired:
                yield i, cat, pair
            i += 2
            continue
        tok = toks[i]
        colour = tok in COLOURS and ((i + 1 < len(toks) and toks[i + 1] not in FUNCTION_WORDS)
                                     or (i and toks[i - 1] in ("something", "bright", "dark", "pale")))
        if not colour:
            for cat, syns in CATEGORIES.items():
                if tok in syns:
                    yield i, cat, tok
        i += 1


def categories_named(text: str) -> set[str]:
    """The COCO categories a caption names (mentions' rule)."""
    return {cat for _, cat, _ in mentions(words_of(text))}


def mentions_person(text: str) -> bool:
    return "person" in categories_named(text)


# The word a caption uses for each category, one and many: what the object head tells the
# caption decoder ("two dogs" -> "dogs"), and how a caption's own words become its concepts.
_ONE_WORD = {"dining table": "table", "potted plant": "plant", "sports ball": "ball", "cell phone": "phone",
             "fire hydrant": "hydrant", "baseball bat": "bat", "baseball glove": "glove", "tennis racket": "racket",
             "wine glass": "glass", "hair drier": "hair dryer", "teddy bear": "teddy bear", "tv": "tv"}
_MANY = {"person": "people", "skis": "skis", "bus": "buses", "sandwich": "sandwiches", "knife": "knives",
         "glass": "glasses", "mouse": "mice", "sheep": "sheep", "scissors": "scissors", "couch": "couches",
         "bench": "benches", "broccoli": "broccoli", "hair dryer": "hair dryers", "teddy bear": "teddy bears"}
CONCEPT = {cat: (_ONE_WORD.get(cat, cat), _MANY.get(_ONE_WORD.get(cat, cat), _MANY.get(cat, _ONE_WORD.get(cat, cat) + "s")))
           for cat in CATEGORIES}
MANY_PEOPLE = {"people", "men", "women", "children", "kids", "crowd", "friends", "family"}
COUNTS = {"two", "three", "four", "five", "several", "many", "group", "herd", "flock", "pair", "couple", "bunch",
          "lots", "crowd", "some"}


def concept_of(category: str, many: bool = False) -> str:
    return CONCEPT[category][1 if many else 0]


def concepts_in(text: str) -> list[str]:
    """A caption's objects as concept words, in the order it names them, plural when it speaks
    of more than one ("two men walking dogs" -> ["people", "dogs"])."""
    toks = words_of(text)
    found: dict[str, bool] = {}
    for i, cat, word in mentions(toks):
        one = concept_of(cat)
        many = (word != one and word.endswith("s") and not one.endswith("s")) or word in MANY_PEOPLE
        found[cat] = found.get(cat, False) or many or (i > 0 and toks[i - 1] in COUNTS)
    return [concept_of(c, m) for c, m in found.items()]
