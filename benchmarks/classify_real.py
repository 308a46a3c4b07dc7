"""Recognition on real recordings, measured out of fold: every real recording is predicted by a model
that never saw its group (UCF101: leave one group out, one group = one person, place and camera;
RepCount: its people dealt into the same eight folds; the other sources likewise by take). The
default recipe (real + synthesised data, gyml.classify.build_default) is printed beside the model
trained on synthesised motion only, in the same run.

    python benchmarks/classify_real.py [--per-class 20] [--figure out/classify_real_confusion.png]

Prints accuracy per source and class, per-class precision and recall, accuracy per camera view,
the out-of-fold calibration of the confidence, what recognition costs inside an analysis, and how
long rebuilding the default model from cached poses takes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from gyml.classify.build_default import (
    fit,
    fit_by_sensor,
    out_of_fold_proba,
    real_table,
    shared_recordings,
    synth_table,
)
from gyml.classify.calibration import expected_calibration_error, out_of_fold
from gyml.pose.skeleton import body_frame

GOALS = {"ucf101": 0.95, "repcount": 0.90}
CLASS_FLOOR = 0.8


def facing(seq) -> str:
    """The camera view of a video: the angle between the body's forward axis and the camera's axis
    (MediaPipe's z), median over frames: front < 30 degrees, side > 60, else 45."""
    joints = seq.joints[seq.present]
    if len(joints) == 0 or seq.source != "video":
        return "n/a"
    _, _, forward = body_frame(np.nan_to_num(joints.astype(np.float64)))
    flat = forward[:, [0, 2]]
    flat = flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-9)
    angle = np.degrees(np.arccos(np.clip(np.abs(flat[:, 1]), 0, 1)))
    a = float(np.nanmedian(angle))
    return "front" if a < 30 else "side" if a > 60 else "45deg"


def report(name: str, truth: np.ndarray, pred: np.ndarray, sources: np.ndarray, views: np.ndarray) -> dict:
    print(f"\n=== {name} ===")
    out = {}
    for source in dict.fromkeys(sources):
        inside = sources == source
        acc = float(np.mean(pred[inside] == truth[inside]))
        goal = GOALS.get(str(source))
        mark = "" if goal is None else f"   goal >= {goal:.2f}: {'met' if acc >= goal else 'NOT met'}"
        print(f"{source:<20}{inside.sum():>4}  accuracy {acc:.3f}{mark}")
        out[str(source)] = acc
    print(f"{'all real':<20}{len(truth):>4}  accuracy {np.mean(pred == truth):.3f}")
    for source in ("ucf101", "repcount"):
        inside = sources == source
        labels = sorted(set(truth[inside]))
        p, r, _, n = precision_recall_fscore_support(truth[inside], pred[inside], labels=labels, zero_division=0)
        print(f"\n{source}: per class (recall = accuracy of the class)")
        print(f"{'class':<20}{'n':>4}{'precision':>11}{'recall':>8}  mistaken for")
        for lab, pi, ri, ni in zip(labels, p, r, n):
            wrong = Counter(pred[inside & (truth == lab) & (pred != lab)]).most_common(3)
            floor = "  < 0.8" if ri < CLASS_FLOOR else ""
            print(f"{lab:<20}{ni:>4}{pi:>11.2f}{ri:>8.2f}  {', '.join(f'{k} {v}' for k, v in wrong)}{floor}")
    print("\naccuracy by camera view (videos; view from the pose's facing angle)")
    for view in ("front", "45deg", "side"):
        inside = views == view
        if inside.any():
            by_source = ", ".join(f"{s} {np.mean(pred[inside & (sources == s)] == truth[inside & (sources == s)]):.2f}"
                                  f" ({(inside & (sources == s)).sum()})" for s in dict.fromkeys(sources[inside]))
            print(f"{view:<7}{inside.sum():>4}  accuracy {np.mean(pred[inside] == truth[inside]):.3f}   {by_source}")
    return out


def body_situation(trunk_from_vertical: float) -> str:
    return "upright" if trunk_from_vertical < 40 else "lying" if trunk_from_vertical < 135 else "inverted"


def list_mistakes(real, proba: np.ndarray, classes: np.ndarray) -> None:
    """Each recording the out-of-fold model got wrong: what it was taken for, and what its pose says (share
    of frames with a pose, the trunk's situation, how far the arms and legs move), to tell a broken or
    wrongly tracked pose from a confusion of the model."""
    from gyml.classify.features import motion_feature_names

    names = motion_feature_names()
    col = {n: names.index(n) for n in ("trunk_inclination:median", "seen:arms", "seen:legs",
                                       "more_elbow_flexion:std", "more_shoulder_elevation:std",
                                       "more_knee_flexion:std", "more_hip_flexion:std")}
    pred = classes[np.argmax(proba, axis=1)]
    print("\nmistakes, out of fold (trunk = its angle from vertical; arm/leg = std of elbow+shoulder / knee+hip, deg)")
    for i in np.where(pred != real.labels)[0]:
        x = real.X[i]
        top = ", ".join(f"{classes[k]} {proba[i, k]:.2f}" for k in np.argsort(-proba[i])[:3])
        arm = x[col["more_elbow_flexion:std"]] + x[col["more_shoulder_elevation:std"]]
        leg = x[col["more_knee_flexion:std"]] + x[col["more_hip_flexion:std"]]
        trunk = x[col["trunk_inclination:median"]]
        print(f"  {real.files[i][:34]:<34} {real.labels[i]:<14} -> {top:<48} trunk {trunk:4.0f} "
              f"({body_situation(trunk)}), arm {arm:3.0f}, leg {leg:3.0f}, arms seen {x[col['seen:arms']]:.2f}")


def recognition_cost(items, model_path: Path | None) -> None:
    """Recognition's share of an analysis of poses already extracted, and of one from a video."""
    from gyml.classify.default import load_model, predict
    from gyml.pipeline import analyze_sequence

    model = load_model(str(model_path) if model_path else None)
    predict(model, items[0])  # warm-up: loading and thread start-up are paid once per process
    recog = total = 0.0
    for seq in items:
        t0 = time.perf_counter()
        predict(model, seq)
        recog += time.perf_counter() - t0
        t0 = time.perf_counter()
        analyze_sequence(seq, "bench", model_path=str(model_path) if model_path else None)
        total += time.perf_counter() - t0
    print(f"\nrecognition {recog / len(items) * 1000:.0f} ms per recording, a whole analysis of the same poses "
          f"{total / len(items) * 1000:.0f} ms: recognition is {recog / total:.1%} of an analysis without pose "
          f"extraction (goal < 2% of an analysis)")
    return recog / len(items)


def repcount_recognition_cost(items) -> None:
    """The same for RepCount-pose input, whose estimator also votes on the reps' trajectories under DTW:
    recognition given the kinematics and the count the analysis made anyway (as gyml.pipeline does)."""
    from gyml.classify.default import load_model, predict
    from gyml.pipeline import analyze_sequence
    from gyml.pose.kinematics import Kinematics
    from gyml.reps.counter import count_reps

    model = load_model()
    recog = total = 0.0
    for seq in items:
        kinematics = Kinematics(seq)
        reps = count_reps(seq, kinematics=kinematics)
        t0 = time.perf_counter()
        predict(model, seq, kinematics=kinematics, reps=reps)
        recog += time.perf_counter() - t0
        t0 = time.perf_counter()
        analyze_sequence(seq, "bench")
        total += time.perf_counter() - t0
    print(f"RepCount-pose input ({len(items)} files): recognition {recog / len(items) * 1000:.0f} ms per recording "
          f"(forest, logistic regression and DTW vote), a whole analysis {total / len(items) * 1000:.0f} ms: "
          f"{recog / total:.1%} of an analysis (goal < 2%)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=20, help="synthesised sequences per catalog exercise")
    ap.add_argument("--figure", type=Path, default=Path("out/classify_real_confusion.png"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    recordings = shared_recordings()
    if not recordings:
        print("no real data found (../shared/data)")
        return 1
    real, problems = real_table(recordings)
    t_real = time.perf_counter() - t0
    for line in problems:
        print(f"skipped {line}")
    t0 = time.perf_counter()
    synth = synth_table(args.per_class, args.seed)
    t_synth = time.perf_counter() - t0
    print(f"{len(real.labels)} real recordings from {', '.join(dict.fromkeys(real.sources))} "
          f"({len(set(real.groups))} groups); {len(synth.labels)} synthesised sequences")

    t0 = time.perf_counter()
    proba, classes = out_of_fold_proba(real, synth, args.seed)
    t_folds = time.perf_counter() - t0
    pred = classes[np.argmax(proba, axis=1)]
    t0 = time.perf_counter()
    fit_by_sensor(real.X, real.labels, real.sensor_of(), synth, args.seed, real.reps)   # what the shipped model holds
    t_fit = time.perf_counter() - t0

    synth_only = fit(np.zeros((0, synth.X.shape[1]), np.float32), np.array([], str), synth, args.seed)
    pred_synth = synth_only.predict(real.X)

    from gyml.classify.build_default import REAL_ONLY_CLASSES
    from gyml.pose.cache import cached_read_pose
    seqs = {r.path.name: r for r in recordings}
    views = np.array([facing(cached_read_pose(seqs[f].path)) for f in real.files])

    ours = report("real + synthesised (the default recipe), out of fold", real.labels, pred, real.sources, views)
    list_mistakes(real, proba, classes)
    theirs = report("synthesised only (the model shipped before), same recordings", real.labels, pred_synth,
                    real.sources, views)
    never = set(REAL_ONLY_CLASSES) - set(synth.labels)
    if never:
        print(f"\n(the synthesised-only model cannot name {', '.join(sorted(never))}: no synthesised examples)")
    print("\nside by side (accuracy)        synth-only   real+synth")
    for source in ours:
        print(f"{source:<30}{theirs[source]:>11.3f}{ours[source]:>13.3f}")

    labels = sorted(set(real.labels) | set(pred))
    cm = confusion_matrix(real.labels, pred, labels=labels)
    from gyml.report.plots import confusion_plot
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    confusion_plot(cm.tolist(), labels, args.figure, "real recordings, out of fold (real + synthesised)")
    print(f"\nwrote {args.figure}")

    share = proba.max(axis=1)
    correct = pred == real.labels
    calibrated = out_of_fold(share, correct)
    print(f"\nconfidence: expected calibration error raw {expected_calibration_error(share, correct):.3f}, "
          f"calibrated out of fold {expected_calibration_error(calibrated, correct):.3f}")
    for lo, hi in ((0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        inside = (calibrated >= lo) & (calibrated < hi)
        if inside.any():
            print(f"  calibrated {lo:.1f}-{min(hi, 1):.1f}: {inside.sum():>4} recordings, mean confidence "
                  f"{calibrated[inside].mean():.2f}, right {correct[inside].mean():.2f}")
    guesses = calibrated < 0.5
    print(f"  marked as a guess (< 0.5): {guesses.sum()} of {len(guesses)}, right anyway "
          f"{correct[guesses].mean() if guesses.any() else float('nan'):.2f}")

    rebuild = t_real + t_synth + t_folds + t_fit
    print(f"\nrebuild from cached poses: read + featurise real {t_real:.1f} s, synthesise + featurise "
          f"{t_synth:.1f} s, calibration folds {t_folds:.1f} s, "
          f"final fit {t_fit:.1f} s: {rebuild:.0f} s in all on {os.cpu_count()} cores (goal < 300 s; "
          f"the reading share is {t_real / rebuild:.0%})")
    from gyml.classify.build_default import HELD_OUT_GROUPS
    from gyml.classify.default import load_model
    model = load_model()
    held = np.isin(real.groups, model.settings.get("held_out_groups", HELD_OUT_GROUPS))
    if held.any() and model.features == "motion":
        said = np.array(model.estimator.predict(real.X[held]))
        print(f"\nthe shipped model on the {held.sum()} real clips kept out of its training "
              f"({', '.join(sorted(set(real.groups[held])))}): accuracy {np.mean(said == real.labels[held]):.3f}")
    shipped = [cached_read_pose(seqs[f].path) for f in real.files[:: max(len(real.files) // 12, 1)]]
    recognition_cost(shipped, None)
    repcount = [f for f, source in zip(real.files, real.sources) if source == "repcount"]
    repcount_recognition_cost([cached_read_pose(seqs[f].path) for f in repcount[:: max(len(repcount) // 6, 1)]])
    video = next((seqs[f].path for f in real.files if seqs[f].path.suffix.lower() in (".mp4", ".avi")), None)
    if video is not None:
        from gyml.classify.default import predict
        from gyml.pipeline import analyze_sequence
        from gyml.pose.readers import read_pose
        t0 = time.perf_counter()
        seq = read_pose(video)      # not the cache: what a first analysis of a new video pays
        t_extract = time.perf_counter() - t0
        t0 = time.perf_counter()
        analyze_sequence(seq, video.name)
        t_analysis = time.perf_counter() - t0
        t0 = time.perf_counter()
        predict(model, seq)
        t_recog = time.perf_counter() - t0
        print(f"{video.name} ({len(seq)} frames) from the video: pose extraction {t_extract:.1f} s, the rest of the "
              f"analysis {t_analysis:.2f} s, recognition {t_recog * 1000:.0f} ms = "
              f"{t_recog / (t_extract + t_analysis):.2%} of the whole analysis (goal < 2%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
