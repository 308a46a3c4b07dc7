"""How wide the live page's camera frames should be: real clips reduced to W px JPEG (quality 0.7, as the
page's canvas sends them) at 15 frames/s, read by the pose model frame by frame as the live server reads
them, then fed to the live coach with no exercise named (the page's default), on a steady server and on
one that stalls now and then (the pose thread busy for 1-3 s after 3% of frames, seeded), the frames
waiting in the server's FrameBacklog (after a stall, the last 2 s of frames, thinned) or, as before, the
newest frame alone (the frames it missed count as nobody seen).

For the 12 counted clips: the live count against the manifest (exact, within one, MAE). For the real
plank (uncounted/plank_v_ee4e21.mp4, 6.9 s, played three times over as a looping camera does): reps
counted on it (a hold has none) and whether it was taken for a plank. The pose jitter of that plank at
each width (the third most moving joint's 5-95% travel about the pelvis over 1 s, torso lengths) is what
the counter's still check reads (CounterParams.min_joint_travel 0.25).

With --all-videos, also every other real video (videos/form, pushup_form, counted, uncounted), steady
server: was it taken for a hold (a plank clip must be, as a plank; a rep set must not be, nor left for reps
after one: LiveCoach.holds_left).

Poses are cached in benchmarks/out/live_width/ (the first run reads every clip at every width: minutes).

    python benchmarks/live_frame_width.py [--widths 320 640] [--seeds 10] [--all-videos]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from real_data import SHARED

from gyml.pose.sequence import PoseSequence
from gyml.reps.counter import RepSegment, rep_travel
from gyml.reps.live import LiveCoach

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live_frames import processed_frames

CAMERA_FPS = 15.0
JPEG_QUALITY = 70
STALL_P, STALL_S = 0.03, (1.0, 3.0)
OUT = Path(__file__).resolve().parent / "out" / "live_width"


def live_poses(clip: Path, width: int, loops: int = 1) -> PoseSequence:
    """The clip as the live server would read it from a `width` px camera at CAMERA_FPS (cached)."""
    entry = OUT / f"{clip.stem}_{width}_{loops}.npz"
    if entry.exists():
        saved = np.load(entry)
        return PoseSequence(saved["joints"], saved["confidence"], CAMERA_FPS, source="live")
    import av
    import cv2

    from gyml.pose.readers.video import pose_estimator, quiet_native_logs
    from gyml.reps.live import pose_of

    with av.open(str(clip)) as source:
        video = source.streams.video[0]
        frames = sorted(((float(frame.time), frame) for frame in source.decode(video)), key=lambda f: f[0])
        times = [t for t, _ in frames]
        duration = times[-1] + 1 / float(video.average_rate)
        sent = []
        for k in range(int(loops * duration * CAMERA_FPS)):
            # the frame a camera shows at t: the last one begun by then
            t = (k / CAMERA_FPS) % duration
            frame = frames[max(0, bisect.bisect_right(times, t + 1e-6) - 1)][1]
            height = round(width * frame.height / frame.width / 2) * 2
            bgr = frame.to_ndarray(width=width, height=height, format="bgr24")
            _, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            sent.append(jpeg)
    joints = np.full((len(sent), 24, 3), np.nan, np.float32)
    confidence = np.zeros((len(sent), 24), np.float32)
    with pose_estimator() as estimator, quiet_native_logs():
        for i, jpeg in enumerate(sent):
            rgb = cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            j, c = pose_of(estimator, rgb)
            if j is not None:
                joints[i], confidence[i] = j, c
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(entry, joints=joints, confidence=confidence)
    return PoseSequence(joints, confidence, CAMERA_FPS, source="live")


def fed(seq: PoseSequence, stalls: int | None, backlog: bool = True) -> LiveCoach:
    """The live coach after `seq` sent as a camera (a frame every 1 / seq.fps s) to a pose thread that takes
    no time except for its stalls (`stalls`: their seed; None: none). The frames wait in the server's
    FrameBacklog; without `backlog`, the thread gets the newest frame alone (the server before)."""
    rng = random.Random(stalls)

    def busy(_, __):
        return rng.uniform(*STALL_S) if stalls is not None and rng.random() < STALL_P else 0.0

    coach = LiveCoach(defer_coaching=True)
    for i in processed_frames(len(seq), seq.fps, busy, backlog):
        seen = seq.present[i]
        coach.add(i / seq.fps, seq.joints[i] if seen else None, seq.confidence[i] if seen else None)
    coach.finish()
    return coach


def jitter(seq: PoseSequence) -> float:
    """The median over 1 s windows of a still body's rep travel (torso lengths)."""
    step = int(seq.fps)
    return statistics.median(rep_travel(seq, RepSegment(0, a, a + step // 2, a + step, 1.0))
                             for a in range(0, len(seq) - step, step))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[320, 640])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--all-videos", action="store_true")
    args = parser.parse_args()
    t0 = time.perf_counter()
    folder = SHARED / "videos" / "counted"
    with open(folder / "manifest.csv") as fh:
        manifest = [(folder / r["video"], int(r["reps"])) for r in csv.DictReader(fh)]
    plank_clip = SHARED / "videos" / "uncounted" / "plank_v_ee4e21.mp4"
    seeds = range(args.seeds)
    print(f"{'width':>5}  {'server':<28} {'counted clips: exact':>21} {'within 1':>9} {'MAE':>5}   "
          f"{'plank: reps counted (runs with any)':>36} {'taken for a plank':>18}  jitter")
    for width in args.widths:
        sets = [(live_poses(clip, width), reps) for clip, reps in manifest]
        plank = live_poses(plank_clip, width, loops=3)
        for server, runs, backlog in (("steady", [None], True), ("stalling, newest frame only", list(seeds), False),
                                      ("stalling, backlog", list(seeds), True)):
            errors = [fed(seq, run, backlog).count - reps for seq, reps in sets for run in runs]
            planks = [fed(plank, run, backlog) for run in runs]
            counted = [p.count for p in planks]
            taken = sum(p.hold and p.exercise == "plank" for p in planks)
            print(f"{width:>5}  {server:<28} {sum(e == 0 for e in errors):>14}/{len(errors):<6} "
                  f"{sum(abs(e) <= 1 for e in errors):>5}/{len(errors):<3} "
                  f"{statistics.mean(abs(e) for e in errors):>5.2f}   "
                  f"{sum(counted):>26} ({sum(c > 0 for c in counted)}/{len(runs)})"
                  f"{taken:>13}/{len(runs):<4}  {jitter(plank.slice(0, int(6.5 * CAMERA_FPS))):.2f}")
    if args.all_videos:
        holds_taken(args.widths)
    print(f"({time.perf_counter() - t0:.0f} s)")


def holds_taken(widths: list[int]) -> None:
    clips = sorted(p for folder in ("form", "pushup_form", "counted", "uncounted")
                   for p in (SHARED / "videos" / folder).iterdir() if p.suffix in (".mp4", ".avi"))
    print(f"\nevery real video, steady server ({len(clips)}): planks taken for a plank; rep sets taken for a hold")
    for width in widths:
        planks, sets, wrong = [0, 0], [0, 0], []
        for clip in clips:
            coach = fed(live_poses(clip, width), None)
            took = [*coach.holds_left, *([coach.exercise] if coach.hold else [])]
            if clip.name.startswith("plank"):
                planks[0] += took == ["plank"]
                planks[1] += 1
                if took != ["plank"]:
                    wrong.append(f"{clip.name}: {took or 'no hold'}")
            else:
                sets[0] += bool(took)
                sets[1] += 1
                if took:
                    wrong.append(f"{clip.name}: {took}")
        print(f"{width:>5}  planks {planks[0]}/{planks[1]}, rep sets {sets[0]}/{sets[1]}"
              + (f"  ({'; '.join(wrong)})" if wrong else ""))


if __name__ == "__main__":
    main()
