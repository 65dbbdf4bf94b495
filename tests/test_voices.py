"""The library of voices: each takes the caption in its own form (a seed template saved with
its model), the knob and `narrator write --voice` choose among them."""
import pytest

from device.config import ConfigError, load_config
from models.export import export
from models.writer import Writer, seed_opening


def test_a_seed_template_opens_every_stanza_with_the_caption_in_the_voices_form(tiny_writer):
    poem = tiny_writer.write("the  moon over the river", [0.3, 0.9], 60, seed="{Caption}, n. ", rng_seed=1)
    for s in poem.stanzas:
        assert s.caption == "The moon over the river, n. " and s.text.startswith(s.caption)
    plain = tiny_writer.write("the moon over the river", [0.3], 60, rng_seed=1)
    assert plain.stanzas[0].text.startswith("the moon over the river")


def test_the_pull_and_the_recurrence_follow_the_caption_not_the_template(tiny_writer):
    """A play's speaker name is form, not subject: it is neither pulled toward nor counted."""
    poem = tiny_writer.write("the moon", [0.5, 0.7], 200, seed="First Citizen:\n{Caption}.\n\n", rng_seed=3)
    assert all("citizen" not in word.lower() for s in poem.stanzas for word in s.recurs)


@pytest.mark.parametrize("template,opening", [("{caption}", "a cat"), ("{Caption}, n. ", "A cat, n. "),
                                              ("{CAPTION}\n\n", "A CAT\n\n"), ("Once: {caption}.", "Once: a cat.")])
def test_seed_opening(template, opening):
    assert seed_opening(template, "a cat") == opening


def test_the_template_travels_with_the_model(tiny_checkpoint, tmp_path):
    out = tmp_path / "mine.safetensors"
    export(str(tiny_checkpoint), str(out), seed_template="{Caption}, n. ")
    writer = Writer.load(out, "cpu")
    assert writer.seed_template == "{Caption}, n. "
    assert writer.write("a cat", [0.5], 40, rng_seed=0).stanzas[0].text.startswith("A cat, n. ")
    assert writer.write("a cat", [0.5], 40, rng_seed=0, seed="{caption}").stanzas[0].text.startswith("a cat")


@pytest.mark.parametrize("bad", ["no caption here", "{caption} and {caption}", "{Caption}" + "x" * 5000])
def test_a_bad_seed_template_is_refused_naming_the_key(tmp_path, bad):
    cfg = tmp_path / "n.toml"
    cfg.write_text(f'[[voices]]\nname = "d"\nseed_template = {bad!r}\n'.replace("'", '"'))
    with pytest.raises(ConfigError, match=r"voices\[0\]\.seed_template"):
        load_config(cfg)


def test_every_shipped_voice_loads_with_its_index_pre_seed_and_form():
    from models.arguments import shipped_voices
    names = shipped_voices()
    assert {"poetry", "dictionary", "tales", "plays"} <= set(names)
    for name in names:
        w = Writer.load(name, "cpu")
        assert w.index is not None and w.preseed, name
        poem = w.write("a cat on a bench", [0.5], 60, rng_seed=0)
        assert poem.stanzas[0].text.startswith(seed_opening(w.seed_template, "a cat on a bench")), name
    assert Writer.load("dictionary", "cpu").seed_template == "{Caption}, n. "


def test_the_knob_and_the_keyboard_choose_among_the_four_default_voices():
    """Four zones of the knob, with hysteresis; in dev mode the keys 0-9 are knob positions
    (k / 9): 0 poetry, 3 dictionary, 6 tales, 9 plays."""
    from device.voices import VoiceSelector
    names = [v.name for v in load_config().voices]
    knob = VoiceSelector(len(names))
    assert [names[knob.update(int(key) / 9)] for key in "0369"] == ["poetry", "dictionary", "tales", "plays"]
    assert names[knob.update(0.74)] == "plays"          # within the hysteresis of the boundary: stays
    assert names[knob.update(0.70)] == "tales"
