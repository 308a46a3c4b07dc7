"""Live cues on real recordings' poses, fed to the live coach as a 15 fps camera would feed it (no pose
model, so the figures do not depend on the machine's load): for every rep of the final count, is there
exactly one cue, and is no cue sent for a rep the final count does not hold (those must be retracted)?
How long after the rep's end (as the final count places it, on the frames' clock) was each cue decided?
With --coach, each cue is also coached as live and the coaching's own time is printed (wall clock).

    PYTHONPATH=. python benchmarks/live_cues.py                 # the 12 counted clips
    PYTHONPATH=. python benchmarks/live_cues.py --repcount      # and RepCount-pose dev (52 sets, minutes)
    PYTHONPATH=. python benchmarks/live_cues.py --coach         # with the coaching time per cue
    PYTHONPATH=. python benchmarks/live_cues.py --agreement     # live cues against the offline analysis
    PYTHONPATH=. python benchmarks/live_cues.py --agreement --camera-width 640   # live from camera frames

--agreement: each rep's verdict live (a fault cue or not) against the offline analysis of the same
recording (the exercise the offline analysis recognised named to both), on the 12 counted clips and the 40
pushup_form clips; with live poses judged as the monocular video they are (shipped) and as before, when
live poses were judged by the textbook checks only.

Cues decided when the stream ended (a rep finishing with the recording) have no live delay and are
counted apart.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time

import numpy as np
from real_data import SHARED, cached_pose, repcount_sequences

from gyml.reps.live import LiveCoach

CAMERA_FPS = 15.0


def counted_clips() -> list[tuple[str, str, object]]:
    folder = SHARED / "videos" / "counted"
    with open(folder / "manifest.csv") as fh:
        return [(r["video"], r["exercise"], cached_pose(folder / r["video"])) for r in csv.DictReader(fh)]


def as_camera(seq, coach: LiveCoach, judge_times: list[float] | None = None) -> tuple[list, float]:
    """The events of `seq` fed at CAMERA_FPS on its own clock, and the stream time at which it ended."""
    events = []
    for k in range(int(len(seq) / seq.fps * CAMERA_FPS)):
        i = min(len(seq) - 1, int(k / CAMERA_FPS * seq.fps))
        present = seq.present[i]
        events += coach.add(k / CAMERA_FPS, seq.joints[i] if present else None,
                            seq.confidence[i] if present else None)
    end = coach._ticks / coach.rate
    events += coach.finish()
    if judge_times is not None:
        for event in events:
            if event.judge is not None:
                t0 = time.perf_counter()
                event.judge()
                judge_times.append(time.perf_counter() - t0)
    return events, end


def measure(name: str, seq, coach_reps: bool, judge_times: list[float]) -> dict:
    coach = LiveCoach(coach=coach_reps, defer_coaching=coach_reps)
    events, end = as_camera(seq, coach, judge_times if coach_reps else None)
    held = {r.id: r for r in coach.counter.reps}
    cues = [e for e in events if e.kind == "cue"]
    cued = [c.rep_id for c in cues]
    live = [c for c in cues if c.rep_id in held and c.time_s < end - 1e-6]
    return {"name": name, "reps": len(held), "cues": len(cues),
            "unheld": sum(i not in held for i in cued), "retracted": sum(e.kind == "retract" for e in events),
            "repeated": len(cued) - len(set(cued)), "uncued": sum(i not in cued for i in held),
            "at_end": sum(c.rep_id in held and c.time_s >= end - 1e-6 for c in cues),
            "delays": [c.time_s - held[c.rep_id].end / coach.rate for c in live]}


def report(title: str, rows: list[dict], by: dict[str, str]) -> None:
    total = {k: sum(r[k] for r in rows) for k in ("reps", "cues", "unheld", "retracted", "repeated", "uncued",
                                                   "at_end")}
    delays = [d for r in rows for d in r["delays"]]
    print(f"== {title}: {len(rows)} sets")
    print(f"cues per rep: {total['cues']} cues for {total['reps']} reps of the final counts; {total['unheld']} for "
          f"reps the final count does not hold ({total['retracted']} retracted), {total['repeated']} repeated, "
          f"{total['uncued']} counted reps without one")
    if delays:
        print(f"rep end -> cue decided (frames' clock), {len(delays)} cues: median {statistics.median(delays):.2f} s, "
              f"90th percentile {np.percentile(delays, 90):.2f} s, max {max(delays):.2f} s, "
              f"{sum(d < 1.5 for d in delays)}/{len(delays)} under 1.5 s; {total['at_end']} more decided at the "
              "stream's end")
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(by[r["name"]], []).append(r)
    print(f"{'exercise':<16}{'sets':>5}{'reps':>6}{'cues':>6}{'not held':>9}{'median s':>9}{'max s':>7}")
    for kind, group in sorted(groups.items()):
        d = [x for r in group for x in r["delays"]]
        print(f"{kind:<16}{len(group):>5}{sum(r['reps'] for r in group):>6}{sum(r['cues'] for r in group):>6}"
              f"{sum(r['unheld'] for r in group):>9}{statistics.median(d) if d else float('nan'):>9.2f}"
              f"{max(d) if d else float('nan'):>7.2f}")


def verdicts(seq, name: str, live_seq=None) -> tuple[list[bool], list[bool]]:
    """Per rep, fault or not: offline, then live (reps numbered alike in both, up to the shorter count);
    `live_seq`: the poses the live coach gets (default: the offline ones)."""
    from gyml.pipeline import analyze_sequence

    offline = analyze_sequence(seq, name).analysis
    if offline.exercise is None or not offline.extras.get("rep_metrics"):
        return [], []
    off = {m["rep"]: bool(m["faults"]) for m in offline.extras["rep_metrics"]}
    events, _ = as_camera(seq if live_seq is None else live_seq, LiveCoach(exercise=offline.exercise.label))
    live = {}
    for e in events:   # the last cue of a rep number stands (a retracted rep's number is reused)
        if e.kind == "cue" and e.rep is not None:
            live[e.rep] = e.severity == "fault"
    both = sorted(set(off) & set(live))
    return [off[r] for r in both], [live[r] for r in both]


def agreement(camera_width: int | None = None) -> None:
    """`camera_width`: the live coach gets the poses of the clip's frames as the live page sends them
    (JPEG this wide at 15 fps, read by the pose model frame by frame: live_frame_width.live_poses), the
    offline analysis those of the whole video, as an upload and a camera would give them."""
    from gyml.coach import compare, session

    paths = [SHARED / "videos" / "counted" / n for n, _, _ in counted_clips()]
    paths += sorted((SHARED / "videos" / "pushup_form").glob("*.mp4"))
    if camera_width:
        from live_frame_width import live_poses
    sets = [(p.name, cached_pose(p), live_poses(p, camera_width) if camera_width else None) for p in paths]
    shipped = compare.MONOCULAR
    for title, monocular in (("live poses judged as monocular video (shipped)", shipped),
                             ("live poses judged by the textbook checks (before)",
                              tuple(m for m in shipped if m != "live"))):
        compare.MONOCULAR = session.MONOCULAR = monocular
        agree = reps = live_faults = off_faults = 0
        for name, seq, live_seq in sets:
            off, live = verdicts(seq, name, live_seq)
            agree += sum(a == b for a, b in zip(off, live))
            reps += len(off)
            live_faults += sum(live)
            off_faults += sum(off)
        print(f"{title}: {len(sets)} recordings, {reps} reps: live verdict = offline on {agree} "
              f"({agree / max(reps, 1):.2f}); reps with a fault offline {off_faults}, live {live_faults}")
    compare.MONOCULAR = session.MONOCULAR = shipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repcount", action="store_true", help="also RepCount-pose dev (52 sets, minutes)")
    parser.add_argument("--coach", action="store_true", help="coach each cue as live, and time it")
    parser.add_argument("--agreement", action="store_true", help="live verdicts against the offline analysis")
    parser.add_argument("--camera-width", type=int, default=None,
                        help="with --agreement: live poses read from the clip's frames sent this wide")
    args = parser.parse_args()
    if args.agreement:
        agreement(args.camera_width)
        return
    judge_times: list[float] = []
    if args.coach:
        LiveCoach().warm_up()   # as the web app does before "ready"
    clips = counted_clips()
    report("12 counted clips", [measure(n, s, args.coach, judge_times) for n, _, s in clips],
           {n: kind for n, kind, _ in clips})
    if args.repcount:
        sets = repcount_sequences()
        report("RepCount-pose dev", [measure(r.name, r.seq, args.coach, judge_times) for r in sets],
               {r.name: r.label for r in sets})
    if judge_times:
        print(f"coaching a cue: median {1000 * statistics.median(judge_times):.0f} ms, max "
              f"{1000 * max(judge_times):.0f} ms over {len(judge_times)} cues (the first includes the recognised "
              "exercise's gold)")


if __name__ == "__main__":
    main()
