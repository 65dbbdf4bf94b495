"""Bad input on the command line is a refusal naming the argument (exit 2), never a traceback;
`--version` answers; doctor creates nothing; `--out` means something or is refused."""
import pytest

from device.cli import main


@pytest.mark.parametrize("argv,named", [
    (["write", "x", "--retries", "-1"], "--retries"),
    (["write", "x", "--temperatures", "nan"], "--temperatures"),
    (["write", "x", "--temperatures", "0.5,inf"], "--temperatures"),
    (["write", "x", "--temperatures", "9"], "--temperatures"),
    (["write", "x", "--length", "-5"], "--length"),
    (["write", "x", "--length", "0"], "--length"),
    (["write", "x", "--top-k", "0"], "--top-k"),
    (["write", "x", "--keep-subject", "-1"], "--keep-subject"),
    (["write", "x", "--model", "no/such/model.safetensors"], "--model"),
    (["write", "x", "--preseed-file", "no/such/file.txt"], "--preseed-file"),
    (["eval", "no/such.safetensors", "x.txt"], "checkpoint"),
    (["train", "no/such/corpus", "--out", "o"], "corpus"),
    (["train", "c", "--out", "o", "--dropout", "1.5"], "--dropout"),
    (["train", "c", "--out", "o", "--learning-rate", "0"], "--learning-rate"),
    (["soak", "--presses", "0"], "--presses"),
    (["snap", "--image", "no/such.jpg"], "--image"),
    (["run", "--config", "no/such.toml"], "--config"),
])
def test_a_bad_argument_is_refused_naming_it(argv, named, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c").write_text("some corpus\n")
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"argument {named}" in err and "Traceback" not in err, err


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("narrator ")


def test_out_outside_dev_mode_is_refused(capsys, tmp_path):
    assert main(["run", "--out", str(tmp_path / "x")]) == 2
    assert "apply with --dev only" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_doctor_creates_nothing(tmp_path, capsys):
    cfg = tmp_path / "device.toml"
    archive = tmp_path / "var" / "lib" / "narrator" / "archive"
    cfg.write_text(f'archive_dir = "{archive}"\n[camera]\nbackend = "sim"\n[printer]\nbackend = "sim"\n'
                   f'out_dir = "{tmp_path / "receipts"}"\n')
    main(["doctor", "--config", str(cfg)])
    assert "does not exist yet" in capsys.readouterr().out
    assert not (tmp_path / "var").exists() and not (tmp_path / "receipts").exists()


def test_caption_goes_on_past_a_folder_and_a_missing_file(tmp_path, capsys):
    from PIL import Image
    good = tmp_path / "ok.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(good)
    assert main(["caption", str(tmp_path), str(tmp_path / "gone.jpg"), str(good), "--captioner", "scene"]) == 2
    out, err = capsys.readouterr()
    assert "is a folder, not an image" in err and "image not found" in err and f"{good}:" in out
