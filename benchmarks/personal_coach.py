"""Coaching a person's own exercise: the checks read from its gold (gyml.coach.compare.checks_from_gold)
against every check of the catalog, which is what such an exercise got before.

A movement the catalog does not describe has no list of faults; the coach now takes the checks its gold
supports (range and tempo always, one arm against the other where both arms move alike, trunk lean and
knees caving standing, hips off the line lying straight, elbows flaring where they bend).

1. Synthesised: every catalog exercise with reps coached as if it were a personal one (its catalog entry
   unused), against another synthesised take of it as gold: each of its catalog faults planted on reps 3
   and 6 of 8, two seeds, and clean sets. (rep, fault) precision and recall, "shallow" and "partial_range"
   counted as one (a personal exercise is told its range). Faults on clean sets per rep.
2. Real, without labels: RepCount's pommel horse (learned from one person's three sequences, the other
   person's two coached; the gold is the first one) and every UCF101 group coached against its own first
   clip as gold (one person, place and camera: their own reference, as a user would record it). Faults
   per rep; these sets are ordinary ones, so fewer is quieter, not proven right.

    PYTHONPATH=$PWD python benchmarks/personal_coach.py [--no-real]
"""

from __future__ import annotations

from collections import defaultdict

from real_data import SHARED, run_synthesised_then_real

from gyml.coach import session
from gyml.errors import GymlError
from gyml.pose.kinematics import Kinematics
from gyml.report.analysis import ExercisePrediction
from gyml.reps.counter import count_reps
from gyml.synth import synthesize
from gyml.synth.catalog import CATALOG
from gyml.synth.faults import FAULTS

RANGE = {"shallow": "range", "partial_range": "range"}
PLANTED_REPS = (3, 6)


def coach(seq, gold, label: str, from_gold: bool) -> list[dict]:
    """The rep metrics of `seq` coached as the personal exercise `label` against `gold`."""
    saved = session.checks_from_gold
    if not from_gold:   # what a personal exercise got before: every check, no moving joints named
        session.checks_from_gold = lambda gold_m, profile: (tuple(FAULTS), ())
    try:
        kinematics = Kinematics(seq)
        reps = count_reps(seq, kinematics=kinematics)
        prediction = ExercisePrediction(label, label, 1.0, [(label, 1.0)])
        _, extras = session.coach_session(seq, reps, prediction, gold=gold, kinematics=kinematics)
    finally:
        session.checks_from_gold = saved
    return extras.get("rep_metrics", [])


def synthesised() -> None:
    tally = {True: [0, 0, 0, 0], False: [0, 0, 0, 0]}   # right finds, finds, planted found, planted
    clean = {True: [0, 0], False: [0, 0]}               # faults, reps
    missed = defaultdict(int)
    for label, spec in CATALOG.items():
        if spec.isometric:
            continue
        for seed in (0, 1):
            gold = synthesize(label, 4, seed=100 + seed)
            for kind in (*spec.faults, None):
                plan = {r: kind for r in PLANTED_REPS} if kind else {}
                seq = synthesize(label, 8, plan, seed=seed)
                planted = {(r, RANGE.get(kind, kind)) for r in plan}
                for from_gold in (True, False):
                    metrics = coach(seq, gold, f"own_{label}", from_gold)
                    found = {(m["rep"], RANGE.get(f, f)) for m in metrics for f in m["faults"]}
                    if kind is None:
                        clean[from_gold][0] += len(found)
                        clean[from_gold][1] += len(metrics)
                        continue
                    t = tally[from_gold]
                    t[0] += len(found & planted)
                    t[1] += len(found)
                    t[2] += len(planted & found)
                    t[3] += len(planted)
                    if from_gold:
                        for miss in planted - found:
                            missed[(label, miss[1])] += 1
    print("synthesised sets coached as a personal exercise (each catalog exercise, its faults on reps 3 and 6, "
          "2 seeds; gold: another take)")
    for from_gold, name in ((True, "checks read from the gold (shipped)"), (False, "every check (before)")):
        right, finds, hit, planted = tally[from_gold]
        faults, reps = clean[from_gold]
        print(f"  {name:38s} precision {right / max(finds, 1):.3f} ({right}/{finds}), recall {hit / max(planted, 1):.3f} "
              f"({hit}/{planted}); clean sets: {faults} faults on {reps} reps")
    worst = sorted(missed.items(), key=lambda kv: -kv[1])[:8]
    print("  most missed (exercise, fault: planted reps missed): "
          + ", ".join(f"{label} {kind} {n}" for (label, kind), n in worst))


def real() -> None:
    from gyml.pose.readers import read_pose

    print("\nreal sets coached against their own person's recording, no labels: faults / reps")
    dev = SHARED / "repcount_pose" / "dev"
    groups: dict[str, list] = defaultdict(list)
    if (dev / "stu13_30.npy").exists():
        groups["RepCount pommel horse"] = [dev / f"{n}.npy" for n in ("stu13_30", "stu12_31", "stu12_33")]
    for path in sorted((SHARED / "ucf101" / "poses").glob("v_*.npz")):
        _, cls, _, _ = path.stem.split("_")
        groups[f"UCF101 {cls}"].append(path)
    for name, paths in groups.items():
        by_group: dict[str, list] = defaultdict(list)
        for p in paths:
            by_group[p.stem.split("_")[2] if name.startswith("UCF101") else "pommel"].append(p)
        cells = {True: [0, 0], False: [0, 0]}
        for members in by_group.values():
            if len(members) < 2:
                continue
            gold = read_pose(members[0])
            for p in members[1:]:
                seq = read_pose(p)
                for from_gold in (True, False):
                    try:
                        metrics = coach(seq, gold, "own_exercise", from_gold)
                    except GymlError:   # a first clip without a counted rep is no gold: nothing coached
                        metrics = []
                    cells[from_gold][0] += sum(len(m["faults"]) for m in metrics)
                    cells[from_gold][1] += len(metrics)
        print(f"  {name:28s} read from the gold {cells[True][0]:4d} / {cells[True][1]:4d}    "
              f"every check {cells[False][0]:4d} / {cells[False][1]:4d}")


def main() -> int:
    return run_synthesised_then_real(synthesised, real)


if __name__ == "__main__":
    raise SystemExit(main())
