"""`Analysis`: everything gyml found about one input, in the JSON schema documented in the README."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from gyml.pose.sequence import write_atomically

PHASES = ("start", "descent", "mid", "ascent", "end", "overall")
SEVERITIES = ("info", "warn", "fault")


@dataclass
class ExercisePrediction:
    label: str
    name: str
    confidence: float
    top: list[tuple[str, float]] = field(default_factory=list)
    guess: bool = False   # the most likely exercise, named and coached though the model is unsure
    named: bool = False   # named by the person (--exercise), not recognised: its confidence is theirs
    # what the model is sure the recording shows, when that is not the named exercise (label, name, confidence)
    recognised: tuple[str, str, float] | None = None

    def to_dict(self) -> dict:
        out = {"label": self.label, "name": self.name, "confidence": round(float(self.confidence), 4),
               "guess": self.guess,
               "top": [{"label": lab, "confidence": round(float(c), 4)} for lab, c in self.top]}
        if self.named:
            out["named"] = True
            out["recognised"] = None if self.recognised is None else {
                "label": self.recognised[0], "name": self.recognised[1],
                "confidence": round(float(self.recognised[2]), 4)}
        return out


def exercise_text(exercise: dict | None) -> str:
    """How the report, the web pages and live coaching name the exercise (`ExercisePrediction.to_dict()`):
    "Squat (92%)"; a guess marked as one; one of the person's own marked as theirs (its score is a
    verifier's, not a probability)."""
    if exercise is None or exercise.get("label") == "unknown":
        return "not recognised"
    if "personal" in exercise:
        return f"{exercise['name']} (yours)"
    if exercise.get("named"):
        seen = exercise.get("recognised")
        return f"{exercise['name']} (named; looks like {seen['name'].lower()}, {seen['confidence']:.0%})" if seen \
            else f"{exercise['name']} (named)"
    if exercise.get("guess"):
        return f"looks like {exercise['name'].lower()} ({exercise['confidence']:.0%}, a guess)"
    return f"{exercise['name']} ({exercise['confidence']:.0%})"


@dataclass
class Feedback:
    rep: int | None
    phase: str
    joint: str | None
    severity: str
    message: str
    # Machine-readable twins of the message: every rep the cue is about (`rep` names one only when it is
    # alone; a grouped cue has rep None) and the fault kind ("shallow", "stance_wide", ...; None for
    # notes without one).
    reps: list[int] | None = None
    kind: str | None = None

    def to_dict(self) -> dict:
        reps = self.reps if self.reps is not None else ([self.rep] if self.rep is not None else [])
        return {"rep": self.rep, "reps": list(reps), "kind": self.kind, "phase": self.phase,
                "joint": self.joint, "severity": self.severity, "message": self.message}


@dataclass
class Analysis:
    input: str
    source: str
    frames: int
    fps: float
    exercise: ExercisePrediction | None
    reps: dict
    feedback: list[Feedback]
    summary: str
    extras: dict = field(default_factory=dict)  # per-rep metrics, paper coach numbers; outside the core schema

    def to_dict(self) -> dict:
        out = {
            "input": self.input,
            "source": self.source,
            "frames": int(self.frames),
            "fps": round(float(self.fps), 3),
            "exercise": None if self.exercise is None else self.exercise.to_dict(),
            "reps": self.reps,
            "feedback": [f.to_dict() for f in self.feedback],
            "summary": self.summary,
        }
        out.update(self.extras)
        return out

    def write_json(self, path: str | Path) -> Path:
        text = json.dumps(self.to_dict(), indent=2)
        write_atomically(Path(path), lambda fh: fh.write(text), mode="w")
        return Path(path)
