"""gyml serve in a real browser (Playwright driving Debian's Chromium, no browser download): upload a real
video and read the count and cues on the page; kill the server mid-job and find everything again after a
restart; coach live from a camera that is a real clip (Chromium's fake media stream)."""

import contextlib
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gyml.pose.cache import cache_dir
from tests.conftest import shared_path

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install playwright)")
if not CHROMIUM.exists():
    pytest.skip("needs Chromium at /usr/bin/chromium (make test installs it with apt-get where apt is usable)",
                allow_module_level=True)

UPLOAD_CLIP = "squats__squat_11.mp4"
LIVE_CLIP = "push-ups__push-up_37.mp4"


def _labelled(clip: str) -> int:
    with open(shared_path("videos", "counted", "manifest.csv")) as fh:
        return next(int(r["reps"]) for r in csv.DictReader(fh) if r["video"] == clip)


class Server:
    """`gyml serve` in its own process group, on a free port, with the shared pose cache."""

    def __init__(self, data: Path):
        self.data = data
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GYML_CACHE": str(cache_dir())}
        with open(self.data.parent / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from gyml.cli import main; main()", "serve", "--port", str(self.port),
                 "--data", str(self.data), "--workers", "1"], env=env, start_new_session=True,
                stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/api/analyses", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gyml serve did not start: " + (self.data.parent / "server.log").read_text()[-2000:])

    def kill(self) -> None:
        """As a crash would: SIGKILL, no clean shutdown, workers included."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())


@contextlib.contextmanager
def served(base: Path):
    """`gyml serve` on a data folder under `base`, stopped at the end."""
    srv = Server(base / "data")
    srv.data.mkdir()
    srv.start()
    try:
        yield srv
    finally:
        if srv.process.poll() is None:
            os.killpg(srv.process.pid, signal.SIGTERM)
            srv.process.wait(20)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served(tmp_path_factory.mktemp("serve")) as srv:
        yield srv


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory) -> Path:
    """The live clip as .y4m, the format Chromium's fake camera plays (looped)."""
    return _as_y4m(shared_path("videos", "counted", LIVE_CLIP), tmp_path_factory.mktemp("camera") / "camera.y4m")


def _as_y4m(clip: Path, out_path: Path) -> Path:
    import av

    with av.open(str(clip)) as source, av.open(str(out_path), "w", format="yuv4mpegpipe") as out:
        video = source.streams.video[0]
        stream = out.add_stream("rawvideo", rate=video.average_rate)
        stream.width, stream.height = 640, round(640 * video.height / video.width / 2) * 2
        stream.pix_fmt = "yuv420p"
        for frame in source.decode(video):
            frame = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return out_path


def _small_clip(source: Path, out_path: Path, frames: int, width: int = 320) -> Path:
    import av

    with av.open(str(source)) as src, av.open(str(out_path), "w") as out:
        video = src.streams.video[0]
        stream = out.add_stream("libx264", rate=video.average_rate)
        stream.width, stream.height = width, round(width * video.height / video.width / 2) * 2
        stream.pix_fmt = "yuv420p"
        for i, frame in enumerate(src.decode(video)):
            if i >= frames:
                break
            for packet in stream.encode(frame.reformat(width=stream.width, height=stream.height,
                                                       format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return out_path


def _chromium(p, camera: Path):
    return p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}", "--no-sandbox"])


@pytest.fixture(scope="module")
def playwright():
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright, camera_file):
    chromium = _chromium(playwright, camera_file)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def test_upload_a_real_video_and_read_the_count_and_cues(server, page):
    page.goto(server.url + "/")
    page.set_input_files("#file", str(shared_path("videos", "counted", UPLOAD_CLIP)))
    page.wait_for_url("**/analyses/*", timeout=30_000)
    page.wait_for_selector("#done", state="visible", timeout=90_000)
    job = server.get("/api/analyses/" + page.url.rstrip("/").split("/")[-1])
    assert job["status"] == "done"
    assert page.inner_text("#count") == str(_labelled(UPLOAD_CLIP)) == str(job["result"]["reps"]["count"])
    assert page.inner_text("#exercise") == f"{job['result']['exercise']['name']} " \
        f"({round(100 * job['result']['exercise']['confidence'])}%)"
    shown = page.locator("#cues li").all_inner_texts()
    assert shown == [f["message"] for f in job["result"]["feedback"]] and shown
    assert page.locator("#reps tbody tr").count() == job["result"]["reps"]["count"]
    assert page.get_attribute("#report", "src") == job["files"]["report"]
    if "overlay" in job["files"]:
        assert page.get_attribute("#overlay", "src") == job["files"]["overlay"]


def test_a_hold_upload_shows_how_long_it_was_held_not_zero_reps(server, page):
    page.goto(server.url + "/")
    page.set_input_files("#file", str(shared_path("videos", "form", "plank_correct_001.mp4")))
    page.wait_for_url("**/analyses/*", timeout=30_000)
    page.wait_for_selector("#done", state="visible", timeout=90_000)
    job_id = page.url.rstrip("/").split("/")[-1]
    hold = server.get("/api/analyses/" + job_id)["result"]["hold"]
    assert page.inner_text("#count-label") == "Held"
    assert page.inner_text("#count") == f"{hold['time_under_tension_s']:.1f} s"
    assert not page.is_visible("#reps-card")
    page.goto(server.url + "/")
    page.wait_for_selector(f'#history tr[data-id="{job_id}"]')
    assert page.inner_text(f'#history tr[data-id="{job_id}"] td.count') == f"held {hold['time_under_tension_s']:.1f} s"


def test_a_bad_upload_is_explained_on_the_page(server, page, tmp_path):
    bad = tmp_path / "holiday.mp4"
    # seeded: now and then unseeded noise opens as an audio-only file, which is explained differently
    bad.write_bytes(random.Random(7).randbytes(50_000))
    page.goto(server.url + "/")
    page.set_input_files("#file", str(bad))
    page.wait_for_selector("#upload-error:not(:empty)", timeout=20_000)
    assert "holiday.mp4" in page.inner_text("#upload-error")
    assert "cannot be decoded" in page.inner_text("#upload-error")


def _a_counted_analysis_in_the_history(server, tmp_path) -> None:
    """The upload tests leave finished analyses in the history; run alone (or on another worker), a test
    that needs one makes it."""
    import httpx

    from gyml.synth.motion import synthesize

    if any(a["count"] is not None for a in server.get("/api/analyses")["analyses"]):
        return
    path = synthesize("squat", 4, seed=8).save(tmp_path / "history.npz")
    with open(path, "rb") as fh:
        response = httpx.post(server.url + "/api/analyses", files={"file": ("history.npz", fh)}, timeout=30)
    job_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while server.get(f"/api/analyses/{job_id}")["status"] != "done" and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_server_killed_mid_job_resumes_it_and_keeps_the_history(server, page, tmp_path):
    _a_counted_analysis_in_the_history(server, tmp_path)
    before = server.get("/api/analyses")["analyses"]
    # a clip new to the pose cache (the start of a real one, made small): its pose is extracted for real
    clip = _small_clip(shared_path("videos", "counted", "squats__squat_13.mp4"), tmp_path / "fresh.mp4", 72)
    page.goto(server.url + "/")
    page.set_input_files("#file", str(clip))
    page.wait_for_url("**/analyses/*", timeout=30_000)
    job_id = page.url.rstrip("/").split("/")[-1]
    deadline = time.monotonic() + 60
    while server.get(f"/api/analyses/{job_id}")["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.get(f"/api/analyses/{job_id}")["status"] == "running"
    server.kill()
    server.start()
    page.goto(server.url + "/")
    page.wait_for_selector(f"#history tr[data-id='{job_id}']", timeout=20_000)
    for old in before:
        assert page.locator(f"#history tr[data-id='{old['id']}']").count() == 1
    page.goto(f"{server.url}/analyses/{job_id}")
    page.wait_for_selector("#done", state="visible", timeout=90_000)
    job = server.get(f"/api/analyses/{job_id}")
    assert job["status"] == "done" and job["attempts"] == 2   # started again once, finished once
    assert page.inner_text("#count") == str(job["result"]["reps"]["count"])
    counted = next(a for a in before if a["count"] is not None)   # a hold is listed by its time instead
    page.goto(f"{server.url}/analyses/{counted['id']}")
    page.wait_for_selector("#done", state="visible", timeout=20_000)
    assert page.inner_text("#count") == str(counted["count"])


def test_live_coaching_from_a_camera_counts_and_cues(server, page):
    page.goto(server.url + "/live")
    page.click("#start")
    page.wait_for_function("window.gymlLive.cues.length >= 1 && window.gymlLive.count >= 1", timeout=90_000)
    assert int(page.inner_text("#count")) >= 1
    assert page.locator("#cues li").first.inner_text().startswith("Rep 1: ")
    assert page.inner_text("#cue").startswith("Rep ")
    # what gyml takes the exercise for, and how sure it is (before, the live page never said)
    assert page.inner_text("#exercise-now").startswith("Exercise: Push-up (")
    page.wait_for_function("window.gymlLive.stats !== null", timeout=10_000)
    assert "frames/s" in page.inner_text("#rate")
    ids = page.eval_on_selector_all("#cues li", "items => items.map(li => li.dataset.repId)")
    assert all(ids) and len(ids) == len(set(ids))   # one cue per rep
    page.click("#stop")
    page.wait_for_function("window.gymlLive.final !== null", timeout=30_000)


def test_the_live_page_removes_a_cue_the_server_retracts(server, page):
    """The protocol's retraction, as the page handles it: the withdrawn rep's cue leaves the list and the
    'last rep' panel; the other cues stay, those after it renumbered as the server says."""
    page.goto(server.url + "/live")
    page.wait_for_function("typeof onEvent === 'function'")
    now = page.evaluate("performance.now() / 1000")
    texts = ((4, "Rep 1: Good form, it matched the reference."), (5, "Rep 2: Counted."),
             (6, "Rep 3: Not deep enough at the bottom."))
    for rep_id, text in texts:
        page.evaluate("m => onEvent(m)", {"type": "cue", "count": rep_id - 3, "rep": rep_id - 3, "rep_id": rep_id,
                                          "time_s": now, "rep_end_s": now - 0.5, "message": text,
                                          "severity": "info"})
    page.evaluate("m => onEvent(m)", {"type": "count", "count": 3, "time_s": now})
    assert page.locator("#cues li").count() == 3 and page.inner_text("#cue") == texts[2][1]
    # rep 2 taken back mid-set: rep 3's cue becomes rep 2's, and the count falls to the count (2, not 3)
    for message in ({"type": "retract", "count": 2, "rep": 2, "rep_id": 5, "time_s": now,
                     "message": "Rep 2 taken back: the count no longer holds it."},
                    {"type": "renumber", "count": 2, "rep": 2, "rep_id": 6, "time_s": now,
                     "message": "Rep 3 is now rep 2: a rep before it was taken back."},
                    {"type": "count", "count": 2, "time_s": now}):
        page.evaluate("m => onEvent(m)", message)
    assert page.locator("#cues li").all_inner_texts() == ["Rep 1: Good form, it matched the reference.",
                                                          "Rep 2: Not deep enough at the bottom."]
    assert page.inner_text("#cue") == "Rep 2: Not deep enough at the bottom." and page.inner_text("#count") == "2"
    assert page.evaluate("window.gymlLive.cues.map(c => [c.rep_id, c.rep, c.message.slice(0, 6)])") == [
        [4, 1, "Rep 1:"], [6, 2, "Rep 2:"]]
    page.evaluate("m => onEvent(m)", {"type": "retract", "count": 1, "rep": 2, "rep_id": 6, "time_s": now,
                                      "message": "Rep 2 taken back: the count no longer holds it."})
    assert page.locator("#cues li").all_inner_texts() == ["Rep 1: Good form, it matched the reference."]
    assert "taken back" in page.inner_text("#cue")
    assert page.evaluate("window.gymlLive.cues.map(c => c.rep_id)") == [4]


def test_the_live_page_shows_a_holds_cues_without_a_rep(server, page):
    """A hold's cues name no rep: a posture fault since a moment, then the hold's times at the end."""
    page.goto(server.url + "/live")
    page.wait_for_function("typeof onEvent === 'function'")
    now = page.evaluate("performance.now() / 1000")
    page.evaluate("m => onEvent(m)", {"type": "cue", "count": 0, "time_s": now, "rep_end_s": now - 1.2,
                                      "message": "Hips sagged at 11.9 s (35° off the reference).",
                                      "severity": "fault", "exercise": "plank"})
    assert "after it began" in page.inner_text("#delay") and "rep" not in page.inner_text("#delay")
    page.evaluate("m => onEvent(m)", {"type": "cue", "count": 0, "time_s": now + 12,
                                      "message": "Plank held 23.6 s, 11.6 s in good form; to work on: hips sag.",
                                      "severity": "info", "exercise": "plank"})
    assert page.inner_text("#delay") == "" and "Plank held" in page.inner_text("#cue")
    assert page.locator("#cues li").count() == 2
    assert page.evaluate("window.gymlLive.delays.length") == 0   # rep delays only
    assert page.locator("#cues li[data-rep-id]").count() == 0


def test_live_coaching_recognises_a_plank_from_the_camera_and_times_it(server, playwright, tmp_path):
    """No exercise chosen, a real plank before the camera: the page says what it took it for, times the
    hold, and ends with its times instead of a rep count."""
    camera = _as_y4m(shared_path("videos", "uncounted", "plank_v_ee4e21.mp4"), tmp_path / "plank.y4m")
    chromium = _chromium(playwright, camera)
    try:
        page = chromium.new_page()
        page.goto(server.url + "/live")
        # what the page says it sends is what it sends (it once said 320 px, sending 640)
        said = int(page.inner_text("#live-status").split("reduced to ")[1].split(" px")[0])
        assert page.evaluate("Math.max(...frameSize(1280, 720))") == said
        page.click("#start")
        page.wait_for_function("window.gymlLive.cues.some(c => c.message.startsWith('Looks like a plank'))",
                               timeout=90_000)
        page.wait_for_function("window.gymlLive.held !== null", timeout=10_000)
        assert page.inner_text("#count-label") == "Held" and page.inner_text("#count").endswith(" s")
        assert page.inner_text("#cue-label") == "Last cue" and page.inner_text("#live-status") == "Timing the hold."
        assert page.inner_text("#exercise-now").startswith("Exercise: Plank (")
        # 640 px frames: at 320 px a person lying down jitters enough to be counted as reps
        assert page.evaluate("[$('frame').width, $('frame').height]") == [640, 360]
        assert page.evaluate("[frameSize(720, 1280), frameSize(320, 240)]") == [[360, 640], [640, 480]]
        page.click("#stop")
        page.wait_for_function("window.gymlLive.final !== null", timeout=30_000)
        assert "Plank held" in page.inner_text("#cue")
        assert page.inner_text("#live-status").startswith("Hold finished")
        assert page.inner_text("#count").endswith(" s")   # the seconds held stay, not a count of 0
    finally:
        chromium.close()
