"""Keeping the subject alive: the pull's automaton, its place in the sampler (rows still
reproducible by seed, engine equal to the reference), and what it does on the shipped voice."""
import time

import pytest
import torch

from models.checkpoint import load_checkpoint
from models.engine import Draw
from models.subject import FINISH, OBJECT, OUT, START, WORD_START, SubjectPull, content_words, recurring
from models.text import Vocab
from models.writer import SHIPPED, Writer

VOCAB = Vocab.from_text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,.'\n")


def test_content_words_and_recurrence():
    assert content_words("A man riding a wave on top of a surfboard") == ["man", "riding", "wave", "surfboard"]
    stanza = "a man riding a wave on top of a surfboard\nthe waves are grey\nno man"
    assert recurring("a man riding a wave on top of a surfboard", stanza) == ["man", "wave"]   # plural counts
    assert recurring("an ox", "an ox\nand an ox") == []                                         # too short a word
    assert recurring("a cat on a mat", "a cat on a mat, the cat") == []                          # first line only


def test_the_pull_follows_the_caption_words_letter_by_letter():
    pull = SubjectPull("a cat on a blanket", VOCAB, strength=2.0)
    idx = VOCAB.index
    bias = lambda state, ch: float(pull.bias[state, idx[ch]])   # noqa: E731
    assert bias(WORD_START, "b") == pytest.approx(START * 2.0)                    # word starts
    assert bias(WORD_START, "c") == pytest.approx(START * 2.0 * OBJECT)           # the cat: an object pulls more
    assert bias(WORD_START, "C") == bias(WORD_START, "c")                         # a line may start "Cat"
    assert bias(WORD_START, "x") == 0.0
    assert bias(pull.run(VOCAB.chars, "bl"), "a") == 2.0                          # second and third letters
    bla = pull.run(VOCAB.chars, "bla")
    assert bias(bla, "n") == pytest.approx(FINISH * 2.0) and bias(bla, "c") == 0.0   # "bla" -> "blan", not "black"
    assert [int(pull.ends[pull.run(VOCAB.chars, w)]) for w in ("cat", "blanket", "blank", "ca")] == [1, 1, 0, 0]
    assert pull.run(VOCAB.chars, "blo") == OUT and float(pull.bias[OUT].abs().sum()) == 0
    assert pull.run(VOCAB.chars, "blo ") == WORD_START                            # a space starts a new word
    assert pull.first == pull.run(VOCAB.chars, "a cat on a blanket")              # the caption's own end


def test_head_nouns_pull_harder_than_the_words_that_describe_them():
    from models.subject import ADJECTIVE, head_nouns
    assert head_nouns("a black dog sitting on a red couch") == ["dog", "couch"]
    pull = SubjectPull("a black dog on a red couch", VOCAB, strength=2.0)
    at_start = pull.bias[WORD_START]
    assert float(at_start[VOCAB.index["d"]]) == pytest.approx(START * 2.0 * OBJECT)    # a dog: an object
    assert float(at_start[VOCAB.index["r"]]) == pytest.approx(START * 2.0 * ADJECTIVE)
    bl = pull.run(VOCAB.chars, "bla")
    assert float(pull.bias[bl, VOCAB.index["c"]]) == pytest.approx(FINISH * 2.0 * ADJECTIVE)
    # a prefix shared by a noun and a describer pulls as the noun: "b" starts "black" and "bed"
    both = SubjectPull("a black bed", VOCAB, strength=2.0)
    assert float(both.bias[WORD_START, VOCAB.index["b"]]) == pytest.approx(START * 2.0 * OBJECT)


def test_each_completed_caption_word_halves_that_rows_pull():
    pull = SubjectPull("a cat on a blanket", VOCAB, strength=2.0)
    draw = Draw(2, len(VOCAB), "cpu", VOCAB.index[" "]).set([1.0, 1.0], pull=pull)
    for ch in " cat ":   # row 0 writes a caption word; row 1 writes letters that are none
        forced = torch.full((2, len(VOCAB)), -50.0)
        forced[0, VOCAB.index[ch]] = forced[1, VOCAB.index["x" if ch.isalpha() else ch]] = 50.0
        draw(forced, torch.full((2,), 0.5))
    assert draw.pull_done.tolist() == [1, 0]
    both_at_a_word_start = draw.pull_nats()
    assert both_at_a_word_start[1, VOCAB.index["c"]] == pytest.approx(START * 2.0 * OBJECT)
    assert torch.allclose(both_at_a_word_start[0], both_at_a_word_start[1] / 2)


@pytest.fixture(scope="module")
def model(tiny_checkpoint):
    return load_checkpoint(tiny_checkpoint, "cpu")[0]


@pytest.mark.parametrize("rule", ["pull", "no_repeat"])
def test_pulled_and_banned_rows_stay_reproducible_by_seed_and_the_engine_equals_the_reference(model, rule):
    """The subject's pull and the no-repeat rule (models/repeats.py) both live in the draw."""
    options = {"pull": SubjectPull("The moon over the river", model.vocab, 3.0)} if rule == "pull" else {rule: True}
    logits, state = model.prime("The moon over the river")
    temps, seeds = [0.0, 0.5, 0.9], [11, 12, 13]
    batched = model.generate(logits, state, temps, 300, seeds, **options)
    for i, t in enumerate(temps):
        alone = model.generate(logits, state, [t], 300, [seeds[i]], **options)
        assert torch.equal(batched[i], alone[0])
    assert torch.equal(batched, model.generate(logits, state, temps, 300, seeds, engine=False, **options))
    assert not torch.equal(batched, model.generate(logits, state, temps, 300, seeds))   # the rule did something


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU"))])
def test_timings_add_up_to_the_wall_time_and_rows_repeat_by_seed(tiny_checkpoint, device):
    """On CUDA the writer synchronises before reading the clock, so its parts still add up."""
    writer = Writer.load(tiny_checkpoint, device)
    writer.write("The moon", [0.5, 0.5, 0.5], 40, rng_seed=1)   # build the engine (on CUDA: capture the graph)
    t0 = time.perf_counter()
    poem = writer.write("The moon over the river", [0.3, 0.6, 0.9], 300, rng_seed=5)
    wall = time.perf_counter() - t0
    parts = poem.timings["prime_s"] + poem.timings["sample_s"] + poem.timings["guard_s"]
    assert 0.9 * wall <= parts <= wall
    assert poem.keep_subject > 0 and all(isinstance(s.recurs, list) for s in poem.stanzas)
    again = writer.write("The moon over the river", [0.3, 0.6, 0.9], 300, rng_seed=5)
    assert [s.text for s in again.stanzas] == [s.text for s in poem.stanzas]


def test_keeping_the_subject_raises_recurrence_on_the_shipped_voice():
    """Fixed seeds; plain sampling brings a caption word back in a few stanzas, the pull in
    most (subject_bench.py measures it on more captions)."""
    if not SHIPPED.exists():
        pytest.skip("no shipped voice in this checkout")
    writer = Writer.load(SHIPPED, "cpu")
    captions = ["a dog running on the beach", "a red bus driving down a city street",
                "a bowl of fruit on a kitchen counter", "two horses standing in a green field"]
    temps = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]

    def share(keep: float) -> float:
        kept = [bool(s.recurs) for c in captions
                for s in writer.write(c, temps, 400, rng_seed=0, keep_subject=keep).stanzas]
        return sum(kept) / len(kept)
    plain, pulled = share(0.0), share(2.5)
    assert pulled >= plain + 0.3 and pulled >= 0.45, (plain, pulled)


def test_after_an_article_the_slot_leans_toward_the_object_not_the_setting():
    from models.subject import OBJECT_SLOT, SLOT, object_words
    assert object_words("a cat sitting on top of a room") == ["cat"]
    assert object_words("a person riding a motorcycle on a city street") == ["person", "motorcycle"]
    pull = SubjectPull("a cat sitting on top of a room", VOCAB, strength=2.0)
    assert pull.objects == ["cat"]
    assert pull.run(VOCAB.chars, "the ") == SLOT and pull.run(VOCAB.chars, "The ") == SLOT
    assert pull.run(VOCAB.chars, "then ") == WORD_START and pull.run(VOCAB.chars, "a ") == SLOT
    c, r = VOCAB.index["c"], VOCAB.index["r"]
    assert float(pull.bias[SLOT, c]) == pytest.approx(OBJECT_SLOT * 2.0)     # "the c..." -> "the cat"
    assert float(pull.bias[SLOT, r]) == float(pull.bias[WORD_START, r]) == pytest.approx(START * 2.0)
    assert pull.run(VOCAB.chars, "the cat") == pull.run(VOCAB.chars, " cat")   # then the word goes on as any
