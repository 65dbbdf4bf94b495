"""Each device chooses its backend by argument, then config, then environment, then default,
and falls back to its simulator loudly when a backend cannot run here."""
import logging

import pytest

from device.backends import BackendError
from device.camera import OpenCVCamera, SimCamera, open_camera
from device.config import load_config
from device.controls import KeyboardControls, NoControls, open_controls
from device.printer import FilePrinter, SerialPrinter, SimPrinter, open_printer
from device.receipt import Paper


@pytest.fixture
def clean_env(monkeypatch):
    for device in ("CAMERA", "PRINTER", "CONTROLS"):
        monkeypatch.delenv(f"NARRATOR_{device}", raising=False)
    return monkeypatch


def test_argument_then_config_then_environment_then_default(clean_env, tmp_path):
    out = {"out_dir": str(tmp_path / "receipts"), "device": str(tmp_path / "lp0")}
    assert isinstance(open_printer(load_config(overrides={"printer": out}).printer), SimPrinter)   # default
    clean_env.setenv("NARRATOR_PRINTER", "file")
    assert isinstance(open_printer(load_config(overrides={"printer": out}).printer), FilePrinter)  # environment
    cfg = load_config(overrides={"printer": dict(out, backend="serial")}).printer
    assert isinstance(open_printer(cfg), SerialPrinter)                                            # config
    assert isinstance(open_printer(cfg, backend="sim"), SimPrinter)                                # argument
    clean_env.setenv("NARRATOR_CONTROLS", "none")
    assert isinstance(open_controls(load_config().controls), NoControls)
    clean_env.delenv("NARRATOR_CONTROLS")
    controls = open_controls(load_config().controls, backend="keyboard")
    assert isinstance(controls, KeyboardControls)
    controls.close()


def test_an_unknown_backend_in_the_environment_names_the_variable(clean_env):
    clean_env.setenv("NARRATOR_CAMERA", "webcam")
    with pytest.raises(BackendError, match="NARRATOR_CAMERA: 'webcam' is not a camera backend"):
        open_camera(load_config().camera)


def test_a_backend_that_cannot_run_here_falls_back_to_the_simulator_loudly(clean_env, caplog):
    """pip's OpenCV has no GStreamer, so a Jetson CSI pipeline cannot open here."""
    cfg = load_config(overrides={"camera": {"backend": "opencv", "source": "nvarguscamerasrc ! appsink"}}).camera
    if OpenCVCamera.available(cfg)[0]:
        pytest.skip("this OpenCV was built with GStreamer")
    with caplog.at_level(logging.WARNING):
        camera = open_camera(cfg)
    assert isinstance(camera, SimCamera)
    assert "FALLING BACK TO THE SIMULATED CAMERA" in caplog.text and "GStreamer" in caplog.text


@pytest.mark.parametrize("profile,dots,columns,cutter", [
    ("POS-5890", 384, 32, False), ("TM-T20II", 576, 48, True), ("TM-T88V", 512, 42, True)])
def test_paper_width_columns_and_cutter_come_from_the_profile(profile, dots, columns, cutter):
    paper = Paper.from_config(load_config(overrides={"printer": {"profile": profile}}).printer)
    assert (paper.dots, paper.columns, paper.cutter) == (dots, columns, cutter)
    # what the config says wins over the profile
    paper = Paper.from_config(load_config(overrides={"printer": {"profile": profile, "paper": "58mm",
                                                                  "cutter": False}}).printer)
    assert (paper.dots, paper.columns, paper.cutter) == (384, 32, False)
