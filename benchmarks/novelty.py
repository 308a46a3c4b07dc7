"""Telling "this is not an exercise gyml knows": novelty scores, each class held out of the model in turn.

    python benchmarks/novelty.py        # the table (feature tables and per-run scores kept in CACHE)

Protocol (written before any result was seen):

- Data: every labelled real recording the default model learns from (build_default.shared_recordings;
  the group it keeps out is used here like any other) and build_default's synthesised motion (20 per catalog
  exercise, seed 0). No re-framed readings (as benchmarks/personal_exercise.py).
- Leave one class out: for each real class C of UCF101 (its 7) and of RepCount-pose dev (its 7 catalog
  classes; a class in both is held out once and measured in each), the recognition recipe is fitted
  without C: C's real recordings of every source and its synthesised sequences are taken out of training.
  It is fitted out of fold by group with build_default's folds (fold_of), the path personal_exercise.py's
  `views_without` takes, here through build_default.fit_by_sensor so that RepCount input is judged by its
  sensor's estimator (forest, own logistic model and DTW vote) as in the shipped model. Each recording
  is scored by the models of its own fold: C's recordings are the novel ones, the other classes'
  recordings of the same source the known ones (out of fold: their group was not seen).
- Scores (higher = more novel), each computed from what that fold's fit saw:
  share     1 - the calibrated confidence, i.e. what ships: the top vote share through a calibration map
            fitted (fit_calibration, with framing_cut) on the run's known recordings' out-of-fold predictions;
  knn       the earlier try: mean Euclidean distance to the 5 nearest training examples (real and
            synthesised) in a quantile-scaled feature space (QuantileTransformer fitted on them);
  class     the median absolute feature difference, in units of the training features' 10-90 % spread
            (gyml.classify.personal.distances), to the nearest training example of the predicted class;
  leaf      1 - the forest's proximity to the nearest training example of the predicted class (share of
            the judging forest's trees in which the two fall in the same leaf);
  dtw       RepCount input only: the DTW vote's distance to the nearest training recording (any class);
            not defined for videos.
- Figures, per source (UCF101, RepCount dev): the ROC AUC of novel against known recordings, per held-out
  class, then the mean over held-out classes; and the novel-flag rate at a threshold chosen on the known
  recordings alone: per held-out class and source, the lowest threshold that flags at most 5 % of that
  source's known recordings (out-of-fold scores), applied to C's recordings; the rate is pooled over the
  novel recordings of the source (flagged / all), the known rate printed beside it.
- Also: RepCount dev's 6 out-of-catalog sets (pommel horse, "others"), scored by the recipe fitted on every
  real recording (no class held out); the threshold from that recipe's out-of-fold scores of RepCount's
  known recordings (5 %).
- Decision rule: the candidate with the highest mean of the two sources' mean AUCs among those defined on
  both (share, knn, class, leaf); for RepCount input the dtw score replaces it when its RepCount AUC is
  higher (a sensor's score, as the sensor already has its own estimator). Ship only if the chosen score
  flags at least half of the novel recordings with at most 5 % of known recordings flagged on BOTH sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

CACHE = Path("/tmp/pad_novel")
SOURCES = ("ucf101", "repcount")
CANDIDATES = ("share", "knn", "class", "leaf", "dtw")
KNOWN_FLAG_CAP = 0.05
K_NEAREST = 5


def tables():
    """(real, synth) FeatureTables with sensors, packed reps and framing; kept in CACHE."""
    from gyml.classify.build_default import FeatureTable, real_table, synth_table

    path = CACHE / "tables_raw.npz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        real, _ = real_table(show_progress=False, framed_per_class=0)
        synth = synth_table(20, 0)
        np.savez(path, rX=real.X, rlabels=real.labels, rgroups=real.groups, rsources=real.sources,
                 rfiles=np.array(real.files), rsensors=real.sensors, rreps=real.reps, rframing=real.framing,
                 sX=synth.X, slabels=synth.labels)
    with np.load(path, allow_pickle=False) as d:
        real = FeatureTable(d["rX"], d["rlabels"], d["rgroups"], d["rsources"], list(d["rfiles"]), d["rsensors"],
                            d["rreps"], framing=d["rframing"])
        n = len(d["slabels"])
        synth = FeatureTable(d["sX"], d["slabels"], np.array(["synth"] * n), np.array(["synth"] * n), [])
    return real, synth


def out_of_catalog():
    """RepCount dev's recordings whose class the catalog does not hold: (names, X, packed reps)."""
    from gyml.classify.build_default import MODEL_FEATURES, REAL_ONLY_CLASSES, sensor_reps, shared_data
    from gyml.classify.features import build_features
    from gyml.classify.recordings import read_manifest, read_with_progress
    from gyml.synth.catalog import CATALOG

    path = CACHE / "out_of_catalog.npz"
    if not path.exists():
        listed = read_manifest(shared_data() / "repcount_pose" / "dev" / "labels.csv", None, "repcount")
        known = set(CATALOG) | set(REAL_ONLY_CLASSES)
        read, _ = read_with_progress([r for r in listed if r.label not in known], False)
        seqs = [seq for _, seq in read]
        np.savez(path, names=np.array([f"{r.path.stem} ({r.label})" for r, _ in read]),
                 X=build_features(seqs, MODEL_FEATURES), reps=sensor_reps(seqs))
    with np.load(path, allow_pickle=False) as d:
        return list(d["names"]), d["X"], d["reps"]


def forest_of(model):
    """The forest that judges with `model` (the general forest of a sensor's blend)."""
    forest = getattr(model, "general_", model)
    return forest.steps[-1][1] if hasattr(forest, "steps") else forest


class Scorer:
    """The distance candidates, fitted on one fold's training examples (real and synthesised)."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        from sklearn.preprocessing import QuantileTransformer

        from gyml.classify.personal import spread_scale

        self.X, self.y = X.astype(np.float64), y
        self.quantiles = QuantileTransformer(n_quantiles=100).fit(self.X)
        self.Q = self.quantiles.transform(self.X)
        self.scale = spread_scale(self.X)
        self.leaves: dict[int, np.ndarray] = {}

    def knn(self, X: np.ndarray) -> np.ndarray:
        Q = self.quantiles.transform(X.astype(np.float64))
        d = np.sqrt(((Q[:, None, :] - self.Q[None]) ** 2).sum(axis=2))
        return np.sort(d, axis=1)[:, :K_NEAREST].mean(axis=1)

    def by_class(self, X: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        from gyml.classify.personal import distances

        return np.array([distances(x.astype(np.float64), self.X[self.y == p], self.scale).min()
                         for x, p in zip(X, predicted)])

    def leaf(self, forest, X: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        key = id(forest)
        if key not in self.leaves:
            self.leaves[key] = forest.apply(self.X.astype(np.float32))
        train = self.leaves[key]
        mine = forest.apply(X.astype(np.float32))
        out = np.zeros(len(X))
        for i, (row, p) in enumerate(zip(mine, predicted)):
            out[i] = 1.0 - (train[self.y == p] == row[None]).mean(axis=1).max()
        return out


def run(real, synth, held_out: str | None, extra=None, seed: int = 0) -> dict[str, np.ndarray]:
    """Every real recording's scores (and top share, prediction) by the recipe fitted without `held_out`,
    out of fold; with `extra` (X, reps), those recordings' scores by the recipe fitted on every fold too."""
    from gyml.classify.build_default import FeatureTable, fit_by_sensor, fold_of, with_reps

    keep = synth.labels != held_out
    synth_known = FeatureTable(synth.X[keep], synth.labels[keep], synth.groups[keep], synth.sources[keep], [])
    fold = fold_of(real.groups, real.sources)
    n = len(real.labels)
    out = {name: np.full(n, np.nan) for name in (*CANDIDATES, "top")}
    out["predicted"] = np.empty(n, dtype=object)
    sensors = real.sensor_of()
    plan = [(k, fold == k) for k in np.unique(fold)]
    if extra is not None:
        plan.append((None, None))
        out.update({f"extra_{name}": np.full(len(extra[0]), np.nan) for name in (*CANDIDATES, "top")})
        out["extra_predicted"] = np.empty(len(extra[0]), dtype=object)
    for k, test in plan:
        train = (real.labels != held_out) & (np.ones(n, bool) if k is None else ~test)
        X_train, y_train, sensors_train, reps_train = real.training_rows(train)
        models = fit_by_sensor(X_train, y_train, sensors_train, synth_known, seed, reps_train)
        scorer = Scorer(np.vstack([X_train, synth_known.X]), np.concatenate([y_train, synth_known.labels]))
        if k is None:
            X_all, reps_all, sens, prefix, rows = extra[0], extra[1], np.array(["repcount"] * len(extra[0])), \
                "extra_", np.ones(len(extra[0]), bool)
        else:
            X_all, reps_all, sens, prefix, rows = real.X, real.reps, sensors, "", test
        for sensor in np.unique(sens[rows]):
            these = rows & (sens == sensor)
            idx = np.flatnonzero(these)
            model = models.get(str(sensor), models[None])
            X = X_all[idx]
            proba = model.predict_proba(with_reps(X, reps_all[idx]) if str(sensor) in models else X)
            predicted = model.classes_[np.argmax(proba, axis=1)]
            out[prefix + "top"][idx] = proba.max(axis=1)
            out[prefix + "predicted"][idx] = predicted
            out[prefix + "knn"][idx] = scorer.knn(X)
            out[prefix + "class"][idx] = scorer.by_class(X, predicted)
            out[prefix + "leaf"][idx] = scorer.leaf(forest_of(model), X, predicted)
            vote = getattr(model, "vote_", None)
            if vote is not None:
                has = np.isfinite(reps_all[idx, 0])
                if has.any():
                    out[prefix + "dtw"][idx[has]] = vote.distances(reps_all[idx[has]]).min(axis=1)
    # what ships: the top share through a calibration map fitted on the known recordings out of fold
    from gyml.classify.calibration import fit_calibration

    known = real.labels != held_out
    calibration = fit_calibration(out["top"][known], (out["predicted"] == real.labels)[known],
                                  framing=real.framing[known])
    out["share"] = 1.0 - calibration(out["top"], real.framing)
    if extra is not None:
        out["extra_share"] = 1.0 - calibration(out["extra_top"], np.zeros(len(extra[0])))
    out["predicted"] = out["predicted"].astype(str)
    if extra is not None:
        out["extra_predicted"] = out["extra_predicted"].astype(str)
    return out


def cached_run(real, synth, held_out: str | None, extra=None) -> dict[str, np.ndarray]:
    path = CACHE / f"scores_{held_out or 'none'}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as d:
            return dict(d)
    out = run(real, synth, held_out, extra)
    np.savez(path, **out)
    return out


def auc(novel: np.ndarray, known: np.ndarray) -> float:
    """P(a novel score > a known score), ties half."""
    novel, known = novel[np.isfinite(novel)], known[np.isfinite(known)]
    if not len(novel) or not len(known):
        return float("nan")
    greater = (novel[:, None] > known[None]).mean()
    ties = (novel[:, None] == known[None]).mean()
    return float(greater + 0.5 * ties)


def threshold_for(known: np.ndarray, cap: float = KNOWN_FLAG_CAP) -> float:
    """The lowest threshold t (flag: score > t) with at most `cap` of `known` flagged."""
    known = np.sort(known[np.isfinite(known)])
    allowed = int(np.floor(cap * len(known)))
    return float(known[len(known) - allowed - 1]) if len(known) > allowed else -np.inf


def main() -> int:
    from gyml.classify.build_default import shared_data

    if not (shared_data() / "ucf101" / "labels.csv").exists():
        print(f"needs {shared_data()}")
        return 1
    real, synth = tables()
    names, X_out, reps_out = out_of_catalog()
    held = sorted({str(c) for s in SOURCES for c in real.labels[real.sources == s]})
    runs = {}
    for cls in held:
        print(f"fitting without {cls} ...", file=sys.stderr, flush=True)
        runs[cls] = cached_run(real, synth, cls)
    print("fitting on every class ...", file=sys.stderr, flush=True)
    full = cached_run(real, synth, None, (X_out, reps_out))

    summary = {}
    for source in SOURCES:
        in_source = real.sources == source
        classes = sorted({str(c) for c in real.labels[in_source]})
        print(f"\n{source}: {int(in_source.sum())} recordings, {len(classes)} classes held out in turn "
              f"(AUC / novel flagged at <= {KNOWN_FLAG_CAP:.0%} of known)")
        print(f"{'held-out class':<20}{'n':>4}" + "".join(f"{c:>16}" for c in CANDIDATES))
        totals = {c: [0, 0, 0, 0] for c in CANDIDATES}
        aucs: dict[str, list[float]] = {c: [] for c in CANDIDATES}
        for cls in classes:
            scores = runs[cls]
            novel = in_source & (real.labels == cls)
            known = in_source & (real.labels != cls)
            cells = []
            for c in CANDIDATES:
                s = scores[c]
                if not np.isfinite(s[novel]).any():
                    cells.append(f"{'-':>16}")
                    continue
                a = auc(s[novel], s[known])
                t = threshold_for(s[known])
                flagged, kn = int((s[novel] > t).sum()), int((s[known] > t).sum())
                totals[c] = [totals[c][0] + flagged, totals[c][1] + int(novel.sum()),
                             totals[c][2] + kn, totals[c][3] + int(known.sum())]
                aucs[c].append(a)
                cells.append(f"{a:>8.2f} {flagged:>3}/{int(novel.sum()):<3}")
            print(f"{cls:<20}{int(novel.sum()):>4}" + "".join(cells))
        line = f"{'mean; pooled':<24}"
        for c in CANDIDATES:
            if aucs[c]:
                f, n, kf, kn = totals[c]
                summary[(source, c)] = (float(np.mean(aucs[c])), f / n, kf / kn)
                line += f"{np.mean(aucs[c]):>8.2f} {f:>3}/{n:<3}"
            else:
                line += f"{'-':>16}"
        print(line)
        for c in CANDIDATES:
            if (source, c) in summary:
                a, f, k = summary[(source, c)]
                print(f"  {c:<6} mean AUC {a:.3f}; novel flagged {f:.2f} "
                      f"({totals[c][0]}/{totals[c][1]}), known flagged {k:.3f} ({totals[c][2]}/{totals[c][3]})")

    print("\nRepCount dev's out-of-catalog sets, the recipe fitted on every real recording; threshold at "
          f"<= {KNOWN_FLAG_CAP:.0%} of RepCount's known recordings out of fold")
    rc = real.sources == "repcount"
    print(f"{'set':<28}{'named':<14}{'confidence':>11}" + "".join(f"{c:>10}" for c in CANDIDATES[1:]))
    thresholds = {c: threshold_for(full[c][rc]) for c in CANDIDATES}
    for i, name in enumerate(names):
        marks = []
        for c in CANDIDATES[1:]:
            v = full[f"extra_{c}"][i]
            marks.append(f"{'-':>10}" if not np.isfinite(v) else f"{v:>8.2f}{'*' if v > thresholds[c] else ' ':>2}")
        print(f"{name:<28}{full['extra_predicted'][i]:<14}{1 - full['extra_share'][i]:>11.2f}" + "".join(marks))
    flagged = {c: int((full[f"extra_{c}"] > thresholds[c]).sum()) for c in CANDIDATES}
    print("flagged (*): " + ", ".join(f"{c} {flagged[c]}/{len(names)}" for c in CANDIDATES))

    both = [c for c in CANDIDATES if all((s, c) in summary for s in SOURCES)]
    best = max(both, key=lambda c: np.mean([summary[(s, c)][0] for s in SOURCES]))
    rc_pick = "dtw" if summary.get(("repcount", "dtw"), (0,))[0] > summary[("repcount", best)][0] else best
    picks = {"ucf101": best, "repcount": rc_pick}
    ok = all(summary[(s, picks[s])][1] >= 0.5 and summary[(s, picks[s])][2] <= KNOWN_FLAG_CAP for s in SOURCES)
    print(f"\nchosen by mean AUC over the two sources: {best} "
          f"({np.mean([summary[(s, best)][0] for s in SOURCES]):.3f}); for RepCount input: {rc_pick}")
    for s in SOURCES:
        a, f, k = summary[(s, picks[s])]
        print(f"  {s}: AUC {a:.3f}, novel flagged {f:.2f} at known flagged {k:.3f}")
    print("ship" if ok else "do not ship: the chosen score flags fewer than half of the novel recordings "
                            "at <= 5 % known on at least one source")
    return 0


if __name__ == "__main__":
    sys.exit(main())
