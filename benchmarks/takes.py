"""Labelled takes with named mistakes (../shared/data/bodyweight_mistakes and folders like it): which takes there
are, which good take is each one's gold, and which of our fault kinds name its mistake.

A folder holds `labels.csv` with `file`, `exercise`, `mistake` (`good` for the reference take) and optionally
`fps` and a performer column (`performer`, `person`, `subject` or `group`): each take's gold is the good take of
the same exercise by the same performer. A mistake is read from the words of its name, so a folder of another
exercise or with other names is measured too; a name that says nothing our checks measure (`bad`, or a fault
we have no check for) passes when some fault is found on most of the set.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

PERFORMER_COLUMNS = ("performer", "person", "subject", "group")
GOOD = ("good", "correct")

# Words of a mistake's name -> the fault kinds that name it, the first match wins (so "back_behind", a reverse
# lunge's rear foot too far back, is a long stride before "back" alone could read as the trunk).
_REP_WORDS: tuple[tuple[tuple[str, ...], tuple[str, ...] | None], ...] = (
    (("back_behind", "behind"), ("stride_long",)),
    (("knees_forward", "knee_forward", "toes", "heel"), None),   # no check of ours measures these
    (("knees_in", "knee_in", "valgus", "cave", "caving", "inward"), ("knees_cave",)),
    (("wide",), ("stance_wide", "stride_long")),
    (("narrow",), ("stance_narrow", "stride_short")),
    (("long",), ("stride_long",)),
    (("short",), ("stride_short",)),
    (("high", "shallow", "not_low", "half", "depth"), ("not_low_enough", "shallow", "partial_range")),
    (("round",), ("rounded_back",)),
    (("bent", "forward", "lean", "trunk", "chest"), ("forward_lean", "rounded_back")),
    (("equilibrium", "balance", "wobble"), ("off_balance",)),
    (("fast", "rush"), ("too_fast",)),
)
_HOLD_WORDS: tuple[tuple[tuple[str, ...], tuple[str, ...] | None], ...] = (
    (("butt_high", "hips_high", "pike"), ("hips_pike",)),
    (("butt_low", "hips_low", "sag"), ("hips_sag",)),
    (("head_high", "head_up", "raised"), ("head_raised",)),
    (("head_low", "head_down", "dropped"), ("head_dropped",)),
    (("shoulder",), ("shoulders_ahead", "shoulders_rounded")),
)


@dataclass(frozen=True)
class Take:
    path: Path
    exercise: str
    mistake: str
    fps: float | None
    performer: str

    @property
    def good(self) -> bool:
        return self.mistake.lower() in GOOD


def read_takes(folder: Path) -> list[Take]:
    """The takes `labels.csv` lists whose file is there, in its order ([] without a labels.csv)."""
    labels = Path(folder) / "labels.csv"
    if not labels.exists():
        return []
    with open(labels, newline="") as fh:
        rows = list(csv.DictReader(fh))
    takes = []
    for row in rows:
        path = Path(folder) / (row.get("file") or "")
        if not row.get("file") or not path.exists() or not row.get("exercise"):
            continue
        fps = row.get("fps")
        performer = next((row[c] for c in PERFORMER_COLUMNS if row.get(c)), "")
        takes.append(Take(path, row["exercise"].strip(), (row.get("mistake") or "").strip(),
                          float(fps) if fps else None, performer))
    return takes


def gold_of(take: Take, takes: list[Take]) -> Take | None:
    """The good take of the same exercise by the same performer."""
    return next((t for t in takes if t.good and t.exercise == take.exercise and t.performer == take.performer), None)


def halves(seq):
    """((first half, second half), (second half, first half)) of a good take: each half to be judged with the
    other as its gold, a stricter check of the good take than the take against itself."""
    half = len(seq) // 2
    first, second = seq.slice(0, half), seq.slice(half, len(seq))
    return (first, second), (second, first)


def expected_kinds(mistake: str, hold: bool = False) -> tuple[str, ...] | None:
    """Our fault kinds that name `mistake` (() for a good take), or None: no check of ours names it, and the
    take passes when some fault is found on most of it."""
    name = mistake.lower().replace("-", "_").replace(" ", "_")
    if name in GOOD:
        return ()
    for words, kinds in (_HOLD_WORDS if hold else _REP_WORDS):
        if any(w in name for w in words):
            return kinds
    return None

