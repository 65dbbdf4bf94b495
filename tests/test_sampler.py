import pytest
import torch

from models.charlstm import VERSE_OVER, finish_verse
from models.checkpoint import load_checkpoint
from models.writer import CaptionError, Writer


def sample(model, caption, temperatures, length, **options) -> list[str]:
    """The stanzas' text, through the one writer (no pre-seed, no index, no subject pull:
    test_subject.py tests the pull)."""
    options.setdefault("keep_subject", 0)
    return [s.text for s in Writer(model).write(caption, temperatures, length, **options).stanzas]


@pytest.fixture(scope="module")
def model(tiny_checkpoint):
    return load_checkpoint(tiny_checkpoint, "cpu")[0]


def test_each_batched_row_matches_that_temperature_sampled_alone(model):
    temps = [0.3, 0.6, 0.9, 1.2]
    logits, state = model.prime("The moon over the sea")
    batched = model.generate(logits, state, temps, 300, seeds=[100, 101, 102, 103])
    for i, t in enumerate(temps):
        alone = model.generate(logits, state, [t], 300, seeds=[100 + i])
        assert torch.equal(batched[i], alone[0]), f"row {i} (temperature {t}) differs"


def test_primed_state_is_not_consumed_by_sampling(model):
    logits, state = model.prime("Cold stone")
    a = model.generate(logits, state, [0.8], 100, seeds=[5])
    b = model.generate(logits, state, [0.8], 100, seeds=[5])
    assert torch.equal(a, b)


def test_seed_is_echoed_once_and_the_budget_counts_generated_chars_only(model):
    seed = "The quiet river falls under the stone and the wind"
    for stanza in sample(model, seed, [0.5, 1.0], length=60, rng_seed=1):
        assert stanza.startswith(seed)
        assert stanza.count(seed) == 1
        assert 0 < len(stanza) - len(seed) <= 60 + int(60 * VERSE_OVER)   # room to finish the line


def test_preseed_primes_but_is_not_printed(model):
    preseed = "Green gold night over my river,\nSoftly the moon and a stone.\n"
    with_pre = sample(model, "The sea", [0.7], 150, preseed=preseed, rng_seed=3)[0]
    without = sample(model, "The sea", [0.7], 150, rng_seed=3)[0]
    assert with_pre.startswith("The sea") and preseed.strip() not in with_pre
    assert with_pre != without  # the pre-seed changed the LSTM's state


def test_greedy_and_top_k_1_agree_and_are_deterministic(model):
    greedy = sample(model, "The moon", [0.0, 0.0], 120, rng_seed=1)
    assert greedy[0] == greedy[1]
    top1 = sample(model, "The moon", [1.5], 120, top_k=1, rng_seed=9)
    assert top1[0] == greedy[0]


def test_same_rng_seed_same_poem(model):
    a = sample(model, "A dog on a beach", [0.5, 0.9], 200, rng_seed=42)
    b = sample(model, "A dog on a beach", [0.5, 0.9], 200, rng_seed=42)
    c = sample(model, "A dog on a beach", [0.5, 0.9], 200, rng_seed=43)
    assert a == b and a != c


def test_seed_outside_the_vocabulary_never_crashes(model, caplog):
    stanzas = sample(model, "\u2603 a 42% caf\u00e9 \u201cquote\u201d ~{}", [0.5], 80, rng_seed=1)
    assert len(stanzas) == 1 and stanzas[0]
    assert "outside the model's vocabulary" in caplog.text
    with pytest.raises(CaptionError, match="empty"):
        sample(model, "  ", [0.5], 50, rng_seed=1)


@pytest.mark.parametrize("text,length,expected,ending", [
    ("one line,\nsecond line\nthird li", 16, "one line,", "line"),             # a pause ends verse
    ("one line\nsecond line\nthird li", 12, "one line\nsecond line", "line"),  # the line under way is finished
    ("a long line. With no break at all and more wor", 20, "a long line.", "sentence"),
    ("a long line with no break at all and more wor", 30, "a long line with no break at all and more", "word"),
    ("ends well\n", 5, "ends well", "line"),
])
def test_finish_verse(text, length, expected, ending):
    assert finish_verse(text, length) == (expected, ending)


def test_runs_of_spaces_are_capped(tiny_checkpoint):
    """The corpus hides line numbers behind long runs of spaces; a stanza must not spend its
    budget on blank paper. Bias the model towards spaces and check the cap holds."""
    import torch
    model = load_checkpoint(tiny_checkpoint, "cpu")[0]
    with torch.no_grad():
        model.head.bias[model.vocab.index[" "]] += 8.0
    logits, state = model.prime("The moon")
    for engine in (True, False):
        ids = model.generate(logits, state, [0.0, 0.7, 1.2], 300, [1, 2, 3], engine=engine)
        for row in ids.tolist():
            text = model.vocab.decode(row)
            assert " " * 13 not in text and " " * 12 in text
    model.max_space_run = None
    free = model.vocab.decode(model.generate(logits, state, [0.0], 100, [1])[0].tolist())
    assert " " * 13 in free


def test_the_caption_is_printed_as_written(model):
    """The first character after a caption ending in a letter is never a letter or digit:
    'dim light' must not become 'dim lightning'. Without the mask this model, untrained, runs
    on from the caption's last word in most stanzas."""
    for caption in ("dim light", "a quiet room", "a dog on a beach."):
        for stanza in Writer(model).write(caption, [0.5, 1.0, 1.5, 2.0] * 10, 20, rng_seed=3, keep_subject=2.5).stanzas:
            assert stanza.text.startswith(caption)
            if caption[-1].isalnum():
                assert not stanza.text[len(caption):][:1].isalnum(), stanza.text


def test_captions_are_tidied_before_the_poem(model, caplog):
    from models.defaults import MAX_CAPTION
    (s,) = Writer(model).write("a dog \U0001F415 on   a beach", [0.5], 20, rng_seed=1).stanzas
    assert s.caption == "a dog on a beach"        # the emoji leaves no double space
    long = " ".join(["word"] * 100)
    (s,) = Writer(model).write(long, [0.5], 20, rng_seed=1).stanzas
    assert len(s.caption) <= MAX_CAPTION and s.caption.endswith("word") and "cut" not in s.caption
    assert "the poem starts from its first" in caplog.text
    with pytest.raises(CaptionError, match="empty"):
        Writer(model).write("", [0.5], 20)
