"""The model commands of `narrator`: write, caption, eval, train, export.

    narrator write "a man riding a wave" --temperatures 0.3,0.5,0.7,0.9 --length 400
    narrator caption IMAGE... [--captioner sight|words|scene|hf] [--json]
    narrator eval CHECKPOINT TEXTFILE...
    narrator train CORPUS... --out DIR
    narrator export CHECKPOINT OUT --dtype float16 --corpus CORPUS --sample-preseed

device/cli.py builds the whole command line and adds these with add_commands(). Building the
parser imports nothing heavy; each command imports what it needs when it runs.
"""
from __future__ import annotations

import json
import sys
import time

from .arguments import existing_file, existing_path, number, shipped_voice, shipped_voices, temperatures
from .defaults import KEEP_SUBJECT, MAX_COPY, MAX_KEEP_SUBJECT, MAX_LENGTH, RETRIES
from .train_options import add_train_arguments


def cmd_write(args) -> int:
    from models.writer import Writer
    t0 = time.perf_counter()
    writer = Writer.load(args.model or args.voice)
    load_s = time.perf_counter() - t0
    preseed = None
    if args.no_preseed:
        preseed = ""
    elif args.preseed_file:
        preseed = open(args.preseed_file, encoding="utf-8").read()
    elif args.preseed is not None:
        preseed = args.preseed
    poem = writer.write(args.caption, args.temperatures, args.length, preseed=preseed,
                        top_k=args.top_k, rng_seed=args.seed, max_copy=args.max_copy, retries=args.retries,
                        keep_subject=args.keep_subject, seed=args.seed_template)
    if args.json:
        print(json.dumps({"model": writer.name, "caption": poem.stanzas[0].caption, "dropped": poem.dropped,
                          "keep_subject": poem.keep_subject,
                          "stanzas": [s.to_dict() for s in poem.stanzas],
                          "timings": dict(poem.timings, load_s=load_s)}, indent=2))
        return 0
    for s in poem.stanzas:
        note = "" if s.original else f"  (copies {s.copied_span} chars from the corpus)"
        print(f"~ temperature {s.temperature:g}{note}\n{s.text}\n")
    return 0


def cmd_caption(args) -> int:
    from models.captioners import get_captioner, load_image
    from models.captioners import ImageError
    options = {"model": args.hf_model} if args.hf_model else {}
    if args.hf_prompt:
        options["prompt"] = args.hf_prompt
    captioner = get_captioner(args.captioner, **options)
    results, bad = [], 0
    for path in args.images:
        try:   # one bad file must not stop the batch
            cap = captioner.caption(load_image(path))
        except ImageError as e:
            bad += 1
            print(f"narrator: {e}", file=sys.stderr)
            continue
        results.append({"image": path, "caption": cap.text, "seconds": round(cap.seconds, 4), "details": cap.details})
        if not args.json:
            print(f"{path}: {cap.text}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 2 if bad else 0


def cmd_eval(args) -> int:
    from models.checkpoint import load_checkpoint
    from models.evaluate import text_loss
    model, _ = load_checkpoint(args.checkpoint)
    r = text_loss(model, args.textfiles)
    print(f"{r.nats_per_char:.4f} nats/char  {r.bits_per_char:.4f} bits/char  over {r.chars:,} chars")
    if r.folded_away:
        print(f"{r.folded_away:,} chars not printable were removed by the folding rule")
    if r.out_of_vocab_count:
        print(f"{r.out_of_vocab_count:,} chars outside the model's vocabulary were not scored: {r.out_of_vocab!r}")
    return 0


def cmd_train(args) -> int:
    from models.train import train
    return train(args)


def cmd_export(args) -> int:
    from models.export import export
    meta = export(args.checkpoint, args.out, args.dtype, args.corpus, args.preseed, args.sample_preseed, args.seed,
                  args.seed_template)
    print(f"wrote {args.out} ({args.dtype}); pre-seed: {meta.get('preseed', '')!r}")
    return 0


def add_commands(sub) -> None:
    """Add the model commands to `narrator`'s subparsers."""
    w = sub.add_parser("write", help="write one stanza per temperature from a seed text")
    w.add_argument("caption", metavar="CAPTION", help="the text each stanza starts with")
    w.add_argument("--temperatures", type=temperatures, default=[0.3, 0.5, 0.7, 0.9],
                   help="comma-separated, each 0..5; 0 = greedy (default 0.3,0.5,0.7,0.9)")
    w.add_argument("--length", type=number(int, 1, MAX_LENGTH), default=400,
                   help=f"generated characters per stanza, the caption not counted (1..{MAX_LENGTH})")
    m = w.add_mutually_exclusive_group()
    m.add_argument("--model", type=existing_file, help="checkpoint (default: the shipped poetry model)")
    m.add_argument("--voice", type=shipped_voice, help=f"a shipped voice by name: {', '.join(shipped_voices())}")
    w.add_argument("--seed-template", metavar="TEMPLATE",
                   help='how the caption opens each stanza, e.g. "{Caption}, n. " (default: the voice\'s own)')
    g = w.add_mutually_exclusive_group()
    g.add_argument("--preseed", help="pre-seed text (default: the model's own)")
    g.add_argument("--preseed-file", type=existing_file, help="read the pre-seed from a file")
    g.add_argument("--no-preseed", action="store_true", help="prime on the caption alone")
    w.add_argument("--top-k", type=number(int, 1), help="sample only among the k likeliest characters")
    w.add_argument("--seed", type=number(int, 0, 2**31 - 1), help="random seed; the same seed writes the same poem (not the caption)")
    w.add_argument("--max-copy", type=number(int, 20), default=MAX_COPY,
                   help="resample stanzas copying this many corpus chars (>= 20, the index's n-gram)")
    w.add_argument("--retries", type=number(int, 0, 20), default=RETRIES, help="resampling attempts per copying stanza")
    w.add_argument("--keep-subject", type=number(float, 0.0, MAX_KEEP_SUBJECT), default=KEEP_SUBJECT, metavar="NATS",
                   help=f"pull toward the caption's words, so the subject comes back (default {KEEP_SUBJECT}; 0: none)")
    w.add_argument("--json", action="store_true", help="machine-readable output")
    w.set_defaults(func=cmd_write)

    c = sub.add_parser("caption", help="caption image files")
    c.add_argument("images", nargs="+", metavar="IMAGE", help="image files; a bad one is reported and skipped")
    c.add_argument("--captioner", default="sight", help="sight (default: trained on photos), words (the old one, built from words), scene (colour and light) or hf")
    c.add_argument("--hf-model", help="for --captioner hf: a local folder or a model id in the hub cache")
    c.add_argument("--hf-prompt", help='for --captioner hf: a task prompt (Florence-2 needs "<CAPTION>")')
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_caption)

    e = sub.add_parser("eval", help="a model's loss on text, in nats/char and bits/char")
    e.add_argument("checkpoint", type=existing_file)
    e.add_argument("textfiles", nargs="+", type=existing_file)
    e.set_defaults(func=cmd_eval)

    t = sub.add_parser("train", help="train a char-LSTM on your corpus")
    add_train_arguments(t)
    t.set_defaults(func=cmd_train)

    x = sub.add_parser("export", help="ship a checkpoint: smaller weights, corpus index, pre-seed")
    x.add_argument("checkpoint", type=existing_file)
    x.add_argument("out")
    x.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float16")
    x.add_argument("--corpus", nargs="+", type=existing_path, help="build the originality index from this corpus")
    gx = x.add_mutually_exclusive_group()
    gx.add_argument("--preseed", help="pre-seed text to store with the model")
    gx.add_argument("--sample-preseed", action="store_true", help="sample the pre-seed from the model itself")
    x.add_argument("--seed", type=number(int, 0, 2**31 - 1), default=0)
    x.add_argument("--seed-template", metavar="TEMPLATE",
                   help='how the caption opens each stanza of this voice, e.g. "{Caption}, n. " (stored with the model)')
    x.set_defaults(func=cmd_export)
