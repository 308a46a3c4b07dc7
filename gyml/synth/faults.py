"""Form faults that can be planted on chosen reps, with what each one changes.

Each fault edits a rep's key pose at its midpoint (or its timing); `joints` names the body parts a
coach would point at, so tests can check that a fault changes what it claims to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gyml.errors import GymlError


@dataclass(frozen=True)
class Fault:
    kind: str
    description: str
    joints: tuple[str, ...]
    edit: Callable[[dict, dict], dict]  # (rest pose, mid pose) -> faulty mid pose
    tempo: float = 1.0                   # rep duration factor


def _toward_rest(share: float, keys: tuple[str, ...] | None = None):
    """Keep only `share` of the movement from rest to mid (for the named degrees of freedom)."""
    def edit(rest: dict, mid: dict) -> dict:
        out = dict(mid)
        for k in (keys or tuple(mid)):
            if k in mid:
                out[k] = rest.get(k, 0.0) + share * (mid[k] - rest.get(k, 0.0))
        return out
    return edit


def _add(**deltas: float):
    def edit(rest: dict, mid: dict) -> dict:
        out = dict(mid)
        for k, v in deltas.items():
            out[k] = out.get(k, rest.get(k, 0.0)) + v
        return out
    return edit


def _one_arm(share: float):
    def edit(rest: dict, mid: dict) -> dict:
        out = dict(mid)
        for k in ("sh_elev_r", "elbow_r", "sh_plane_r"):
            if k in mid:
                out[k] = rest.get(k, 0.0) + share * (mid[k] - rest.get(k, 0.0))
        return out
    return edit


def _flare(rest: dict, mid: dict) -> dict:
    """Elbows swung out towards a T: the upper arm turns towards the body's side plane (not past it) and,
    unless it reaches behind the trunk (a dip), lifts away from the trunk."""
    out = dict(mid)
    for side in ("l", "r"):
        plane = out.get(f"sh_plane_{side}", rest.get(f"sh_plane_{side}", 0.0))
        elevation = out.get(f"sh_elev_{side}", rest.get(f"sh_elev_{side}", 0.0))
        if elevation >= 0:
            out[f"sh_plane_{side}"] = max(plane - 45.0, 0.0)
            out[f"sh_elev_{side}"] = max(elevation, 70.0)
        else:
            # an arm reaching back turns the other way to bring its elbow out to the side
            out[f"sh_plane_{side}"] = min(plane + 45.0, 180.0)
    return out


FAULTS: dict[str, Fault] = {f.kind: f for f in [
    Fault("shallow", "the rep stops well short of full depth", ("knee", "hip", "elbow"), _toward_rest(0.5)),
    Fault("partial_range", "the moving joints cover only part of their range", ("elbow", "shoulder", "hip"),
          _toward_rest(0.45)),
    Fault("knees_cave", "the knees collapse inwards at the bottom", ("knee",),
          _add(hip_abd_l=-22, hip_abd_r=-22)),
    Fault("hips_sag", "the hips drop below the shoulder-ankle line", ("hip",),
          _add(hip_flex_l=-22, hip_flex_r=-22, pitch=6)),
    Fault("hips_pike", "the hips rise above the shoulder-ankle line", ("hip",),
          _add(hip_flex_l=35, hip_flex_r=35, pitch=-8)),
    Fault("rounded_back", "the back rounds instead of staying flat", ("trunk",),
          _add(spine_flex=40, hip_flex_l=-20, hip_flex_r=-20)),
    # Leaning forward is the trunk pitching at the hips: more hip flexion, and the whole body pitched by as
    # much so that the legs keep their place.
    Fault("forward_lean", "the trunk leans too far forward", ("trunk",),
          _add(hip_flex_l=25, hip_flex_r=25, pitch=25)),
    Fault("elbows_flare", "the elbows flare out away from the body", ("elbow", "shoulder"), _flare),
    Fault("asymmetric_arms", "one arm moves much less than the other", ("shoulder", "elbow"), _one_arm(0.45)),
    Fault("too_fast", "the rep is rushed", ("tempo",), lambda rest, mid: dict(mid), tempo=0.45),
    # Up onto the toes near the bottom: the feet pointed down 50 degrees at the ankles, past where the shins
    # carry them (the toes stay planted, so the body rises on them). The synthesised foot is short (ankle 6 cm
    # over a toe 13 cm ahead, about 0.17 leg lengths against real readings of 0.21-0.23) and already tips
    # with the shin (clean reps read 0.02-0.04), so its ankle rises at most about 0.095 leg lengths over the
    # toe: planted reps read 0.06-0.095, around gyml/coach/geometry.py's HEELS_TOLERANCE (0.07, set on real
    # squats), so some are missed.
    Fault("heels_rise", "the heels lift off the floor near the bottom", ("feet",), _add(ankle_l=50, ankle_r=50)),
]}


# A posture fault can be planted in one half of the rep only ("hips_sag:ascent"): the turning point stays
# clean and the fault swells and fades on the way down or up.
FAULT_PHASES = ("descent", "ascent")
PHASED_FAULTS = ("hips_sag", "hips_pike", "forward_lean", "rounded_back", "elbows_flare")


def split_fault(name: str) -> tuple[str, str | None]:
    """'hips_sag:ascent' -> ('hips_sag', 'ascent'); 'shallow' -> ('shallow', None). Raises on bad names."""
    kind, _, phase = name.partition(":")
    if kind not in FAULTS:
        raise GymlError(f"unknown fault '{kind}' (known: {', '.join(FAULTS)})")
    if phase:
        if phase not in FAULT_PHASES:
            raise GymlError(f"fault phase must be one of {', '.join(FAULT_PHASES)}, got '{phase}'")
        if kind not in PHASED_FAULTS:
            raise GymlError(f"'{kind}' cannot be planted in one half of a rep (only {', '.join(PHASED_FAULTS)})")
    return kind, phase or None


def parse_fault_spec(text: str | None) -> dict[int, str]:
    """'shallow@3,knees_cave@5,hips_sag:ascent@6' -> {3: 'shallow', 5: 'knees_cave', 6: 'hips_sag:ascent'}
    (reps are 1-based)."""
    out: dict[int, str] = {}
    if not text:
        return out
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        kind, sep, rep = part.partition("@")
        if not sep or not rep.strip().isdigit() or int(rep) < 1:
            raise GymlError(f"fault '{part}' must look like KIND@REP, e.g. shallow@3")
        split_fault(kind)
        out[int(rep)] = kind
    return out
