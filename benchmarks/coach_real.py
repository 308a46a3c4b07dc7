"""The coach on the real clips in ../shared/data/videos/form, named correct or incorrect: ours should
flag the incorrect ones and stay quiet (no fault) on the correct ones. Prints one row a clip, then the
tally, for our coach and the paper's.

    python benchmarks/coach_real.py
"""

from __future__ import annotations

import sys

from real_data import SHARED, cached_pose, video_label

from gyml.pipeline import analyze_sequence


def main() -> int:
    folder = SHARED / "videos" / "form"
    clips = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".mp4", ".avi"))
    clips = [p for p in clips if "correct" in p.stem.lower()]   # "incorrect" contains "correct" too
    if not clips:
        print(f"no form clips in {folder}", file=sys.stderr)
        return 1
    tally = {m: {"flagged_incorrect": 0, "incorrect": 0, "quiet_correct": 0, "correct": 0} for m in ("gyml", "paper")}
    print(f"{'clip':<34}{'truth':<11}{'exercise':<15}{'reps':>5}  {'gyml faults':<12}{'paper flags':<12}first cue (gyml)")
    for clip in clips:
        truth = "incorrect" if "incorrect" in clip.stem.lower() else "correct"
        label = video_label(clip)
        seq = cached_pose(clip)
        row = {}
        for coach in ("gyml", "paper"):
            a = analyze_sequence(seq, clip.name, exercise=label, coach_method=coach).analysis
            faults = [f for f in a.feedback if f.severity == "fault"]
            row[coach] = (a, faults)
            t = tally[coach]
            t[truth] += 1
            if truth == "incorrect" and faults:
                t["flagged_incorrect"] += 1
            if truth == "correct" and not faults:
                t["quiet_correct"] += 1
        a, faults = row["gyml"]
        cue = faults[0].message if faults else "-"
        print(f"{clip.name:<34}{truth:<11}{label or '?':<15}{a.reps['count']:>5}  "
              f"{len(faults):<12}{len(row['paper'][1]):<12}{cue}")
    print(f"\n{'coach':<8}{'incorrect clips flagged':>26}{'correct clips quiet':>22}")
    for coach, t in tally.items():
        print(f"{coach:<8}{t['flagged_incorrect']:>20} / {t['incorrect']:<3}{t['quiet_correct']:>16} / {t['correct']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
