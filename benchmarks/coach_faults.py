"""Fault detection on synthesised sets with planted faults: precision and recall of (rep, fault) for
the paper's coach and ours.

    python benchmarks/coach_faults.py [--sets-per-fault 4]

Two populations: the catalog's faults at the rep's turning point (the goal's figure), and posture faults
planted on the way down or up only, with the share of them whose phase the coach names right. Each is run
on the whole catalog and on the 30 exercises the catalog first had (the population the floor of
0.93 / 0.92 was set on), each from the same seed so the original population's sets are the ones it
always had; faults missed are listed by exercise.

    python benchmarks/coach_faults.py [--sets-per-fault 4] [--only full|original]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from gyml.coach.session import coach_session
from gyml.report.analysis import ExercisePrediction
from gyml.reps.counter import count_reps
from gyml.synth.catalog import CATALOG
from gyml.synth.faults import FAULT_PHASES, PHASED_FAULTS
from gyml.synth.motion import synthesize

# The catalog as first shipped (gyml/synth/catalog.py before wall and handstand push-ups, side plank and
# wall sit were added).
ORIGINAL_30 = ("squat", "push_up", "kneeling_push_up", "plank", "lunge", "jumping_jack", "clap_jack", "sit_up",
               "shoulder_bridge", "pull_up", "dip", "bench_press", "svend_press", "chest_fly", "front_raise",
               "lateral_raise", "shoulder_press", "bicep_curl", "alternate_curl", "deadlift", "high_knees",
               "butt_kicks", "sumo_squat", "squat_jump", "squat_arm_lift", "bent_over_row", "tricep_extension",
               "knee_raise_crunch", "run_in_place", "russian_twist")


def run(cases, rng) -> tuple[dict, dict, list[int], dict]:
    """cases: (exercise, fault name) pairs, each planted on two random reps of an 8-rep set. Returns the
    (rep, kind) tallies per coach, ours per kind, [right phase, found] for faults planted in a phase, and
    ours per (exercise, kind) that was missed or found where none was planted."""
    tally = {m: {"tp": 0, "fp": 0, "fn": 0} for m in ("paper", "gyml")}
    per_kind: dict[str, dict[str, int]] = {}
    per_exercise: dict[tuple[str, str], dict[str, int]] = {}
    phase_right = [0, 0]
    for label, name in cases:
        spec = CATALOG[label]
        kind, _, phase = name.partition(":")
        reps = 8
        planted = {int(r): name for r in rng.choice(np.arange(1, reps + 1), 2, replace=False)}
        seq = synthesize(label, reps, planted, seed=int(rng.integers(1 << 30)))
        pred = ExercisePrediction(label, spec.name, 1.0)
        truth = {(r, kind) for r in planted}
        counted = count_reps(seq, "gyml")   # both coaches judge the same reps
        for method, counts in tally.items():
            feedback, extras = coach_session(seq, counted, pred, method=method)
            if method == "gyml":
                found = {(m["rep"], f) for m in extras.get("rep_metrics", []) for f in m["faults"]}
                if phase:
                    for m in extras.get("rep_metrics", []):
                        if (m["rep"], kind) in truth and kind in m["fault_phases"]:
                            phase_right[1] += 1
                            phase_right[0] += m["fault_phases"][kind] == phase
            else:
                found = {(f.rep, kind) for f in feedback}  # the paper's coach flags a rep, not a kind
            counts["tp"] += len(found & truth)
            counts["fp"] += len(found - truth)
            counts["fn"] += len(truth - found)
            if method == "gyml":
                for (_, k) in found | truth:
                    per_kind.setdefault(k, {"tp": 0, "fp": 0, "fn": 0})
                for _, k in found & truth:
                    per_kind[k]["tp"] += 1
                for _, k in found - truth:
                    per_kind[k]["fp"] += 1
                for _, k in truth - found:
                    per_kind[k]["fn"] += 1
                for what, pairs in (("fp", found - truth), ("fn", truth - found)):
                    for _, k in pairs:
                        per_exercise.setdefault((label, k), {"fp": 0, "fn": 0})[what] += 1
    return tally, per_kind, phase_right, per_exercise


def show_exercises(per_exercise) -> None:
    if per_exercise:
        print("gyml coach misses (fn) and false finds (fp) by exercise: " + ", ".join(
            f"{label} {kind} {t['fn']}fn/{t['fp']}fp" for (label, kind), t in sorted(per_exercise.items())))


def show(tally, per_kind) -> None:
    print(f"{'coach':<8}{'precision':>10}{'recall':>8}")
    for method, t in tally.items():
        p = t["tp"] / max(t["tp"] + t["fp"], 1)
        r = t["tp"] / max(t["tp"] + t["fn"], 1)
        print(f"{method:<8}{p:>10.3f}{r:>8.3f}")
    print(f"\ngyml coach per fault kind\n{'fault':<18}{'tp':>5}{'fp':>5}{'fn':>5}")
    for k, t in sorted(per_kind.items()):
        print(f"{k:<18}{t['tp']:>5}{t['fp']:>5}{t['fn']:>5}")


def population(labels: tuple[str, ...], sets_per_fault: int) -> None:
    rng = np.random.default_rng(0)
    at_turn = [(label, kind) for label in labels if not CATALOG[label].isometric
               for kind in CATALOG[label].faults for _ in range(sets_per_fault)]
    print("faults at the turning point (each exercise, each of its faults)")
    tally, per_kind, _, per_exercise = run(at_turn, rng)
    show(tally, per_kind)
    show_exercises(per_exercise)
    # The same posture faults on the way down or up only, the turning point clean: only a comparison of
    # the whole rep can find them.
    in_half = [(label, f"{kind}:{phase}") for label in labels if not CATALOG[label].isometric
               for kind in CATALOG[label].faults if kind in PHASED_FAULTS for phase in FAULT_PHASES
               for _ in range(sets_per_fault)]
    print("\nfaults on the way down or up only")
    tally, per_kind, phase_right, per_exercise = run(in_half, rng)
    show(tally, per_kind)
    show_exercises(per_exercise)
    print(f"phase named right: {phase_right[0]} / {phase_right[1]} of the faults found")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets-per-fault", type=int, default=4)
    ap.add_argument("--only", choices=("full", "original"), help="run one population")
    args = ap.parse_args()
    populations = {"full": ("the whole catalog", tuple(CATALOG)),
                   "original": ("the original 30 exercises", ORIGINAL_30)}
    for name, (title, labels) in populations.items():
        if args.only in (None, name):
            moving = sum(not CATALOG[label].isometric for label in labels)
            print(f"\n=== {title} ({moving} exercises with reps) ===")
            population(labels, args.sets_per_fault)
    return 0


if __name__ == "__main__":
    sys.exit(main())
