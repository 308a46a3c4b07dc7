"""Reps counted from their turning point, coached from their rest (gyml.coach.compare.in_phase_segments).

The class-agnostic counter sometimes cuts a set's reps at the turning point (arms up in a jumping jack,
chin over the bar): the clip began there, or that pose was its start pose. Compared with the gold "at the
top", such reps met the gold's top with their own rest, and were told on every rep that they moved 100+
degrees too little. Each real rep set of ../shared/data with its true exercise (built-in reference) is
coached twice, with and without the re-cut, and the reps with a fault are counted: per exercise over the
sets that are re-cut, and the number of sets whose coaching changed at all.

    PYTHONPATH=$PWD python benchmarks/coach_rep_phase.py
"""

from __future__ import annotations

from collections import defaultdict

from real_data import read_shared_recordings

from gyml.coach import compare
from gyml.coach.holds import is_hold
from gyml.pipeline import analyze_sequence
from gyml.synth.catalog import CATALOG


def faulted(seq, label: str, recut: bool) -> tuple[int, int, dict]:
    saved = compare.HALF_CYCLE_NEARER
    compare.HALF_CYCLE_NEARER = saved if recut else 0.0   # 0: never re-cut, the coach before
    try:
        analysis = analyze_sequence(seq, "set", exercise=label).analysis
    finally:
        compare.HALF_CYCLE_NEARER = saved
    metrics = analysis.extras.get("rep_metrics", [])
    return len(metrics), sum(bool(m["faults"]) for m in metrics), analysis.to_dict()


def main() -> int:
    read = read_shared_recordings(lambda r: r.label in CATALOG and not is_hold(r.label))
    if read is None:
        return 1
    by_exercise: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])   # sets, reps, before, after
    changed, sets = [], 0
    for recording, seq in read:
        reps, before, old = faulted(seq, recording.label, recut=False)
        _, after, new = faulted(seq, recording.label, recut=True)
        if not reps:
            continue
        sets += 1
        if new != old:
            changed.append((recording.path.name, recording.label, reps, before, after))
            row = by_exercise[recording.label]
            row[0] += 1
            row[1] += reps
            row[2] += before
            row[3] += after
    print(f"{len(changed)} of {sets} real rep sets coached differently (re-cut half a cycle); the others' "
          "analyses are identical\n")
    print(f"{'exercise':16s} {'sets':>4s} {'reps':>5s} {'reps with a fault: before':>26s} {'after':>6s}")
    for label, (n, reps, before, after) in sorted(by_exercise.items()):
        print(f"{label:16s} {n:4d} {reps:5d} {before:26d} {after:6d}")
    total = [sum(r[i] for r in by_exercise.values()) for i in range(4)]
    print(f"{'all':16s} {total[0]:4d} {total[1]:5d} {total[2]:26d} {total[3]:6d}\n")
    for name, label, reps, before, after in changed:
        print(f"  {name:34s} {label:14s} {reps:3d} reps, with a fault {before:3d} -> {after:3d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
