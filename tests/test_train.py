import csv
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from models.checkpoint import read_metadata
from tests.conftest import run_train


def test_training_lowers_validation_loss_and_writes_its_outputs(trained_run):
    rows = list(csv.DictReader(open(trained_run / "log.csv")))
    assert [int(r["step"]) for r in rows] == [50, 100, 150]
    vals = [float(r["val_loss"]) for r in rows]
    assert vals[-1] < vals[0] - 0.3, vals
    for name in ("best.safetensors", "last.safetensors", "last.state.pt", "loss.png", "corpus.ngrams"):
        assert (trained_run / name).stat().st_size > 0, name
    meta = read_metadata(trained_run / "best.safetensors")
    assert meta["train"]["val_loss"] == pytest.approx(min(vals), abs=1e-4)
    assert len(meta["corpus"]["fingerprint"]) == 64
    assert meta["config"]["rnn_size"] == 48 and meta["train"]["seconds"] > 0


def test_resume_continues_from_the_saved_step(trained_run, corpus_file, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    assert run_train(corpus_file, run, "--max-steps", "200", "--checkpoint-every", "50",
                     "--resume", str(run / "last.safetensors")) == 0
    rows = list(csv.DictReader(open(run / "log.csv")))
    assert [int(r["step"]) for r in rows] == [50, 100, 150, 200]
    assert read_metadata(run / "last.safetensors")["train"]["step"] == 200


def test_resume_refuses_a_different_corpus(trained_run, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("XYZ only capitals here\n" * 500)
    from models.train import TrainError
    with pytest.raises(TrainError, match="vocabulary differs"):
        run_train(other, tmp_path / "r", "--resume", str(trained_run / "last.safetensors"))


@pytest.mark.parametrize("content", [b"", b"\x80\x04garbage", None], ids=["empty", "corrupt", "code"])
def test_resume_with_an_unreadable_state_file_is_one_clear_line(trained_run, corpus_file, tmp_path, capsys, content):
    import pickle
    from device.cli import main
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    state = run / "last.state.pt"
    if content is None:   # a pickle that would run code if loaded unsafely
        state.write_bytes(pickle.dumps(__import__("os").system))
    else:
        state.write_bytes(content)
    rc = main(["train", str(corpus_file), "--out", str(run), "--num-layers", "2", "--rnn-size", "48",
               "--wordvec-size", "16", "--seq-length", "32", "--batch-size", "16", "--val-chunk", "2000",
               "--max-steps", "160", "--resume", str(run / "last.safetensors")])
    err = capsys.readouterr().err
    assert rc == 2 and "last.state.pt" in err and "unreadable" in err and "Traceback" not in err


def _narrator(*args):
    return [sys.executable, "-c", "import sys; from device.cli import main; sys.exit(main())", *args]


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(corpus_file, tmp_path):
    out = tmp_path / "run"
    p = subprocess.Popen(_narrator("train", str(corpus_file), "--out", str(out), "--rnn-size", "32",
                                   "--seq-length", "32", "--batch-size", "8", "--val-chunk", "2000",
                                   "--checkpoint-every", "100000", "--threads", "1"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (out / "corpus.ngrams").exists():
        time.sleep(0.2)
    time.sleep(2.0)  # let it take some steps
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "interrupted: saved" in err
    assert read_metadata(out / "last.safetensors")["train"]["step"] > 0
    assert (out / "last.state.pt").exists()


def test_distributed_training_with_two_cpu_processes(corpus_file, tmp_path):
    out = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                        "-m", "models.train", str(corpus_file), "--out", str(out), "--rnn-size", "32",
                        "--seq-length", "32", "--batch-size", "8", "--val-chunk", "2000",
                        "--max-steps", "60", "--checkpoint-every", "30", "--threads", "1"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = list(csv.DictReader(open(out / "log.csv")))
    assert len(rows) == 2 and float(rows[1]["val_loss"]) < float(rows[0]["val_loss"])
    meta = read_metadata(out / "last.safetensors")
    assert meta["train"]["step"] == 60 and meta["train"]["args"]["batch_size"] == 8


@pytest.mark.skipif(not (__import__("torch").cuda.is_available() and __import__("torch").cuda.is_bf16_supported()),
                    reason="needs a CUDA GPU with bfloat16")
def test_amp_training_lowers_the_loss_on_cuda(corpus_file, tmp_path):
    assert run_train(corpus_file, tmp_path / "amp", "--max-steps", "150", "--checkpoint-every", "50", "--amp") == 0
    vals = [float(r["val_loss"]) for r in csv.DictReader(open(tmp_path / "amp" / "log.csv"))]
    assert vals[-1] < vals[0] - 0.3, vals


def test_amp_on_cpu_trains_in_float32_and_says_so(corpus_file, tmp_path, caplog):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: --amp is real here")
    assert run_train(corpus_file, tmp_path / "cpu", "--max-steps", "20", "--checkpoint-every", "20", "--amp") == 0
    assert "--amp needs a CUDA GPU" in caplog.text
