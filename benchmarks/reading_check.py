"""Where the analysis withholds form cues because the body was read upside down (gyml.coach.reading).

Every real recording of ../shared/data is judged with its true exercise: the share of its frames whose
trunk reads more than 135 degrees from upright, and whether the warning fires. Printed per catalog
posture, with every recording it fires on, so false alarms (a correct reading of an upright, lying or
hanging body) and the upside-down readings found can be counted. Then rep by rep (the recordings the set
check let through, analysed with their true exercise and the built-in reference): the reps whose form is
withheld for a trunk read upside down at their start or turning point, or for a body line read bent past
90 degrees (face down), and the form faults told with the rules and without them (`session.PER_REP_READING`),
by source and posture.

    PYTHONPATH=$PWD python benchmarks/reading_check.py
"""

from __future__ import annotations

import numpy as np
from real_data import read_shared_recordings

from gyml.coach import session
from gyml.coach.reading import MOST, UPSIDE_DOWN_DEG, upside_down_warning
from gyml.pipeline import analyze_sequence
from gyml.pose.kinematics import Kinematics
from gyml.synth.catalog import CATALOG


def main() -> int:
    read = read_shared_recordings()
    if read is None:
        return 1
    by_posture: dict[str, list[tuple[str, str, float, bool]]] = {}
    for recording, seq in read:
        spec = CATALOG.get(recording.label)
        if spec is None:
            continue
        warning, share = upside_down_warning(recording.label, Kinematics(seq).raw_angles)
        if share is None:
            continue
        by_posture.setdefault(spec.posture, []).append((recording.path.name, recording.label, share,
                                                        warning is not None))
    print(f"trunk more than {UPSIDE_DOWN_DEG:.0f} deg from upright in more than {MOST:.0%} of the frames, "
          "with each recording's true exercise\n")
    print(f"{'posture':10s} {'recordings':>10s} {'share p50':>9s} {'p95':>5s} {'max':>5s} {'warned':>6s}")
    fired = []
    for posture, rows in sorted(by_posture.items()):
        shares = np.array([r[2] for r in rows])
        warned = [r for r in rows if r[3]]
        fired += warned
        print(f"{posture:10s} {len(rows):10d} {np.median(shares):9.2f} {np.percentile(shares, 95):5.2f} "
              f"{shares.max():5.2f} {len(warned):6d}")
    print("\nwarned (form cues withheld):")
    for name, label, share, _ in fired:
        print(f"  {name:34s} {label:16s} upside down in {share:.0%} of the frames")
    print(f"\n{len(fired)} of {sum(len(r) for p, r in by_posture.items() if p != 'inverted')} recordings of "
          "exercises not done upside down")
    per_rep(read)
    return 0


def _faults(seq, label: str) -> tuple[int, int, list[int]]:
    a = analyze_sequence(seq, "recording", exercise=label).analysis
    faults = sum(len(m["faults"]) for m in a.extras.get("rep_metrics", []))
    withheld = [r for f in a.feedback if "read upside down at the start" in f.message
                or "body line was read bent" in f.message for r in f.reps]
    return faults, len(a.extras.get("rep_metrics", [])), withheld


def per_rep(read) -> None:
    print("\nrep by rep (sets the check above let through; form faults with / without the per-rep check):")
    tally: dict[tuple[str, str], list[int]] = {}
    for recording, seq in read:
        spec = CATALOG.get(recording.label)
        if spec is None or spec.isometric or upside_down_warning(recording.label, Kinematics(seq).raw_angles)[0]:
            continue
        faults, reps, withheld = _faults(seq, recording.label)
        session.PER_REP_READING = False
        try:
            before, _, _ = _faults(seq, recording.label)
        finally:
            session.PER_REP_READING = True
        row = tally.setdefault((recording.source, spec.posture), [0, 0, 0, 0, 0])
        for k, v in enumerate((1, reps, len(withheld), faults, before)):
            row[k] += v
        if withheld:
            print(f"  {recording.path.name:34s} {recording.label:14s} reps {withheld} withheld; faults "
                  f"{before} -> {faults}")
    print(f"\n{'source':12s} {'posture':10s} {'sets':>5s} {'reps':>5s} {'withheld':>8s} {'faults':>13s}")
    for (source, posture), (sets, reps, withheld, faults, before) in sorted(tally.items()):
        print(f"{source:12s} {posture:10s} {sets:5d} {reps:5d} {withheld:8d} {before:6d} -> {faults:<5d}")
    total = np.array(list(tally.values())).sum(axis=0)
    print(f"{'all':23s} {total[0]:5d} {total[1]:5d} {total[2]:8d} {total[4]:6d} -> {total[3]:<5d}")


if __name__ == "__main__":
    raise SystemExit(main())
