import pytest
import torch

from models.checkpoint import CheckpointError, load_checkpoint, read_metadata
from models.writer import Writer


def test_round_trip_gives_identical_samples(tiny_checkpoint, tmp_path):
    from models.checkpoint import save_checkpoint
    model, meta = load_checkpoint(tiny_checkpoint, "cpu")
    copy = tmp_path / "copy.safetensors"
    save_checkpoint(copy, model, meta)
    again, meta2 = load_checkpoint(copy, "cpu")
    a = Writer(model).write("The moon", [0.5, 1.0], 120, rng_seed=7).stanzas
    b = Writer(again).write("The moon", [0.5, 1.0], 120, rng_seed=7).stanzas
    assert [s.text for s in a] == [s.text for s in b]
    assert meta2["vocab"] == meta["vocab"] and meta2["corpus"] == meta["corpus"]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_checkpoint_gives_a_clear_error_naming_the_file(tiny_checkpoint, tmp_path, damage):
    data = tiny_checkpoint.read_bytes()
    bad = tmp_path / f"{damage}.safetensors"
    bad.write_bytes({"truncate": data[: len(data) // 2], "garbage": b"\x00junk" * 100, "empty": b""}[damage])
    with pytest.raises(CheckpointError, match=f"{damage}.safetensors"):
        load_checkpoint(bad, "cpu")


def test_missing_and_foreign_files_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        read_metadata(tmp_path / "none.safetensors")
    from safetensors.torch import save_file
    save_file({"w": torch.zeros(2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(CheckpointError, match="not a narrator model"):
        load_checkpoint(tmp_path / "other.safetensors", "cpu")


def test_a_pickle_can_not_run_code_through_the_loader(tmp_path):
    """A torch.save pickle (which could carry code) is rejected, never unpickled."""
    evil = tmp_path / "evil.safetensors"
    torch.save({"x": torch.zeros(1)}, evil)
    with pytest.raises(CheckpointError, match="evil.safetensors"):
        load_checkpoint(evil, "cpu")


def test_half_precision_checkpoint_loads_as_float32(tiny_checkpoint, tmp_path):
    from models.checkpoint import save_checkpoint
    model, meta = load_checkpoint(tiny_checkpoint, "cpu")
    half = tmp_path / "half.safetensors"
    save_checkpoint(half, model, meta, dtype=torch.float16)
    assert half.stat().st_size < tiny_checkpoint.stat().st_size * 0.6
    loaded, _ = load_checkpoint(half, "cpu")
    assert loaded.head.weight.dtype == torch.float32
    assert torch.allclose(loaded.head.weight, model.head.weight, atol=1e-2)


@pytest.mark.parametrize("claim", [{"num_layers": 10**9}, {"rnn_size": 10**7}, {"rnn_size": 64, "num_layers": 2},
                                   {"wordvec_size": -1}, {"dropout": 7}])
def test_a_config_that_lies_about_its_tensors_is_refused_before_allocating(tiny_checkpoint, tmp_path, claim):
    """A file whose metadata claims 10^9 layers used to allocate without end before the
    tensors were checked; now the config is checked against bounds and the tensors first."""
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file
    with safe_open(str(tiny_checkpoint), framework="pt") as f:
        meta = json.loads(f.metadata()["narrator"])
    meta["config"].update(claim)
    liar = tmp_path / "liar.safetensors"
    save_file(load_file(str(tiny_checkpoint)), str(liar), metadata={"narrator": json.dumps(meta)})
    with pytest.raises(CheckpointError, match="liar.safetensors"):
        load_checkpoint(liar, "cpu")
