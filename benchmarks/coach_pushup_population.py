"""Push-up judgement from a population of ordinary push-ups instead of labelled clips.

Per-check tolerances learned from the 40 labelled pushup_form clips (benchmarks/coach_real.py) need a
held-out split for every figure. Here, first, the 40 clips are a pure test: what a normal push-up looks
like is taken from every other real push-up we have, and a clip is flagged when its reps fall outside
that population's spread. No choice in that first part is made on the 40 clips; each rule's threshold is
one share (FALSE_ALARMS) of the population itself, so its balanced accuracy on the 40 is a held-out figure
as printed (by clip and by person alike).

The population (`reference_recordings`): UCF101's PushUps clips (train groups 8-15; web video at 320 x
240), the push-up clips of videos/counted and videos/uncounted and videos/form's correct push-up, and
RepCount's dev push-up sets (another pose source). Each rep is measured exactly as the coach measures it
(the deviations of gyml/coach/learned.py: sag, pike, knees of the seen leg, head, depth, elbow flare, each
the 90th percentile over the rep); in the first part reps where the body is not seen (a body joint sure
less than SEEN on both sides) are left out.

Rules, each calibrated on the reference clips alone so that FALSE_ALARMS of them are flagged:
- per check: a rep strays when any check passes the same percentile of the population's reps (and,
  simpler, each check at the 95th percentile of the population's reps, whatever share of clips that flags);
- robust Mahalanobis: the minimum covariance determinant fit of the population's reps on a compact view
  (sag, pike, head, and the camera view as a covariate, since monocular depth bends the body line by
  view); a rep strays past the distance that flags FALSE_ALARMS of the reference clips;
and a clip is flagged when any of its reps strays (or, second reading, when its median rep does).
Then the population rule OR'ed with the per-check learned tolerances, the choice between them nested by
group.

Last, what the coach ships (gyml/coach/learned.py): the population scales the tolerances and the labels
set one number. Each named check (sag, knees, head) is tolerated up to the same percentile of the
population's rep deviations, and only that share is learned from the 40 clips (`fit_share`). Printed:
the share and tolerances a fit on all 40 gives (to ship), the figures with the share learned leave one
clip out and leave one group out, every set-up tried (population, reps kept, checks), and nested figures
where the set-up, and also the way of measuring (coach_real's MEASURES), is chosen inside each fold.

`--vote` (model averaging instead of that choice): every candidate (the 48 set-ups and ways of measuring;
for information the 12 set-ups measured the shipped way) fits its own share as above, on the training clips
of each group fold (or on all 40, in sample), and a clip is flagged when more than half of the candidates
flag it (a tie: not flagged). Only these figures are printed, with the clips that flip against the
shipped set-up.

    python benchmarks/coach_pushup_population.py [--reading "as filmed"|mirrored|smoothed] [--vote]
    python benchmarks/coach_pushup_population.py --compare-readings "as filmed" mirrored

`--reading`: how every video (the labelled clips and the population's, UCF101's read from its videos) is
read; see benchmarks/real_data.py and benchmarks/coach_mirror.py.
"""

from __future__ import annotations

import argparse
import csv
import sys

import numpy as np
import real_data
from coach_real import (
    MEASURES,
    _balanced,
    _clip_scores,
    _flagged,
    _leave_one_group_out,
    deviation_variants,
    pushup_group,
    pushup_measures,
)
from real_data import SHARED, cached_pose
from sklearn.covariance import MinCovDet
from sklearn.metrics import roc_auc_score

from gyml.coach.learned import (
    HELD,
    KINDS,
    LEARNED,
    POPULATION_CHECKS,
    SEEN,
    SHARES,
    fit_share,
    fit_tolerances,
    population_tolerances,
)
from gyml.pose.kinematics import Kinematics
from gyml.pose.readers import read_pose
from gyml.pose.skeleton import JOINT

# The share of the reference clips a rule may flag: its threshold, fixed before looking at the 40 clips.
FALSE_ALARMS = 0.05
COMPACT = ("hips_sag", "hips_pike", "head_dropped")
BODY = [JOINT[f"{side}_{j}"] for side in ("left", "right")
        for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")]


def reference_recordings() -> list[tuple[str, str, str, object]]:
    """(source, clip, group, pose sequence) of every real push-up outside pushup_form."""
    out = []
    for path in sorted((SHARED / "ucf101" / "poses").glob("v_PushUps_*.npz")):
        # Read from the video the way the labelled clips are read, unless that is the plain reading the
        # stored poses hold.
        seq = (read_pose(path) if real_data.video_reading == "as filmed"
               else cached_pose(SHARED / "ucf101" / "videos" / f"{path.stem}.avi"))
        out.append(("ucf101", path.stem, "ucf" + path.stem.split("_")[2], seq))
    videos = (sorted((SHARED / "videos" / "counted").glob("push-ups*.mp4"))
              + sorted((SHARED / "videos" / "uncounted").glob("pushup*.mp4"))
              + sorted((SHARED / "videos" / "form").glob("pushup_correct*.mp4")))
    out += [("video", path.stem, path.stem, cached_pose(path)) for path in videos]
    folder = SHARED / "repcount_pose" / "dev"
    with open(folder / "labels.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["type"] in ("push_up", "pushups"):
                path = folder / row["name"].replace(".mp4", ".npy")
                out.append(("repcount", path.stem, "repcount_" + path.stem.split("_")[0], read_pose(path)))
    return out


def rep_measures(seq) -> list[dict]:
    """Each rep's deviations as the coach reads them (knees of the seen leg, 90th percentile), with its
    camera view (0 front, 1 side), whether the body is seen (`seen`: on the better side, the least sure
    body joint's median confidence over the rep) and, under `measured`, the deviations under each of
    coach_real's MEASURES."""
    kinematics = Kinematics(seq)
    reps = pushup_measures(seq, kinematics)
    variants = deviation_variants(seq, kinematics, reps)
    out = []
    for i, (r, dev) in enumerate(zip(reps, variants[(True, HELD)])):
        sure = seq.confidence[r.start:r.end + 1][:, BODY].reshape(-1, 2, len(BODY) // 2)
        seen = float(np.median(sure.max(axis=1).min(axis=1)))
        out.append({**dev, "side_view": r.side_view, "seen": seen, "measured": {m: variants[m][i] for m in MEASURES}})
    return out


def labelled_clips() -> list[tuple[str, bool, str, list[dict]]]:
    folder = SHARED / "videos" / "pushup_form"
    with open(folder / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(row["video"], row["form"] == "wrong", pushup_group(row["video"]),
             rep_measures(cached_pose(folder / row["video"]))) for row in rows]


def _known(values) -> np.ndarray:
    values = np.asarray(values, float)
    return values[np.isfinite(values)]


class PerCheck:
    """A rep strays when any check passes the q-th percentile of the population's reps, q set so that
    FALSE_ALARMS of the reference clips hold a straying rep (or a straying median rep), or given (`q`:
    then each check alone flags 100 - q percent of the population's reps)."""

    def __init__(self, reference: list[list[dict]], median: bool = False, q: float | None = None):
        self.median = median
        reps = [r for clip in reference for r in clip]
        self.values = {k: _known([r[k] for r in reps]) for k in KINDS}
        if q is not None:
            self.q = q
            return
        qs = np.arange(50.0, 100.0, 0.25)
        flagged = [np.mean([self._clip(clip, q) for clip in reference]) for q in qs]
        self.q = float(next((q for q, f in zip(qs, flagged) if f <= FALSE_ALARMS), 100.0))

    def _limits(self, q):
        return {k: float(np.percentile(v, q)) if len(v) else np.inf for k, v in self.values.items()}

    def _clip(self, reps: list[dict], q: float) -> bool:
        limits = self._limits(q)
        strays = [any(np.isfinite(r[k]) and r[k] > limits[k] for k in KINDS) for r in reps]
        if not strays:
            return False
        return bool(np.median(strays) >= 0.5) if self.median else any(strays)

    def flags(self, reps: list[dict]) -> bool:
        return self._clip(reps, self.q)

    def score(self, reps: list[dict]) -> float:
        """How far the clip's worst rep strays: its largest check as a percentile of the population."""
        ranks = [max(float(np.mean(self.values[k] < r[k])) for k in KINDS if np.isfinite(r[k]) and len(self.values[k]))
                 for r in reps]
        return float(np.median(ranks) if self.median else max(ranks, default=0.0))


class RobustDistance:
    """Robust Mahalanobis distance of a rep's compact view (COMPACT and the camera view) from the
    population's reps; the threshold flags FALSE_ALARMS of the reference clips."""

    def __init__(self, reference: list[list[dict]], median: bool = False):
        self.median = median
        x = np.array([self._view(r) for clip in reference for r in clip])
        self.model = MinCovDet(random_state=0).fit(x[np.all(np.isfinite(x), axis=1)])
        scores = np.sort([self.score(clip) for clip in reference])
        self.limit = float(np.quantile(scores, 1.0 - FALSE_ALARMS))

    @staticmethod
    def _view(r: dict) -> list[float]:
        return [r[k] for k in COMPACT] + [r["side_view"]]

    def score(self, reps: list[dict]) -> float:
        if not reps:
            return 0.0
        d = self.model.mahalanobis(np.nan_to_num(np.array([self._view(r) for r in reps]), neginf=0.0))
        return float(np.median(d) if self.median else d.max())

    def flags(self, reps: list[dict]) -> bool:
        return self.score(reps) > self.limit


def _describe(name: str, clips: list[list[dict]]) -> None:
    reps = [r for clip in clips for r in clip]
    if not reps:
        print(f"  {name:<26} no reps")
        return
    cells = []
    for k in ("hips_sag", "hips_pike", "knees_bent", "head_dropped"):
        v = _known([r[k] for r in reps])
        cells.append(f"{np.percentile(v, 50):6.1f} {np.percentile(v, 90):6.1f}" if len(v) else f"{'-':>13}")
    side = np.mean([r["side_view"] > 0.5 for r in reps])
    print(f"  {name:<26}{len(clips):>5}{len(reps):>6}{side:>7.2f}  " + "  ".join(cells))


def _line(what: str, flags, wrong, extra: str = "") -> None:
    f, w = np.asarray(flags, bool), np.asarray(wrong, bool)
    print(f"  {what:<82} wrong flagged {int(f[w].sum()):>2} / {int(w.sum())}, correct quiet "
          f"{int((~f[~w]).sum()):>2} / {int((~w).sum())}, balanced accuracy {_balanced(f, w):.3f}{extra}")


# Population-scaled tolerances: the ways it can be set up, each (population, reps kept, checks, way of
# measuring). SHIPPED is the one gyml/coach/learned.py ships.
SOURCES = {"all": ("ucf101", "video", "repcount"), "without RepCount": ("ucf101", "video"), "videos only": ("video",)}
SHIPPED = ("without RepCount", "all reps", POPULATION_CHECKS, (True, HELD))


def _variants(with_measures: bool) -> list[tuple]:
    return [(pop, reps, checks, m) for pop in SOURCES for reps in ("body seen", "all reps")
            for checks in (POPULATION_CHECKS, KINDS) for m in (MEASURES if with_measures else ((True, HELD),))]


class ScaledRule:
    """One set-up of population-scaled tolerances: its population, and for every share in SHARES which
    of the labelled clips it flags (a matrix, so that shares are learned fast inside nested folds)."""

    def __init__(self, variant: tuple, measured: list, labelled: list):
        pop, kept, self.checks, m = variant
        reps = [r for source, _, _, clip in measured if source in SOURCES[pop] for r in clip
                if kept == "all reps" or r["seen"] >= SEEN]
        self.population = {k: np.array([r["measured"][m][k] for r in reps]) for k in KINDS}
        self.scores = [_clip_scores([r["measured"][m] for r in c[3]]) for c in labelled]
        self.flags = np.array([[_flagged(s, population_tolerances(self.population, q, self.checks))
                                for s in self.scores] for q in SHARES])

    def accuracies(self, wrong: np.ndarray, among: np.ndarray) -> np.ndarray:
        """Balanced accuracy of every share on the clips `among` (a mask)."""
        f, w = self.flags[:, among], wrong[among]
        return 0.5 * (f[:, w].mean(axis=1) + (~f[:, ~w]).mean(axis=1))

    def share(self, wrong: np.ndarray, among: np.ndarray) -> int:
        """Index in SHARES of the share fitted on `among` (fit_share's choice: the largest best)."""
        acc = self.accuracies(wrong, among)
        return int(np.flatnonzero(acc >= acc.max() - 1e-12)[-1])

    def held_out(self, wrong: np.ndarray, folds: np.ndarray, among: np.ndarray) -> np.ndarray:
        """Flags of the clips `among`, each fold's share fitted on the other folds within `among`."""
        out = np.zeros(len(wrong), bool)
        for g in dict.fromkeys(folds[among]):
            test = among & (folds == g)
            out[test] = self.flags[self.share(wrong, among & ~test), test]
        return out


def _nested_choice(rules: dict, wrong: np.ndarray, folds: np.ndarray) -> tuple[np.ndarray, list]:
    """Each fold flagged by the set-up (of `rules`) that does best held out (same folds) on the other
    clips alone, its share fitted on all of them; ties go to the earlier set-up."""
    out, chosen = np.zeros(len(wrong), bool), []
    keys = list(rules)
    for g in dict.fromkeys(folds):
        test = folds == g
        best = max(keys, key=lambda v: (_balanced(rules[v].held_out(wrong, folds, ~test)[~test], wrong[~test]),
                                        -keys.index(v)))
        out[test] = rules[best].flags[rules[best].share(wrong, ~test), test]
        chosen.append(best)
    return out, chosen


def _name(variant: tuple) -> str:
    pop, kept, checks, m = variant
    what = "3 named checks" if checks == POPULATION_CHECKS else "all 6 checks"
    return f"{pop}, {kept}, {what}, {'seen leg' if m[0] else 'both legs'} {m[1]}th"


def population_scaled(measured: list, labelled: list) -> None:
    wrong = np.array([c[1] for c in labelled])
    groups = np.array([c[2] for c in labelled])
    clips = np.arange(len(labelled)).astype(str)
    everything = np.ones(len(wrong), bool)
    rules = {v: ScaledRule(v, measured, labelled) for v in _variants(with_measures=True)}
    shipped = rules[SHIPPED]
    share = fit_share(shipped.scores, list(wrong), shipped.population)
    assert share == SHARES[shipped.share(wrong, everything)]
    limits = population_tolerances(shipped.population, share)
    print("\nTolerances scaled by the population: each check at one percentile (share) of the population's rep "
          "deviations, the share learned on the labelled clips")
    print(f"  shipped set-up ({_name(SHIPPED)}): share fitted on all 40 clips {share}; tolerances "
          + ", ".join(f"{k} {v:.1f}" for k, v in limits.items() if v is not None))
    print("  shipped in gyml/coach/learned.py: "
          + ", ".join(f"{k} {v}" for k, v in LEARNED["push_up"].items() if v is not None))
    _line("in sample (share fitted on all 40 clips)", shipped.flags[shipped.share(wrong, everything)], wrong)
    _line("leave one clip out (share fitted on the other 39)", shipped.held_out(wrong, clips, everything), wrong)
    _line("leave one group out (26 groups)", shipped.held_out(wrong, groups, everything), wrong)
    print("  every set-up, the way of measuring fixed at the shipped one (seen leg, 90th), leave one group out:")
    for v in _variants(with_measures=False):
        _line(f"  {_name(v)}", rules[v].held_out(wrong, groups, everything), wrong)
    for what, with_measures in (("the set-up (12) chosen in each fold", False),
                                ("the set-up and the way of measuring (48) chosen in each fold", True)):
        subset = {v: rules[v] for v in _variants(with_measures)}
        for by, folds in (("clip", clips), ("group", groups)):
            flags, chosen = _nested_choice(subset, wrong, folds)
            picks = {_name(v): chosen.count(v) for v in dict.fromkeys(chosen)}
            _line(f"nested by {by}, {what}", flags, wrong)
            print(f"    chosen ({len(chosen)} folds): {picks}")


def vote(measured: list, labelled: list) -> None:
    """The vote (`--vote`: see the module's docstring), in sample and by group, against the shipped set-up."""
    wrong = np.array([c[1] for c in labelled])
    groups = np.array([c[2] for c in labelled])
    names = [c[0].rsplit(".", 1)[0] for c in labelled]
    everything = np.ones(len(wrong), bool)
    rules = {v: ScaledRule(v, measured, labelled) for v in _variants(with_measures=True)}
    print("\nA vote of population-scaled candidates, each with its own share (fitted on all 40 clips in sample, on "
          "the other groups by group): a clip flagged when more than half flag it (a tie: not flagged)")
    for how, fitted in (("in sample", lambda r: r.flags[r.share(wrong, everything)]),
                        ("by group (26 folds)", lambda r: r.held_out(wrong, groups, everything))):
        shipped = fitted(rules[SHIPPED])
        _line(f"{how}: the shipped set-up alone", shipped, wrong)
        for what, with_measures in (("12 set-ups, the shipped way of measuring", False),
                                    ("48 set-ups and ways of measuring", True)):
            candidates = _variants(with_measures)
            votes = np.sum([fitted(rules[v]) for v in candidates], axis=0)
            flags = 2 * votes > len(candidates)
            _line(f"{how}: vote over {what}", flags, wrong)
            flips = [f"{names[i]} ({votes[i]} votes) {'flagged' if flags[i] else 'quiet'}"
                     for i in np.flatnonzero(flags != shipped)]
            print(f"    against the shipped set-up: {', '.join(flips) or 'no clip flips'}")


def compare_readings(readings: tuple[str, ...]) -> None:
    """The strict figure with the reading itself chosen inside each fold too: every (reading, set-up, way
    of measuring) is a candidate, and each group fold takes the one that does best held out on the other
    groups alone (ties: the earlier reading, then the earlier set-up), so the choice of reading is
    validated like the rest and not by the figure it is judged on."""
    rules, wrong, groups = {}, None, None
    for reading in readings:
        real_data.video_reading = reading
        measured = [(source, name, group, rep_measures(seq)) for source, name, group, seq in reference_recordings()]
        labelled = labelled_clips()
        wrong = np.array([c[1] for c in labelled])
        groups = np.array([c[2] for c in labelled])
        rules.update({(reading, v): ScaledRule(v, measured, labelled) for v in _variants(with_measures=True)})
    clips = np.arange(len(wrong)).astype(str)
    print(f"\nThe reading chosen inside each fold too, among {', '.join(readings)} ({len(rules)} candidates)")
    for by, folds in (("clip", clips), ("group", groups)):
        for what, keys in (("the reading alone (each with the shipped set-up)", [(r, SHIPPED) for r in readings]),
                           ("the reading, the set-up and the way of measuring", list(rules))):
            flags, chosen = _nested_choice({k: rules[k] for k in keys}, wrong, folds)
            _line(f"nested by {by}, {what}", flags, wrong)
            picks = {f"{r}: {_name(v)}": chosen.count((r, v)) for r, v in dict.fromkeys(chosen)}
            print(f"    chosen ({len(chosen)} folds): {picks}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reading", choices=real_data.VIDEO_READINGS, default="as filmed",
                        help="how videos are read (benchmarks/coach_mirror.py --extract reads them first)")
    parser.add_argument("--compare-readings", nargs="+", choices=real_data.VIDEO_READINGS, metavar="READING",
                        help="only the nested figures with the reading chosen in each fold among these")
    parser.add_argument("--vote", action="store_true",
                        help="only the figures of a majority vote over the candidates instead of choosing one")
    args = parser.parse_args()
    if args.compare_readings:
        compare_readings(tuple(args.compare_readings))
        return 0
    real_data.video_reading = args.reading
    print(f"videos read {real_data.video_reading}")
    if not (SHARED / "videos" / "pushup_form" / "labels.csv").exists():
        print(f"no pushup_form clips under {SHARED}", file=sys.stderr)
        return 1
    recordings = reference_recordings()
    measured = [(source, name, group, rep_measures(seq)) for source, name, group, seq in recordings]
    labelled = labelled_clips()
    if args.vote:
        vote(measured, labelled)
        return 0
    wrong = [c[1] for c in labelled]
    groups = [c[2] for c in labelled]

    def seen(reps):
        return [r for r in reps if r["seen"] >= SEEN]

    populations = {
        "all": [seen(m[3]) for m in measured],
        "without RepCount": [seen(m[3]) for m in measured if m[0] != "repcount"],
        "videos only": [seen(m[3]) for m in measured if m[0] == "video"],
    }
    populations = {k: [c for c in v if c] for k, v in populations.items()}
    print("The reference population: clips, reps with the body seen, share of side-view reps, and each check's "
          "median and 90th percentile over reps (degrees beyond the built-in reference)")
    print(f"  {'':<26}{'clips':>5}{'reps':>6}{'side':>7}  {'sag':>13}  {'pike':>13}  {'knees':>13}  {'head':>13}")
    for source in ("ucf101", "video", "repcount"):
        clips = [m[3] for m in measured if m[0] == source]
        empty = sum(not c for c in clips)
        _describe(f"{source} (all reps)", [c for c in clips if c])
        _describe(f"{source} (body seen)", [seen(c) for c in clips if seen(c)])
        if empty:
            print(f"  {'':<26}{empty} {source} clips have no counted rep")
    _describe("pushup_form correct", [c[3] for c in labelled if not c[1]])
    _describe("pushup_form wrong", [c[3] for c in labelled if c[1]])

    print(f"\nRules calibrated on the reference alone ({FALSE_ALARMS:.0%} of its clips flagged), tested on the 40 "
          "pushup_form clips (none of them used: held out by clip and by person alike)")
    population_flags = {}
    for pop_name, reference in populations.items():
        rules = (("per check", PerCheck),
                 (f"per check at the {100 * (1 - FALSE_ALARMS):.0f}th percentile of reps",
                  lambda ref, median: PerCheck(ref, median, q=100 * (1 - FALSE_ALARMS))),
                 ("robust Mahalanobis", RobustDistance))
        for rule_name, rule in rules:
            for median in (False, True):
                model = rule(reference, median=median)
                flags = [model.flags(c[3]) for c in labelled]
                scores = [model.score(c[3]) for c in labelled]
                how = "median rep" if median else "worst rep"
                extra = f", AUC {roc_auc_score(wrong, scores):.2f}"
                if isinstance(model, PerCheck):
                    extra += f" (q {model.q:.2f})"
                _line(f"{pop_name} ({len(reference)} clips), {rule_name}, {how}", flags, wrong, extra)
                population_flags[(pop_name, rule_name, median)] = flags

    # The learned tolerances (the shipped rule) by group, alone and OR'ed with each population rule; then
    # the choice among them made inside each group fold by leave-one-group-out on the other clips.
    scores = [_clip_scores(c[3]) for c in labelled]
    learned = _leave_one_group_out(scores, wrong, groups)
    print("\nThe learned tolerances, and OR'ed with a population rule (leave one group out)")
    _line("learned tolerances alone", learned, wrong)
    options = [None, *population_flags]
    for key in options[1:]:
        _line(f"learned OR {key[0]}, {key[1]}, {'median' if key[2] else 'worst'} rep",
              np.asarray(learned) | np.asarray(population_flags[key]), wrong)
    nested, chosen = [False] * len(wrong), []
    for g in dict.fromkeys(groups):
        rest = [i for i in range(len(wrong)) if groups[i] != g]
        inner = _leave_one_group_out([scores[i] for i in rest], [wrong[i] for i in rest], [groups[i] for i in rest])
        accuracy = {key: _balanced([inner[j] or (key is not None and population_flags[key][i])
                                    for j, i in enumerate(rest)], [wrong[i] for i in rest]) for key in options}
        best = max(options, key=lambda key: (accuracy[key], -options.index(key)))
        limits = fit_tolerances([scores[i] for i in rest], [wrong[i] for i in rest])
        for i in range(len(wrong)):
            if groups[i] == g:
                nested[i] = _flagged(scores[i], limits) or (best is not None and population_flags[best][i])
                chosen.append(best)
    picks = {("learned alone" if k is None else " / ".join(map(str, k))): chosen.count(k) for k in dict.fromkeys(chosen)}
    _line("nested by group: learned alone or OR'ed, chosen in each fold", nested, wrong)
    print(f"  chosen (group folds): {picks}")
    population_scaled(measured, labelled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
