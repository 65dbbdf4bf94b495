"""Training the eyes, the parts that need no photos: the teachers' agreement rule, the object
head's targets, a caption's concepts, and one training step that lowers the loss."""
from pathlib import Path

import numpy as np
import pytest
import torch

from models.captioners.coco_words import concepts_in
from models.captioners.objects import ObjectHead
from models.captioners.training.labels import photo_boxes
from models.captioners.training.photos import Photo
from models.captioners.training.teachers import Rule, agreed, iou
from models.captioners.training.train_objects import CLASS, losses, targets


def test_teachers_must_agree_unless_one_is_sure():
    dog = ("dog", 0.5, 0.5, 0.5, 0.2, 0.2)
    near = ("dog", 0.45, 0.52, 0.5, 0.2, 0.2)
    cat_alone = ("cat", 0.35, 0.2, 0.2, 0.1, 0.1)
    sure = ("person", 0.9, 0.8, 0.5, 0.1, 0.4)
    out = agreed([[dog, cat_alone], [near], [sure]], Rule(score=0.3, votes=2, alone=0.6))
    assert sorted(b[0] for b in out) == ["dog", "person"]                # one unsure cat is no label
    merged = next(b for b in out if b[0] == "dog")
    assert abs(merged[1] - 0.475) < 1e-6 and abs(merged[2] - 0.51) < 1e-6  # voters averaged
    assert abs(iou((0.5, 0.5, 0.2, 0.2), (0.5, 0.5, 0.2, 0.2)) - 1) < 1e-9 and iou((0.1, 0.1, 0.1, 0.1), (0.9, 0.9, 0.1, 0.1)) == 0


def test_real_labels_win_over_the_teachers_where_they_are_complete():
    p = Photo("coco/1", None, "coco-val2017", boxes=[("person", 0.5, 0.5, 0.2, 0.6)], complete={"person"},
              present={"dog"})
    teachers = {"t1": {"coco/1": [("person", 0.9, 0.1, 0.1, 0.1, 0.1), ("cup", 0.9, 0.7, 0.7, 0.1, 0.1)]}}
    boxes = photo_boxes(p, teachers, Rule(votes=1, alone=0.5))
    assert ("person", 0.5, 0.5, 0.2, 0.6) in boxes and not [b for b in boxes if b[0] == "person" and b[1] == 0.1]
    assert {b[0] for b in boxes} == {"person", "cup", "dog"}             # teachers fill in; the folder's class stays


def test_targets_peak_at_the_centre_and_mirror():
    t = targets([("dog", 0.25, 0.5, 0.2, 0.2)], flip=False)
    heat = t["heat"][CLASS["dog"]]
    assert heat.max() == 1.0 and np.unravel_index(heat.argmax(), heat.shape) == (9, 4)
    m = targets([("dog", 0.25, 0.5, 0.2, 0.2)], flip=True)["heat"][CLASS["dog"]]
    assert np.unravel_index(m.argmax(), m.shape) == (9, 13) and t["present"][CLASS["dog"]] == 1


def test_a_training_step_lowers_the_loss():
    torch.manual_seed(0)
    head = ObjectHead()
    mid, top = torch.randn(4, 112, 18, 18), torch.randn(4, 320, 9, 9)
    batch = [targets([("person", 0.5, 0.5, 0.3, 0.6)], False)] * 4
    opt = torch.optim.Adam(head.parameters(), 1e-3)
    first = losses(head, mid, top, batch)
    for _ in range(20):
        loss = losses(head, mid, top, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses(head, mid, top, batch).item() < 0.5 * first.item()


def test_a_captions_concepts():
    assert concepts_in("Two men walking dogs on a beach") == ["people", "dogs"]
    assert concepts_in("a hot dog on a dining table") == ["hot dog", "table"]    # a hot dog names no dog
    assert concepts_in("an orange cat on a couch") == ["cat", "couch"]           # orange the colour
    assert concepts_in("a view of the sea") == []


SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.mark.skipif(not (SHARED / "data" / "photos" / "flickr8k").exists(), reason="needs ../shared (as in CI)")
def test_held_out_photos_and_their_captions_stay_out_of_training():
    from models.captioners.phrase import tokens
    from models.captioners.training.photos import HELD_OUT, load_photos
    from models.captioners.training.train_decoder import caption_texts
    photos = load_photos(SHARED)
    ftest = [p for p in photos if p.split == "ftest"]
    listed = set((SHARED / "data" / "photos" / "flickr8k" / "Flickr_8k.testImages.txt").read_text().split())
    assert {p.path.name for p in ftest} == listed and all(len(p.captions) == 5 for p in ftest)
    assert [p.split for p in load_photos(SHARED)] == [p.split for p in photos]    # the same draw every time
    texts = {" ".join(t) for t in caption_texts(photos, SHARED)}
    held = {" ".join(tokens(c)) for p in photos if p.split in HELD_OUT for c in p.captions}
    assert not texts & held and len(texts) > 100_000                          # Flickr30k's text is in


def test_the_decoder_stage_resumes_its_own_run_and_refuses_another(tmp_path):
    """A checkpoint per epoch resumes a run; one left by a run that started from other weights
    (a refresh's --init) stops the stage instead of quietly standing in for a fresh start."""
    from models.captioners.phrase import SPECIALS, PhraseConfig, PhraseModel
    from models.captioners.training.train_decoder import Pairs, fit
    torch.manual_seed(0)
    model = PhraseModel(PhraseConfig(d_model=32, heads=2, ff=64), SPECIALS + ["a", "cat", "sits"])
    source = [(Pairs([(["cat"], ["a", "cat", "sits"], None, False)] * 4, model.index, 0), None)]
    state = tmp_path / "decoder.pt"
    history = fit(model, source, 1, 1e-3, state, start_from="text prior")
    assert len(history) == 1 and torch.load(state, weights_only=True)["start_from"] == "text prior"
    assert fit(model, source, 1, 1e-3, state, start_from="text prior") == history   # resumed: nothing left to do
    with pytest.raises(SystemExit, match="started from text prior"):
        fit(model, source, 1, 1e-3, state, start_from="models/shipped/sight_decoder.safetensors")
