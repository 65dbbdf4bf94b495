import random
import shutil

import pytest

from models.checkpoint import load_checkpoint, read_metadata
from models.originality import N, NgramIndexError, NgramIndex
from models.writer import Writer


def test_span_of_a_planted_corpus_excerpt_is_measured(corpus_file):
    text = corpus_file.read_text()
    idx = NgramIndex.build(text, "fp", log2_bits=20)
    excerpt = text[5000:5057]
    span = idx.longest_copied_span("zqzqzq@@" + excerpt + "@@qzqzqz")
    assert 57 <= span <= 60  # never short; a hash collision may add a character or two
    assert idx.longest_copied_span("@" * 100) == 0
    assert idx.longest_copied_span("short") == 0


def test_index_never_misses_corpus_ngrams(corpus_file):
    text = corpus_file.read_text()
    idx = NgramIndex.build(text, "fp", log2_bits=20)
    assert idx.contains(text).all()
    rnd = random.Random(0)
    noise = "".join(rnd.choice("QXZJ#@") for _ in range(500))
    assert idx.contains(noise).mean() < 0.2


def test_index_round_trip_and_corruption(tmp_path, corpus_file):
    idx = NgramIndex.build(corpus_file.read_text(), "abc", log2_bits=16)
    idx.save(tmp_path / "i.ngrams")
    again = NgramIndex.load(tmp_path / "i.ngrams")
    assert again.fingerprint == "abc" and (again.bits == idx.bits).all() and again.n == N
    (tmp_path / "bad.ngrams").write_bytes((tmp_path / "i.ngrams").read_bytes()[:-100])
    with pytest.raises(NgramIndexError, match="bad.ngrams"):
        NgramIndex.load(tmp_path / "bad.ngrams")


def test_guard_catches_a_planted_copy_and_resamples(tiny_checkpoint, tmp_path):
    """Plant the stanza the model is about to write into the 'corpus': the guard must see the
    copy and replace that stanza with a fresh sample from the same primed state."""
    model, meta = load_checkpoint(tiny_checkpoint, "cpu")
    first = Writer(model, meta, None).write("The moon", [0.9, 0.9], 300, rng_seed=11)
    planted = first.stanzas[1].text[len("The moon"):]
    index = NgramIndex.build("unrelated words\n" + planted + "\nmore", meta["corpus"]["fingerprint"])
    poem = Writer(model, meta, index).write("The moon", [0.9, 0.9], 300, rng_seed=11)
    copy, fresh = poem.stanzas[1], poem.stanzas[0]
    assert copy.attempts >= 2 and copy.original and copy.copied_span < 40
    assert copy.text != first.stanzas[1].text
    assert fresh.attempts == 1 and fresh.text == first.stanzas[0].text  # untouched row stays


def test_guard_gives_up_after_bounded_retries_and_reports_it(tiny_checkpoint, caplog):
    model, meta = load_checkpoint(tiny_checkpoint, "cpu")
    greedy = Writer(model, meta, None).write("The moon", [0.0], 200).stanzas[0]
    index = NgramIndex.build(greedy.text, meta["corpus"]["fingerprint"])
    poem = Writer(model, meta, index).write("The moon", [0.0], 200, retries=2)
    s = poem.stanzas[0]
    assert not s.original and s.attempts == 3 and s.copied_span >= 40
    assert "gave up" in caplog.text


def test_voice_finds_its_run_index_and_rejects_another_corpus(trained_run, tmp_path):
    voice = Writer.load(trained_run / "best.safetensors", "cpu")
    assert voice.index is not None
    fp = read_metadata(trained_run / "best.safetensors")["corpus"]["fingerprint"]
    assert voice.index.fingerprint == fp
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    NgramIndex.build("some other corpus entirely", "other-fingerprint", log2_bits=12).save(run / "corpus.ngrams")
    with pytest.raises(NgramIndexError, match="different corpus"):
        Writer.load(run / "best.safetensors", "cpu")
