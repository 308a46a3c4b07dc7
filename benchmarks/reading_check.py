"""Where the analysis withholds form cues because the body was read upside down (gyml.coach.reading).

Every real recording of ../shared/data is judged with its true exercise: the share of its frames whose
trunk reads more than 135 degrees from upright, and whether the warning fires. Printed per catalog
posture, with every recording it fires on, so false alarms (a correct reading of an upright, lying or
hanging body) and the upside-down readings found can be counted.

    PYTHONPATH=$PWD python benchmarks/reading_check.py
"""

from __future__ import annotations

import numpy as np
from real_data import read_shared_recordings

from gyml.coach.reading import MOST, UPSIDE_DOWN_DEG, upside_down_warning
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
