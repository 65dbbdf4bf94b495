"""The flags of `narrator train`, kept apart from the trainer so that building the command
line never imports torch (models/cli.py), and `python -m models.train` reads the same flags."""
from __future__ import annotations

import argparse

from .arguments import existing_file, existing_path, number


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """torch-rnn's train.lua flags (models/train.py reads them)."""
    g = p

    def opt(name, **kw):  # torch-rnn spells flags with underscores: accept both spellings
        names = [name] + (["--" + name[2:].replace("-", "_")] if "-" in name[2:] else [])
        g.add_argument(*names, **kw)
    p.add_argument("corpus", nargs="+", type=existing_path, help="UTF-8 text files or folders of .txt files")
    opt("--out", required=True, help="output folder for checkpoints, log.csv and loss.png")
    g = p.add_argument_group("dataset")
    opt("--val-frac", type=number(float, 0.0, 0.5), default=0.05, help="share of chunks held out for validation")
    opt("--val-chunk", type=number(int, 100), default=10_000, help="chunk size (chars) of the validation draw")
    g = p.add_argument_group("model")
    opt("--num-layers", type=number(int, 1, 16), default=2)
    opt("--rnn-size", type=number(int, 1, 16384), default=512)
    opt("--wordvec-size", type=number(int, 1, 4096), default=64)
    opt("--dropout", type=number(float, 0.0, 0.95), default=0.0)
    g = p.add_argument_group("optimization")
    opt("--seq-length", type=number(int, 2, 65536), default=128)
    opt("--batch-size", type=number(int, 1, 65536), default=64, help="per process")
    opt("--learning-rate", type=number(float, 0.0, 10.0, low_open=True), default=2e-3)
    opt("--lr-decay-every", type=number(int, 1), default=1, help="epochs between decays")
    opt("--lr-decay-factor", type=number(float, 0.0, 1.0, low_open=True), default=0.7)
    opt("--grad-clip", type=number(float, 0.0), default=5.0)
    opt("--max-epochs", type=number(int, 1), default=50)
    opt("--max-steps", type=number(int, 0), default=0, help="0: no limit")
    opt("--time-budget", type=number(float, 0.0), default=0, help="minutes; save and stop after (0: none)")
    g = p.add_argument_group("output")
    opt("--checkpoint-every", type=number(int, 1), default=1000, help="steps between val + checkpoint")
    opt("--eval-max-chars", type=number(int, 0), default=0, help="cap on validation chars per eval (0: all)")
    opt("--resume", type=existing_file, help="checkpoint to continue from (its .state.pt sidecar restores the optimizer)")
    opt("--seed", type=number(int, 0, 2**31 - 1), default=0)
    opt("--threads", type=number(int, 0, 1024), default=0, help="CPU threads (0: torch's default)")
    opt("--amp", action="store_true", help="bfloat16 autocast on CUDA (faster for large models; ignored on CPU)")
