"""Stopping a live set from the web page: the reps counted and cued during the set stay as they were; only
the reps still settling at the stop are counted and cued then. A user's 40 s set of push-ups (a clip looped
by the browser's fake camera) had cues sent 6-36 s earlier retracted at the stop and new ones sent under
rep numbers already shown."""

import numpy as np
import pytest

from gyml.reps.live import LiveCoach
from tests.conftest import shared_path

CLIP = "push-ups__push-up_37.mp4"


@pytest.fixture(scope="module")
def browser_poses():
    """The clip's poses as the live page's frames give them: 320 px wide, JPEG at quality 0.7, through
    the live pose model (the shared cache's poses, from the full-size video, do not show the problem)."""
    import av
    import cv2

    from gyml.pose.readers.video import pose_estimator, quiet_native_logs
    from gyml.reps.live import pose_of

    joints, confidence, times = [], [], []
    with av.open(str(shared_path("videos", "counted", CLIP))) as video, pose_estimator() as estimator, \
            quiet_native_logs():
        for frame in video.decode(video.streams.video[0]):
            rgb = frame.to_ndarray(format="rgb24")
            small = cv2.resize(rgb, (320, round(320 * rgb.shape[0] / rgb.shape[1])))
            _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 70])
            shown = cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            j, c = pose_of(estimator, shown)
            joints.append(j)
            confidence.append(c)
            times.append(float(frame.time))
    return joints, confidence, np.array(times)


def _looped_set(poses, seconds: float, seed: int):
    """The clip looped as a 15 fps camera for `seconds`, about one frame in seven dropped by the pose
    thread: (stamp, joints, confidence) for each frame processed."""
    joints, confidence, times = poses
    length = times[-1] + (times[1] - times[0])
    rng = np.random.default_rng(seed)
    for k in range(int(seconds * 15)):
        if rng.random() < 0.15:
            continue
        t = k / 15
        i = min(len(times) - 1, int(np.searchsorted(times, t % length)))
        yield 1000.0 + t, joints[i], confidence[i]


@pytest.mark.parametrize("seed", [0])   # (seed 3 as well when the rule changes: 10 s more)
def test_stop_settles_the_last_reps_and_leaves_the_cued_ones_alone(browser_poses, seed):
    coach = LiveCoach(coach=False)
    during = []
    for stamp, joints, confidence in _looped_set(browser_poses, 40.0, seed):
        during += coach.add(stamp, joints, confidence)
    standing = {}
    for event in during:
        if event.kind == "cue":
            standing[event.rep_id] = event
        elif event.kind == "retract":
            standing.pop(event.rep_id)
    at_stop = dict(standing)

    after = coach.stop(stamp)
    assert not [e for e in after if e.kind == "retract"], "a cue retracted at the stop"
    for event in after:
        if event.kind == "cue":
            assert event.rep_id not in standing, "a rep cued twice"
            # only reps that were still settling: ended in the last seconds before the stop
            assert event.rep_end_s > stamp - 1000.0 - 3.0, (event.rep, event.rep_end_s)
            standing[event.rep_id] = event
    # one cue per rep of the final count (the page numbers them as the final message orders its reps)
    assert sorted(standing) == sorted(r.id for r in coach.reps)
    assert coach.count >= len(at_stop) >= 28   # 40 s of a clip of about 1.3 s per rep
