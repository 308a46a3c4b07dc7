"""Pose sequences, the canonical skeleton, and readers for every supported pose source."""

from gyml.pose.layouts import absent_joints, joints_available, skipped_checks, skipped_note

__all__ = ["absent_joints", "joints_available", "skipped_checks", "skipped_note"]
