"""Following the person who exercises (gyml.pose.readers.mover): how often the check fires, what it costs
when it does not, and what it changes where it does.

    python benchmarks/follow_mover.py [--timing-sample 4]

- UCF101 (267 clips): the check runs on each clip's plain extraction (../shared/data/ucf101/poses, the
  same extractor without the check). Counted: clips stopped by the landmarks alone (no decode), clips
  that needed the motion map, clips where it fired (re-extracted), and where the result was kept.
- Cost when it does not fire: the check's time against plain extraction (`read_video`) of a sample of
  clips, measured in the same run (ratios; seconds are noisy on a loaded machine).
- Where it is kept: the shipped model's label before and after (right or not). The shipped model was
  trained on UCF101 groups 8-14 with the plain poses, so "before" is flattered for those groups.
- videos/counted: where the check fires; rep counts before/after there (elsewhere the poses are the
  very same object, so counts cannot change).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import statistics
import sys
import time
from pathlib import Path

from gyml.classify.default import recognise
from gyml.errors import GymlError
from gyml.pose.readers import mover
from gyml.pose.readers.video import read_video
from gyml.pose.sequence import PoseSequence
from gyml.reps.counter import count_reps

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
UCF = SHARED / "ucf101"
COUNTED = SHARED / "videos" / "counted"
PLAIN_VERSION = "mediapipe-0.10.14-c1-v1"   # cache entries of the extractor without the check


def plain_pose(video: Path) -> PoseSequence:
    """The plain extraction: the pre-check cache entry when there is one, else extracted now."""
    from gyml.pose.cache import cache_dir

    digest = hashlib.sha256(PLAIN_VERSION.encode())
    digest.update(video.read_bytes())
    entry = cache_dir() / f"{digest.hexdigest()}.npz"
    return PoseSequence.load(entry) if entry.exists() else read_video(video)


def check(video: Path, seq: PoseSequence) -> tuple[str, float]:
    """('still-not' | 'no-region' | 'fires', seconds)."""
    w, h = int(seq.metadata.get("width") or 1), int(seq.metadata.get("height") or 1)
    start = time.perf_counter()
    still = mover.limb_travel(seq.image_landmarks, w, h) < mover.STILL_TRAVEL
    region = mover.suspect_region(video, seq) if still else None
    elapsed = time.perf_counter() - start
    return ("fires" if region else "no-region" if still else "moves"), elapsed


def group_held_out_models(groups: set[str]):
    """Per UCF101 group, a predictor trained with the shipped recipe on every UCF101 clip of the other
    groups (their stored plain poses) and RepCount dev, plus synthesised motion. The shipped model saw
    the fired groups in training, so only these say what following the mover is worth on unseen clips."""
    from gyml.classify.build_default import fit, real_table, shared_recordings, synth_table
    from gyml.classify.features import build_features

    recordings = [r for r in shared_recordings() if r.source in ("ucf101", "repcount")]
    real, _ = real_table(recordings, show_progress=False, framed_per_class=0)  # its models fit real.X alone
    synth = synth_table(20)
    out = {}
    for group in sorted(groups):
        train = real.groups != f"ucf101:{group}"
        model = fit(real.X[train], real.labels[train], synth)
        out[group] = (lambda seq, model=model:
                      str(model.predict(build_features([seq], "motion"))[0]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timing-sample", type=int, default=4)
    args = ap.parse_args()
    if not (UCF / "labels.csv").exists():
        print(f"no UCF101 data at {UCF}", file=sys.stderr)
        return 1
    with open(UCF / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    outcome: dict[str, list] = {"moves": [], "no-region": [], "fires": []}
    for r in rows:
        pose = UCF / "poses" / r["video"].replace(".avi", ".npz")
        if not pose.exists():
            continue   # MediaPipe found nobody in the clip
        seq = PoseSequence.load(pose)
        kind, seconds = check(UCF / "videos" / r["video"], seq)
        outcome[kind].append((r, seq, seconds))
    total = sum(len(v) for v in outcome.values())
    print(f"UCF101: {total} clips with poses; tracked person moves (decided from landmarks): "
          f"{len(outcome['moves'])}; motion map needed, nothing to follow: {len(outcome['no-region'])}; "
          f"check fires: {len(outcome['fires'])}")

    # Cost when it does not fire, against plain extraction of a sample, same run.
    half = args.timing_sample // 2
    sample = outcome["no-region"][::7][:half] + outcome["moves"][::29][:half]
    extract = []
    for r, seq, _ in sample:
        start = time.perf_counter()
        try:
            read_video(UCF / "videos" / r["video"])
        except GymlError as exc:
            print(f"  plain extraction failed, left out of the timing: {exc}")
            continue
        extract.append((time.perf_counter() - start) / max(1, len(seq)))
    per_frame = statistics.mean(extract)
    for kind in ("moves", "no-region"):
        frames = sum(len(s) for _, s, _ in outcome[kind])
        seconds = sum(t for _, _, t in outcome[kind])
        if frames:
            print(f"  check cost where {kind!r}: {1000 * seconds / len(outcome[kind]):.1f} ms a clip = "
                  f"{100 * seconds / (frames * per_frame):.2f}% of plain extraction "
                  f"(plain extraction timed on {len(extract)} clips in this run: {1000 * per_frame:.1f} ms a frame)")
    frames = sum(len(s) for v in outcome.values() for _, s, _ in v)
    seconds = sum(t for v in outcome.values() for _, _, t in v)
    print(f"  check cost over all {total} clips: {100 * seconds / (frames * per_frame):.2f}% of plain extraction")

    unseen = group_held_out_models({r["group"] for r, _, _ in outcome["fires"]})
    print("\nlabels: shipped model | model that never saw the clip's group (UCF101 other groups + RepCount dev "
          "+ synthesised)")
    print(f"{'clip':<28}{'travel before -> after':>24}  {'shipped before -> after':<32} group held out: before -> after")
    right = {"shipped before": 0, "shipped after": 0, "held-out before": 0, "held-out after": 0}
    kept = 0
    for r, seq, _ in outcome["fires"]:
        video = UCF / "videos" / r["video"]
        start = time.perf_counter()
        followed = mover.follow_mover(video, seq)
        seconds = time.perf_counter() - start
        info = followed.metadata.get("followed_mover")
        kept += info is not None
        labels = {"shipped before": recognise(seq).label, "shipped after": recognise(followed).label,
                  "held-out before": unseen[r["group"]](seq), "held-out after": unseen[r["group"]](followed)}
        for k, label in labels.items():
            right[k] += label == r["exercise"]
        travel = f"{info['travel_before']:.2f} -> {info['travel_after']:.2f}" if info else "not kept"
        print(f"{r['video'][:-4]:<28}{travel:>24}  {labels['shipped before'] + ' -> ' + labels['shipped after']:<32} "
              f"{labels['held-out before']} -> {labels['held-out after']}   (truth {r['exercise']}, {seconds:.1f} s)")
    n = len(outcome["fires"])
    print(f"fired on {n} of {total}, kept {kept}; right (of {n}): "
          + ", ".join(f"{k} {v}" for k, v in right.items()))

    if (COUNTED / "manifest.csv").exists():
        with open(COUNTED / "manifest.csv", newline="") as fh:
            counted = list(csv.DictReader(fh))
        fired = 0
        for r in counted:
            video = COUNTED / r["video"]
            seq = plain_pose(video)
            kind, _ = check(video, seq)
            if kind == "fires":
                fired += 1
                followed = mover.follow_mover(video, seq)
                print(f"  counted {r['video']}: fires; reps {count_reps(seq).count} -> "
                      f"{count_reps(followed).count} (truth {r['reps']}), kept "
                      f"{'followed_mover' in followed.metadata}")
        print(f"videos/counted: the check fires on {fired} of {len(counted)}; elsewhere the poses, and so the "
              f"rep counts, are unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
