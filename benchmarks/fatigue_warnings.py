"""Fatigue warnings (the person's own best reps, gyml/coach/own_reference.py): told only for the reps that
end the set (`closing_run`, sought among the reps after the last of the best ones), against the closing run
over the whole set (the rule before) and every rep behind the best ones wherever it falls (the first one).

Synthesised sets (squat, push-up, lunge, front raise; seeds 0-3): 10 reps whose last three fade (the
catalog's shallow fault: fatigue, to be told), whose first three do (a warm-up: not fatigue), or whose
third and sixth do (one-offs: told by the reference, not fatigue). Then every real rep set of ../shared/data
with its true exercise and the built-in reference: how many sets and reps get a fatigue warning, how many
of those reps open the set (its first third), and that the faults are the same either way.

    PYTHONPATH=$PWD python benchmarks/fatigue_warnings.py [--no-real]
"""

from __future__ import annotations

from real_data import read_shared_recordings, run_synthesised_then_real

from gyml.coach import own_reference
from gyml.coach.holds import is_hold
from gyml.pipeline import analyze_sequence
from gyml.synth import SynthConfig, synthesize
from gyml.synth.catalog import CATALOG

WARNINGS = ("shallower_than_best", "slower_than_best", "posture_drift")
PLANS = {"fading (reps 8-10)": (8, 9, 10), "warm-up (reps 1-3)": (1, 2, 3), "one-offs (reps 3, 6)": (3, 6)}
EXERCISES = ("squat", "push_up", "lunge", "front_raise")


# How warnings are chosen: the shipped rule, the closing run over the whole set (before the run was sought
# only after the last best rep), and every rep behind the best ones wherever it falls (the first design).
RULES = {"closing run after the best reps (shipped)": (True, True), "closing run over the whole set": (True, False),
         "every rep behind the best": (False, False)}


def analyse(seq, label: str, rule: tuple[bool, bool]):
    closing, after_best = rule
    saved = own_reference.CLOSING_SHARE, own_reference.CLOSING_REPS, own_reference.AFTER_LAST_BEST
    own_reference.AFTER_LAST_BEST = after_best
    if not closing:
        own_reference.CLOSING_SHARE, own_reference.CLOSING_REPS = 0.0, 1
    try:
        return analyze_sequence(seq, "set", exercise=label).analysis
    finally:
        own_reference.CLOSING_SHARE, own_reference.CLOSING_REPS, own_reference.AFTER_LAST_BEST = saved


def warned(analysis) -> set[int]:
    return {r for f in analysis.feedback if f.kind in WARNINGS for r in f.reps}


def faults(analysis) -> list:
    return [m["faults"] for m in analysis.extras.get("rep_metrics", [])]


def synthesised() -> None:
    print("synthesised sets of 10 reps (4 exercises x 4 seeds): sets with a fatigue warning on the planted reps / "
          "with one elsewhere, " + " / ".join(RULES))
    for plan, planted in PLANS.items():
        cells = []
        for rule in RULES.values():
            on, off, n = 0, 0, 0
            for label in EXERCISES:
                for seed in range(4):
                    seq = synthesize(label, 10, {r: "shallow" if "shallow" in CATALOG[label].faults
                                                 else "partial_range" for r in planted}, seed=seed,
                                     config=SynthConfig(randomize=False, noise_m=0.004))
                    told = warned(analyse(seq, label, rule))
                    n += 1
                    on += bool(told & set(planted))
                    off += bool(told - set(planted))
            cells.append(f"{on:2d} / {off:2d} of {n}")
        print(f"  {plan:22s} " + "    ".join(f"{c:>14s}" for c in cells))


def real() -> None:

    read = read_shared_recordings(lambda r: r.label in CATALOG and not is_hold(r.label))
    if read is None:
        return
    tally = {name: [0, 0, 0] for name in RULES}   # sets warned, reps warned, of them in the first third
    sets = reps = 0
    same_faults = True
    for _, seq in read:
        label = _.label
        results = {name: analyse(seq, label, rule) for name, rule in RULES.items()}
        shipped, *others = results.values()
        if not shipped.reps["count"]:
            continue
        sets += 1
        reps += len(shipped.extras.get("rep_metrics", []))
        same_faults &= all(faults(shipped) == faults(other) for other in others)
        for name, analysis in results.items():
            told = warned(analysis)
            order = [m["rep"] for m in analysis.extras.get("rep_metrics", [])]
            opening = set(order[:len(order) // 3])
            tally[name][0] += bool(told)
            tally[name][1] += len(told)
            tally[name][2] += len(told & opening)
    print(f"\nreal rep sets with their true exercise, built-in reference: {sets} sets, {reps} reps")
    for name, (s, r, first) in tally.items():
        print(f"  {name:42s} sets warned {s:3d}, reps warned {r:4d}, of them in the set's first third {first:3d}")
    print(f"  faults identical every way: {'yes' if same_faults else 'NO'}")


def main() -> int:
    return run_synthesised_then_real(synthesised, real)


if __name__ == "__main__":
    raise SystemExit(main())
