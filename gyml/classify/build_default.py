"""Rebuild the default model shipped in gyml/data: `python -m gyml.classify.build_default`.

It is trained only on synthesised motion (every catalog exercise, random bodies, tempi, depths,
camera angles, noise, dropouts, and planted faults), from joint-angle features, so it applies to any
pose source.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gyml.classify.datasets import Dataset
from gyml.classify.default import DEFAULT_MODEL
from gyml.classify.train import train
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import SynthConfig, synthesize


def synthetic_dataset(per_class: int, seed: int = 0, fault_share: float = 0.3, only: list[str] | None = None,
                      ) -> Dataset:
    rng = np.random.default_rng(seed)
    seqs, labels, names, files = [], [], {}, []
    for label, spec in CATALOG.items():
        if only and label not in only:
            continue
        names[label] = spec.name
        for i in range(per_class):
            reps = int(rng.integers(2, 13))
            faults = {}
            if spec.faults and not spec.isometric and rng.random() < fault_share:
                for rep in rng.choice(np.arange(1, reps + 1), size=min(reps, 2), replace=False):
                    faults[int(rep)] = str(rng.choice(spec.faults))
            cfg = SynthConfig(noise_m=float(rng.uniform(0.002, 0.02)), missing_rate=float(rng.uniform(0, 0.08)))
            seqs.append(synthesize(label, reps, faults, seed=int(rng.integers(1 << 30)), config=cfg))
            labels.append(label)
            files.append(f"{label}_{i}")
    return Dataset(seqs, labels, names, files)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--unknown-below", type=float, default=0.2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = synthetic_dataset(args.per_class, args.seed)
    print(f"synthesised {len(data.labels)} sequences in {time.perf_counter() - t0:.1f} s")
    result = train(data, features="angles", model="trees", pca=None, seed=args.seed)
    # A forest spreads its votes over look-alike exercises, so its top share is lower than a logistic
    # model's for the same certainty; 0.2 (six times the chance level of 30 classes) keeps "unknown"
    # for real doubt (benchmarks/classify_real.py prints accuracy at several thresholds).
    result.model.settings["unknown_below"] = args.unknown_below
    result.model.save(DEFAULT_MODEL)
    print(f"trained in {result.seconds:.1f} s; dev accuracy {result.metrics['dev']['accuracy']:.3f}, "
          f"test accuracy {result.metrics['test']['accuracy']:.3f}; saved {DEFAULT_MODEL}")
    print("its confidence is the raw vote share until calibrated on real recordings: "
          "python benchmarks/classify_real.py --calibrate")


if __name__ == "__main__":
    main()
