"""Features of the body's outline in the picture: MediaPipe's image landmarks, each frame min-max
normalised per axis (RepCount-pose's own sensor; video landmarks are normalised the same way here).

The 3D read of a RepCount-pose file restores bone proportions from per-axis normalised landmarks, which
bends some of what the picture shows plainly: which landmarks carry the motion, whether the feet spread
(a jack) or stay (a front raise), whether the hips travel against the shoulders and feet (a squat) or one
knee drops (a lunge), whether the two sides move together, and which way the body lies in the picture.
All of it is mirror-invariant (sides ordered by how much they move, horizontal offsets taken absolute).
Input without picture landmarks (synthesised motion, 3D trackers) gets `MISSING` in every column.
"""

from __future__ import annotations

import warnings

import numpy as np

from gyml.classify.features import MISSING

NOSE, SHOULDERS, ELBOWS, WRISTS, HIPS, KNEES, ANKLES = 0, (11, 12), (13, 14), (15, 16), (23, 24), (25, 26), (27, 28)
_TRAVEL_PARTS = (("wrist", WRISTS), ("elbow", ELBOWS), ("knee", KNEES), ("ankle", ANKLES), ("hip", HIPS),
                 ("shoulder", SHOULDERS))
# Landmarks from head to feet: in an upright body their picture height follows this order, in a lying one
# their horizontal position does.
_HEAD_TO_FEET = (0, 11, 12, 23, 24, 25, 26, 27, 28)
_RANK = np.array([0, 1, 1, 2, 2, 3, 3, 4, 4], float)
MIN_FRAMES = 8


def picture_feature_names() -> list[str]:
    names = [f"pic:{part}_travel_{axis}" for part, _ in _TRAVEL_PARTS for axis in ("x", "y")]
    names += ["pic:nose_travel_y", "pic:wrist_over_shoulder_p10", "pic:wrist_over_shoulder_p90",
              "pic:wrist_out_p90", "pic:feet_apart_median", "pic:feet_apart_range", "pic:hip_height_range",
              "pic:knee_drop_gap_p90", "pic:sync_wrist_y", "pic:sync_knee_y", "pic:sync_feet_x",
              "pic:upright", "pic:frames_seen"]
    return names


N_PICTURE = len(picture_feature_names())


def normalise_per_frame(image_landmarks: np.ndarray) -> np.ndarray:
    """(T, 33, 2) -> each frame's x and y min-max scaled to 0..1 over its landmarks (NaN where unseen)."""
    pts = np.asarray(image_landmarks, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # frames with nobody: all-NaN slices
        lo, hi = np.nanmin(pts, axis=1, keepdims=True), np.nanmax(pts, axis=1, keepdims=True)
        span = hi - lo
        out = (pts - lo) / np.where(span > 1e-9, span, np.nan)
    return out


def _range(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    if len(values) < MIN_FRAMES:
        return np.nan
    p10, p90 = np.percentile(values, [10, 90])
    return float(p90 - p10)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < MIN_FRAMES or x[ok].std() < 1e-6 or y[ok].std() < 1e-6:
        return 0.0
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def picture_features(image_landmarks: np.ndarray | None) -> np.ndarray:
    """(N_PICTURE,) statistics of the per-frame normalised picture landmarks; MISSING where not seen."""
    if image_landmarks is None or np.ndim(image_landmarks) != 3 or np.shape(image_landmarks)[1] < 33:
        return np.full(N_PICTURE, MISSING, np.float32)
    pts = normalise_per_frame(image_landmarks[:, :33])
    pts = pts[np.isfinite(pts[:, list(_HEAD_TO_FEET)]).any(axis=(1, 2))]
    if len(pts) < MIN_FRAMES:
        return np.full(N_PICTURE, MISSING, np.float32)
    x, y = pts[..., 0], pts[..., 1]
    out = []
    more = {}
    for part, (a, b) in _TRAVEL_PARTS:
        travel_a, travel_b = _range(x[:, a]) + _range(y[:, a]), _range(x[:, b]) + _range(y[:, b])
        first = a if not np.isfinite(travel_b) or (np.isfinite(travel_a) and travel_a >= travel_b) else b
        more[part] = (first, b if first == a else a)
        out += [_range(x[:, first]), _range(y[:, first])]
    out.append(_range(y[:, NOSE]))
    wrist = more["wrist"][0]
    shoulder = wrist - 4          # 15 -> 11, 16 -> 12: the shoulder on the wrist's side
    # picture y grows downwards: a positive value is a wrist above its shoulder, in body heights
    reach = y[:, shoulder] - y[:, wrist]
    reach = reach[np.isfinite(reach)]
    out += list(np.percentile(reach, [10, 90])) if len(reach) >= MIN_FRAMES else [np.nan, np.nan]
    out_side = np.abs(x[:, wrist] - x[:, shoulder])
    out_side = out_side[np.isfinite(out_side)]
    out.append(float(np.percentile(out_side, 90)) if len(out_side) >= MIN_FRAMES else np.nan)
    feet = np.abs(x[:, ANKLES[0]] - x[:, ANKLES[1]])
    finite_feet = feet[np.isfinite(feet)]
    out += [float(np.median(finite_feet)) if len(finite_feet) >= MIN_FRAMES else np.nan, _range(feet)]
    shoulders_y, hips_y, ankles_y = (np.nanmean(y[:, list(p)], axis=1) for p in (SHOULDERS, HIPS, ANKLES))
    with np.errstate(invalid="ignore", divide="ignore"):
        hip_height = (ankles_y - hips_y) / (ankles_y - shoulders_y)
    out.append(_range(np.where(np.abs(hip_height) < 5, hip_height, np.nan)))
    out.append(_range(np.abs(y[:, KNEES[0]] - y[:, KNEES[1]])))
    out += [_corr(y[:, WRISTS[0]], y[:, WRISTS[1]]), _corr(y[:, KNEES[0]], y[:, KNEES[1]]),
            _corr(x[:, ANKLES[0]], -x[:, ANKLES[1]])]
    body = pts[:, list(_HEAD_TO_FEET)]
    out.append(float(np.nanmedian(np.abs(_rank_corr(body[..., 1])) - np.abs(_rank_corr(body[..., 0])))))
    out.append(len(pts) / max(len(image_landmarks), 1))
    values = np.array(out, dtype=np.float64)
    return np.where(np.isfinite(values), values, MISSING).astype(np.float32)


def _rank_corr(values: np.ndarray) -> np.ndarray:
    """(T, 9) -> each frame's correlation of the values with the landmarks' head-to-feet rank (NaN-aware)."""
    ok = np.isfinite(values)
    n = ok.sum(axis=1)
    rank = np.where(ok, _RANK, 0.0)
    v = np.where(ok, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mr, mv = rank.sum(1) / n, v.sum(1) / n
        dr, dv = np.where(ok, rank - mr[:, None], 0.0), np.where(ok, v - mv[:, None], 0.0)
        r = (dr * dv).sum(1) / np.sqrt((dr ** 2).sum(1) * (dv ** 2).sum(1))
    return np.where(n >= 5, r, np.nan)
