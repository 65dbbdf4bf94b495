import json

from device.cli import main
from models.checkpoint import read_metadata
from models.writer import Writer


def test_write_prints_one_stanza_per_temperature(tiny_checkpoint, capsys):
    assert main(["write", "The moon over the sea", "--model", str(tiny_checkpoint),
                 "--temperatures", "0.3,0.5,0.7,0.9", "--length", "150", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert out.count("~ temperature") == 4
    assert out.count("The moon over the sea") == 4


def test_write_json_is_machine_readable(tiny_checkpoint, capsys):
    assert main(["write", "A cold stone", "--model", str(tiny_checkpoint), "--temperatures", "0,0.8",
                 "--length", "100", "--seed", "5", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["temperature"] for s in doc["stanzas"]] == [0.0, 0.8]
    for s in doc["stanzas"]:
        assert s["text"].startswith("A cold stone") and s["caption"] == "A cold stone"
        assert isinstance(s["copied_span"], int) and s["rng_seed"] >= 5
        assert isinstance(s["recurs"], list)          # the caption words that came back after line one
    assert doc["keep_subject"] == 2.5
    assert {"load_s", "prime_s", "sample_s", "guard_s"} <= set(doc["timings"])


def test_write_with_a_corrupt_model_says_what_is_wrong(tmp_path, capsys):
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"not a model")
    assert main(["write", "x", "--model", str(bad)]) == 2
    assert "broken.safetensors" in capsys.readouterr().err


def test_eval_reports_loss_and_counts_unknown_characters(tiny_checkpoint, corpus_file, tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text(corpus_file.read_text()[:3000] + "QQQ 999 \u2603\n", encoding="utf-8")
    assert main(["eval", str(tiny_checkpoint), str(text)]) == 0
    out = capsys.readouterr().out
    nats = float(out.split()[0])
    bits = float(out.split()[2])
    assert 0 < nats < 3.5 and abs(bits - nats / 0.693147) < 0.01
    assert "outside the model's vocabulary were not scored" in out and "9" in out
    assert "removed by the folding rule" in out  # the snowman


def test_export_ships_half_weights_index_and_a_sampled_preseed(trained_run, corpus_file, tmp_path, capsys):
    out = tmp_path / "ship" / "verse.safetensors"
    assert main(["export", str(trained_run / "best.safetensors"), str(out), "--dtype", "float16",
                 "--corpus", str(corpus_file), "--sample-preseed"]) == 0
    meta = read_metadata(out)
    assert len(meta["preseed"]) > 10
    assert out.with_suffix(".ngrams").exists()
    assert out.stat().st_size < (trained_run / "best.safetensors").stat().st_size
    voice = Writer.load(out, "cpu")
    assert voice.index is not None and voice.preseed == meta["preseed"]
    poem = voice.write("The moon", [0.5], 100, rng_seed=1)
    assert voice.preseed not in poem.stanzas[0].text


def test_caption_reports_a_bad_file_and_carries_on(tmp_path, capsys):
    from PIL import Image

    from test_captioners import png_claiming
    png_claiming(tmp_path / "bomb.png", 20000, 20000)
    Image.new("RGB", (64, 48), (30, 90, 200)).save(tmp_path / "sky.png")
    assert main(["caption", str(tmp_path / "bomb.png"), str(tmp_path / "sky.png"), "--captioner", "scene"]) == 2
    out, err = capsys.readouterr()
    assert "bomb.png" in err and "pixels" in err and "Traceback" not in err
    assert "sky.png:" in out
