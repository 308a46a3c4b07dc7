"""The re-framed training videos (build_default.FRAMED_PER_CLASS) against the seed's spread: out-of-fold
accuracy with and without them, on the folds without UCF101 group 15 (the group no choice looks at),
for several seeds, in one run.

    python benchmarks/framing_seeds.py [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from gyml.classify.build_default import (
    HELD_OUT_GROUPS,
    out_of_fold_proba,
    real_table,
    shared_recordings,
    synth_table,
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()
    recordings = [r for r in shared_recordings() if r.group not in HELD_OUT_GROUPS]
    if not recordings:
        print("no real data found (../shared/data)")
        return 1
    framed, _ = real_table(recordings)
    plain = replace(framed, X_framed=None, framed_of=None)
    print(f"{len(framed.labels)} real recordings, {0 if framed.X_framed is None else len(framed.X_framed)} "
          "re-framed readings of their videos")
    print(f"{'seed':<6}{'recipe':<22}{'UCF101':>8}{'RepCount':>10}{'all real':>10}")
    for seed in args.seeds:
        synth = synth_table(20, seed)
        for name, table in (("with framings", framed), ("without", plain)):
            proba, classes = out_of_fold_proba(table, synth, seed)
            pred = classes[np.argmax(proba, axis=1)]
            acc = [np.mean(pred[table.sources == s] == table.labels[table.sources == s]) for s in ("ucf101", "repcount")]
            print(f"{seed:<6}{name:<22}{acc[0]:>8.3f}{acc[1]:>10.3f}{np.mean(pred == table.labels):>10.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
