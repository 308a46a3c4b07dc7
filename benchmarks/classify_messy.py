"""Recognition on messy footage, measured: every real recording, changed the way real footage is messy,
is judged by a model that never saw its group (the folds and the shipped recipe of
benchmarks/classify_real.py), beside the same recording unchanged.

    python benchmarks/classify_messy.py [--per-class 20] [--seed 0]

The changes (pure functions on a PoseSequence, below):
- mid-rep: the clip starts and ends halfway through a rep (cut at the turning points of its first and last
  counted reps; recordings with fewer than 2 counted reps are left out of this row);
- two reps: only the first two counted reps are kept (a short clip);
- shot cut: the first half of the recording, then the second half of another recording of the same
  exercise held out with it (UCF101: the same person and place, another clip, often another camera
  position); recordings without such a partner are left out;
- mirrored: left and right swapped (filmed in a mirror, or the other side of the body towards the camera);
- legs out of frame: knees, ankles and feet unknown in every frame (filmed from the waist up);
- feet out of frame: ankles and feet unknown;
- head and hands out of frame: head, wrists and hands unknown (the top of the picture cut, as in pull-ups
  filmed close).
- framed too tight, for real: the video itself cropped and its poses extracted again by MediaPipe (which
  guesses the landmarks it cannot see): "waist up" (the picture ends a little below the standing hips),
  "knees up" (it ends at the knees), "head cut" (it starts a quarter of a trunk above the shoulders, so
  the head and raised hands leave the top). On up to --crop-per-class videos of each exercise (UCF101 and
  gyml's videos, spread over groups); the poses are cached in ~/.cache/gyml/benchmarks/crops.
Several people in frame and the camera view have their own measurements (benchmarks/follow_mover.py and
benchmarks/classify_real.py's accuracy by view).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gyml.classify.build_default import (
    MODEL_FEATURES,
    fit_by_sensor,
    fold_of,
    shared_recordings,
    synth_table,
)
from gyml.classify.features import build_features
from gyml.classify.recordings import read_with_progress
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT, JOINT_NAMES
from gyml.reps.counter import count_reps
from gyml.reps.coverage import FEET_SEEN_MIN, feet_visibility

CROP_CACHE = Path.home() / ".cache" / "gyml" / "benchmarks" / "crops"
CROPS = ("waist up", "knees up", "head cut")
# MediaPipe's landmarks: shoulders, hips, knees (left, right)
SHOULDERS, HIPS, KNEES = (11, 12), (23, 24), (25, 26)

MIRROR = np.array([JOINT[n.replace("left_", "@").replace("right_", "left_").replace("@", "right_")]
                   for n in JOINT_NAMES])
LEGS = [JOINT[f"{s}_{p}"] for s in ("left", "right") for p in ("knee", "ankle", "foot")]
FEET = [JOINT[f"{s}_{p}"] for s in ("left", "right") for p in ("ankle", "foot")]
HEAD_HANDS = [JOINT["head"]] + [JOINT[f"{s}_{p}"] for s in ("left", "right") for p in ("wrist", "hand")]


def without_joints(seq: PoseSequence, joints: list[int]) -> PoseSequence:
    """The joints unknown in every frame, as a reader marks a body part out of the picture."""
    pos = seq.joints.copy()
    conf = seq.confidence.copy()
    pos[:, joints] = np.nan
    conf[:, joints] = 0.0
    return PoseSequence(pos, conf, seq.fps, source=seq.source, metadata=dict(seq.metadata), times=seq.times)


def mirrored(seq: PoseSequence) -> PoseSequence:
    pos = seq.joints[:, MIRROR].copy()
    pos[..., 0] *= -1
    return PoseSequence(pos, seq.confidence[:, MIRROR].copy(), seq.fps, source=seq.source,
                        metadata=dict(seq.metadata), times=seq.times)


def spliced(first: PoseSequence, second: PoseSequence) -> PoseSequence | None:
    """First half of one recording, then the second half of another (a cut in an edited clip)."""
    if abs(first.fps - second.fps) > 0.01 * first.fps:
        return None
    a = first.slice(0, len(first) // 2)
    b = second.slice(len(second) // 2, len(second))
    return PoseSequence(np.concatenate([a.joints, b.joints]), np.concatenate([a.confidence, b.confidence]),
                        first.fps, source=first.source, metadata=dict(first.metadata))


def rep_cuts(seq: PoseSequence) -> tuple[PoseSequence | None, PoseSequence | None]:
    """(mid-rep start and end, the first two reps) from the reps counted on the whole recording."""
    segments = count_reps(seq).segments
    if len(segments) < 2:
        return None, None
    mid_rep = seq.slice(segments[0].mid, segments[-1].mid + 1)
    two_reps = seq.slice(segments[0].start, segments[1].end + 1)
    return mid_rep, two_reps


def messy_versions(seqs: list[PoseSequence], labels: np.ndarray, fold: np.ndarray, files: list[str]
                   ) -> dict[str, list[PoseSequence | None]]:
    """Each condition's version of every recording (None where the condition does not apply)."""
    simple: dict[str, Callable[[PoseSequence], PoseSequence]] = {
        "mirrored": mirrored,
        "legs out of frame": lambda s: without_joints(s, LEGS),
        "feet out of frame": lambda s: without_joints(s, FEET),
        "head, hands out of frame": lambda s: without_joints(s, HEAD_HANDS),
    }
    out: dict[str, list] = {"unchanged": list(seqs), "mid-rep": [], "two reps": [], "shot cut": []}
    for i, seq in enumerate(seqs):
        mid_rep, two_reps = rep_cuts(seq)
        out["mid-rep"].append(mid_rep)
        out["two reps"].append(two_reps)
        partners = [j for j in range(len(seqs)) if j != i and labels[j] == labels[i] and fold[j] == fold[i]
                    and files[j] != files[i]]
        out["shot cut"].append(spliced(seq, seqs[partners[(i * 7) % len(partners)]]) if partners else None)
    for name, change in simple.items():
        out[name] = [change(seq) for seq in seqs]
    return out


def crop_rows(image: np.ndarray, crop: str) -> tuple[float, float] | None:
    """The picture rows (top, bottom, normalised) that a tighter framing keeps, from the full picture's
    landmarks (T, 33, 2): standing-height hips and knees (their highest quarter), median shoulders."""
    y = image[..., 1]
    seen = np.isfinite(y).all(axis=1)
    if seen.sum() < 5:
        return None
    y = y[seen]
    shoulders = float(np.median(y[:, SHOULDERS]))
    hips = float(np.percentile(y[:, HIPS].mean(axis=1), 25))
    knees = float(np.percentile(y[:, KNEES].mean(axis=1), 25))
    trunk = hips - shoulders
    if crop == "waist up":
        return 0.0, min(1.0, hips + 0.15 * abs(trunk))
    if crop == "knees up":
        return 0.0, min(1.0, knees)
    return max(0.0, shoulders - 0.25 * abs(trunk)), 1.0


def cropped_reading(video: Path, seq: PoseSequence, crop: str) -> PoseSequence | None:
    """The video's poses extracted again from frames cut to `crop_rows` (cached), or None when the cut
    leaves less than a fifth of the picture or the landmarks of the full picture are missing."""
    from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence
    from gyml.pose.readers.mover import _extract_cropped, _frame_size

    cache = CROP_CACHE / f"{video.stem}.{crop.replace(' ', '_')}.npz"
    if cache.is_file():
        return PoseSequence.load(cache)
    if seq.image_landmarks is None:
        return None
    rows = crop_rows(np.asarray(seq.image_landmarks, np.float64), crop)
    if rows is None or rows[1] - rows[0] < 0.2:
        return None
    width, height = _frame_size(video)
    box = (0, int(rows[0] * height), width, int(np.ceil(rows[1] * height)))
    poses = _extract_cropped(video, box, (width, height))
    if not np.isfinite(poses.world).all(axis=(1, 2)).any():
        return None
    out = landmarks_to_sequence(poses.world, poses.visibility, seq.fps, seq.source, image_landmarks=poses.image,
                                metadata={**seq.metadata, "crop_rows": rows})
    CROP_CACHE.mkdir(parents=True, exist_ok=True)
    out.save(cache)
    return out


def video_of(path: Path) -> Path | None:
    """The video file of a recording: itself, or the video its stored poses were extracted from
    (UCF101: poses/<stem>.npz, the video in videos/)."""
    if path.suffix.lower() in (".mp4", ".avi", ".mov"):
        return path if path.is_file() else None
    for suffix in (".avi", ".mp4"):
        candidate = path.parent.parent / "videos" / (path.stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def crop_subset(recordings, labels: np.ndarray, per_class: int) -> list[int]:
    """Up to `per_class` videos of each exercise, taken round-robin over their groups."""
    chosen = []
    for label in dict.fromkeys(labels):
        by_group: dict[str, list[int]] = {}
        for i, r in enumerate(recordings):
            if labels[i] == label and video_of(r.path) is not None:
                by_group.setdefault(r.group, []).append(i)
        queues = [sorted(v, key=lambda i: recordings[i].path.name) for _, v in sorted(by_group.items())]
        picked: list[int] = []
        while len(picked) < per_class and any(queues):
            for q in queues:
                if q and len(picked) < per_class:
                    picked.append(q.pop(0))
        chosen += picked
    return chosen


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=20, help="synthesised sequences per catalog exercise")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--crop-per-class", type=int, default=8,
                    help="videos of each exercise re-extracted from cropped frames (0: none)")
    args = ap.parse_args()

    recordings = shared_recordings()
    if not recordings:
        print("no real data found (../shared/data)")
        return 1
    read, problems = read_with_progress(recordings, True)
    for line in problems:
        print(f"skipped {line}")
    seqs = [seq for _, seq in read]
    labels = np.array([r.label for r, _ in read])
    groups = np.array([r.group for r, _ in read])
    sources = np.array([r.source for r, _ in read])
    sensors = np.array([seq.source for seq in seqs])
    files = [str(r.path) for r, _ in read]
    fold = fold_of(groups, sources)
    synth = synth_table(args.per_class, args.seed)

    versions = messy_versions(seqs, labels, fold, files)
    if args.crop_per_class:
        subset = crop_subset([r for r, _ in read], labels, args.crop_per_class)
        print(f"re-extracting {len(subset)} videos from cropped frames ({len(CROPS)} framings; cached)",
              file=sys.stderr)
        for crop in CROPS:
            items: list[PoseSequence | None] = [None] * len(seqs)
            for n, i in enumerate(subset):
                items[i] = cropped_reading(video_of(read[i][0].path), seqs[i], crop)
                print(f"  {crop} {n + 1}/{len(subset)}", end="\r", file=sys.stderr)
            versions[f"{crop} (real crop)"] = items
    features = {}
    for name, items in versions.items():
        keep = [i for i, s in enumerate(items) if s is not None and len(s) >= 2]
        X = build_features([items[i] for i in keep], MODEL_FEATURES)
        features[name] = (np.array(keep, int), X)
        print(f"{name}: {len(keep)} recordings", file=sys.stderr)

    print(f"\nthe analysis's warning that the feet were hardly seen (better ankle's median visibility < "
          f"{FEET_SEEN_MIN}), on videos' poses:")
    for name, items in versions.items():
        if name in ("unchanged",) or name.endswith("(real crop)"):
            seen = [feet_visibility(s) for s in items if s is not None]
            seen = [v for v in seen if v is not None]
            fired = sum(v < FEET_SEEN_MIN for v in seen)
            print(f"  {name:<24} {fired:>3} of {len(seen):>3} ({fired / max(len(seen), 1):.0%})")

    X_clean = features["unchanged"][1]
    pred = {name: np.full(len(seqs), "", dtype=object) for name in versions}
    for k in np.unique(fold):
        train = fold != k
        models = fit_by_sensor(X_clean[train], labels[train], sensors[train], synth, args.seed)
        for name, (keep, X) in features.items():
            for row, i in enumerate(keep):
                if fold[i] != k:
                    continue
                model = models.get(str(sensors[i]), models[None])
                pred[name][i] = model.predict(X[row:row + 1])[0]
        print(f"fold {k + 1}/{len(np.unique(fold))}", file=sys.stderr)

    kinds = [("UCF101", sources == "ucf101"), ("RepCount dev", sources == "repcount"),
             ("other real", (sources != "ucf101") & (sources != "repcount")), ("all real", np.ones(len(seqs), bool))]
    print("\naccuracy out of fold, changed / the same recordings unchanged (n: recordings the change applies to)")
    print(f"{'change':<26}" + "".join(f"{k:>22}" for k, _ in kinds))
    for name in versions:
        cells = []
        for _, inside in kinds:
            have = inside & (pred[name] != "")
            if not have.any():
                cells.append(f"{'-':>22}")
                continue
            acc = np.mean(pred[name][have] == labels[have])
            base = np.mean(pred["unchanged"][have] == labels[have])
            cells.append(f"{acc:.3f} / {base:.3f} ({have.sum()})".rjust(22))
        print(f"{name:<26}" + "".join(cells))
    for name in versions:
        if name == "unchanged":
            continue
        lost = [(Path(files[i]).name, labels[i], pred[name][i]) for i in range(len(seqs))
                if pred[name][i] not in ("", labels[i]) and pred["unchanged"][i] == labels[i]]
        by_class: dict[str, int] = {}
        for _, lab, _ in lost:
            by_class[lab] = by_class.get(lab, 0) + 1
        if lost:
            print(f"\n{name}: right unchanged, wrong changed: {len(lost)} ("
                  + ", ".join(f"{k} {v}" for k, v in sorted(by_class.items(), key=lambda kv: -kv[1])) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
