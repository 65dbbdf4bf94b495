"""Captioners: generated scenes with known content get the right words; every backend copes
with any image mode and size; bad files give clear errors; the hf path runs on a tiny model."""
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from device.cli import main
from models.captioners import ImageError, get_captioner, load_image
from models.captioners.scene import SceneFacts, phrase


@pytest.fixture(scope="module")
def scene():
    return get_captioner("scene")


def frame(colour, h=720, w=1280):
    return np.full((h, w, 3), colour, np.uint8)


def test_sky_above_a_field(scene):
    img = frame((90, 140, 230))
    img[380:] = (40, 160, 50)
    text = scene.caption(img).text
    assert "blue sky" in text and "green field" in text


def test_a_night_scene_reads_as_night_or_dark(scene):
    text = scene.caption(frame((15, 15, 25))).text
    assert "night" in text or "dark" in text


def test_a_coloured_object_on_a_plain_wall(scene):
    img = frame((128, 128, 128))
    img[300:420, 600:720] = (220, 30, 30)
    text = scene.caption(img).text
    assert "red" in text and "grey wall" in text


def test_dim_and_bright_light(scene):
    assert "dim" in scene.caption(frame((70, 60, 50))).text
    assert "bright" in scene.caption(frame((235, 235, 225))).text


def test_a_busy_scene(scene):
    rng = np.random.default_rng(1)
    img = frame((200, 200, 200))
    for _ in range(400):
        x, y = (int(v) for v in rng.integers(0, [1280, 720]))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(5, 60)), y + int(rng.integers(5, 60))),
                      tuple(int(v) for v in rng.integers(0, 255, 3)), 2)
    details = scene.caption(img).details
    assert details["texture"] > 0.13
    assert any(w in scene.caption(img).text for w in ("clutter", "jumble", "busy"))


def test_a_patch_of_coloured_light_in_a_dim_room(scene):
    img = frame((45, 40, 40))
    img[50:200, 950:1150] = (30, 90, 255)
    text = scene.caption(img).text
    assert "blue" in text and ("dim" in text or "dark" in text or "night" in text)


def test_people_phrasing_from_detections():
    one = SceneFacts(faces=[(0.1, 0.3, 0.08, 0.1)], smiles=1, subject_x=0.14, colours={"grey": 0.8}, light="dim")
    assert phrase(one).startswith("a smiling person on the left")
    assert "dim" in phrase(one)
    two = SceneFacts(faces=[(0.4, 0.3, 0.05, 0.05), (0.6, 0.3, 0.05, 0.05)], subject_x=0.5, colours={"blue": 0.6})
    assert phrase(two).startswith("two people")
    crowd = SceneFacts(faces=[(0.1 * i, 0.3, 0.05, 0.05) for i in range(7)], subject_x=0.4)
    assert phrase(crowd).startswith("a crowd of people")
    close = SceneFacts(faces=[(0.2, 0.1, 0.5, 0.6)], smiles=1)
    assert phrase(close).startswith("a close-up of a smiling face")
    cat = SceneFacts(cats=1, colours={"brown": 0.7}, texture=0.01)
    assert phrase(cat).startswith("a cat") and "brown wall" in phrase(cat)


def test_no_room_is_said_where_sights_setting_head_saw_none():
    """Grass seen close up was "a cluttered room full of things"; with rooms=False (sight's
    setting head does not support indoors) the same facts say no room, in any light."""
    said = set()
    for texture in (0.01, 0.08, 0.2):
        for light in ("night", "dim", "normal"):
            for colour in ("green", "grey", "brown", "blue"):
                facts = SceneFacts(colours={colour: 0.7}, texture=texture, light=light)
                said.add(phrase(facts))
                assert "room" not in phrase(facts, rooms=False), phrase(facts)
                assert phrase(facts, rooms=False).strip()
    assert any("room" in t for t in said)   # where the setting is unknown, rooms stay


def test_deterministic_and_varied(scene):
    img = frame((30, 120, 200))
    assert scene.caption(img).text == scene.caption(img.copy()).text
    rng = np.random.default_rng(5)
    texts = {scene.caption(frame(tuple(int(c) for c in rng.integers(0, 255, 3)))).text for _ in range(12)}
    assert len(texts) >= 5


@pytest.mark.parametrize("image", [
    np.zeros((1, 1, 3), np.uint8),
    np.full((240, 320), 128, np.uint8),                             # grayscale array
    Image.new("RGBA", (300, 200), (255, 0, 0, 128)),                # RGBA
    Image.new("L", (64, 64), 30),
    Image.new("P", (64, 48)),
    np.random.default_rng(0).random((120, 160, 3)),                 # float image
    np.full((6000, 8000, 3), 90, np.uint8),                          # very large
], ids=["1x1", "gray-array", "rgba", "L", "P", "float", "8000x6000"])
def test_scene_never_returns_empty_text(scene, image):
    cap = scene.caption(image)
    assert cap.text.strip() and cap.text == cap.text.strip()


def test_corrupt_or_missing_image_file(tmp_path):
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    with pytest.raises(ImageError, match="photo.jpg"):
        load_image(bad)
    good = tmp_path / "ok.png"
    Image.new("RGB", (40, 30), (1, 2, 3)).save(good)
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:40])
    with pytest.raises(ImageError, match="cut.png"):
        load_image(tmp_path / "cut.png")
    with pytest.raises(ImageError, match="gone.png"):
        load_image(tmp_path / "gone.png")
    assert load_image(good).shape == (30, 40, 3)


def png_claiming(path, width: int, height: int) -> None:
    """A real 8x8 PNG whose header claims width x height: what a decompression bomb looks like
    before it is decoded (making a real one would take the memory the check protects)."""
    import struct
    import zlib
    Image.new("L", (8, 8)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("side", [13000, 20000])   # over our limit; over Pillow's bomb limit too
def test_an_image_over_the_pixel_limit_is_refused_by_name(tmp_path, side):
    png_claiming(tmp_path / "huge.png", side, side)
    with pytest.raises(ImageError, match=r"huge.png .*24,000,000"):
        load_image(tmp_path / "huge.png")


def test_a_big_jpeg_is_decoded_downscaled(tmp_path, monkeypatch):
    import models.captioners.base as base
    monkeypatch.setattr(base, "MAX_PIXELS", 10_000)
    Image.new("RGB", (400, 200), (200, 10, 10)).save(tmp_path / "big.jpg")
    rgb = load_image(tmp_path / "big.jpg")     # 80,000 pixels: decoded at 1/4 scale
    assert rgb.shape == (50, 100, 3) and rgb[25, 50, 0] > 150


def test_unknown_captioner_name():
    with pytest.raises(ValueError, match="unknown captioner 'magic'"):
        get_captioner("magic")


def test_caption_cli(tmp_path, capsys):
    p = tmp_path / "sky.png"
    img = frame((90, 140, 230), 240, 320)
    img[130:] = (40, 160, 50)
    Image.fromarray(img).save(p)
    assert main(["caption", str(p), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc[0]["image"] == str(p) and "sky" in doc[0]["caption"]
    (tmp_path / "bad.jpg").write_bytes(b"nope")
    assert main(["caption", str(tmp_path / "bad.jpg")]) == 2
    assert "bad.jpg" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny_hf_model(tmp_path_factory):
    """A randomly initialised ViT -> BERT-decoder captioner, saved to disk, biased to say 'dog'."""
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("transformers")
    d = tmp_path_factory.mktemp("tiny-captioner")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "dog", "on", "the", "beach"]
    tok = tf.BertTokenizer(vocab={w: i for i, w in enumerate(words)})
    enc = tf.ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1,
                       num_attention_heads=2, intermediate_size=64)
    dec = tf.BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, is_decoder=True, add_cross_attention=True)
    cfg = tf.VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    torch.manual_seed(0)
    model = tf.VisionEncoderDecoderModel(config=cfg)
    for c in (model.config, model.generation_config):
        c.decoder_start_token_id, c.pad_token_id, c.eos_token_id = tok.cls_token_id, tok.pad_token_id, tok.sep_token_id
    with torch.no_grad():
        model.decoder.cls.predictions.bias[words.index("dog")] += 20.0
    model.save_pretrained(d)
    tok.save_pretrained(d)
    tf.ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(d)
    return d


@pytest.mark.parametrize("image", [np.zeros((1, 1, 3), np.uint8), Image.new("L", (500, 300), 99),
                                   Image.new("RGBA", (64, 64), (0, 0, 255, 10)),
                                   np.full((4000, 6000, 3), 200, np.uint8)], ids=["1x1", "L", "rgba", "6000x4000"])
def test_hf_backend_loads_a_local_model_and_captions(tiny_hf_model, image):
    cap = get_captioner("hf", model=str(tiny_hf_model), max_new_tokens=4, num_beams=1).caption(image)
    assert "dog" in cap.text and cap.details["model"] == str(tiny_hf_model)


def test_hf_backend_missing_model_is_a_clear_error(tmp_path):
    pytest.importorskip("transformers")
    with pytest.raises(RuntimeError, match="could not load"):
        get_captioner("hf", model=str(tmp_path / "no-such-model"))


def test_hf_prompt_reaches_the_model_and_is_not_echoed(tiny_hf_model, monkeypatch):
    """Prompted models (Florence-2 wants "<CAPTION>") read the task as input_ids and may echo it."""
    cap = get_captioner("hf", model=str(tiny_hf_model), max_new_tokens=4, num_beams=1, prompt="dog")
    seen = {}

    def generate(**kwargs):
        seen.update(kwargs)
        return cap.tokenizer(["dog a beach"], return_tensors="pt")["input_ids"]
    monkeypatch.setattr(cap.model, "generate", generate)
    out = cap.caption(np.zeros((64, 64, 3), np.uint8))
    assert "input_ids" in seen and "pixel_values" in seen
    assert out.text == "a beach" and out.details["prompt"] == "dog"


def test_hf_missing_model_names_todays_download_command(tmp_path):
    pytest.importorskip("transformers")
    with pytest.raises(RuntimeError, match="hf download"):
        get_captioner("hf", model=str(tmp_path / "no-such-model"))


def test_hf_corrupt_weights_are_one_clear_error(tiny_hf_model, tmp_path):
    import shutil
    broken = tmp_path / "broken"
    shutil.copytree(tiny_hf_model, broken)
    for f in broken.glob("*.safetensors"):
        f.unlink()
    (broken / "pytorch_model.bin").write_bytes(b"\x80\x04 not a pickle at all")
    with pytest.raises(RuntimeError, match="could not load"):
        get_captioner("hf", model=str(broken))
