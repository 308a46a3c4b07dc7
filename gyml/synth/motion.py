"""Turn a catalog entry into a realistic SMPL motion: variation, planted faults, ground contact, noise."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial.transform import Rotation

from gyml.errors import GymlError
from gyml.pose.sequence import PoseSequence
from gyml.pose.skeleton import JOINT, NUM_JOINTS, forward_kinematics, rest_offsets
from gyml.synth.catalog import DOFS, ExerciseSpec, get_exercise
from gyml.synth.faults import FAULTS, split_fault

POSTURE_ROTATION = {
    "standing": Rotation.identity(),
    "hanging": Rotation.identity(),
    "seated": Rotation.identity(),
    "kneeling": Rotation.identity(),
    "prone": Rotation.from_euler("x", 90, degrees=True),   # face down, head forward
    "supine": Rotation.from_euler("x", -90, degrees=True),  # face up
    "inverted": Rotation.from_euler("x", 180, degrees=True),  # upside down on the hands
    # on the right side, the body's line rising 12 degrees from the feet to the head (a side plank)
    "side": Rotation.from_euler("z", 78, degrees=True),
}
BAR_HEIGHT = 2.3


@dataclass
class SynthConfig:
    """How one synthesised set varies. None means: draw it at random from the seed."""

    fps: float = 30.0
    height: float | None = None          # body height in metres
    tempo_scale: float | None = None     # > 1 is slower than the catalog's tempo
    tempo_drift: float | None = None     # relative change of rep duration from first to last rep
    depth: float | None = None           # share of the catalog's range of motion
    pause_s: float | None = None         # pause at the midpoint of each rep
    rest_pause_s: float | None = None    # pause at the start position between reps
    lead_in_s: float | None = None
    lead_out_s: float | None = None
    camera_yaw_deg: float | None = None
    noise_m: float = 0.004               # joint position noise (sensor), metres
    missing_rate: float = 0.0            # share of frames dropped (in short gaps)
    asymmetry_deg: float | None = None
    sway_deg: float | None = None
    randomize: bool = True               # False: catalog values, no variation (for exact tests)

    def resolved(self, rng: np.random.Generator) -> dict:
        def pick(value, low, high, fixed):
            if value is not None:
                return value
            return float(rng.uniform(low, high)) if self.randomize else fixed

        return {
            "height": pick(self.height, 1.55, 1.95, 1.75),
            "limb_scale": float(rng.uniform(0.94, 1.06)) if self.randomize else 1.0,
            "arm_scale": float(rng.uniform(0.94, 1.06)) if self.randomize else 1.0,
            "tempo_scale": pick(self.tempo_scale, 0.7, 1.25, 1.0),
            "tempo_drift": pick(self.tempo_drift, -0.15, 0.25, 0.0),
            "depth": pick(self.depth, 0.88, 1.08, 1.0),
            # Pauses as shares of a rep: a jumping jack never pauses as long as a slow squat.
            "pause_share": float(rng.uniform(0.0, 0.15)) if self.randomize else 0.0,
            "rest_pause_share": float(rng.uniform(0.0, 0.2)) if self.randomize else 0.0,
            "lead_in_s": pick(self.lead_in_s, 0.3, 2.0, 0.5),
            "lead_out_s": pick(self.lead_out_s, 0.3, 2.0, 0.5),
            "camera_yaw_deg": pick(self.camera_yaw_deg, -180.0, 180.0, 0.0),
            "asymmetry_deg": pick(self.asymmetry_deg, 0.0, 6.0, 0.0),
            "sway_deg": pick(self.sway_deg, 0.0, 3.0, 0.0),
        }


def _personal_style(spec: ExerciseSpec, rng: np.random.Generator) -> tuple[ExerciseSpec, int]:
    """People do the same exercise differently: pick one of the exercise's arm styles and shift the
    postures the catalog allows to vary (e.g. how high the hips ride in a push-up)."""
    style = 0
    rest, mid = dict(spec.rest), dict(spec.mid)
    if spec.arm_styles:
        # Half of the people do it the catalog's way; the rest spread over the other styles.
        style = -1 if rng.random() < 0.5 else int(rng.integers(len(spec.arm_styles)))
        if style >= 0:
            arm_rest, arm_mid = spec.arm_styles[style]
            rest.update(arm_rest)
            mid = {k: val for k, val in mid.items() if k not in arm_rest}
            mid.update(arm_mid)
    for key, (low, high) in spec.vary.items():
        offset = float(rng.uniform(low, high))
        names = [key] if key in DOFS else [f"{key}_l", f"{key}_r"]
        for name in names:
            base = spec.pose("rest").get(name, 0.0)
            rest[name] = rest.get(name, base) + offset
            if name in mid:
                mid[name] += offset
    return replace(spec, rest=rest, mid=mid), style + 1


def _mirror(delta: dict) -> dict:
    out = {}
    for k, v in delta.items():
        if k.endswith("_l"):
            out[k[:-2] + "_r"] = v
        elif k.endswith("_r"):
            out[k[:-2] + "_l"] = v
        elif k in ("spine_twist", "spine_side"):
            out[k] = -v
        else:
            out[k] = v
    return out


def _rep_key_poses(spec: ExerciseSpec, rep: int, fault: str | None, depth: float) -> tuple[dict, dict]:
    rest = spec.pose("rest")
    mid = spec.pose("mid")
    if fault is not None:
        mid = FAULTS[fault].edit(rest, mid)
    delta = {k: (mid.get(k, 0.0) - rest.get(k, 0.0)) * depth for k in DOFS}
    if spec.alternate and rep % 2 == 0:
        delta = _mirror(delta)
    return rest, {k: rest.get(k, 0.0) + delta.get(k, 0.0) for k in DOFS}


def _ease(u: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))


def _timeline(spec: ExerciseSpec, reps: int, faults: dict[int, str], v: dict, fps: float,
              rng: np.random.Generator):
    """Per-frame DOF values (T, len(DOFS)) and ground-truth rep segments."""
    rest_vec = np.array([spec.pose("rest").get(k, 0.0) for k in DOFS])
    frames: list[np.ndarray] = []
    segments = []

    def hold(seconds: float):
        n = int(round(seconds * fps))
        frames.extend([rest_vec] * n)

    if v.get("pause_s") is None:
        v["pause_s"] = v["pause_share"] * spec.tempo_s
    if v.get("rest_pause_s") is None:
        v["rest_pause_s"] = v["rest_pause_share"] * spec.tempo_s
    hold(v["lead_in_s"])
    if spec.isometric:
        hold(max(reps, 1) * spec.tempo_s * v["tempo_scale"])
    else:
        for rep in range(1, reps + 1):
            fault, fault_phase = split_fault(faults[rep]) if rep in faults else (None, None)
            drift = 1.0 + v["tempo_drift"] * ((rep - 1) / max(reps - 1, 1))
            duration = spec.tempo_s * v["tempo_scale"] * drift * (FAULTS[fault].tempo if fault else 1.0)
            duration *= float(rng.uniform(0.93, 1.07)) if v.get("jitter", True) else 1.0
            depth = v["depth"] * float(rng.uniform(0.96, 1.04))
            # An alternating exercise's rep is one movement to each side (a full left-right cycle).
            sides = (1, 2) if spec.alternate else (1,)
            start = len(frames)
            half = max(2, int(round(duration * fps / 2 / len(sides))))
            pause = int(round(v["pause_s"] * fps * (FAULTS[fault].tempo if fault else 1.0)))
            for side in sides:
                _, mid = _rep_key_poses(spec, side, None if fault_phase else fault, depth)
                mid_vec = np.array([mid[k] for k in DOFS])
                w = np.concatenate([_ease(np.arange(half) / half), np.ones(pause),
                                    _ease(1.0 - np.arange(1, half + 1) / half)])
                motion = rest_vec + w[:, None] * (mid_vec - rest_vec)
                if fault_phase:
                    # the fault's change to the turning pose, swelling and fading within one half
                    _, bad = _rep_key_poses(spec, side, fault, depth)
                    bump = np.sin(np.pi * np.arange(half) / half)
                    zeros = np.zeros(half + pause)
                    bump = np.concatenate([bump, zeros]) if fault_phase == "descent" else \
                        np.concatenate([zeros, bump[::-1]])
                    motion = motion + bump[:, None] * (np.array([bad[k] for k in DOFS]) - mid_vec)
                frames.extend(motion)
            segments.append({"index": rep, "start": start, "mid": start + half + pause // 2,
                             "end": len(frames) - 1, "fault": faults.get(rep)})
            if rep < reps:
                hold(v["rest_pause_s"])
    hold(v["lead_out_s"])
    dofs = np.array(frames)
    # Real bodies are never perfectly still or symmetric: slow sway and a small left/right offset.
    t = np.arange(len(dofs)) / fps
    if v["sway_deg"] > 0:
        for k in ("spine_side", "spine_twist", "spine_flex"):
            phase = rng.uniform(0, 2 * np.pi)
            dofs[:, DOFS.index(k)] += v["sway_deg"] * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t + phase)
    if v["asymmetry_deg"] > 0:
        for k in ("hip_flex_l", "knee_l", "sh_elev_l", "elbow_l"):
            dofs[:, DOFS.index(k)] += rng.normal(0, v["asymmetry_deg"])
    return dofs, segments


def _axis_angle(dofs: np.ndarray, posture: str) -> np.ndarray:
    """DOFs (T, len(DOFS)) in degrees -> SMPL axis-angle (T, 24, 3)."""
    d = {k: np.radians(dofs[:, i]) for i, k in enumerate(DOFS)}
    T = len(dofs)
    zero = np.zeros(T)

    def rx(a):
        return Rotation.from_rotvec(np.stack([a, zero, zero], 1))

    def ry(a):
        return Rotation.from_rotvec(np.stack([zero, a, zero], 1))

    def rz(a):
        return Rotation.from_rotvec(np.stack([zero, zero, a], 1))

    rot = [Rotation.identity(T)] * NUM_JOINTS
    rot = list(rot)
    rot[0] = rx(d["pitch"]) * POSTURE_ROTATION[posture]
    rot[JOINT["left_hip"]] = rx(-d["hip_flex_l"]) * rz(d["hip_abd_l"])
    rot[JOINT["right_hip"]] = rx(-d["hip_flex_r"]) * rz(-d["hip_abd_r"])
    rot[JOINT["left_knee"]] = rx(d["knee_l"])
    rot[JOINT["right_knee"]] = rx(d["knee_r"])
    rot[JOINT["left_ankle"]] = rx(d["ankle_l"])
    rot[JOINT["right_ankle"]] = rx(d["ankle_r"])
    for name in ("spine1", "spine2", "spine3"):
        rot[JOINT[name]] = rx(d["spine_flex"] / 3) * ry(d["spine_twist"] / 3) * rz(-d["spine_side"] / 3)
    rot[JOINT["neck"]] = rx(d["neck_flex"])
    for side, sign in (("l", 1.0), ("r", -1.0)):
        e, p = d[f"sh_elev_{side}"], d[f"sh_plane_{side}"]
        axis = np.stack([-np.sin(p), zero, sign * np.cos(p)], 1)
        raise_arm = Rotation.from_rotvec(axis * e[:, None])
        rot[JOINT[f"{'left' if side == 'l' else 'right'}_shoulder"]] = (
            raise_arm * rz(np.full(T, -sign * np.pi / 2)) * rx(d[f"sh_rot_{side}"]))
        rot[JOINT[f"{'left' if side == 'l' else 'right'}_elbow"]] = ry(-sign * d[f"elbow_{side}"])
    return np.stack([r.as_rotvec() for r in rot], axis=1)


def _place_on_ground(joints: np.ndarray, spec: ExerciseSpec) -> np.ndarray:
    """Root translation that keeps the anchors (feet, hands) planted and the body on its support."""
    anchors = [JOINT[a] for a in spec.anchor]
    shift = np.zeros((len(joints), 3))
    anchor_pos = joints[:, anchors].mean(axis=1)
    shift[:, [0, 2]] = anchor_pos[:1, [0, 2]] - anchor_pos[:, [0, 2]]
    if spec.support == "hands":
        shift[:, 1] = BAR_HEIGHT - anchor_pos[:, 1]
    else:
        shift[:, 1] = -joints[:, :, 1].min(axis=1)
    return shift


def synthesize(exercise: str | ExerciseSpec, reps: int = 8, faults: dict[int, str] | None = None,
               seed: int = 0, config: SynthConfig | None = None) -> PoseSequence:
    """A set of `reps` repetitions of `exercise` as a PoseSequence with ground truth in its metadata."""
    spec = exercise if isinstance(exercise, ExerciseSpec) else get_exercise(exercise)
    faults = dict(faults or {})
    config = config or SynthConfig()
    if not 0 <= reps <= 200:
        raise GymlError(f"reps must be between 0 and 200, got {reps}")
    for rep, name in faults.items():
        kind, _ = split_fault(name)
        if kind not in spec.faults:
            raise GymlError(f"fault '{kind}' does not apply to {spec.label} (try: {', '.join(spec.faults) or 'none'})")
        if not 1 <= rep <= reps:
            raise GymlError(f"fault on rep {rep}, but the set has {reps} reps")
    rng = np.random.default_rng(seed)
    v = config.resolved(rng)
    v["pause_s"], v["rest_pause_s"] = config.pause_s, config.rest_pause_s
    v["jitter"] = config.randomize
    if config.randomize:
        spec, v["style"] = _personal_style(spec, rng)
    fps = config.fps
    dofs, segments = _timeline(spec, reps, faults, v, fps, rng)
    axis_angle = _axis_angle(dofs, spec.posture)
    offsets = rest_offsets(v["height"], v["limb_scale"], v["arm_scale"])
    body = forward_kinematics(axis_angle, None, offsets).astype(np.float64)
    translation = _place_on_ground(body, spec)
    bounce = spec.extra.get("bounce", 0.0)
    if bounce and segments:
        w = np.zeros(len(body))
        for s in segments:
            w[s["start"]:s["end"] + 1] = np.sin(np.linspace(0, np.pi, s["end"] - s["start"] + 1))
        translation[:, 1] += abs(bounce) * (w if bounce > 0 else np.clip(np.sin(2 * np.pi * w) * -1, 0, None))
    joints = body + translation[:, None, :]
    # The camera looks from any side: turn the whole scene about the vertical axis.
    yaw = Rotation.from_euler("y", v["camera_yaw_deg"], degrees=True)
    joints = yaw.apply(joints.reshape(-1, 3)).reshape(joints.shape)
    axis_angle[:, 0] = (yaw * Rotation.from_rotvec(axis_angle[:, 0])).as_rotvec()
    translation = yaw.apply(translation)
    noisy = joints + rng.normal(0, config.noise_m, joints.shape) if config.noise_m > 0 else joints
    confidence = np.ones(joints.shape[:2], np.float32)
    if config.missing_rate > 0:
        missing = _dropouts(len(joints), config.missing_rate, rng)
        noisy[missing] = np.nan
        confidence[missing] = 0.0
    meta = {
        "exercise": spec.label, "exercise_name": spec.name, "flag3d_id": spec.flag3d_id, "reps": reps,
        "faults": [{"rep": r, "kind": k} for r, k in sorted(faults.items())],
        "segments": segments, "seed": seed, "variation": {k: round(float(x), 4) for k, x in v.items() if x is not None},
        "translation": translation.round(5).tolist(),
    }
    return PoseSequence(joints=noisy, confidence=confidence, fps=fps, smpl_pose=axis_angle.astype(np.float32),
                        source="synth", metadata=meta)


def _dropouts(n: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Missing frames come in short gaps (a detector losing the person), not one at a time."""
    from gyml.validate import MAX_MISSING_RATE, check_number
    # A share of 1 or more could never be reached by gaps of at most 7 frames landing at random: bound it.
    check_number("missing_rate", rate, 0.0, MAX_MISSING_RATE)
    missing = np.zeros(n, bool)
    target = int(rate * n)
    while missing.sum() < target:
        start = int(rng.integers(0, n))
        missing[start:start + int(rng.integers(1, 8))] = True
    return missing
