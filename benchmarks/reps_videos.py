"""Video -> pose -> count on the real counted clips, against manifest.csv (reps, reps_min..reps_max).
Poses are extracted once and cached (see real_data.py); the counting runs every time.

    python benchmarks/reps_videos.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from real_data import cached_pose

from gyml.reps.counter import count_reps

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos" / "counted"


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not (folder / "manifest.csv").exists():
        print(f"no manifest at {folder}", file=sys.stderr)
        return 1
    with open(folder / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    within = {"paper": 0, "gyml": 0}
    exact = {"paper": 0, "gyml": 0}
    print(f"{'video':<28}{'truth':>8}{'paper':>7}{'gyml':>6}")
    for r in rows:
        seq = cached_pose(folder / r["video"])
        lo, hi = int(r["reps_min"] or r["reps"]), int(r["reps_max"] or r["reps"])
        counts = {m: count_reps(seq, m).count for m in within}
        for m, c in counts.items():
            within[m] += (lo - 1 <= c <= hi + 1)
            exact[m] += (lo <= c <= hi)
        truth = r["reps"] if lo == hi else f"{lo}-{hi}"
        print(f"{r['video']:<28}{truth:>8}{counts['paper']:>7}{counts['gyml']:>6}")
    for m, n in within.items():
        print(f"{m}: {n}/{len(rows)} videos within 1 rep of their range, {exact[m]}/{len(rows)} inside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
