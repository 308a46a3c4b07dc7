"""RepCount-pose recognition variants, compared out of fold by group over several forest seeds, on the
benchmark's folds WITHOUT UCF101 group 15 (the check no choice looks at).

    python benchmarks/repcount_variants.py [--seeds 0 1 2 3 4 5] [--variants base picture_repcount ...]

Variants (every one keeps the shipped split: input from RepCount-pose files is judged by a forest fitted
with RepCount's own recordings weighted build_default.SENSOR_WEIGHTS up, other input by the general forest):
- `base`: the shipped recipe (144 motion features).
- `picture_repcount`: the RepCount forest also reads the picture features (gyml.classify.picture), the
  general forest unchanged; `picture_all`: both forests read them.
- `picture_few_repcount`: only the few picture columns named before looking (feet spread range, wrist over
  shoulder p90, hip height range, knee drop gap, wrist sync, upright).
- `blend_logreg` (`_picture`): the RepCount forest's probabilities averaged with a logistic regression
  fitted on the training fold's RepCount recordings alone (motion features, or motion + picture).
- `blend_video`: as `blend_logreg`, and video input likewise (forest + logistic regression on the training
  fold's real video recordings).
- `blend_dtw`: as `blend_logreg`, plus a third member of equal share: a 3-nearest-recording vote under
  DTW of the counted reps' period-normalised joint-angle trajectories (gyml.classify.rep_neighbors, fitted
  on the training fold's RepCount recordings); `forest_dtw`: forest and that vote, halves (the vote
  replacing the logistic regression); `dtw_alone`: the vote by itself. Shares, k, channels and steps
  fixed before the first comparison. `blend_dtw_phase` / `dtw_alone_phase`: the same with the vote blind to
  where the counter cut the reps (RepNeighbors(phase_free=True)).
- `turned`: `shipped`, and every training RepCount recording also as its picture turned a quarter turn
  each way (a video stored on its side), same label and group, joining the training rows wherever the
  recording goes (forests and logistic regression; the vote keeps the recordings as stored). Rule fixed
  before the run: adopted if its RepCount mean over seeds 0-5 is higher than `shipped`'s, it is lower on no
  seed, and UCF101 loses no more than one clip on average.
- `shipped_treesN` (e.g. `shipped_trees200`): `shipped` with N trees per forest instead of build_default.N_TREES.
  600 (shipped) against 200 (before), rule fixed before the run: adopted if neither source's mean over seeds
  0-5 falls (UCF101 by more than half a clip) and UCF101's spread over the seeds narrows.
- `span`: `shipped`, every real recording's motion features read on its counted span only (the counted
  reps' first start to last end, widened by half the median rep each side; the whole recording under two
  reps), so a set-up before the set or a walk away after it is not described as the exercise; the vote
  unchanged. Rule fixed before the run: adopted if RepCount's mean over seeds 0-5 is higher than
  `shipped`'s, lower on no seed, and UCF101's mean is not lower by more than half a clip.
- `invariant4`: `shipped`, and RepCount input's blend gets a fourth member: a forest fitted as the sensor's
  forest (RepCount weighted up, the same synthesised rows) on the motion columns that do not read the
  world's vertical (every column but those of trunk_inclination, hand_height and hip_height), so a picture
  stored on its side or upside down reads as it would upright; the shipped blend's probabilities times 3/4
  plus this member's times 1/4 (equal quarters). Rule fixed before the run: adopted if RepCount's mean
  over seeds 0-5 is higher than `shipped`'s and lower on no seed (video input is not touched).
- `shipped`: build_default.out_of_fold_proba itself (the shipped SensorBlend with its rep vote, i.e.
  `blend_dtw` through the shipped code; always the new folds).
`--old-folds`: the folds before (build_default.fold_of(by_source=False)).
Feature tables are cached in out/repcount_variants_tables.npz (delete it after changing features).
Prints accuracy per source (mean over seeds, and each seed) and RepCount recall per class.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from gyml.classify.build_default import (
    HELD_OUT_GROUPS,
    SENSOR_WEIGHTS,
    FeatureTable,
    fit,
    fold_of,
    shared_recordings,
    synth_table,
)
from gyml.classify.picture import N_PICTURE, picture_feature_names

CACHE = Path("out/repcount_variants_tables.npz")
REPS_CACHE = Path("out/repcount_variants_reps.npz")
OLD_FOLDS = False   # --old-folds: build_default.fold_of(by_source=False), the folds before
FEW = ("pic:feet_apart_range", "pic:wrist_over_shoulder_p90", "pic:hip_height_range", "pic:knee_drop_gap_p90",
       "pic:sync_wrist_y", "pic:upright")


def tables(per_class: int = 20):
    """(real table with motion + picture columns, synthesised table with motion + MISSING picture columns)."""
    if CACHE.exists():
        d = np.load(CACHE)
        real = FeatureTable(d["real.X"], d["real.labels"], d["real.groups"], d["real.sources"],
                            list(d["real.files"]), d["real.sensors"])
        synth = FeatureTable(d["synth.X"], d["synth.labels"], d["synth.groups"], d["synth.sources"],
                             list(d["synth.files"]))
        return real, synth
    from gyml.classify.features import MISSING, build_features
    from gyml.classify.picture import picture_features
    from gyml.classify.recordings import read_with_progress

    read, _ = read_with_progress(shared_recordings(), True)
    seqs = [seq for _, seq in read]
    X = np.hstack([build_features(seqs, "motion"), np.stack([picture_features(s.image_landmarks) for s in seqs])])
    real = FeatureTable(X, np.array([r.label for r, _ in read]), np.array([r.group for r, _ in read]),
                        np.array([r.source for r, _ in read]), [r.path.name for r, _ in read],
                        np.array([s.source for s in seqs]))
    synth = synth_table(per_class, 0)
    synth = FeatureTable(np.hstack([synth.X, np.full((len(synth.X), N_PICTURE), MISSING, np.float32)]),
                         synth.labels, synth.groups, synth.sources, synth.files)
    CACHE.parent.mkdir(exist_ok=True)
    np.savez_compressed(CACHE, **{f"{n}.{k}": np.asarray(getattr(t, k)) for n, t in (("real", real), ("synth", synth))
                                  for k in ("X", "labels", "groups", "sources", "files")},
                        **{"real.sensors": real.sensors})
    return real, synth


def rep_table(real: FeatureTable) -> np.ndarray:
    """Packed rep trajectories (gyml.classify.rep_neighbors) for each real row; NaN rows for other sources."""
    from gyml.classify.rep_neighbors import MAX_REPS, STEPS, TRAJECTORY_CHANNELS, pack, rep_trajectories

    width = MAX_REPS * STEPS * len(TRAJECTORY_CHANNELS)
    if REPS_CACHE.exists():
        d = np.load(REPS_CACHE)
        by_name = dict(zip(d["files"], d["table"]))
    else:
        from gyml.classify.recordings import read_with_progress

        wanted = [r for r in shared_recordings() if r.source == "repcount"]
        read, _ = read_with_progress(wanted, True)
        names = [r.path.name for r, _ in read]
        table = pack([rep_trajectories(seq) for _, seq in read])
        REPS_CACHE.parent.mkdir(exist_ok=True)
        np.savez_compressed(REPS_CACHE, files=np.array(names), table=table)
        by_name = dict(zip(names, table))
    return np.stack([by_name[f] if (s == "repcount" and f in by_name) else np.full(width, np.nan)
                     for f, s in zip(real.files, real.sources)])


TURNED_CACHE = Path("out/repcount_variants_turned.npz")


def turn_picture(points: np.ndarray, quarter: int) -> np.ndarray:
    """(T, 33, 3) per-frame normalised landmarks as if the video were stored turned `quarter` quarter turns
    counter-clockwise (x, y in [0, 1], y down); depth untouched."""
    out = np.array(points, dtype=np.float64)
    for _ in range(quarter % 4):
        x, y = out[..., 0].copy(), out[..., 1].copy()
        out[..., 0], out[..., 1] = y, 1.0 - x
    return out


def turned_table(real: FeatureTable) -> tuple[np.ndarray, np.ndarray]:
    """Motion features of each RepCount recording turned a quarter turn each way, and the row each turns."""
    from gyml.classify.features import build_features
    from gyml.pose.bounded_npy import load_npy
    from gyml.pose.readers.repcount import normalised_landmarks_to_sequence

    if TURNED_CACHE.exists():
        d = np.load(TURNED_CACHE)
        by_name = {(str(f), int(q)): x for f, q, x in zip(d["files"], d["quarters"], d["X"])}
    else:
        paths = {r.path.name: r.path for r in shared_recordings() if r.source == "repcount"}
        names, quarters, seqs = [], [], []
        for name, path in paths.items():
            points = load_npy(path).astype(np.float64)[:, :99].reshape(-1, 33, 3)
            empty = (points == 0).all(axis=(1, 2))
            for q in (1, 3):
                turned = turn_picture(points, q)
                turned[empty] = 0.0    # frames without a person stay empty
                seqs.append(normalised_landmarks_to_sequence(turned, 30.0, {"file": name}))
                names.append(name)
                quarters.append(q)
        X = build_features(seqs, "motion")
        TURNED_CACHE.parent.mkdir(exist_ok=True)
        np.savez_compressed(TURNED_CACHE, files=np.array(names), quarters=np.array(quarters), X=X)
        by_name = {(f, q): x for f, q, x in zip(names, quarters, X)}
    rows, of = [], []
    for i, (f, src) in enumerate(zip(real.files, real.sources)):
        if src == "repcount":
            for q in (1, 3):
                if (f, q) in by_name:
                    rows.append(by_name[(f, q)])
                    of.append(i)
    width = real.X.shape[1]
    X = np.zeros((len(rows), width), np.float32)
    X[:, : len(rows[0])] = np.stack(rows)
    return X, np.array(of, int)


SPAN_CACHE = Path("out/repcount_variants_span.npz")


def counted_span(seq) -> tuple[int, int]:
    """The frames the exercise fills: the counted reps' first start to last end, widened by half the median
    rep each side; the whole recording when fewer than two reps are counted (fixed before the run)."""
    from gyml.reps.counter import count_reps

    reps = count_reps(seq)
    if len(reps.segments) < 2:
        return 0, len(seq)
    half = int(np.median([s.end - s.start for s in reps.segments]) // 2)
    return max(0, reps.segments[0].start - half), min(len(seq), reps.segments[-1].end + 1 + half)


def span_table(real: FeatureTable) -> np.ndarray:
    """Motion features of each real recording read on its counted span only (`span` variant)."""
    from gyml.classify.features import build_features

    if SPAN_CACHE.exists():
        d = np.load(SPAN_CACHE)
        by_name = {(str(f), str(s)): x for f, s, x in zip(d["files"], d["sources"], d["X"])}
    else:
        from gyml.classify.recordings import read_with_progress

        read, _ = read_with_progress(shared_recordings(), True)
        parts, names, sources, kept = [], [], [], []
        for r, seq in read:
            a, b = counted_span(seq)
            parts.append(seq.slice(a, b))
            names.append(r.path.name)
            sources.append(r.source)
            kept.append((b - a) / max(len(seq), 1))
        X = build_features(parts, "motion")
        print(f"span: median share of frames kept {np.median(kept):.2f}, under 0.9 in {np.mean(np.array(kept) < 0.9):.0%}")
        SPAN_CACHE.parent.mkdir(exist_ok=True)
        np.savez_compressed(SPAN_CACHE, files=np.array(names), sources=np.array(sources), X=X)
        by_name = {(f, s): x for f, s, x in zip(names, sources, X)}
    return np.stack([by_name[(f, s)] for f, s in zip(real.files, real.sources)]).astype(np.float32)


_DTW_PROBA: dict = {}   # fold -> (rows, classes, probabilities): the vote does not depend on the seed


def dtw_proba(reps: np.ndarray, real: FeatureTable, train: np.ndarray, rows: np.ndarray, key,
              phase_free: bool = False):
    from gyml.classify.rep_neighbors import RepNeighbors

    key = (*key, phase_free)
    if key not in _DTW_PROBA:
        own = train & (real.sensor_of() == "repcount")
        model = RepNeighbors(phase_free=phase_free).fit(reps[own], real.labels[own])
        _DTW_PROBA[key] = (model.classes_, model.predict_proba(reps[rows]))
    return _DTW_PROBA[key]


def columns(variant: str, n_motion: int, for_repcount: bool) -> np.ndarray:
    motion = np.arange(n_motion)
    names = picture_feature_names()
    if not variant.startswith("picture") or (variant.endswith("_repcount") and not for_repcount):
        return motion
    if variant.startswith("picture_few"):
        return np.concatenate([motion, n_motion + np.array([names.index(n) for n in FEW])])
    return np.arange(n_motion + N_PICTURE)


def sensor_model(X: np.ndarray, y: np.ndarray):
    """A small model of RepCount's own recordings: quantile-scaled features, L2 logistic regression
    (C fixed before looking)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import QuantileTransformer

    return make_pipeline(QuantileTransformer(n_quantiles=min(30, len(y))),
                         LogisticRegression(C=0.3, max_iter=3000)).fit(X, y)


# motion columns that read the world's vertical; the rest are the body's own angles and ratios
VERTICAL = ("trunk_inclination", "hand_height", "hip_height")


def invariant_columns(n_motion: int) -> np.ndarray:
    from gyml.classify.features import motion_feature_names

    names = motion_feature_names()
    assert len(names) == n_motion
    return np.array([i for i, n in enumerate(names) if not any(v in n for v in VERTICAL)])


def invariant_blend(real: FeatureTable, synth: FeatureTable, seed: int, reps: np.ndarray | None,
                    share: float = 0.25, return_proba: bool = False):
    """`invariant4`: the shipped out-of-fold probabilities, RepCount input's mixed with a forest on the
    columns that do not read the vertical."""
    from gyml.classify import build_default

    n_motion = real.X.shape[1] - N_PICTURE
    motion = FeatureTable(real.X[:, :n_motion], real.labels, real.groups, real.sources, real.files,
                          real.sensors, reps)
    sub_synth = FeatureTable(synth.X[:, :n_motion], synth.labels, synth.groups, synth.sources, synth.files)
    proba, classes = build_default.out_of_fold_proba(motion, sub_synth, seed)
    inv = invariant_columns(n_motion)
    inv_synth = FeatureTable(synth.X[:, inv], synth.labels, synth.groups, synth.sources, synth.files)
    fold = fold_of(real.groups, real.sources)
    sensors = real.sensor_of()
    extra = np.zeros_like(proba)
    for k in np.unique(fold):
        train, rows = fold != k, (fold == k) & (sensors == "repcount")
        if not rows.any():
            continue
        scale = np.where(sensors[train] == "repcount", SENSOR_WEIGHTS["repcount"], 1.0)
        model = fit(real.X[train][:, inv], real.labels[train], inv_synth, seed, scale)
        extra[np.ix_(rows, np.searchsorted(classes, model.classes_))] = model.predict_proba(real.X[rows][:, inv])
    mixed = proba.copy()
    rc = sensors == "repcount"
    mixed[rc] = (1 - share) * proba[rc] + share * extra[rc]
    if return_proba:
        return proba, extra, classes
    return classes[np.argmax(mixed, axis=1)]


def out_of_fold(variant: str, real: FeatureTable, synth: FeatureTable, seed: int,
                reps: np.ndarray | None = None) -> np.ndarray:
    n_motion = real.X.shape[1] - N_PICTURE
    if variant.startswith("shipped_trees"):   # the shipped recipe with another number of trees
        from gyml.classify import build_default
        before = build_default.N_TREES
        build_default.N_TREES = int(variant.removeprefix("shipped_trees"))
        try:
            return out_of_fold("shipped", real, synth, seed, reps)
        finally:
            build_default.N_TREES = before
    if variant == "invariant4":
        return invariant_blend(real, synth, seed, reps)
    if variant in ("shipped", "turned", "span"):   # build_default's own out-of-fold path, on the motion columns
        from gyml.classify import build_default
        X = span_table(real) if variant == "span" else real.X[:, :n_motion]
        motion = FeatureTable(X, real.labels, real.groups, real.sources, real.files, real.sensors, reps)
        if variant == "turned":
            X_turned, of = turned_table(real)
            motion = replace(motion, X_framed=X_turned[:, :n_motion], framed_of=of)
        sub_synth = FeatureTable(synth.X[:, :n_motion], synth.labels, synth.groups, synth.sources, synth.files)
        proba, classes = build_default.out_of_fold_proba(motion, sub_synth, seed)
        return classes[np.argmax(proba, axis=1)]
    fold = fold_of(real.groups, real.sources, by_source=not OLD_FOLDS)
    sensors = real.sensor_of()
    pred = np.empty(len(real.labels), object)
    weight = SENSOR_WEIGHTS["repcount"]
    for k in np.unique(fold):
        train, test = fold != k, fold == k
        for for_repcount in (False, True):
            rows = test & ((sensors == "repcount") == for_repcount)
            if not rows.any():
                continue
            cols = columns(variant, n_motion, for_repcount)
            sub_synth = FeatureTable(synth.X[:, cols], synth.labels, synth.groups, synth.sources, synth.files)
            scale = np.where(sensors[train] == "repcount", weight, 1.0) if for_repcount else None
            model = fit(real.X[train][:, cols], real.labels[train], sub_synth, seed, scale)
            proba = model.predict_proba(real.X[rows][:, cols])
            classes = list(model.classes_)
            phase_free = variant.endswith("_phase")
            if for_repcount and variant in ("dtw_alone", "dtw_alone_phase"):   # the vote by itself (deterministic)
                vote_classes, vote = dtw_proba(reps, real, train, rows, (OLD_FOLDS, int(k)), phase_free)
                proba = np.zeros_like(proba)
                proba[:, [classes.index(c) for c in vote_classes]] = vote
            elif for_repcount and variant in ("blend_dtw", "blend_dtw_phase", "forest_dtw"):
                vote_classes, vote = dtw_proba(reps, real, train, rows, (OLD_FOLDS, int(k)), phase_free)
                members = [proba]
                if variant.startswith("blend_dtw"):
                    own = train & (sensors == "repcount")
                    small = sensor_model(real.X[own][:, :n_motion], real.labels[own])
                    mix = np.zeros_like(proba)
                    mix[:, [classes.index(c) for c in small.classes_]] = small.predict_proba(
                        real.X[rows][:, :n_motion])
                    members.append(mix)
                mix = np.zeros_like(proba)
                mix[:, [classes.index(c) for c in vote_classes]] = vote
                members.append(mix)
                proba = np.mean(members, axis=0)
            elif for_repcount and variant.startswith("blend"):
                own = train & (sensors == "repcount")
                small_cols = np.arange(real.X.shape[1]) if "picture" in variant else np.arange(n_motion)
                small = sensor_model(real.X[own][:, small_cols], real.labels[own])
                mix = np.zeros_like(proba)
                mix[:, [classes.index(c) for c in small.classes_]] = small.predict_proba(real.X[rows][:, small_cols])
                proba = 0.5 * proba + 0.5 * mix
            if not for_repcount and variant == "blend_video":   # the same blend for video input
                own = train & (sensors == "video")
                small = sensor_model(real.X[own][:, :n_motion], real.labels[own])
                video = sensors[rows] == "video"
                mix = np.zeros((video.sum(), len(classes)))
                mix[:, [classes.index(c) for c in small.classes_]] = small.predict_proba(
                    real.X[rows][video][:, :n_motion])
                proba[video] = 0.5 * proba[video] + 0.5 * mix
            pred[rows] = np.array(classes)[np.argmax(proba, axis=1)]
    return pred


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    ap.add_argument("--variants", nargs="+", default=["base", "shipped"])
    ap.add_argument("--with-group-15", action="store_true", help="the benchmark's own folds (check only)")
    ap.add_argument("--old-folds", action="store_true", help="sources dealt together (the folds before)")
    args = ap.parse_args()
    global OLD_FOLDS
    OLD_FOLDS = args.old_folds
    real, synth = tables()
    keep = np.ones(len(real.labels), bool) if args.with_group_15 else ~np.isin(real.groups, HELD_OUT_GROUPS)
    real = FeatureTable(real.X[keep], real.labels[keep], real.groups[keep], real.sources[keep],
                        [f for f, k in zip(real.files, keep) if k], real.sensors[keep])
    reps = rep_table(real) if any("dtw" in v or v.startswith(("shipped", "turned", "span", "invariant")) for v in args.variants) \
        else None
    for variant in args.variants:
        t0 = time.perf_counter()
        preds = [out_of_fold(variant, real, synth, seed, reps) for seed in args.seeds]
        line = []
        for source in ("ucf101", "repcount"):
            inside = real.sources == source
            accs = [float(np.mean(p[inside] == real.labels[inside])) for p in preds]
            line.append(f"{source} {np.mean(accs):.3f} ({' '.join(f'{a:.3f}' for a in accs)})")
        accs = [float(np.mean(p == real.labels)) for p in preds]
        line.append(f"all {np.mean(accs):.3f}")
        print(f"{variant:<22} " + "  ".join(line) + f"  [{time.perf_counter() - t0:.0f} s]")
        inside = real.sources == "repcount"
        recalls = [f"{lab} {np.mean([np.mean(p[inside & (real.labels == lab)] == lab) for p in preds]):.2f}"
                   for lab in sorted(set(real.labels[inside]))]
        print("    repcount recall: " + ", ".join(recalls))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
