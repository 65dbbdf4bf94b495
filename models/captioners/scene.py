"""`scene`: the embedded default captioner, built only from what ships inside OpenCV and numpy.

It finds people and cats with OpenCV's bundled Haar cascades (frontal and profile faces,
upper and full bodies, cat faces; smiles inside faces), names colours in plain
English, judges the light (night, dim, bright, backlit) and the composition (where the subject
sits, empty or busy, sky and horizon, close-up), and writes a short COCO-style caption such as
"a smiling person in a dim room beside a patch of blue light".

Captions are deterministic for a given image; the phrasing is picked from synonyms by a hash
of what was seen, so different images read differently. Analysis runs on a downscaled copy:
a 1280x720 frame takes a few tens of milliseconds on a laptop CPU.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from .base import Captioner

WORK_SIDE = 320     # longest side for colour and texture statistics
DETECT_SIDE = 480   # longest side for the cascades

# OpenCV hue runs 0..180. Upper bounds of each hue band, in order.
_HUES = [(8, "red"), (19, "orange"), (33, "yellow"), (80, "green"), (100, "teal"),
         (130, "blue"), (150, "purple"), (168, "pink"), (181, "red")]


COLOURS = [n for _, n in _HUES[:-1]] + ["brown", "white", "grey", "black"]
_CODE = {n: i for i, n in enumerate(COLOURS)}


def colour_names(hsv: np.ndarray) -> np.ndarray:
    """Per-pixel plain-English colours from an HSV image, as codes into COLOURS (small ints:
    counting them is fast where arrays of strings were slow)."""
    h, s, v = (hsv[..., i].astype(np.int16) for i in range(3))
    bounds = np.array([b for b, _ in _HUES])
    hue_code = np.array([_CODE[n] for _, n in _HUES], np.uint8)
    codes = hue_code[np.searchsorted(bounds, h, side="right").clip(0, len(bounds) - 1)]
    codes = np.where((codes == _CODE["orange"]) & (v < 150), _CODE["brown"], codes)
    codes = np.where((codes == _CODE["red"]) & (s < 120) & (v > 170), _CODE["pink"], codes)
    codes = np.where(s < 45, np.where(v > 200, _CODE["white"], _CODE["grey"]), codes)
    return np.where(v < 50, _CODE["black"], codes).astype(np.uint8)


def share(codes: np.ndarray) -> dict[str, float]:
    """Each colour's share of the pixels, largest first."""
    counts = np.bincount(codes.ravel(), minlength=len(COLOURS))
    order = np.argsort(-counts, kind="stable")
    return {COLOURS[i]: float(counts[i] / codes.size) for i in order if counts[i]}


@dataclass
class SceneFacts:
    """What the analysis found; phrase() turns it into words (and tests can build it by hand)."""
    faces: list = field(default_factory=list)      # (x, y, w, h) as fractions of the frame
    smiles: int = 0
    cats: int = 0
    bodies: int = 0
    colours: dict = field(default_factory=dict)     # colour -> share of the frame
    accent: str | None = None                       # a saturated colour patch that stands out
    brightness: float = 128.0                       # mean luma 0..255
    light: str = "normal"                           # night, dim, normal, bright, backlit
    texture: float = 0.0                            # edge density 0..1
    sky: str | None = None                          # colour of the sky when the top is sky
    ground: str | None = None                       # colour under a horizon
    horizon: bool = False
    subject_x: float | None = None                  # 0 left .. 1 right

    def to_dict(self) -> dict:
        return asdict(self)


def _pick(options: list[str], key: str) -> str:
    """A deterministic choice among synonyms: same facts, same words."""
    return options[int(hashlib.sha1(key.encode()).hexdigest(), 16) % len(options)]


def _count(n: int, one: str, many: str) -> str:
    words = {2: "two", 3: "three", 4: "four"}
    return f"a {one}" if n == 1 else (f"{words[n]} {many}" if n in words else f"a crowd of {many}")


def _rooms(options: list[str], rooms: bool) -> list[str]:
    return options if rooms else [o for o in options if "room" not in o]


def phrase(f: SceneFacts, rooms: bool = True) -> str:
    """The facts in plain words. rooms=False: no room is said (sight's setting head saw none:
    grass seen close up is no "cluttered room")."""
    key = repr(sorted(f.to_dict().items()))
    main = max(f.colours, key=f.colours.get) if f.colours else "grey"
    # the subject
    n_people = len(f.faces)
    close_up = any(w * h > 0.12 for _, _, w, h in f.faces)
    if close_up and n_people == 1:
        subject = "a close-up of a smiling face" if f.smiles else _pick(
            ["a close-up of a face", "a face looking at the camera", "a close-up of a person's face"], key)
    elif n_people:
        who = _count(n_people, "person", "people")
        if f.smiles:
            who = who.replace("a person", "a smiling person").replace(" people", " smiling people")
        subject = who
    elif f.cats:
        subject = _count(f.cats, "cat", "cats") + _pick([" sitting", " looking at the camera", ""], key)
    elif f.bodies:
        subject = _count(f.bodies, "person", "people") + _pick([" standing", " walking", ""], key)
    elif f.accent and f.texture < 0.13:
        subject = _pick([f"a {f.accent} object", f"something {f.accent}", f"a small {f.accent} thing"], key)
    else:
        subject = ""
    if subject and f.subject_x is not None and not close_up:
        if f.subject_x < 0.33:
            subject += " on the left"
        elif f.subject_x > 0.67:
            subject += " on the right"
    # the setting
    if f.sky and f.horizon and f.ground:
        ground = {"green": "a green field", "blue": "the water", "teal": "the water", "yellow": "the sand",
                  "brown": "the bare ground", "white": "the snow"}.get(f.ground, f"{f.ground} ground")
        place = f"under a {f.sky} sky above {ground}" if subject else f"a {f.sky} sky above {ground}"
    elif f.sky:
        place = f"under a {f.sky} sky" if subject else _pick([f"a view of a {f.sky} sky", f"an open {f.sky} sky"], key)
    elif f.light == "night":
        place = "in the dark" if subject else _pick(
            _rooms(["a dark room at night", "a street at night", "darkness with little light"], rooms), key)
    elif f.texture > 0.13:
        place = _pick(_rooms(["in a cluttered room", "among a jumble of things", "in a busy place"], rooms), key) \
            if subject else _pick(_rooms(["a cluttered room full of things", "a busy scene full of detail",
                                          "a jumble of objects"], rooms), key)
    elif f.texture < 0.03:
        place = f"in front of a {main} wall" if subject else _pick(
            _rooms([f"an empty {main} wall", f"a plain {main} surface", f"an empty room with {main} walls"], rooms), key)
    elif rooms:
        place = f"in a {main} room" if subject else _pick([f"a {main} room", f"a quiet {main} corner", f"a {main} scene"], key)
    else:
        place = "" if subject else f"a {main} scene"
    # the light
    light = {"dim": " in dim light", "bright": " in bright light", "backlit": " against the light",
             "night": " at night" if (subject and "dark" not in place) else ""}.get(f.light, "")
    if f.light == "dim" and "room" in place:
        place, light = place.replace(f" {main} room", " room", 1).replace(" room", " dim room", 1), ""
    accent = f" beside a patch of {f.accent} light" if f.accent and f.accent != main and f.accent not in subject else ""
    text = " ".join(p for p in (subject, place) if p) + light + accent
    return text.replace("a orange", "an orange").replace("a empty", "an empty")


CASCADES = ("frontalface_default", "profileface", "upperbody", "fullbody", "frontalcatface", "smile")


def cascade(name: str) -> cv2.CascadeClassifier:
    """One of OpenCV's bundled Haar cascades; a clear error where this OpenCV has none."""
    found = cv2.CascadeClassifier(cv2.data.haarcascades + f"haarcascade_{name}.xml") if hasattr(cv2, "data") else None
    if found is None or found.empty():
        raise RuntimeError(f"OpenCV's Haar cascade {name!r} is missing: install opencv-python-headless 4.x, "
                           "which bundles them")
    return found


class SceneCaptioner(Captioner):
    name = "scene"

    def __init__(self, detect: bool = True):
        """detect=False: colours, light and setting only, no cascades loaded (`sight`)."""
        self.cascades = {name: cascade(name) for name in CASCADES} if detect else {}

    @classmethod
    def available(cls) -> tuple[bool, str]:
        ok = hasattr(cv2, "CascadeClassifier") and hasattr(cv2, "data")
        return ok, "" if ok else "this OpenCV build has no Haar cascades (OpenCV 5 dropped them): use opencv-python-headless<5"

    def analyse(self, rgb: np.ndarray, detect: bool = True) -> SceneFacts:
        """Colours, light and setting; people and cats too unless detect=False (the `sight`
        captioner brings its own eyes and uses only the setting from here)."""
        H, W = rgb.shape[:2]
        small = cv2.resize(rgb, _fit(W, H, WORK_SIDE), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        names = colour_names(hsv)
        f = SceneFacts(colours={k: round(v, 3) for k, v in share(names).items() if v >= 0.05})
        f.brightness = float(gray.mean())
        f.texture = float((cv2.Canny(gray, 80, 160) > 0).mean()) if min(gray.shape) > 2 else 0.0
        # light
        h3, w4 = max(1, gray.shape[0] // 4), max(1, gray.shape[1] // 4)
        centre = gray[h3:-h3 or None, w4:-w4 or None].mean() if gray.shape[0] > 3 and gray.shape[1] > 3 else f.brightness
        border = (gray.sum() - gray[h3:-h3 or None, w4:-w4 or None].sum()) / max(1, gray.size - gray[h3:-h3 or None, w4:-w4 or None].size) \
            if gray.shape[0] > 3 and gray.shape[1] > 3 else f.brightness
        if f.brightness < 45:
            f.light = "night"
        elif border > 150 and centre < 0.6 * border:
            f.light = "backlit"
        elif f.brightness < 95:
            f.light = "dim"
        elif f.brightness > 175:
            f.light = "bright"
        # accent: a saturated, bright colour covering a small part of the frame
        vivid = (hsv[..., 1] > 120) & (hsv[..., 2] > 120)
        if vivid.any():
            vivid_share = share(names[vivid])
            top = next(iter(vivid_share))
            if 0.01 < vivid.mean() * vivid_share[top] < 0.35:
                f.accent = top
        # sky, ground and horizon: top third smooth and bright/blue, a step in the row profile
        third = max(1, small.shape[0] // 3)
        top_names, bottom_names = share(names[:third]), share(names[-third:])
        top_main, bottom_main = next(iter(top_names)), next(iter(bottom_names))
        top_edges = (cv2.Canny(gray[:third], 80, 160) > 0).mean() if third > 2 else 1.0
        lighter_above = gray[:third].mean() > gray[-third:].mean() + 25
        if top_names[top_main] > 0.6 and top_edges < 0.04 and f.light != "night" and (
                top_main in ("blue", "teal") or (top_main in ("white", "grey") and lighter_above)):
            f.sky = top_main
            rows = small.reshape(small.shape[0], -1, 3).mean(axis=1)
            steps = np.abs(np.diff(rows, axis=0)).sum(axis=1)
            mid = steps[third // 2: -third // 2 or None] if len(steps) > third else steps
            if len(mid) and mid.max() > 40 and bottom_main != top_main:
                f.horizon, f.ground = True, bottom_main
        if detect and self.cascades:
            self._detect(rgb, f)
        return f

    def _detect(self, rgb: np.ndarray, f: SceneFacts) -> None:
        H, W = rgb.shape[:2]
        if min(H, W) < 24:
            return
        size = _fit(W, H, DETECT_SIDE)
        gray = cv2.equalizeHist(cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY))
        gw, gh = size
        minface = (max(20, gw // 20),) * 2

        def find(name, img, **kw):
            found = self.cascades[name].detectMultiScale(img, scaleFactor=1.15, minNeighbors=kw.pop("n", 5), **kw)
            return [tuple(int(v) for v in r) for r in found] if len(found) else []

        faces = find("frontalface_default", gray, minSize=minface)
        if not faces:
            faces = find("profileface", gray, minSize=minface)
        for x, y, w, h in faces:
            roi = gray[y + h // 2:y + h, x:x + w]
            if find("smile", roi, n=20, minSize=(w // 4, h // 8)):
                f.smiles += 1
        f.faces = [(x / gw, y / gh, w / gw, h / gh) for x, y, w, h in faces]
        if not faces:
            f.cats = len(find("frontalcatface", gray, minSize=minface))
        if not faces and not f.cats:
            bodies = find("fullbody", gray, n=4, minSize=(gw // 12, gh // 4)) or \
                find("upperbody", gray, n=4, minSize=(gw // 8, gh // 6))
            f.bodies = len(bodies)
            if bodies:
                f.subject_x = float(np.mean([(x + w / 2) / gw for x, _, w, _ in bodies]))
        if faces:
            f.subject_x = float(np.mean([x + w / 2 for x, _, w, _ in f.faces]))

    def describe(self, rgb: np.ndarray) -> tuple[str, dict]:
        facts = self.analyse(rgb)
        return phrase(facts), facts.to_dict()


def _fit(w: int, h: int, side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))
