"""gyml serve's API on inputs a user tried: a gold of another exercise, uploads without a file name, a
failed analysis's message, a foreign Host header. Every refusal is one short line, never the upload's bytes."""

import io
import os

import numpy as np
from fastapi.testclient import TestClient

from gyml.synth.motion import synthesize
from gyml.web import store
from gyml.web.app import create_app
from gyml.web.settings import WebSettings
from gyml.web.worker import run_job


def _npz(tmp_path, exercise: str, reps: int = 5, seed: int = 1) -> bytes:
    path = tmp_path / f"{exercise}-{seed}.npz"
    synthesize(exercise, reps, seed=seed).save(path)
    return path.read_bytes()


def _post(web_client, name, data, **fields):
    return web_client.post("/api/analyses", files={"file": (name, io.BytesIO(data))}, data=fields)


def _run_queued(web_settings) -> None:
    engine = store.open_engine(web_settings.database_url)
    while (job := store.claim(engine, os.getpid())) is not None:
        run_job(engine, web_settings.data_dir, job, os.getpid())


def test_a_gold_of_another_exercise_is_refused_as_the_cli_refuses_it(web_client, web_settings, tmp_path):
    gold = _post(web_client, "my push-ups.npz", _npz(tmp_path, "push_up")).json()["id"]
    _run_queued(web_settings)
    assert web_client.get(f"/api/analyses/{gold}").json()["result"]["exercise"]["label"] == "push_up"
    squats = _npz(tmp_path, "squat", seed=2)

    # the exercise named: refused at once, before any upload is kept
    named = _post(web_client, "squats.npz", squats, exercise="squat", gold_id=gold)
    assert named.status_code == 422
    assert named.json() == {"detail": "the gold my push-ups.npz looks like push-up, not squat: choose a finished "
                                      "analysis of squat as the gold"}
    assert list(web_settings.uploads.glob("*")) == [web_settings.uploads / f"{gold}.npz"]

    # not named: the recording's exercise is known once its pose is read, so the job fails with the reason
    job = _post(web_client, "squats.npz", squats, gold_id=gold)
    assert job.status_code == 201
    _run_queued(web_settings)
    failed = web_client.get(f"/api/analyses/{job.json()['id']}").json()
    assert failed["status"] == "failed" and failed["result"] is None
    assert failed["error"] == ("the gold my push-ups.npz looks like push-up and this recording like squat: choose a "
                               "gold of the same exercise, or name the exercise (the exercise field)")

    # a gold of the same exercise is used
    same = _post(web_client, "more push-ups.npz", _npz(tmp_path, "push_up", seed=3), gold_id=gold).json()["id"]
    named_same = _post(web_client, "push-ups.npz", _npz(tmp_path, "push_up", seed=4), exercise="push_up",
                       gold_id=gold).json()["id"]
    _run_queued(web_settings)
    for job_id in (same, named_same):
        done = web_client.get(f"/api/analyses/{job_id}").json()
        assert done["status"] == "done", done["error"]
        assert done["result"]["exercise"]["label"] == "push_up"


def test_an_upload_without_a_file_or_its_name_gets_one_short_line(web_client, web_settings):
    data = bytes(range(256)) * 5000   # 1.3 MB: over Starlette's 1 MB limit for a text field
    for content in (data[:4000], data):
        response = web_client.post("/api/analyses", files={"file": ("", io.BytesIO(content), "video/mp4")})
        assert 400 <= response.status_code < 500, response.status_code
        assert response.json() == {"detail": "the upload has no file name: send the file as the multipart "
                                             "part 'file' with its name"}
        assert len(response.content) < 200   # the bytes are not sent back
    for size in (100, 1_300_000):   # a part that names an empty file name (httpx leaves it out instead)
        body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename=""\r\nContent-Type: video/mp4'
                b'\r\n\r\n' + data[:size] + b"\r\n--B--\r\n")
        response = web_client.post("/api/analyses", content=body,
                               headers={"content-type": "multipart/form-data; boundary=B"})
        assert response.status_code == 422 and response.json()["detail"].startswith("the upload has no file name")
    missing = web_client.post("/api/analyses", data={"exercise": "squat"})
    assert missing.status_code == 422
    assert missing.json() == {"detail": "the upload has no file: send it as the multipart part 'file'"}
    not_multipart = web_client.post("/api/analyses", json={"file": "x" * 5000})
    assert 400 <= not_multipart.status_code < 500 and isinstance(not_multipart.json()["detail"], str)
    assert len(not_multipart.content) < 200
    assert list(web_settings.uploads.iterdir()) == []


def test_a_failed_analysis_names_the_users_file_not_its_stored_name(web_client, web_settings, tmp_path):
    import av

    room = tmp_path / "empty_room.mp4"   # a second of an empty room: it decodes, but nobody is in it
    with av.open(str(room), "w") as out:
        stream = out.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(15):
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), 90 + i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    job_id = _post(web_client, "empty_room.mp4", room.read_bytes()).json()["id"]
    _run_queued(web_settings)
    failed = web_client.get(f"/api/analyses/{job_id}").json()
    assert failed["status"] == "failed" and failed["error"].startswith("empty_room.mp4: "), failed["error"]
    assert job_id not in failed["error"] and str(web_settings.uploads) not in failed["error"]
    listed = web_client.get("/api/analyses").json()["analyses"][0]
    assert listed["error"] == failed["error"]


def test_a_server_on_this_machine_answers_its_own_host_names_only(web_client, tmp_path):
    """No token on 127.0.0.1: a page whose host name was pointed at 127.0.0.1 (DNS rebinding) must not reach
    the API through the person's browser."""
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "localhost"):
        assert web_client.get("/api/analyses", headers={"host": host}).status_code == 200, host
    for host in ("evil.example.com", "evil.example.com:8000", "127.0.0.1.evil.example.com"):
        assert web_client.get("/api/analyses", headers={"host": host}).status_code == 400, host
        assert web_client.post("/api/analyses", headers={"host": host}, files={"file": ("a.npz", b"x")}).status_code == 400
    # an exposed server (with its token) is reached by whatever name the network gives it
    exposed = WebSettings.build(data_dir=tmp_path / "exposed", host="0.0.0.0", token="s3cret-token")
    with TestClient(create_app(exposed, start_workers=False), base_url="http://gym.lan:8000") as other:
        assert other.get("/api/analyses", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def _coco17_plank(tmp_path) -> bytes:
    """A 12.6-s plank as a COCO-17 tracker stores it: a bare (T, 17, 3) array, no rate, a layout that could
    as well be Human3.6M-17."""
    from gyml.pose.skeleton import JOINT

    seq = synthesize("plank", 3, seed=1)
    names = ["head"] * 5 + [f"{side}_{part}" for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
                            for side in ("left", "right")]
    path = tmp_path / "plank17.npy"
    np.save(path, np.stack([seq.joints[:, JOINT[name]] for name in names], axis=1).astype(np.float32))
    return path.read_bytes()


def test_a_pose_file_is_read_at_the_rate_and_in_the_layout_the_upload_gives(web_client, web_settings, tmp_path):
    data = _coco17_plank(tmp_path)
    # no layout: refused at once, in the API's words (before: no field could give it, so never analysable)
    refused = _post(web_client, "plank.npy", data)
    assert refused.status_code == 422
    assert refused.json() == {"detail": "plank.npy: 17 keypoints per frame could be COCO-17 or Human3.6M-17; "
                                        "name the layout with the layout field (coco17, h36m17)"}
    at30 = _post(web_client, "plank.npy", data, layout="COCO-17").json()["id"]
    at60 = _post(web_client, "plank.npy", data, layout="coco17", fps="60").json()["id"]
    _run_queued(web_settings)
    assumed, given = (web_client.get(f"/api/analyses/{i}").json() for i in (at30, at60))
    assert assumed["status"] == given["status"] == "done", (assumed["error"], given["error"])
    assert (assumed["fps"], assumed["layout"], given["fps"], given["layout"]) == (None, "coco17", 60.0, "coco17")
    held30, held60 = (job["result"]["hold"]["time_under_tension_s"] for job in (assumed, given))
    assert given["result"]["fps"] == 60.0 and held30 > 10 and abs(held60 - held30 / 2) < 0.2, (held30, held60)
    # the rate given is not called assumed; the assumed one says so, naming the field an upload has
    assert "fps_assumed" not in given["result"] and assumed["result"]["fps_assumed"] is True
    assert any("give the fps field if" in f["message"] for f in assumed["result"]["feedback"])
    assert not any("--fps" in f["message"] for f in assumed["result"]["feedback"])


def test_a_bad_rate_or_layout_is_refused_with_one_line_and_a_video_ignores_both(web_client, web_settings, tmp_path):
    import av

    data = _coco17_plank(tmp_path)
    cases = [({"fps": "abc", "layout": "coco17"}, "'fps': Input should be a valid number"),
             ({"fps": "0", "layout": "coco17"}, "fps must lie in [1, 1000], got 0"),
             ({"fps": "100000", "layout": "coco17"}, "fps must lie in [1, 1000], got 100000"),
             ({"fps": "nan", "layout": "coco17"}, "fps must be a finite number, got nan"),
             ({"layout": "coco71"}, ("unknown keypoint layout 'coco71' (known: mediapipe33, coco17, h36m17, "
                                     "body18, body25, ntu25)")),
             ({"layout": "body25"}, ("plank.npy: layout body25 has 25 keypoints (75 or 100 values a frame); this "
                                     "file has 17 keypoints a frame"))]
    for fields, detail in cases:
        response = _post(web_client, "plank.npy", data, **fields)
        line = response.json()["detail"]
        assert response.status_code == 422 and line.startswith(detail) and "\n" not in line, (fields, line)
    assert list(web_settings.uploads.iterdir()) == [] and web_client.get("/api/analyses").json()["analyses"] == []

    clip = tmp_path / "clip.mp4"   # a video carries its own frame times: the fields are not kept for it
    with av.open(str(clip), "w") as out:
        stream = out.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), 60 + i, np.uint8),
                                                                   format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    video = _post(web_client, "clip.mp4", clip.read_bytes(), fps="60", layout="coco17")
    assert video.status_code == 201, video.text
    job = web_client.get(f"/api/analyses/{video.json()['id']}").json()
    assert job["kind"] == "video" and job["fps"] is None and job["layout"] is None


def test_the_worker_takes_the_golds_exercise_from_its_row_as_the_upload_check_does(web_client, web_settings, tmp_path):
    gold = _post(web_client, "my push-ups.npz", _npz(tmp_path, "push_up")).json()["id"]
    _run_queued(web_settings)
    (web_settings.results / gold / "analysis.json").unlink()   # one source: the row, not this file beside it
    job = _post(web_client, "squats.npz", _npz(tmp_path, "squat", seed=2), gold_id=gold).json()["id"]
    _run_queued(web_settings)
    failed = web_client.get(f"/api/analyses/{job}").json()
    assert failed["status"] == "failed"
    assert failed["error"].startswith("the gold my push-ups.npz looks like push-up and this recording like squat")


def test_a_database_of_an_earlier_gyml_gains_the_new_columns_and_keeps_its_history(tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store.enqueue(store.open_engine(url), "a" * 32, "a.npz", "npz", "a.npz", 10)
    with sqlite3.connect(tmp_path / "old.db") as db:   # as an earlier gyml made it: no fps, no layout
        db.execute("ALTER TABLE analyses DROP COLUMN fps")
        db.execute("ALTER TABLE analyses DROP COLUMN layout")
    engine = store.open_engine(url)
    store.enqueue(engine, "b" * 32, "b.npy", "npy", "b.npy", 10, fps=60.0, layout="coco17")
    assert store.to_api(store.get(engine, "a" * 32))["fps"] is None
    job = store.claim(engine, os.getpid())
    assert (job.id, job.fps, job.layout) == ("a" * 32, None, None)
    job = store.claim(engine, os.getpid())
    assert (job.id, job.fps, job.layout) == ("b" * 32, 60.0, "coco17")
