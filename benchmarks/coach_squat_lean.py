"""Forward lean on real squats against the built-in reference: the trunk held against the person's own shins
(the trunk-tibia rule, gyml/coach/compare.py TRUNK_TIBIA_TOLERANCE) against the rule it replaced (the
textbook rep's lean scaled by the knees' bend).

The built-in squat is synthesised with an upright trunk (about 21 degrees at a 110-degree knee bend); real
squats lean about twice that at depth. Every real squat recording of ../shared/data is coached with its true
exercise and the built-in reference, under both rules, and the reps told `forward_lean` are counted per
source; the labelled form clips' verdicts (any fault on an incorrect clip, none on a correct one) follow.

    PYTHONPATH=$PWD python benchmarks/coach_squat_lean.py
"""

from __future__ import annotations

from collections import defaultdict

from real_data import read_shared_recordings, source_of

from gyml.coach import session
from gyml.pipeline import analyze_sequence


def coached(seq, against_shins: bool) -> tuple[int, int, int]:
    """(reps, reps told forward_lean, reps with any fault)."""
    saved = session.LEAN_AGAINST_SHINS
    session.LEAN_AGAINST_SHINS = against_shins
    try:
        metrics = analyze_sequence(seq, "set", exercise="squat").analysis.extras.get("rep_metrics", [])
    finally:
        session.LEAN_AGAINST_SHINS = saved
    return (len(metrics), sum("forward_lean" in m["faults"] for m in metrics),
            sum(bool(m["faults"]) for m in metrics))


def main() -> int:
    read = read_shared_recordings(lambda r: r.label == "squat")
    if read is None:
        return 1
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # reps, lean (before), lean (now), sets
    form = []
    for recording, seq in read:
        reps, lean_before, faulted_before = coached(seq, against_shins=False)
        _, lean_now, faulted_now = coached(seq, against_shins=True)
        source = source_of(recording.path)
        row = totals[source]
        row[0] += reps
        row[1] += lean_before
        row[2] += lean_now
        row[3] += 1
        if source == "form":
            form.append((recording.path.name, faulted_before > 0, faulted_now > 0))
    print("real squats coached with the built-in reference: reps told forward_lean\n")
    print(f"{'source':14s} {'sets':>4s} {'reps':>5s} {'textbook lean (before)':>23s} {'against the shins':>18s}")
    for source, (reps, before, now, sets) in sorted(totals.items()):
        print(f"{source:14s} {sets:4d} {reps:5d} {before:23d} {now:18d}")
    all_rows = list(totals.values())
    print(f"{'all':14s} {sum(r[3] for r in all_rows):4d} {sum(r[0] for r in all_rows):5d} "
          f"{sum(r[1] for r in all_rows):23d} {sum(r[2] for r in all_rows):18d}")
    if form:
        print("\nlabelled form clips (flagged = any fault on a rep): before / now")
        for name, before, now in form:
            truth = "incorrect" if "incorrect" in name else "correct"
            print(f"  {name:28s} {truth:9s} {'flagged' if before else 'quiet':8s} / {'flagged' if now else 'quiet'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
