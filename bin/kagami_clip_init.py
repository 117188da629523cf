#!/usr/bin/env python3
"""Initial (untrained) weights and tokenizer of Kagami's own CLIP, the first step of
bin/kagami-train-default; the training itself runs in Java (kagami train-default, dev.kagami.cli.TrainDefaultCli).

Writes a Kagami model package with the OpenCLIP ViT architecture (the module definitions of the test
fixture script make_tiny_clip.py, so parameter names match open_clip) at the "kagami-s" size, with seeded
random initialisation, and a CLIP tokenizer.json cut down to the tokens the training corpus needs:

- every byte-level base token (with and without the end-of-word suffix), so any text still tokenizes;
- every token the reference BPE produces for a line of the corpus, and every intermediate token of the
  merges that build it, with those merges in their original order. Because a word's BPE only ever applies
  merges whose results are intermediates of its final tokens, a corpus word tokenizes exactly as with the
  full CLIP vocabulary; an unseen word falls back to shorter pieces.

Runs with Debian's python3-torch (1.13) and python3-onnx; no network.

    python3 bin/kagami_clip_init.py --corpus target/corpus.txt --out target/kagami-clip-init
"""
import argparse
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(REPO, "server/src/test/resources/fixtures/tools"))
import make_tiny_clip as fx  # noqa: E402

DEFAULT_TOKENIZER = os.path.abspath(os.path.join(REPO, "../shared/data/clip-tokenizer/tokenizer.json"))

# (image_size, patch, vision_width, vision_layers, vision_heads, text_width, text_layers, text_heads,
#  embed_dim, context_length)
SIZE = (64, 8, 128, 4, 4, 96, 4, 4, 128, 32)


def reduced_tokenizer(src, corpus_lines):
    with open(src, encoding="utf-8") as f:
        spec = json.load(f)
    ref = fx.ReferenceTokenizer(src)
    model = spec["model"]
    vocab = model["vocab"]
    merges = [tuple(m.split()) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    produced_by = {a + b: (a, b) for a, b in merges}
    keep = set()
    for c in fx.bytes_to_unicode().values():
        keep.add(c)
        keep.add(c + "</w>")
    stack = []
    for line in corpus_lines:
        for token in fx.re.findall(ref.pat, fx.re.sub(r"\s+", " ", line).strip().lower()):
            token = "".join(ref.byte_encoder[b] for b in token.encode("utf-8"))
            stack.extend(ref.bpe(token).split(" "))
    while stack:
        t = stack.pop()
        if t in keep:
            continue
        keep.add(t)
        if t in produced_by:
            stack.extend(produced_by[t])
    kept_merges = [(a, b) for a, b in merges if a + b in keep and a in keep and b in keep]
    ordered = sorted(keep, key=lambda t: vocab[t])
    new_vocab = {t: i for i, t in enumerate(ordered)}
    sot, eot = len(new_vocab), len(new_vocab) + 1
    new_vocab["<|startoftext|>"] = sot
    new_vocab["<|endoftext|>"] = eot
    model["vocab"] = new_vocab
    model["merges"] = [a + " " + b for a, b in kept_merges]
    for t in spec["added_tokens"]:
        t["id"] = new_vocab[t["content"]]
    spec["post_processor"]["sep"] = ["<|endoftext|>", eot]
    spec["post_processor"]["cls"] = ["<|startoftext|>", sot]
    return spec, len(new_vocab)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="training texts, one per line")
    ap.add_argument("--out", required=True, help="the package folder to write")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--name", default="kagami-clip")
    ap.add_argument("--version", default="0")
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    with open(args.corpus, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    spec, vocab = reduced_tokenizer(args.tokenizer, lines)
    os.makedirs(args.out, exist_ok=True)
    tok_path = os.path.join(os.path.dirname(os.path.abspath(args.out)), "kagami-clip-tokenizer.json")
    with open(tok_path, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False, separators=(",", ":"))
    # The reduced tokenizer must agree with the full one on every corpus line (same tokens, renumbered).
    full, small = fx.ReferenceTokenizer(args.tokenizer), fx.ReferenceTokenizer(tok_path)
    inv_full = {i: t for t, i in full.encoder.items()}
    inv_small = {i: t for t, i in small.encoder.items()}
    for line in lines:
        a = [inv_full[i] for i in full.encode(line)]
        b = [inv_small[i] for i in small.encode(line)]
        if a != b:
            raise SystemExit(f"reduced tokenizer disagrees on {line!r}: {a} vs {b}")

    fx.SIZES["kagami-s"] = SIZE
    ns = argparse.Namespace(seed=args.seed, size="kagami-s", tokenizer=tok_path, package_out=args.out,
                            name=args.name, version=args.version)
    fx.export(ns)
    manifest_path = os.path.join(args.out, "kagami-model.json")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["description"] = (f"Kagami CLIP (OpenCLIP ViT, kagami-s size) before training: seeded random "
                               f"initialisation (seed {args.seed}), {vocab}-token CLIP BPE vocabulary cut to the "
                               f"training corpus. Made by bin/kagami_clip_init.py.")
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out}: vocabulary {vocab} tokens, {len(lines)} corpus lines")


if __name__ == "__main__":
    main()
