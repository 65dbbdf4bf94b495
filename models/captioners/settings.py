"""Settings: where a photo was taken, in the words captions use for it, grouped.

A caption that says "a room" of a forest path names what is not there as surely as one that
says "a dog" of a cat, but CHAIR only counts objects. Settings are grouped by what a camera can
tell apart (a kitchen and a bathroom are both indoors; a lake and the sea are both water), so
that a setting said is judged against the groups the human captions name ("setting CHAIR",
caption_bench), and so that the caption decoder may only use the words of the groups the
setting head supports (sight's guard).
"""
from __future__ import annotations

from .coco_words import words_of

GROUPS: dict[str, tuple[str, ...]] = {
    "indoors": ("room", "rooms", "kitchen", "bathroom", "bedroom", "office", "restaurant", "store", "shop",
                "classroom", "hallway", "indoors", "inside", "living", "cafe", "stage", "gym",
                "house", "home", "hotel", "airport", "station", "museum", "library", "church", "mall", "floor",
                "carpet", "ceiling"),
    "street": ("street", "streets", "road", "roads", "city", "sidewalk", "intersection", "highway", "town",
               "alley", "crosswalk", "downtown", "pavement", "avenue"),
    "field": ("field", "fields", "grass", "grassy", "park", "meadow", "lawn", "yard", "pasture", "garden",
              "backyard", "farm", "countryside", "hillside"),
    "water": ("water", "lake", "river", "ocean", "sea", "pool", "wave", "waves", "pond", "stream", "surf",
              "creek", "waterfall", "harbor", "bay", "fountain"),
    "beach": ("beach", "sand", "sandy", "shore", "coast", "seashore", "shoreline"),
    "snow": ("snow", "snowy", "slope", "slopes", "ice", "icy", "frozen", "snowfield"),
    "forest": ("forest", "woods", "wooded", "jungle", "woodland"),
    "sky": ("sky", "air", "clouds", "cloudy", "sunset", "sunrise"),
    "mountain": ("mountain", "mountains", "hill", "hills", "cliff", "rock", "rocks", "rocky", "canyon", "desert"),
}
WORD_GROUP = {w: g for g, words in GROUPS.items() for w in words}
SETTING_WORDS = frozenset(WORD_GROUP)


def settings_named(text: str) -> set[str]:
    """The setting groups a caption names: "a dog running on the beach" -> {"beach"}."""
    return {WORD_GROUP[w] for w in words_of(text) if w in WORD_GROUP}


def setting_words(groups: set[str]) -> set[str]:
    """Every word the given groups allow a caption to use."""
    return {w for g in groups for w in GROUPS[g]}
