"""Heels that rise in a squat (`heels_rise`, gyml/coach/geometry.py heel_rise): false alarms on real squats
presumed done with the heels down, recall on synthesised heel rises, and the labelled form clips.

The rule, written down before the labelled incorrect clips were measured:
- Per rep, for each foot: the ankle's height over its own toe (the skeleton's ankle and foot joints: MediaPipe's
  ankle and foot index), in the person's leg lengths (hip-knee-ankle), median over the rep's lowest quarter
  of hip height (the bottom) minus median over its highest quarter (standing, as the stance is read). Heels
  down, the ankle keeps its height over the toe however far the knees travel; onto the toes it rises with
  the heel (by about 0.7 of the heel's lift).
- A foot counts when its ankle and toe are both found with confidence 0.5 or more in at least half of the
  rep's frames; the rep's rise is the smaller of the feet that count (both heels rise together in a squat;
  one foot alone rising is more often the tracker). No foot counts: the rep is not judged, and the
  feedback says the heels were not checked.
- Flagged when the rise passes 0.07 leg lengths (about 6 cm of ankle on an adult's leg, the heel some 8 cm
  up: clearly on the toes), times the strictness factor. Against the built-in reference the rise is held
  against the person's own standing frames; with a gold of their own, against the gold reps' median rise.
- 0.07 is the smallest round share above every rep of the real squats presumed heels down (UCF101
  BodyWeightSquats, RepCount dev squats, videos/counted and uncounted squats, videos/form squat_correct_*),
  read before squat_incorrect_002 or squat_incorrect_003 was measured: largest 0.068 (a UCF101 rep). Tried
  first, standing read only before the bottom: one UCF101 rep at 0.078; the stance's convention was kept.
  The foot's pitch (the ankle->toe segment's angle) was read first as well and dropped: the pose model tilts
  the foot with the shin at the bottom of a squat, real squats presumed heels down read 13-17 degrees of
  pitch (median; form correct clips 28-30), the same as a heel lift.
- Checked for squat and sumo squat. Not the lunge: its rear heel rises by design and the front foot
  changes each rep, and no real lunge recording here has toes (bodyweight_mistakes has no foot points).

Synthesised: the synthesiser's foot follows the shin (no ankle joint of its own), so clean synthesised
squats read 0.02-0.04 already; the planted fault adds plantar flexion at the ankle near the bottom
(gyml/synth/faults.py). Printed: flagged sets / reps on each real population (built-in reference, every
strictness), synthesised recall and clean sets' false alarms (built-in reference and the body's own clean
set as gold), and the form clips' verdicts.

    python benchmarks/coach_heels.py [--no-real]
"""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
from real_data import run_synthesised_then_real, source_of

from gyml.coach.compare import STRICTNESS
from gyml.coach.geometry import HEELS_TOLERANCE, heel_rise
from gyml.coach.session import coach_session
from gyml.pipeline import analyze_sequence
from gyml.report.analysis import ExercisePrediction
from gyml.reps.counter import count_reps
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import synthesize

EXERCISES = ("squat", "sumo_squat")
SEEDS = range(8)


def told(seq, label: str, gold=None) -> tuple[set[int], int, list]:
    """(reps told heels_rise, reps counted, the feedback) of the gyml coach on `seq`."""
    counted = count_reps(seq, "gyml")
    feedback, extras = coach_session(seq, counted, ExercisePrediction(label, CATALOG[label].name, 1.0), gold=gold)
    reps = {m["rep"] for m in extras.get("rep_metrics", []) if "heels_rise" in m["faults"]}
    return reps, len(extras.get("rep_metrics", [])), feedback


def synthesised() -> None:
    print("synthesised sets of 8 reps, heels_rise planted on reps 3 and 6 (8 seeds per exercise)")
    print(f"{'exercise':12s} {'reference':9s} {'recall':>8s} {'false reps':>11s} {'clean sets: reps told':>22s}")
    for label in EXERCISES:
        for reference in ("built-in", "own gold"):
            found = planted = false = clean_told = clean_reps = 0
            for seed in SEEDS:
                gold = synthesize(label, 6, seed=1000 + seed) if reference == "own gold" else None
                seq = synthesize(label, 8, {3: "heels_rise", 6: "heels_rise"}, seed=seed)
                reps, _, _ = told(seq, label, gold)
                found += len(reps & {3, 6})
                planted += 2
                false += len(reps - {3, 6})
                clean = synthesize(label, 8, seed=seed)
                reps, n, _ = told(clean, label, gold)
                clean_told += len(reps)
                clean_reps += n
            print(f"{label:12s} {reference:9s} {found / planted:8.3f} {false:11d} {clean_told:>14d} of {clean_reps}")


def real() -> None:
    from real_data import read_shared_recordings

    read = read_shared_recordings(lambda r: r.label == "squat")
    if read is None:
        return
    rises: dict[str, list] = defaultdict(list)   # population -> [(set, rise or None)]
    form = []
    for recording, seq in read:
        analysis = analyze_sequence(seq, "set", exercise="squat").analysis
        metrics = analysis.extras.get("rep_metrics", [])
        values, _ = heel_rise(seq.joints, seq.confidence,
                              [(m["rep"], m["frames"]["start"], m["frames"]["end"]) for m in metrics])
        name = recording.path.name
        population = source_of(recording.path)
        if population == "form" and "incorrect" in name:
            population = "form incorrect"
        rises[population] += [(name, v) for v in values]
        if source_of(recording.path) == "form":
            kinds = sorted({f.kind for f in analysis.feedback if f.severity == "fault"})
            heels = [f.message for f in analysis.feedback if f.kind == "heels_rise"]
            form.append((name, len(metrics), values, kinds, heels))
    print("\nreal squats, built-in reference (rise in leg lengths, bottom against standing; flagged past "
          f"{HEELS_TOLERANCE} x strictness)")
    header = "  ".join(f"{s:>16s}" for s in STRICTNESS)
    print(f"{'population':15s} {'sets':>4s} {'reps':>5s} {'unseen':>6s} {'median':>7s} {'max':>6s}   "
          f"flagged sets / reps: {header}")
    for population in ("ucf101", "repcount_pose", "counted", "uncounted", "form", "form incorrect"):
        rows = rises.get(population, [])
        if not rows:
            continue
        judged = [(s, v) for s, v in rows if v is not None]
        x = np.array([v for _, v in judged]) if judged else np.zeros(0)
        cells = []
        for factor in STRICTNESS.values():
            over = [(s, v) for s, v in judged if v > HEELS_TOLERANCE * factor]
            cells.append(f"{len({s for s, _ in over}):>3d} / {len(over):<3d} of {len(judged):<4d}")
        sets = len({s for s, _ in rows})
        print(f"{population:15s} {sets:4d} {len(rows):5d} {len(rows) - len(judged):6d} "
              f"{np.median(x) if len(x) else float('nan'):7.3f} {x.max() if len(x) else float('nan'):6.3f}   "
              + "  ".join(f"{c:>16s}" for c in cells))
    print("\nform clips (any fault = flagged):")
    for name, n, values, kinds, heels in form:
        truth = "incorrect" if "incorrect" in name else "correct"
        shown = ", ".join("unseen" if v is None else f"{v:.3f}" for v in values) or "-"
        print(f"  {name:26s} {truth:9s} reps {n}  rise {shown:20s} faults: {', '.join(kinds) or 'none'}")
        for message in heels:
            print(f"      {message}")


if __name__ == "__main__":
    sys.exit(run_synthesised_then_real(synthesised, real))
