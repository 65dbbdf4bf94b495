"""The device end to end in dev mode: scripted presses and knob, simulated camera and printer,
checked through the archive and the ESC/POS bytes."""
import json
import threading
import time

import torch
from PIL import Image

from device.camera import SimCamera, generated_scene
from device.printer.preview import decode
from device.receipt import BAND_ROWS
from device.voices import VoiceSelector


def test_a_press_prints_a_receipt_end_to_end(tmp_path, make_daemon):
    d, controls = make_daemon()
    controls.press()
    controls.quit()
    d.run()
    (result,) = d.results
    assert result.status == "printed", result.error
    job = d.archive.root / result.job_id
    record = json.loads((job / "job.json").read_text())
    assert record["status"] == "printed" and record["caption"] == result.caption
    assert [s["temperature"] for s in record["stanzas"]] == [0.3, 0.9]
    assert Image.open(job / "frame.jpg").size == (1280, 720)
    doc = decode((job / "receipt.bin").read_bytes())
    assert result.caption in doc.text.replace("\n", " ")
    assert doc.photo.shape[1] == 384 and all(band.shape[0] <= BAND_ROWS for band in doc.rasters)
    for stanza in record["stanzas"]:
        first_words = " ".join(stanza["text"].split()[:3])
        assert first_words in " ".join(doc.text.split())
    assert (tmp_path / "receipts" / f"{result.job_id}.png").exists()
    assert (tmp_path / "receipts" / f"{result.job_id}.bin").read_bytes() == (job / "receipt.bin").read_bytes()
    assert record["timings"]["first_byte_s"] < record["timings"]["last_byte_s"]
    assert controls.status_history[-1] == "idle" and "busy" in controls.status_history


def test_the_knob_picks_the_voice(make_daemon):
    d, controls = make_daemon(n_voices=2)
    controls.press()
    controls.knob(0.95)
    controls.press()
    controls.quit()
    d.run()
    voices = [json.loads((d.archive.root / r.job_id / "job.json").read_text())["voice"] for r in d.results]
    assert voices == ["voice0", "voice1"]


def test_knob_hysteresis_stops_flicker():
    sel = VoiceSelector(2, hysteresis=0.05)
    assert [sel.update(p) for p in (0.1, 0.49, 0.52, 0.54, 0.49, 0.53)] == [0, 0, 0, 0, 0, 0]
    assert sel.update(0.56) == 1
    assert [sel.update(p) for p in (0.48, 0.46, 0.51)] == [1, 1, 1]
    assert sel.update(0.44) == 0
    assert VoiceSelector(1).update(0.99) == 0


def test_presses_during_a_job_queue_at_most_one_more(make_daemon):
    cam = SimCamera()
    cam.gate = threading.Event()       # frame() waits: a press can come while a job runs
    d, controls = make_daemon(camera=cam)
    runner = threading.Thread(target=d.run)
    runner.start()
    assert d.on_press() is True          # runs (blocked in the camera)
    assert d.on_press() is True          # acknowledged, waits
    assert d.on_press() is False         # dropped
    assert d.on_press() is False
    cam.gate.set()
    controls.quit()
    runner.join(30)
    assert [r.status for r in d.results] == ["printed", "printed"]


def test_a_long_press_reprints_the_last_receipt(tmp_path, make_daemon):
    d, controls = make_daemon()
    controls.press()
    controls.long_press()
    controls.quit()
    d.run()
    first = d.results[0].job_id
    reprint = tmp_path / "receipts" / f"{first}-reprint.bin"
    assert reprint.read_bytes() == (d.archive.root / first / "receipt.bin").read_bytes()


def test_a_failed_job_is_archived_with_its_reason_and_the_next_press_works(make_daemon):
    cam = SimCamera()
    cam.fail_next = 1                   # the first frame fails, as an unplugged camera's would
    d, controls = make_daemon(camera=cam)
    controls.press()
    controls.press()
    controls.quit()
    d.run()
    assert [r.status for r in d.results] == ["failed", "printed"]
    record = json.loads((d.archive.root / d.results[0].job_id / "job.json").read_text())
    assert record["status"] == "failed" and "stopped delivering frames" in record["error"]
    assert "error" in controls.status_history


def test_systemd_notify_ready_status_and_watchdog(tmp_path, make_daemon):
    import socket

    from device.sdnotify import Notifier
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.5)
    messages = []

    def listen():  # systemd reads all the time; so does this test
        while True:
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                return
    listener = threading.Thread(target=listen)
    listener.start()
    d, controls = make_daemon()
    d.notifier = Notifier({"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "200000"})
    runner = threading.Thread(target=d.run)
    runner.start()
    controls.press()
    time.sleep(1.0)
    controls.quit()
    runner.join(30)
    listener.join(30)
    assert not runner.is_alive()
    assert messages[0].startswith("READY=1\nSTATUS=ready")
    assert messages.count("WATCHDOG=1") >= 3
    statuses = [m for m in messages if m.startswith("STATUS=")]
    assert any("busy" in m for m in statuses) and any("printed" in m for m in statuses)
    assert "STOPPING=1" in messages


def test_a_stalled_notify_reader_never_blocks_the_device(tmp_path):
    import socket

    from device.sdnotify import Notifier
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "n.sock"))          # bound, never read
    n = Notifier({"NOTIFY_SOCKET": str(tmp_path / "n.sock")})
    t0 = time.monotonic()
    for _ in range(200):
        n.status("x" * 100)
    assert time.monotonic() - t0 < 5


def test_no_notify_socket_means_no_op():
    from device.sdnotify import Notifier
    n = Notifier({})
    assert not n.enabled and n.send("READY=1") is False
    n.watchdog()


def test_voices_sharing_a_model_load_it_once(tiny_checkpoint):
    from device.config import load_config
    from device.voices import load_voices
    config = load_config(overrides={"voices": [{"name": "calm", "model": str(tiny_checkpoint), "temperatures": [0.3]},
                                               {"name": "wild", "model": str(tiny_checkpoint), "temperatures": [1.2]},
                                               {"name": "fast", "model": str(tiny_checkpoint), "precision": "bfloat16"}]})
    calm, wild, fast = load_voices(config)
    assert calm.writer is wild.writer and fast.writer is not calm.writer
    # precision is chosen at load: the bfloat16 voice's model steps in bfloat16, the others do not
    assert fast.writer.model.engine_dtype == torch.bfloat16 and calm.writer.model.engine_dtype == torch.float32
    assert (calm.temperatures, wild.temperatures) == ([0.3], [1.2])


def test_a_recovered_job_is_finished_in_its_own_voice(make_daemon):
    from device.pipeline import _jpeg
    d, controls = make_daemon(n_voices=2)
    assert d.voice.name == "voice0"                       # the knob is on the first voice
    job = d.archive.new_job_id()
    d.archive.write(job, "frame.jpg", _jpeg(generated_scene(3)))
    d.archive.write_json(job, {"id": job, "created": "2026-12-01 10:00:00", "voice": "voice1",
                               "temperatures": d.voices[1].temperatures, "status": "writing"})
    controls.quit()
    d.run()
    (result,) = d.results
    record = d.archive.read_json(job)
    assert result.job_id == job and record["status"] == "printed" and record["recovered"]
    assert record["voice"] == "voice1"
    assert [s["temperature"] for s in record["stanzas"]] == d.voices[1].temperatures


def test_reload_runs_off_the_main_loop_and_gives_up_after_a_deadline(tmp_path, make_daemon):
    d, _ = make_daemon()
    d.config_path, d.config_overrides = None, {"archive_dir": str(tmp_path / "archive"), "installation": "New"}
    d.idle.clear()                                        # a job that does not end
    t0 = time.monotonic()
    d.reload_in_background()
    assert time.monotonic() - t0 < 0.5                    # the loop goes back to the watchdog at once
    d.reload(deadline_s=0.2)                              # in the foreground, with a short deadline
    assert d.pipeline.installation != "New"               # abandoned, the old config stays
    reloader = d._reloader
    d.idle.set()
    reloader.join(10)
    assert d.pipeline.installation == "New"               # the background reload applied it between jobs
