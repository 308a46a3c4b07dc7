"""A self-contained HTML report (no external assets): summary, rep timeline, feedback."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from gyml.pose.sequence import write_atomically
from gyml.report.analysis import Analysis

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;
color:#1d2330;background:#fafbfc}
h1{font-size:1.6rem;margin-bottom:.2rem}.muted{color:#667085}.card{background:#fff;border:1px solid #e4e7ec;
border-radius:10px;padding:1rem 1.25rem;margin:1rem 0}.big{font-size:2.4rem;font-weight:700}
table{border-collapse:collapse;width:100%}td,th{padding:.35rem .5rem;border-bottom:1px solid #eef0f3;text-align:left}
.fault{color:#b42318}.warn{color:#b54708}.info{color:#175cd3}.grid{display:flex;gap:1rem;flex-wrap:wrap}
.grid .card{flex:1;min-width:180px}
"""


def _timeline_svg(signal: np.ndarray, segments: list[dict], fps: float, width: int = 900, height: int = 160) -> str:
    if signal is None or len(signal) < 2:
        return ""
    s = np.asarray(signal, dtype=float)
    lo, hi = float(np.nanmin(s)), float(np.nanmax(s))
    span = hi - lo or 1.0
    n = len(s)
    step = max(1, n // 900)
    xs = np.arange(0, n, step)
    pts = " ".join(f"{x * width / (n - 1):.1f},{height - 10 - (s[x] - lo) / span * (height - 30):.1f}" for x in xs)
    bands = []
    for seg in segments:
        x0, x1 = seg["start"] * width / (n - 1), seg["end"] * width / (n - 1)
        xm = seg["mid"] * width / (n - 1)
        bands.append(f'<rect x="{x0:.1f}" y="0" width="{max(x1 - x0, 1):.1f}" height="{height}" '
                     f'fill="{"#d1fadf" if seg["index"] % 2 else "#ecfdf3"}"/>'
                     f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="0" y2="{height}" stroke="#12b76a" stroke-dasharray="3 3"/>'
                     f'<text x="{xm + 3:.1f}" y="14" font-size="11" fill="#027a48">{seg["index"]}</text>')
    seconds = n / fps
    return (f'<svg viewBox="0 0 {width} {height + 16}" width="100%" role="img" '
            f'aria-label="motion signal with repetitions">{"".join(bands)}'
            f'<polyline points="{pts}" fill="none" stroke="#344054" stroke-width="1.5"/>'
            f'<text x="0" y="{height + 14}" font-size="11" fill="#667085">0 s</text>'
            f'<text x="{width - 40}" y="{height + 14}" font-size="11" fill="#667085">{seconds:.1f} s</text></svg>')


def render_html(analysis: Analysis, signal: np.ndarray | None = None) -> str:
    a = analysis.to_dict()
    esc = html.escape
    exercise = a["exercise"]
    ex_text = "not recognised" if exercise is None else f'{esc(exercise["name"])} ({exercise["confidence"]:.0%})'
    reps = a["reps"]
    rows = []
    metrics = {m["rep"]: m for m in a.get("rep_metrics", [])}
    for seg in reps.get("segments", []):
        m = metrics.get(seg["index"], {})
        score = m.get("score")
        t = m.get("tempo_s", {})
        tempo = f'{t["down"]:.1f} / {t["up"]:.1f} s' if t else ""
        faults = ", ".join(f'{k.replace("_", " ")} ({p})' for k, p in m.get("fault_phases", {}).items())
        rows.append(
            f'<tr><td>{seg["index"]}</td><td>{seg["start"] / a["fps"]:.1f} s</td><td>{seg["mid"] / a["fps"]:.1f} s</td>'
            f'<td>{seg["end"] / a["fps"]:.1f} s</td><td>{seg.get("confidence", 1):.2f}</td>'
            f'<td>{"" if score is None else score}</td><td>{tempo}</td><td>{esc(faults)}</td></tr>')
    fb = "".join(
        f'<li class="{esc(f["severity"])}"><b>{esc(f["severity"])}</b> — {esc(f["message"])}</li>'
        for f in a["feedback"]) or "<li>No feedback.</li>"
    svg = _timeline_svg(signal, reps.get("segments", []), a["fps"]) if signal is not None else ""
    hold_card = _hold_card(a["hold"]) if a.get("hold") else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>gyml report — {esc(Path(a["input"]).name)}</title>
<style>{_CSS}</style></head><body>
<h1>gyml report</h1><div class="muted">{esc(a["input"])} · {a["frames"]} frames at {a["fps"]:.1f} fps · source: {esc(a["source"])}</div>
<div class="grid"><div class="card"><div class="muted">Exercise</div><div class="big" style="font-size:1.4rem">{ex_text}</div></div>
<div class="card"><div class="muted">Repetitions</div><div class="big">{reps["count"]}</div><div class="muted">method: {esc(reps["method"])}</div></div></div>
<div class="card"><b>Summary</b><p>{esc(a["summary"])}</p></div>
<div class="card"><b>Timeline</b>{svg}</div>
<div class="card"><b>Coaching</b><ul>{fb}</ul></div>{hold_card}
<div class="card"><b>Repetitions</b><table><tr><th>#</th><th>start</th><th>mid</th><th>end</th><th>confidence</th><th>score</th><th>down / up</th><th>faults</th></tr>
{"".join(rows)}</table></div>
<p class="muted">Made by gyml.</p></body></html>"""


def _hold_card(hold: dict) -> str:
    """A hold's times and its stretches of faulty posture (holds have no reps)."""
    if hold.get("start_s") is None:
        return '<div class="card"><b>Hold</b><p>No hold found.</p></div>'
    rows = "".join(f'<tr><td>{html.escape(s["fault"].replace("_", " "))}</td><td>{s["start_s"]:.1f} s</td>'
                   f'<td>{s["end_s"]:.1f} s</td><td>{html.escape(s["severity"])}</td></tr>'
                   for s in hold.get("segments", []))
    return (f'<div class="card"><b>Hold</b><p>{hold["start_s"]:.1f} s to {hold["end_s"]:.1f} s: '
            f'{hold["time_under_tension_s"]:.1f} s under tension, {hold["good_form_s"]:.1f} s in good form '
            f'(reference: {html.escape(hold.get("reference", ""))}).</p><table><tr><th>fault</th><th>from</th>'
            f'<th>to</th><th>severity</th></tr>{rows}</table></div>')


def write_html(analysis: Analysis, path: str | Path, signal: np.ndarray | None = None) -> Path:
    text = render_html(analysis, signal)
    write_atomically(Path(path), lambda fh: fh.write(text), mode="w")
    return Path(path)
