"""Cameras: real OpenCV decoding (a video file stands in for a V4L2 device) and the simulator."""
import time

import cv2
import numpy as np
import pytest
from PIL import Image

from device.camera import CameraError, OpenCVCamera, SimCamera, generated_scene


@pytest.fixture
def video(tmp_path):
    """A short MJPG video whose frames are uniformly one grey level each (10, 20, ...)."""
    path = tmp_path / "cam.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (160, 120))
    assert w.isOpened()
    for i in range(30):
        w.write(np.full((120, 160, 3), 10 + i * 8, np.uint8))
    w.release()
    return path


def test_opencv_camera_returns_fresh_frames_and_reopens_at_the_end(video):
    cam = OpenCVCamera(str(video), fresh_timeout_s=5)
    try:
        levels = set()
        for _ in range(40):   # more frames than the file holds: the grabber must reopen it
            rgb = cam.frame()
            assert rgb.shape == (120, 160, 3) and rgb.dtype == np.uint8
            levels.add(int(rgb.mean()) // 8)
        assert len(levels) > 1   # frames move on: never one stale frame
    finally:
        cam.close()


def test_a_missing_camera_is_a_clear_error(tmp_path):
    cam = OpenCVCamera(str(tmp_path / "video9"), fresh_timeout_s=0.5)
    try:
        with pytest.raises(CameraError, match="video9"):
            cam.frame()
    finally:
        cam.close()


def test_sim_camera_shows_a_folder_in_turn(tmp_path):
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0)]):
        Image.new("RGB", (40, 30), colour).save(tmp_path / f"{i}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    cam = SimCamera(tmp_path)
    firsts = [tuple(cam.frame()[0, 0]) for _ in range(3)]
    assert firsts == [(255, 0, 0), (0, 255, 0), (255, 0, 0)]


def test_sim_camera_errors(tmp_path):
    with pytest.raises(CameraError, match="no images"):
        SimCamera(tmp_path)
    (tmp_path / "bad.jpg").write_bytes(b"garbage")
    with pytest.raises(CameraError, match="bad.jpg"):
        SimCamera(tmp_path).frame()


def test_sim_camera_without_a_folder_shows_the_sample_photos_in_turn():
    from device.camera.sim import SAMPLES
    cam = SimCamera()
    frames = [cam.frame() for _ in range(5)]
    assert len(list(SAMPLES.glob("*.jpg"))) == 4 and cam.describe() == "sim (4 sample photos)"
    assert all(f.ndim == 3 and f.dtype == np.uint8 and min(f.shape[:2]) >= 300 for f in frames)
    assert np.array_equal(frames[0], frames[4]) and not np.array_equal(frames[0], frames[1])


def test_generated_scenes_vary():
    frames = [generated_scene(i) for i in range(4)]
    assert all(f.shape == (720, 1280, 3) for f in frames)
    assert len({int(f.mean()) for f in frames}) == 4


def test_a_camera_that_opens_but_gives_no_frames_is_reopened_with_back_off(monkeypatch):
    """A USB camera whose stream died: open() succeeds, read() fails. Reopening every half
    second filled the journal; now the waits double like those of a camera that will not open."""
    import device.camera.opencv as camera_module
    opens = []

    class Mute:
        def __init__(self, *a):
            opens.append(time.monotonic())

        def isOpened(self):
            return True

        def read(self):
            return False, None

        def set(self, *a):
            return True

        def release(self):
            pass
    monkeypatch.setattr(camera_module.cv2, "VideoCapture", Mute)
    cam = camera_module.OpenCVCamera("/dev/video9", backoff_max_s=4.0)
    time.sleep(3.2)
    cam.close()
    gaps = [b - a for a, b in zip(opens, opens[1:])]
    assert len(opens) <= 4 and gaps[1] > gaps[0] * 1.5, gaps   # 0.5, 1, 2 s: not 0.5, 0.5, 0.5 ...


def test_generated_scenes_dither_like_photographs():
    """Doctor's test receipt should look like a camera's: many grey levels, and a dithered
    print that is mostly mid-tones, not flat blocks of black and white."""
    from device.receipt import dithered
    for i in range(4):
        rgb = generated_scene(i, 640, 360)
        grey = np.asarray(Image.fromarray(rgb).convert("L"))
        assert len(np.unique(grey)) >= 100, i
        bits = np.asarray(dithered(rgb, 384).convert("L")) < 128
        h, w = (bits.shape[0] // 8) * 8, (bits.shape[1] // 8) * 8
        blocks = bits[:h, :w].reshape(h // 8, 8, w // 8, 8).mean(axis=(1, 3))
        assert ((blocks > 0.1) & (blocks < 0.9)).mean() >= 0.4, i
    assert np.array_equal(generated_scene(5, 320, 180), generated_scene(5, 320, 180))   # deterministic
