"""Labelled sequence collections: FLAG3D-layout folders and gyml `.npz` folders, and the fixed split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from gyml.errors import GymlError
from gyml.pose.readers import read_pose
from gyml.pose.readers.flag3d import parse_flag3d_name
from gyml.pose.sequence import PoseSequence


@dataclass
class Dataset:
    sequences: list[PoseSequence]
    labels: list[str]
    names: dict[str, str]  # label -> human name
    files: list[str]
    groups: list[str] | None = None   # recordings sharing person, place and camera share a group
    sources: list[str] | None = None


def _label_names(folder: Path) -> dict[str, str]:
    """labels.csv beside the data: `action_id,label,name` (gyml synth-dataset writes it)."""
    path = folder / "labels.csv"
    if not path.exists():
        return {}
    from gyml.classify.recordings import read_csv_table

    fields, rows = read_csv_table(path)   # as a spreadsheet may have saved it again (a byte-order mark)
    if "action_id" not in fields:   # another table (a manifest): not the names
        return {}
    return {r["action_id"]: r for r in rows if r.get("label")}


def load_folder(folder: str | Path, progress=None) -> Dataset:
    """A FLAG3D-layout folder (`M###P###A###R###.pkl`, label = action, group = performer) or gyml `.npz`
    files whose metadata name the exercise (and their group, when they carry one)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GymlError(f"not a folder: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix in {".pkl", ".npz"})
    if not files:
        raise GymlError(f"{folder}: no .pkl or .npz sequences found")
    meta = _label_names(folder)
    from gyml.synth.writers import flag3d_action_names
    flag3d_names = flag3d_action_names()
    seqs, labels, names, used, groups = [], [], {}, [], []
    for i, path in enumerate(files):
        parsed = parse_flag3d_name(path.name)
        seq = read_pose(path)
        # a FLAG3D name carries its performer (P###): a person is a group, never on both sides of a split
        group = f"P{parsed['person']:03d}" if parsed and "person" in parsed else seq.metadata.get("group")
        groups.append(str(group) if group is not None else None)
        if parsed:
            action = f"A{parsed['action']:03d}"
            row = meta.get(action)
            label = row["label"] if row else action
            names[label] = row["name"] if row else flag3d_names.get(action, action)
        elif "exercise" in seq.metadata:
            label = seq.metadata["exercise"]
            names[label] = seq.metadata.get("exercise_name", label)
        else:
            raise GymlError(f"{path.name}: cannot tell its label (not a FLAG3D name, no exercise in metadata)")
        seqs.append(seq)
        labels.append(label)
        used.append(path.name)
        if progress:
            progress(i + 1, len(files))
    if all(g is None for g in groups):
        return Dataset(seqs, labels, names, used)
    # a recording of no known group is a group of its own
    return Dataset(seqs, labels, names, used, [g if g is not None else f"file:{f}" for g, f in zip(groups, used)])


def split_indices(labels: list[str], seed: int = 0, train: float = 0.7, dev: float = 0.2,
                  groups: list[str] | None = None) -> dict[str, list[int]]:
    """Train/dev/test split (70/20/10 by default) with a fixed seed, stratified by label where every part
    is large enough to hold each class (small datasets fall back to a plain shuffled split). With
    `groups`, whole groups go to one part (never one person or take on both sides)."""
    if len(labels) < 5:
        raise GymlError(f"need at least 5 labelled sequences to split into train/dev/test, got {len(labels)}")
    if groups is not None and len(set(groups)) >= 5:
        return _group_split(np.asarray(groups), seed, train, dev)
    idx = np.arange(len(labels))
    y = np.asarray(labels)

    def split(items, size):
        try:
            return train_test_split(items, train_size=size, random_state=seed, stratify=y[items])
        except ValueError:  # a part smaller than the number of classes, or a class with one member
            return train_test_split(items, train_size=size, random_state=seed)

    tr, rest = split(idx, train)
    dv, te = split(rest, dev / (1 - train))
    return {"train": sorted(tr.tolist()), "dev": sorted(dv.tolist()), "test": sorted(te.tolist())}


def _group_split(groups: np.ndarray, seed: int, train: float, dev: float) -> dict[str, list[int]]:
    from sklearn.model_selection import GroupShuffleSplit

    idx = np.arange(len(groups))
    tr, rest = next(GroupShuffleSplit(1, train_size=train, random_state=seed).split(idx, groups=groups))
    dv, te = next(GroupShuffleSplit(1, train_size=dev / (1 - train), random_state=seed).split(
        rest, groups=groups[rest]))
    return {"train": sorted(tr.tolist()), "dev": sorted(rest[dv].tolist()), "test": sorted(rest[te].tolist()),
            "by_group": True}
