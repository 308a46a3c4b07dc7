"""Offline repetition counting.

Two methods:
- ``paper``: GyML's counter. L2 distance of each frame's pose vector to the first frame, Gaussian
  smoothing (sigma 10 frames), peaks = rep midpoints, valleys = rep starts/ends,
  count = max(#peaks, #valleys).
- ``gyml`` (default): class-agnostic. The rep period is estimated by autocorrelation of the body-centred,
  size-normalised joint trajectories, which are then reduced to the one direction that repeats best at
  that period (periodic component analysis; the strongest motion when nothing repeats), oriented away
  from the pose the set rests in; the signal is smoothed at a scale set by the period, and rep midpoints
  are peaks that stand out by a prominence relative to the set's own amplitude (hysteresis: the signal
  must come back most of the way before the next rep can start). Excursions that do not look like the
  set's reps (far too long, or far too small) are rejected, so idling, getting into position and
  resting between sets do not count; so is a first or last excursion much larger than its neighbour
  and heading elsewhere (getting onto the bench, down to the floor), or faint and heading the opposite
  way from the reps (the tail of such a move). When the first and last "reps" are half-size rises from
  ends that rest above the dips between reps, the signal was upside down and is turned over. Where the
  local period shows the tempo changing inside the set, peaks are spaced by the local period instead;
  where rests split the recording into bouts, each bout is counted on its own. A counted rep that holds
  two full reps (two rushed ones back to back, closer than the spacing allows) is split, unless most
  reps look so (then it is their shape).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks, peak_prominences, peak_widths

from gyml.errors import GymlError
from gyml.pose.kinematics import Kinematics
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT
from gyml.reps.signal import (
    clipped_motion,
    detrend,
    dominant_period,
    local_periods,
    period_candidates,
    periodic_component,
    principal_signal,
)

METHODS = ("gyml", "paper")


@dataclass
class RepSegment:
    index: int  # 1-based
    start: int
    mid: int
    end: int
    confidence: float = 1.0

    def to_dict(self) -> dict:
        return {"index": self.index, "start": self.start, "mid": self.mid, "end": self.end,
                "confidence": round(float(self.confidence), 3)}


@dataclass
class RepCount:
    count: int
    method: str
    segments: list[RepSegment]
    signal: np.ndarray = field(repr=False)
    period_frames: float | None = None

    def to_dict(self) -> dict:
        return {"count": self.count, "method": self.method,
                "segments": [s.to_dict() for s in self.segments]}


@dataclass(frozen=True)
class CounterParams:
    """Settings of the default counter, in seconds or fractions of the set's own amplitude."""

    min_period_s: float = 0.25
    max_period_s: float = 8.0
    prominence: float = 0.35     # of the set's robust amplitude
    min_amplitude: float = 0.3   # torso lengths (summed over the tracked joints): below it, no movement
    min_rep_amplitude: float = 0.15  # the same for one rep within a set that moves (a half-range last rep)
    min_joint_travel: float = 0.25   # torso lengths the set's median rep moves a limb (its third most moving
    #                                  joint) at least: summed over joints, a still body's tracker noise
    #                                  passes min_amplitude (a real plank held 60 s counted 14 "reps")
    global_floor: float = 0.25   # local rep size is at least this share of the whole set's
    max_duration: float = 1.5    # half-prominence width in periods (longer: a rest or a hold)
    smooth_periods: float = 0.12  # Gaussian sigma as a share of the period
    period_near: float = 0.85    # the first autocorrelation peak reaching this share of the best is the period
    components: int = 8          # principal components searched for the most periodic signal
    tempo_window_s: float = 5.0  # windows in which the local period is estimated: at least this long,
    tempo_window_periods: float = 3.0  # and at least this many of the set's periods
    tempo_change: float = 1.3    # local periods further apart than this ratio: the tempo changes in the set
    rest_periods: float = 3.0    # no rep for longer than this many periods: a rest between two bouts
    transition_size: float = 1.5  # a set's first or last excursion this many times the size of the rep
    transition_cosine: float = 0.5  # next to it, and heading elsewhere (cosine below this): a transition
    faint_edge: float = 0.55     # a first or last excursion no clearer than this (confidence) that heads
    #                              the opposite way from the rep next to it (cosine below 0) is a transition too
    skewed_period: float = 1.5   # the set between set-up moves has a period this many times off the
    #                              whole recording's (or its inverse): the moves skewed it, recount kept
    edge_rise: float = 0.6       # first and last reps both below this confidence, while the reps between
    clear_rep: float = 0.8       # them reach this, and the recording's ends rest this share of a rep
    edge_rest: float = 0.3       # above the dips between reps: the signal is upside down (it counts the tops)
    rushed: float = 0.5          # two reps each this share of the period, back to back, read at a finer scale
    split_depth: float = 0.5     # both halves of such a counted rep rise, and the dip between them falls, this
    #                              share of a typical rep's height: it held two reps (the spacing merged them)
    split_even: float = 0.7      # the two halves last alike (the shorter at least this share of the longer)
    split_rare: float = 1 / 3    # and fewer than this share of the set's reps look so (else it is their shape)


def count_reps(seq: PoseSequence, method: str = "gyml", params: CounterParams | None = None,
               kinematics: Kinematics | None = None) -> RepCount:
    """Reps of `seq` by `method`; `kinematics` (made from `seq`) saves deriving its features again."""
    if method == "paper":
        return count_paper(seq, kinematics=kinematics)
    if method == "gyml":
        return count_gyml(seq, params or CounterParams(), kinematics=kinematics)
    raise GymlError(f"unknown counting method '{method}' (choose from {', '.join(METHODS)})")


def _segments_from_peaks(signal: np.ndarray, peaks: np.ndarray, confidence: np.ndarray | None = None
                         ) -> list[RepSegment]:
    """Rep boundaries: the lowest point of the signal between neighbouring midpoints."""
    segments = []
    n = len(signal)
    for k, p in enumerate(peaks):
        lo = peaks[k - 1] if k > 0 else max(0, p - (peaks[1] - p if len(peaks) > 1 else p))
        hi = peaks[k + 1] if k + 1 < len(peaks) else min(n - 1, p + (p - peaks[k - 1] if k > 0 else n))
        start = lo + int(np.argmin(signal[lo:p + 1])) if p > lo else p
        end = p + int(np.argmin(signal[p:hi + 1])) if hi > p else p
        conf = 1.0 if confidence is None else float(confidence[k])
        segments.append(RepSegment(k + 1, int(start), int(p), int(end), conf))
    return segments


def count_paper(seq: PoseSequence, sigma: float = 10.0, kinematics: Kinematics | None = None) -> RepCount:
    x = Kinematics.of(seq, kinematics).paper_features
    distance = np.linalg.norm(x - x[0], axis=1)
    smooth = gaussian_filter1d(distance, sigma) if len(distance) > 1 else distance
    peaks, _ = find_peaks(smooth)
    valleys, _ = find_peaks(-smooth)
    count = max(len(peaks), len(valleys))
    return RepCount(count, "paper", _segments_from_peaks(smooth, peaks), smooth)


def count_gyml(seq: PoseSequence, params: CounterParams = CounterParams(),
               rest_pose: np.ndarray | None = None, kinematics: Kinematics | None = None) -> RepCount:
    """The default counter. `rest_pose` (pose_features of one frame) is the pose the set starts from;
    by default the pose held at both ends of the recording (a live stream passes the pose its set
    started in: its window ends now, mid-rep as likely as not)."""
    return _unless_still(seq, _count_set(seq, params, rest_pose, Kinematics.of(seq, kinematics)), params)


def _count_set(seq: PoseSequence, params: CounterParams, rest_pose: np.ndarray | None,
               kinematics: Kinematics) -> RepCount:
    """The count before the still-body check: the recording counted in bouts, then the set between any
    moves into or out of position counted again on its own where that finds it better."""
    result, span = _count_in_bouts(seq, params, rest_pose, kinematics)
    if span is None or rest_pose is not None:
        return result
    # Moves into or out of position were cut off the set's edges. Such a move, far larger than the
    # reps, also skews the period and the rep size the reps were judged by: the set between is counted
    # again on its own, and that count is kept when it finds more reps, or when its period is far from
    # the one the whole recording gave (the moves skewed it; a period of two reps hides one of the
    # moves among the reps). Not in a live window (a rest pose is given): its edges are where the
    # history kept ends and "now", not the set's.
    a, b = span
    part = seq.slice(a, b)
    again, _ = _count_in_bouts(part, params, rest_pose, Kinematics(part))
    periods = [p for p in (again.period_frames, result.period_frames) if p]
    skewed = len(periods) == 2 and max(periods) > params.skewed_period * min(periods)
    if again.count <= result.count and not skewed:
        return result
    signal = np.zeros(len(seq))
    signal[a:b] = again.signal
    return RepCount(again.count, "gyml", [_shifted(s, a) for s in again.segments], signal, again.period_frames)


def rep_travel(seq: PoseSequence, segment: RepSegment) -> float:
    """How far a rep moves a limb, in torso lengths: the third largest 5-95% travel of any joint about
    the pelvis over the rep (the third, so that one or two jittering joints, a head or a hand, do not
    decide it)."""
    body = seq.joints[segment.start:segment.end + 1] - seq.joints[segment.start:segment.end + 1, [JOINT["pelvis"]]]
    seen = np.isfinite(body).all(axis=2).sum(axis=0) >= 2   # joints a source lacks (a 17-point skeleton's
    torso = np.linalg.norm(body[:, JOINT["neck"]], axis=-1)  # hands and feet) are NaN throughout
    torso = float(np.nanmedian(torso)) if np.isfinite(torso).any() else 0.0
    if seen.sum() < 3 or not torso > 0:
        return float("inf")   # nothing to measure by: the count stands
    with np.errstate(invalid="ignore"):
        travel = np.linalg.norm(np.nanpercentile(body[:, seen], 95, axis=0) - np.nanpercentile(body[:, seen], 5, axis=0),
                                axis=-1)
    return float(np.sort(travel)[-3]) / torso


def _unless_still(seq: PoseSequence, result: RepCount, params: CounterParams) -> RepCount:
    """No reps where the set's median rep moves no limb by `min_joint_travel`: the "reps" are the
    tracker's noise on a body held still."""
    if not result.segments:
        return result
    if np.median([rep_travel(seq, s) for s in result.segments]) >= params.min_joint_travel:
        return result
    return RepCount(0, "gyml", [], result.signal, result.period_frames)


def _count_in_bouts(seq: PoseSequence, params: CounterParams, rest_pose: np.ndarray | None,
                    kinematics: Kinematics) -> tuple[RepCount, tuple[int, int] | None]:
    """The recording counted as one set, then bout by bout where rests split it (see `_by_bouts`); with
    the frames between moves into and out of position cut off its edges (None: none were)."""
    whole, span = _count_whole(seq, params, rest_pose, kinematics)
    return _by_bouts(seq, whole, params, rest_pose), span


def _shifted(segment: RepSegment, offset: int, index: int | None = None) -> RepSegment:
    return replace(segment, index=segment.index if index is None else index, start=segment.start + offset,
                   mid=segment.mid + offset, end=segment.end + offset)


def _count_whole(seq: PoseSequence, params: CounterParams, rest_pose: np.ndarray | None,
                 kinematics: Kinematics) -> tuple[RepCount, tuple[int, int] | None]:
    """The count of the recording as one set, and, when moves into or out of position were cut off its
    edges, the frames between them."""
    fps = seq.fps
    if len(seq) < 3 or not seq.present.any():
        return RepCount(0, "gyml", [], np.zeros(len(seq))), None
    features = gaussian_filter1d(kinematics.features, max(1.0, 0.04 * fps), axis=0, mode="nearest")
    # how far each frame is from the pose the set rests in: it orients every signal counted below
    away = np.linalg.norm(features - (resting_pose(features, seq.present) if rest_pose is None else rest_pose),
                          axis=1)
    motion = _Motion(features, away, params, fps)
    result, span = _count_oriented(seq, features, motion, params)
    if _rises_at_both_edges(result, params):
        # The recording's ends are not the set's rest (kneeling before push-ups from a plank): the signal
        # was turned the wrong way up and counted the tops between reps. Turned over, the reps are the
        # dips between those tops.
        turned, turned_span = _count_oriented(seq, features, motion.turned(), params)
        if turned.count == result.count - 1 and not _rises_at_both_edges(turned, params):
            result, span = turned, turned_span
    # A rep drawn across frames without a pose is partly guessed (interpolated): it is only as sure as
    # the share of its frames the tracker saw.
    present = np.asarray(seq.present, dtype=float)
    result.segments = [replace(s, confidence=s.confidence * present[s.start:s.end + 1].mean())
                       for s in result.segments]
    return result, span


def _count_oriented(seq: PoseSequence, features: np.ndarray, motion: _Motion, params: CounterParams
                    ) -> tuple[RepCount, tuple[int, int] | None]:
    """Count with rep midpoints where `motion` is oriented to put them; with the frames between the moves
    into and out of position cut off the edges (None: none were)."""
    result = _with_tempo_changes(seq, motion, _count_periodic(seq, motion, params), params)
    return _without_transitions(features, result, params)


def _rises_at_both_edges(result: RepCount, params: CounterParams) -> bool:
    """The first and the last 'rep' are each about half the size of the reps between them, and the
    recording's ends rest well above the dips between reps: those two are the moves into and out of the
    set (a climb to the reps' top and back), not reps. (Shallow first and last reps start and end where
    the reps between them do.)"""
    segments, signal = result.segments, result.signal
    confidence = [s.confidence for s in segments]
    if len(confidence) < 3 or max(confidence[0], confidence[-1]) >= params.edge_rise or \
            float(np.median(confidence[1:-1])) < params.clear_rep:
        return False
    outside = np.r_[signal[:segments[0].start], signal[segments[-1].end + 1:]]
    if len(outside) == 0:
        return False
    dips = float(np.median([signal[s.end] for s in segments[:-1]]))
    tops = float(np.median([signal[s.mid] for s in segments[1:-1]]))
    return float(np.median(outside)) - dips > params.edge_rest * (tops - dips)


def _by_bouts(seq: PoseSequence, result: RepCount, params: CounterParams, rest_pose: np.ndarray | None
              ) -> RepCount:
    """`result`, or, where rests split the recording into bouts, each bout counted on its own.

    A recording often holds several bouts with rests between them, and between bouts the person may
    turn, step closer, change grip or tempo: one period, one main direction and one rep size for the
    whole recording then fit some bouts badly. A stretch of more than `rest_periods` periods without a
    rep is a rest; the recording is cut in the middle of each, and every bout gets its own period,
    direction, rest pose (its own two ends) and rep size.
    """
    period = result.period_frames
    if not period or result.count < 4:
        return result
    mids = [s.mid for s in result.segments]
    gap = params.rest_periods * period
    cuts = [(a + b) // 2 for a, b in pairwise(mids) if b - a > gap]
    if not cuts:
        return result
    edges = [0, *cuts, len(seq)]
    segments: list[RepSegment] = []
    signal = np.zeros(len(seq))
    present = np.asarray(seq.present)
    for a, b in pairwise(edges):
        seen = np.flatnonzero(present[a:b])
        if len(seen) == 0:
            continue
        # a bout is where the person is seen: frames without a pose before or after it are no part of it
        a, b = a + int(seen[0]), a + int(seen[-1]) + 1
        part = seq.slice(a, b)
        bout = _count_whole(part, params, rest_pose, Kinematics(part))[0]
        signal[a:b] = bout.signal
        segments += [_shifted(s, a, index=len(segments) + k + 1) for k, s in enumerate(bout.segments)]
    return RepCount(len(segments), "gyml", segments, signal, period)


def _count_periodic(seq: PoseSequence, motion: _Motion, params: CounterParams) -> RepCount:
    """Count at the set's period, or at another lag where the motion repeats when that one fails."""
    fps = seq.fps
    # First the period of the whole body's motion, then the single signal that repeats at that period.
    period = motion.period()
    result = _count_at(motion, period, params, fps)
    if not period or result.count == 1:
        return result
    others = motion.other_periods()
    if result.count == 0:
        # Nothing counted at the estimated period although it repeats: reps of uneven length (rushed or
        # paused ones) can make a multiple of the rep look like the period, and the signal that repeats
        # at that lag is no rep at all. Try the other lags where the motion repeats, strongest first.
        for other in others:
            if abs(other - period) > 0.1 * period:
                retry = _count_at(motion, other, params, fps)
                if retry.count:
                    return retry
    else:
        # A period of k reps (every k-th rep rushed or piked) counts k times too few: where the motion
        # also repeats at a k-th of the period and counting there finds k times the reps, each about as
        # clear as the reps found, those are the reps.
        for other in others:
            k = round(period / other)
            if k < 2 or abs(period / other - k) > 0.15 * k:
                continue
            retry = _count_at(motion, other, params, fps)
            if abs(retry.count - k * result.count) <= 1 and \
                    np.median([r.confidence for r in retry.segments]) >= 0.7:
                return retry
    return result


class _Motion:
    """One recording's motion as the counter reads it, each piece computed once: the period estimates
    and the one-dimensional signals (the tempo check asks again for the signal the count at the set's
    period was made on). Signals are oriented by `away` (each frame's distance from the rest pose);
    `turned()` is the same motion the other way up, sharing everything else."""

    def __init__(self, features: np.ndarray, away: np.ndarray, params: CounterParams, fps: float,
                 cache: dict | None = None):
        self.features, self.away, self.params, self.fps = features, away, params, fps
        self.min_period, self.max_period = int(params.min_period_s * fps), int(params.max_period_s * fps)
        self._cache: dict[tuple, object] = {} if cache is None else cache

    def turned(self) -> _Motion:
        return _Motion(self.features, -self.away, self.params, self.fps, self._cache)

    def _clipped(self) -> np.ndarray:
        return self._cached(("clipped",), lambda: clipped_motion(self.features, self.max_period / 2))

    def period(self) -> float | None:
        """The period of the whole body's motion (None: nothing repeats)."""
        return self._cached(("period",), lambda: dominant_period(
            self._clipped(), self.min_period, self.max_period, near=self.params.period_near)[0])

    def other_periods(self) -> list[float]:
        """Every lag where the motion repeats, strongest first."""
        return self._cached(("others",), lambda: period_candidates(
            self._clipped(), self.min_period, self.max_period))

    def tempo(self, period: float, window: int) -> np.ndarray | None:
        """The local period around each frame (see local_periods)."""
        return self._cached(("tempo", period, window), lambda: local_periods(
            self.features, period, self.min_period, self.max_period, window))

    def _moving(self, period: float | None) -> np.ndarray:
        sigma = 1.5 * period if period else self.max_period / 2
        return self._cached(("moving", sigma), lambda: detrend(self.features, sigma))

    def periodic(self, period: float) -> np.ndarray:
        """The projection that repeats best at `period`."""
        raw = self._cached(("periodic", period), lambda: periodic_component(
            self._moving(period), period, self.params.components))
        return _orient(raw, self.away)

    def strongest(self, period: float | None) -> np.ndarray:
        """The strongest motion, detrended at the scale of `period`."""
        raw = self._cached(("strongest", period), lambda: principal_signal(self._moving(period), None)[0])
        return _orient(raw, self.away)

    def _cached(self, key: tuple, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]


def _count_at(motion: _Motion, period: float | None, params: CounterParams, fps: float) -> RepCount:
    """Count on the signal that repeats best at `period` (or on the strongest motion without one)."""
    if not period:
        return _count_on(motion.strongest(None), None, None, params, fps)
    return _count_on(motion.periodic(period), period, None, params, fps)


def _with_tempo_changes(seq: PoseSequence, motion: _Motion, result: RepCount, params: CounterParams
                        ) -> RepCount:
    """`result`, or more reps where the tempo changes inside the set (slow reps, then quick ones; or a set
    that slows down as the person tires).

    There the quick stretch's reps are closer than the set's period allows and the direction that repeats
    at the set's period may miss them; so peaks are spaced by the local period, on that direction and on
    the strongest motion, and the reading that finds the most reps of the set's size wins.
    """
    period, fps = result.period_frames, seq.fps
    if not period:
        return result
    window = int(max(params.tempo_window_s * fps, params.tempo_window_periods * period))
    tempo = motion.tempo(period, window)
    if tempo is None:
        return result
    if tempo.max() <= params.tempo_change * tempo.min():
        return result
    # Peaks are never spaced wider than the set's period (a longer local estimate is often a multiple of
    # the rep); but a set that slows down needs these readings too: there the direction that repeats at
    # the set's one period drifts out of phase with the reps, while the strongest motion keeps them.
    tempo = np.minimum(tempo, period)
    readings = [result] + [_count_on(signal, period, tempo, params, fps)
                           for signal in (motion.periodic(period), motion.strongest(period))]
    return max(readings, key=lambda r: r.count)


def _count_on(signal: np.ndarray, period: float | None, tempo: np.ndarray | None, params: CounterParams,
              fps: float) -> RepCount:
    """Rep midpoints on one oriented signal: prominent peaks, spaced by the period (or by the local
    period `tempo` where it changes), that look like the set's reps."""
    min_p = int(params.min_period_s * fps)
    shortest = float(tempo.min()) if tempo is not None else period
    sigma = params.smooth_periods * (shortest if period else fps)
    smooth = gaussian_filter1d(signal, max(sigma, 1.0))
    distance = max(1, int(0.6 * shortest)) if period else max(1, min_p)
    candidates, props = find_peaks(smooth, distance=distance, prominence=0)
    if tempo is not None and len(candidates):
        candidates = _spaced_by_tempo(candidates, props["prominences"], tempo)
        prom, left, right = peak_prominences(smooth, candidates)
        props = {"prominences": prom, "left_bases": left, "right_bases": right}
    if len(candidates) == 0:
        return RepCount(0, "gyml", [], smooth, period)
    # The set's own rep size: reps are the most prominent repeating excursions. The reference is local
    # (the camera or the person may move and change the apparent size of the reps within a set) but
    # never below a share of the whole set's, so idling between sets does not become reps.
    prom = props["prominences"]
    overall = np.percentile(prom, 90)
    noise = 3 * np.median(np.abs(np.diff(signal))) + 1e-12
    if overall <= max(noise, params.min_amplitude):
        return RepCount(0, "gyml", [], smooth, period)
    # A rep's neighbourhood and its longest plausible excursion are set by the set's period even where
    # the tempo quickens, so a rep next to a rushed one is not judged by the rush.
    window = 4 * (period if period else fps)
    floor = params.global_floor * overall
    # every kept peak is at least the floor, so the reference never falls below it
    reference = np.array([_typical(prom[(np.abs(candidates - c) <= window) & (prom >= floor)], floor)
                          for c in candidates])
    keep = (prom >= params.prominence * reference) & (prom >= params.min_rep_amplitude)
    if period:
        # A rep's excursion at half its prominence lasts about half a period; a hold or a rest far longer.
        half_width = peak_widths(smooth, candidates, rel_height=0.5, prominence_data=(
            prom, props["left_bases"], props["right_bases"]))[0]
        keep &= half_width <= params.max_duration * period
    peaks = candidates[keep]
    reference = reference[keep]
    conf = _peak_confidence(smooth, peaks, reference)
    segments = _segments_from_peaks(smooth, peaks, conf)
    if period:
        segments = _split_merged_reps(signal, segments, period, params, fps)
    return RepCount(len(segments), "gyml", segments, smooth, period)


def _split_merged_reps(signal: np.ndarray, segments: list[RepSegment], period: float, params: CounterParams,
                       fps: float) -> list[RepSegment]:
    """`segments`, with a counted rep that holds two reps split in two.

    Peaks are spaced at least 0.6 of the period apart, so two rushed reps back to back (each about half
    the set's pace) are one counted rep: one of their two peaks is dropped, and the coach never sees the
    rushed rep. Read at a scale fit for a rep of `rushed` periods, such a counted rep rises twice to the
    reps' height and falls back between, in two halves that last alike. Where most reps look so, that is
    their shape (a hitch at the top, a jumping jack's two swings), not two reps.
    """
    if len(segments) < 3:
        return segments
    fine = gaussian_filter1d(signal, max(params.smooth_periods * params.rushed * period, 1.0))
    peaks, _ = find_peaks(fine, distance=max(1, int(0.6 * params.rushed * period)))
    typical = float(np.median([fine[s.mid] - 0.5 * (fine[s.start] + fine[s.end]) for s in segments]))
    if typical <= 0:
        return segments
    shortest = params.min_period_s * fps
    splits: dict[int, tuple[int, int, int]] = {}
    for k, s in enumerate(segments):
        base = 0.5 * (fine[s.start] + fine[s.end])
        inside = [p for p in peaks if s.start < p < s.end and fine[p] - base >= params.split_depth * typical]
        if len(inside) != 2:
            continue
        a, b = int(inside[0]), int(inside[1])
        dip = a + int(np.argmin(fine[a:b + 1]))
        first, second = dip - s.start, s.end - dip
        if min(fine[a], fine[b]) - fine[dip] >= params.split_depth * typical and \
                min(first, second) >= max(params.split_even * max(first, second), shortest):
            splits[k] = (a, dip, b)
    if not splits or len(splits) >= params.split_rare * len(segments):
        return segments
    out: list[RepSegment] = []
    for k, s in enumerate(segments):
        if k in splits:
            a, dip, b = splits[k]
            out += [replace(s, start=s.start, mid=a, end=dip), replace(s, start=dip, mid=b, end=s.end)]
        else:
            out.append(s)
    return [replace(s, index=i + 1) for i, s in enumerate(out)]


def _without_transitions(features: np.ndarray, result: RepCount, params: CounterParams
                         ) -> tuple[RepCount, tuple[int, int] | None]:
    """`result` without a first or last excursion that is getting into or out of position, and the frames
    between such moves (None when there is none).

    Getting down into a plank, onto a bench or off a bar is one large move at the edge of a set, often
    about a period from the first rep: it passes every test a rep passes on the one-dimensional signal.
    In the body's full pose it differs: it is much larger than the rep next to it and heads elsewhere.
    The tail of such a move (straightening up with the weights just lifted off the floor) can instead
    show as a faint excursion that heads the opposite way from the reps: not a rep either. (A shallow or
    partial first or last rep is faint too, but heads the reps' way.)
    """
    segments = result.segments
    if len(segments) < 3:
        return result, None

    def size(s: RepSegment) -> float:
        return float(np.linalg.norm(features[s.mid] - 0.5 * (features[s.start] + features[s.end])))

    def transition(edge: RepSegment, inner: RepSegment) -> bool:
        out, rep = features[edge.mid] - features[edge.start], features[inner.mid] - features[inner.start]
        cosine = out @ rep / (np.linalg.norm(out) * np.linalg.norm(rep) + 1e-12)
        if edge.confidence <= params.faint_edge and cosine < 0:
            return True
        return size(edge) > params.transition_size * size(inner) and cosine < params.transition_cosine

    drop = {k for k, inner in ((0, 1), (len(segments) - 1, len(segments) - 2))
            if transition(segments[k], segments[inner])}
    if not drop:
        return result, None
    kept = [s for k, s in enumerate(segments) if k not in drop]
    renumbered = [replace(s, index=i + 1) for i, s in enumerate(kept)]
    span = (segments[0].end if 0 in drop else 0,
            segments[-1].start + 1 if len(segments) - 1 in drop else len(result.signal))
    return RepCount(len(renumbered), result.method, renumbered, result.signal, result.period_frames), span


def _spaced_by_tempo(candidates: np.ndarray, prominences: np.ndarray, tempo: np.ndarray) -> np.ndarray:
    """The candidates left when, most prominent first, each suppresses its neighbours closer than 0.6 of
    the local period (find_peaks' `distance`, but with a distance that varies along the set)."""
    taken: list[int] = []
    for i in np.argsort(-prominences, kind="stable"):
        if all(abs(candidates[i] - candidates[j]) >= 0.6 * tempo[candidates[i]] for j in taken):
            taken.append(i)
    return candidates[np.sort(taken)]


def _typical(prominences: np.ndarray, floor: float) -> float:
    """The size of a typical rep nearby: the median of the sizeable peaks, so that one outsized rep (a
    hip pike among push-ups) does not make its neighbours look small; with fewer than three there is no
    typical one to speak of, and the largest sets the scale."""
    if len(prominences) >= 3:
        return float(np.median(prominences))
    return float(prominences.max()) if len(prominences) else floor


def resting_pose(features: np.ndarray, present: np.ndarray, both_ends: bool = True) -> np.ndarray:
    """The pose a set rests in: the median of the first (and, with `both_ends`, the last) 2% of the frames
    with a pose, at least three.

    A set starts and ends in its rest pose (the paper assumes the start); both ends, because a recording
    may begin mid-rep or with the person getting into position.
    """
    valid = np.flatnonzero(present)
    if len(valid) == 0:
        return np.median(features[:3], axis=0)
    k = max(3, len(valid) // 50)
    ends = np.r_[valid[:k], valid[-k:]] if both_ends else valid[:k]
    return np.median(features[ends], axis=0)


def _orient(signal: np.ndarray, away: np.ndarray) -> np.ndarray:
    """Flip the signal so rep midpoints are maxima: it must rise as the body moves away from its rest
    pose (`away`: each frame's distance from it)."""
    if np.std(away) == 0 or np.std(signal) == 0:
        return signal
    return signal if np.corrcoef(signal, away)[0, 1] >= 0 else -signal


def _peak_confidence(smooth: np.ndarray, peaks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """How clearly each rep stands out: its prominence against the local rep size (1 = a full rep)."""
    if len(peaks) == 0:
        return np.zeros(0)
    prominences = np.atleast_1d(peak_prominences(smooth, peaks)[0])
    return np.clip(prominences / np.maximum(reference, 1e-12), 0.0, 1.0)
