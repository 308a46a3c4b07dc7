"""A hold before or after the reps in one recording (push-ups, then a plank), found offline as live coaching
finds it: a still stretch of HOLD_BESIDE_REPS_S or more outside the counted reps, recognised as a hold at
HOLD_SURE or more, the body in the hold's position (gyml/coach/holds.py holds_beside_reps).

Measured: synthesised recordings of one body (a rep set and a hold joined, both orders, 4 seeds each): the
reps' count and the hold's time against the parts'; every real rep set of ../shared/data analysed with no
exercise named: how many are given a hold they do not have; and the catalog's rep exercises after 6 s still
in their starting pose (a push-up's start is a plank's position: reported, not a mistake).

    PYTHONPATH=. python benchmarks/holds_beside_reps.py
"""

from __future__ import annotations

import time

from live_holds import joined, sagging_plank, still_start
from real_data import read_shared_recordings

from gyml.coach.holds import is_hold
from gyml.pipeline import analyze_sequence
from gyml.pose.sequence import PoseSequence
from gyml.reps.counter import count_reps
from gyml.synth import CATALOG, SynthConfig, synthesize


def beside(seq: PoseSequence) -> tuple[int, list[dict]]:
    a = analyze_sequence(seq, "set").analysis
    return a.reps["count"], a.extras.get("holds_beside_reps", [])


def main() -> None:
    t0 = time.perf_counter()
    print("== a rep set and a hold of one synthesised body, joined (seeds 0-3)")
    pairs = (("push_up", "plank"), ("squat", "wall_sit"), ("lunge", "side_plank"))
    found = total = 0
    for reps_label, hold_label in pairs:
        for order in ("after", "before"):
            for seed in range(4):
                config = SynthConfig(noise_m=0.003)
                rep_set = synthesize(CATALOG[reps_label], 6, seed=seed + 10, config=config)
                hold = synthesize(CATALOG[hold_label], 4, seed=seed + 10, config=config)
                seq = joined(rep_set, hold) if order == "after" else joined(hold, rep_set)
                count, holds = beside(seq)
                right = [h for h in holds if h["exercise"] == hold_label and h["when"] == order]
                found += bool(right)
                total += 1
                held = f"{right[0]['time_under_tension_s']:.1f} s of {hold.duration:.1f} s" if right else \
                    ", ".join(f"{h['exercise']} {h['when']}" for h in holds) or "none"
                print(f"  {reps_label} set, {hold_label} {order}, seed {seed}: count {count} (alone "
                      f"{count_reps(rep_set).count}); hold: {held}")
    print(f"holds found {found}/{total}")

    print("\n== push-ups (6), then or after a plank whose hips sag 20 or 35 degrees (one body, seeds 20-23): the count "
          "on the whole recording (as before) / on the set's own frames (shipped)")
    plain = shipped = cases = 0
    for sag in (-20, -35):
        sagging = sagging_plank(sag)
        for order in ("after", "before"):
            for seed in range(4):
                config = SynthConfig(noise_m=0.003)
                # bodies 20-23: the recount was designed on 10-15
                rep_set = synthesize(CATALOG["push_up"], 6, seed=seed + 20, config=config)
                hold = synthesize(sagging, 4, seed=seed + 20, config=config)
                seq = joined(rep_set, hold) if order == "after" else joined(hold, rep_set)
                truth = count_reps(rep_set).count
                whole, (count, holds) = count_reps(seq).count, beside(seq)
                plain += whole == truth
                shipped += count == truth
                cases += 1
                print(f"  sag {sag}, plank {order}, seed {seed}: {whole} / {count} (alone {truth}); "
                      f"hold {'found' if holds else 'not found'}")
    print(f"count = the set's alone: {plain}/{cases} as before, {shipped}/{cases} shipped")

    print("\n== real rep sets, no exercise named: given a hold beside their reps")
    read = read_shared_recordings(lambda r: not is_hold(r.label)) or []
    given = []
    for recording, seq in read:
        _, holds = beside(seq)
        if holds:
            given.append(f"{recording.path.name} ({recording.label}): " +
                         ", ".join(f"{h['exercise']} {h['when']} ({h['time_under_tension_s']:.1f} s)" for h in holds))
    print(f"{len(given)} of {len(read)}")
    for line in given:
        print("  " + line)

    print("\n== the catalog's rep exercises (6 reps) after 6 s still in their starting pose")
    still_found = []
    for label, spec in CATALOG.items():
        if spec.hold:
            continue
        _, with_still_start = still_start(spec)
        count, holds = beside(with_still_start)
        if holds:
            still_found.append(f"{label} ({', '.join(h['exercise'] for h in holds)}; count {count})")
    print(f"given a hold before the reps: {len(still_found)} of {sum(not s.hold for s in CATALOG.values())}"
          + (": " + "; ".join(still_found) if still_found else ""))
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
