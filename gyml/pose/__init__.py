"""Pose sequences, the canonical skeleton, and readers for every supported pose source."""
