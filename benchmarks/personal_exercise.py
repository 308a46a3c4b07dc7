"""A person's own exercise learned from 3 recordings, recognised on new recordings of it.

    python benchmarks/personal_exercise.py            # the figures on real UCF101 clips, and RepCount dev
    python benchmarks/personal_exercise.py --fit      # also fit the verifier shipped in gyml.classify.personal
    python benchmarks/personal_exercise.py --catalog-additions  # planted faults on the catalog's new exercises
    python benchmarks/personal_exercise.py --timing   # what recognising an own exercise adds to an analysis
    python benchmarks/personal_exercise.py --holds    # a hold of one's own, learned from real planks

Each of UCF101's 7 classes is held out in turn and treated as an exercise gyml does not know: the default
model is rebuilt without it (gyml.classify.build_default's recipe: real recordings and synthesised motion,
the class taken out of both), out of fold by group, so that no clip is seen by the model that describes it.
The personal matcher (gyml.classify.personal) then learns the class from 3 clips of one group (one person,
place and camera) and is tested on the class's clips of every OTHER group (recall) and on all clips of the
other 6 classes (false accepts). Every group of the class takes its turn as the one learned from.

The verifier's weights and threshold are chosen without the class measured: for each held-out class they
are fitted on the trials of the other six (their clips of the measured class left out too), with the
threshold that keeps false accepts at or under 0.04 there. RepCount-pose dev is a check on other people,
cameras and exercises: its classes held out the same way, 3 sequences of a class (mostly three people)
learned from, with the verifier gyml ships (fitted on UCF101 alone).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from rich.progress import Progress

from gyml.classify import personal

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE = Path.home() / ".cache" / "gyml" / "bench"
FALSE_ACCEPT_CAP = 0.04


def tables(progress: Progress):
    """(real, synth) feature tables as the default model is built from, kept in CACHE per fingerprint."""
    from gyml.classify.build_default import FeatureTable, real_table, synth_table

    path = CACHE / f"personal_tables_{personal.features_fingerprint()}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as d:
            real = FeatureTable(d["rX"], d["rlabels"], d["rgroups"], d["rsources"], list(d["rfiles"]))
            synth = FeatureTable(d["sX"], d["slabels"], d["sgroups"], d["ssources"], [])
            return real, synth
    task = progress.add_task("real recordings and synthesised sets (once)", total=None)
    real, _ = real_table(show_progress=False, framed_per_class=0)  # its models fit real.X alone
    synth = synth_table(20, 0)
    progress.remove_task(task)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, rX=real.X, rlabels=real.labels, rgroups=real.groups, rsources=real.sources,
             rfiles=np.array(real.files), sX=synth.X, slabels=synth.labels, sgroups=synth.groups,
             ssources=synth.sources)
    return real, synth


def views_without(real, synth, held_out: str) -> tuple[np.ndarray, list[str]]:
    """Every real recording's probabilities by a default model that never saw `held_out` nor the
    recording's group (build_default's folds)."""
    from gyml.classify.build_default import FeatureTable, fit, fold_of

    keep = synth.labels != held_out
    synth_known = FeatureTable(synth.X[keep], synth.labels[keep], synth.groups[keep], synth.sources[keep], [])
    classes = sorted(set(real.labels[real.labels != held_out]) | set(synth_known.labels))
    fold = fold_of(real.groups, real.sources)
    view = np.zeros((len(real.labels), len(classes)))
    for k in np.unique(fold):
        train = (fold != k) & (real.labels != held_out)
        model = fit(real.X[train], real.labels[train], synth_known, 0)
        cols = np.searchsorted(classes, model.classes_)
        view[np.ix_(fold == k, cols)] = model.predict_proba(real.X[fold == k])
    return view, classes


def all_views(real, synth, held_out: list[str], progress: Progress) -> dict[str, np.ndarray]:
    path = CACHE / f"personal_views_{personal.features_fingerprint()}.npz"
    found = dict(np.load(path, allow_pickle=False)) if path.exists() else {}
    missing = [c for c in held_out if c not in found]
    task = progress.add_task("default models without each class", total=len(missing))
    for cls in missing:
        found[cls] = views_without(real, synth, cls)[0]
        progress.advance(task)
        np.savez(path, **found)
    return found


def trials(real, source: str) -> list[tuple[str, list[int], list[int], list[int]]]:
    """(class, 3 examples, the class's other recordings, other classes' recordings) within one source.
    UCF101: 3 clips of one group, positives from other groups. RepCount: each run of 3 sequences."""
    idx = np.where(real.sources == source)[0]
    out = []
    for cls in sorted(set(real.labels[idx])):
        mine = [int(i) for i in idx if real.labels[i] == cls]
        others = [int(i) for i in idx if real.labels[i] != cls]
        if source == "ucf101":
            for g in sorted({real.groups[i] for i in mine}):
                in_group = [i for i in mine if real.groups[i] == g]
                if len(in_group) >= 3:
                    out.append((cls, in_group[:3], [i for i in mine if real.groups[i] != g], others))
        else:
            for k in range(0, len(mine) - 3, 3):
                examples = mine[k:k + 3]
                out.append((cls, examples, [i for i in mine if i not in examples], others))
    return out


def three_group_trials(real) -> list[tuple[str, list[int], list[int], list[int]]]:
    """UCF101 trials whose 3 examples come from 3 different groups (people, places, cameras): one clip of
    each of three consecutive groups; positives from the class's other groups."""
    idx = np.where(real.sources == "ucf101")[0]
    out = []
    for cls in sorted(set(real.labels[idx])):
        mine = [int(i) for i in idx if real.labels[i] == cls]
        others = [int(i) for i in idx if real.labels[i] != cls]
        groups = sorted({real.groups[i] for i in mine})
        for k in range(0, len(groups) - 2, 3):
            trio = groups[k:k + 3]
            examples = [next(i for i in mine if real.groups[i] == g) for g in trio]
            out.append((cls, examples, [i for i in mine if real.groups[i] not in trio], others))
    return out


def trial_measures(real, views, trial_list, background):
    """Per trial: (class, measures of positives, measures of negatives, negatives' labels). The features'
    scale comes from the catalog background without the held-out class (gyml's catalog would lack it)."""
    posture = personal.posture_columns()
    rows = []
    for cls, examples, positives, negatives in trial_list:
        view = views[cls]
        scale = personal.spread_scale(background.features[background.labels != cls])
        def m(i, examples=examples, view=view, scale=scale):
            return personal.measures(real.X[i].astype(np.float64), view[i], real.X[examples].astype(np.float64),
                                     view[examples], scale, posture)
        rows.append((cls, np.array([m(i) for i in positives]), np.array([m(i) for i in negatives]),
                     real.labels[negatives]))
    return rows


def rates(rows, accept) -> dict[str, tuple[int, int, int, int]]:
    """Per class: accepted positives, positives, accepted negatives, negatives."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cls, pos, neg, _ in rows:
        a, b = accept(pos), accept(neg)
        out[cls][0] += int(a.sum())
        out[cls][1] += len(a)
        out[cls][2] += int(b.sum())
        out[cls][3] += len(b)
    return {k: tuple(v) for k, v in out.items()}


def mean_rates(per_class) -> tuple[float, float]:
    return (float(np.mean([a / max(n, 1) for a, n, _, _ in per_class.values()])),
            float(np.mean([b / max(m, 1) for _, _, b, m in per_class.values()])))


def fit_verifier(rows, cap: float = FALSE_ACCEPT_CAP) -> tuple[np.ndarray, float, float]:
    """(coefficients, intercept, threshold): logistic regression on the log measures (classes balanced),
    the threshold the lowest that keeps false accepts (mean over classes) at or under `cap`."""
    from sklearn.linear_model import LogisticRegression

    X = np.log(np.vstack([np.vstack([p, n]) for _, p, n, _ in rows]) + 1e-3)
    y = np.concatenate([np.r_[np.ones(len(p)), np.zeros(len(n))] for _, p, n, _ in rows])
    lr = LogisticRegression(class_weight="balanced", max_iter=2000).fit(X, y)
    coef, intercept = lr.coef_[0], float(lr.intercept_[0])
    scored = [(c, personal.verifier_score(p, coef, intercept), personal.verifier_score(n, coef, intercept), labs)
              for c, p, n, labs in rows]
    best = 0.99
    for threshold in np.arange(0.99, 0.05, -0.01):
        if mean_rates(rates(scored, lambda s, t=threshold: s >= t))[1] > cap:
            break
        best = float(threshold)
    return coef, intercept, round(best, 2)


def show(per_class, title: str) -> tuple[float, float]:
    print(f"\n{title}\n{'held-out class':<20}{'recall':>16}{'false accepts':>22}")
    for cls, (a, n, b, m) in sorted(per_class.items()):
        print(f"{cls:<20}{a / max(n, 1):>7.2f} ({a:>4}/{n:<4}){b / max(m, 1):>9.3f} ({b:>5}/{m:<5})")
    recall, false = mean_rates(per_class)
    print(f"{'mean over classes':<20}{recall:>7.2f}{'':>11}{false:>9.3f}")
    return recall, false


def shipped(m: np.ndarray) -> np.ndarray:
    return personal.verifier_score(m) >= personal.ACCEPT_ABOVE


def catalog_additions(sets_per_fault: int = 4) -> None:
    """benchmarks/coach_faults.py's two populations, on the exercises added for the real data only."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from coach_faults import run, show

    from gyml.synth.catalog import CATALOG
    from gyml.synth.faults import FAULT_PHASES, PHASED_FAULTS

    for label in ("wall_push_up", "handstand_push_up"):
        rng = np.random.default_rng(0)
        faults = CATALOG[label].faults
        at_turn = [(label, kind) for kind in faults for _ in range(sets_per_fault)]
        print(f"\n{label}: faults at the turning point")
        show(*run(at_turn, rng)[:2])
        in_half = [(label, f"{kind}:{phase}") for kind in faults if kind in PHASED_FAULTS
                   for phase in FAULT_PHASES for _ in range(sets_per_fault)]
        print(f"\n{label}: faults on the way down or up only")
        show(*run(in_half, rng)[:2])


def timing(repeats: int = 7) -> None:
    """The cost of recognition against one stored exercise, against the whole analysis in the same run
    (a RepCount sequence; a temporary data folder, so the user's own exercises are not touched)."""
    import os
    import tempfile
    import time

    from gyml.pipeline import analyze_sequence
    from gyml.pose.readers import read_pose

    folder = SHARED / "repcount_pose" / "dev"
    seq = read_pose(folder / "stu12_31.npy")
    with tempfile.TemporaryDirectory() as home:
        os.environ["GYML_HOME"] = home
        analyze_sequence(seq, "warm-up")
        personal.add("pommel_horse", [read_pose(folder / f"stu13_{n}.npy") for n in (30, 31, 38)],
                     ["stu13_30", "stu13_31", "stu13_38"])
        personal.recognise_personal(seq)
        costs, totals = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            personal.recognise_personal(seq)
            t1 = time.perf_counter()
            analyze_sequence(seq, "timed")
            costs.append(t1 - t0)
            totals.append(time.perf_counter() - t1)
    cost, total = float(np.median(costs)), float(np.median(totals))
    print(f"recognising against one own exercise: {1000 * cost:.0f} ms (median of {repeats}); the analysis "
          f"that includes it: {total:.2f} s; ratio {cost / total:.3f}")


def own_holds() -> None:
    """A hold of one's own: the plank held out of the default model (rebuilt without it, out of fold), learned
    from 3 of the real plank recordings (in turn), recognised on the other 6 (the performer's other takes and
    two videos of other people), and false accepts on every other real recording. A recording is matched to
    a hold only when held still (gyml.coach.holds.held_still); printed with and without that gate."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from real_data import read_shared_recordings

    from gyml.coach.holds import held_still

    with Progress(transient=True) as progress:
        background = personal.catalog_background()
        real, synth = tables(progress)
        views = all_views(real, synth, ["plank"], progress)
    still = {recording.path.name: held_still(seq) for recording, seq in read_shared_recordings() or []}
    gate = np.array([still.get(str(f), False) for f in real.files])
    planks = [int(i) for i in np.where(real.labels == "plank")[0]]
    others = [int(i) for i in np.where(real.labels != "plank")[0]]
    trial_list = [("plank", [planks[(k + j) % len(planks)] for j in range(3)], [], others)
                  for k in range(len(planks))]
    trial_list = [(c, ex, [i for i in planks if i not in ex], neg) for c, ex, _, neg in trial_list]
    rows = trial_measures(real, views, trial_list, background)
    print(f"{len(planks)} real plank recordings ({', '.join(str(real.files[i]) for i in planks)}); "
          f"{len(others)} other real recordings, {int(gate[others].sum())} of them held still")
    for gated in (False, True):
        accepted = [0, 0, 0, 0]
        wrong: dict[str, int] = defaultdict(int)
        for (_, examples, positives, negatives), (_, pos, neg, labs) in zip(trial_list, rows):
            a = shipped(pos) & (gate[positives] if gated else True)
            b = shipped(neg) & (gate[negatives] if gated else True)
            accepted = [accepted[0] + int(a.sum()), accepted[1] + len(a), accepted[2] + int(b.sum()),
                        accepted[3] + len(b)]
            for lab in labs[b]:
                wrong[str(lab)] += 1
        print(f"{'held-still gate' if gated else 'no gate':<16} recall {accepted[0] / accepted[1]:.2f} "
              f"({accepted[0]}/{accepted[1]}), false accepts {accepted[2] / accepted[3]:.3f} "
              f"({accepted[2]}/{accepted[3]}: {dict(sorted(wrong.items()))})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog-additions", action="store_true",
                    help="only the planted-fault figures of wall_push_up and handstand_push_up")
    ap.add_argument("--fit", action="store_true", help="fit the verifier on every UCF101 class (to ship)")
    ap.add_argument("--timing", action="store_true", help="only the cost of recognising an own exercise")
    ap.add_argument("--holds", action="store_true", help="only a hold of one's own (the real planks)")
    args = ap.parse_args()
    if args.holds:
        own_holds()
        return 0
    if args.catalog_additions:
        catalog_additions()
        return 0
    if args.timing:
        timing()
        return 0
    if not (SHARED / "ucf101" / "labels.csv").exists():
        print(f"needs {SHARED / 'ucf101'}")
        return 1
    with Progress(transient=True) as progress:
        task = progress.add_task("catalog background (synthesised once, then kept)", total=None)
        background = personal.catalog_background()
        progress.remove_task(task)
        real, synth = tables(progress)
        ucf, rc = trials(real, "ucf101"), trials(real, "repcount")
        views = all_views(real, synth, sorted({t[0] for t in ucf + rc}), progress)
    U, R = trial_measures(real, views, ucf, background), trial_measures(real, views, rc, background)
    print(f"{int((real.sources == 'ucf101').sum())} UCF101 clips, {len(ucf)} trials (class x group learned "
          f"from); {int((real.sources == 'repcount').sum())} RepCount dev sequences, {len(rc)} trials")

    nested = {}
    for cls in sorted({t[0] for t in U}):
        others = [(c, p, n[labs != cls], labs[labs != cls]) for c, p, n, labs in U if c != cls]
        coef, intercept, threshold = fit_verifier(others)
        mine = [row for row in U if row[0] == cls]
        nested.update(rates(mine, lambda m, c=coef, i=intercept, t=threshold:
                            personal.verifier_score(m, c, i) >= t))
        print(f"  {cls}: verifier chosen on the other classes, threshold {threshold}")
    show(nested, "UCF101, learned from 3 clips of one group, tested on other groups; the verifier chosen "
                 "without the measured class (nested): the figure")
    show(rates(U, shipped), "UCF101 with the verifier gyml ships (fitted on all 7 classes: in-sample)")
    show(rates(trial_measures(real, views, three_group_trials(real), background), shipped),
         "UCF101, the 3 examples from 3 different groups (the verifier gyml ships)")
    view_only = {}
    for cls in sorted({t[0] for t in U}):
        others = [row for row in U if row[0] != cls]
        best = max((t for t in np.arange(0.3, 0.8, 0.025)
                    if mean_rates(rates(others, lambda m, t=t: m[:, 0] < t))[1] <= FALSE_ACCEPT_CAP),
                   default=0.3)
        view_only.update(rates([row for row in U if row[0] == cls], lambda m, t=best: m[:, 0] < t))
    show(view_only, "UCF101, the default model's view alone (distance threshold chosen nested the same way)")
    show(rates(R, shipped), "RepCount-pose dev check (3 sequences learned, mostly three people; the verifier "
                            "gyml ships, fitted on UCF101 only)")
    if args.fit:
        coef, intercept, threshold = fit_verifier(U)
        print(f"\nfitted on all UCF101 trials: VERIFIER_COEF = {tuple(round(float(c), 3) for c in coef)}, "
              f"VERIFIER_INTERCEPT = {intercept:.3f}, ACCEPT_ABOVE = {threshold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
