"""Every training photo in ../shared/data/photos, with the labels and captions that come with it.

    photos = load_photos(Path("../shared"))     # [Photo], in a fixed order (the cache's rows)

Boxes are (category, cx, cy, w, h), fractions of the photo, whatever unit the source used.
`complete` names the categories whose labels are the whole truth for that photo (COCO's
instance annotations: all 80; a person-box file: person); the teachers fill in the rest.
Splits: `dev` (400 val2017 photos no model trains on, the benchmark's), `ftest` (Flickr8k's
standard test list: a second dev set, never trained on, its captions in no training text),
`tune` (200 more, and 8 % of every other source, so that thresholds meet photos without
people too: nearly every COCO photo here has one), `mini` (coco-mini's photos: never trained
on, benchmark only) and `train`. The draw is seeded, so it is the same in every session.
HELD_OUT names the splits whose captions no model may read.
"""
from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..objects import LABELS as COCO80   # the object head's classes, in COCO's order
DEV_SIZE, TUNE_SIZE, TUNE_SHARE, SPLIT_SEED = 400, 200, 0.08, 2026
HELD_OUT = ("dev", "ftest", "tune", "mini")
# class folders -> the COCO category they show (folders of things COCO lacks carry no label)
FOLDER_CLASS = {"airplane": "airplane", "car": "car", "cat": "cat", "dog": "dog", "motorbike": "motorcycle",
                "person": "person", "elephant": "elephant", "giraffe": "giraffe", "horse": "horse"}
OPEN_IMAGES = {"Apple": "apple", "Bicycle": "bicycle", "Bird": "bird", "Boat": "boat", "Person": "person"}


@dataclass
class Photo:
    key: str                      # unique and stable: "coco/139", "flickr/1000268201_693b08cb0e.jpg"
    path: Path
    source: str
    split: str = "train"
    captions: list[str] = field(default_factory=list)
    boxes: list[tuple[str, float, float, float, float]] = field(default_factory=list)
    complete: set[str] = field(default_factory=set)
    present: set[str] = field(default_factory=set)   # image-level labels without boxes (class folders)


def _coco(root: Path, shared: Path) -> list[Photo]:
    folder = root / "coco"
    rows = [line.split("\t") for line in (folder / "index.tsv").read_text().splitlines()[1:]]
    captions = defaultdict(list)
    for a in json.loads((shared / "data" / "captions" / "coco_captions_val2017.json").read_text())["annotations"]:
        captions[a["image_id"]].append(a["caption"].strip())
    mini = {int(f.split(".")[0]) for f in json.loads(
        (shared / "data" / "captions" / "coco-mini" / "annotations.json").read_text())}
    photos = {}
    for image_id, split, person, _ in rows:
        i = int(image_id)
        photos[i] = Photo(f"coco/{i}", folder / "images" / f"{i:012d}.jpg", f"coco-{split}",
                          "mini" if i in mini else "train", sorted(captions.get(i, [])))
        if person == "0":
            photos[i].complete.add("person")   # "probably none": the source says no person box
    inst = json.loads((folder / "instances.json").read_text())
    names = {c["id"]: c["name"] for c in inst["categories"]}
    sizes = {im["id"]: (im["width"], im["height"]) for im in inst["images"]}
    for a in inst["annotations"]:
        p, (W, H) = photos.get(a["image_id"]), sizes[a["image_id"]]
        if p is not None:
            x, y, w, h = a["bbox"]
            p.boxes.append((names[a["category_id"]], (x + w / 2) / W, (y + h / 2) / H, w / W, h / H))
    for i in sizes:
        if i in photos:
            photos[i].complete = set(COCO80)
    for kind, cats in (("yolo80", COCO80), ("yolo_person", ["person"])):
        for f in sorted((folder / kind).glob("*.txt")):
            p = photos.get(int(f.stem))
            if p is None or p.complete == set(COCO80):
                continue
            for line in f.read_text().split("\n"):
                v = line.split()
                if len(v) == 5 and int(v[0]) < len(cats):
                    p.boxes.append((cats[int(v[0])], *map(float, v[1:])))
            p.complete |= set(cats)
    return [photos[i] for i in sorted(photos)]


def _flickr(root: Path) -> list[Photo]:
    folder = root / "flickr8k"
    captions = defaultdict(list)
    for line in (folder / "Flickr8k.token.txt").read_text().splitlines():
        name, _, text = line.partition(",")
        captions[name.split("#")[0]].append(text.strip())
    test = set((folder / "Flickr_8k.testImages.txt").read_text().split())
    return [Photo(f"flickr/{f.name}", f, "flickr8k", "ftest" if f.name in test else "train",
                  captions=captions.get(f.name, [])) for f in sorted((folder / "images").glob("*.jpg"))]


def _openimages(root: Path) -> list[Photo]:
    photos = []
    for part in ("train", "val", "test"):
        doc = json.loads((root / "openimages" / f"instances_{part}2017.json").read_text())
        names = {c["id"]: OPEN_IMAGES.get(c["name"]) for c in doc["categories"]}
        folder = root / "openimages" / "images" / f"{part}2017"
        # the export renamed some files after the labels were written: the part before "_jpg.rf." is the photo
        stems = defaultdict(list)
        for f in folder.glob("*.jpg"):
            stems[f.name.split("_jpg.rf.")[0]].append(f)
        by_id = {}
        for im in doc["images"]:
            path = folder / im["file_name"]
            same = stems.get(im["file_name"].split("_jpg.rf.")[0], [])
            path = path if path.exists() else (same[0] if len(same) == 1 else None)
            if path is not None:
                by_id[im["id"]] = (Photo(f"openimages/{part}/{im['file_name']}", path, "openimages",
                                         complete=set(OPEN_IMAGES.values())), im["width"], im["height"])
        for a in doc["annotations"]:
            if a["image_id"] in by_id and names.get(a["category_id"]):
                p, W, H = by_id[a["image_id"]]
                x, y, w, h = a["bbox"]
                p.boxes.append((names[a["category_id"]], (x + w / 2) / W, (y + h / 2) / H, w / W, h / H))
        photos += [v[0] for v in by_id.values()]
    return sorted(photos, key=lambda p: p.key)


def _pennfudan(root: Path) -> list[Photo]:
    photos = []
    for f in sorted((root / "pennfudan" / "images").glob("*.jpg")):
        text = (root / "pennfudan" / "Annotation" / f"{f.stem}.txt").read_text()
        W, H = map(int, re.search(r"\(X x Y x C\) : (\d+) x (\d+)", text).groups())
        p = Photo(f"pennfudan/{f.name}", f, "pennfudan", complete={"person"})
        for x0, y0, x1, y1 in re.findall(r"\((\d+), (\d+)\) - \((\d+), (\d+)\)", text):
            x0, y0, x1, y1 = map(int, (x0, y0, x1, y1))
            p.boxes.append(("person", (x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H))
        photos.append(p)
    return photos


def _folders(root: Path) -> list[Photo]:
    photos = []
    for dataset in ("natural8", "pacs"):   # pacs left ../shared to make room for Flickr8k: optional
        if not (root / dataset).is_dir():
            continue
        for folder in sorted(p for p in (root / dataset).iterdir() if p.is_dir()):
            cat = FOLDER_CLASS.get(folder.name)
            for f in sorted(folder.glob("*.jpg")):
                photos.append(Photo(f"{dataset}/{folder.name}/{f.name}", f, dataset,
                                    present={cat} if cat else set()))
    return photos


def load_photos(shared: Path) -> list[Photo]:
    """All photos, split; raises FileNotFoundError naming what is missing."""
    root = Path(shared) / "data" / "photos"
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no photos here (point --shared at the shared folder)")
    photos = _coco(root, Path(shared)) + _flickr(root) + _openimages(root) + _pennfudan(root) + _folders(root)
    # dev first from the photos with real instance labels (exact truth), then any captioned val2017
    val = [p for p in photos if p.source == "coco-val2017" and p.split == "train" and len(p.captions) >= 5]
    rng = random.Random(SPLIT_SEED)
    exact = [p for p in val if p.complete == set(COCO80)]
    rest = [p for p in val if p.complete != set(COCO80)]
    rng.shuffle(exact)
    rng.shuffle(rest)
    ordered = exact + rest
    for p in ordered[:DEV_SIZE]:
        p.split = "dev"
    for p in ordered[DEV_SIZE:DEV_SIZE + TUNE_SIZE]:
        p.split = "tune"
    for p in photos:
        if not p.source.startswith("coco") and rng.random() < TUNE_SHARE and p.split == "train":
            p.split = "tune"
    return photos
