#!/usr/bin/env python3
"""Paired comparison of two `snipdex eval --json` reports on the same rows.

    python3 tools/eval_diff.py --data adapters/data/eval/dev-sample.jsonl \
        --task description old.json new.json

Prints how many answers changed, each changed row's sentence BLEU (x100)
under both, and a paired bootstrap 95 % interval of the mean BLEU
difference (new - old), resampling rows. BLEU follows snipdex's
`train::metrics::sentence_bleu` (CodeXGLUE's smoothed BLEU-4); the script
checks that its mean matches each report's own score. Only the standard
library is needed.
"""

import argparse
import json
import math
import random
import re
from collections import Counter

TOKEN = re.compile(r"[\w]+|[^\s\w]")


def bleu_tokens(text):
    return TOKEN.findall(text.lower())


def sentence_bleu(hyp, ref):
    hyp, ref = bleu_tokens(hyp), bleu_tokens(ref)
    tiny = 2.2250738585072014e-308
    log_bleu = 0.0
    for n in range(1, 5):
        guess = max(len(hyp) + 1 - n, 0)
        ref_counts = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
        hyp_counts = Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
        correct = sum(min(c, ref_counts.get(g, 0)) for g, c in hyp_counts.items())
        smooth = 1.0 if n > 1 else 0.0
        log_bleu += math.log(correct + smooth + tiny) - math.log(guess + smooth + tiny)
    log_bleu /= 4
    brevity = min(1.0 - (len(ref) + 1) / (len(hyp) + 1), 0.0)
    return math.exp(log_bleu + brevity)


def load_report(path):
    with open(path) as f:
        data = json.load(f)
    return data.get("report", data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--task", default="description", choices=["title", "description"])
    ap.add_argument("--resamples", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("old")
    ap.add_argument("new")
    a = ap.parse_args()
    with open(a.data) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    refs = [r[a.task].strip() for r in rows if (r.get(a.task) or "").strip()]
    old, new = load_report(a.old), load_report(a.new)
    n = len(old["predictions"])
    assert n == len(new["predictions"]) <= len(refs), "reports of different rows"
    refs = refs[:n]
    b_old = [100 * sentence_bleu(p["value"], r) for p, r in zip(old["predictions"], refs)]
    b_new = [100 * sentence_bleu(p["value"], r) for p, r in zip(new["predictions"], refs)]
    for name, rep, b in (("old", old, b_old), ("new", new, b_new)):
        mine = sum(b) / n
        theirs = rep["scores"]["bleu"]
        status = "matches" if abs(mine - theirs) < 1e-6 else "DIFFERS FROM"
        print(f"{name}: BLEU {mine:.4f} ({status} the report's {theirs:.4f}),"
              f" rejected {rep['scores']['rejected']}")
    changed = [i for i in range(n) if old["predictions"][i]["raw"] != new["predictions"][i]["raw"]]
    diffs = [b_new[i] - b_old[i] for i in range(n)]
    better = sum(d > 0 for d in diffs)
    worse = sum(d < 0 for d in diffs)
    print(f"rows {n}, answers changed {len(changed)}"
          f" (BLEU up {better}, down {worse}, same {len(changed) - better - worse})")
    for i in changed:
        print(f"  row {i:3}: {b_old[i]:6.2f} -> {b_new[i]:6.2f} ({diffs[i]:+6.2f})")
        print(f"      old: {old['predictions'][i]['value']!r}")
        print(f"      new: {new['predictions'][i]['value']!r}")
    mean = sum(diffs) / n
    rng = random.Random(a.seed)
    boots = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(a.resamples))
    lo, hi = boots[int(0.025 * a.resamples)], boots[int(0.975 * a.resamples) - 1]
    share = sum(b < 0 for b in boots) / a.resamples
    print(f"mean BLEU difference (new - old) {mean:+.3f}, paired bootstrap 95 % interval"
          f" [{lo:+.3f}, {hi:+.3f}] ({a.resamples} resamples; {100 * share:.1f} % of them below 0)")


if __name__ == "__main__":
    main()
