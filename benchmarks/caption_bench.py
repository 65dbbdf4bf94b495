"""Caption quality, speed and memory: `sight` (trained on photos) beside `words` (the old one,
built from words alone) and `scene`, with the teacher detectors as a reference row.

    python benchmarks/caption_bench.py [--shared ../shared] [--captioners sight,words,scene] [--teachers]

Photo sets: the dev split (400 COCO val2017 photos no model trained on; its 200 with complete
COCO instance labels are reported apart as `dev exact`; `dev natural`: every dev photo without
a person and as many with one, COCO's natural share, where 82 % of dev has people), Flickr8k's
test split (`flickr test`, never trained on; needs the teachers' cache) and coco-mini (158
photos; its train2017 ones apart: their captions are in no text any model read).
What is present in a photo: its real labels, the categories its five human captions name
(CHAIR's rule, Rohrbach et al. 2018), and on dev photos without complete labels the agreed
teachers' boxes (the cache of `python -m models.captioners.training`), so an object nobody
labelled is not counted against a caption.
- present: the caption names an object that is there; CHAIRs: it names one that is not;
  CHAIRi: share of the categories named that are not there;
- person P/R: the caption speaks of a person exactly when one is there (any person box), and
  P/R vis: the same where "there" means a box of at least 1 % of the frame or a human caption
  naming a person (people too small to see are not in any caption);
- BLEU-4, CIDEr-D against the captions as written; CIDEr n: against the captions with gendered
  words made neutral (sight and words never guess gender: "a person", not "a man");
- setting CHAIR: the caption names a setting (models/captioners/settings.py: room, street,
  field, water, ...) that none of the five human captions names;
- nobody: the caption names a person on a photo without one (the rate of false people);
- subject: it names an object that is there, or an ImageNet subject (the word table's words:
  squirrel, lemon, canoe) that the human captions name too;
- distinct: share of distinct captions; ms: per frame scaled to 1280x720, median, all included;
  RSS: resident memory the captioner adds (peak after captioning, minus before loading).
Targets (issue #20, dev split): present >= 85 %, person P >= 0.90 and R >= 0.85, CHAIRs <= 0.10,
CIDEr >= 0.8, median <= 150 ms, RSS <= +150 MB.
"""
from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from common import ROOT, rss_mb, run_child

SHARED = ROOT.parent / "shared"


def photo_sets(shared: Path) -> dict[str, list[dict]]:
    """name -> [{"file", "captions", "present", "person", "person_visible", "split"}]."""
    import random
    from models.captioners.coco_words import categories_named
    from models.captioners.training import CACHE
    from models.captioners.training.photos import COCO80, load_photos
    teachers, rule = {}, None
    if (CACHE / "teachers").exists() and (ROOT / "models" / "shipped" / "objects.safetensors").exists():
        from models.captioners.objects import ObjectHead
        from models.captioners.training.teachers import Rule, read_labels
        teachers = read_labels(CACHE / "teachers")
        rule = Rule(**ObjectHead.load().meta["teacher_rule"])
    sets = {"dev": [], "dev exact": [], "dev natural": [], "flickr test": [], "mini train2017": [], "mini val2017": []}
    for p in load_photos(shared):
        if p.split == "ftest" and teachers:   # no boxes: the captions and the agreed teachers say what is there
            from models.captioners.training.labels import teacher_boxes
            said = set().union(*(categories_named(c) for c in p.captions))
            boxes = teacher_boxes(p, teachers, rule)
            sets["flickr test"].append({
                "file": str(p.path), "captions": p.captions, "present": sorted(said | {b[0] for b in boxes}),
                "person": "person" in said or any(b[0] == "person" for b in boxes), "person_visible": "person" in said})
        if p.split != "dev":
            continue
        said = set().union(*(categories_named(c) for c in p.captions))
        present = {b[0] for b in p.boxes} | said
        if p.complete != set(COCO80) and teachers:
            from models.captioners.training.labels import teacher_boxes
            present |= {b[0] for b in teacher_boxes(p, teachers, rule)}
        people = [b for b in p.boxes if b[0] == "person"]
        row = {"file": str(p.path), "captions": p.captions, "present": sorted(present), "person": bool(people),
               "person_visible": any(b[3] * b[4] >= 0.01 for b in people) or "person" in said}
        sets["dev"].append(row)
        if p.complete == set(COCO80):
            sets["dev exact"].append(row)
    nobody = [r for r in sets["dev"] if not r["person"]]
    somebody = [r for r in sets["dev"] if r["person"]]
    sets["dev natural"] = nobody + random.Random(0).sample(somebody, min(len(nobody), len(somebody)))
    mini = shared / "data" / "captions" / "coco-mini"
    for f, a in sorted(json.loads((mini / "annotations.json").read_text()).items()):
        said = set().union(*(categories_named(c) for c in a["captions"]))
        sets[f"mini {a['split']}"].append({
            "file": str(mini / "images" / f), "captions": a["captions"], "present": sorted(set(a["objects"]) | said),
            "person": "person" in a["objects"],
            "person_visible": a["objects"].get("person", 0) >= 0.01 or "person" in said})
    return sets


def worker(name: str, files: list[str]) -> dict:
    """Caption every photo with one captioner in this fresh process; captions, ms and memory."""
    import cv2
    import numpy as np  # noqa: F401  (imported before the baseline, like torch)
    import torch
    from models.captioners import get_captioner, load_image
    images = {f: load_image(f) for f in files}
    before = rss_mb()
    captioner = get_captioner(name)
    out, ms = {}, []
    for i, (f, rgb) in enumerate(images.items()):
        frame = cv2.resize(rgb, (1280, 720), interpolation=cv2.INTER_LINEAR)
        t0 = time.perf_counter()
        cap = captioner.caption(frame)
        if i:   # the first call warms caches up
            ms.append((time.perf_counter() - t0) * 1000)
        out[f] = cap.text
    return {"captions": out, "ms": ms, "rss_added_mb": rss_mb("VmHWM") - before, "threads": torch.get_num_threads()}


def teacher_worker(name: str, files: list[str], shared: Path) -> dict:
    """A teacher's labels above its rule's score as a 'caption' of category words (reference only)."""
    import cv2
    from models.captioners.training.teachers import TEACHERS
    cls = next(t for t in TEACHERS if t.name == name)
    teacher, out, ms = cls(shared / "models" / "detectors"), {}, []
    for f in files:
        frame = cv2.resize(cv2.imread(f), (1280, 720))
        t0 = time.perf_counter()
        boxes = teacher.detect(frame)
        ms.append((time.perf_counter() - t0) * 1000)
        out[f] = sorted({b[0] for b in boxes if b[1] >= 0.3})
    return {"labels": out, "ms": ms}


@functools.cache
def imagenet_words() -> frozenset[str]:
    """The words the ImageNet word table gives that no COCO category has (squirrel, lemon)."""
    from models.captioners.coco_words import CATEGORIES
    from models.captioners.word_table import read_table
    coco = {w for syns in CATEGORIES.values() for s in syns for w in s.split()}
    return frozenset({w for r in read_table() if r.words != "-" for w in r.words.split()} - coco)


def score(rows: list[dict], captions: dict[str, str] | None, labels: dict[str, list] | None = None) -> dict:
    from models.captioners.coco_words import categories_named, words_of
    from models.captioners.metrics import bleu4, cider_d
    from models.captioners.phrase import NEUTRAL
    from models.captioners.settings import settings_named
    if not rows:
        return {}
    named = [categories_named(captions[r["file"]]) if captions else set(labels[r["file"]]) for r in rows]
    present = [set(r["present"]) for r in rows]
    s = {"photos": len(rows),
         "present": sum(bool(n & p) for n, p in zip(named, present)) / len(rows),
         "chair_s": sum(bool(n - p) for n, p in zip(named, present)) / len(rows),
         "chair_i": sum(len(n - p) for n, p in zip(named, present)) / max(1, sum(len(n) for n in named))}
    for key, truth in (("", "person"), (" vis", "person_visible")):
        said = ["person" in n for n in named]
        true = [r[truth] for r in rows]
        tp = sum(a and b for a, b in zip(said, true))
        s["P" + key], s["R" + key] = tp / max(1, sum(said)), tp / max(1, sum(true))
    nobody = [("person" in n) for n, r in zip(named, rows) if not r["person"]]
    s["nobody"] = sum(nobody) / max(1, len(nobody))
    if captions:
        subjects = imagenet_words()
        said_refs = [set().union(*(map(set, map(words_of, r["captions"])))) for r in rows]
        s["subject"] = sum(bool(n & p) or bool(set(words_of(captions[r["file"]])) & subjects & refs)
                           for n, p, r, refs in zip(named, present, rows, said_refs)) / len(rows)
        s["setting_chair"] = sum(bool(settings_named(captions[r["file"]]) - set().union(
            *(settings_named(c) for c in r["captions"]))) for r in rows) / len(rows)
        cands = [captions[r["file"]] for r in rows]
        refs = [r["captions"] for r in rows]
        neutral = [[" ".join(NEUTRAL.get(w, w) for w in c.lower().split()) for c in rs] for rs in refs]
        s.update(bleu4=bleu4(cands, refs), cider=cider_d(cands, refs), cider_n=cider_d(cands, neutral),
                 distinct=len(Counter(cands)) / len(rows))
    return s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=SHARED)
    p.add_argument("--captioners", default="sight,words,scene")
    p.add_argument("--teachers", action="store_true", help="add the teacher detectors as reference rows")
    p.add_argument("--show", type=int, default=0, help="print this many dev captions per captioner")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--files", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        files = json.loads(Path(args.files).read_text())
        if args.worker.startswith("teacher:"):
            print(json.dumps(teacher_worker(args.worker[8:], files, args.shared)))
        else:
            print(json.dumps(worker(args.worker, files)))
        return
    if not (args.shared / "data" / "photos").exists():
        raise SystemExit(f"{args.shared}: no data/photos (the benchmark needs ../shared)")
    from models.captioners.training import CACHE
    sets = photo_sets(args.shared)
    files = sorted({r["file"] for rows in sets.values() for r in rows})
    listing = CACHE.parent / "caption_bench_files.json"
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text(json.dumps(files))
    results = {n: run_child(__file__, "--worker", n, "--files", str(listing), "--shared", str(args.shared))
               for n in args.captioners.split(",")}
    if args.teachers:
        for t in ("yolox-nano", "nanodet-m", "yolo-fastest-xl"):
            results[f"teacher:{t}"] = run_child(__file__, "--worker", f"teacher:{t}", "--files", str(listing),
                                                "--shared", str(args.shared))
    print(f"{len(files)} photos at 1280x720; sets: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
    head = (f"{'captioner':<22} {'set':<15} {'present':>7} {'CHAIRs':>6} {'CHAIRi':>6} {'pers P':>6} {'pers R':>6} "
            f"{'P vis':>5} {'R vis':>5} {'nobody':>6} {'subject':>7} {'set CH':>6} {'BLEU-4':>6} {'CIDEr':>6} "
            f"{'CIDEr n':>7} {'distinct':>8}")
    print(head)
    for name, r in results.items():
        for set_name, rows in sets.items():
            s = score(rows, r.get("captions"), r.get("labels"))
            if not s:
                continue
            text = (f"{name:<22} {set_name:<15} {s['present']:>7.0%} {s['chair_s']:>6.2f} {s['chair_i']:>6.2f} "
                    f"{s['P']:>6.2f} {s['R']:>6.2f} {s['P vis']:>5.2f} {s['R vis']:>5.2f} {s['nobody']:>6.2f}")
            if "cider" in s:
                text += (f" {s['subject']:>7.0%} {s['setting_chair']:>6.2f} {s['bleu4']:>6.3f} {s['cider']:>6.3f} "
                         f"{s['cider_n']:>7.3f} {s['distinct']:>8.0%}")
            print(text)
    print(f"\n{'captioner':<22} {'median ms':>10} {'worst ms':>9} {'RSS added MB':>13}")
    for name, r in results.items():
        rss = f"{r['rss_added_mb']:>13.1f}" if "rss_added_mb" in r else f"{'-':>13}"
        print(f"{name:<22} {statistics.median(r['ms']):>10.1f} {max(r['ms']):>9.1f} {rss}")
    for name, r in results.items():
        for row in sets["dev"][: args.show if "captions" in r else 0]:
            print(f"{name:<6} {Path(row['file']).name}: {r['captions'][row['file']]}  |  {row['captions'][0]}")


if __name__ == "__main__":
    main()
