"""The `sight` captioner: the object head, the caption decoder with eyes and its guard, the
captioner end to end on real photos, and the rule that the teachers stay out of the product."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from models.captioners import get_captioner, load_image
from models.captioners.beam import beam_write
from models.captioners.coco_words import categories_named
from models.captioners.objects import LABELS, ObjectHead, ObjectsError
from models.captioners.phrase import SPECIALS, PhraseConfig, PhraseModel
from models.captioners.sight import concepts_for

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = Path(__file__).parent / "data" / "photos"
SHARED_PHOTOS = ROOT.parent / "shared" / "data" / "photos"


@pytest.fixture(scope="module")
def sight():
    return get_captioner("sight")


def test_object_head_shapes_and_determinism():
    torch.manual_seed(0)
    head = ObjectHead().eval()
    mid, top = torch.randn(2, 112, 18, 18), torch.randn(2, 320, 9, 9)
    with torch.no_grad():
        heat, size, offset = head(mid, top)
        again = head(mid, top)
    assert heat.shape == (2, 80, 18, 18) and size.shape == offset.shape == (2, 2, 18, 18)
    assert all(torch.equal(a, b) for a, b in zip((heat, size, offset), again))
    found = head.find(mid[:1], top[:1], floor=0.0)
    assert found and all(f.label in LABELS and 0 <= f.score <= 1 for f in found)
    assert all(0 <= v <= 1 for f in found for v in f.box[2:]) and found == head.find(mid[:1], top[:1], floor=0.0)
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)


def test_a_corrupt_or_lying_object_head_is_a_clear_error(tmp_path):
    bad = tmp_path / "objects.safetensors"
    bad.write_bytes(b"\x00junk" * 50)
    with pytest.raises(ObjectsError, match="objects.safetensors"):
        ObjectHead.load(bad)
    liar = tmp_path / "liar.safetensors"
    ObjectHead().save(liar, {})
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    with safe_open(str(liar), framework="pt") as f:
        meta = json.loads(f.metadata()["narrator"])
    meta["config"]["width"] = 10 ** 9
    save_file(load_file(str(liar)), str(liar), metadata={"narrator": json.dumps(meta)})
    with pytest.raises(ObjectsError, match="out of bounds"):
        ObjectHead.load(liar)


def tiny_decoder() -> PhraseModel:
    words = SPECIALS + "a an the cat dog on sitting grass table of with".split()
    torch.manual_seed(0)
    return PhraseModel(PhraseConfig(d_model=32, heads=2, encoder_layers=1, decoder_layers=1, ff=64, max_len=8,
                                    image_dim=16, image_cells=4), words).eval()


def test_the_guard_drops_an_object_word_the_eyes_do_not_support():
    """A decoder pushed hard toward "dog" says it when the eyes allow dogs and never when they
    found only a cat."""
    model = tiny_decoder()

    class TowardDog(torch.nn.Module):   # the head as trained, plus 50 nats for "dog"
        def __init__(self, head):
            super().__init__()
            self.inner, self.bias = head, torch.zeros(len(model.words))
            self.bias[model.index["dog"]] = 50.0

        def forward(self, x):
            return self.inner(x) + self.bias
    model.head = TowardDog(model.head)
    image = torch.randn(1, 4, 16)
    assert "dog" in beam_write(model, ["cat"], image=image, allowed={"cat", "dog"}).split()
    said = beam_write(model, ["cat"], image=image, allowed={"cat"})
    assert "dog" not in said.split() and said


def test_concepts_follow_the_objects_found():
    from models.captioners.objects import Found
    found = [Found("person", 0.9, (0.5, 0.5, 0.2, 0.6)), Found("person", 0.7, (0.2, 0.5, 0.2, 0.6)),
             Found("dog", 0.5, (0.5, 0.8, 0.2, 0.1))]
    concepts, allowed = concepts_for(found)
    assert concepts == ["people", "dog"]          # the strongest categories, plural when more than one
    assert {"person", "people", "skier", "dog", "puppy", "dogs"} <= allowed and "cat" not in allowed
    assert concepts_for([]) == ([], set())


def test_the_decoder_given_features_writes_a_sentence(sight):
    cat = load_image(PHOTOS / "cat.jpg")
    found, cells, _, _ = sight.look(cat)
    assert cells.shape == (1, 81, 1280)
    text = beam_write(sight.decoder, ["cat"], image=cells, allowed=concepts_for(found)[1] | {"cat"})
    assert len(text.split()) >= 4 and "cat" in text.split()


def test_sight_names_what_is_in_real_photos_and_records_it(sight):
    cap = sight.caption(load_image(PHOTOS / "cat.jpg"))
    assert "cat" in categories_named(cap.text), cap.text
    d = cap.details
    assert any(o["label"] == "cat" for o in d["objects"])
    assert all(set(o) == {"label", "score", "box"} and len(o["box"]) == 4 for o in d["objects"])
    assert "cat" in d["top_classes"][0]["name"].lower() and len(d["top_classes"]) == 5
    json.dumps(d)   # job.json can hold it


def test_nothing_found_names_nothing(sight):
    import numpy as np
    for img in (np.full((480, 640, 3), 128, np.uint8), np.zeros((480, 640, 3), np.uint8)):
        cap = sight.caption(img)
        assert not categories_named(cap.text) and cap.text and not cap.details["objects"], cap.text


def test_dev_mode_sample_photos_get_captions_true_to_them(sight):
    """Dev mode's sample photos (device/camera/samples) name their subject and nothing that is
    not in the photo."""
    from device.camera.sim import SAMPLES
    there = {"cat.jpg": ({"cat"}, {"cat"}), "coffee.jpg": (set(), {"cup", "dining table", "spoon", "bowl"}),
             "astronaut.jpg": ({"person"}, {"person"}), "rocket.jpg": (set(), set())}
    assert sorted(there) == sorted(p.name for p in SAMPLES.glob("*.jpg"))
    for name, (subject, allowed) in there.items():
        text = sight.caption(load_image(SAMPLES / name)).text
        named = categories_named(text)
        assert subject <= named <= allowed, (name, text)


@pytest.mark.skipif(not SHARED_PHOTOS.exists(), reason="needs ../shared/data/photos (as in CI)")
def test_photos_with_people_are_captioned_with_a_person_word(sight):
    """Three Penn-Fudan street photos (pedestrians, boxed by hand) and three person-class photos."""
    files = sorted((SHARED_PHOTOS / "pennfudan" / "images").glob("*.jpg"))[:3]
    files += sorted((SHARED_PHOTOS / "natural8" / "person").glob("*.jpg"))[:3]
    for f in files:
        text = sight.caption(load_image(f)).text
        assert "person" in categories_named(text), (f.name, text)


def test_the_teachers_stay_out_of_the_product():
    """No module outside the training package names the teacher detectors, and captioning a
    photo with `sight` imports nothing from training."""
    training = ROOT / "models" / "captioners" / "training"
    for pkg in ("device", "models"):
        for path in (ROOT / pkg).rglob("*.py"):
            if training in path.parents:
                continue
            tree = ast.parse(path.read_text())
            text = " ".join(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
            names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
            mods = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            assert "detectors" not in text, path
            assert not any("training" in m or "teachers" in m for m in mods | names), path
    code = ("import sys; from models.captioners import get_captioner, load_image;"
            f"get_captioner('sight').caption(load_image('{PHOTOS / 'cat.jpg'}'));"
            "print([m for m in sys.modules if 'training' in m or 'teacher' in m])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert not [p for p in ROOT.rglob("*") if p.suffix in (".onnx", ".weights") and ".venv" not in p.parts]
