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


def expected_kinds(mistake: str, hold: bool = False, kinds: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Our fault kinds that name `mistake` (() for a good take), or None: no check of ours names it, and the
    take passes when some fault is found on most of it. A mistake named after one of `kinds` (the
    exercise's own: a wall sit's "hips_high" is its own fault, not a plank's pike) is that kind."""
    name = mistake.lower().replace("-", "_").replace(" ", "_")
    if name in GOOD:
        return ()
    own = tuple(k for k in kinds if k in name)
    if own:
        return own
    for words, named in (_HOLD_WORDS if hold else _REP_WORDS):
        if any(w in name for w in words):
            return named
    return None


def synthesised_body(index: int, first_seed: int, views: tuple[float, ...]) -> tuple[int, float, float]:
    """(seed, height in metres, camera yaw) of a benchmark's body `index`: its seed `first_seed + index`
    (each benchmark its own range, bodies used nowhere else), a height drawn from it, views in turn."""
    import numpy as np

    seed = first_seed + index
    return seed, float(np.random.default_rng(seed).uniform(1.55, 1.95)), views[index % len(views)]


def write_synthesised_takes(folder: Path, exercise: str, performers: dict, reps: int | None = None,
                            fps: float = 60.0) -> None:
    """Each performer's takes ({performer: {mistake: pose sequence}}) written as a 3D body tracker stores them
    (gyml.synth.writers.write_tracker_csv), with the labels.csv read_takes reads."""
    from gyml.synth.writers import write_tracker_csv

    rows = ["file,exercise,mistake,reps,fps,performer"]
    for performer, takes in performers.items():
        for mistake, seq in takes.items():
            name = f"{performer}_{exercise}_{mistake}.csv"
            write_tracker_csv(seq, Path(folder) / name)
            rows.append(f"{name},{exercise},{mistake},{'' if reps is None else reps},{fps},{performer}")
    (Path(folder) / "labels.csv").write_text("\n".join(rows) + "\n")


def run_on_synthesised_takes(description: str, write, judge) -> int:
    """A synthesised-takes benchmark's main: `write(folder, bodies)` the takes into a folder (temporary, or
    `--keep FOLDER`), then `judge(folder, bodies)` them."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bodies", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="write the takes here (kept) instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        write(folder, args.bodies)
        judge(folder, args.bodies)
    return 0
