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
  guesses the landmarks it cannot see; gyml.pose.framing): "waist up" (the picture ends a little below the
  standing hips), "knees up" (it ends at the knees), "head cut" (it starts a quarter of a trunk above the
  shoulders). On up to --crop-per-class videos of each exercise (UCF101 and gyml's videos, taken in turn
  from each group; the same videos build_default re-frames for training); poses cached.
The shipped recipe trains on the re-framed videos of the training folds too (build_default.FRAMED_PER_CLASS);
`--without-framed-training` gives the recipe before, for comparison. RepCount-pose recordings are judged by
the RepCount blend without its DTW vote on the reps (the changed recordings' reps are not re-counted here).
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
    FeatureTable,
    cropped_rows,
    fit,
    fit_by_sensor,
    fold_of,
    framing_subset,
    shared_recordings,
    synth_table,
    video_of,
)
from gyml.classify.features import build_features
from gyml.classify.recordings import read_with_progress
from gyml.pose.framing import FRAMINGS, reframed_pose
from gyml.pose.mirror import MIRROR_INDEX
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT, JOINT_NAMES
from gyml.reps.counter import count_reps
from gyml.reps.coverage import FEET_SEEN_MIN, feet_visibility, framing_warning

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
    # the picture landmarks stay: the joints are absent from the source, not cut by the frame (framing_cut
    # must not read the missing ones)
    return PoseSequence(pos, conf, seq.fps, source=seq.source, image_landmarks=seq.image_landmarks,
                        metadata=dict(seq.metadata), times=seq.times)


def mirrored(seq: PoseSequence) -> PoseSequence:
    pos = seq.joints[:, MIRROR].copy()
    pos[..., 0] *= -1
    image = None
    if seq.image_landmarks is not None and seq.image_landmarks.shape[1] == 33:
        image = seq.image_landmarks[:, MIRROR_INDEX].copy()
        image[..., 0] = 1.0 - image[..., 0]
    return PoseSequence(pos, seq.confidence[:, MIRROR].copy(), seq.fps, source=seq.source, image_landmarks=image,
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


def legs_blind_columns() -> np.ndarray:
    """The motion features that read no leg joint: elbow and shoulder angles, trunk inclination, hand height
    (against the shoulders), their left/right sync, correlation and asymmetry, arms seen, hands apart."""
    from gyml.classify.features import motion_feature_names

    arms = ("elbow_flexion", "shoulder_elevation", "shoulder_abduction", "trunk_inclination", "hand_height",
            "hands_apart")
    names = motion_feature_names()
    keep = [i for i, n in enumerate(names) if not n.startswith("share:") and not n.startswith("corr:")
            and any(a in n for a in arms)]
    keep += [names.index("corr:elbow_flexion~shoulder_elevation"), names.index("seen:arms")]
    return np.array(sorted(keep))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=20, help="synthesised sequences per catalog exercise")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--crop-per-class", type=int, default=8,
                    help="videos of each exercise re-extracted from cropped frames (0: none)")
    ap.add_argument("--framed-training-per-class", type=int, default=None,
                    help="only the re-framed readings of this many videos per exercise (the first ones of the "
                         "crop set) join the training data (default: every crop of the training folds)")
    ap.add_argument("--legs-blind", action="store_true",
                    help="also judge every video whose feet were hardly seen (the analysis's warning) by a forest "
                         "of the columns that read no leg (arms, trunk, hands), printed as a second table")
    ap.add_argument("--calibration", action="store_true",
                    help="also print how sure the model says it is against how often it is right, per change: "
                         "through the map shipped before (top vote share, fitted on the unchanged recordings), "
                         "and through the shipped one (top share and framing_cut, fitted on the unchanged "
                         "recordings and the real crops, by fold, as build_default fits it)")
    ap.add_argument("--without-framed-training", action="store_true",
                    help="the recipe before: the training folds' re-framed videos do not join the training data "
                         "(shipped: they do, as in build_default; a crop is always judged by a model without its group)")
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
    trainable = np.ones(len(seqs), bool)
    if args.framed_training_per_class is not None:
        trainable[:] = False
        trainable[framing_subset(read, args.framed_training_per_class)] = True
    # the picture rows the pose model saw, for the crops (framing_cut reads the body in that picture)
    picture: dict[str, list] = {}
    if args.crop_per_class:
        subset = framing_subset(read, args.crop_per_class)
        print(f"re-reading {len(subset)} videos through {len(FRAMINGS)} framings (cached)", file=sys.stderr)
        for framing in FRAMINGS:
            items: list[PoseSequence | None] = [None] * len(seqs)
            rows: list = [None] * len(seqs)
            for n, i in enumerate(subset):
                items[i] = reframed_pose(video_of(*read[i]), seqs[i], framing)
                if items[i] is not None:
                    rows[i] = cropped_rows(seqs[i], items[i], framing)
                print(f"  {framing} {n + 1}/{len(subset)}", end="\r", file=sys.stderr)
            versions[f"{framing.replace('_', ' ')} (real crop)"] = items
            picture[f"{framing.replace('_', ' ')} (real crop)"] = rows
    features = {}
    for name, items in versions.items():
        keep = [i for i, s in enumerate(items) if s is not None and len(s) >= 2]
        X = build_features([items[i] for i in keep], MODEL_FEATURES)
        features[name] = (np.array(keep, int), X)
        print(f"{name}: {len(keep)} recordings", file=sys.stderr)

    print(f"\nthe analysis's warning that the feet were hardly seen (better ankle's median visibility < "
          f"{FEET_SEEN_MIN}), on videos' poses:")
    visibility = {name: [None if s is None else feet_visibility(s) for s in items] for name, items in versions.items()}
    # exactly the recordings the analysis warns about (its feet-hardly-seen line)
    hardly_seen = {name: np.array([framing_warning(v) is not None for v in seen]) for name, seen in visibility.items()}
    for name in versions:
        if name in ("unchanged",) or name.endswith("(real crop)"):
            seen = [v for v in visibility[name] if v is not None]
            fired = int(hardly_seen[name].sum())
            print(f"  {name:<24} {fired:>3} of {len(seen):>3} ({fired / max(len(seen), 1):.0%})")

    X_clean = features["unchanged"][1]
    pred = {name: np.full(len(seqs), "", dtype=object) for name in versions}
    share = {name: np.full(len(seqs), np.nan) for name in versions}
    blind_pred = {name: np.full(len(seqs), "", dtype=object) for name in versions}
    blind_columns = legs_blind_columns()
    blind_synth = FeatureTable(synth.X[:, blind_columns], synth.labels, synth.groups, synth.sources, synth.files)
    for k in np.unique(fold):
        train = fold != k
        X_train, y_train, sensors_train = X_clean[train], labels[train], sensors[train]
        if not args.without_framed_training:
            for name, (keep, X) in features.items():
                if name.endswith("(real crop)"):
                    rows = (fold[keep] != k) & trainable[keep]
                    X_train = np.vstack([X_train, X[rows]])
                    y_train = np.concatenate([y_train, labels[keep][rows]])
                    sensors_train = np.concatenate([sensors_train, sensors[keep][rows]])
        models = fit_by_sensor(X_train, y_train, sensors_train, synth, args.seed)
        blind = fit(X_train[:, blind_columns], y_train, blind_synth, args.seed) if args.legs_blind else None
        for name, (keep, X) in features.items():
            for row, i in enumerate(keep):
                if fold[i] != k:
                    continue
                model = models.get(str(sensors[i]), models[None])
                if args.calibration:
                    proba = model.predict_proba(X[row:row + 1])[0]
                    pred[name][i], share[name][i] = model.classes_[int(np.argmax(proba))], float(proba.max())
                else:
                    pred[name][i] = model.predict(X[row:row + 1])[0]
                blind_pred[name][i] = (blind.predict(X[row:row + 1, blind_columns])[0]
                                       if blind is not None and hardly_seen[name][i] else pred[name][i])
        print(f"fold {k + 1}/{len(np.unique(fold))}", file=sys.stderr)

    kinds = [("UCF101", sources == "ucf101"), ("RepCount dev", sources == "repcount"),
             ("other real", (sources != "ucf101") & (sources != "repcount")), ("all real", np.ones(len(seqs), bool))]
    if args.legs_blind:
        print("\nfeet hardly seen -> the legs-blind forest: accuracy, shipped recipe -> with it (n: such recordings)")
        for name in versions:
            have = (pred[name] != "") & hardly_seen[name]
            if have.any():
                print(f"  {name:<26} {np.mean(pred[name][have] == labels[have]):.3f} -> "
                      f"{np.mean(blind_pred[name][have] == labels[have]):.3f} ({have.sum()}); all rows "
                      f"{np.mean(pred[name][pred[name] != ''] == labels[pred[name] != '']):.3f} -> "
                      f"{np.mean(blind_pred[name][pred[name] != ''] == labels[pred[name] != '']):.3f}")
    if args.calibration:
        calibration_table(versions, pred, share, labels)
        framed_calibration_table(versions, pred, share, labels, fold, picture)
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


def calibration_table(versions, pred, share, labels) -> None:
    """Stated confidence against accuracy per change: the map fitted on the unchanged recordings' shares
    (each unchanged recording's own confidence from a map fitted without it)."""
    from gyml.classify.calibration import fit_calibration, out_of_fold

    have = pred["unchanged"] != ""
    right = pred["unchanged"][have] == labels[have]
    calibration = fit_calibration(share["unchanged"][have], right)
    print("\nstated confidence against accuracy, out of fold, through the map shipped before round 13 (top share "
          "only, fitted on the unchanged recordings)")
    _confidence_rows(versions, pred, labels, lambda name, have, right: out_of_fold(share[name][have], right)
                     if name == "unchanged" else calibration(share[name][have]))


def _confidence_rows(versions, pred, labels, confidence) -> None:
    """Per change: recordings, accuracy, mean stated confidence (`confidence(name, have, right)`) and the
    expected calibration error."""
    from gyml.classify.calibration import expected_calibration_error

    print(f"{'change':<26}{'n':>5}{'accuracy':>10}{'mean confidence':>17}{'calibration error':>19}")
    for name in versions:
        have = pred[name] != ""
        if not have.any():
            continue
        right = pred[name][have] == labels[have]
        conf = confidence(name, have, right)
        print(f"{name:<26}{have.sum():>5}{right.mean():>10.3f}{np.mean(conf):>17.3f}"
              f"{expected_calibration_error(conf, right):>19.3f}")


def framed_calibration_table(versions, pred, share, labels, fold, picture) -> None:
    """The same with the shipped map (build_default): Platt scaling on (top share, framing_cut), fitted in
    each fold on the other folds' unchanged recordings and real crops (as build_default fits it on the
    recordings' and the re-framed training videos' out-of-fold predictions)."""
    from gyml.classify.calibration import fit_calibration, framing_cut

    cut = {name: np.array([np.nan if s is None else framing_cut(s, picture.get(name, [None] * len(items))[i])
                           for i, s in enumerate(items)]) for name, items in versions.items()}
    fitted = [name for name in versions if name == "unchanged" or name.endswith("(real crop)")]
    for reads_framing in (False, True):
        conf = {name: np.full(len(labels), np.nan) for name in versions}
        for k in np.unique(fold):
            rows = [(name, i) for name in fitted for i in np.flatnonzero((pred[name] != "") & (fold != k))]
            calibration = fit_calibration(np.array([share[n][i] for n, i in rows]),
                                          np.array([pred[n][i] == labels[i] for n, i in rows]),
                                          framing=np.array([cut[n][i] for n, i in rows]) if reads_framing else None)
            for name in versions:
                test = (pred[name] != "") & (fold == k)
                if test.any():
                    conf[name][test] = calibration(share[name][test], cut[name][test])
        print("\nstated confidence as shipped: the map also reads how often the body reached the picture's edge "
              "(framing_cut; fitted by fold on the unchanged recordings and the real crops)" if reads_framing else
              "\nstated confidence through a top-share-only map fitted by fold on the unchanged recordings and the "
              "real crops (what the crops alone bring)")
        _confidence_rows(versions, pred, labels, lambda name, have, right, conf=conf: conf[name][have])
    for name in versions:
        have = pred[name] != ""
        if have.any():
            print(f"  framing_cut {name:<26} mean {np.mean(cut[name][have]):.2f}, above 0.5 in "
                  f"{np.mean(cut[name][have] > 0.5):.0%}")


if __name__ == "__main__":
    raise SystemExit(main())
