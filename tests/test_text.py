from models.text import PRINTABLE, Vocab, fold


def test_fold_makes_typography_printable():
    text, dropped = fold("\u201cO Moon\u201d \u2014 caf\u00e9 \u00c6neid\u2019s\tend\u2026")
    assert text == '"O Moon" -- cafe Aeneid\'s    end...'
    assert dropped == 0


def test_fold_drops_greek_lines_in_a_corpus_and_greek_letters_in_a_seed():
    corpus = "First line\n\u1f08\u03b8\u03ae\u03bd\u03b7 quoted\nLast line"
    assert fold(corpus, drop_greek_lines=True)[0] == "First line\nLast line"
    text, dropped = fold("a \u03b1\u03b2 b")
    assert text == "a  b" and dropped == 2


def test_fold_output_is_always_printable():
    text, _ = fold("".join(chr(i) for i in range(0, 0x3000, 7)))
    assert set(text) <= PRINTABLE


def test_vocab_clean_maps_case_and_drops_unknown_with_a_warning(caplog):
    v = Vocab.from_text("abc \n")
    clean, dropped = v.clean("ABC \u2603 d")
    assert clean == "abc  "
    assert "\u2603" in dropped and "d" in dropped
    assert "outside the model's vocabulary" in caplog.text
    assert v.decode(v.encode(clean)) == clean


def test_vocab_json_round_trip():
    v = Vocab.from_text("hello world\n")
    assert Vocab.from_json(v.to_json()) == v
