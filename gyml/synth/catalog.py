"""The exercise catalog: each movement described by key poses over one rep.

A pose is a handful of anatomical degrees of freedom (degrees), not raw rotations, so the catalog
reads like a coach's description:

    hip_flex_l/r   thigh forward (+) or back (-)          hip_abd_l/r   thigh out to the side
    knee_l/r       knee bend (0 = straight)               spine_flex    trunk bends forward (+)
    spine_twist    trunk turns left (+)                   spine_side    trunk bends to the left (+)
    sh_elev_l/r    upper arm raised from hanging (0) to overhead (180); negative = behind the body
    sh_plane_l/r   plane of that raise: 0 = out to the side, 90 = to the front
    sh_rot_l/r     upper-arm twist (-90 points a bent forearm up when the arm is out to the side)
    elbow_l/r      elbow bend (0 = straight)              neck_flex     chin to chest (+)
    pitch          whole-body tilt about the left-right axis (+ = head up when lying)
    ankle_l/r      the foot pointed down at the ankle (+, onto the toes), from where the shin carries it

Postures orient the body: standing, prone (face down), supine (face up), hanging (hands on a bar),
kneeling, seated, inverted (upside down on the hands) and side (on the right side). `isometric` marks a hold:
no reps, held for reps x tempo_s. A rep goes rest -> mid -> rest; `alternate` mirrors every other rep (left/right).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gyml.errors import GymlError

DOFS = ("hip_flex_l", "hip_flex_r", "hip_abd_l", "hip_abd_r", "knee_l", "knee_r", "spine_flex", "spine_twist",
        "spine_side", "neck_flex", "sh_elev_l", "sh_elev_r", "sh_plane_l", "sh_plane_r", "sh_rot_l",
        "sh_rot_r", "elbow_l", "elbow_r", "pitch", "ankle_l", "ankle_r")

# Relaxed arms hang with the elbows a little bent (real pose estimates rarely show a straight elbow).
NEUTRAL = {"sh_elev_l": 8.0, "sh_elev_r": 8.0, "sh_plane_l": 20.0, "sh_plane_r": 20.0, "knee_l": 3.0,
           "knee_r": 3.0, "elbow_l": 18.0, "elbow_r": 18.0}


POSTURES = ("standing", "prone", "supine", "hanging", "kneeling", "seated", "inverted", "side")


def both(**kw: float) -> dict[str, float]:
    """Expand `knee=90` into `knee_l=90, knee_r=90` (names without a side pass through)."""
    out: dict[str, float] = {}
    for key, value in kw.items():
        if f"{key}_l" in DOFS:
            out[f"{key}_l"] = value
            out[f"{key}_r"] = value
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class ExerciseSpec:
    label: str
    name: str
    description: str
    posture: str
    rest: dict
    mid: dict
    tempo_s: float                      # seconds per rep at a typical pace
    moving: tuple[str, ...]             # the joints a coach watches
    faults: tuple[str, ...] = ()
    alternate: bool = False
    isometric: bool = False
    flag3d_id: str | None = None
    support: str = "floor"              # floor: lowest point on the ground; hands: hanging from fixed hands
    anchor: tuple[str, ...] = ("left_foot", "right_foot")
    extra: dict = field(default_factory=dict)
    # Other ways people hold or move their arms in this exercise: (rest overrides, mid overrides) pairs.
    arm_styles: tuple[tuple[dict, dict], ...] = ()
    # Per-person posture offsets in degrees, DOF (or both-sides name) -> (low, high), added to rest and mid.
    vary: dict = field(default_factory=dict)

    @property
    def hold(self) -> bool:
        """A hold (plank, wall sit): timed and coached over time, no reps."""
        return self.isometric

    def pose(self, which: str) -> dict[str, float]:
        base = dict(NEUTRAL)
        base.update(self.rest)
        if which == "mid":
            base.update(self.mid)
        return base


# Arm styles shared by exercises where the arms only keep balance.
_HANDS_ON_HIPS = (both(sh_elev=30, sh_plane=5, elbow=100), {})
_HANDS_AT_CHEST = (both(sh_elev=25, sh_plane=90, elbow=125), {})
_HANDS_BEHIND_HEAD = (both(sh_elev=120, sh_plane=15, elbow=140), {})
_ARMS_RELAXED = (both(sh_elev=12, sh_plane=60, elbow=25), {})

_ARMS_FRONT = both(sh_elev=80, sh_plane=90, elbow=10)
_PRONE_ARMS = both(sh_elev=85, sh_plane=85, elbow=5)

_SPECS = [
    ExerciseSpec("squat", "Squat", "Stand with feet shoulder-width apart, sit the hips back and down until the "
                 "thighs are about parallel, then stand up.", "standing",
                 rest=both(hip_abd=8, knee=3, sh_elev=15, sh_plane=90),
                 mid=both(hip_flex=100, knee=115, hip_abd=12, spine_flex=42, sh_elev=85, sh_plane=90),
                 tempo_s=2.3, moving=("knee", "hip", "trunk"),
                 faults=("shallow", "knees_cave", "forward_lean", "too_fast", "heels_rise"),
                 arm_styles=(_HANDS_ON_HIPS, _HANDS_AT_CHEST, _HANDS_BEHIND_HEAD, _ARMS_RELAXED),
                 vary={"spine_flex": (-8, 8)}),
    ExerciseSpec("push_up", "Push-up", "From a straight-arm plank, bend the elbows to lower the chest towards "
                 "the floor, then push back up keeping the body in one line.", "prone",
                 rest={**_PRONE_ARMS, **both(elbow=12), "pitch": -22},
                 mid=both(sh_elev=40, sh_plane=55, elbow=95, pitch=-6),
                 tempo_s=1.8, moving=("elbow", "shoulder", "hip"), vary={"hip_flex": (0, 10), "sh_plane": (-10, 5)},
                 faults=("shallow", "hips_sag", "hips_pike", "elbows_flare", "too_fast"), flag3d_id="A006",
                 anchor=("left_foot", "right_foot", "left_hand", "right_hand")),
    # Wall push-up: standing, the whole body leaning in (pitch + = head towards the wall) with the hands on
    # the wall at shoulder height; the body pivots about the feet as the elbows bend. Angles checked against
    # the UCF101 WallPushups poses (trunk 8-21 degrees off vertical, elbows about 40 -> 85, upper arms
    # 70-90 degrees from the trunk).
    ExerciseSpec("wall_push_up", "Wall Push-up", "Stand an arm's length from a wall with the hands on it at "
                 "shoulder height, bend the elbows to bring the chest towards the wall, then push back, "
                 "keeping the body in one line.", "standing",
                 rest={**both(sh_elev=88, sh_plane=80, elbow=38, knee=14, hip_flex=8), "pitch": 10},
                 mid={**both(sh_elev=66, sh_plane=55, elbow=90), "pitch": 22},
                 tempo_s=2.4, moving=("elbow", "shoulder"), vary={"sh_plane": (-10, 5), "pitch": (-4, 4)},
                 faults=("shallow", "hips_sag", "elbows_flare", "too_fast")),
    # Handstand push-up: upside down on the hands (usually heels on a wall), lowering the head towards the
    # floor by bending the elbows. UCF101 HandstandPushups poses: trunk 165-178 degrees from upright, upper
    # arms 145 -> 105 degrees from the trunk, elbows about 25 -> 70 and out to the side (abduction 30-60).
    ExerciseSpec("handstand_push_up", "Handstand Push-up", "Kick up into a handstand (heels against a wall if "
                 "needed), lower the head towards the floor by bending the elbows, then press back up to "
                 "straight arms.", "inverted",
                 rest={**both(sh_elev=155, sh_plane=30, elbow=22, knee=12, hip_flex=12), "pitch": -6},
                 mid={**both(sh_elev=108, sh_plane=35, elbow=85, knee=18, hip_flex=14), "pitch": -10},
                 tempo_s=2.2, moving=("elbow", "shoulder"), vary={"knee": (-5, 20), "sh_plane": (-10, 15)},
                 faults=("shallow", "elbows_flare", "too_fast"),
                 anchor=("left_hand", "right_hand")),
    ExerciseSpec("kneeling_push_up", "Kneeling Push-up", "A push-up with the knees on the mat.", "prone",
                 rest={**_PRONE_ARMS, **both(knee=90, hip_flex=-5), "pitch": -32},
                 mid={**both(sh_elev=40, sh_plane=70, elbow=95), "pitch": -10},
                 tempo_s=2.0, moving=("elbow", "shoulder"), faults=("shallow", "hips_pike"), flag3d_id="A002",
                 anchor=("left_knee", "right_knee", "left_hand", "right_hand")),
    ExerciseSpec("plank", "Plank", "Hold a straight line from shoulders to ankles on the forearms.", "prone",
                 rest={**both(sh_elev=80, sh_plane=90, elbow=95), "pitch": -12},
                 mid={**both(sh_elev=80, sh_plane=90, elbow=95), "pitch": -12},
                 tempo_s=3.0, moving=("hip", "trunk"), faults=("hips_sag", "hips_pike"), isometric=True),
    ExerciseSpec("side_plank", "Side Plank", "On one forearm and the side of the feet, hold a straight line "
                 "from shoulders to ankles with the hips lifted.", "side",
                 rest={"sh_elev_r": 85, "sh_plane_r": 0, "elbow_r": 90, "sh_elev_l": 10, "sh_plane_l": 20,
                       "elbow_l": 20},
                 mid={}, tempo_s=3.0, moving=("hip", "trunk"), isometric=True,
                 anchor=("right_foot", "right_hand")),
    ExerciseSpec("wall_sit", "Wall Sit", "Back flat against a wall, slide down until the thighs are level "
                 "with the floor and the knees over the ankles, and hold.", "standing",
                 rest=both(hip_flex=90, knee=90, hip_abd=6, sh_elev=10, sh_plane=60, elbow=20),
                 mid={}, tempo_s=3.0, moving=("knee", "hip"), isometric=True),
    ExerciseSpec("lunge", "Alternate Reverse Lunge", "Step one leg back and lower the back knee towards the "
                 "floor, front knee over the ankle, then return; alternate legs.", "standing",
                 rest=both(sh_elev=10, sh_plane=90),
                 mid={"hip_flex_l": 85, "knee_l": 95, "hip_flex_r": -15, "knee_r": 100, "spine_flex": 5},
                 tempo_s=2.8, moving=("knee", "hip"), faults=("shallow", "knees_cave", "forward_lean"),
                 arm_styles=(_HANDS_ON_HIPS, _ARMS_RELAXED),
                 alternate=True, flag3d_id="A046"),
    ExerciseSpec("jumping_jack", "Jumping Jacks", "Jump the feet apart while raising the arms overhead, then "
                 "jump back with the arms down.", "standing",
                 rest=both(sh_elev=10, sh_plane=10, hip_abd=2, elbow=20, knee=8),
                 mid=both(sh_elev=145, sh_plane=10, hip_abd=16, knee=25, elbow=45),
                 tempo_s=0.85, moving=("shoulder", "hip"), faults=("partial_range", "asymmetric_arms"),
                 flag3d_id="A057", extra={"bounce": 0.06}),
    ExerciseSpec("clap_jack", "Clap Jacks", "Jump the feet apart while opening straight arms to the sides, "
                 "then jump back clapping in front of the chest.", "standing",
                 rest=both(sh_elev=90, sh_plane=90, hip_abd=2), mid=both(sh_elev=90, sh_plane=0, hip_abd=16),
                 tempo_s=1.1, moving=("shoulder", "hip"), faults=("partial_range",), flag3d_id="A059",
                 extra={"bounce": 0.05}),
    ExerciseSpec("sit_up", "Sit-up", "Lie on the back with knees bent, curl the trunk up towards the knees, "
                 "then lower back down.", "supine",
                 rest={**both(hip_flex=50, knee=100, sh_elev=30, sh_plane=90, elbow=120), "pitch": 0},
                 mid={**both(hip_flex=125, knee=125), "spine_flex": 25, "pitch": 70, "neck_flex": 20},
                 tempo_s=2.0, moving=("hip", "trunk"), faults=("shallow", "too_fast"), flag3d_id="A042",
                 arm_styles=((both(sh_elev=20, sh_plane=90, elbow=25), both(sh_elev=70)),
                             (both(sh_elev=150, sh_plane=60, elbow=130), {})),
                 vary={"knee": (-25, 15)}),
    ExerciseSpec("shoulder_bridge", "Shoulder Bridge", "Lie on the back with knees bent and lift the hips until "
                 "the body is straight from shoulders to knees.", "supine",
                 rest={**both(hip_flex=50, knee=100, sh_elev=10, sh_plane=10), "pitch": 0},
                 mid={**both(hip_flex=5, knee=85), "pitch": -35},
                 tempo_s=3.0, moving=("hip",), faults=("shallow",), flag3d_id="A036"),
    ExerciseSpec("pull_up", "Pull-up", "Hang from a bar with straight arms and pull the chin above the bar.",
                 "hanging", rest=both(sh_elev=155, sh_plane=25, elbow=15, knee=15, hip_flex=5),
                 mid=both(sh_elev=35, sh_plane=35, elbow=125, knee=25, hip_flex=15),
                 vary={"hip_flex": (0, 40), "knee": (-5, 20)},
                 tempo_s=2.4, moving=("elbow", "shoulder"), faults=("partial_range", "too_fast"),
                 support="hands", anchor=("left_hand", "right_hand")),
    ExerciseSpec("dip", "Dip", "Support the body on parallel bars and bend the elbows to lower the body, "
                 "then press back up.", "hanging",
                 rest=both(sh_elev=12, sh_plane=90, elbow=5, knee=70, hip_flex=20),
                 mid={**both(sh_elev=-40, sh_plane=90, elbow=85, knee=70, hip_flex=25), "spine_flex": 15},
                 tempo_s=1.6, moving=("elbow", "shoulder"), faults=("shallow", "elbows_flare"),
                 support="hands", anchor=("left_hand", "right_hand")),
    ExerciseSpec("bench_press", "Bench Press", "Lie on a bench, lower the bar to the chest with elbows at about "
                 "45 degrees, then press it up.", "supine",
                 rest={**both(sh_elev=90, sh_plane=80, elbow=5, hip_flex=70, knee=85), "pitch": 0},
                 mid=both(sh_elev=60, sh_plane=30, sh_rot=-60, elbow=100),
                 tempo_s=2.2, moving=("elbow", "shoulder"), faults=("shallow", "elbows_flare", "asymmetric_arms")),
    ExerciseSpec("svend_press", "Svend Press", "Press the hands together in front of the chest and push them "
                 "straight forward, then bring them back.", "standing",
                 rest=both(sh_elev=70, sh_plane=90, elbow=110), mid=both(sh_elev=90, sh_plane=90, elbow=5),
                 tempo_s=2.6, moving=("elbow", "shoulder"), faults=("partial_range",), flag3d_id="A001"),
    ExerciseSpec("chest_fly", "Chest Fly", "With straight arms at shoulder height, open them to the sides and "
                 "bring them together in front.", "standing",
                 rest=both(sh_elev=90, sh_plane=90, elbow=15), mid=both(sh_elev=90, sh_plane=5, elbow=15),
                 tempo_s=2.6, moving=("shoulder",), faults=("partial_range",), flag3d_id="A005"),
    ExerciseSpec("front_raise", "Front Raise", "Raise straight arms in front of the body to shoulder height, "
                 "then lower them.", "standing",
                 rest=both(sh_elev=10, sh_plane=90, elbow=20), mid=both(sh_elev=95, sh_plane=90, elbow=25),
                 tempo_s=2.0, moving=("shoulder",), faults=("partial_range", "asymmetric_arms", "too_fast"),
                 vary={"sh_plane": (-30, 0), "elbow": (0, 25)}),
    ExerciseSpec("lateral_raise", "Lateral Raise", "Raise the arms out to the sides to shoulder height, then "
                 "lower them.", "standing",
                 rest=both(sh_elev=10, sh_plane=10, elbow=12), mid=both(sh_elev=90, sh_plane=10, elbow=12),
                 tempo_s=2.4, moving=("shoulder",), faults=("partial_range", "asymmetric_arms")),
    ExerciseSpec("shoulder_press", "Shoulder Press", "From hands at shoulder height, press overhead until the "
                 "arms are straight, then lower.", "standing",
                 rest=both(sh_elev=95, sh_plane=20, sh_rot=-90, elbow=100),
                 mid=both(sh_elev=170, sh_plane=20, sh_rot=-90, elbow=8),
                 tempo_s=2.4, moving=("elbow", "shoulder"), faults=("partial_range", "asymmetric_arms")),
    ExerciseSpec("bicep_curl", "Dumbbell Curl", "With the elbows by the sides, curl the weights up to the "
                 "shoulders, then lower them.", "standing",
                 rest=both(sh_elev=5, sh_plane=90, elbow=10), mid=both(sh_elev=15, sh_plane=90, elbow=140),
                 tempo_s=2.4, moving=("elbow",), faults=("partial_range", "asymmetric_arms", "too_fast"),
                 flag3d_id="A020"),
    ExerciseSpec("alternate_curl", "Alternate Dumbbell Curl", "Curl one arm at a time.", "standing",
                 rest=both(sh_elev=5, sh_plane=90, elbow=10), mid={"sh_elev_l": 15, "elbow_l": 140},
                 tempo_s=2.2, moving=("elbow",), faults=("partial_range",), alternate=True, flag3d_id="A021"),
    ExerciseSpec("deadlift", "Deadlift", "Hinge at the hips with a flat back, lower the weight along the "
                 "legs, then stand tall.", "standing",
                 rest=both(sh_elev=5, sh_plane=90, knee=5),
                 mid=both(hip_flex=85, knee=30, sh_elev=80, sh_plane=90, spine_flex=8),
                 tempo_s=3.0, moving=("hip", "trunk", "knee"), faults=("rounded_back", "shallow")),
    ExerciseSpec("high_knees", "High Knee", "Run in place driving each knee up to hip height.", "standing",
                 rest=both(sh_elev=20, sh_plane=90, elbow=90),
                 mid={"hip_flex_l": 95, "knee_l": 100, "sh_elev_r": 50, "sh_elev_l": -10},
                 tempo_s=0.7, moving=("hip", "knee"), faults=("partial_range",), alternate=True, flag3d_id="A058"),
    ExerciseSpec("butt_kicks", "Butt Kicks", "Run in place kicking each heel up towards the glutes.",
                 "standing", rest=both(sh_elev=20, sh_plane=90, elbow=90),
                 mid={"hip_flex_l": 5, "knee_l": 125, "sh_elev_r": 45, "sh_elev_l": -10},
                 tempo_s=0.7, moving=("knee",), faults=("partial_range",), alternate=True, flag3d_id="A055"),
    ExerciseSpec("sumo_squat", "Sumo Squat", "A squat with a wide stance and toes out.", "standing",
                 rest=both(hip_abd=22, knee=3, sh_elev=60, sh_plane=90, elbow=90),
                 mid=both(hip_flex=80, hip_abd=35, knee=95, spine_flex=12),
                 tempo_s=2.8, moving=("knee", "hip"), faults=("shallow", "knees_cave", "heels_rise"), flag3d_id="A049"),
    ExerciseSpec("squat_jump", "Squat Jump", "Squat down, then jump up explosively and land softly.", "standing",
                 rest=both(hip_abd=8, sh_elev=20, sh_plane=90),
                 mid=both(hip_flex=95, knee=105, hip_abd=10, spine_flex=30, sh_elev=-20, sh_plane=90),
                 tempo_s=1.8, moving=("knee", "hip"), faults=("shallow",), flag3d_id="A051",
                 extra={"bounce": -0.25}),
    ExerciseSpec("squat_arm_lift", "Squat With Arm Lift", "Squat while raising the arms overhead.", "standing",
                 rest=both(hip_abd=8, sh_elev=10, sh_plane=90),
                 mid=both(hip_flex=95, knee=105, hip_abd=10, spine_flex=25, sh_elev=165, sh_plane=90),
                 tempo_s=3.0, moving=("knee", "hip", "shoulder"), faults=("shallow",), flag3d_id="A010"),
    ExerciseSpec("bent_over_row", "Bent-over Row", "Hinge forward with a flat back and pull the weight to the "
                 "side of the waist.", "standing",
                 rest={**both(hip_flex=70, knee=20, sh_elev=75, sh_plane=90, elbow=5), "spine_flex": 5},
                 mid={"sh_elev_r": 10, "elbow_r": 100},
                 tempo_s=2.4, moving=("elbow", "shoulder"), faults=("partial_range", "rounded_back"),
                 flag3d_id="A022"),
    ExerciseSpec("tricep_extension", "Bent-over Tricep Extension", "Hinge forward, upper arms by the sides, "
                 "and straighten the elbows backwards.", "standing",
                 rest={**both(hip_flex=60, knee=20, sh_elev=-20, sh_plane=90, elbow=95), "spine_flex": 5},
                 mid=both(sh_elev=-30, elbow=5), tempo_s=2.2, moving=("elbow",), faults=("partial_range",),
                 flag3d_id="A025"),
    ExerciseSpec("knee_raise_crunch", "Standing Knee Raise", "Raise one knee towards the chest while "
                 "contracting the abdominals.", "standing",
                 rest=both(sh_elev=150, sh_plane=40, elbow=60),
                 mid={"hip_flex_l": 100, "knee_l": 95, "spine_flex": 20, "sh_elev_l": 60, "sh_elev_r": 60},
                 tempo_s=2.0, moving=("hip", "knee"), faults=("partial_range",), flag3d_id="A033"),
    ExerciseSpec("run_in_place", "Run In Place With Arm Swing", "Jog on the spot swinging the arms.",
                 "standing", rest=both(sh_elev=15, sh_plane=90, elbow=90),
                 mid={"hip_flex_l": 45, "knee_l": 70, "sh_elev_r": 45, "sh_elev_l": -20},
                 tempo_s=0.7, moving=("hip", "knee"), alternate=True, flag3d_id="A060"),
    ExerciseSpec("russian_twist", "Seated Torso Twist", "Sit with knees bent, lean back and rotate the trunk "
                 "from side to side.", "seated",
                 rest={**both(hip_flex=65, knee=50, sh_elev=45, sh_plane=90, elbow=70), "spine_flex": -10,
                       "pitch": -25},
                 mid={"spine_twist": 45}, tempo_s=1.6, moving=("trunk",), alternate=True),
]

CATALOG: dict[str, ExerciseSpec] = {spec.label: spec for spec in _SPECS}


def exercise_names() -> list[str]:
    return list(CATALOG)


def normalize_label(label: str) -> str:
    """'Push-up', 'push up' and 'push_up' all name the catalog's 'push_up'."""
    return label.strip().lower().replace("-", "_").replace(" ", "_")


def get_exercise(label: str) -> ExerciseSpec:
    key = normalize_label(label)
    if key not in CATALOG:
        raise GymlError(f"unknown exercise '{label}' (known: {', '.join(CATALOG)})")
    return CATALOG[key]
