"""Settings (#29): the words captions use for where a photo was taken, the setting head that
says which are there, and the guard that keeps a caption to them; and the word guard's
second halves and sports, which need an object found to back them."""
from pathlib import Path

import numpy as np
import pytest
import torch

from models.captioners.beam import beam_write
from models.captioners.objects import Found, ObjectsError, one_peak_each
from models.captioners.setting_head import NAMES, SettingHead
from models.captioners.settings import setting_words, settings_named
from models.captioners.sight import concepts_for

PHOTOS = Path(__file__).parent / "data" / "photos"


def test_a_caption_names_setting_groups_and_a_parking_meter_is_no_street():
    assert settings_named("a dog running on the beach near the water") == {"beach", "water"}
    assert settings_named("a cat sitting on top of a living room") == {"indoors"}
    assert settings_named("a person is standing in front of a parking meter") == set()
    assert "kitchen" in setting_words({"indoors"}) and "street" not in setting_words({"indoors"})


def test_the_setting_head_supports_a_group_above_its_threshold_and_loads_what_it_saved(tmp_path):
    torch.manual_seed(0)
    head = SettingHead().eval()
    cells = torch.randn(1, 1280, 9, 9)
    probs = head.probabilities(cells)
    assert list(probs) == NAMES and all(0 < p < 1 for p in probs.values())
    head.thresholds.fill_(1.01)
    assert head.supported(probs) == set()                        # a group that never reached its precision
    head.thresholds[NAMES.index("sky")] = 0.0
    assert head.supported(probs) == {"sky"}
    head.save(tmp_path / "settings.safetensors", {"why": "test"})
    again = SettingHead.load(tmp_path / "settings.safetensors")
    loaded = again.probabilities(cells)
    assert again.supported(loaded) == {"sky"} and loaded == pytest.approx(probs)
    (tmp_path / "bad.safetensors").write_bytes(b"junk" * 40)
    with pytest.raises(ObjectsError, match="bad.safetensors"):
        SettingHead.load(tmp_path / "bad.safetensors")


def test_the_shipped_head_was_chosen_for_precision():
    meta = SettingHead.load().meta
    for group, r in meta["thresholds"].items():
        assert r["precision"] is None or r["precision"] >= meta["precision"], (group, r)


def test_the_guard_keeps_a_caption_to_the_settings_supported():
    from models.captioners import get_captioner, load_image
    sight = get_captioner("sight")
    _, cells, _, _ = sight.look(load_image(PHOTOS / "cat.jpg"))
    free = beam_write(sight.decoder, ["cat"], image=cells)
    assert settings_named(free), free                   # unguarded, the decoder puts this cat in a room...
    for supported in (set(), {"field"}):
        said = beam_write(sight.decoder, ["cat"], image=cells, settings=setting_words(supported))
        assert settings_named(said) <= supported and "cat" in said.split(), said   # ...guarded, not there


def test_one_object_raises_one_peak_and_two_stay_two():
    a, b = Found("person", 0.9, (0.5, 0.5, 0.4, 0.8)), Found("person", 0.5, (0.52, 0.55, 0.38, 0.7))
    far = Found("person", 0.4, (0.1, 0.5, 0.1, 0.3))
    assert one_peak_each([a, b]) == [a]                           # a portrait's two peaks: one woman
    assert one_peak_each([a, b, far]) == [a, far]
    assert one_peak_each([a, Found("dog", 0.5, b.box)]) == [a, Found("dog", 0.5, b.box)]   # another category
    assert concepts_for(one_peak_each([a, b]))[0] == ["person"]
    head = Found("person", 0.7, (0.42, 0.37, 0.45, 0.5))                 # the astronaut's head and shoulders...
    figure = Found("person", 0.46, (0.36, 0.59, 0.69, 0.85))             # ...inside her whole figure (IoU 0.34)
    assert one_peak_each([head, figure]) == [head]


def test_sports_and_second_halves_need_an_object_to_back_them():
    _, allowed = concepts_for([Found("clock", 0.9, (0.5, 0.5, 0.1, 0.1)), Found("person", 0.8, (0.3, 0.5, 0.2, 0.6))])
    assert not {"baseball", "game", "parking", "meter", "tennis"} & allowed
    _, allowed = concepts_for([Found("car", 0.9, (0.5, 0.5, 0.3, 0.2))])
    assert "parking" in allowed and "meter" not in allowed
    _, allowed = concepts_for([Found("baseball bat", 0.9, (0.5, 0.5, 0.1, 0.3))])
    assert {"baseball", "game"} <= allowed


def test_every_name_of_two_words_has_a_guarded_word():
    """"a red and white stop sign on the tracks" was said with no stop sign found: neither "stop"
    nor "sign" was guarded. Every two-word name a caption may use has a word the guard holds."""
    from models.captioners.coco_words import CATEGORIES
    from models.captioners.phrase import PhraseModel
    from models.captioners.sight import DECODER
    decoder = PhraseModel.load(DECODER)
    guarded = decoder.object_words()
    for name in (n for names in CATEGORIES.values() for n in names if " " in n):
        sayable = all(w in decoder.index for w in name.split())
        assert not sayable or set(name.split()) & guarded, name


def test_person_thresholds_are_reckoned_at_the_worlds_share_of_people():
    from models.captioners.objects import LABELS
    from models.captioners.training.train_objects import choose_thresholds
    rng = np.random.default_rng(0)
    truth = np.zeros((1000, len(LABELS)), bool)
    truth[:800, LABELS.index("person")] = True                 # 80 % with people, as the COCO photos here
    scores = np.where(truth, rng.uniform(0.3, 1.0, truth.shape), rng.uniform(0.0, 0.6, truth.shape))
    thresholds, _ = choose_thresholds(scores, truth)
    t = thresholds[LABELS.index("person")]
    said = scores[:, LABELS.index("person")] >= t
    hit, false = said[:800].mean(), said[800:].mean()
    assert hit / (hit + false) >= 0.92                           # at half the photos with people
    assert (said & truth[:, 0]).sum() / said.sum() > 0.97          # the skewed split alone would allow less
