"""A person's own exercise learned from 3 recordings, recognised on new recordings of it.

    python benchmarks/personal_exercise.py            # the figures on real UCF101 clips
    python benchmarks/personal_exercise.py --choose   # also choose the threshold rule on RepCount dev

Each of UCF101's 7 classes is held out in turn and treated as an exercise the catalog lacks: the personal
matcher (gyml.classify.personal) learns it from 3 clips of one group (one person, place and camera), and is
tested on the class's clips of every OTHER group (recall) and on all clips of the other 6 classes (false
accepts). Every group of the class takes its turn as the one learned from. The default model plays no part
(it knows some of these classes): the matcher decides alone, against synthesised sets of the catalog's other
exercises (the held-out class taken out of them), as it does in gyml.

The threshold rule (SPREAD_FACTOR, MIN_THRESHOLD) is chosen with --choose on other real data, RepCount-pose
dev, never on the UCF101 clips reported here.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from rich.progress import Progress

from gyml.classify import personal
from gyml.pose.sequence import PoseSequence

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def ucf101_features(progress: Progress) -> tuple[np.ndarray, list[str], list[str]]:
    folder = SHARED / "ucf101"
    with open(folder / "labels.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if (folder / "poses" / r["video"].replace(".avi", ".npz")).exists()]
    task = progress.add_task("UCF101 features", total=len(rows))
    X, labels, groups = [], [], []
    for r in rows:
        seq = PoseSequence.load(folder / "poses" / r["video"].replace(".avi", ".npz"))
        X.append(personal.sequence_features(seq))
        labels.append(r["exercise"])
        groups.append(r["group"])
        progress.advance(task)
    return np.stack(X), labels, groups


def held_out_trials(labels: list[str], groups: list[str]) -> list[tuple[str, list[int], list[int], list[int]]]:
    """(class, 3 examples of one group, the class's clips of other groups, other classes' clips)."""
    labels_a, groups_a = np.array(labels), np.array(groups)
    trials = []
    for cls in sorted(set(labels)):
        mine = np.where(labels_a == cls)[0]
        others = [int(i) for i in np.where(labels_a != cls)[0]]
        for g in sorted(set(groups_a[mine]), key=lambda x: (len(x), x)):
            in_group = [int(i) for i in mine if groups_a[i] == g]
            if len(in_group) < 3:
                continue
            positives = [int(i) for i in mine if groups_a[i] != g]
            trials.append((cls, in_group[:3], positives, others))
    return trials


def score_trials(X: np.ndarray, trials, background: personal.Background, factor: float, floor: float,
                 margin: float | None) -> dict:
    """Per class: accepted/total of its other-group clips, and of the other classes' clips. The held-out
    class is taken out of the catalog background too (the catalog would not have it); margin None: the
    threshold alone, without the background."""
    scale = background.scale
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"recall": [0, 0], "false": [0, 0]})
    for cls, examples, positives, negatives in trials:
        E = X[examples]
        threshold = personal.learned_threshold(personal.own_spread(E, scale), factor, floor)
        known = background.without(cls)
        for key, idx in (("recall", positives), ("false", negatives)):
            for i in idx:
                d = personal.distances(X[i], E, scale).min()
                accepted = d < threshold
                if margin is not None:
                    accepted &= d < margin * personal.distances(X[i], known, scale).min()
                out[cls][key][0] += int(accepted)
                out[cls][key][1] += 1
    return out


def show(result: dict, title: str) -> None:
    print(f"\n{title}\n{'held-out class':<20}{'recall':>16}{'false accepts':>22}")
    recalls, falses = [], []
    for cls, t in sorted(result.items()):
        r, f = t["recall"], t["false"]
        recalls.append(r[0] / max(r[1], 1))
        falses.append(f[0] / max(f[1], 1))
        print(f"{cls:<20}{recalls[-1]:>7.2f} ({r[0]:>4}/{r[1]:<4}){falses[-1]:>9.3f} ({f[0]:>5}/{f[1]:<5})")
    print(f"{'mean over classes':<20}{np.mean(recalls):>7.2f}{'':>11}{np.mean(falses):>9.3f}")


def repcount_trials(progress: Progress):
    """RepCount-pose dev (real, 7 classes, mostly one sequence a person): each run of 3 sequences of a class
    learned from, the class's other sequences and the other classes' tested."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from real_data import repcount_sequences

    found = repcount_sequences()
    task = progress.add_task("RepCount dev features", total=len(found))
    X, labels = [], []
    for r in found:
        X.append(personal.sequence_features(r.seq))
        labels.append(r.label)
        progress.advance(task)
    labels_a = np.array(labels)
    trials = []
    for cls in sorted(set(labels)):
        mine = [int(i) for i in np.where(labels_a == cls)[0]]
        for k in range(0, len(mine) - 3, 3):
            examples = mine[k:k + 3]
            trials.append((cls, examples, [i for i in mine if i not in examples],
                           [int(i) for i in np.where(labels_a != cls)[0]]))
    return np.stack(X), trials


def choose(progress: Progress, background: personal.Background) -> tuple[float, float, float]:
    """The rule with the best recall minus false accepts on RepCount dev (not on UCF101, which is
    reported)."""
    X, trials = repcount_trials(progress)
    best = None
    print("\nthreshold rule on RepCount-pose dev (recall, false accepts: means over classes)")
    for margin in (0.8, 1.0, 1.25):
        for factor in (1.0, 1.5, 2.0):
            for floor in (0.2, 0.3, 0.4, 0.5, 0.6, 0.8):
                res = score_trials(X, trials, background, factor, floor, margin)
                recall = np.mean([t["recall"][0] / max(t["recall"][1], 1) for t in res.values()])
                false = np.mean([t["false"][0] / max(t["false"][1], 1) for t in res.values()])
                print(f"  margin {margin:<5} factor {factor:<4} floor {floor:<5} recall {recall:.3f}  "
                      f"false accepts {false:.4f}")
                if best is None or recall - false > best[0] + 1e-9:
                    best = (recall - false, factor, floor, margin)
    print(f"chosen: factor {best[1]}, floor {best[2]}, margin {best[3]} (shipped: {personal.SPREAD_FACTOR}, "
          f"{personal.MIN_THRESHOLD}, {personal.MARGIN})")
    return best[1], best[2], best[3]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--choose", action="store_true", help="choose the threshold rule on RepCount dev")
    args = ap.parse_args()
    if not (SHARED / "ucf101" / "labels.csv").exists():
        print(f"needs {SHARED / 'ucf101'}")
        return 1
    with Progress(transient=True) as progress:
        task = progress.add_task("catalog background (synthesised once, then kept)", total=None)
        background = personal.catalog_background()
        progress.remove_task(task)
        rule = choose(progress, background) if args.choose else \
            (personal.SPREAD_FACTOR, personal.MIN_THRESHOLD, personal.MARGIN)
        X, labels, groups = ucf101_features(progress)
    trials = held_out_trials(labels, groups)
    factor, floor, margin = rule
    print(f"\n{len(labels)} UCF101 clips, {len(trials)} trials (class x group learned from)")
    show(score_trials(X, trials, background, factor, floor, margin),
         f"UCF101, learned from 3 clips of one group, tested on other groups (factor {factor}, floor {floor}, "
         f"catalog margin {margin}): the shipped matcher")
    show(score_trials(X, trials, background, factor, floor, None),
         "the same without the catalog background (threshold alone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
