"""A self-contained HTML report (images inline, no scripts, fonts or links to fetch): summary, each cue
shown on the person's own frame beside the reference pose at the same phase, a per-rep deviation chart
by body part, the rep timeline and the rep table.

`render_report(result, video_path)` takes a pipeline `AnalysisResult`; with the video it came from, the
frames of the faults are decoded again and shown with the skeleton drawn. `render_html(analysis,
signal)` is the text-only report of an `Analysis` record alone.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np

from gyml.pose.sequence import write_atomically
from gyml.pose.skeleton import JOINT, PARENTS
from gyml.report.analysis import Analysis, exercise_text

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;
color:#1d2330;background:#fafbfc}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin:.2rem 0 .6rem}.muted{color:#667085}
.card{background:#fff;border:1px solid #e4e7ec;border-radius:10px;padding:1rem 1.25rem;margin:1rem 0}
.big{font-size:2.4rem;font-weight:700}table{border-collapse:collapse;width:100%}
td,th{padding:.35rem .5rem;border-bottom:1px solid #eef0f3;text-align:left}
.fault{color:#b42318}.warn{color:#b54708}.info{color:#175cd3}.grid{display:flex;gap:1rem;flex-wrap:wrap}
.grid .card{flex:1;min-width:180px}.cue{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start}
.cue figure{margin:0}.cue img{max-height:300px;max-width:100%;border-radius:6px;display:block}
.cue figcaption{font-size:.8rem;color:#667085;margin-top:.25rem}.legend span{margin-right:1rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;vertical-align:-1px;margin-right:.3rem}
.reps td:not(:last-child),.reps th{white-space:nowrap}
"""

USER_COLOUR, GOLD_COLOUR, FAULT_COLOUR = "#1570ef", "#98a2b3", "#d92d20"
# The joints a cue's body part names, in the 24-joint skeleton.
PART_JOINTS = {"knee": ("left_knee", "right_knee"), "hip": ("left_hip", "right_hip", "pelvis"),
               "elbow": ("left_elbow", "right_elbow"), "shoulder": ("left_shoulder", "right_shoulder"),
               "arm_opening": ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow"),
               "trunk": ("pelvis", "spine3", "neck"), "body_line": ("pelvis",), "head": ("head",),
               "feet": ("left_ankle", "right_ankle", "left_foot", "right_foot"),
               "knee_tracking": ("left_knee", "right_knee")}
PART_WORDS = {"knee": "knees", "hip": "hips", "knee_tracking": "knee tracking", "elbow": "elbows",
              "shoulder": "arms", "trunk": "trunk", "body_line": "body line"}
# Where in a rep each phase of a cue is shown: a share of the way from its start to its midpoint (< 1)
# or from its midpoint to its end (> 1).
PHASE_POINT = {"start": 0.0, "descent": 0.5, "mid": 1.0, "overall": 1.0, "ascent": 1.5, "end": 2.0}
_DRAWN = [k for k in range(len(PARENTS)) if PARENTS[k] >= 0 and k not in (JOINT["left_hand"], JOINT["right_hand"])]


def phase_frame(segment, phase: str) -> int:
    """The frame of a rep (a RepSegment) at one of the coach's phases."""
    point = PHASE_POINT.get(phase, 1.0)
    if point <= 1.0:
        return int(round(segment.start + point * (segment.mid - segment.start)))
    return int(round(segment.mid + (point - 1.0) * (segment.end - segment.mid)))


# ----------------------------------------------------------------------------- skeleton drawings

def _mid(joints: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return joints[[JOINT[n] for n in names]].mean(axis=0)


def _view_axes(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, up, forward) of a pose: up is the world's vertical (a lean or a sagging hip stays visible),
    forward the horizontal way the front view looks from, left = up x forward.

    A standing body faces square to its hips' (else shoulders') left-right line. A lying body is seen
    along its length (mid-ankles to mid-shoulders, else pelvis to neck) from the head end, or from the
    feet when its left-right line says it faces that way (on its back). That line only picks the end: a
    tracker's hip line is narrow and, for a body lying side-on to the camera, nearly all depth, its
    worst-measured axis. A few degrees off (medians of 2-12 on real plank takes) swing its length, over a
    metre, into a front view a few decimetres across: long diagonals beside a synthesised reference
    whose line is exact. On its side (side plank) the line stands near vertical and tells no horizontal
    facing at all.
    """
    up = np.array([0.0, 1.0, 0.0])
    facing = np.zeros(3)   # square to the left-right line, as long as that line lies flat
    for a, b in (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")):
        side = joints[JOINT[a]] - joints[JOINT[b]]
        if np.isfinite(side).all() and np.linalg.norm(side) > 1e-6:
            side = side / np.linalg.norm(side)
            facing = np.cross(side - side[1] * up, up)
            break
    along, lying = np.zeros(3), 0.0
    for top, bottom in ((("left_shoulder", "right_shoulder"), ("left_ankle", "right_ankle")), (("neck",), ("pelvis",))):
        length = _mid(joints, top) - _mid(joints, bottom)
        if np.isfinite(length).all() and np.linalg.norm(length) > 1e-6:
            flat = (length - length[1] * up) / np.linalg.norm(length)
            if np.linalg.norm(flat) > 1e-6:
                # lying from 60 degrees off the vertical, standing up to 30: a squat's, a lunge's or a
                # deadlift's shoulders stay over the feet
                lying = float(np.clip((np.linalg.norm(flat) - 0.5) / (np.sqrt(0.75) - 0.5), 0.0, 1.0))
                along = flat / np.linalg.norm(flat)
                along = -along if facing @ along < -0.5 else along
            break
    if np.linalg.norm(facing) > 1e-6:
        facing = facing / np.linalg.norm(facing)
    forward = (1.0 - lying) * facing + lying * along
    if np.linalg.norm(forward) < 1e-6:
        return np.array([1.0, 0.0, 0.0]), up, np.array([0.0, 0.0, 1.0])
    forward = forward / np.linalg.norm(forward)
    return np.cross(up, forward), up, forward


def _project(joints: np.ndarray, view: str) -> np.ndarray:
    """(24, 2) a pose centred on the pelvis, in torso lengths, seen from the side or the front."""
    j = np.asarray(joints, dtype=float)
    centred = j - j[JOINT["pelvis"]]
    torso = np.linalg.norm(j[JOINT["neck"]] - j[JOINT["pelvis"]])
    centred = centred / (torso if np.isfinite(torso) and torso > 1e-6 else 1.0)
    left, up, forward = _view_axes(j)
    # the front view shows the person's left on the right, as a camera facing them does: up x forward is
    # the right hand of a viewer looking back along forward
    across = forward if view == "side" else left
    return np.stack([centred @ across, centred @ up], axis=1)


def skeletons_svg(user: np.ndarray, gold: np.ndarray | None, marked: tuple[str, ...] = (), size: int = 230
                  ) -> str:
    """Two views (side, front) of the person's pose and, over it, the reference pose; joints in `marked`
    (names) ringed. Both bodies scaled to the same torso length and turned to face the same way."""
    views = []
    for view in ("side", "front"):
        shapes = [(_project(user, view), USER_COLOUR, 3.2)]
        if gold is not None:
            shapes.insert(0, (_project(gold, view), GOLD_COLOUR, 4.5))
        points = np.concatenate([p for p, _, _ in shapes])
        points = points[np.isfinite(points).all(axis=1)]
        lo, hi = points.min(axis=0), points.max(axis=0)
        extent = max(float((hi - lo).max()), 1e-6)
        scale = (size - 30) / extent
        centre = (lo + hi) / 2

        def xy(p, scale=scale, centre=centre):
            return size / 2 + (p[0] - centre[0]) * scale, size / 2 - (p[1] - centre[1]) * scale

        parts = [f'<rect width="{size}" height="{size}" fill="#f8f9fb" rx="8"/>',
                 f'<text x="8" y="16" font-size="11" fill="#667085">{view} view</text>']
        for pose, colour, width in shapes:
            for k in _DRAWN:
                if np.isfinite(pose[[k, PARENTS[k]]]).all():
                    (x1, y1), (x2, y2) = xy(pose[k]), xy(pose[PARENTS[k]])
                    parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
                                 f'stroke-width="{width}" stroke-linecap="round" opacity="0.9"/>')
        user_pose = shapes[-1][0]
        for name in marked:
            p = user_pose[JOINT[name]]
            if np.isfinite(p).all():
                x, y = xy(p)
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="none" stroke="{FAULT_COLOUR}" '
                             'stroke-width="2.5"/>')
        views.append(f'<svg viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
                     f'aria-label="{view} view of your pose and the reference pose">{"".join(parts)}</svg>')
    return "".join(views)


def _legend(with_gold: bool) -> str:
    items = [f'<span><i class="swatch" style="background:{USER_COLOUR}"></i>you</span>']
    if with_gold:
        items.append(f'<span><i class="swatch" style="background:{GOLD_COLOUR}"></i>reference, same phase</span>')
    items.append(f'<span><i class="swatch" style="background:{FAULT_COLOUR}"></i>at fault</span>')
    return f'<div class="legend muted">{"".join(items)}</div>'


# ----------------------------------------------------------------------------- video stills

def _video_stills(video_path: Path, wanted: set[tuple[int, tuple[int, ...]]], seq) -> dict[tuple, str]:
    """(frame index, landmarks ringed) -> data URI of a JPEG of that frame with the skeleton drawn and
    those landmarks (the part at fault) ringed. Cues on the same rep share a frame, each with its part."""
    import cv2

    from gyml.pose.readers.video import iter_frames
    from gyml.report.overlay import draw_skeleton

    stills = {}
    if not wanted:
        return stills
    last = max(frame for frame, _ in wanted)
    for i, rgb in enumerate(iter_frames(Path(video_path), max_side=480)):
        for frame, marked in wanted:
            if frame != i:
                continue
            image = np.array(rgb)
            if seq.image_landmarks is not None and i < len(seq.image_landmarks) and seq.image_landmarks.shape[1] == 33:
                draw_skeleton(image, seq.image_landmarks[i], marked)
            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82])
            if ok:
                stills[(frame, marked)] = "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")
        if i >= last:
            break
    return stills


# ----------------------------------------------------------------------------- charts

def _rep_grid_svg(rows: list[dict], labels: list[str], cell, left: int, aria: str) -> str:
    """Reps across (a rep with a fault marked above its column), one row per label; `cell(row, metrics)`
    gives each cell's (fill, text, text colour)."""
    cell_w, cell_h, top = max(28, min(60, 760 // max(len(rows), 1))), 26, 34
    width, height = left + cell_w * len(rows) + 10, top + cell_h * len(labels) + 10
    out = [(f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{html.escape(aria)}">')]
    for c, m in enumerate(rows):
        x = left + c * cell_w
        colour = FAULT_COLOUR if m.get("faults") else "#475467"
        out.append(f'<text x="{x + cell_w / 2:.0f}" y="{top - 20}" font-size="11" text-anchor="middle" '
                   f'fill="{colour}">rep {m["rep"]}{" !" if m.get("faults") else ""}</text>')
    for r, label in enumerate(labels):
        y = top + r * cell_h
        out.append(f'<text x="{left - 8}" y="{y + cell_h / 2 + 4:.0f}" font-size="12" text-anchor="end" '
                   f'fill="#344054">{html.escape(label)}</text>')
        for c, m in enumerate(rows):
            fill, text, ink = cell(r, m)
            x = left + c * cell_w
            out.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" rx="3" fill="{fill}"/>'
                       f'<text x="{x + cell_w / 2:.0f}" y="{y + cell_h / 2 + 4:.0f}" font-size="11" '
                       f'text-anchor="middle" fill="{ink}">{text}</text>')
    out.append("</svg>")
    return "".join(out)


# The chart's body part a cue tells, by its kind (else by its joint, when that is a chart part): the chart's
# red has to mean what the cues said, or a red cell beside "good form" reads as a contradiction.
KIND_PARTS = {"knees_cave": "knee_tracking", "hips_sag": "body_line", "hips_pike": "body_line",
              "forward_lean": "trunk", "rounded_back": "trunk"}
CHART_PARTS = ("knee", "hip", "knee_tracking", "elbow", "shoulder", "trunk", "body_line")
TOLD_NONE = "#f5f7fa"        # the neutral scale: not told, darker the further from the reference
TOLD_FAR = (82, 104, 138)


def told_parts(feedback: list[dict]) -> dict[int, set[str]]:
    """rep -> the chart's body parts a fault or warning cue named on that rep (feedback as in the JSON)."""
    out: dict[int, set[str]] = {}
    for f in feedback:
        if f.get("severity") not in ("fault", "warn") or not f.get("kind"):
            continue
        kind, joint = f["kind"], f.get("joint")
        if kind == "posture_drift":
            # drift of the angle the set's posture is read on: the trunk standing, the body line lying
            # (named "hip" then)
            part = "body_line" if joint == "hip" else "trunk"
        else:
            part = KIND_PARTS.get(kind, joint)
        if part not in CHART_PARTS:
            continue
        for rep in f.get("reps") or ([f["rep"]] if f.get("rep") is not None else []):
            out.setdefault(rep, set()).add(part)
    return out


def deviation_chart_svg(metrics: list[dict], feedback: list[dict] = ()) -> str:
    """Reps across, body parts down: degrees each part strayed from the reference over the rep. A cell is
    red where a cue told that part on that rep (`feedback`, as in the JSON), else grey-blue, darker the
    further off: a rep praised as good form next to a red cell, or a dark red knee on a rep told nothing of
    its knees, contradicted the verdict. A rep with a fault is marked above its column."""
    rows = [m for m in metrics if m.get("deviation_deg")]
    if not rows:
        return ""
    told = told_parts(list(feedback))
    parts = [p for p in rows[0]["deviation_deg"]
             if any(m["deviation_deg"].get(p, 0) >= 1 or p in told.get(m["rep"], ()) for m in rows)]
    if not parts:
        return ""

    def cell(r: int, m: dict) -> tuple[str, str, str]:
        value = float(m["deviation_deg"].get(parts[r], 0.0))
        if parts[r] in told.get(m["rep"], ()):
            return FAULT_COLOUR, f"{value:.0f}", "#fff"
        return _neutral(value), f"{value:.0f}", "#fff" if value > 18 else "#101828"

    return _rep_grid_svg(rows, [PART_WORDS.get(p, p) for p in parts], cell, 90,
                         "degrees from the reference per rep and body part; red where a cue told that part")


def _neutral(value: float) -> str:
    """The grey-blue of a cell not told: light at 0 degrees, darkest from 30."""
    strength = min(1.0, max(value, 0.0) / 30.0)
    light = tuple(int(TOLD_NONE[i:i + 2], 16) for i in (1, 3, 5))
    return "rgb({},{},{})".format(*(round(a + (b - a) * strength) for a, b in zip(light, TOLD_FAR)))


def deviation_legend() -> str:
    """The chart's one-line key."""
    return ('<div class="legend muted" style="margin-bottom:.4rem">degrees from the reference · '
            f'<i class="swatch" style="background:{FAULT_COLOUR}"></i>a part told on that rep · '
            f'<i class="swatch" style="background:{_neutral(8)}"></i><i class="swatch" '
            f'style="background:{_neutral(30)}"></i>not told (darker: further) · <b class="fault">!</b> a rep '
            'with a fault</div>')


LIMIT_WORDS = {"hips_sag": "hips sag", "hips_pike": "hips pike", "knees_bent": "knees bent",
               "head_dropped": "head", "shallow": "depth", "elbows_flare": "elbows flare"}


def video_checks_chart_svg(metrics: list[dict], limits: dict) -> str:
    """Reps across, the checks judged on video down: degrees beyond the reference over the rep against
    each check's limit (red past it); a check not judged on a rep (its joints unseen) is a dash. These
    are the numbers the verdict is made on, so the chart and the cues agree."""
    rows = [m for m in metrics if m.get("deviations")]
    kinds = [k for k in limits if k != "shallow" and any(k in m["deviations"] for m in rows)]
    if not rows or not kinds:
        return ""

    def cell(r: int, m: dict) -> tuple[str, str, str]:
        value, limit = m["deviations"].get(kinds[r]), float(limits[kinds[r]])
        if value is None:
            return "#f2f4f7", "–", "#667085"
        if value > limit:
            return FAULT_COLOUR, f"{value:.0f}", "#fff"
        strength = min(1.0, max(value, 0.0) / max(limit, 1e-6))
        return (f"rgb({255 - int(20 * strength)},{255 - int(60 * strength)},{255 - int(70 * strength)})",
                f"{value:.0f}", "#101828")

    labels = [f"{LIMIT_WORDS.get(k, k)} (limit {float(limits[k]):.0f}°)" for k in kinds]
    return _rep_grid_svg(rows, labels, cell, 150, "degrees beyond the reference per rep and check, against each "
                         "check's limit")


def coached_spans(analysis: dict) -> list[dict]:
    """The reps of an analysis (its JSON) as the coach measured them: each counted segment's start, mid
    (the turning point) and end taken from its rep_metrics' frames where it has them, else the count's.
    The timeline, the rep table and the fault pictures all place a rep there: a timeline marking rep 1 at
    1.8 s beside a table and a picture at 2.6 s read as two different reps."""
    frames = {m["rep"]: m["frames"] for m in analysis.get("rep_metrics", []) if m.get("frames")}
    return [{**seg, "start": frames[seg["index"]]["start"], "mid": frames[seg["index"]]["turn"],
             "end": frames[seg["index"]]["end"]} if seg["index"] in frames else dict(seg)
            for seg in analysis["reps"].get("segments", [])]


def _seconds_axis(total: float, x_of_seconds, y: float, right: float) -> str:
    step = max(1, int(np.ceil(total / 10)))
    return "".join(f'<text x="{min(x_of_seconds(sec), right - 24):.1f}" y="{y}" font-size="11" '
                   f'fill="#667085">{sec} s</text>' for sec in range(0, int(total) + 1, step))


def timeline_svg(signal: np.ndarray, segments: list[dict], times: np.ndarray, faulty: set[int] = frozenset(),
                 width: int = 900, height: int = 160, holds: list[dict] = ()) -> str:
    """The motion signal the reps were counted on, each rep shaded (red: a rep with a fault) from its start
    to its end, with its number at its turning point (`mid`); seconds along the bottom (by the frames' own
    timestamps). `holds`: holds beside the reps (as in the JSON, with a `title`), shaded and named."""
    if signal is None or len(signal) < 2:
        return ""
    s = np.asarray(signal, dtype=float)
    t = np.asarray(times, dtype=float)
    t = t - t[0]
    total = float(t[-1]) or 1.0
    finite = s[np.isfinite(s)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    span = hi - lo or 1.0
    n = len(s)

    def x_of(frame: int) -> float:
        return float(t[min(max(frame, 0), n - 1)]) / total * width

    xs = [i for i in range(0, n, max(1, n // 900)) if np.isfinite(s[i])]
    pts = " ".join(f"{x_of(i):.1f},{height - 10 - (s[i] - lo) / span * (height - 30):.1f}" for i in xs)
    bands = []
    for h in holds:
        if h.get("start_s") is None:
            continue
        x0, x1 = h["start_s"] / total * width, h["end_s"] / total * width
        bands.append(f'<g><title>{html.escape(h.get("title", "hold"))}: {h["start_s"]:.1f} s to {h["end_s"]:.1f} s'
                     f'</title><rect x="{x0:.1f}" y="0" width="{max(x1 - x0, 1):.1f}" height="{height}" '
                     f'fill="#eff8ff"/><text x="{x0 + 4:.1f}" y="14" font-size="11" fill="#175cd3">'
                     f'{html.escape(h.get("title", "hold"))}</text></g>')
    for seg in segments:
        x0, x1, xm = x_of(seg["start"]), x_of(seg["end"]), x_of(seg["mid"])
        bad = seg["index"] in faulty
        fill = ("#fee4e2" if seg["index"] % 2 else "#fef3f2") if bad else ("#d1fadf" if seg["index"] % 2 else "#ecfdf3")
        ink = "#b42318" if bad else "#027a48"
        when = (f'rep {seg["index"]}: {t[min(seg["start"], n - 1)]:.1f} s to {t[min(seg["end"], n - 1)]:.1f} s, '
                f'turning at {t[min(seg["mid"], n - 1)]:.1f} s')
        bands.append(f'<g><title>{when}</title>'
                     f'<rect x="{x0:.1f}" y="0" width="{max(x1 - x0, 1):.1f}" height="{height}" fill="{fill}"/>'
                     f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="0" y2="{height}" stroke="{ink}" stroke-dasharray="3 3"/>'
                     f'<text x="{xm + 3:.1f}" y="14" font-size="11" fill="{ink}">{seg["index"]}</text></g>')
    ticks = _seconds_axis(total, lambda sec: sec / total * width, height + 14, width)
    return (f'<svg viewBox="0 0 {width} {height + 18}" width="100%" role="img" '
            f'aria-label="motion signal with repetitions">{"".join(bands)}'
            f'<polyline points="{pts}" fill="none" stroke="#344054" stroke-width="1.5"/>{ticks}</svg>')


# What a hold's timeline line shows: the signal its first check reads (gyml.coach.holds.coach_hold).
HOLD_SIGNAL_WORDS = {"hip_line": "hip angle", "hip_side": "hip drop", "thigh": "thigh angle", "knees": "knee bend"}


def hold_timeline_svg(hold: dict, times: np.ndarray, signal: np.ndarray | None = None, width: int = 900) -> str:
    """A hold over the recording: the hold shaded from its start to its end, each stretch of faulty posture
    a bar in its fault's row (red: fault, amber: milder), and under them, when the hold's signal is given,
    the posture its first check reads (hip angle in a plank) over the hold against the reference and the
    limits its faults are told past; seconds along the bottom. (The signal outside the hold is the body
    getting into position: drawn, it squashed the hold's own line flat under a spike.)"""
    from gyml.coach.holds import checks_for, fault_words

    t = np.asarray(times, dtype=float)
    if hold.get("start_s") is None or len(t) < 2:
        return ""
    t = t - t[0]
    total = max(float(t[-1]), float(hold["end_s"])) or 1.0
    left, right = 130, width - 12
    said = fault_words(hold["exercise"])
    faults = list(dict.fromkeys(s["fault"] for s in hold.get("segments", [])))
    lane, top = 24, 22
    _, checks = checks_for(hold["exercise"])
    main = checks[0].signal
    reference = (hold.get("reference_values") or {}).get(main)
    inside = (t >= hold["start_s"]) & (t <= hold["end_s"])
    line_s = None
    if signal is not None and len(signal) == len(t) and reference is not None:
        line_s = np.asarray(signal, dtype=float)
        if not np.isfinite(line_s[inside]).any():
            line_s = None
    plot_top = top + lane * max(len(faults), 1) + 10
    plot_h = 110 if line_s is not None else 0
    height = plot_top + plot_h + 6

    def x_of(sec: float) -> float:
        return left + min(max(sec, 0.0), total) / total * (right - left)

    x0, x1 = x_of(hold["start_s"]), x_of(hold["end_s"])
    out = [f'<rect x="{x0:.1f}" y="0" width="{max(x1 - x0, 1):.1f}" height="{height}" fill="#eff8ff"/>',
           (f'<text x="{x0 + 4:.1f}" y="14" font-size="11" fill="#175cd3">held {hold["start_s"]:.1f}-'
            f'{hold["end_s"]:.1f} s</text>')]
    for r, fault in enumerate(faults):
        y = top + r * lane
        out.append(f'<text x="{left - 8}" y="{y + lane / 2 + 4:.0f}" font-size="12" text-anchor="end" '
                   f'fill="#344054">{html.escape(said.get(fault, fault.replace("_", " ")))}</text>')
        for s in (s for s in hold["segments"] if s["fault"] == fault):
            a, b = x_of(s["start_s"]), x_of(s["end_s"])
            colour = FAULT_COLOUR if s["severity"] == "fault" else "#f79009"
            text = f'{s["start_s"]:.1f}-{s["end_s"]:.1f} s'
            label = (f'<text x="{(a + b) / 2:.1f}" y="{y + lane / 2 + 4:.0f}" font-size="11" text-anchor="middle" '
                     f'fill="#fff">{text}</text>') if b - a > 7 * len(text) else ""
            out.append(f'<g><title>{html.escape(said.get(fault, fault))}: {text} ({html.escape(s["severity"])})'
                       f'</title><rect x="{a:.1f}" y="{y + 2}" width="{max(b - a, 2):.1f}" height="{lane - 4}" rx="3" '
                       f'fill="{colour}"/>{label}</g>')
    if not faults:
        out.append(f'<text x="{left - 8}" y="{top + lane / 2 + 4:.0f}" font-size="12" text-anchor="end" '
                   'fill="#027a48">no fault</text>')
    if line_s is not None:
        limits = [(reference + c.direction * c.tolerance, said.get(c.fault, c.fault.replace("_", " ")))
                  for c in checks if c.signal == main and c.fault not in (hold.get("skipped_checks") or {})
                  and (not c.gold_only or hold.get("reference") == "gold")]
        values = line_s[inside][np.isfinite(line_s[inside])]
        lo = min(float(np.percentile(values, 1)), reference, *(v for v, _ in limits))
        hi = max(float(np.percentile(values, 99)), reference, *(v for v, _ in limits))
        lo, hi = lo - 0.05 * (hi - lo or 1.0), hi + 0.05 * (hi - lo or 1.0)

        def y_of(v: float) -> float:
            return plot_top + (hi - min(max(v, lo), hi)) / (hi - lo) * plot_h

        frames = np.flatnonzero(inside & np.isfinite(line_s))
        frames = frames[::max(1, len(frames) // 900)]
        pts = " ".join(f"{x_of(t[i]):.1f},{y_of(line_s[i]):.1f}" for i in frames)
        words = HOLD_SIGNAL_WORDS.get(main, main.replace("_", " "))
        out.append(f'<text x="{left - 8}" y="{plot_top + 12}" font-size="11" text-anchor="end" fill="#344054">'
                   f'{html.escape(words)}</text><text x="{left - 8}" y="{plot_top + 26}" font-size="11" '
                   'text-anchor="end" fill="#667085">degrees</text>')
        for value, name, colour, dash in [(reference, "reference", "#667085", "5 3"),
                                          *((v, f"{n} past here", FAULT_COLOUR, "2 3") for v, n in limits)]:
            y = y_of(value)
            out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" '
                       f'stroke-dasharray="{dash}"/><text x="{right - 4}" y="{y - 3:.1f}" font-size="10" '
                       f'text-anchor="end" fill="{colour}">{html.escape(name)} ({value:.0f}°)</text>')
        out.append(f'<polyline points="{pts}" fill="none" stroke="#344054" stroke-width="1.5"/>')
    out.append(_seconds_axis(total, x_of, height + 14, right))
    return (f'<svg viewBox="0 0 {width} {height + 18}" width="100%" role="img" aria-label="the hold and its '
            f'stretches of faulty posture over time">{"".join(out)}</svg>')


# ----------------------------------------------------------------------------- the report

def _fault_cards(result, video_path: Path | None) -> str:
    a = result.analysis
    seq = result.sequence
    from gyml.report.overlay import coached_segments

    segments = coached_segments(result)   # shown where the coach measured each rep
    gold, gold_reps = result.gold, result.gold_reps
    gold_segment = gold_reps.segments[len(gold_reps.segments) // 2] if gold_reps and gold_reps.segments else None
    gold_joints = None
    if gold is not None and gold_segment is not None:
        from gyml.pose.kinematics import Kinematics
        gold_joints = Kinematics(gold).filled_joints
    user_joints = (result.kinematics or _kinematics(seq)).filled_joints
    cues = []
    for f in a.feedback:
        if f.severity != "fault":
            continue
        reps = f.reps or ([f.rep] if f.rep is not None else [])
        reps = [r for r in reps if r in segments][:2]   # the first two reps it names are shown
        if reps:
            cues.append((f, reps))
    if not cues:
        return ""
    from gyml.report.overlay import PART_LANDMARKS
    wanted = {(phase_frame(segments[r], f.phase), PART_LANDMARKS.get(f.joint or "", ())) for f, reps in cues for r in reps}
    stills = _video_stills(video_path, wanted, seq) if video_path is not None else {}
    times = seq.frame_times()
    cards = []
    for f, reps in cues:
        marked = PART_JOINTS.get(f.joint or "", ())
        figures = []
        for r in reps:
            frame = phase_frame(segments[r], f.phase)
            gold_pose = None
            if gold_joints is not None:
                gold_pose = gold_joints[phase_frame(gold_segment, f.phase)]
            figures.append(_figures(stills.get((frame, PART_LANDMARKS.get(f.joint or "", ()))), user_joints[frame],
                                    gold_pose, marked, f"rep {r}, {times[frame]:.1f} s", "the reference"))
        cards.append(_card("fault", f.message, figures, gold_joints is not None))
    return "".join(cards)


def _figures(still: str | None, user_pose: np.ndarray, reference_pose: np.ndarray | None, marked: tuple[str, ...],
             when: str, reference_words: str) -> str:
    """One moment of a cue: the video's frame (when there is one) and the body beside the reference."""
    out = f'<figure><img src="{still}" alt="your frame, {when}"><figcaption>your video, {when}</figcaption></figure>' \
        if still else ""
    who = f"you and {reference_words}" if reference_pose is not None else "you"
    return out + (f'<figure>{skeletons_svg(user_pose, reference_pose, marked)}'
                  f'<figcaption>{who}, {when}</figcaption></figure>')


def _card(severity: str, message: str, figures: list[str], with_reference: bool) -> str:
    return (f'<div class="card"><h2 class="{html.escape(severity)}">{html.escape(message)}</h2>'
            f'<div class="cue">{"".join(figures)}</div>{_legend(with_reference)}</div>')


def _hold_cards(result, video_path: Path | None) -> str:
    """A hold's faults shown like a rep's: for each, the body at the middle of its longest stretch, beside
    the reference hold, the part at fault ringed (and the video's frame, for a video)."""
    a = result.analysis
    stretches = (a.extras.get("hold") or {}).get("segments") or []
    cues = {f.kind: f for f in a.feedback if f.kind and f.severity in ("fault", "warn")}
    if not stretches or not cues or a.exercise is None:
        return ""
    from gyml.coach.holds import reference_pose
    from gyml.report.overlay import PART_LANDMARKS
    longest = {}
    for s in stretches:
        if s["fault"] not in longest or s["end_s"] - s["start_s"] > longest[s["fault"]]["end_s"] - longest[s["fault"]]["start_s"]:
            longest[s["fault"]] = s
    times = result.sequence.frame_times()
    frames = {fault: int(min(np.searchsorted(times, 0.5 * (s["start_s"] + s["end_s"])), len(times) - 1))
              for fault, s in longest.items() if fault in cues}
    wanted = {(frame, PART_LANDMARKS.get(cues[fault].joint or "", ())) for fault, frame in frames.items()}
    stills = _video_stills(video_path, wanted, result.sequence) if video_path is not None else {}
    reference = reference_pose(a.exercise.label, result.gold)
    user_joints = (result.kinematics or _kinematics(result.sequence)).filled_joints
    cards = []
    for fault, frame in frames.items():
        f, s = cues[fault], longest[fault]
        when = f"{times[frame]:.1f} s, in the middle of {s['start_s']:.1f}-{s['end_s']:.1f} s"
        figures = _figures(stills.get((frame, PART_LANDMARKS.get(f.joint or "", ()))), user_joints[frame], reference,
                           PART_JOINTS.get(f.joint or "", ()), when, "the reference hold")
        cards.append(_card(f.severity, f.message, [figures], reference is not None))
    return "".join(cards)


def _kinematics(seq):
    from gyml.pose.kinematics import Kinematics
    return Kinematics(seq)


def render_report(result, video_path: str | Path | None = None) -> str:
    """The report of a pipeline AnalysisResult as one self-contained HTML page. With `video_path` (the
    video the poses came from), each cue shows the person's own frame with the skeleton drawn."""
    a = result.analysis
    d = a.to_dict()
    metrics = d.get("rep_metrics", [])
    faulty = {m["rep"] for m in metrics if m.get("faults")}
    faulty |= {r for f in a.feedback if f.severity == "fault" for r in (f.reps or ([f.rep] if f.rep else []))}
    video = Path(video_path) if video_path is not None and result.sequence.image_landmarks is not None else None
    if video is not None:
        from gyml.pose.readers import sniff_format
        if sniff_format(video) != "video":   # a pose file (e.g. from `gyml extract`): drawings only
            video = None
    sections = [_fault_cards(result, video), _hold_cards(result, video)]
    limits = (d.get("coach") or {}).get("video_limits")
    chart = video_checks_chart_svg(metrics, limits) if limits else ""
    if chart:
        # a real body on video is judged by learned checks over the whole rep, not by the textbook gaps
        sections.append('<div class="card"><h2>How far each rep strayed, on the checks judged on video</h2>'
                        '<div class="muted">degrees beyond the reference over the rep, against each check\'s limit '
                        '(red: past it; a dash: not judged, the joints unseen); '
                        f'<span class="fault">!</span> marks a rep with a fault</div>{chart}</div>')
    elif chart := deviation_chart_svg(metrics, d["feedback"]):
        sections.append('<div class="card"><h2>How far each rep strayed from the reference</h2>'
                        f'{deviation_legend()}{chart}</div>')
    times = result.sequence.frame_times()
    return _page(d, _timeline(d, result.reps.signal, times, faulty), "".join(sections), times)


def render_html(analysis: Analysis, signal: np.ndarray | None = None) -> str:
    """The report of an `Analysis` record alone (no poses: no pictures)."""
    d = analysis.to_dict()
    times = np.arange(d["frames"]) / d["fps"]
    return _page(d, _timeline(d, signal, times), "", times)


def _timeline(d: dict, signal: np.ndarray | None, times: np.ndarray, faulty: set[int] = frozenset()) -> str:
    """A hold's timeline (its span and stretches of faulty posture), else the set's: the reps where the coach
    measured them, a hold beside them shaded."""
    if d.get("hold"):
        return hold_timeline_svg(d["hold"], times, signal)
    if signal is None:
        return ""
    from gyml.coach.holds import hold_title
    holds = [{**h, "title": f'{hold_title(h["exercise"]).lower()} {h["when"]} the reps'}
             for h in d.get("holds_beside_reps", [])]
    return timeline_svg(signal, coached_spans(d), times, faulty, holds=holds)


# A fault in the rep table, in the words its cue uses (shortened): "not deep enough", not "shallow".
FAULT_TABLE_WORDS = {"shallow": "not deep enough", "partial_range": "short of the full range",
                     "knees_cave": "knees fall inwards", "hips_sag": "hips sag", "hips_pike": "hips rise",
                     "rounded_back": "back rounds", "forward_lean": "trunk leans forward",
                     "elbows_flare": "elbows flare", "asymmetric_arms": "uneven sides", "too_fast": "rushed",
                     "knees_bent": "knees bend", "head_dropped": "head out of line", "not_low_enough": "hips stop high",
                     "stride_long": "step too long", "stride_short": "step too short", "stance_wide": "feet too wide",
                     "stance_narrow": "feet too narrow", "heels_rise": "heels lift", "off_balance": "trunk sways"}


def faults_text(fault_phases: dict[str, str], exercise: str | None) -> str:
    """A rep's faults and when they were, as its cues say them, those of one moment together: "not deep
    enough (at the bottom)", "hips sag, knees bend (over the rep)"; "at the top" for an exercise that turns
    at its top (as gyml.coach.feedback.phrase words it)."""
    from gyml.coach.feedback import TOP_MIDPOINT, moment_words

    words = moment_words(exercise)
    by_moment: dict[str, list[str]] = {}
    for kind, phase in fault_phases.items():
        when = words.get(phase, phase)
        if exercise in TOP_MIDPOINT and kind == "shallow":   # told as short of the range there
            kind = "partial_range"
        by_moment.setdefault(when, []).append(FAULT_TABLE_WORDS.get(kind, kind.replace("_", " ")))
    return "; ".join(f'{", ".join(words)} ({when})' for when, words in by_moment.items())


def reference_line(a: dict) -> str:
    """What a rep set was held against (coach.gold, coach.reference): "Reference: lunge_good.csv (your
    gold)", "Reference: the built-in squat, and your own best reps". A hold says its own in its card."""
    coach = a.get("coach") or {}
    if a.get("hold") or not coach:
        return ""
    gold = coach.get("gold") or {}
    said = coach.get("reference") or ""
    if gold.get("source") == "file":
        what = f'{gold.get("name") or "your file"} (your gold)'
    elif gold.get("source") == "library":
        what = f'{gold.get("name") or "your stored gold"} (your gold, from your library)'
    elif gold.get("source") == "builtin":
        from gyml.synth.catalog import CATALOG
        label = gold.get("exercise") or (a.get("exercise") or {}).get("label") or ""
        what = "the built-in " + (CATALOG[label].name.lower() if label in CATALOG else label.replace("_", " ") or "reference")
        if "best reps" in said:   # without a gold of the person's, the set's own best reps judge fatigue
            what += ", and your own best reps"
    elif said:
        what = said
    else:
        return ""
    return f'<p class="muted">Reference: {html.escape(what)}</p>'


def _page(a: dict, timeline: str, pictures: str, times: np.ndarray) -> str:
    esc = html.escape
    exercise = a["exercise"]
    ex_text = esc(exercise_text(exercise))
    reps = a["reps"]
    metrics = {m["rep"]: m for m in a.get("rep_metrics", [])}

    def at(frame: int) -> str:
        return f"{times[min(max(frame, 0), len(times) - 1)]:.1f} s" if len(times) else ""

    rows = []
    label = (exercise or {}).get("label")
    # the frames the coach measured each rep on (where "at the bottom" cues and their pictures are, and what
    # its down / up seconds are read between), not the counter's: a table saying 1.8 s beside a fault
    # pictured at 2.6 s confused, and start / turn / end beside another rep's tempo contradicted it
    for seg in coached_spans(a):
        m = metrics.get(seg["index"], {})
        score = m.get("score")
        t = m.get("tempo_s", {})
        tempo = f'{t["down"]:.1f} / {t["up"]:.1f} s' if t else ""
        faults = faults_text(m.get("fault_phases", {}), label)
        rows.append(f'<tr><td>{seg["index"]}</td><td>{at(seg["start"])}</td><td>{at(seg["mid"])}</td>'
                    f'<td>{at(seg["end"])}</td><td>{seg.get("confidence", 1):.2f}</td>'
                    f'<td>{"" if score is None else score}</td><td>{tempo}</td><td>{esc(faults)}</td></tr>')
    fb = "".join(f'<li class="{esc(f["severity"])}"><b>{esc(f["severity"])}</b> — {esc(f["message"])}</li>'
                 for f in a["feedback"]) or "<li>No feedback.</li>"
    # as the summary counts them: kinds of fault (a hold's milder stretches, "warn", are faults of posture too)
    if a.get("hold"):
        n_faults = len({s["fault"] for s in a["hold"].get("segments", [])})
    else:
        n_faults = len({(f["kind"], f["joint"]) for f in a["feedback"] if f["severity"] == "fault"})
    if a.get("hold"):
        hold_card = _hold_card(a["hold"])
    else:   # a hold before or after the reps (push-ups, then a plank)
        from gyml.coach.holds import hold_title
        hold_card = "".join(_hold_card(h, f'{hold_title(h["exercise"])} {h["when"]} the reps')
                            for h in a.get("holds_beside_reps", []))
    # a hold is timed, not counted: its time under tension where a set shows its count
    count_card = (f'<div class="card"><div class="muted">Held</div><div class="big">'
                  f'{a["hold"].get("time_under_tension_s") or 0:.1f} s</div><div class="muted">in good form '
                  f'{a["hold"].get("good_form_s") or 0:.1f} s</div></div>' if a.get("hold") else
                  f'<div class="card"><div class="muted">Repetitions</div><div class="big">{reps["count"]}</div>'
                  f'<div class="muted">method: {esc(reps["method"])}</div></div>')
    reps_card = "" if a.get("hold") else (
        '<div class="card"><h2>Repetitions</h2><table class="reps"><tr><th>#</th><th>start</th><th>turn</th><th>end</th>'
        '<th>confidence</th><th>score</th><th>down / up</th><th>faults</th></tr>' + "".join(rows) + "</table></div>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>gyml report — {esc(Path(a["input"]).name)}</title>
<style>{_CSS}</style></head><body>
<h1>gyml report</h1><div class="muted">{esc(Path(a["input"]).name)} · {a["frames"]} frames at {a["fps"]:.1f} fps · source: {esc(a["source"])}</div>
<div class="grid"><div class="card"><div class="muted">Exercise</div><div class="big" style="font-size:1.4rem">{ex_text}</div></div>
{count_card}
<div class="card"><div class="muted">Form issues</div><div class="big{" fault" if n_faults else ""}">{n_faults}</div></div></div>
<div class="card"><b>Summary</b><p>{esc(a["summary"])}</p>{reference_line(a)}<ul>{fb}</ul></div>{hold_card}
{pictures}
{f'<div class="card"><h2>Timeline</h2>{timeline}</div>' if timeline else ""}
{reps_card}
<p class="muted">Made by gyml, offline.</p></body></html>"""


def write_report(result, path: str | Path, video_path: str | Path | None = None) -> Path:
    text = render_report(result, video_path)
    write_atomically(Path(path), lambda fh: fh.write(text), mode="w")
    return Path(path)


def _hold_card(hold: dict, title: str = "Hold") -> str:
    """A hold's times and its stretches of faulty posture (holds have no reps)."""
    from gyml.coach.holds import fault_words
    if hold.get("start_s") is None:
        return '<div class="card"><b>Hold</b><p>No hold found.</p></div>'
    title = html.escape(title)
    said = fault_words(hold["exercise"])
    rows = "".join(f'<tr><td>{html.escape(said.get(s["fault"], s["fault"].replace("_", " ")))}</td>'
                   f'<td>{s["start_s"]:.1f} s</td>'
                   f'<td>{s["end_s"]:.1f} s</td><td>{html.escape(s["severity"])}</td></tr>'
                   for s in hold.get("segments", []))
    return (f'<div class="card"><b>{title}</b><p>{hold["start_s"]:.1f} s to {hold["end_s"]:.1f} s: '
            f'{hold["time_under_tension_s"]:.1f} s under tension, {hold["good_form_s"]:.1f} s in good form '
            f'(reference: {html.escape(hold.get("reference", ""))}).</p>'
            + (f'<table><tr><th>fault</th><th>from</th><th>to</th><th>severity</th></tr>{rows}</table>' if rows
               else '<p>No posture fault over the hold.</p>') + '</div>')


def write_html(analysis: Analysis, path: str | Path, signal: np.ndarray | None = None) -> Path:
    text = render_html(analysis, signal)
    write_atomically(Path(path), lambda fh: fh.write(text), mode="w")
    return Path(path)
