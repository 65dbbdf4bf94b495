import pytest

from device.config import ConfigError, load_config, paper_dots


def write(tmp_path, text):
    p = tmp_path / "narrator.toml"
    p.write_text(text)
    return p


def test_defaults_need_no_file():
    c = load_config()
    assert c.printer.backend == "sim" and len(c.voices) == 1 and len(c.voices[0].temperatures) == 6


def test_the_documented_example_is_valid():
    from pathlib import Path
    c = load_config(Path(__file__).parents[1] / "docs" / "narrator.example.toml")
    assert c.printer.backend == "serial" and len(c.voices) == 2


@pytest.mark.parametrize("text,key", [
    ('[printer]\nbaud = 9600\n', "printer.baud: unknown key"),
    ('[printer]\npaper = "57mm"\n', "printer.paper"),
    ('[printer]\nbackend = "bluetooth"\n', "printer.backend"),
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
