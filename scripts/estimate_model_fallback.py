#!/usr/bin/env python3
"""What a statistical fallback would add, measured before it is built.

Trains a character 2-/3-gram naive Bayes route model on the corpus files
(leaving out the ones named with --hold-out), classifies the held-out
records with fenliu and with the model, and prints three accuracies: the
rules as they are, the model alone, and the rules with the model deciding
only where no rule fired (today the knowledge-base vote or the fallback
decides those). Run from the repository root after `cargo build --release`:

    python3 scripts/estimate_model_fallback.py \
        --hold-out corpus/fresh-62.jsonl corpus/fresh-66.jsonl corpus/fresh-67.jsonl [more.jsonl ...]
"""
import argparse
import collections
import glob
import json
import math
import re
import subprocess
import sys
import tempfile


def grams(text):
    t = re.sub(r"\s+", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)} | {t[i:i + 3] for i in range(len(t) - 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hold-out", nargs="+", required=True, help="JSONL files to test on (never trained on)")
    ap.add_argument("--min-count", type=int, default=1, help="keep n-grams seen in at least this many records")
    ap.add_argument("--bin", default="target/release/fenliu")
    a = ap.parse_args()
    held = set(a.hold_out)
    train = [json.loads(l) for f in sorted(glob.glob("corpus/*.jsonl")) if f not in held for l in open(f, encoding="utf-8")]
    test = [json.loads(l) for f in a.hold_out for l in open(f, encoding="utf-8")]

    prior = collections.Counter(r["route"] for r in train)
    counts = {k: collections.Counter() for k in prior}
    for r in train:
        counts[r["route"]].update(grams(r["text"]))
    if a.min_count > 1:
        total = collections.Counter()
        for c in counts.values():
            total.update(c)
        keep = {g for g, n in total.items() if n >= a.min_count}
        counts = {k: collections.Counter({g: n for g, n in c.items() if g in keep}) for k, c in counts.items()}
    features = len(set().union(*counts.values()))

    def predict(text):
        gs = grams(text)
        score = {}
        for k in prior:
            s = math.log(prior[k] / len(train))
            for g in gs:
                s += math.log((counts[k][g] + 0.1) / (prior[k] + 0.2))
            score[k] = s
        return max(score, key=score.get)

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as f:
        for r in test:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
        path = f.name
    out = subprocess.run([a.bin, "classify", "--input", path], capture_output=True, text=True, check=True).stdout
    decided = {d["id"]: d for d in map(json.loads, out.splitlines())}

    rules = model = mixed = no_rule = no_rule_rules = no_rule_model = 0
    for r in test:
        d = decided[r["id"]]
        p = predict(r["text"])
        rules += d["route"] == r["route"]
        model += p == r["route"]
        if d["explanation"].get("deciding_rule"):
            mixed += d["route"] == r["route"]
        else:
            no_rule += 1
            no_rule_rules += d["route"] == r["route"]
            no_rule_model += p == r["route"]
            mixed += p == r["route"]
    n = len(test)
    print(f"trained on {len(train)} records, {features} n-grams; tested on {n} held-out records")
    print(f"rules as they are:            accuracy {rules / n:.3f}")
    print(f"model alone:                  accuracy {model / n:.3f}")
    print(f"rules, model where no rule:   accuracy {mixed / n:.3f}")
    print(f"no rule fired on {no_rule}: today's fallback right on {no_rule_rules}, the model on {no_rule_model}")


if __name__ == "__main__":
    sys.exit(main())
