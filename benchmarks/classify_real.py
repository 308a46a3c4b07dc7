"""The default classifier (trained only on synthesised motion) on real data it never saw: RepCount-pose
dev sequences and the real videos, per class.

    python benchmarks/classify_real.py
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

from gyml.classify.default import load_model, predict
from gyml.pose.readers import read_pose

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REPCOUNT_TYPES = {"squat": "squat", "squant": "squat", "push_up": "push_up", "pushups": "push_up",
                  "pull_up": "pull_up", "pullups": "pull_up", "situp": "sit_up", "jump_jack": "jumping_jack",
                  "jumpjacks": "jumping_jack", "bench_pressing": "bench_press", "benchpressing": "bench_press",
                  "front_raise": "front_raise", "frontraise": "front_raise"}
VIDEO_PREFIX = {"squat": "squat", "push": "push_up", "pull": "pull_up", "dips": "dip", "jumpingjack": "jumping_jack",
                "jacks": "jumping_jack", "plank": "plank"}


def main() -> int:
    model = load_model()
    hits: dict[str, list[int]] = defaultdict(list)
    folder = SHARED / "repcount_pose" / "dev"
    if (folder / "labels.csv").exists():
        for r in csv.DictReader(open(folder / "labels.csv", newline="")):
            truth = REPCOUNT_TYPES.get(r["type"])
            path = folder / r["name"].replace(".mp4", ".npy")
            if truth and path.exists():
                pred = predict(model, read_pose(path))
                hits[f"repcount:{truth}"].append(pred.label == truth)
    for video in sorted((SHARED / "videos").rglob("*.mp4")):
        stem = video.name.lower()
        truth = next((v for k, v in VIDEO_PREFIX.items() if stem.startswith(k)), None)
        if truth:
            pred = predict(model, read_pose(video))
            hits[f"video:{truth}"].append(pred.label == truth)
    total = [h for v in hits.values() for h in v]
    print(f"{'source:class':<26}{'n':>4}{'accuracy':>10}")
    for key in sorted(hits):
        print(f"{key:<26}{len(hits[key]):>4}{sum(hits[key]) / len(hits[key]):>10.2f}")
    print(f"{'all':<26}{len(total):>4}{sum(total) / max(len(total), 1):>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
