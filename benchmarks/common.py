"""What the benchmarks share: the caption they write from, the naive baseline, a timer, memory
figures, and running each measured method in a fresh child process, so that its memory and
its warm caches are its own."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:   # run as `python benchmarks/x.py` from a checkout
    sys.path.insert(0, str(ROOT))

CAPTION = "a man riding a wave on top of a surfboard"


def timed(fn) -> float:
    """Seconds one call of fn takes."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS), or its peak with field="VmHWM" (unlike
    ru_maxrss, VmHWM is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return rss_mb("VmHWM")


def run_child(script: str, *args: str) -> dict:
    """Run `python script args...` and return the JSON object its last stdout line holds."""
    r = subprocess.run([sys.executable, script, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{Path(script).name} {' '.join(args)} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def naive_sample(model, temps, length) -> None:
    """PyTorch word_language_model's generate.py pattern, the baseline both sampling
    benchmarks measure against: one temperature at a time, one character per forward call,
    exp(logits / T), torch.multinomial, .item() every character."""
    import torch
    ids, dev = model.vocab.encode(CAPTION), model.device
    with torch.inference_mode():
        for t in temps:
            _, hidden = model(torch.tensor([ids[:-1]], device=dev))
            inp = torch.tensor([[ids[-1]]], device=dev)
            for _ in range(length):
                output, hidden = model(inp, hidden)
                idx = torch.multinomial(output.squeeze().div(t).exp(), 1)[0]
                inp.fill_(idx)
                idx.item()
