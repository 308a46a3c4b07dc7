"""Training on RepCount-like twins (gyml.pose.sensor_twin): variants compared out of fold by group, over
several forest seeds, on the benchmark's folds WITHOUT UCF101 group 15 (the check no choice looks at).

    python benchmarks/sensor_twin_variants.py [--seeds 0 1 2 3 4 5] [--variants base synth_twins ...]
                                              [--twin-weight 1] [--angle-smooth 0.1]

Variants: `base` (real + synthesised, one forest for every input: the recipe before RepCount input got a
forest of its own), `synth_twins` (+ a twin of every synthesised set,
filmed by a random phone camera, with detector noise), `real_twins` (+ a twin of every real recording that
is not RepCount, class-balanced like the real data, in the fold of its original), `both`; `_flag` appends a
column telling the sensor (1: RepCount-like, 0: 3D); `repcount_forest` is the shipped recipe (RepCount input
judged by a forest with RepCount's recordings weighted `--repcount-weight`, default 4). `--angle-smooth S`: every recording's joint angles
low-pass filtered (gaussian, S seconds) before the statistics. Feature tables are cached under out/
(delete them after changing features or twins). Prints accuracy per source (mean over seeds, and each
seed) and RepCount recall per class.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from real_data import seed_summary

from gyml.classify.build_default import (
    HELD_OUT_GROUPS,
    FeatureTable,
    fold_of,
    make_classifier,
    shared_recordings,
    synth_table,
    training_weights,
)

CACHE = Path("out/sensor_twin_tables.npz")


def twin_tables(per_class: int, seed: int = 0, picture=(0.02, 0.1), depth=(0.1, 0.4), smooth: int = 31,
                video_noise: bool = True):
    """(real, synth, real twins, synth twins) feature tables; twins share their original's label and group."""
    from gyml.classify.build_default import synthetic_dataset
    from gyml.classify.features import build_features
    from gyml.classify.recordings import read_with_progress
    from gyml.pose.sensor_twin import random_camera, random_noise, repcount_twin

    recordings = shared_recordings()
    read, _ = read_with_progress(recordings, True)
    real = FeatureTable(build_features([seq for _, seq in read], "motion"), np.array([r.label for r, _ in read]),
                        np.array([r.group for r, _ in read]), np.array([r.source for r, _ in read]),
                        [r.path.name for r, _ in read])
    rng = np.random.default_rng(seed + 101)
    t0 = time.perf_counter()
    twins, keep = [], []
    for i, (r, seq) in enumerate(read):
        if r.source == "repcount":
            continue
        twins.append(repcount_twin(seq, noise=random_noise(rng, picture, depth, smooth) if video_noise else None, rng=rng))
        keep.append(i)
    keep = np.array(keep)
    real_twins = FeatureTable(build_features(twins, "motion"), real.labels[keep], real.groups[keep],
                              real.sources[keep], [real.files[i] for i in keep])
    print(f"{len(twins)} real twins in {time.perf_counter() - t0:.1f} s")
    synth = synth_table(per_class, seed)
    data = synthetic_dataset(per_class, seed)
    t0 = time.perf_counter()
    synth_twin_seqs = [repcount_twin(s, random_camera(rng), random_noise(rng, picture, depth, smooth), rng) for s in data.sequences]
    synth_twins = FeatureTable(build_features(synth_twin_seqs, "motion"), synth.labels, synth.groups,
                               synth.sources, synth.files)
    print(f"{len(synth_twin_seqs)} synthesised twins in {time.perf_counter() - t0:.1f} s")
    return real, synth, real_twins, synth_twins


def save(tables, cache: Path) -> None:
    cache.parent.mkdir(exist_ok=True)
    arrays = {}
    for name, t in zip(("real", "synth", "real_twins", "synth_twins"), tables):
        arrays.update({f"{name}.X": t.X, f"{name}.labels": t.labels, f"{name}.groups": t.groups,
                       f"{name}.sources": t.sources, f"{name}.files": np.array(t.files)})
    np.savez_compressed(cache, **arrays)


def load(cache: Path = CACHE):
    d = np.load(cache)
    return [FeatureTable(d[f"{n}.X"], d[f"{n}.labels"], d[f"{n}.groups"], d[f"{n}.sources"], list(d[f"{n}.files"]))
            for n in ("real", "synth", "real_twins", "synth_twins")]


def with_flag(X: np.ndarray, value) -> np.ndarray:
    return np.column_stack([X, np.broadcast_to(np.asarray(value, np.float32), (len(X),))])


def fit_variant(variant: str, real, synth, real_twins, synth_twins, train_real: np.ndarray, seed: int,
                twin_weight: float):
    flag = "flag" in variant
    Xs = [real.X[train_real]]
    ys = [real.labels[train_real]]
    flags = [(real.sources[train_real] == "repcount").astype(np.float32)]
    weights = [training_weights(real.labels[train_real], 0)]
    if "real_twins" in variant or "both" in variant:
        inside = np.isin(real_twins.groups, real.groups[train_real])
        Xs.append(real_twins.X[inside])
        ys.append(real_twins.labels[inside])
        flags.append(np.ones(inside.sum(), np.float32))
        weights.append(twin_weight * training_weights(real_twins.labels[inside], 0))
    Xs.append(synth.X)
    ys.append(synth.labels)
    flags.append(np.zeros(len(synth.labels), np.float32))
    weights.append(np.ones(len(synth.labels)))
    if "synth_twins" in variant or "both" in variant:
        Xs.append(synth_twins.X)
        ys.append(synth_twins.labels)
        flags.append(np.ones(len(synth_twins.labels), np.float32))
        weights.append(np.full(len(synth_twins.labels), twin_weight))
    X = np.vstack(Xs)
    if flag:
        X = np.column_stack([X, np.concatenate(flags)])
    return make_classifier(seed).fit(X, np.concatenate(ys), clf__sample_weight=np.concatenate(weights)), flag


def evaluate(variant: str, tables, seeds, twin_weight: float, include_held_out: bool = False):
    real, synth, real_twins, synth_twins = tables
    keep = np.ones(len(real.labels), bool) if include_held_out else ~np.isin(real.groups, HELD_OUT_GROUPS)
    sub = FeatureTable(real.X[keep], real.labels[keep], real.groups[keep], real.sources[keep],
                       [f for f, k in zip(real.files, keep) if k])
    fold = fold_of(sub.groups, sub.sources)
    per_seed = []
    if variant == "repcount_forest":   # the shipped recipe: RepCount input judged by a forest of its own
        from gyml.classify import build_default
        for seed in seeds:
            proba, classes = build_default.out_of_fold_proba(sub, synth, seed)
            per_seed.append(classes[np.argmax(proba, axis=1)])
        return sub, per_seed
    for seed in seeds:
        pred = np.empty(len(sub.labels), object)
        for k in np.unique(fold):
            train = fold != k
            model, flag = fit_variant(variant, sub, synth, real_twins, synth_twins, train, seed, twin_weight)
            X = sub.X[fold == k]
            if flag:
                X = with_flag(X, (sub.sources[fold == k] == "repcount").astype(np.float32))
            pred[fold == k] = model.predict(X)
        per_seed.append(pred)
    return sub, per_seed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--twin-weight", type=float, default=1.0,
                    help="weight of a twin against its original (real twins class-balanced like real data)")
    ap.add_argument("--variants", nargs="+",
                    default=["base", "synth_twins", "synth_twins_flag", "real_twins", "both_flag"])
    ap.add_argument("--with-group-15", action="store_true", help="the benchmark's own folds (check only)")
    ap.add_argument("--repcount-weight", type=float, default=None,
                    help="for the repcount_forest variant: RepCount's own weight (build_default.SENSOR_WEIGHTS)")
    ap.add_argument("--picture-noise", type=float, nargs=2, default=[0.02, 0.1])
    ap.add_argument("--depth-noise", type=float, nargs=2, default=[0.1, 0.4])
    ap.add_argument("--smooth", type=int, default=31)
    ap.add_argument("--video-noise", action="store_true",
                    help="noise on video twins too (they carry MediaPipe's own errors already)")
    ap.add_argument("--angle-smooth", type=float, default=0.0, help="seconds (features.ANGLE_SMOOTH_S)")
    args = ap.parse_args()
    from gyml.classify import features
    features.ANGLE_SMOOTH_S = args.angle_smooth
    tag = "-".join(str(v) for v in [*args.picture_noise, *args.depth_noise, args.smooth]) + \
        ("" if args.video_noise else "-vq") + (f"-s{args.angle_smooth}" if args.angle_smooth else "")
    cache = CACHE.with_name(f"sensor_twin_tables_{tag}.npz")
    if cache.exists():
        tables = load(cache)
    else:
        tables = twin_tables(args.per_class, 0, tuple(args.picture_noise), tuple(args.depth_noise), args.smooth,
                             args.video_noise)
        save(tables, cache)
    if args.repcount_weight is not None:
        from gyml.classify import build_default
        build_default.SENSOR_WEIGHTS["repcount"] = args.repcount_weight
    for variant in args.variants:
        t0 = time.perf_counter()
        sub, preds = evaluate(variant, tables, args.seeds, args.twin_weight, args.with_group_15)
        line, recalls = seed_summary(sub.labels, sub.sources, preds)
        print(f"{variant:<14} tw {args.twin_weight:<4} {line}  [{time.perf_counter() - t0:.0f} s]")
        print("    repcount recall: " + recalls)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
