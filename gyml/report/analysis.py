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

    def to_dict(self) -> dict:
        return {"label": self.label, "name": self.name, "confidence": round(float(self.confidence), 4),
                "top": [{"label": lab, "confidence": round(float(c), 4)} for lab, c in self.top]}


@dataclass
class Feedback:
    rep: int | None
    phase: str
    joint: str | None
    severity: str
    message: str
    reps: list[int] | None = None   # every rep the cue is about (`rep` names one only when it is alone)

    def to_dict(self) -> dict:
        out = {"rep": self.rep, "phase": self.phase, "joint": self.joint, "severity": self.severity,
               "message": self.message}
        if self.reps is not None:
            out["reps"] = list(self.reps)
        return out


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
