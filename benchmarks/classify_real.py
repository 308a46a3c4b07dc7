"""The default classifier (trained only on synthesised motion) on real data it never saw: RepCount-pose
dev sequences and the real videos, per class, with what each miss was taken for; then how well its
confidence is calibrated, raw and after Platt scaling measured out of fold (leave one recording out).

    python benchmarks/classify_real.py [--calibrate]

--calibrate fits the confidence map on all these recordings and stores it in the shipped model file
(gyml/data/default_model.gyml): the classifier itself never sees them, its confidence does.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict

import numpy as np
from real_data import all_sequences

from gyml.classify.calibration import expected_calibration_error, fit_calibration, out_of_fold
from gyml.classify.default import CALIBRATED_UNKNOWN_BELOW, DEFAULT_MODEL, UNKNOWN_BELOW, load_model
from gyml.classify.features import angle_features

BANDS = ((0.0, 0.2), (0.2, 0.35), (0.35, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))


def bands(confidence: np.ndarray, correct: np.ndarray) -> None:
    print(f"{'confidence':<14}{'n':>4}{'mean conf':>11}{'accuracy':>10}")
    for lo, hi in BANDS:
        inside = (confidence >= lo) & (confidence < hi)
        if inside.any():
            print(f"{lo:.2f}-{min(hi, 1.0):.2f}    {inside.sum():>4}{confidence[inside].mean():>11.2f}"
                  f"{correct[inside].mean():>10.2f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibrate", action="store_true", help="store the fitted map in the shipped model")
    args = ap.parse_args()
    model = load_model()
    classes = np.array(model.estimator.classes_)
    items = all_sequences()
    proba = model.predict_proba(np.stack([angle_features(item.seq) for item in items]))
    top = classes[np.argmax(proba, axis=1)]
    share = proba.max(axis=1)
    truth = np.array([item.label for item in items])
    correct = top == truth
    calibrated = out_of_fold(share, correct)
    threshold = CALIBRATED_UNKNOWN_BELOW
    said = np.where(calibrated >= threshold, top, "unknown")

    hits: dict[str, list[bool]] = defaultdict(list)
    taken_for: dict[str, Counter] = defaultdict(Counter)
    for item, label in zip(items, said):
        key = f"{item.source}:{item.label}"
        hits[key].append(label == item.label)
        if label != item.label:
            taken_for[key][label] += 1
    print(f"'unknown' below a calibrated confidence of {threshold} (out of fold)")
    print(f"{'source:class':<26}{'n':>4}{'accuracy':>10}  misses taken for")
    for key in sorted(hits):
        misses = ", ".join(f"{k} {n}" for k, n in taken_for[key].most_common(3))
        print(f"{key:<26}{len(hits[key]):>4}{np.mean(hits[key]):>10.2f}  {misses}")
    print(f"{'all':<26}{len(items):>4}{np.mean(said == truth):>10.2f}   (top-1, never 'unknown': "
          f"{correct.mean():.2f})")

    print("\naccuracy and 'unknown' count by threshold: on the raw vote share, and on the calibrated confidence")
    raw_own = float(model.settings.get("unknown_below", UNKNOWN_BELOW))
    for name, conf, marks in (("raw share", share, {raw_own}), ("calibrated", calibrated, {threshold})):
        for t in sorted({0.1, 0.2, 0.35, 0.5, 0.7} | marks):
            answered = conf >= t
            mark = "*" if t in marks else " "
            print(f"{mark} {name:<11}{t:>5.2f}  accuracy {np.mean(answered & correct):.2f}  unknown "
                  f"{int((~answered).sum()):>3}  right when answered {correct[answered].mean() if answered.any() else 0:.2f}")

    print("\ncalibration of the raw vote share")
    bands(share, correct)
    print(f"expected calibration error {expected_calibration_error(share, correct):.3f}")
    print("\ncalibrated (Platt scaling, each recording's map fitted without it)")
    bands(calibrated, correct)
    print(f"expected calibration error {expected_calibration_error(calibrated, correct):.3f}")

    if args.calibrate:
        fitted = fit_calibration(share, correct, fitted_on="RepCount-pose dev + gyml's real videos")
        model.settings["calibration"] = fitted.to_dict()
        model.settings["calibrated_unknown_below"] = threshold
        model.save(DEFAULT_MODEL)
        print(f"\nstored calibration {fitted.to_dict()} in {DEFAULT_MODEL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
