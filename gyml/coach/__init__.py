"""Coaching: gold references, per-rep comparison, and feedback in plain language."""
