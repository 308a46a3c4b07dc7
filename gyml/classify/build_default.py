"""Rebuild the default model shipped in gyml/data: `python -m gyml.classify.build_default`.

It learns from real recordings (every labelled source in ../shared/data, poses read through the
content-addressed cache) and synthesised motion together (every catalog exercise, random bodies, tempi,
depths, noise, dropouts and planted faults, for the exercises no real data shows), from the view- and
mirror-invariant "motion" features. Its confidence is calibrated on out-of-fold predictions for the
real recordings and their re-framed readings, split by group (never one take on both sides), from the top
vote share and how often the body reached the picture's edge (gyml.classify.calibration.framing_cut).
`--synth-only` builds the older kind of model (synthesised motion only) for comparison.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gyml.classify.calibration import fit_calibration, framing_cut
from gyml.classify.datasets import Dataset
from gyml.classify.default import DEFAULT_MODEL
from gyml.classify.model import ExerciseModel, single_threaded
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import SynthConfig, synthesize


def synthetic_dataset(per_class: int, seed: int = 0, fault_share: float = 0.3, only: list[str] | None = None,
                      ) -> Dataset:
    rng = np.random.default_rng(seed)
    seqs, labels, names, files = [], [], {}, []
    for label, spec in CATALOG.items():
        if only and label not in only:
            continue
        names[label] = spec.name
        for i in range(per_class):
            reps = int(rng.integers(2, 13))
            faults = {}
            if spec.faults and not spec.isometric and rng.random() < fault_share:
                for rep in rng.choice(np.arange(1, reps + 1), size=min(reps, 2), replace=False):
                    faults[int(rep)] = str(rng.choice(spec.faults))
            cfg = SynthConfig(noise_m=float(rng.uniform(0.002, 0.02)), missing_rate=float(rng.uniform(0, 0.08)))
            seqs.append(synthesize(label, reps, faults, seed=int(rng.integers(1 << 30)), config=cfg))
            labels.append(label)
            files.append(f"{label}_{i}")
    return Dataset(seqs, labels, names, files)


# Classes of the real data that the catalog may not describe yet; the model learns them all the same.
REAL_ONLY_CLASSES = ("wall_push_up", "handstand_push_up")


def shared_data() -> Path:
    """The team's real data: $GYML_SHARED_DATA, else ../shared/data beside this checkout."""
    explicit = os.environ.get("GYML_SHARED_DATA")
    return Path(explicit) if explicit else Path(__file__).resolve().parents[3] / "shared" / "data"


def shared_recordings(root: Path | None = None) -> list:
    """Every labelled real source in ../shared/data, as `Recording`s (source, group, label)."""
    from gyml.classify.recordings import read_manifest, scan_folder

    root = root or shared_data()
    found = []
    for manifest, label, source in (
            (root / "ucf101" / "labels.csv", None, "ucf101"),
            (root / "repcount_pose" / "dev" / "labels.csv", None, "repcount"),
            (root / "videos" / "counted" / "manifest.csv", None, "counted"),
            (root / "videos" / "pushup_form" / "labels.csv", "push_up", "pushup_form"),
            (root / "bodyweight_mistakes" / "labels.csv", None, "bodyweight_mistakes")):
        if manifest.is_file():
            listed = read_manifest(manifest, label, source)
            if source == "bodyweight_mistakes":  # one performer in every take: one group
                listed = [replace(r, group=f"{source}:performer") for r in listed]
            found += listed
    for folder in ("form", "uncounted"):
        if (root / "videos" / folder).is_dir():
            found += scan_folder(root / "videos" / folder, source=folder)
    known = set(CATALOG) | set(REAL_ONLY_CLASSES)
    return [r for r in found if r.label in known]


MODEL_FEATURES = "motion"
# Each real class weighs as much as REAL_WEIGHT synthesised sequences per example on average, whatever
# its count: UCF101's seven classes would otherwise crowd out the few RepCount examples of the others.
REAL_WEIGHT = 3.0
FOLDS = 8
# Videos of each exercise also read through tighter framings (waist up, knees up, head cut; gyml.pose.framing)
# as training examples: MediaPipe draws a cut body inside the picture, squashed and guessed, and a model
# that has seen such readings names them far more often (benchmarks/classify_messy.py).
FRAMED_PER_CLASS = 8
# Input from these sensors (PoseSequence.source) is judged by a forest fitted with the sensor's own real
# recordings weighted this many times up. RepCount-pose files are MediaPipe picture landmarks normalised
# per axis, and MediaPipe often fails on their lying lifters: their own examples teach that sensor best
# (RepCount dev out of fold, seeds 0-5: 0.685 -> 0.710, higher on every seed; docs/lab-notes/recog.md).
SENSOR_WEIGHTS = {"repcount": 4.0}
# That forest's probabilities are averaged with a logistic regression fitted on the sensor's own recordings
# alone (gyml.classify.sensor_blend; RepCount dev out of fold, seeds 0-5, 0.746 -> 0.830) and a vote of the
# 3 nearest of those recordings under DTW of their reps' joint-angle trajectories (gyml.classify.
# rep_neighbors; 0.830 -> 0.855, higher on every seed): thirds, fixed before comparing.
SENSOR_OWN_SHARE = 1 / 3
SENSOR_VOTE_SHARE = 1 / 3
# Kept out of the shipped model altogether, so that it can be checked on real clips it never saw
# (tests/test_recognition_real.py): one UCF101 group, i.e. one person, place and camera per class.
HELD_OUT_GROUPS = ("ucf101:15",)
N_TREES = 600


def make_classifier(seed: int = 0):
    from sklearn.ensemble import ExtraTreesClassifier
    from sklearn.pipeline import Pipeline

    return Pipeline([("clf", ExtraTreesClassifier(n_estimators=N_TREES, max_features="sqrt", random_state=seed,
                                                  n_jobs=-1))])


def training_weights(real_labels: np.ndarray, n_synth: int) -> np.ndarray:
    """Class-balanced weights for the real examples (times REAL_WEIGHT), 1 for each synthesised one."""
    labels, counts = np.unique(real_labels, return_counts=True)
    per_class = dict(zip(labels, counts))
    real = np.array([REAL_WEIGHT * len(real_labels) / (len(labels) * per_class[v]) for v in real_labels])
    return np.concatenate([real, np.ones(n_synth)])


@dataclass
class FeatureTable:
    X: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    sources: np.ndarray
    files: list[str]
    sensors: np.ndarray | None = None   # each recording's PoseSequence.source ("video", "repcount", ...)
    # packed rep trajectories (gyml.classify.rep_neighbors.pack) of the recordings from SENSOR_WEIGHTS'
    # sensors, NaN rows for the others; None: not made (the sensors' estimators then have no vote)
    reps: np.ndarray | None = None
    # Features of videos re-read through tighter framings (gyml.pose.framing), and the row of X each one
    # re-reads: extra training examples that go wherever their recording goes, never judged themselves.
    X_framed: np.ndarray | None = None
    framed_of: np.ndarray | None = None
    # framing_cut of each recording and of each re-framed reading (in the cropped picture the pose model
    # saw): what the confidence map reads beside the top vote share
    framing: np.ndarray | None = None
    framing_framed: np.ndarray | None = None

    def sensor_of(self) -> np.ndarray:
        return self.sensors if self.sensors is not None else self.sources

    def training_rows(self, rows: np.ndarray | None = None):
        """(features, labels, sensors, rep trajectories or None) of the recordings in `rows` (a mask; all
        when None) and of their re-framed readings (videos: no rep trajectories)."""
        rows = np.ones(len(self.labels), bool) if rows is None else rows
        X, y, sensors = self.X[rows], self.labels[rows], self.sensor_of()[rows]
        reps = None if self.reps is None else self.reps[rows]
        if self.X_framed is not None and len(self.X_framed):
            take = rows[self.framed_of]
            X = np.vstack([X, self.X_framed[take]])
            y = np.concatenate([y, self.labels[self.framed_of][take]])
            sensors = np.concatenate([sensors, self.sensor_of()[self.framed_of][take]])
            if reps is not None:
                reps = np.vstack([reps, np.full((int(take.sum()), reps.shape[1]), np.nan)])
        return X, y, sensors, reps


def real_table(recordings=None, show_progress: bool = True, framed_per_class: int | None = None
               ) -> tuple[FeatureTable, list[str]]:
    """Features of every readable real recording (poses through the cache, a progress bar), and of up to
    `framed_per_class` videos of each exercise re-read through tighter framings (FRAMED_PER_CLASS)."""
    from gyml.classify.features import build_features
    from gyml.classify.recordings import read_with_progress

    recordings = shared_recordings() if recordings is None else recordings
    read, problems = read_with_progress(recordings, show_progress)
    X = build_features([seq for _, seq in read], MODEL_FEATURES) if read else np.zeros((0, 0), np.float32)
    table = FeatureTable(X, np.array([r.label for r, _ in read]), np.array([r.group for r, _ in read]),
                         np.array([r.source for r, _ in read]), [r.path.name for r, _ in read],
                         np.array([seq.source for _, seq in read]), sensor_reps([seq for _, seq in read]),
                         framing=np.array([framing_cut(seq) for _, seq in read]))
    per_class = FRAMED_PER_CLASS if framed_per_class is None else framed_per_class
    if per_class and read:
        framed, of, rows = framed_readings(read, per_class, show_progress)
        if framed:
            table = replace(table, X_framed=build_features(framed, MODEL_FEATURES), framed_of=np.array(of, int),
                            framing_framed=np.array([framing_cut(s, r) for s, r in zip(framed, rows)]))
    return table, problems


def video_of(recording, seq) -> Path | None:
    """The video a recording was read from: itself, or the video its stored poses came from."""
    from gyml.pose.readers import VIDEO_SUFFIXES
    from gyml.pose.readers.mover import video_beside

    if recording.path.suffix.lower() in VIDEO_SUFFIXES:
        return recording.path if recording.path.is_file() else None
    return video_beside(recording.path, seq)


def framing_subset(read, per_class: int) -> list[int]:
    """Up to `per_class` videos of each exercise, taken in turn from each group (by name)."""
    chosen = []
    for label in sorted({r.label for r, _ in read}):
        by_group: dict[str, list[int]] = {}
        for i, (r, seq) in enumerate(read):
            if r.label == label and seq.source == "video" and video_of(r, seq) is not None:
                by_group.setdefault(r.group, []).append(i)
        queues = [sorted(v, key=lambda i: read[i][0].path.name) for _, v in sorted(by_group.items())]
        picked: list[int] = []
        while len(picked) < per_class and any(queues):
            for queue in queues:
                if queue and len(picked) < per_class:
                    picked.append(queue.pop(0))
        chosen += picked
    return chosen


def framed_readings(read, per_class: int, show_progress: bool = True) -> tuple[list, list[int], list[tuple]]:
    """(sequences, the row each re-reads, the picture rows each was cropped to): `framing_subset`'s
    videos through every framing (cached; the first time, each is a pose pass over the video). A re-read
    crop's picture landmarks are mapped back to the full picture; its rows say which part the pose model
    saw, as a video framed that tightly would have shown it (framing_cut reads them)."""
    from gyml.pose.framing import FRAMINGS, reframed_pose
    from gyml.progress import progress_bar

    subset = framing_subset(read, per_class)
    seqs, of, rows = [], [], []
    with progress_bar(show_progress) as bar:
        task = bar.add_task("framings", total=len(subset) * len(FRAMINGS))
        for i in subset:
            recording, seq = read[i]
            for framing in FRAMINGS:
                again = reframed_pose(video_of(recording, seq), seq, framing)
                if again is not None and again.present.sum() >= 2:
                    seqs.append(again)
                    of.append(i)
                    rows.append(cropped_rows(seq, again, framing))
                bar.advance(task)
    return seqs, of, rows


def cropped_rows(seq, again, framing: str) -> tuple[float, float]:
    """The picture rows (top, bottom; normalised) the pose model saw when it re-read `seq`'s video as
    `again` through `framing`."""
    from gyml.pose.framing import framing_rows

    # older cache entries do not store their rows: they are placed again from the same full-picture landmarks
    placed = again.metadata.get("framing_rows") or framing_rows(seq.image_landmarks, framing)
    return float(placed[0]), float(placed[1])


def sensor_reps(seqs: list) -> np.ndarray:
    """Packed rep trajectories for the sequences from SENSOR_WEIGHTS' sensors, NaN rows for the others."""
    from gyml.classify.rep_neighbors import pack, rep_trajectories, width

    table = np.full((len(seqs), width()), np.nan)
    for i, seq in enumerate(seqs):
        if seq.source in SENSOR_WEIGHTS:
            table[i] = pack([rep_trajectories(seq)])[0]
    return table


def with_reps(X: np.ndarray, reps: np.ndarray | None) -> np.ndarray:
    """A sensor estimator's input: the features, then the packed rep trajectories when there are any."""
    return X if reps is None else np.hstack([X, reps])


def synth_table(per_class: int, seed: int = 0) -> FeatureTable:
    from gyml.classify.features import build_features

    data = synthetic_dataset(per_class, seed)
    n = len(data.labels)
    return FeatureTable(build_features(data.sequences, MODEL_FEATURES), np.array(data.labels),
                        np.array(["synth"] * n), np.array(["synth"] * n), data.files)


def fold_of(groups: np.ndarray, sources: np.ndarray, folds: int = FOLDS, by_source: bool = True) -> np.ndarray:
    """Fold per recording: each UCF101 group is a fold of its own (leave-group-out), the other sources'
    groups are dealt round the folds (each group whole, largest first), each source on its own
    (`by_source`): a fold takes the next group of a source when it holds the fewest of that source's
    recordings. Dealing all sources together by total load (`by_source=False`, the folds before) let
    the fold with the fewest UCF101 clips collect the small groups: without UCF101 group 15 it held 25 of
    RepCount's 46 recordings, so the RepCount forest judging them had seen barely half of that sensor."""
    fold = np.zeros(len(groups), int)
    ucf = sorted({g for g, s in zip(groups, sources) if s == "ucf101"})
    for i, group in enumerate(ucf):
        fold[groups == group] = i % folds
    load = np.bincount(fold[sources == "ucf101"], minlength=folds).astype(float)
    others = sources != "ucf101"
    dealt = [others & (sources == s) for s in dict.fromkeys(sources[others])] if by_source else [others]
    for members in dealt:
        own = np.zeros(folds)
        ranked = list(dict.fromkeys(groups[members]))
        ranked.sort(key=lambda g: -(groups == g).sum())
        for group in ranked:
            size = (groups == group).sum()
            target = min(range(folds), key=lambda f: (own[f], load[f])) if by_source else int(np.argmin(load))
            fold[groups == group] = target
            own[target] += size
            load[target] += size
    return fold


def out_of_fold_proba(real: FeatureTable, synth: FeatureTable | None, seed: int = 0,
                      progress=None) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, classes) for every real recording from a model that never saw its group; a
    recording from a sensor with its own estimator (SENSOR_WEIGHTS) is judged by that estimator."""
    proba, _, classes = out_of_fold_with_framed(real, synth, seed, progress)
    return proba, classes


def out_of_fold_with_framed(real: FeatureTable, synth: FeatureTable | None, seed: int = 0,
                            progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probabilities of the recordings, of their re-framed readings (rows of real.X_framed; empty when
    none), classes), each from the model of the fold that left the recording's group out: the same fits as
    `out_of_fold_proba`, so the confidence map can also learn how bodies cut by the frame are judged."""
    fold = fold_of(real.groups, real.sources)
    classes = np.unique(np.concatenate([real.labels] + ([synth.labels] if synth is not None else [])))
    proba = np.zeros((len(real.labels), len(classes)))
    has_framed = real.X_framed is not None and len(real.X_framed) > 0
    framed_proba = np.zeros((len(real.X_framed) if has_framed else 0, len(classes)))
    sensors = real.sensor_of()
    for k in np.unique(fold):
        train = fold != k
        X_train, y_train, sensors_train, reps_train = real.training_rows(train)
        models = fit_by_sensor(X_train, y_train, sensors_train, synth, seed, reps_train)
        for sensor in np.unique(sensors[fold == k]):
            test = (fold == k) & (sensors == sensor)
            model = models.get(str(sensor), models[None])
            cols = np.searchsorted(classes, model.classes_)
            X = real.X[test] if str(sensor) not in models or real.reps is None else with_reps(real.X[test],
                                                                                              real.reps[test])
            proba[np.ix_(test, cols)] = model.predict_proba(X)
            if has_framed:
                # re-framed readings carry no rep trajectories: their sensor's estimator is asked with NaN
                # ones, as an analysis whose reps were not counted would ask it
                framed = np.flatnonzero(test[real.framed_of])
                if len(framed):
                    Xf = real.X_framed[framed]
                    if str(sensor) in models and real.reps is not None:
                        Xf = with_reps(Xf, np.full((len(framed), real.reps.shape[1]), np.nan))
                    framed_proba[np.ix_(framed, cols)] = model.predict_proba(Xf)
        if progress:
            progress(int(k) + 1, len(np.unique(fold)))
    return proba, framed_proba, classes


def calibration_rows(real: FeatureTable, proba: np.ndarray, framed_proba: np.ndarray, classes: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(top shares, right or not, framing_cut) of the recordings and their re-framed readings, out of
    fold: fit_calibration's arguments. The crops teach the map that a body cut by the frame is judged worse
    than its share says; the whole recordings, that one framed whole is judged as well as it says."""
    labels = real.labels
    framing = real.framing if real.framing is not None else np.zeros(len(labels))
    if len(framed_proba):
        proba = np.vstack([proba, framed_proba])
        labels = np.concatenate([labels, labels[real.framed_of]])
        framing = np.concatenate([framing, real.framing_framed])
    return proba.max(axis=1), classes[np.argmax(proba, axis=1)] == labels, framing


def training_set(X_real: np.ndarray, y_real: np.ndarray, synth: FeatureTable | None,
                 real_scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, sample weights): the real examples, then the synthesised ones; `real_scale` multiplies the
    real examples' class-balanced weights."""
    X = np.vstack([X_real] + ([synth.X] if synth is not None else []))
    y = np.concatenate([y_real] + ([synth.labels] if synth is not None else []))
    n_synth = len(y) - len(y_real)
    weights = training_weights(y_real, n_synth) if len(y_real) else np.ones(n_synth)
    if real_scale is not None and len(y_real):
        weights[:len(y_real)] *= real_scale
    return X, y, weights


def fit(X_real: np.ndarray, y_real: np.ndarray, synth: FeatureTable | None, seed: int = 0,
        real_scale: np.ndarray | None = None):
    """The recipe's forest; `real_scale` multiplies the real examples' class-balanced weights."""
    X, y, weights = training_set(X_real, y_real, synth, real_scale)
    return make_classifier(seed).fit(X, y, clf__sample_weight=weights)


def fit_by_sensor(X_real: np.ndarray, y_real: np.ndarray, sources: np.ndarray, synth: FeatureTable | None,
                  seed: int = 0, reps: np.ndarray | None = None) -> dict:
    """{None: the forest for any input, sensor: that sensor's estimator} for each sensor in SENSOR_WEIGHTS
    the real data holds: the same recipe's forest with the sensor's own recordings weighted
    SENSOR_WEIGHTS[sensor] times up, averaged with a small model of those recordings alone (SensorBlend) and,
    given their packed rep trajectories `reps` (NaN rows elsewhere), a DTW vote among them."""
    models = {None: fit(X_real, y_real, synth, seed)}
    for sensor, weight in SENSOR_WEIGHTS.items():
        own = sources == sensor
        if own.any():
            models[sensor] = fit_sensor(X_real, y_real, own, synth, seed, weight, reps)
    return models


def fit_sensor(X_real: np.ndarray, y_real: np.ndarray, own: np.ndarray, synth: FeatureTable | None, seed: int,
               weight: float, reps: np.ndarray | None = None):
    from gyml.classify.rep_neighbors import RepNeighbors
    from gyml.classify.sensor_blend import SensorBlend, own_model

    X, y, weights = training_set(X_real, y_real, synth, np.where(own, weight, 1.0))
    n_synth = len(y) - len(y_real)
    own_rows = np.concatenate([own, np.zeros(n_synth, bool)])
    if reps is None:
        blend = SensorBlend(make_classifier(seed), own_model(), SENSOR_OWN_SHARE / (1 - SENSOR_VOTE_SHARE))
        return blend.fit(X, y, sample_weight=weights, own_rows=own_rows)
    # the vote blind to where the counter cut the reps (docs/lab-notes/recog.md, round 10)
    vote = RepNeighbors(phase_free=True)
    blend = SensorBlend(make_classifier(seed), own_model(), SENSOR_OWN_SHARE, vote, SENSOR_VOTE_SHARE)
    R = np.vstack([reps, np.full((n_synth, reps.shape[1]), np.nan)])
    return blend.fit(np.hstack([X, R]), y, sample_weight=weights, own_rows=own_rows, n_columns=X.shape[1])


def build(per_class: int = 20, seed: int = 0, synth_only: bool = False, show_progress: bool = True,
          report=print) -> ExerciseModel:
    """The default model from real and synthesised data, with its confidence calibrated out of fold."""
    t0 = time.perf_counter()
    synth = synth_table(per_class, seed)
    report(f"synthesised {len(synth.labels)} sequences ({per_class} per exercise) in {time.perf_counter() - t0:.1f} s")
    names = {label: spec.name for label, spec in CATALOG.items()}
    names.update({label: label.replace("_", " ").capitalize() for label in REAL_ONLY_CLASSES if label not in CATALOG})
    settings = {"seed": seed, "per_class": per_class, "real_weight": REAL_WEIGHT}
    by_sensor = {}
    if synth_only:
        estimator = fit(np.zeros((0, synth.X.shape[1]), np.float32), np.array([], str), synth, seed)
        settings["trained_on"] = "synthesised motion only"
        settings["unknown_below"] = 0.2
    else:
        t1 = time.perf_counter()
        recordings = [r for r in shared_recordings() if r.group not in HELD_OUT_GROUPS]
        real, problems = real_table(recordings, show_progress=show_progress)
        for line in problems:
            report(f"skipped {line}")
        report(f"read and featurised {len(real.labels)} real recordings in {time.perf_counter() - t1:.1f} s")
        proba, framed_proba, classes = out_of_fold_with_framed(real, synth, seed)
        correct = classes[np.argmax(proba, axis=1)] == real.labels
        shares, right, framing = calibration_rows(real, proba, framed_proba, classes)
        fitted_on = (f"out-of-fold predictions on {len(correct)} real recordings and {len(framed_proba)} "
                     "re-framed readings of their videos")
        calibration = fit_calibration(shares, right, framing=framing, fitted_on=fitted_on)
        report(f"out-of-fold top-1 accuracy on the real recordings {correct.mean():.3f}")
        X_train, y_train, sensors_train, reps_train = real.training_rows()
        models = fit_by_sensor(X_train, y_train, sensors_train, synth, seed, reps_train)
        estimator = models.pop(None)
        by_sensor = models
        settings.update({"sensor_weights": {k: v for k, v in SENSOR_WEIGHTS.items() if k in by_sensor},
                         "sensor_own_share": SENSOR_OWN_SHARE, "sensor_vote_share": SENSOR_VOTE_SHARE,
                         # these sensors' estimators read the packed rep trajectories after the features
                         "sensor_rep_votes": sorted(by_sensor)})
        settings.update({"trained_on": sorted(set(real.sources)), "n_real": int(len(real.labels)),
                         "held_out_groups": list(HELD_OUT_GROUPS),
                         "calibration": calibration.to_dict(), "calibrated_unknown_below": 0.5})
    # One recording at a time in an analysis: threads cost more to start than 200 small trees take.
    for fitted in [estimator, *by_sensor.values()]:
        single_threaded(fitted)
    labels = [str(c) for c in estimator.classes_]
    report(f"built in {time.perf_counter() - t0:.1f} s")
    return ExerciseModel(estimator, labels, {lab: names.get(lab, lab) for lab in labels}, MODEL_FEATURES, settings,
                         by_sensor)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=20, help="synthesised sequences per catalog exercise")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--synth-only", action="store_true", help="no real data (the model shipped before)")
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_MODEL)
    args = ap.parse_args()
    model = build(args.per_class, args.seed, args.synth_only)
    model.save(args.output)
    print(f"saved {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
