"""The word table as sight reads it: what only ImageNet can name, what it adds where the object
head is silent, and how a caption's words become the decoder's concepts in training."""
import numpy as np
import pytest

from models.captioners.sight import CLASSIFIER_COCO_MIN, SUBJECT_MIN, classifier_adds, concepts_for
from models.captioners.phrase import concepts_of
from models.captioners.word_table import WordTable


@pytest.fixture(scope="module")
def table():
    return WordTable()


def probs_for(table, **classes) -> np.ndarray:
    """A softmax with the named classes at the given probabilities, the rest spread flat."""
    names = [r.name for r in table.rows]
    p = np.full(1000, (1 - sum(classes.values())) / (1000 - len(classes)), np.float32)
    for name, v in classes.items():
        p[names.index(name.replace("_", " "))] = v
    return p


def test_subjects_are_what_only_imagenet_names(table):
    assert {"squirrel", "lemon", "castle", "fox", "butterfly"} <= table.subjects
    # COCO's categories are the object head's; people and settings are not subjects
    assert not {"dog", "bird", "cup", "gymnast", "person", "beach", "snow", "building"} & table.subjects
    assert {"cup coffee", "bird", "boat"} <= table.coco_concepts and "person" not in table.coco_concepts


def test_the_classifier_adds_a_category_the_head_missed_and_a_subject(table):
    seen, subject = classifier_adds(table, probs_for(table, espresso=0.8))
    assert seen[0] == "cup" and seen[1] > CLASSIFIER_COCO_MIN and subject is None
    seen, subject = classifier_adds(table, probs_for(table, fox_squirrel=0.9))
    assert seen is None and subject == "squirrel"
    # below the thresholds it adds nothing: a guess is no subject
    assert classifier_adds(table, probs_for(table, fox_squirrel=SUBJECT_MIN * 0.9, espresso=0.1)) == (None, None)


def test_what_the_classifier_adds_reaches_the_decoder_and_its_guard():
    concepts, allowed = concepts_for([], ("cup", 0.6), "squirrel")
    assert concepts == ["cup", "squirrel"]
    assert {"cup", "cups", "mug", "squirrel", "squirrels"} <= allowed and "dog" not in allowed


def test_a_captions_subjects_singular_in_order(table):
    words = "two squirrels and a lemon by the castle with a dog".split()
    assert concepts_of(words, table.subjects) == ["squirrel", "lemon", "castle"]


def test_a_subject_the_decoder_has_no_word_for_travels_through_the_slot(table):
    from models.captioners.phrase import THING
    from models.captioners.training.train_decoder import Pairs
    index = {w: i for i, w in enumerate(["<pad>", "<bos>", "<eos>", THING, "<unk>", "a", "on", "branch", "sits"])}
    src, words = Pairs([], index, 0, table.subjects).example(["squirrel"], "a squirrel sits on a branch".split(), False)
    assert src == [index[THING]] and words == [index[w] for w in ["a", THING, "sits", "on", "a", "branch"]]


def test_the_guard_knows_plurals_in_ies():
    """"two puppies" were said of a lawn with no dog: the guard knew "puppys", not "puppies"."""
    from models.captioners.coco_words import forms
    from models.captioners.phrase import PhraseModel
    from models.captioners.sight import DECODER
    assert forms("puppy") == {"puppy", "puppys", "puppyes", "puppies"} and "buses" in forms("bus")
    model = PhraseModel.load(DECODER)
    assert "puppies" in model.index and "puppies" in model.object_words()


def test_a_subject_only_the_classifier_names_is_said_only_when_it_does(table):
    """"a cat sitting on top of a box" of a cat's face: the box came from the decoder alone.
    Subjects are guarded like COCO's objects, but for words captions use for something else
    ("looks at the camera", "watch")."""
    from models.captioners.phrase import PhraseModel
    from models.captioners.sight import DECODER
    guarded = PhraseModel.load(DECODER).object_words()
    assert {"box", "boxes", "squirrel", "mask", "tent"} <= guarded
    assert not {"camera", "watch", "swing", "track"} & guarded
    _, allowed = concepts_for([], None, "tent")
    assert "tent" in allowed and "box" not in allowed
