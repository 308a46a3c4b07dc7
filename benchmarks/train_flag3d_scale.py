"""Training at FLAG3D's scale: 7,204 sequences of 300 to 3,089 frames in 60 classes, 70/20/10 split,
the paper's padded SMPL features (222,408 numbers a sequence) and ours, on this machine.

    python benchmarks/train_flag3d_scale.py [--sequences 7204] [--classes 60] [--only pca|no-pca] [--no-pca-ovr]

The 60 classes are the synthesizer's 30 exercises, each as catalogued and as a slow, shallow variant
(FLAG3D has no public copy here). Prints synthesis time, then per approach: training time, peak memory
of the fit, dev/test accuracy, number of features, and the process's peak memory so far (RSS, which
includes the 6 GB feature matrix). About an hour on 2 cores; one-vs-rest without PCA only on request.

"No PCA" is computed exactly, not approximated: an L2-regularised linear model's weights lie in the span
of its training samples, so logistic regression on the 222,408 padded numbers equals logistic
regression on the samples' coordinates in that span (gyml.classify.pca.SpanLinearClassifier), whose
weights are then mapped back onto the 222,408 features.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score

from gyml.classify.datasets import split_indices
from gyml.classify.features import angle_features
from gyml.classify.model import make_estimator
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import SynthConfig, synthesize

PAPER = {"PCA + multinomial": ("96%", "5 min"), "PCA + one-vs-rest": ("81%", "-"),
         "no PCA, multinomial": ("99%", "25 h"), "no PCA, one-vs-rest": ("-", "-")}


def class_list(n_classes: int) -> list[tuple[str, str, dict]]:
    """(class name, catalog exercise, fixed synthesis settings) for each class."""
    base = [label for label, spec in CATALOG.items()]
    out = [(label, label, {}) for label in base]
    out += [(f"{label}_slow_shallow", label, {"depth": 0.65, "tempo_scale": 1.45}) for label in base]
    if n_classes > len(out):
        raise SystemExit(f"at most {len(out)} classes can be synthesised")
    return out[:n_classes]


def _one(task):
    exercise, fixed, reps, seed, noise, max_frames = task
    seq = synthesize(exercise, reps, seed=seed, config=SynthConfig(noise_m=noise, **fixed))
    seq = seq.slice(0, min(len(seq), max_frames))
    return seq.smpl_pose.reshape(-1).astype(np.float32), angle_features(seq), len(seq)


def synthesise(n: int, n_classes: int, min_frames: int, max_frames: int, seed: int = 0, workers: int = 2):
    """Features written straight into preallocated matrices, rows ordered train | dev | test so that
    the training rows are a view, not a copy. Every random draw happens here, in order, so the data do
    not depend on the number of worker processes."""
    rng = np.random.default_rng(seed)
    classes = class_list(n_classes)
    labels = np.array([classes[i % n_classes][0] for i in range(n)])
    split = split_indices(list(labels), seed)
    order = np.concatenate([split["train"], split["dev"], split["test"]]).astype(int)
    labels = labels[order]
    spec_of = {name: (exercise, fixed) for name, exercise, fixed in classes}
    tasks = []
    for name in labels:
        exercise, fixed = spec_of[name]
        spec = CATALOG[exercise]
        target = int(rng.integers(min_frames, max_frames + 1))
        rep_s = spec.tempo_s * fixed.get("tempo_scale", 1.0)
        reps = int(np.clip(round((target / 30.0 - 1.0) / rep_s), 1, 30))
        noise = float(rng.uniform(0.002, 0.02))
        tasks.append((exercise, fixed, reps, int(rng.integers(1 << 30)), noise, max_frames))
    paper = np.zeros((n, max_frames * 72), np.float32)
    angles, lengths = [], []
    with ProcessPoolExecutor(workers) as pool:
        for i, (flat, feats, length) in enumerate(pool.map(_one, tasks, chunksize=16)):
            paper[i, : flat.size] = flat
            angles.append(feats)
            lengths.append(length)
    cut = {"train": len(split["train"]), "dev": len(split["train"]) + len(split["dev"])}
    return paper, np.stack(angles), labels, cut, np.array(lengths)


def cached_synthesise(args) -> tuple:
    """The synthesised set, kept in ~/.cache/gyml-bench between runs (about 6 GB at full scale): a rerun
    after a solver change measures the fits, not another half hour of synthesis."""
    key = f"flag3d_scale_{args.sequences}_{args.classes}_{args.min_frames}_{args.max_frames}"
    folder = Path(args.cache).expanduser() / key
    if args.cache and (folder / "done").exists():
        cut = json.loads((folder / "cut.json").read_text())
        return (np.load(folder / "paper.npy"), np.load(folder / "angles.npy"),
                np.load(folder / "labels.npy"), cut, np.load(folder / "lengths.npy"))
    data = synthesise(args.sequences, args.classes, args.min_frames, args.max_frames, workers=args.workers)
    if args.cache:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in zip(("paper", "angles", "labels", "lengths"), (data[0], data[1], data[2], data[4])):
            np.save(folder / f"{name}.npy", array)
        (folder / "cut.json").write_text(json.dumps(data[3]))
        (folder / "done").touch()
    return data


def fit_and_score(name, X, y, cut, model, pca, scale=False, wide=False):
    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    est = make_estimator(model, pca, scale, wide=wide).fit(X[: cut["train"]], y[: cut["train"]])
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**30
    tracemalloc.stop()
    dev = accuracy_score(y[cut["train"]: cut["dev"]], est.predict(X[cut["train"]: cut["dev"]]))
    test = accuracy_score(y[cut["dev"]:], est.predict(X[cut["dev"]:]))
    kept = est.named_steps["pca"].n_components_ if "pca" in est.named_steps else X.shape[1]
    paper_acc, paper_time = PAPER.get(name, ("", ""))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"{name:<34}{seconds:>9.1f} s{peak:>8.2f} GB{dev:>7.3f}{test:>7.3f}{X.shape[1]:>9}{kept:>7}"
          f"   {paper_acc:>4} {paper_time:>6}   (process peak so far {rss:.1f} GB)", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sequences", type=int, default=7204)
    ap.add_argument("--classes", type=int, default=60)
    ap.add_argument("--min-frames", type=int, default=300)
    ap.add_argument("--max-frames", type=int, default=3089)
    ap.add_argument("--pca", type=float, default=0.75)
    ap.add_argument("--skip-ovr", action="store_true", help="skip the PCA one-vs-rest row (60 fits)")
    ap.add_argument("--no-pca-ovr", action="store_true",
                    help="also fit one-vs-rest without PCA: 60 fits of about the no-PCA multinomial's size (hours)")
    ap.add_argument("--workers", type=int, default=2, help="processes synthesising the data")
    ap.add_argument("--cache", default="~/.cache/gyml-bench", help="where the synthesised set is kept ('' = nowhere)")
    ap.add_argument("--only", choices=("pca", "no-pca"),
                    help="pca: the PCA and joint-angle rows; no-pca: the rows without PCA (with the cached set, "
                         "a rerun measures only what changed)")
    args = ap.parse_args()
    # SAGA stops at the estimator's max_iter (300) like the paper's runs; its warning would flood the table.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    t0 = time.perf_counter()
    paper, angles, y, cut, lengths = cached_synthesise(args)
    print(f"synthesised (or loaded) {len(y)} sequences, {len(set(y))} classes, {lengths.min()}-{lengths.max()} frames "
          f"(mean {lengths.mean():.0f}) in {time.perf_counter() - t0:.0f} s; padded features "
          f"{paper.shape[1]:,} a sequence ({paper.nbytes / 2**30:.1f} GB float32); "
          f"train/dev/test {cut['train']}/{cut['dev'] - cut['train']}/{len(y) - cut['dev']}", flush=True)
    print(f"{'approach':<34}{'train':>11}{'peak':>11}{'dev':>7}{'test':>7}{'features':>9}{'kept':>7}"
          f"   paper: acc, time")
    # cheapest first: a run cut short still reports the most
    if args.only != "no-pca":
        fit_and_score("PCA + multinomial", paper, y, cut, "multinomial", args.pca)
        if not args.skip_ovr:
            fit_and_score("PCA + one-vs-rest", paper, y, cut, "ovr", args.pca)
        fit_and_score("gyml: joint angles, multinomial", angles, y, cut, "multinomial", None, scale=True)
        fit_and_score("gyml: joint angles, trees", angles, y, cut, "trees", None)
    if args.only == "pca":
        return 0
    fit_and_score("no PCA, multinomial", paper, y, cut, "multinomial", None, wide=True)
    if args.no_pca_ovr:
        fit_and_score("no PCA, one-vs-rest", paper, y, cut, "ovr", None, wide=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
