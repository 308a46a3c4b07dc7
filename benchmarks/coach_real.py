"""The coach on real bodies, three ways:

1. ../shared/data/bodyweight_mistakes: the lunge takes (one performer; a good set and one named mistake
   each) against the good take as gold: the named mistake should be found on most reps, nothing on good.
   Any folder laid out alike (`--takes FOLDER`: its labels.csv, any rep exercise, one good take per exercise
   and performer) is measured the same way; a mistake is read from the words of its name (benchmarks/takes.py).
   `--only builtin-lunges`: the same takes against the built-in reference, and UCF101's lunges (presumed
   mostly sound) told their hips stop short.
2. ../shared/data/videos/pushup_form (20 correct, 20 wrong) with the built-in reference: wrong clips
   flagged, correct ones quiet (balanced accuracy). Here one tolerance per check is learned from these
   clips (`fit_tolerances`, the earlier learner), so the figure that counts is the leave-one-clip-out one
   printed first; the in-sample figure of the shipped tolerances and the tolerances a fit on all 40 clips
   gives follow. The shipped tolerances are scaled by a population of other push-ups, one share learned
   from these clips: benchmarks/coach_pushup_population.py measures them.
   How the checks measure (knees on both legs averaged, or on the leg the camera sees; the 90th or 95th
   percentile over the rep) was chosen with these clips in view, so a nested figure follows too: in each
   outer fold that choice is made again by leave-one-out on the other 39 clips alone. Some clips show the
   same person (PUSHUP_GROUPS), so leave-one-clip-out is optimistic: the same two figures follow with
   each group of clips held out together (leave one group out, and nested inside it).
3. ../shared/data/videos/form: the 13 clips named correct or incorrect, ours and the paper's coach.

    python benchmarks/coach_real.py [--skip-form] [--only lunges|builtin-lunges|pushups|form] [--check-groups] [--takes FOLDER]
                                    [--reading "as filmed"|mirrored|smoothed]
"""

from __future__ import annotations

import argparse
import csv
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import real_data
from real_data import SHARED, cached_pose, video_label
from takes import expected_kinds, gold_of, halves, read_takes

from gyml.coach import gold as gold_library
from gyml.coach.compare import gold_profile, in_phase_with_gold, main_joint, measure_reps
from gyml.coach.geometry import fill_joints
from gyml.coach.learned import HELD, KINDS, LEARNED, fit_tolerances, reference_levels, rep_deviations
from gyml.pipeline import analyze_sequence
from gyml.pose.kinematics import Kinematics
from gyml.pose.readers import read_pose
from gyml.pose.sequence import PoseSequence
from gyml.reps.counter import count_reps
from gyml.synth.catalog import CATALOG


def read_take(path, fps: float | None = 60.0) -> PoseSequence:
    return read_pose(path, fps=fps or 60.0)


def rep_takes(folder=None) -> None:
    """Every rep exercise's takes in `folder` (bodyweight_mistakes: the lunges) against their performer's good
    take as gold."""
    from gyml.coach.holds import is_hold

    folder = folder or SHARED / "bodyweight_mistakes"
    sets = [t for t in read_takes(folder) if not is_hold(t.exercise)]
    if not sets:
        print(f"no rep exercise takes in {folder}")
        return
    print(f"\n{'take':<28}{'reps':>5}  {'named mistake found on':<24}{'verdict':<9}all findings (kind: reps)")
    met = judged = 0
    good_takes = []
    for take in sets:
        gold_take = gold_of(take, sets)
        if gold_take is None:
            print(f"{take.path.name:<28}  no good take of {take.exercise} to judge it against")
            continue
        seq = read_take(take.path, take.fps)
        a = analyze_sequence(seq, take.mistake, exercise=take.exercise,
                             gold=read_take(gold_take.path, gold_take.fps)).analysis
        faults = [f for f in a.feedback if f.severity == "fault"]
        n = a.reps["count"]
        if take is gold_take:
            good_takes.append((take, seq))
        wanted = expected_kinds(take.mistake)
        if wanted == ():
            hit, ok = "-", not faults
        else:
            reps = {r for f in faults if wanted is None or f.kind in wanted for r in f.reps}
            hit, ok = f"{len(reps)} / {n}{'' if wanted else ' (any)'}", len(reps) > n / 2
        met += ok
        judged += 1
        found = ", ".join(f"{f.kind}: {len(f.reps)}" for f in faults) or "none"
        print(f"{take.path.stem:<28}{n:>5}  {hit:<24}{'right' if ok else 'WRONG':<9}{found}")
    print(f"takes right: {met} / {judged}")
    # The good take against itself is the protocol above; stricter, each half against the other as gold
    for take, seq in good_takes:
        for name, (part, ref) in zip(("first half", "second half"), halves(seq)):
            a = analyze_sequence(part, take.mistake, exercise=take.exercise, gold=ref).analysis
            faults = [f for f in a.feedback if f.severity == "fault"]
            told = "; ".join(f"{f.kind} on reps {f.reps} ({f.message})" for f in faults) or "quiet"
            print(f"{take.path.stem}, {name} against the other: {a.reps['count']} reps, {told}")


def builtin_lunges(folder=None) -> None:
    """The lunge takes against the built-in reference (no gold): the high take's depth found, the good
    take quiet; and real lunges on video (UCF101, presumed mostly sound) told their hips stop short."""
    from gyml.coach.holds import is_hold
    from gyml.errors import GymlError

    folder = folder or SHARED / "bodyweight_mistakes"
    print("\nlunge takes, built-in reference (a depth cue is `not_low_enough`)")
    for take in [t for t in read_takes(folder) if not is_hold(t.exercise)]:
        a = analyze_sequence(read_take(take.path, take.fps), take.mistake, exercise=take.exercise).analysis
        faults = [f for f in a.feedback if f.severity == "fault"]
        found = ", ".join(f"{f.kind}: {len(f.reps)}" for f in faults) or "none"
        print(f"{take.path.stem:<28}{a.reps['count']:>5}  {found}")
    with open(SHARED / "ucf101" / "labels.csv", newline="") as f:
        videos = [row["video"] for row in csv.DictReader(f) if row["exercise"] == "lunge"]
    sets = told_sets = reps = told_reps = 0
    for video in videos:
        try:
            a = analyze_sequence(cached_pose(SHARED / "ucf101" / "videos" / video), video, exercise="lunge").analysis
        except GymlError as error:   # a clip the pose model finds nobody in
            print(f"skipped {video}: {error}")
            continue
        told = {r for f in a.feedback if f.kind == "not_low_enough" for r in f.reps}
        sets += 1
        told_sets += bool(told)
        reps += a.reps["count"]
        told_reps += len(told)
    print(f"UCF101 lunges told their hips stop short: {told_sets} of {sets} sets, {told_reps} of {reps} reps")


# How the push-up checks can measure: (knees read on the leg the camera sees?, percentile over the rep).
# The first is the earlier design, the shipped one is (True, HELD).
MEASURES = ((False, 90), (True, 90), (False, 95), (True, 95))


# Push-up clips that show the same person, or the same room and kit where the person cannot be told
# apart: grouped by eye on a sheet of each clip's middle frame, merging when in doubt. Every pair of
# clips whose median grey frames correlate at 0.85 or more is in one group (8 groups; no pair in
# different groups reaches 0.79: `--check-groups` prints them); correct2, correct50/wrong27, wrong40/47
# and correct116/117 were joined by eye (the same person or room filmed from elsewhere). The other 15
# clips are a group each.
PUSHUP_GROUPS = (("correct2", "correct106", "correct119"), ("correct14", "correct17", "wrong12", "wrong14"),
                 ("correct25", "correct34"), ("correct47", "correct48"), ("correct50", "wrong27"),
                 ("correct116", "correct117"), ("wrong40", "wrong47"), ("wrong57", "wrong72"),
                 ("wrong65", "wrong68"), ("wrong90", "wrong91"), ("wrong94", "wrong95"))


def pushup_group(video: str) -> str:
    """The group of a pushup_form clip (its own name when it shares a group with none)."""
    stem = video.rsplit(".", 1)[0]
    return next((g[0] for g in PUSHUP_GROUPS if stem in g), stem)


def check_groups(folder, threshold: float = 0.85) -> None:
    """The clip pairs whose median grey frames (32 x 18, every fifth frame) correlate at `threshold` or
    more, and whether PUSHUP_GROUPS holds them together."""
    import av

    names, frames = [], []
    for clip in sorted(folder.glob("*.mp4")):
        with av.open(str(clip)) as container:
            grey = [np.asarray(f.to_image().convert("L").resize((32, 18)), float)
                    for i, f in enumerate(container.decode(video=0)) if i % 5 == 0]
        x = np.median(grey, axis=0).ravel()
        names.append(clip.name)
        frames.append((x - x.mean()) / (x.std() + 1e-9))
    x = np.array(frames)
    corr = x @ x.T / x.shape[1]
    pairs = sorted(((corr[i, j], names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))),
                   reverse=True)
    for c, a, b in pairs:
        if c < threshold - 0.1:
            break
        same = pushup_group(a) == pushup_group(b)
        print(f"  {a:<16}{b:<16}{c:.2f}  {'same group' if same else 'apart'}")


@lru_cache(maxsize=1)
def _pushup_gold():
    """The built-in push-up gold's kinematics, measured reps, profile and reference levels (once)."""
    gold = gold_library.builtin("push_up")
    gold_kinematics = Kinematics(gold)
    gold_measures = measure_reps(gold, count_reps(gold, kinematics=gold_kinematics), kinematics=gold_kinematics)
    return (gold_kinematics, gold_measures, gold_profile(gold_measures),
            reference_levels(gold_kinematics.angles, gold.joints))


def pushup_measures(seq, kinematics: Kinematics) -> list:
    """Each counted rep of `seq` measured as the coach measures it against the built-in push-up gold
    (gyml/coach/session.py): the reps in phase with the gold's."""
    gold_kinematics, gold_measures, _, _ = _pushup_gold()
    reps = in_phase_with_gold(count_reps(seq, kinematics=kinematics), kinematics.angles, gold_kinematics.angles,
                              gold_measures, CATALOG["push_up"].moving)
    return measure_reps(seq, reps, kinematics=kinematics)


def deviation_variants(seq, kinematics: Kinematics | None = None, user: list | None = None) -> dict:
    """Each rep's deviations from the built-in push-up reference under every one of MEASURES, computed
    as the coach does (gyml/coach/session.py); `user`: the reps' `pushup_measures`, when already made."""
    kinematics = kinematics or Kinematics(seq)
    user = user if user is not None else pushup_measures(seq, kinematics)
    _, _, profile, reference = _pushup_gold()
    main = main_joint(profile, CATALOG["push_up"].moving)
    joints = fill_joints(seq.joints, seq.confidence)
    return {(seen, held): rep_deviations(kinematics.angles, joints, user, reference, profile, main,
                                         seq.confidence if seen else None, held)
            for seen, held in MEASURES}


def pushup_clips() -> list[tuple[str, bool, list[dict], list[str], dict]]:
    """(clip, wrong?, each rep's deviations, fault kinds, deviations under each of MEASURES) for the
    pushup_form clips."""
    folder = SHARED / "videos" / "pushup_form"
    with open(folder / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        seq = cached_pose(folder / row["video"])
        a = analyze_sequence(seq, row["video"], exercise="push_up").analysis
        devs = [m.get("deviations", {}) for m in a.extras.get("rep_metrics", [])]
        kinds = sorted({f.kind for f in a.feedback if f.severity == "fault"})
        variants = deviation_variants(seq)
        shipped = _clip_scores(variants[(True, HELD)])
        if any(abs(shipped[k] - v) > 1e-2 for k, v in _clip_scores(devs).items() if np.isfinite(v)):
            raise SystemExit(f"{row['video']}: the benchmark's deviations differ from the coach's")
        out.append((row["video"], row["form"] == "wrong", devs, kinds, variants))
    return out


def _clip_scores(devs: list[dict]) -> dict:
    return {k: max((-np.inf if d[k] is None else d[k] for d in devs), default=-np.inf) for k in KINDS}


def _flagged(scores: dict, limits: dict) -> bool:
    return any(v is not None and scores[k] > v for k, v in limits.items())


def _balanced(flags, wrong) -> float:
    flags, wrong = np.asarray(flags, bool), np.asarray(wrong, bool)
    return 0.5 * (flags[wrong].mean() + (~flags[~wrong]).mean())


def _leave_one_out(scores: list[dict], wrong: list[bool]) -> list[bool]:
    """Each clip flagged or not by tolerances learned on all the other clips."""
    flags = []
    for i in range(len(scores)):
        rest = [k for k in range(len(scores)) if k != i]
        limits = fit_tolerances([scores[k] for k in rest], [wrong[k] for k in rest])
        flags.append(_flagged(scores[i], limits))
    return flags


def _leave_one_group_out(scores: list[dict], wrong: list[bool], groups: list[str]) -> list[bool]:
    """Each clip flagged or not by tolerances learned on the clips of all other groups."""
    flags = [False] * len(scores)
    for g in dict.fromkeys(groups):
        rest = [k for k in range(len(scores)) if groups[k] != g]
        limits = fit_tolerances([scores[k] for k in rest], [wrong[k] for k in rest])
        for i in range(len(scores)):
            if groups[i] == g:
                flags[i] = _flagged(scores[i], limits)
    return flags


def _nested(variant_scores: dict, wrong: list[bool], groups: list[str] | None = None) -> tuple[list[bool], list]:
    """Leave one clip (with `groups`: one group) out, choosing the way of measuring (one of MEASURES) by
    the same validation on the other clips alone (ties: the earlier in MEASURES), then learning its
    tolerances on them."""
    groups = groups or [str(i) for i in range(len(wrong))]
    flags, chosen = [False] * len(wrong), [None] * len(wrong)
    for g in dict.fromkeys(groups):
        rest = [k for k in range(len(wrong)) if groups[k] != g]
        rest_wrong, rest_groups = [wrong[k] for k in rest], [groups[k] for k in rest]
        best = max(MEASURES, key=lambda m: (_balanced(_leave_one_group_out(
            [variant_scores[m][k] for k in rest], rest_wrong, rest_groups), rest_wrong), -MEASURES.index(m)))
        limits = fit_tolerances([variant_scores[best][k] for k in rest], rest_wrong)
        for i in range(len(wrong)):
            if groups[i] == g:
                flags[i] = _flagged(variant_scores[best][i], limits)
                chosen[i] = best
    return flags, chosen


def pushups(nested: bool = True) -> None:
    if not (SHARED / "videos" / "pushup_form" / "labels.csv").exists():
        print("no pushup_form clips")
        return
    clips = pushup_clips()
    wrong = [c[1] for c in clips]
    scores = [_clip_scores(c[2]) for c in clips]
    # leave one clip out: tolerances learned on the other 39, applied to the one left out
    out_of_fold = _leave_one_out(scores, wrong)
    shipped = [bool(c[3]) for c in clips]
    print(f"\n{'push-up clip':<16}{'truth':<9}{'reps':>5}  {'held-out flag':<15}shipped coach's faults")
    for (name, w, devs, kinds, _), oof in zip(clips, out_of_fold):
        print(f"{name:<16}{'wrong' if w else 'correct':<9}{len(devs):>5}  {'flagged' if oof else 'quiet':<15}"
              f"{', '.join(kinds) or '-'}")
    w = np.asarray(wrong)
    for what, flags in (("leave-one-clip-out", out_of_fold), ("shipped tolerances (in sample)", shipped)):
        f = np.asarray(flags)
        print(f"push-up {what}: wrong flagged {int(f[w].sum())} / {int(w.sum())}, correct quiet "
              f"{int((~f[~w]).sum())} / {int((~w).sum())}, balanced accuracy {_balanced(f, w):.3f}")
    variant_scores = {m: [_clip_scores(c[4][m]) for c in clips] for m in MEASURES}
    for m in MEASURES:
        f = np.asarray(_leave_one_out(variant_scores[m], wrong))
        print(f"  measured with knees {'of the seen leg' if m[0] else 'of both legs averaged':<22} at the {m[1]}th "
              f"percentile: leave-one-clip-out {_balanced(f, w):.3f}")
    groups = [pushup_group(c[0]) for c in clips]
    f = np.asarray(_leave_one_group_out(scores, wrong, groups))
    print(f"push-up leave-one-group-out ({len(set(groups))} groups of clips that show the same person): wrong flagged "
          f"{int(f[w].sum())} / {int(w.sum())}, correct quiet {int((~f[~w]).sum())} / {int((~w).sum())}, "
          f"balanced accuracy {_balanced(f, w):.3f}")
    if nested:
        for what, by in (("clip", None), ("group", groups)):
            f, chosen = _nested(variant_scores, wrong, by)
            f = np.asarray(f)
            picks = {m: chosen.count(m) for m in MEASURES if chosen.count(m)}
            print(f"push-up nested, one {what} out (the way of measuring chosen inside each fold): wrong flagged "
                  f"{int(f[w].sum())} / {int(w.sum())}, correct quiet {int((~f[~w]).sum())} / {int((~w).sum())}, "
                  f"balanced accuracy {_balanced(f, w):.3f}; chosen (seen leg?, percentile): {picks}")
    fitted = fit_tolerances(scores, wrong)
    print("tolerances fitted on all clips:", {k: None if v is None else round(float(v), 3) for k, v in fitted.items()})
    print("tolerances shipped:           ", LEARNED["push_up"])


def form_clips() -> None:
    folder = SHARED / "videos" / "form"
    clips = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".mp4", ".avi"))
    clips = [p for p in clips if "correct" in p.stem.lower()]   # "incorrect" contains "correct" too
    if not clips:
        print(f"no form clips in {folder}")
        return
    tally = {m: {"flagged_incorrect": 0, "incorrect": 0, "quiet_correct": 0, "correct": 0} for m in ("gyml", "paper")}
    print(f"\n{'clip':<34}{'truth':<11}{'exercise':<15}{'reps':>5}  {'gyml faults':<12}{'paper flags':<12}first cue (gyml)")
    for clip in clips:
        truth = "incorrect" if "incorrect" in clip.stem.lower() else "correct"
        label = video_label(clip)
        seq = cached_pose(clip)
        row = {}
        for coach in ("gyml", "paper"):
            a = analyze_sequence(seq, clip.name, exercise=label, coach_method=coach).analysis
            faults = [f for f in a.feedback if f.severity == "fault"]
            row[coach] = (a, faults)
            t = tally[coach]
            t[truth] += 1
            if truth == "incorrect" and faults:
                t["flagged_incorrect"] += 1
            if truth == "correct" and not faults:
                t["quiet_correct"] += 1
        a, faults = row["gyml"]
        cue = faults[0].message if faults else "-"
        print(f"{clip.name:<34}{truth:<11}{label or '?':<15}{a.reps['count']:>5}  "
              f"{len(faults):<12}{len(row['paper'][1]):<12}{cue}")
    print(f"\n{'coach':<8}{'incorrect clips flagged':>26}{'correct clips quiet':>22}")
    for coach, t in tally.items():
        print(f"{coach:<8}{t['flagged_incorrect']:>20} / {t['incorrect']:<3}{t['quiet_correct']:>16} / {t['correct']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-form", action="store_true", help="leave out the 13 form clips")
    parser.add_argument("--only", choices=("lunges", "builtin-lunges", "pushups", "form"), help="run one part")
    parser.add_argument("--no-nested", action="store_true", help="leave out the nested push-up figures (two minutes)")
    parser.add_argument("--check-groups", action="store_true",
                        help="print the push-up clip pairs whose median frames look alike, and exit")
    parser.add_argument("--takes", type=Path, help="a folder of labelled takes to judge instead of bodyweight_mistakes")
    parser.add_argument("--reading", choices=real_data.VIDEO_READINGS, default="as filmed",
                        help="how videos are read (benchmarks/coach_mirror.py --extract reads them first)")
    args = parser.parse_args()
    real_data.video_reading = args.reading
    print(f"videos read {args.reading}")
    if not SHARED.exists():
        print(f"no shared data at {SHARED}", file=sys.stderr)
        return 1
    if args.check_groups:
        check_groups(SHARED / "videos" / "pushup_form")
        return 0
    parts = {"lunges": lambda: rep_takes(args.takes), "builtin-lunges": lambda: builtin_lunges(args.takes),
             "pushups": lambda: pushups(not args.no_nested), "form": form_clips}
    for name, part in parts.items():
        if (args.only in (None, name)) and not (name == "form" and args.skip_form and args.only is None):
            part()
    return 0


if __name__ == "__main__":
    sys.exit(main())
