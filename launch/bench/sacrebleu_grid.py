#!/usr/bin/env python3
"""Reference side of launch/bench/bleu_vs_sacrebleu.sh: sacreBLEU's own BLEU code on the same files.

usage: sacrebleu_grid.py grid HYP REF   |   sacrebleu_grid.py tok KIND FILE [lc]   |   sacrebleu_grid.py perturb SRC OUT SEED
Lines are read like sacreBLEU's CLI: utf-8, newline="\\n", rstrip().
"""
import gzip
import random
import sys


def read(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8", newline="\n") as f:
        return [line.rstrip() for line in f]


def grid(hyp_path, ref_path):
    from sacrebleu.metrics.bleu import BLEU
    hyps, refs = read(hyp_path), read(ref_path)
    for tok in ["13a", "intl", "char", "none"]:
        for lc in [False, True]:
            for smooth in ["exp", "none", "floor", "add-k"]:
                for eff in [False, True]:
                    b = BLEU(tokenize=tok, lowercase=lc, smooth_method=smooth, effective_order=eff, force=True)
                    s = b.corpus_score(hyps, [refs])
                    sig = b.get_signature().format()
                    # counts/totals as ints before add-k (sacreBLEU adds k in place for add-k)
                    stats = b._extract_corpus_statistics(hyps, [refs])
                    tot = [sum(x[i] for x in stats) for i in range(10)]
                    counts = "[" + ", ".join(str(int(c)) for c in tot[2:6]) + "]"
                    totals = "[" + ", ".join(str(int(c)) for c in tot[6:10]) + "]"
                    print(f"{s.format(signature=sig)}\t{s.score!r}\t{counts}\t{totals}")


def tok(kind, path, lc=None):
    from sacrebleu.metrics.bleu import BLEU
    b = BLEU(tokenize=kind, lowercase=lc is not None, force=True)
    out = sys.stdout
    for line in read(path):
        out.write(" ".join(b._preprocess_segment(line).split()) + "\n")


def perturb(src, out, seed):
    """A noisy 'system output': word drops, swaps, duplicates, case flips, punctuation, numbers, entities."""
    rnd = random.Random(int(seed))
    extras = [",", ".", "!", "&quot;", "&amp;", "1,000.5", "3-4", "«", "»", "—", "€", "don't", "x²", "(", ")"]
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for line in read(src):
            w = line.split(" ")
            for _ in range(rnd.randint(0, 3)):
                op = rnd.random()
                i = rnd.randrange(len(w)) if w else 0
                if not w:
                    w = [rnd.choice(extras)]
                elif op < 0.25:
                    del w[i]
                elif op < 0.45:
                    j = rnd.randrange(len(w))
                    w[i], w[j] = w[j], w[i]
                elif op < 0.6:
                    w.insert(i, w[i])
                elif op < 0.75:
                    w[i] = w[i].swapcase()
                else:
                    w.insert(i, rnd.choice(extras))
            f.write(" ".join(w) + ("  " if rnd.random() < 0.05 else "") + "\n")


if __name__ == "__main__":
    {"grid": grid, "tok": tok, "perturb": perturb}[sys.argv[1]](*sys.argv[2:])
