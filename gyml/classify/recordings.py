"""Labelled real recordings for training: a manifest (CSV `path,label[,group]`) or a folder of videos and
pose files -> poses read once through the content-addressed pose cache -> a `Dataset` with groups.

A manifest's columns may also be named as the public datasets name them (`video`/`file`/`name` for the
path, `exercise`/`type` for the label). Paths are relative to the manifest. Where a pose file with the
same stem lies beside a listed video (`<stem>.npz`, `poses/<stem>.npz`, `<stem>.npy`), it is read instead
of decoding the video. Without a `group` column, clips named `<take>_<n>` share the group `<take>`: a
split by group never puts two clips of one take on both sides.

A folder without a manifest is labelled by its subfolders (`squat/a.mp4`) or, for files at its top, by
the exercise each file name starts with (`pushup_3.mp4` -> push_up).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gyml.errors import GymlError
from gyml.pose.readers import VIDEO_SUFFIXES
from gyml.pose.sequence import PoseSequence

POSE_SUFFIXES = {".npz", ".npy", ".pkl", ".csv"}
MANIFEST_NAMES = ("manifest.csv", "labels.csv")
PATH_COLUMNS = ("path", "video", "file", "name")
LABEL_COLUMNS = ("label", "exercise", "type")
# Spellings the public datasets use for catalog exercises (UCF101, RepCount, file-name prefixes).
LABEL_ALIASES = {
    "bodyweightsquats": "squat", "squant": "squat", "squats": "squat", "pushups": "push_up", "pushup": "push_up",
    "push": "push_up", "pullups": "pull_up", "pullup": "pull_up", "pull": "pull_up", "situp": "sit_up",
    "jump_jack": "jumping_jack", "jumpjacks": "jumping_jack", "jumpingjack": "jumping_jack",
    "jacks": "jumping_jack", "bench_pressing": "bench_press", "benchpressing": "bench_press",
    "frontraise": "front_raise", "dips": "dip", "lunges": "lunge", "wallpushups": "wall_push_up",
    "handstandpushups": "handstand_push_up", "russiantwist": "russian_twist",
}


@dataclass(frozen=True)
class Recording:
    path: Path
    label: str
    group: str
    source: str


def canonical_label(text: str) -> str:
    """'Push-ups', 'BodyWeightSquats', 'jump_jack' -> the catalog's snake_case name where one is known."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    return LABEL_ALIASES.get(key, LABEL_ALIASES.get(key.replace("_", ""), key))


def label_from_name(name: str) -> str | None:
    """The catalog exercise (or alias) a file name starts with, longest match first; None if none does."""
    from gyml.synth.catalog import CATALOG

    stem = name.lower()
    squashed = stem.replace("_", "").replace("-", "")
    candidates = {label.replace("_", ""): label for label in CATALOG}
    candidates.update({alias.replace("_", ""): label for alias, label in LABEL_ALIASES.items()})
    for prefix in sorted(candidates, key=len, reverse=True):
        if squashed.startswith(prefix):
            return candidates[prefix]
    return None


def label_typos(labels: list[str]) -> list[str]:
    """One line for each label that is not a catalog exercise but reads like a misspelt one (or like another
    label of the same data): it would be learned as an exercise of its own."""
    import difflib
    from collections import Counter

    from gyml.synth.catalog import CATALOG

    counts = Counter(labels)
    lines = []
    for label, n in sorted(counts.items()):
        if label in CATALOG:
            continue
        others = sorted(set(CATALOG) | (set(counts) - {label}))
        close = difflib.get_close_matches(label, others, n=2, cutoff=0.8)
        if close:
            lines.append(f"label '{label}' ({n} recording{'s' if n > 1 else ''}) is not a catalog exercise; did you "
                         f"mean {' or '.join(close)}? It is learned as an exercise of its own")
    return lines


def take_of(stem: str) -> str:
    """`stu4_12` -> `stu4`, `v_Lunges_g08_c03` -> `v_Lunges_g08`: clips cut from one take share a group."""
    head, sep, tail = stem.rpartition("_")
    return head if sep and head and tail.isdigit() or (sep and tail[:1] == "c" and tail[1:].isdigit()) else stem


def _resolve(folder: Path, listed: str) -> Path | None:
    """The file a manifest row names, preferring an already extracted pose file beside a video."""
    path = folder / listed
    stem = Path(listed).stem
    for candidate in (folder / "poses" / f"{stem}.npz", path.with_suffix(".npz"), path.with_suffix(".npy"),
                      folder / f"{stem}.npz", folder / f"{stem}.npy"):
        if candidate.is_file():
            return candidate
    if path.is_file():
        return path
    for sub in ("videos", "poses"):
        if (folder / sub / listed).is_file():
            return folder / sub / listed
    return None


def _column(fields: list[str], options: tuple[str, ...]) -> str | None:
    lowered = {f.strip().lower(): f for f in fields if f}
    return next((lowered[o] for o in options if o in lowered), None)


def read_csv_table(path: Path) -> tuple[list[str], list[dict]]:
    """A CSV's header and rows, read as spreadsheets save CSV (a UTF-8 byte-order mark is dropped); a file
    that is not UTF-8 text is refused in one line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise GymlError(f"{path.name}: cannot read the CSV ({reason}; save it as CSV UTF-8)") from None


def _csv_rows(manifest: Path) -> tuple[list[str], list[dict]]:
    """A manifest's header and rows (`read_csv_table`); one separated by ';' is refused in one line."""
    fields, rows = read_csv_table(manifest)
    if len(fields) == 1 and fields[0].count(";") >= 1:
        raise GymlError(f"{manifest.name}: the values are separated by ';' - gyml reads comma-separated CSV "
                        "(save it with ',' between values)")
    return fields, rows


def read_manifest(manifest: str | Path, label: str | None = None, source: str | None = None,
                  missing: list[str] | None = None) -> list[Recording]:
    """Rows of a manifest CSV. `label` names the exercise of every row when the CSV has no label column.
    Rows whose file is not found are left out; with `missing`, each is added to it as one line."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise GymlError(f"no such manifest: {manifest}")
    fields, rows = _csv_rows(manifest)
    path_col, label_col = _column(fields, PATH_COLUMNS), _column(fields, LABEL_COLUMNS)
    group_col = _column(fields, ("group",))
    if path_col is None:
        raise GymlError(f"{manifest.name}: needs a path column ({', '.join(PATH_COLUMNS)})")
    if label_col is None and label is None:
        raise GymlError(f"{manifest.name}: needs a label column ({', '.join(LABEL_COLUMNS)}) or a given label")
    source = source or manifest.parent.name
    out, not_found = [], []
    for row in rows:
        listed = (row.get(path_col) or "").strip()
        if not listed:
            continue
        path = _resolve(manifest.parent, listed)
        if path is None:
            not_found.append(listed)
            continue
        name = canonical_label(row[label_col]) if label_col and row.get(label_col) else label
        if not name:
            continue
        group = (row.get(group_col) or "").strip() if group_col else ""
        out.append(Recording(path, canonical_label(name), f"{source}:{group or take_of(Path(listed).stem)}", source))
    if not out:
        raise GymlError(f"{manifest.name}: no recording listed there was found beside it"
                        + (f" (e.g. {not_found[0]})" if not_found else ""))
    if missing is not None:
        missing += [f"{listed}: listed in {manifest.name} but not found" for listed in not_found]
    return out


def _lists_recordings(manifest: Path) -> bool:
    """A CSV whose path column names files beside it (not, e.g., a table of label names)."""
    if not manifest.is_file():
        return False
    fields, rows = _csv_rows(manifest)
    column = _column(fields, PATH_COLUMNS)
    if column is None:
        return False
    for row in rows[:20]:
        listed = (row.get(column) or "").strip()
        if listed and _resolve(manifest.parent, listed) is not None:
            return True
    return False


def _is_recording(path: Path) -> bool:
    return path.is_file() and (path.suffix.lower() in VIDEO_SUFFIXES or path.suffix.lower() in POSE_SUFFIXES)


def scan_folder(folder: str | Path, label: str | None = None, source: str | None = None,
                missing: list[str] | None = None) -> list[Recording]:
    """A folder's labelled recordings: from its manifest, else from subfolder names or file-name prefixes."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GymlError(f"not a folder: {folder}")
    source = source or folder.name
    for name in MANIFEST_NAMES:
        manifest = folder / name
        if _lists_recordings(manifest):
            fields, _ = _csv_rows(manifest)
            if label or _column(fields, LABEL_COLUMNS):
                return read_manifest(manifest, label, source, missing)
    out = []
    for path in sorted(folder.rglob("*")):
        if not _is_recording(path) or path.name in MANIFEST_NAMES or path.name.endswith(".labels.csv"):
            continue
        if path.suffix.lower() == ".npz" and path.parent.name == "poses" and any(
                (path.parent.parent / f"{path.stem}{s}").exists() for s in VIDEO_SUFFIXES):
            continue  # a video's extracted poses: the video is listed (and read through them) instead
        relative = path.relative_to(folder)
        name = label or (canonical_label(relative.parts[0]) if len(relative.parts) > 1 and
                         relative.parts[0] not in ("poses", "videos") else label_from_name(path.stem))
        if name:
            resolved = _resolve(path.parent, path.name) if path.suffix.lower() in VIDEO_SUFFIXES else path
            out.append(Recording(resolved or path, name, f"{source}:{take_of(path.stem)}", source))
    if not out:
        raise GymlError(f"{folder}: no labelled videos or pose files found (put them in one subfolder per "
                        "exercise, or list them in manifest.csv as path,label[,group])")
    return out


def recordings_from(path: str | Path, label: str | None = None,
                    missing: list[str] | None = None) -> list[Recording]:
    """A manifest CSV or a folder (`missing` collects the manifest's rows whose file is not found)."""
    path = Path(path)
    if not path.exists():
        raise GymlError(f"no such file or folder: {path}")
    if path.is_file() and path.suffix.lower() == ".csv":
        return read_manifest(path, label, missing=missing)
    return scan_folder(path, label, missing=missing)


def read_recordings(recordings: list[Recording], progress: Callable[[int, int, str], None] | None = None,
                    ) -> tuple[list[tuple[Recording, PoseSequence]], list[str]]:
    """Each recording's poses through the content-addressed cache (a video is decoded once, ever);
    recordings that cannot be read are reported by one line each, not fatal."""
    from gyml.pose.cache import cached_read_pose
    from gyml.pose.readers.mover import needs_reextraction

    read, problems = [], []
    for i, rec in enumerate(recordings):
        if progress:
            progress(i, len(recordings), rec.path.name)
        try:
            seq = cached_read_pose(rec.path)
            video = needs_reextraction(rec.path, seq) if rec.path.suffix == ".npz" else None
            if video is not None:   # stored poses that may follow a bystander (gyml.pose.readers.mover)
                seq = cached_read_pose(video)
        except GymlError as exc:
            problems.append(f"{rec.path.name}: {exc}")
            continue
        if not seq.present.any():
            problems.append(f"{rec.path.name}: nobody found in any frame")
            continue
        read.append((rec, seq))
    if progress:
        progress(len(recordings), len(recordings), "")
    return read, problems


def load_recordings(path: str | Path, label: str | None = None, show_progress: bool = True):
    """A manifest or folder -> `Dataset` (with groups and sources), reading poses behind a Rich progress bar."""
    from gyml.classify.datasets import Dataset
    from gyml.synth.catalog import CATALOG

    missing: list[str] = []
    recordings = recordings_from(path, label, missing)
    read, problems = read_with_progress(recordings, show_progress)
    problems = missing + problems
    if not read:
        raise GymlError(f"{path}: none of its {len(recordings)} recordings could be read ({problems[0]})")
    names = {rec.label: CATALOG[rec.label].name if rec.label in CATALOG else rec.label.replace("_", " ").capitalize()
             for rec, _ in read}
    return Dataset([s for _, s in read], [r.label for r, _ in read], names, [r.path.name for r, _ in read],
                   groups=[r.group for r, _ in read], sources=[r.source for r, _ in read]), problems


def read_with_progress(recordings: list[Recording], show: bool = True):
    from gyml.progress import progress_bar

    with progress_bar(show) as bar:
        task = bar.add_task("reading poses", total=len(recordings))

        def tick(done, total, name):
            bar.update(task, completed=done, total=total, description=f"poses {name}" if name else "poses")

        return read_recordings(recordings, tick)


def load_training_data(path: str | Path, show_progress: bool = True):
    """What `gyml train` reads: a FLAG3D-layout or labelled gyml .npz folder as before, else a manifest
    or a folder of videos and pose files (see the module's docstring). Returns (Dataset, problems)."""
    from gyml.classify.datasets import load_folder

    path = Path(path)
    if path.is_dir():
        has_manifest = any(_lists_recordings(path / name) for name in MANIFEST_NAMES)
        has_videos = any(p.suffix.lower() in VIDEO_SUFFIXES for p in path.rglob("*"))
        if not has_manifest and not has_videos:
            try:
                return load_folder(path), []
            except GymlError:
                pass  # pose files without labels inside them: labelled by subfolder or file name instead
    return load_recordings(path, show_progress=show_progress)
