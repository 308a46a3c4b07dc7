"""Kinematics once: the whole analysis (recognise, count, coach) on the RepCount dev poses and on the
coach benchmark's synthesised sets with planted faults, timed, with a fingerprint of every result
(counts, rep segments, exercise, feedback, per-rep metrics).

    python benchmarks/kinematics_once.py [--limit N] [--save out.json] [--compare before.json]

In the same run, the analysis is also made the way it was before `gyml.pose.kinematics`: each stage
computing the filled joints, joint angles and pose features on its own (and the classifier counting the
reps again for its active window); the two timings are printed as a ratio, and both paths must agree.
`--save` keeps the fingerprint; `--compare` checks it against one saved by an earlier version of gyml
(the same script run with that version first on PYTHONPATH): every field the earlier output had must be
unchanged; fields added since are listed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from gyml.pipeline import analyze_sequence
from gyml.pose.readers import read_pose
from gyml.synth.catalog import CATALOG
from gyml.synth.motion import synthesize

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "repcount_pose" / "dev"


def each_stage_alone(seq, name: str, exercise: str | None = None) -> dict:
    """The analysis with every stage deriving its own kinematics (no `Kinematics` handed on)."""
    from gyml.classify.default import recognise
    from gyml.coach.session import coach_session
    from gyml.reps.counter import count_reps
    prediction = recognise(seq, exercise)
    reps = count_reps(seq)
    feedback, extras = coach_session(seq, reps, prediction)
    return {"exercise": None if prediction is None else prediction.to_dict(), "reps": reps.to_dict(),
            "feedback": [f.to_dict() for f in feedback], "rep_metrics": extras.get("rep_metrics", [])}


def fingerprint(result) -> dict:
    d = result.analysis.to_dict()
    return {"exercise": d["exercise"], "reps": d["reps"], "feedback": d["feedback"],
            "rep_metrics": d.get("rep_metrics", [])}


def inputs(folder: Path, limit: int | None, sets_per_fault: int):
    names = sorted(p.name for p in folder.glob("*.npy")) if folder.exists() else []
    for name in names[:limit]:
        yield f"repcount/{name}", read_pose(folder / name), None
    rng = np.random.default_rng(0)
    for label, spec in CATALOG.items():
        if spec.isometric:
            continue
        for kind in spec.faults[:sets_per_fault]:
            planted = {int(r): kind for r in rng.choice(np.arange(1, 9), 2, replace=False)}
            yield f"synth/{label}/{kind}", synthesize(label, 8, planted, seed=int(rng.integers(1 << 30))), label


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=None, help="RepCount files to use (default: all)")
    ap.add_argument("--sets-per-fault", type=int, default=1, help="synthesised sets per exercise and fault")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    args = ap.parse_args()
    prints, spent_once, spent_alone, differ = {}, 0.0, 0.0, []
    has_kinematics = _has_kinematics()
    for name, seq, exercise in inputs(args.data, args.limit, args.sets_per_fault):
        t0 = time.perf_counter()
        result = analyze_sequence(seq, name, exercise=exercise)
        spent_once += time.perf_counter() - t0
        prints[name] = json.loads(json.dumps(fingerprint(result)))
        if has_kinematics:
            t0 = time.perf_counter()
            alone = json.loads(json.dumps(each_stage_alone(seq, name, exercise)))
            spent_alone += time.perf_counter() - t0
            if {k: prints[name][k] for k in ("exercise", "reps", "rep_metrics")} != \
                    {k: alone[k] for k in ("exercise", "reps", "rep_metrics")}:
                differ.append(name)
    print(f"{len(prints)} inputs analysed in {spent_once:.1f} s")
    if has_kinematics:
        print(f"each stage deriving its own kinematics: {spent_alone:.1f} s; kinematics once takes "
              f"{spent_once / max(spent_alone, 1e-9):.2f} of that time "
              f"({100 * (1 - spent_once / max(spent_alone, 1e-9)):.0f}% saved, same run)")
        print(f"results differing between the two paths: {len(differ)}{' ' + ', '.join(differ) if differ else ''}")
    if args.save:
        args.save.write_text(json.dumps(prints, indent=1, sort_keys=True))
    if args.compare:
        before = json.loads(args.compare.read_text())
        changed = [n for n in prints if n in before and not same(before[n], prints[n])]
        added = sorted({k for n in prints if n in before for k in added_keys(before[n], prints[n])})
        missing = sorted(set(before) ^ set(prints))
        print(f"against {args.compare.name}: {len(prints) - len(changed)} of {len(prints)} identical "
              f"(counts, segments, exercise, feedback, rep metrics); changed: {changed or 'none'}"
              f"{'; fields added since: ' + ', '.join(added) if added else ''}"
              f"{'; not in both: ' + ', '.join(missing) if missing else ''}")
        return 1 if changed else 0
    return 0


def same(before, after) -> bool:
    """Equal in everything `before` has: fields added to the output since do not count as a change."""
    if isinstance(before, dict):
        return isinstance(after, dict) and all(k in after and same(v, after[k]) for k, v in before.items())
    if isinstance(before, list):
        return isinstance(after, list) and len(before) == len(after) and all(map(same, before, after))
    return before == after


def added_keys(before, after, path: str = "") -> set[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found = {f"{path}{k}" for k in after if k not in before}
        for k in before.keys() & after.keys():
            found |= added_keys(before[k], after[k], f"{path}{k}.")
        return found
    if isinstance(before, list) and isinstance(after, list):
        return set().union(*(added_keys(b, a, path) for b, a in zip(before, after))) if before else set()
    return set()


def _has_kinematics() -> bool:
    try:
        import gyml.pose.kinematics  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
