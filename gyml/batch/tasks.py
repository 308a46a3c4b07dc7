"""What a Dask worker runs for one input: the same `gyml.pipeline.analyze_sequence` as `gyml analyze`.

Tasks return plain dicts (the table row and the analysis JSON); the client writes the files, so a worker
needs to read the inputs but never writes results, and a worker that dies leaves nothing half-written.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from gyml.errors import GymlError


@dataclass(frozen=True)
class AnalysisOptions:
    """The options of `gyml analyze` that a batch passes to every input."""

    exercise: str | None = None
    count_method: str = "gyml"
    coach_method: str = "gyml"
    strictness: str = "intermediate"
    model_path: str | None = None
    fps: float | None = None      # these two are the reading's (pose files only), not the pipeline's
    layout: str | None = None

    def pipeline_kwargs(self) -> dict:
        kwargs = asdict(self)
        kwargs.pop("fps")
        kwargs.pop("layout")
        return kwargs


def table_row(input_name: str, analysis: dict | None, error: str | None, seconds: float) -> dict:
    """One row of the batch table: the headline figures of an analysis, or the error that stopped it."""
    row = {"input": input_name, "count": None, "held_s": None, "exercise": None, "exercise_name": None,
           "confidence": None, "rep_scores": [], "faults": [], "frames": None, "fps": None, "summary": None,
           "error": error, "seconds": round(float(seconds), 3)}
    if analysis is None:
        return row
    exercise = analysis.get("exercise") or {}
    row.update(exercise=exercise.get("label"), exercise_name=exercise.get("name"),
               confidence=exercise.get("confidence"), frames=int(analysis["frames"]), fps=float(analysis["fps"]),
               summary=analysis.get("summary"))
    hold = analysis.get("hold")
    if hold:   # timed, not counted: how long it was held, and each stretch of faulty posture
        row["held_s"] = hold.get("time_under_tension_s")
        row["faults"] = _hold_faults(hold)
        return row
    row["count"] = int(analysis["reps"]["count"])
    metrics = analysis.get("rep_metrics") or []
    row["rep_scores"] = [float(m["score"]) for m in metrics if m.get("score") is not None]
    row["faults"] = [f"rep {m['rep']}: {fault}" for m in metrics for fault in m.get("faults", [])]
    for hold in analysis.get("holds_beside_reps") or []:   # a hold before or after the reps: its time, its faults
        row["held_s"] = (row["held_s"] or 0.0) + hold.get("time_under_tension_s", 0.0)
        row["faults"] += _hold_faults(hold)
    return row


def _hold_faults(hold: dict) -> list[str]:
    """Each stretch of a hold's faulty posture, with its seconds: "12.0-20.5 s: hips_sag"."""
    return [f"{s['start_s']:.1f}-{s['end_s']:.1f} s: {s['fault']}" for s in hold.get("segments", [])]


def analyse_input(path: str, options: AnalysisOptions, jobs: int = 1) -> dict:
    """Read (through the pose cache) and analyse one input; bad input becomes an error row, not a failure.
    `jobs` > 1 extracts a long video in overlapping spans in that many processes (non-daemonic workers)."""
    import json
    import warnings

    from gyml.pipeline import analyze_sequence
    from gyml.pose.cache import cached_read_pose

    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. scikit-learn noting it runs single-threaded in a worker
            seq = cached_read_pose(path, fps=options.fps, layout=options.layout, jobs=jobs)
            result = analyze_sequence(seq, path, **options.pipeline_kwargs())
        # Through JSON once, so the row and the file hold exactly what `gyml analyze --json` writes.
        analysis = json.loads(json.dumps(result.analysis.to_dict()))
    except GymlError as exc:
        return {"row": table_row(path, None, str(exc), time.perf_counter() - started), "analysis": None}
    except Exception as exc:  # noqa: BLE001 - a bug of ours on one input must not stop the other inputs
        error = f"unexpected {type(exc).__name__}: {exc}"
        return {"row": table_row(path, None, error, time.perf_counter() - started), "analysis": None}
    return {"row": table_row(path, analysis, None, time.perf_counter() - started), "analysis": analysis}
