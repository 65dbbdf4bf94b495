"""Training speed: characters per second at the default model size (2x512, seq 128, batch 64).

    python benchmarks/train_bench.py [--steps 20] [--corpus ../shared/data/tinyshakespeare]

Times full training steps (forward, backward, clip, Adam) after a warm-up; prints a table.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from models.charlstm import CharLSTM, CharLSTMConfig, pick_device
from models.corpus import Corpus, StreamBatches

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tinyshakespeare"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device()
    corpus = Corpus.read([args.corpus])
    train_ids, _ = corpus.split()
    print(f"device {device}, {torch.get_num_threads()} threads, corpus {args.corpus}")
    print(f"{'layers x size':<14} {'seq':>4} {'batch':>5} {'params M':>9} {'chars/s':>9} {'ms/step':>8}")
    for layers, size, seq, batch in [(2, 512, 128, 64), (2, 256, 128, 64), (3, 512, 128, 64)]:
        model = CharLSTM(CharLSTMConfig(layers, size, 64), corpus.vocab).to(device)
        opt = torch.optim.Adam(model.parameters(), 2e-3)
        batches = StreamBatches(train_ids, batch, seq)
        state, t0 = None, 0.0
        for step in range(args.steps + 3):
            if step == 3:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
            x, y = (t.to(device) for t in batches.batch(step))
            logits, state = model(x, state)
            state = tuple(s.detach() for s in state)
            loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        dt = (time.perf_counter() - t0) / args.steps
        n = sum(p.numel() for p in model.parameters()) / 1e6
        print(f"{layers} x {size:<10} {seq:>4} {batch:>5} {n:>9.2f} {batch * seq / dt:>9,.0f} {dt * 1000:>8.0f}")


if __name__ == "__main__":
    main()
