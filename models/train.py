"""Train a char-LSTM on your own corpus (torch-rnn's train.lua, in PyTorch).

    narrator train ../shared/data/poetry --out runs/poetry
    narrator train corpus.txt --out runs/mine --resume runs/mine/last.safetensors
    torchrun --nproc_per_node=2 -m models.train corpus.txt --out runs/ddp   # several GPUs/nodes

Adam, truncated BPTT that carries the LSTM state from one batch to the next, gradient clipping,
step decay of the learning rate per epoch. Every --checkpoint-every steps it measures the
validation loss and writes last.safetensors (+ last.state.pt to resume) and, when it improves,
best.safetensors; log.csv and loss.png follow along. Ctrl-C saves and exits cleanly.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from .charlstm import CharLSTM, CharLSTMConfig, pick_device
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .corpus import Corpus, StreamBatches
from .errors import ModelError
from .evaluate import stream_loss
from .lossplot import plot_losses
from .originality import NgramIndex

log = logging.getLogger(__name__)


class TrainError(ModelError, ValueError):
    """Training cannot start or resume as asked; the message says why."""
LOG_FIELDS = ["step", "epoch", "lr", "train_loss", "val_loss", "chars_per_s", "elapsed_s"]


def mixed_precision(wanted: bool, device: torch.device):
    """bfloat16 autocast for the forward pass when asked and the GPU supports it: 1.3x faster
    for 3x1024 and 1.9x for 2x2048 on an H100, no gain at 2x512 (shared/models/README.md).
    The loss and the optimizer stay in float32."""
    if not wanted:
        return contextlib.nullcontext()
    if device.type != "cuda" or not torch.cuda.is_bf16_supported():
        log.warning("--amp needs a CUDA GPU with bfloat16; training in float32")
        return contextlib.nullcontext()
    return torch.autocast("cuda", dtype=torch.bfloat16)


def _distributed() -> tuple[int, int]:
    """(rank, world size); sets up the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    import torch.distributed as dist
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def train(args: argparse.Namespace) -> int:
    rank, world = _distributed()
    main_proc = rank == 0
    logging.basicConfig(level=logging.INFO if main_proc else logging.WARNING, format="%(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device()
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed + rank)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    corpus = Corpus.read(args.corpus)
    train_ids, val_ids = corpus.split(args.val_frac, args.val_chunk, args.seed)
    batches = StreamBatches(train_ids, args.batch_size, args.seq_length, rank, world)
    if main_proc:  # the originality guard's index travels with every checkpoint of this run
        NgramIndex.build(corpus.text, corpus.fingerprint).save(out / "corpus.ngrams")

    start_step, elapsed_before, best_val, opt_state = 0, 0.0, math.inf, None
    if args.resume:
        model, meta = load_checkpoint(args.resume, device)
        if meta["vocab"] != corpus.vocab.chars:
            raise TrainError(f"--resume {args.resume}: its vocabulary differs from this corpus's; "
                             "resume on the same corpus or start a new run")
        model.train()
        t = meta.get("train", {})
        start_step, elapsed_before = t.get("step", 0), t.get("seconds", 0.0)
        best_val = t.get("best_val_loss", math.inf) or math.inf
        sidecar = Path(str(args.resume).replace(".safetensors", ".state.pt"))
        if sidecar.exists():
            try:
                opt_state = torch.load(sidecar, map_location=device, weights_only=True)
            except Exception as e:   # truncated, corrupt, or a pickle that wants code
                raise CheckpointError(f"{sidecar}: the optimizer state is unreadable ({type(e).__name__}); "
                                      "delete it to resume with a fresh optimizer") from None
        else:
            log.warning("no %s beside the checkpoint: resuming with a fresh optimizer", sidecar.name)
    else:
        cfg = CharLSTMConfig(args.num_layers, args.rnn_size, args.wordvec_size, args.dropout)
        model = CharLSTM(cfg, corpus.vocab).to(device)
    if main_proc:
        n_params = sum(p.numel() for p in model.parameters())
        log.info("model %s, %.2fM parameters, vocab %d, on %s x%d; train %d chars, val %d chars",
                 model.config, n_params / 1e6, len(corpus.vocab), device, world, len(train_ids), len(val_ids))
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    opt = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    if opt_state:
        opt.load_state_dict(opt_state["optimizer"])

    steps_per_epoch = len(batches)
    total = args.max_epochs * steps_per_epoch
    if args.max_steps:
        total = min(total, args.max_steps)
    chars_per_step = args.batch_size * args.seq_length * world
    log_path = out / "log.csv"
    rows = list(csv.DictReader(open(log_path))) if args.resume and log_path.exists() else []
    rows = [r for r in rows if int(r["step"]) <= start_step]

    def save(step: int, val_loss: float | None, train_loss: float, name: str, seconds: float):
        meta = {"corpus": {"fingerprint": corpus.fingerprint, "chars": len(corpus.text),
                           "files": [Path(c).name for c in args.corpus]},
                "train": {"step": step, "epoch": step / steps_per_epoch, "train_loss": train_loss,
                          "val_loss": val_loss, "best_val_loss": None if math.isinf(best_val) else best_val,
                          "seconds": seconds, "args": {k: v for k, v in vars(args).items() if k != "func"}},
                "preseed": ""}
        save_checkpoint(out / f"{name}.safetensors", model, meta)
        if name == "last":
            tmp = out / "last.state.pt.tmp"
            torch.save({"optimizer": opt.state_dict(), "step": step}, tmp)
            os.replace(tmp, out / "last.state.pt")

    autocast = mixed_precision(args.amp, device)
    state, t0, window_loss, window_n = None, time.time(), 0.0, 0
    last_loss, val_loss = float("nan"), None
    t_window = time.time()
    bar = tqdm(total=total, initial=start_step, disable=not main_proc, unit="step", dynamic_ncols=True)
    step = start_step
    interrupted = False
    try:
        while step < total:
            epoch = step // steps_per_epoch
            if step % steps_per_epoch == 0:
                state = None  # streams start over at each epoch
            lr = args.learning_rate * args.lr_decay_factor ** (epoch // max(1, args.lr_decay_every))
            for group in opt.param_groups:
                group["lr"] = lr
            x, y = (t.to(device) for t in batches.batch(step))
            with autocast:
                logits, state = net(x, state)
            state = tuple(s.detach() for s in state)
            loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
            opt.step()
            step += 1
            last_loss = loss.item()
            window_loss, window_n = window_loss + last_loss, window_n + 1
            speed = window_n * chars_per_step / max(1e-9, time.time() - t_window)
            bar.update(1)
            bar.set_postfix(chars_s=f"{speed:,.0f}", loss=f"{last_loss:.3f}",
                            val="-" if val_loss is None else f"{val_loss:.3f}", refresh=False)
            out_of_time = args.time_budget and time.time() - t0 > args.time_budget * 60
            if step % args.checkpoint_every == 0 or step == total or out_of_time:
                val_loss = stream_loss(net, val_ids, args.batch_size, args.seq_length, device,
                                    args.eval_max_chars, rank, world) if len(val_ids) else None
                seconds = elapsed_before + time.time() - t0
                train_loss = window_loss / window_n
                if main_proc:
                    rows.append({"step": step, "epoch": f"{step / steps_per_epoch:.3f}", "lr": f"{lr:.3g}",
                                 "train_loss": f"{train_loss:.4f}",
                                 "val_loss": "" if val_loss is None else f"{val_loss:.4f}",
                                 "chars_per_s": f"{speed:.0f}", "elapsed_s": f"{seconds:.0f}"})
                    with open(log_path, "w", newline="") as f:
                        w = csv.DictWriter(f, LOG_FIELDS)
                        w.writeheader()
                        w.writerows(rows)
                    plot_losses(rows, out / "loss.png")
                    if val_loss is not None and val_loss < best_val:
                        best_val = val_loss
                        save(step, val_loss, train_loss, "best", seconds)
                    save(step, val_loss, train_loss, "last", seconds)
                    bar.write(f"step {step}: train {train_loss:.4f}  val "
                              f"{'-' if val_loss is None else f'{val_loss:.4f}'}  ({speed:,.0f} chars/s)")
                window_loss, window_n, t_window = 0.0, 0, time.time()
                if out_of_time:
                    break
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    if interrupted and main_proc:
        save(step, None, last_loss, "last", elapsed_before + time.time() - t0)
        print(f"interrupted: saved {out / 'last.safetensors'} at step {step}; "
              f"continue with --resume {out / 'last.safetensors'}", file=sys.stderr)
    if main_proc and not interrupted:
        print(f"done: step {step}, best val loss {best_val:.4f}, checkpoints in {out}")
    if world > 1:
        import torch.distributed as dist
        dist.destroy_process_group()
    return 0


def main(argv=None) -> int:
    from .train_options import add_train_arguments
    p = argparse.ArgumentParser(prog="narrator train", description=__doc__.split("\n")[0])
    add_train_arguments(p)
    return train(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
