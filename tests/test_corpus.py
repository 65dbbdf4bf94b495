import pytest
import torch

from models.corpus import Corpus, CorpusError, StreamBatches


def test_validation_chunks_are_spread_over_the_corpus(tmp_path):
    # each 1000-char chunk is one repeated letter, so val chunks can be identified
    letters = "abcdefghijklmnopqrst"
    (tmp_path / "c.txt").write_text("".join(ch * 1000 for ch in letters), encoding="utf-8")
    c = Corpus.read([tmp_path])
    train, val = c.split(val_frac=0.2, chunk=1000, seed=3)
    val_letters = sorted({c.vocab.chars[i] for i in val.tolist()} - {"\n"})
    assert len(val_letters) == 4
    positions = [letters.index(ch) for ch in val_letters]
    assert positions != list(range(16, 20)), "validation must not just be the tail"
    assert len(train) + len(val) == len(c.text)


def test_reading_errors_name_the_file(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(CorpusError, match="latin1.txt"):
        Corpus.read([bad])
    with pytest.raises(CorpusError, match="nope.txt"):
        Corpus.read([tmp_path / "nope.txt"])


def test_stream_batches_carry_on_from_batch_to_batch():
    ids = torch.arange(1000)
    b = StreamBatches(ids, batch=4, seq=10)
    x0, y0 = b.batch(0)
    x1, _ = b.batch(1)
    assert torch.equal(x1[:, 0], x0[:, -1] + 1)   # row r of batch 1 continues row r of batch 0
    assert torch.equal(y0, x0 + 1)                 # targets are the next characters


def test_ranks_read_disjoint_streams():
    ids = torch.arange(1000)
    a = StreamBatches(ids, batch=2, seq=10, rank=0, world=2).batch(0)[0]
    b = StreamBatches(ids, batch=2, seq=10, rank=1, world=2).batch(0)[0]
    assert not set(a.flatten().tolist()) & set(b.flatten().tolist())
