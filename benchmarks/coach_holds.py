"""Hold coaching on real planks: ../shared/data/bodyweight_mistakes (one performer, a good plank and six
with a named mistake, 3D body tracking at 60 fps), once with the performer's good take as gold and once with
the built-in reference. A take passes when its named mistake covers most (> 50%) of the hold and, for the
good take, when nothing at all is flagged (with gold: each half of the good take against the other half). Also: the correct plank clip in videos/form stays quiet.

    python benchmarks/coach_holds.py [--takes FOLDER]

Any folder laid out alike (labels.csv; any hold exercise, one good take per exercise and performer) is
measured the same way; a mistake is read from the words of its name (benchmarks/takes.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from real_data import SHARED, cached_pose
from takes import expected_kinds, gold_of, halves, read_takes

from gyml.coach.holds import HOLDS, is_hold
from gyml.pipeline import analyze_sequence
from gyml.pose.readers import read_pose

MOST = 0.5


def _shares(hold: dict) -> dict[str, float]:
    tut = hold["time_under_tension_s"] or 1.0
    shares: dict[str, float] = {}
    for s in hold["segments"]:
        shares[s["fault"]] = shares.get(s["fault"], 0.0) + (s["end_s"] - s["start_s"]) / tut
    return shares


def _passes(mistake: str, shares: dict[str, float], exercise: str) -> bool:
    # what our checks call the take's mistake (benchmarks/takes.py); "bad" names no single one: it passes
    # when some fault covers most of the hold
    wanted = expected_kinds(mistake, hold=True, kinds=tuple(c.fault for c in HOLDS[exercise][1]))
    if wanted is None:
        return any(v > MOST for v in shares.values())
    if not wanted:
        return not shares
    return any(shares.get(f, 0.0) > MOST for f in wanted)


def judge_takes(folder: Path) -> list[tuple[str, str, bool]] | None:
    """Every hold take in `folder` against its performer's good take as gold and against the built-in
    reference, a table row each printed; (take, reference, passed) per row, None without hold takes."""
    takes = [t for t in read_takes(folder) if is_hold(t.exercise)]
    if not takes:
        return None
    for label in sorted({t.exercise for t in takes}):
        print(f"{label} tolerances: " + "; ".join(f"{c.fault} {c.tolerance:g}{c.unit}"
                                                  f"{' (gold only)' if c.gold_only else ''}"
                                                  for c in HOLDS[label][1]))
    print(f"{'take':<28}{'recognised':<15}{'reference':<10}{'held s':>7}{'good s':>7}  "
          f"{'faults (share of the hold)':<64}pass")
    rows = []
    judged = 0
    for take in takes:
        mistake = take.mistake
        gold_take = gold_of(take, takes)
        if gold_take is None:
            print(f"{take.path.name:<28}no good take of {take.exercise} to judge it against")
            continue
        judged += 1
        seq = read_pose(take.path, fps=take.fps or 60.0)
        gold = read_pose(gold_take.path, fps=gold_take.fps or 60.0)
        recognised = analyze_sequence(seq, take.path.name).analysis.exercise
        for reference, g in (("gold", gold), ("built-in", None)):
            if reference == "gold" and take is gold_take:
                # Not the good take against itself: each half judged with the other half as gold.
                holds = [analyze_sequence(part, take.path.name, exercise=take.exercise, gold=ref
                                          ).analysis.extras["hold"] for part, ref in halves(seq)]
                hold = {"time_under_tension_s": sum(h["time_under_tension_s"] for h in holds),
                        "good_form_s": sum(h["good_form_s"] for h in holds),
                        "segments": [s for h in holds for s in h["segments"]]}
            else:
                hold = analyze_sequence(seq, take.path.name, exercise=take.exercise, gold=g).analysis.extras["hold"]
            shares = _shares(hold)
            ok = _passes(mistake, shares, take.exercise)
            rows.append((take.path.stem, reference, ok))
            text = ", ".join(f"{f} {v:.0%}" for f, v in sorted(shares.items(), key=lambda kv: -kv[1])) or "-"
            print(f"{take.path.stem:<28}{recognised.label if recognised else '-':<15}{reference:<10}"
                  f"{hold['time_under_tension_s']:>7.1f}{hold['good_form_s']:>7.1f}  {text:<64}{'yes' if ok else 'NO'}")
    for reference in ("gold", "built-in"):
        n = sum(ok for _, ref, ok in rows if ref == reference)
        print(f"{reference}: {n}/{judged} takes right (named mistake over most of the hold; nothing on good)")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=Path, default=SHARED / "bodyweight_mistakes",
                        help="a folder of labelled takes (labels.csv) laid out as bodyweight_mistakes")
    folder = parser.parse_args().takes
    if judge_takes(folder) is None:
        print(f"no hold takes in {folder}", file=sys.stderr)
        return 1

    clip = SHARED / "videos" / "form" / "plank_correct_001.mp4"
    if clip.exists():
        a = analyze_sequence(cached_pose(clip), clip.name).analysis
        flagged = [f.message for f in a.feedback if f.severity in ("warn", "fault")]
        hold = a.extras.get("hold") or {}
        print(f"{clip.name}: recognised {a.exercise.label if a.exercise else '-'}, held "
              f"{hold.get('time_under_tension_s', 0):.1f} s, {'quiet' if not flagged else 'FLAGGED: ' + '; '.join(flagged)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
