"""One TOML file configures the device; every key has a default, so dev mode needs no file.

    config = load_config("narrator.toml")   # ConfigError names the key that is wrong

Unknown keys are errors (a typo must not silently fall back to a default). See
docs/narrator.example.toml for every key with its meaning.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path

from models.captioners import NAMES as CAPTIONERS
from models.defaults import (KEEP_SUBJECT, MAX_KEEP_SUBJECT, MAX_LENGTH, MAX_PRESEED, MAX_TEMPERATURE,
                             MAX_TEMPERATURES, template_ok)

from .errors import DeviceError

tomllib = __import__("tomllib" if sys.version_info >= (3, 11) else "tomli")


class ConfigError(DeviceError, ValueError):
    """The config file is unreadable or a key has a bad value; the message names the key."""


@dataclass
class CameraConfig:
    backend: str = ""               # opencv | sim; empty: $NARRATOR_CAMERA, else sim
    source: str | int = 0           # opencv: index, device path or GStreamer pipeline
    width: int = 1280
    height: int = 720
    folder: str = ""                # sim: images shown in turn (empty: the shipped sample photos)


@dataclass
class ControlsConfig:
    backend: str = ""               # serial | keyboard | none; empty: $NARRATOR_CONTROLS, else keyboard
    port: str = "auto"              # serial: a path, or auto (find the Arduino by USB id)
    baudrate: int = 115200
    reset_wait_s: float = 2.0       # serial: opening an Uno's port reboots it; wait this long


@dataclass
class PrinterConfig:
    backend: str = ""               # serial | usb | network | file | sim; empty: $NARRATOR_PRINTER, else sim
    profile: str = "POS-5890"       # python-escpos printer profile
    paper: str | int = ""           # 58mm | 80mm | width in dots; empty: the profile's width
    device: str = "/dev/usb/lp0"    # serial and file backends
    baudrate: int = 9600
    flow_control: str = "none"      # none | rtscts | dsrdtr (python-escpos defaults to dsrdtr)
    host: str = ""                  # network
    port: int = 9100
    usb_vendor: int = 0             # usb
    usb_product: int = 0
    chunk_size: int = 1024          # bytes per write; cheap printers overflow on big rasters
    chunk_pause_s: float = 0.02
    query_status: bool = False      # ask for online/paper status before each job (cheap printers never answer)
    cutter: bool | None = None      # cut after each receipt, else feed; unset: as the profile says
    photo: str = "raster"           # raster | ascii | none
    budget_cm: float = 30.0         # paper a receipt may use on 58 mm paper (wider paper: the same area); 0: no limit
    stanza_labels: bool = True      # a small "0.5" (font B) above each stanza: the temperature that wrote it
    caption_title: bool = False     # the caption again under the photo (each stanza begins with it anyway)
    out_dir: str = "narrator-out/receipts"  # sim: where receipts (.bin and .png) go


@dataclass
class HFCaptionerConfig:
    model: str = "Salesforce/blip-image-captioning-base"   # a local folder or a hub-cache model id
    max_new_tokens: int = 30
    num_beams: int = 3
    fp16: bool = True               # on CUDA
    prompt: str = ""                # a task prompt some models need (Florence-2: "<CAPTION>")


@dataclass
class ConsoleConfig:
    listen: str = ""                # HOST:PORT for the web console; empty: no console, nothing listens
    token: str = ""                 # required for every request unless it listens on loopback only
    names: list[str] = field(default_factory=list)   # other host names it answers to (e.g. "narrator.local")


@dataclass
class VoiceConfig:
    name: str = "poetry"
    model: str = ""                 # a checkpoint, or a shipped voice's name ("dictionary"); empty: poetry
    temperatures: list[float] = field(default_factory=lambda: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    length: int = 400
    preseed: str | None = None      # None: the model's own pre-seed
    captioner: str = "sight"        # sight (looks: trained on photos) | words (the old one) | scene | hf
    precision: str = "float32"      # step engine: float32 | bfloat16 | float16 | int8 (see docs/benchmarks.md)
    keep_subject: float = KEEP_SUBJECT   # nats of pull toward the caption's words (models/subject.py); 0: none
    seed_template: str = ""              # how the caption opens a stanza, e.g. "{Caption}, n. " ("": the model's own)


LIBRARY = [("poetry", [0.3, 0.4, 0.5, 0.6, 0.7, 0.8], 400), ("dictionary", [0.4, 0.6, 0.8], 300),
           ("tales", [0.5, 0.7, 0.9], 400), ("plays", [0.5, 0.7, 0.9], 400)]   # the knob's voices out of the box


@dataclass
class Config:
    installation: str = ""          # printed in the receipt header
    archive_dir: str = "narrator-out/archive"
    camera: CameraConfig = field(default_factory=CameraConfig)
    controls: ControlsConfig = field(default_factory=ControlsConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    voices: list[VoiceConfig] = field(default_factory=lambda: [VoiceConfig(n, n, t, k) for n, t, k in LIBRARY])
    hf: HFCaptionerConfig = field(default_factory=HFCaptionerConfig)   # options of the `hf` captioner
    console: ConsoleConfig = field(default_factory=ConsoleConfig)      # the web console (off by default)
    knob_hysteresis: float = 0.04   # knob travel past a voice boundary before the voice changes
    spool_max_jobs: int = 50        # receipts waiting for the printer; when full the oldest expires

    def summary(self) -> str:
        """One line for the log: what runs where (the whole config is in the file)."""
        voices = ", ".join(f"{v.name} ({v.captioner}, {len(v.temperatures)} x {v.length})" for v in self.voices)
        return (f"camera {self.camera.backend or '(default)'}, printer {self.printer.backend or '(default)'} "
                f"{self.printer.profile}, controls {self.controls.backend or '(default)'}, "
                f"archive {self.archive_dir}, voices: {voices}")

    def check(self) -> "Config":
        choices = {"camera.backend": (self.camera.backend, {"", "opencv", "sim"}),
                   "controls.backend": (self.controls.backend, {"", "serial", "keyboard", "none"}),
                   "printer.backend": (self.printer.backend, {"", "serial", "usb", "network", "file", "sim"}),
                   "printer.flow_control": (self.printer.flow_control, {"none", "rtscts", "dsrdtr"}),
                   "printer.photo": (self.printer.photo, {"raster", "ascii", "none"})}
        for key, (value, allowed) in choices.items():
            if value not in allowed:
                raise ConfigError(f"{key}: {value!r} is not one of {', '.join(sorted(allowed))}")
        if self.printer.paper != "":
            paper_dots(self.printer.paper)
        from escpos.capabilities import CAPABILITIES
        known = CAPABILITIES["profiles"]
        if self.printer.profile not in known:
            near = difflib.get_close_matches(self.printer.profile, known, 3) or ["POS-5890", "TM-T20II", "TM-T88V"]
            raise ConfigError(f"printer.profile: {self.printer.profile!r} is not a python-escpos profile "
                              f"(did you mean {', '.join(near)}? {len(known)} are known)")
        if not self.voices:
            raise ConfigError("voices: define at least one [[voices]] table")
        for i, v in enumerate(self.voices):
            if v.precision not in ("float32", "bfloat16", "float16", "int8"):
                raise ConfigError(f"voices[{i}].precision: {v.precision!r} is not one of bfloat16, float16, float32, int8")
            if v.captioner not in CAPTIONERS:
                raise ConfigError(f"voices[{i}].captioner: {v.captioner!r} is not one of {', '.join(CAPTIONERS)}")
        if self.console.listen:
            host, _ = console_address(self.console.listen)
            if not is_loopback(host) and len(self.console.token) < 16:
                raise ConfigError(f"console.token: listening on {host} (not this machine alone) needs a token "
                                  "of 16 characters or more, so that only you can press the button")
        if not 0 <= self.knob_hysteresis < 0.5:
            raise ConfigError("knob_hysteresis: must be between 0 and 0.5")
        for key, (low, high) in RANGES.items():
            value = _get(self, key)
            if not low <= value <= high:
                raise ConfigError(f"{key}: {value!r} is out of range ({low}..{high})")
        for key in ("controls.baudrate", "printer.baudrate"):
            if _get(self, key) not in BAUD_RATES:
                raise ConfigError(f"{key}: {_get(self, key)!r} is not a standard baud rate "
                                  f"({', '.join(map(str, BAUD_RATES))})")
        names = [v.name for v in self.voices]
        for i, v in enumerate(self.voices):
            where = f"voices[{i}]"
            if not v.name.strip() or v.name in names[:i]:
                raise ConfigError(f"{where}.name: {v.name!r} must be a non-empty name no other voice uses")
            if not 1 <= len(v.temperatures) <= MAX_TEMPERATURES or any(not 0 <= t <= MAX_TEMPERATURE for t in v.temperatures):
                raise ConfigError(f"{where}.temperatures: give 1..{MAX_TEMPERATURES} temperatures, each 0..{MAX_TEMPERATURE}")
            if not 1 <= v.length <= MAX_LENGTH:
                raise ConfigError(f"{where}.length: {v.length} is out of range (1..{MAX_LENGTH} characters per stanza)")
            if not 0 <= v.keep_subject <= MAX_KEEP_SUBJECT:
                raise ConfigError(f"{where}.keep_subject: {v.keep_subject} is out of range (0..{MAX_KEEP_SUBJECT} nats)")
            if v.seed_template and not (template_ok(v.seed_template) and len(v.seed_template) <= MAX_PRESEED):
                raise ConfigError(f"{where}.seed_template: {v.seed_template!r} must hold {{caption}} (or "
                                  f"{{Caption}}, {{CAPTION}}) once, in at most {MAX_PRESEED} characters")
            if v.preseed is not None and len(v.preseed) > MAX_PRESEED:
                raise ConfigError(f"{where}.preseed: {len(v.preseed)} characters; at most {MAX_PRESEED}")
        return self


# Bounds a setting must keep: each job must finish in seconds and each value make sense to the
# hardware. The example config (docs/narrator.example.toml) shows them beside each key.
RANGES = {
    "camera.width": (16, 8192), "camera.height": (16, 8192),
    "controls.reset_wait_s": (0.0, 30.0),
    "printer.port": (1, 65535), "printer.usb_vendor": (0, 0xFFFF), "printer.usb_product": (0, 0xFFFF),
    "printer.chunk_size": (1, 65536), "printer.chunk_pause_s": (0.0, 5.0), "printer.budget_cm": (0.0, 1000.0),
    "hf.max_new_tokens": (1, 256), "hf.num_beams": (1, 16), "spool_max_jobs": (1, 10000),
}
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 250000, 460800, 500000, 921600, 1000000)


def _get(config, dotted: str):
    for part in dotted.split("."):
        config = getattr(config, part)
    return config


def console_address(listen: str) -> tuple[str, int]:
    """"HOST:PORT" (IPv6 in brackets) -> (host, port); ConfigError naming console.listen."""
    host, sep, port = listen.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"console.listen: {listen!r} is not HOST:PORT (e.g. 127.0.0.1:8080)")
    return host, int(port)


def is_loopback(host: str) -> bool:
    import ipaddress
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def paper_dots(paper: str | int) -> int:
    """Printable width in dots: 58 mm paper is 384 dots, 80 mm is 576 (most 80 mm printers)."""
    named = {"58mm": 384, "80mm": 576}
    if isinstance(paper, int) and 64 <= paper <= 2048:
        return paper
    if isinstance(paper, str) and paper in named:
        return named[paper]
    raise ConfigError(f"printer.paper: {paper!r} is not 58mm, 80mm or a width in dots (64..2048)")


def _build(cls, data, where: str):
    """Build dataclass cls from a dict, checking every key and type; errors name the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ConfigError(f"{where + '.' if where else ''}{sorted(unknown)[0]}: unknown key "
                          f"(known: {', '.join(sorted(names))})")
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _convert(hints[key], value, f"{where}.{key}" if where else key)
    return cls(**kwargs)


def _convert(hint, value, key: str):
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_convert(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for a in args:
            if a is type(None) and value is None:
                return None
            try:
                return _convert(a, value, key)
            except ConfigError:
                pass
        raise ConfigError(f"{key}: {value!r} is not a {' or '.join(getattr(a, '__name__', str(a)) for a in args)}")
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ConfigError(f"{key}: {value!r} is not a finite number")
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise ConfigError(f"{key}: expected {hint.__name__}, got {value!r}")


def dev_layer(out: str = "narrator-out", images: str = "", webcam: bool = False) -> dict:
    """Dev mode is a config layer over the file: the simulated camera (images from a folder,
    or the laptop's webcam), the simulated printer and the keyboard, with everything written
    under `out`."""
    camera = {"backend": "opencv", "source": 0} if webcam else {"backend": "sim", "folder": images or ""}
    return {"camera": camera, "printer": {"backend": "sim", "out_dir": f"{out}/receipts"},
            "controls": {"backend": "keyboard"}, "archive_dir": f"{out}/archive"}


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> Config:
    """Defaults, then the TOML file (if any), then overrides (a dict shaped like the file)."""
    data: dict = {}
    if path:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: not valid TOML: {e}") from None
    for section, values in (overrides or {}).items():
        if isinstance(values, dict):
            data.setdefault(section, {}).update(values)
        else:
            data[section] = values
    try:
        return _build(Config, data, "").check()
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}" if path else str(e)) from None
