"""Beam search for the phrase model, with the guard that keeps captions true to the eyes.

A caption may not name an object or a person the eyes did not report (every COCO object word
outside the given concepts, or outside `allowed` when the eyes support more, is masked before
the beams choose) nor a setting the setting head did not support, name the same thing twice,
repeat a word pair, or say "each other" of one thing. Of the finished beams, the one that
mentions the most given concepts wins, then the likelier (length-normalised).
"""
from __future__ import annotations

import torch

from .coco_words import forms
from .phrase import BOS, EOS, PAD, PLURAL, THING, UNK, fix_articles
from .stepper import DecoderStepper


@torch.inference_mode()
def beam_write(model, concepts: list[str], beams: int = 4, image: torch.Tensor | None = None,
               allowed: set[str] | None = None, settings: set[str] | None = None) -> str:
    """One sentence from a PhraseModel using the concepts (looking at `image`, (1, cells,
    image_dim), when the model has eyes); `allowed`: the object words the eyes support, when
    they say more than the concepts; `settings`: the setting words they support (None: any;
    the others are masked like an object not found). Deterministic."""
    ids, slot = model.ids(concepts)
    dev = model.embed.weight.device
    src = torch.tensor([ids], device=dev)
    memory, pad = model.encode(src, image)
    bos, eos = model.index[BOS], model.index[EOS]
    given = {model.words[i] for i in ids}
    given = {f for w in given for f in forms(w)}   # two elephants are still elephants
    if allowed is not None:
        given |= allowed
    objects = model.object_words()
    # never an object or a person it was not given; each thing it names, named once
    unseen = objects - given
    if settings is not None:
        from .settings import SETTING_WORDS
        unseen |= SETTING_WORDS - settings
    banned = torch.tensor([model.index[w] for w in unseen if w in model.index], dtype=torch.long)
    once, plural_ids = model.groups(objects | {model.words[i] for i in ids})
    each = model.index.get("each")
    alive = [([bos], 0.0)]
    done: list[tuple[list[int], float]] = []
    stepper = DecoderStepper(model.transformer.decoder, memory, pad)
    for t in range(model.config.max_len):
        last = torch.tensor([[a[0][-1]] for a in alive], device=dev)
        x = model.embed(last) + model.position(torch.tensor([t], device=dev))
        logp = torch.log_softmax(model.head(stepper.step(x))[:, -1].float(), -1)
        logp[:, model.index[PAD]] = logp[:, bos] = logp[:, model.index[UNK]] = -1e9
        logp[:, banned] = -1e9
        if not slot:
            logp[:, model.index[THING]] = -1e9
        for row, (seq, _) in enumerate(alive):   # no word pair twice, no thing named twice
            for a, b in zip(seq[1:], seq[2:]):
                if a == seq[-1]:
                    logp[row, b] = -1e9
            logp[row, seq[-1]] = -1e9
            for w in seq:
                if w in once:
                    logp[row, once[w]] = -1e9
            if each is not None and not any(model.words[w] in PLURAL or w in plural_ids for w in seq):
                logp[row, each] = -1e9   # "a cat sitting next to each other": one cat has no other
        scores = torch.tensor([a[1] for a in alive], device=dev)[:, None] + logp
        top = torch.topk(scores.flatten(), 2 * beams)
        nxt, rows = [], []
        for s, flat in zip(top.values.tolist(), top.indices.tolist()):
            row, word = divmod(flat, logp.shape[1])
            seq = alive[row][0] + [word]
            if word == eos:
                done.append((seq, s))
            else:
                nxt.append((seq, s))
                rows.append(row)
            if len(nxt) == beams:
                break
        alive = nxt
        if len(done) >= beams or not alive:
            break
        stepper.keep(rows)
    done = done or alive
    wanted = {model.words[i] for i in ids} | set(slot.values())

    def rank(item):
        seq, score = item
        said = {model.words[i] for i in seq}
        return (len(wanted & said), score / max(1, len(seq) - 1) ** 0.7)

    best = max(done, key=rank)[0]
    words = [slot.get(model.words[i], model.words[i]) for i in best[1:] if i != eos]
    return fix_articles(" ".join(words))
