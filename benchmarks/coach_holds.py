"""Hold coaching on real planks: ../shared/data/bodyweight_mistakes (one performer, a good plank and six
with a named mistake, 3D body tracking at 60 fps), once with the performer's good take as gold and once with
the built-in reference. A take passes when its named mistake covers most (> 50%) of the hold and, for the
good take, when nothing at all is flagged (with gold: each half of the good take against the other half). Also: the correct plank clip in videos/form stays quiet.

    python benchmarks/coach_holds.py
"""

from __future__ import annotations

import csv
import sys

from real_data import SHARED, cached_pose

from gyml.coach.holds import HOLDS
from gyml.pipeline import analyze_sequence
from gyml.pose.readers import read_pose

# Each take's name is its label; what our checks call that mistake. "bad" names no single mistake: it
# passes when some fault covers most of the hold.
EXPECTED = {"good": set(), "butt_high": {"hips_pike"}, "butt_low": {"hips_sag"}, "head_high": {"head_raised"},
            "head_low": {"head_dropped"}, "shoulders_forward": {"shoulders_ahead", "shoulders_rounded"},
            "bad": None}
MOST = 0.5


def _shares(hold: dict) -> dict[str, float]:
    tut = hold["time_under_tension_s"] or 1.0
    shares: dict[str, float] = {}
    for s in hold["segments"]:
        shares[s["fault"]] = shares.get(s["fault"], 0.0) + (s["end_s"] - s["start_s"]) / tut
    return shares


def _passes(mistake: str, shares: dict[str, float]) -> bool:
    wanted = EXPECTED[mistake]
    if wanted is None:
        return any(v > MOST for v in shares.values())
    if not wanted:
        return not shares
    return any(shares.get(f, 0.0) > MOST for f in wanted)


def main() -> int:
    folder = SHARED / "bodyweight_mistakes"
    if not (folder / "labels.csv").exists():
        print(f"no takes in {folder}", file=sys.stderr)
        return 1
    with open(folder / "labels.csv", newline="") as fh:
        takes = [r for r in csv.DictReader(fh) if r["exercise"] == "plank"]
    fps = {r["file"]: float(r["fps"]) for r in takes}
    gold = read_pose(folder / "plank_good.csv", fps=fps["plank_good.csv"])
    print("tolerances: " + "; ".join(f"{c.fault} {c.tolerance:g}{c.unit}{' (gold only)' if c.gold_only else ''}"
                                     for c in HOLDS["plank"][1]))
    print(f"{'take':<20}{'recognised':<15}{'reference':<10}{'held s':>7}{'good s':>7}  "
          f"{'faults (share of the hold)':<64}pass")
    passed = {"gold": 0, "built-in": 0}
    for take in takes:
        mistake = take["mistake"]
        seq = read_pose(folder / take["file"], fps=fps[take["file"]])
        recognised = analyze_sequence(seq, take["file"]).analysis.exercise
        for reference, g in (("gold", gold), ("built-in", None)):
            if reference == "gold" and mistake == "good":
                # Not the good take against itself: each half judged with the other half as gold.
                half = len(seq) // 2
                holds = [analyze_sequence(part, take["file"], exercise="plank", gold=ref).analysis.extras["hold"]
                         for part, ref in ((seq.slice(0, half), seq.slice(half, len(seq))),
                                           (seq.slice(half, len(seq)), seq.slice(0, half)))]
                hold = {"time_under_tension_s": sum(h["time_under_tension_s"] for h in holds),
                        "good_form_s": sum(h["good_form_s"] for h in holds),
                        "segments": [s for h in holds for s in h["segments"]]}
            else:
                hold = analyze_sequence(seq, take["file"], exercise="plank", gold=g).analysis.extras["hold"]
            shares = _shares(hold)
            ok = _passes(mistake, shares)
            passed[reference] += ok
            text = ", ".join(f"{f} {v:.0%}" for f, v in sorted(shares.items(), key=lambda kv: -kv[1])) or "-"
            print(f"{mistake:<20}{recognised.label if recognised else '-':<15}{reference:<10}"
                  f"{hold['time_under_tension_s']:>7.1f}{hold['good_form_s']:>7.1f}  {text:<64}{'yes' if ok else 'NO'}")
    for reference, n in passed.items():
        print(f"{reference}: {n}/{len(takes)} takes right (named mistake over most of the hold; nothing on good)")

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
