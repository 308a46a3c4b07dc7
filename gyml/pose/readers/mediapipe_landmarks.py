"""MediaPipe's 33 pose landmarks onto the canonical skeleton (shared by the video, npy and CSV readers)."""

from __future__ import annotations

import numpy as np

from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import MEDIAPIPE_TO_SMPL, map_joints

NUM_LANDMARKS = 33
# MediaPipe's axes are x right, y down, z away from the camera; flipping y and z gives y up and keeps
# the frame right-handed.
MEDIAPIPE_TO_WORLD = np.array([1.0, -1.0, -1.0])


def landmarks_to_sequence(points: np.ndarray, visibility: np.ndarray | None, fps: float, source: str,
                          image_landmarks: np.ndarray | None = None, metadata: dict | None = None,
                          ) -> PoseSequence:
    """(T, 33, 3) landmarks (MediaPipe axes; NaN rows = nobody, NaN points = landmarks the source lacks)
    -> PoseSequence. Canonical joints built from a missing landmark stay NaN with confidence 0."""
    points = np.asarray(points, dtype=np.float64) * MEDIAPIPE_TO_WORLD
    # A coordinate beyond float32's range is no measurement (the joints are stored as float32): unknown.
    points[~(np.abs(points) < np.finfo(np.float32).max)] = np.nan
    # Many 3D sources fill only some of MediaPipe's 33 points (e.g. 17 body points, no hands or toes):
    # each landmark counts on its own (a frame holds a person when any landmark is there).
    point_known = np.isfinite(points).all(axis=2)
    if visibility is None:
        visibility = np.ones(points.shape[:2])
    # A landmark MediaPipe places with visibility ~0 is still its best guess; keep it but trust it little,
    # and reserve confidence 0 for landmarks the source does not have (or frames where nobody was found).
    vis = np.clip(np.nan_to_num(np.asarray(visibility, dtype=np.float64)), 0.01, 1.0)
    vis[~point_known] = 0.0
    joints, conf = map_joints(points, MEDIAPIPE_TO_SMPL, vis)
    return PoseSequence(joints=joints, confidence=conf, fps=fps, source=source,
                        image_landmarks=image_landmarks, metadata=metadata or {})
