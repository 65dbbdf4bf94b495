"""Bad input never crashes: the serial protocol parser and the config loader under fuzzing."""
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device.config import ConfigError, load_config
from device.controls import ControlEvent
from device.controls.serial_box import MAX_LINE, parse_line


@given(st.binary(max_size=200))
@settings(max_examples=2000, deadline=None)
def test_serial_parser_takes_any_bytes(line):
    event, kind = parse_line(line)
    assert kind in {"event", "garbage", "overlong", "unknown", "empty", "hello", "pong", "ok", "err"}
    assert (event is None) == (kind != "event")
    if event:
        assert isinstance(event, ControlEvent) and event.kind in {"press", "long_press", "knob"}
        assert event.value is None or 0.0 <= event.value <= 1.0


@given(st.sampled_from(["PRESS", "LONG", "KNOB", "HELLO", "KNOB 12", "LED BUSY"]), st.text(string.printable, max_size=12))
@settings(max_examples=500, deadline=None)
def test_serial_parser_near_misses(word, tail):
    """Only the exact words of hardware/PROTOCOL.md make an event; every near miss makes none."""
    text = word + tail
    event, kind = parse_line(text.encode())
    clean = text.strip()
    words = clean.split()
    if len(text) > MAX_LINE or not clean.isprintable():
        expected = None
    elif words == ["PRESS"]:
        expected = ControlEvent("press")
    elif words == ["LONG"]:
        expected = ControlEvent("long_press")
    elif len(words) == 2 and words[0] == "KNOB" and words[1].isascii() and words[1].isdigit() and int(words[1]) <= 1023:
        expected = ControlEvent("knob", int(words[1]) / 1023)
    else:
        expected = None
    assert event == expected, (text, kind)


toml_value = st.recursive(
    st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
              st.text(string.ascii_letters + string.digits + " _-./", max_size=12)),
    lambda inner: st.lists(inner, max_size=3), max_leaves=6)
keys = st.sampled_from(["installation", "archive_dir", "knob_hysteresis", "spool_max_jobs", "camera", "printer",
                        "controls", "voices", "backend", "paper", "temperatures", "length", "bogus"])


def to_toml(doc: dict) -> str:
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\\\", "").replace('"', "") + '"'
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)
    top = [f"{k} = {val(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    tables = [f"[{k}]\n" + "\n".join(f"{kk} = {val(vv)}" for kk, vv in v.items()) for k, v in doc.items() if isinstance(v, dict)]
    return "\n".join(top + tables) + "\n"


@given(st.dictionaries(keys, st.one_of(toml_value, st.dictionaries(keys, toml_value, max_size=4)), max_size=5))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_config_loader_accepts_or_names_the_problem(tmp_path, doc):
    path = tmp_path / "fuzz.toml"
    path.write_text(to_toml(doc))
    try:
        load_config(path)
    except ConfigError as e:
        assert str(e).startswith(str(path))


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_config_loader_survives_binary_garbage(tmp_path, blob):
    path = tmp_path / "garbage.toml"
    path.write_bytes(blob)
    try:
        load_config(path)
    except ConfigError:
        pass
