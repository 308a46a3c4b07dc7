"""How well the per-axis normalisation of RepCount-pose files is undone, measured where the truth is known:
twins of real video poses (UCF101 and our videos, poses already extracted) put through RepCount's sensor
model, and synthesised sets filmed by random phone cameras.

    python benchmarks/axis_restore_twins.py [--variants y_fixed size_fixed abs ...] [--limit N] [--repcount]

A video's twin keeps MediaPipe's own picture landmarks and takes the depth from its world joints
(gyml.pose.sensor_twin.video_picture_points); the truth is those same points before the per-frame min-max
(x at the frame's aspect, so the three axes share one unit). Conditions: `as filmed` (the depth MediaPipe's
world joints give), `noisy depth` (a detector's slow errors added as in the twins used for training:
picture 0.02-0.1, depth 0.1-0.4 torso lengths, 31 frames), `rolled` (the picture turned 10-90 degrees in its
plane before the normalisation, as a phone held sideways or tilted), and `synth` (synthesised sets of
RepCount's seven exercises, random camera and noise). Errors per recording (median over its frames), then
the mean and 90th percentile over recordings: trunk angle from the vertical, bone lengths relative to the
trunk (relative error), the axes' stretches themselves (x/y, z/y: |log| error of each axis's scale against
y's), knee / hip / elbow flexion and shoulder elevation (degrees), and the share of frames whose trunk is off
by more than 30 degrees.

Variants: the two fits of gyml.pose.axis_scales (`y_fixed`, the RepCount read path's; `size_fixed`), and
the variations of the second tried on the way (see `variant`).

`--repcount`: an unlabelled sanity count on RepCount-pose dev: recordings of upright exercises (front
raise, squat, pull-up, jumping jack) whose restored trunk is more than 45 degrees from vertical in most
frames. The class is looked at for this count only; no setting is chosen on RepCount's labels.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from gyml.pose import axis_scales as fits
from gyml.pose.readers.mediapipe_landmarks import landmarks_to_sequence
from gyml.pose.sensor_twin import (
    _noisy,
    _picture,
    has_picture,
    landmarks_from_joints,
    minmax_per_axis,
    random_camera,
    random_noise,
    video_picture_points,
)
from gyml.pose.skeleton import ANGLE_NAMES, JOINT, joint_angles

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ANGLES = {"knee": ("left_knee_flexion", "right_knee_flexion"), "hip": ("left_hip_flexion", "right_hip_flexion"),
          "elbow": ("left_elbow_flexion", "right_elbow_flexion"),
          "shoulder": ("left_shoulder_elevation", "right_shoulder_elevation")}
BONES = [b for b in fits.BONE_RATIOS if b != ("neck", "pelvis")]
UPRIGHT = {"front_raise", "squat", "pull_up", "jumping_jack"}


def video_poses(limit: int | None) -> list:
    """UCF101's extracted poses and our videos' (only those already in the pose cache: nothing is extracted)."""
    from gyml.pose.cache import cached_path
    from gyml.pose.readers import read_pose
    from gyml.pose.sequence import PoseSequence

    seqs = [read_pose(p) for p in sorted((SHARED / "ucf101" / "poses").glob("*.npz"))]
    for video in sorted((SHARED / "videos").rglob("*")):
        if video.suffix.lower() in (".mp4", ".avi") and cached_path(video).exists():
            seqs.append(PoseSequence.load(cached_path(video)))
    seqs = [s for s in seqs if has_picture(s) and s.present.sum() >= 10]
    return seqs[:limit] if limit else seqs


def rolled(points: np.ndarray, degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    out = points.copy()
    out[..., :2] = points[..., :2] @ turn.T
    return out


def twin_cases(seqs: list, conditions: list[str], seed: int = 0):
    """(condition, truth joints, stored joints) for every recording and condition; frames with a full body."""
    rng = np.random.default_rng(seed)
    for condition in conditions:
        if condition == "synth":
            from gyml.synth.motion import SynthConfig, synthesize
            sources = []
            for k, name in enumerate(("squat", "front_raise", "pull_up", "jumping_jack", "push_up", "sit_up",
                                      "bench_press") * 6):
                body = synthesize(name, 4, seed=100 + k, config=SynthConfig(noise_m=0.0))
                joints = np.where(body.present[:, None, None], body.joints, np.nan).astype(np.float64)
                sources.append(_picture(landmarks_from_joints(joints), random_camera(rng)))
        else:
            sources = [video_picture_points(s) for s in seqs]
        for points in sources:
            if condition == "rolled":
                points = rolled(points, float(rng.uniform(10, 90)) * rng.choice([-1, 1]))
            noisy = points if condition == "as filmed" else _noisy(points, random_noise(rng), rng)
            stored = minmax_per_axis(noisy)
            keep = np.isfinite(stored).all(axis=(1, 2)) & np.isfinite(points).all(axis=(1, 2))
            if keep.sum() < 10:
                continue
            truth = landmarks_to_sequence(points[keep], None, 30.0, "truth").joints.astype(np.float64)
            raw = landmarks_to_sequence(stored[keep], None, 30.0, "repcount").joints.astype(np.float64)
            yield condition, truth, raw


def _axis_ranges(j: np.ndarray) -> np.ndarray:
    return np.nanmax(j, axis=1) - np.nanmin(j, axis=1)


def errors(truth: np.ndarray, restored: np.ndarray, raw: np.ndarray) -> dict[str, float]:
    at, ar = joint_angles(truth), joint_angles(restored)
    trunk = ANGLE_NAMES.index("trunk_inclination")
    out = {"trunk": float(np.nanmedian(np.abs(ar[:, trunk] - at[:, trunk]))),
           "trunk>30": float(np.nanmean(np.abs(ar[:, trunk] - at[:, trunk]) > 30))}

    def ratios(j):
        torso = np.linalg.norm(j[:, JOINT["neck"]] - j[:, JOINT["pelvis"]], axis=1)
        return np.stack([np.linalg.norm(j[:, JOINT[a]] - j[:, JOINT[b]], axis=1) / torso for a, b in BONES], 1)

    out["bones"] = float(np.nanmedian(np.abs(ratios(restored) / ratios(truth) - 1)))
    for name, pair in ANGLES.items():
        idx = [ANGLE_NAMES.index(n) for n in pair]
        out[name] = float(np.nanmedian(np.abs(ar[:, idx] - at[:, idx])))
    # The scales themselves: each axis's stretch against y's, as the truth has it (log ratio, per frame).
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.log(_axis_ranges(restored) / _axis_ranges(raw))
        true = np.log(_axis_ranges(truth) / _axis_ranges(raw))
    err = np.abs((est - est[:, 1:2]) - (true - true[:, 1:2]))
    out["x/y"], out["z/y"] = float(np.nanmedian(err[:, 0])), float(np.nanmedian(err[:, 2]))
    return out


# ---- restoration variants: each maps stored joints (T, 24, 3) -> restored joints (torso lengths) ----

_A, _B = fits._A, fits._B
_L2 = fits._L2


def _solve_frames(d2: np.ndarray, weights_fn=None, bounds=None, window: int = 0, iterations: int = 1,
                  ref: np.ndarray | None = None, power: float = 1.0) -> np.ndarray:
    """Per frame, the squared scales (x, y, z) in torso lengths that make every bone its reference length,
    relative residuals (each bone's equation divided by its squared length); optionally bounded, fitted
    over a window of frames (Gaussian weights, sigma window / 2), re-weighted `iterations` times."""
    from scipy.optimize import lsq_linear, nnls

    L2 = _L2 if ref is None else ref
    # power 1: relative residuals; 0: absolute (in squared torso lengths), as y_fixed weighs them
    rows = d2 / (L2 ** power)[None, :, None]                          # (T, bones, 3)
    rhs_bones = L2 ** (1 - power)
    T = len(rows)
    out = np.full((T, 3), np.nan)
    ok = np.isfinite(rows).all(axis=(1, 2))
    for t in range(T):
        if not ok[t]:
            continue
        if window:
            lo, hi = max(0, t - window), min(T, t + window + 1)
            frames = np.arange(lo, hi)[ok[lo:hi]]
            fw = np.exp(-0.5 * ((frames - t) / max(window / 2, 1)) ** 2)
        else:
            frames, fw = np.array([t]), np.ones(1)
        A = rows[frames].reshape(-1, 3)
        rhs = np.tile(rhs_bones, len(frames))
        w = np.repeat(fw, rows.shape[1])
        x = None
        for _ in range(iterations):
            sw = np.sqrt(w)
            if bounds is None:
                x, _ = nnls(A * sw[:, None], rhs * sw)
            else:
                x = lsq_linear(A * sw[:, None], rhs * sw, bounds=bounds, method="bvls").x
            if weights_fn is not None:
                w = np.repeat(fw, rows.shape[1]) * weights_fn((A @ x - rhs) / rhs)
        out[t] = x
    return out


def _finish(joints: np.ndarray, sq: np.ndarray, smooth_frames: int) -> np.ndarray:
    from scipy.ndimage import median_filter

    ok = np.isfinite(sq).all(axis=1) & (sq.max(axis=1) > 0)
    scales = np.ones((len(sq), 3))
    if ok.any():
        idx = np.arange(len(sq))
        for a in range(3):
            scales[:, a] = np.interp(idx, idx[ok], np.sqrt(np.maximum(sq[ok, a], 0)))
    if smooth_frames > 1:
        scales = np.exp(median_filter(np.log(np.maximum(scales, 1e-6)), size=(smooth_frames, 1), mode="nearest"))
    centred = joints - np.nanmean(joints, axis=1, keepdims=True)
    return centred * scales[:, None, :]


def tukey(r: np.ndarray, c: float = 0.5) -> np.ndarray:
    return np.where(np.abs(r) < c, (1 - (r / c) ** 2) ** 2, 1e-3)


def variant(name: str):
    """A fit of gyml.pose.axis_scales (`y_fixed`: the read path's; `size_fixed`), or tokens joined by '+': the residual weighting `abs` / `half` / `rel` (squared torso
    lengths, divided by the bone's length, or by its square), `robust` (Tukey re-weighting, 4 passes),
    `window` (fit over +-7 frames, Gaussian weights, then a 5-frame median instead of 15), `bounded` (each
    axis's extent at most EXTENT_MAX torso lengths), `own` (3 passes, the reference proportions moved
    halfway, geometrically, to the recording's own restored bone lengths)."""
    tokens = set(name.split("+"))

    def run(joints: np.ndarray) -> np.ndarray:
        if name in fits.FITS:
            return fits.restore_axis_scales(joints, fit=name).astype(np.float64)
        d2 = (joints[:, _A] - joints[:, _B]) ** 2
        power = 0.0 if "abs" in tokens else 0.5 if "half" in tokens else 1.0
        kw = {"power": power, "weights_fn": tukey if "robust" in tokens else None,
              "iterations": 4 if "robust" in tokens else 1, "window": 7 if "window" in tokens else 0,
              "bounds": (0.0, EXTENT_MAX ** 2) if "bounded" in tokens else None}
        smooth = 5 if "window" in tokens else 15
        ref = _L2
        for _ in range(3 if "own" in tokens else 1):
            restored = _finish(joints, _solve_frames(d2, ref=ref, **kw), smooth)
            own = np.nanmedian(((restored[:, _A] - restored[:, _B]) ** 2).sum(axis=2), axis=0)
            own = own / own[list(fits.BONE_RATIOS).index(("neck", "pelvis"))]
            ref = np.sqrt(own * _L2)
        return restored
    return run


EXTENT_MAX = 4.5


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["y_fixed", "size_fixed", "abs", "rel", "abs+robust", "abs+window",
                                                          "abs+own"])
    parser.add_argument("--conditions", nargs="+", default=["as filmed", "noisy depth", "rolled", "synth"])
    parser.add_argument("--limit", type=int, default=None, help="first N video recordings only (a quick look)")
    parser.add_argument("--repcount", action="store_true")
    args = parser.parse_args(argv)
    seqs = video_poses(args.limit)
    print(f"{len(seqs)} video recordings with picture landmarks")
    cases = list(twin_cases(seqs, args.conditions))
    keys = ["trunk", "trunk>30", "bones", "x/y", "z/y", "knee", "hip", "elbow", "shoulder"]
    print(f"{'condition':12s} {'variant':22s} " + " ".join(f"{k:>10s}" for k in keys) + "   (mean / p90 over recordings)")
    for condition in args.conditions:
        mine = [(t, r) for c, t, r in cases if c == condition]
        for v in args.variants:
            fn = variant(v)
            t0 = time.perf_counter()
            rows = [errors(t, fn(r), r) for t, r in mine]
            cost = time.perf_counter() - t0
            cells = []
            for k in keys:
                vals = np.array([row[k] for row in rows])
                cells.append(f"{np.nanmean(vals):5.2f}/{np.nanpercentile(vals, 90):4.1f}" if k not in ("bones", "trunk>30", "x/y", "z/y")
                             else f"{np.nanmean(vals):.3f}/{np.nanpercentile(vals, 90):.2f}")
            print(f"{condition:12s} {v:22s} " + " ".join(f"{c:>10s}" for c in cells) + f"   {len(mine)} rec, {cost:.1f} s")
    if args.repcount:
        repcount_sanity(args.variants)


def repcount_sanity(variants: list[str]) -> None:
    """Upright exercises read lying, per variant; and for each such recording what its stored picture says
    before any scale is applied (signs and orders survive the per-axis min-max): the share of frames with the
    shoulders below the hips (upside down), and the trunk's median height in the picture as a share of its
    width (near 0: the body lies across the picture)."""
    import csv

    sys.path.insert(0, str(Path(__file__).parent))
    from real_data import REPCOUNT_TYPES

    folder = SHARED / "repcount_pose" / "dev"
    with open(folder / "labels.csv", newline="") as fh:
        rows = [(r["name"].replace(".mp4", ".npy"), REPCOUNT_TYPES.get(r["type"])) for r in csv.DictReader(fh)]
    rows = [(folder / n, lab) for n, lab in rows if lab and (folder / n).exists()]
    trunk = ANGLE_NAMES.index("trunk_inclination")
    stored = {}
    for path, _ in rows:
        data = np.load(path).astype(np.float64)[:, :99].reshape(-1, 33, 3)
        keep = np.isfinite(data).all(axis=(1, 2)) & ~(data == 0).all(axis=(1, 2))
        stored[path] = data[keep]
    for v in variants:
        fn = variant(v)
        names, lying_frames, upright_frames = [], 0, 0
        for path, label in rows:
            if label not in UPRIGHT:
                continue
            raw = landmarks_to_sequence(stored[path], None, 30.0, "repcount").joints.astype(np.float64)
            angles = joint_angles(fn(raw))[:, trunk]
            lying_frames += int(np.sum(angles > 60))
            upright_frames += int(np.isfinite(angles).sum())
            if np.nanmedian(angles) > 45:
                p = stored[path]
                shoulders, hips = p[:, [11, 12]].mean(axis=1), p[:, [23, 24]].mean(axis=1)
                upside = np.mean(shoulders[:, 1] > hips[:, 1])          # MediaPipe's y points down
                across = np.median(np.abs(shoulders[:, 1] - hips[:, 1]) / np.maximum(np.abs(shoulders[:, 0] - hips[:, 0]), 1e-6))
                names.append(f"{path.stem} {label} {np.nanmedian(angles):.0f} deg (picture: shoulders below hips in "
                             f"{upside:.0%} of frames, trunk height/width {across:.2f})")
        upright = sum(lab in UPRIGHT for _, lab in rows)
        print(f"RepCount dev, {v}: {len(names)} of {upright} upright recordings read lying, "
              f"{lying_frames / max(upright_frames, 1):.1%} of their frames over 60 deg:")
        for n in names:
            print(f"    {n}")


if __name__ == "__main__":
    main(sys.argv[1:])
