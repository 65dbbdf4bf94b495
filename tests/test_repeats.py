"""No loops: the measure, and the sampler's rule that a content word is never written a third
time (rows still reproducible by seed, the engine equal to the reference)."""
import torch

from models.checkpoint import load_checkpoint
from models.engine import Draw
from models.repeats import loops, stem, word_hash
from models.text import Vocab

VOCAB = Vocab.from_text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,.'\n")


def test_a_stanza_loops_when_a_content_word_comes_three_times():
    assert loops("The sun that bears the sun,\nand the sun is shaken on the suns.") == ["sun"]
    assert loops("the sun and the sea, the sun and the sky") == []        # twice is a refrain, not a loop
    assert loops("and the and the and the, thou thou thou") == []           # function words never count
    assert loops("Sun! sun? SUNS") == ["sun"]                               # case and a plural fold
    assert stem("glass") == "glas" and stem("its") == "its" and stem("Suns") == "sun"


def drive(draw: Draw, text: str) -> list[bool]:
    """Feed `text` through the draw, one forced character a step; before each step, whether
    the row may end the word under way (space allowed)."""
    may_end = []
    for ch in text:
        logits = torch.full((1, len(VOCAB)), -50.0)
        logits[0, VOCAB.index[ch]] = 50.0
        logits[0, VOCAB.index[" "]] = 49.0          # the likeliest other choice: end the word
        _, full = draw.words.said_twice()
        may_end.append(not bool(full[0]))
        draw(logits, torch.full((1,), 0.5))
    return may_end


def test_the_draw_counts_words_and_will_not_end_one_a_third_time():
    draw = Draw(1, len(VOCAB), "cpu", VOCAB.index[" "], VOCAB.chars).set([1.0], no_repeat=True)
    drive(draw, "the sun, the suns and the ")
    assert int(draw.words.said[0, word_hash("sun")]) == 2 and int(draw.words.said[0, word_hash("the")]) == 0   # not counted
    assert draw.words.skip[word_hash("the")] and not draw.words.skip[word_hash("sun")]
    may_end = drive(draw, "sun")
    assert may_end == [True, True, True]              # the word under way is "su" until its last letter
    _, full = draw.words.said_twice()
    assert bool(full[0])                              # "sun" written twice: it may not end here
    logits = torch.zeros(1, len(VOCAB))
    logits[0, VOCAB.index[" "]] = 20.0                # the model wants to end the word...
    nxt = draw(logits, torch.full((1,), 0.5))
    assert VOCAB.chars[int(nxt)].isalpha()           # ...and writes a letter instead ("sunk", "sunset")


def test_without_the_rule_nothing_is_counted_or_banned():
    draw = Draw(1, len(VOCAB), "cpu", VOCAB.index[" "], VOCAB.chars).set([1.0])
    drive(draw, "sun sun sun ")
    assert int(draw.words.said.sum()) == 0


def test_rows_written_with_the_rule_never_loop(tiny_checkpoint):
    """(The rule's rows stay reproducible by seed and equal to the reference: test_subject.)"""
    model = load_checkpoint(tiny_checkpoint, "cpu")[0]
    logits, state = model.prime("The moon over the river")
    temps, seeds = [0.0, 0.3, 0.9], [11, 12, 13]

    def written(**rule):   # the last word may be cut off by the length: a prefix of a longer one
        rows = [model.vocab.decode(r.tolist()) for r in model.generate(logits, state, temps, 300, seeds, **rule)]
        return [t[:max(i for i, ch in enumerate(t) if not ch.isalpha())] for t in rows]
    assert any(loops(t) for t in written())                  # this little model loops...
    assert not any(loops(t) for t in written(no_repeat=True))   # ...and with the rule it does not
