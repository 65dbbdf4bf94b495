"""Keeping the subject alive: the pull's automaton, its place in the sampler (rows still
reproducible by seed, engine equal to the reference), and what it does on the shipped voice."""
import time

import pytest
import torch

from models.checkpoint import load_checkpoint
from models.subject import OUT, WORD_START, SubjectPull, content_words, recurring
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
    assert bias(WORD_START, "c") == bias(WORD_START, "b") == pytest.approx(0.8)   # word starts: 0.4 x strength
    assert bias(WORD_START, "C") == pytest.approx(0.8)                            # a line may start "Cat"
    assert bias(WORD_START, "x") == 0.0
    bla = pull.run(VOCAB.chars, "bla")
    assert bias(bla, "n") == 2.0 and bias(bla, "c") == 0.0                        # "bla" -> "blan", not "black"
    assert pull.run(VOCAB.chars, "blo") == OUT and float(pull.bias[OUT].abs().sum()) == 0
    assert pull.run(VOCAB.chars, "blo ") == WORD_START                            # a space starts a new word
    assert pull.first == pull.run(VOCAB.chars, "a cat on a blanket")              # the caption's own end


@pytest.fixture(scope="module")
def model(tiny_checkpoint):
    return load_checkpoint(tiny_checkpoint, "cpu")[0]


def test_pulled_rows_stay_reproducible_by_seed_and_the_engine_equals_the_reference(model):
    pull = SubjectPull("The moon over the river", model.vocab, 3.0)
    logits, state = model.prime("The moon over the river")
    temps, seeds = [0.0, 0.5, 0.9], [11, 12, 13]
    batched = model.generate(logits, state, temps, 200, seeds, pull=pull)
    for i, t in enumerate(temps):
        alone = model.generate(logits, state, [t], 200, [seeds[i]], pull=pull)
        assert torch.equal(batched[i], alone[0])
    assert torch.equal(batched, model.generate(logits, state, temps, 200, seeds, pull=pull, engine=False))
    assert not torch.equal(batched, model.generate(logits, state, temps, 200, seeds))   # the pull did something


def test_timings_add_up_to_the_wall_time(tiny_writer):
    t0 = time.perf_counter()
    poem = tiny_writer.write("The moon over the river", [0.3, 0.6, 0.9], 300, rng_seed=5)
    wall = time.perf_counter() - t0
    parts = poem.timings["prime_s"] + poem.timings["sample_s"] + poem.timings["guard_s"]
    assert 0.9 * wall <= parts <= wall
    assert poem.keep_subject > 0 and all(isinstance(s.recurs, list) for s in poem.stanzas)


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
