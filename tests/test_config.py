import pytest

from device.config import ConfigError, load_config, paper_dots


def write(tmp_path, text):
    p = tmp_path / "narrator.toml"
    p.write_text(text)
    return p


def test_defaults_need_no_file():
    c = load_config()
    assert c.printer.backend == "" and len(c.voices[0].temperatures) == 6   # "": see test_backends
    assert [v.name for v in c.voices] == ["poetry", "dictionary", "tales", "plays"]   # the knob's four zones


def test_the_documented_example_is_valid():
    from pathlib import Path
    c = load_config(Path(__file__).parents[1] / "docs" / "narrator.example.toml")
    assert c.printer.backend == "serial" and [v.name for v in c.voices] == [v.name for v in load_config().voices]
    assert c.voices[1].seed_template == "{Caption}, n. "


@pytest.mark.parametrize("text,key", [
    ('[printer]\nbaud = 9600\n', "printer.baud: unknown key"),
    ('[printer]\npaper = "57mm"\n', "printer.paper"),
    ('[printer]\nbackend = "bluetooth"\n', "printer.backend"),
    ('[printer]\nprofile = "POS-589"\n', "printer.profile: 'POS-589' is not a python-escpos profile .did you mean POS-5890"),
    ('[camera]\nwidth = "wide"\n', "camera.width: expected int"),
    ('[[voices]]\ntemperatures = [0.5, "hot"]\n', "voices[0].temperatures[1]"),
    ('[[voices]]\ntemperatures = []\n', "voices[0].temperatures"),
    ('[[voices]]\nlength = 0\n', "voices[0].length"),
    ('voices = []\n', "voices: define at least one"),
    ('colour = "blue"\n', "colour: unknown key"),
    ('[printer\n', "not valid TOML"),
])
def test_errors_name_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")) as e:
        load_config(write(tmp_path, text))
    assert "narrator.toml" in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_paper_widths():
    assert paper_dots("58mm") == 384 and paper_dots("80mm") == 576 and paper_dots(512) == 512
    with pytest.raises(ConfigError):
        paper_dots(10)


@pytest.mark.parametrize("toml, key", [
    ("[[voices]]\nlength = 100000000\n", "voices[0].length"),
    ("[[voices]]\ntemperatures = [" + ", ".join(["0.5"] * 5000) + "]\n", "voices[0].temperatures"),
    ("[[voices]]\npreseed = \"" + "x" * 200_000 + "\"\n", "voices[0].preseed"),
    ("[[voices]]\ntemperatures = [nan]\n", "voices[0].temperatures[0]"),
    ("[[voices]]\ntemperatures = [inf]\n", "voices[0].temperatures[0]"),
    ("[[voices]]\ntemperatures = [1e308]\n", "voices[0].temperatures"),
    ("[printer]\nchunk_size = 0\n", "printer.chunk_size"),
    ("[printer]\nchunk_pause_s = -1\n", "printer.chunk_pause_s"),
    ("[printer]\nbaudrate = -9600\n", "printer.baudrate"),
    ("[controls]\nbaudrate = 12345\n", "controls.baudrate"),
    ("[camera]\nwidth = -1\n", "camera.width"),
    ("[[voices]]\nname = \"\"\n", "voices[0].name"),
    ("[[voices]]\nname = \"a\"\n[[voices]]\nname = \"a\"\n", "voices[1].name"),
    ("spool_max_jobs = 0\n", "spool_max_jobs"),
], ids=["huge-length", "5000-temperatures", "200kB-preseed", "nan", "inf", "1e308", "chunk-0", "pause-negative",
        "baud-negative", "baud-odd", "width-negative", "empty-name", "same-name", "spool-0"])
def test_absurd_settings_are_refused_naming_the_key(tmp_path, toml, key):
    cfg = tmp_path / "narrator.toml"
    cfg.write_text(toml)
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    assert key in str(e.value)


def test_the_example_config_is_within_every_range():
    from pathlib import Path
    load_config(Path(__file__).resolve().parents[1] / "docs" / "narrator.example.toml")
