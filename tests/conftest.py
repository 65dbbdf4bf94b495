"""Shared fixtures: a small generated corpus and a tiny model trained on it once per session."""
import random
from pathlib import Path

import pytest

from device.cli import build_parser
from models.train import train

WORDS = ("the moon sea light night wind over under river stone bright quiet falls "
         "and a of in my your cold green gold softly slowly").split()


def make_corpus(n_lines: int = 3000, seed: int = 0) -> str:
    """Verse-like text with structure an LSTM can learn quickly: capitalised lines, commas,
    stanza breaks, a small vocabulary."""
    rng = random.Random(seed)
    lines = []
    for i in range(n_lines):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 7))]
        lines.append(" ".join(words).capitalize() + rng.choice([",", ".", ";", ""]))
        if i % 4 == 3:
            lines.append("")
    return "\n".join(lines) + "\n"


def run_train(corpus: Path, out: Path, *extra: str) -> int:
    args = build_parser().parse_args(
        ["train", str(corpus), "--out", str(out), "--num-layers", "2", "--rnn-size", "48",
         "--wordvec-size", "16", "--seq-length", "32", "--batch-size", "16", "--val-chunk", "2000",
         "--threads", "1", *extra])
    return train(args)


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("corpus") / "verse.txt"
    p.write_text(make_corpus(), encoding="utf-8")
    return p


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, corpus_file) -> Path:
    """A run folder from 150 training steps; read-only for tests (copy before changing)."""
    out = tmp_path_factory.mktemp("run")
    assert run_train(corpus_file, out, "--max-steps", "150", "--checkpoint-every", "50") == 0
    return out


@pytest.fixture(scope="session")
def tiny_checkpoint(trained_run) -> Path:
    return trained_run / "best.safetensors"


@pytest.fixture(scope="session")
def tiny_writer(tiny_checkpoint):
    from models.writer import Writer
    return Writer.load(tiny_checkpoint, "cpu")


@pytest.fixture
def make_daemon(tmp_path, tiny_writer):
    """make_daemon(camera=None, n_voices=1) -> (daemon, controls): scripted controls, the
    simulated camera and printer (receipts in tmp_path/receipts), tiny voices."""
    return lambda camera=None, n_voices=1: _daemon(tmp_path, tiny_writer, camera, n_voices)


class Scenes:
    """The generated scenes as the sim camera's images, each drawn when it is taken (drawing four
    up front delayed the daemon's start past what the systemd test waits)."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        from device.camera import generated_scene
        return generated_scene(i)


def _daemon(tmp_path, tiny_writer, camera, n_voices):
    from device.archive import Archive
    from device.camera import SimCamera
    from device.config import load_config
    from device.controls import ScriptedControls
    from device.daemon import Daemon
    from device.voices import Voice
    from device.printer import SimPrinter
    from models.captioners import get_captioner
    config = load_config(overrides={"archive_dir": str(tmp_path / "archive")})
    scene = get_captioner("scene")
    voices = [Voice(f"voice{i}", tiny_writer, scene, [0.3 + 0.3 * i, 0.9], 120) for i in range(n_voices)]
    controls = ScriptedControls()
    printer = SimPrinter(tmp_path / "receipts", 384, echo=False)
    camera = camera or SimCamera(images=Scenes())   # the tiny voice can spell their captions
    d = Daemon(config, camera, controls, printer, voices, Archive(tmp_path / "archive"))
    return d, controls
