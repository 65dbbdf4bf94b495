"""Caption quality against human references: BLEU-4 (Papineni et al. 2002) and CIDEr-D
(Vedantam et al. 2015), as COCO's caption evaluation computes them, in plain Python.

    bleu4(candidates, references)     # candidates: [str], references: [[str, ...], ...]
    cider_d(candidates, references)

Words are lower-cased letters and digits (punctuation dropped), as in COCO's tokenizer.
BLEU-4 is corpus-level (clipped n-gram precisions pooled over all captions, geometric mean,
brevity penalty against the closest reference length). CIDEr-D: tf-idf n-gram vectors (n=1..4,
document frequency over the references of the evaluated set), clipped counts, a Gaussian
length penalty (sigma 6), scaled by 10 and averaged over references and n.
"""
from __future__ import annotations

import math
import re
from collections import Counter


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def ngrams(toks: list[str], n: int) -> Counter:
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def bleu4(candidates: list[str], references: list[list[str]]) -> float:
    matched, total = [0] * 4, [0] * 4
    cand_len = ref_len = 0
    for cand, refs in zip(candidates, references):
        c = words(cand)
        rs = [words(r) for r in refs]
        cand_len += len(c)
        ref_len += min((abs(len(r) - len(c)), len(r)) for r in rs)[1]
        for n in range(1, 5):
            counts = ngrams(c, n)
            best: Counter = Counter()
            for r in rs:
                best |= ngrams(r, n)
            matched[n - 1] += sum(min(k, best[g]) for g, k in counts.items())
            total[n - 1] += max(0, len(c) - n + 1)
    if min(matched) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matched, total)) / 4
    brevity = 1.0 if cand_len > ref_len else math.exp(1 - ref_len / max(cand_len, 1))
    return brevity * math.exp(log_p)


def cider_d(candidates: list[str], references: list[list[str]], sigma: float = 6.0) -> float:
    refs_toks = [[words(r) for r in refs] for refs in references]
    df: Counter = Counter()
    for rs in refs_toks:
        df.update({g for r in rs for n in range(1, 5) for g in ngrams(r, n)})
    log_docs = math.log(float(len(references)))

    def vec(toks, n):
        counts = ngrams(toks, n)
        v = {g: k * (log_docs - math.log(max(1.0, df[g]))) for g, k in counts.items()}
        return v, math.sqrt(sum(x * x for x in v.values())), len(toks)

    scores = []
    for cand, rs in zip(candidates, refs_toks):
        c = words(cand)
        per_n = []
        for n in range(1, 5):
            vc, nc, lc = vec(c, n)
            s = 0.0
            for r in rs:
                vr, nr, lr = vec(r, n)
                dot = sum(min(x, vr[g]) * vr[g] for g, x in vc.items() if g in vr)
                if nc and nr:
                    s += dot / (nc * nr) * math.exp(-((lc - lr) ** 2) / (2 * sigma ** 2))
            per_n.append(s / len(rs))
        scores.append(sum(per_n) / 4 * 10)
    return sum(scores) / len(scores)
