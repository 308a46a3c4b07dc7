"""Fatigue warnings (the person's own best reps, gyml/coach/own_reference.py): told only for the reps that
end the set (`closing_run`, sought among the reps after the last of the best ones), against the closing run
over the whole set (the rule before) and every rep behind the best ones wherever it falls (the first one).

Synthesised sets (squat, push-up, lunge, front raise; seeds 0-3): 10 reps whose last three fade (the
catalog's shallow fault: fatigue, to be told), whose first three do (a warm-up: not fatigue), or whose
third and sixth do (one-offs: told by the reference, not fatigue). Then every real rep set of ../shared/data
with its true exercise and the built-in reference: how many sets and reps get a fatigue warning, how many
of those reps open the set (its first third), how many posture drifts are told and how many of them are
beyond 90 degrees (a turn from upright to lying: a broken reading, not a tired body), and that the faults
are the same either way. The shipped rule compares only reps read plausibly (own_reference.read_plausibly);
"without the reading check" is the rule before it, and the sets whose reps after the best ones were not
compared for it are counted (the report's note).

    PYTHONPATH=$PWD python benchmarks/fatigue_warnings.py [--no-real]
"""

from __future__ import annotations

from real_data import read_shared_recordings, run_synthesised_then_real

from gyml.coach import own_reference, session
from gyml.coach.holds import is_hold
from gyml.pipeline import analyze_sequence
from gyml.synth import SynthConfig, synthesize
from gyml.synth.catalog import CATALOG

WARNINGS = ("shallower_than_best", "slower_than_best", "posture_drift")
PLANS = {"fading (reps 8-10)": (8, 9, 10), "warm-up (reps 1-3)": (1, 2, 3), "one-offs (reps 3, 6)": (3, 6)}
EXERCISES = ("squat", "push_up", "lunge", "front_raise")
# Sets whose posture drifts on their last three reps (the catalog's posture faults): the drift is to be told.
DRIFTING = {"squat": "forward_lean", "lunge": "forward_lean", "push_up": "hips_sag"}


# How warnings are chosen: the shipped rule, the same without the per-rep reading check (every rep compared,
# however it was read), the closing run over the whole set (before the run was sought only after the last
# best rep), and every rep behind the best ones wherever it falls (the first design).
SHIPPED = "closing run after the best reps (shipped)"
RULES = {SHIPPED: (True, True, True), "  the same without the reading check": (True, True, False),
         "closing run over the whole set": (True, False, False), "every rep behind the best": (False, False, False)}
ABSURD_DRIFT = 90.0   # degrees: the trunk or the body line turned from upright to lying, or lying to upright

told_drifts: list[float] = []   # the posture drifts (degrees) of the last analysis, rep by rep
unread_reps: list[int] = []     # its reps after the best ones not compared for their reading


def _recording(*args, **kwargs):
    result = own_reference.own_reference(*args, **kwargs)
    told_drifts[:] = [f.value for f in result.findings if f.kind == "posture_drift"]
    unread_reps[:] = result.unread
    return result


session.own_reference = _recording


def analyse(seq, label: str, rule: tuple[bool, bool, bool]):
    closing, after_best, reading = rule
    saved = (own_reference.CLOSING_SHARE, own_reference.CLOSING_REPS, own_reference.AFTER_LAST_BEST,
             own_reference.READING_CHECK)
    own_reference.AFTER_LAST_BEST, own_reference.READING_CHECK = after_best, reading
    if not closing:
        own_reference.CLOSING_SHARE, own_reference.CLOSING_REPS = 0.0, 1
    told_drifts.clear()
    unread_reps.clear()
    try:
        return analyze_sequence(seq, "set", exercise=label).analysis
    finally:
        (own_reference.CLOSING_SHARE, own_reference.CLOSING_REPS, own_reference.AFTER_LAST_BEST,
         own_reference.READING_CHECK) = saved


def warned(analysis) -> set[int]:
    return {r for f in analysis.feedback if f.kind in WARNINGS for r in f.reps}


def faults(analysis) -> list:
    return [m["faults"] for m in analysis.extras.get("rep_metrics", [])]


def synthesised() -> None:
    print("synthesised sets of 10 reps (4 exercises x 4 seeds): sets with a fatigue warning on the planted reps / "
          "with one elsewhere, " + " / ".join(name.strip() for name in RULES))
    drifts = []   # shipped rule
    for plan, planted in PLANS.items():
        cells = []
        for name, rule in RULES.items():
            on, off, n = 0, 0, 0
            for label in EXERCISES:
                for seed in range(4):
                    seq = synthesize(label, 10, {r: "shallow" if "shallow" in CATALOG[label].faults
                                                 else "partial_range" for r in planted}, seed=seed,
                                     config=SynthConfig(randomize=False, noise_m=0.004))
                    told = warned(analyse(seq, label, rule))
                    if name == SHIPPED:
                        drifts += told_drifts
                    n += 1
                    on += bool(told & set(planted))
                    off += bool(told - set(planted))
            cells.append(f"{on:2d} / {off:2d} of {n}")
        print(f"  {plan:22s} " + "    ".join(f"{c:>14s}" for c in cells))
    cells = []
    for name, rule in RULES.items():
        on = 0
        for label, fault in DRIFTING.items():
            for seed in range(4):
                seq = synthesize(label, 10, {r: fault for r in (8, 9, 10)}, seed=seed,
                                 config=SynthConfig(randomize=False, noise_m=0.004))
                analysis = analyse(seq, label, rule)
                on += bool({r for f in analysis.feedback if f.kind == "posture_drift" for r in f.reps} & {8, 9, 10})
                if name == SHIPPED:
                    drifts += told_drifts
        cells.append(f"{on:2d} of {4 * len(DRIFTING)}")
    print(f"  {'drifting (reps 8-10)':22s} " + "    ".join(f"{c:>14s}" for c in cells)
          + "   (posture drift told; forward lean / hips sag, squat, lunge, push-up)")
    print(f"  posture drifts told (shipped): {len(drifts)} reps" + (f", {min(drifts):.0f}-{max(drifts):.0f} degrees"
                                                                  if drifts else ""))


def real() -> None:

    read = read_shared_recordings(lambda r: r.label in CATALOG and not is_hold(r.label))
    if read is None:
        return
    # sets warned, reps warned, of them in the first third, posture drifts told (reps), of them absurd
    tally = {name: [0, 0, 0, 0, 0] for name in RULES}
    largest = dict.fromkeys(RULES, 0.0)
    noted = [0, 0]   # shipped: sets with reps after the best ones not compared for their reading, those reps
    sets = reps = 0
    same_faults = True
    for _, seq in read:
        label = _.label
        results, drifts = {}, {}
        for name, rule in RULES.items():
            results[name] = analyse(seq, label, rule)
            drifts[name] = list(told_drifts)
            if name == SHIPPED:
                noted[0] += bool(unread_reps)
                noted[1] += len(unread_reps)
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
            tally[name][3] += len(drifts[name])
            tally[name][4] += sum(d > ABSURD_DRIFT for d in drifts[name])
            largest[name] = max([largest[name], *drifts[name]])
    print(f"\nreal rep sets with their true exercise, built-in reference: {sets} sets, {reps} reps")
    for name, (s, r, first, drift, absurd) in tally.items():
        print(f"  {name:42s} sets warned {s:3d}, reps warned {r:4d}, of them in the set's first third {first:3d}; "
              f"posture drifts told {drift:3d} (largest {largest[name]:3.0f} deg, over {ABSURD_DRIFT:.0f}: {absurd})")
    print(f"  shipped: sets noted 'not read clearly, fatigue not judged' {noted[0]} ({noted[1]} reps)")
    print(f"  faults identical every way: {'yes' if same_faults else 'NO'}")


def main() -> int:
    return run_synthesised_then_real(synthesised, real)


if __name__ == "__main__":
    raise SystemExit(main())
