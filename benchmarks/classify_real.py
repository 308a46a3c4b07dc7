"""The default classifier (trained only on synthesised motion) on real data it never saw: RepCount-pose
dev sequences and the real videos, per class, with what each miss was taken for.

    python benchmarks/classify_real.py
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from real_data import all_sequences

from gyml.classify.default import UNKNOWN_BELOW, load_model, predict


def main() -> int:
    model = load_model()
    hits: dict[str, list[bool]] = defaultdict(list)
    taken_for: dict[str, Counter] = defaultdict(Counter)
    ranked = []   # (top label, its confidence, truth) to show the effect of the "unknown" threshold
    for item in all_sequences():
        pred = predict(model, item.seq)
        ranked.append((pred.top[0][0], pred.top[0][1], item.label))
        key = f"{item.source}:{item.label}"
        hits[key].append(pred.label == item.label)
        if pred.label != item.label:
            taken_for[key][pred.label] += 1
    total = [h for v in hits.values() for h in v]
    print(f"{'source:class':<26}{'n':>4}{'accuracy':>10}  misses taken for")
    for key in sorted(hits):
        misses = ", ".join(f"{k} {n}" for k, n in taken_for[key].most_common(3))
        print(f"{key:<26}{len(hits[key]):>4}{sum(hits[key]) / len(hits[key]):>10.2f}  {misses}")
    print(f"{'all':<26}{len(total):>4}{sum(total) / max(len(total), 1):>10.2f}")
    own = float(model.settings.get("unknown_below", UNKNOWN_BELOW))
    print("\naccuracy when 'unknown' is said below a confidence threshold (the model's own is marked *)")
    for threshold in sorted({0.0, 0.1, 0.2, 0.35, 0.5, own}):
        right = sum(conf >= threshold and label == truth for label, conf, truth in ranked)
        unknown = sum(conf < threshold for _, conf, _ in ranked)
        mark = "*" if threshold == own else " "
        print(f"{mark} {threshold:>5.2f}  accuracy {right / max(len(ranked), 1):.2f}  unknown {unknown}")
    print("\ncalibration: in each band of top-1 confidence, how often the top-1 label is right")
    print(f"{'confidence':<14}{'n':>4}{'mean conf':>11}{'accuracy':>10}")
    for lo, hi in ((0.0, 0.2), (0.2, 0.35), (0.35, 0.5), (0.5, 0.7), (0.7, 1.01)):
        band = [(conf, label == truth) for label, conf, truth in ranked if lo <= conf < hi]
        if band:
            mean_conf = sum(c for c, _ in band) / len(band)
            hit = sum(h for _, h in band) / len(band)
            print(f"{lo:.2f}-{min(hi, 1.0):.2f}    {len(band):>4}{mean_conf:>11.2f}{hit:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
