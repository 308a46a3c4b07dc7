"""gyml serve's API on inputs a user tried: a gold of another exercise, uploads without a file name, a
failed analysis's message, a foreign Host header. Every refusal is one short line, never the upload's bytes."""

import io
import os

import numpy as np
import pytest
from fastapi.testclient import TestClient

from gyml.synth.motion import synthesize
from gyml.web import store
from gyml.web.app import create_app
from gyml.web.settings import WebSettings
from gyml.web.worker import run_job

LOCAL = "http://127.0.0.1:8000"   # a server on this machine answers its own host names only


@pytest.fixture
def settings(tmp_path):
    return WebSettings.build(data_dir=tmp_path / "serve", max_upload_mb=5.0, workers=1)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings, start_workers=False), base_url=LOCAL) as c:
        yield c


def _npz(tmp_path, exercise: str, reps: int = 5, seed: int = 1) -> bytes:
    path = tmp_path / f"{exercise}-{seed}.npz"
    synthesize(exercise, reps, seed=seed).save(path)
    return path.read_bytes()


def _post(client, name, data, **fields):
    return client.post("/api/analyses", files={"file": (name, io.BytesIO(data))}, data=fields)


def _run_queued(settings) -> None:
    engine = store.open_engine(settings.database_url)
    while (job := store.claim(engine, os.getpid())) is not None:
        run_job(engine, settings.data_dir, job, os.getpid())


def test_a_gold_of_another_exercise_is_refused_as_the_cli_refuses_it(client, settings, tmp_path):
    gold = _post(client, "my push-ups.npz", _npz(tmp_path, "push_up")).json()["id"]
    _run_queued(settings)
    assert client.get(f"/api/analyses/{gold}").json()["result"]["exercise"]["label"] == "push_up"
    squats = _npz(tmp_path, "squat", seed=2)

    # the exercise named: refused at once, before any upload is kept
    named = _post(client, "squats.npz", squats, exercise="squat", gold_id=gold)
    assert named.status_code == 422
    assert named.json() == {"detail": "the gold my push-ups.npz looks like push-up, not squat: choose a finished "
                                      "analysis of squat as the gold"}
    assert list(settings.uploads.glob("*")) == [settings.uploads / f"{gold}.npz"]

    # not named: the recording's exercise is known once its pose is read, so the job fails with the reason
    job = _post(client, "squats.npz", squats, gold_id=gold)
    assert job.status_code == 201
    _run_queued(settings)
    failed = client.get(f"/api/analyses/{job.json()['id']}").json()
    assert failed["status"] == "failed" and failed["result"] is None
    assert failed["error"] == ("the gold my push-ups.npz looks like push-up and this recording like squat: choose a "
                               "gold of the same exercise, or name the exercise (the exercise field)")

    # a gold of the same exercise is used
    same = _post(client, "more push-ups.npz", _npz(tmp_path, "push_up", seed=3), gold_id=gold).json()["id"]
    named_same = _post(client, "push-ups.npz", _npz(tmp_path, "push_up", seed=4), exercise="push_up",
                       gold_id=gold).json()["id"]
    _run_queued(settings)
    for job_id in (same, named_same):
        done = client.get(f"/api/analyses/{job_id}").json()
        assert done["status"] == "done", done["error"]
        assert done["result"]["exercise"]["label"] == "push_up"


def test_an_upload_without_a_file_or_its_name_gets_one_short_line(client, settings):
    data = bytes(range(256)) * 5000   # 1.3 MB: over Starlette's 1 MB limit for a text field
    for content in (data[:4000], data):
        response = client.post("/api/analyses", files={"file": ("", io.BytesIO(content), "video/mp4")})
        assert 400 <= response.status_code < 500, response.status_code
        assert response.json() == {"detail": "the upload has no file name: send the file as the multipart "
                                             "part 'file' with its name"}
        assert len(response.content) < 200   # the bytes are not sent back
    for size in (100, 1_300_000):   # a part that names an empty file name (httpx leaves it out instead)
        body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename=""\r\nContent-Type: video/mp4'
                b'\r\n\r\n' + data[:size] + b"\r\n--B--\r\n")
        response = client.post("/api/analyses", content=body,
                               headers={"content-type": "multipart/form-data; boundary=B"})
        assert response.status_code == 422 and response.json()["detail"].startswith("the upload has no file name")
    missing = client.post("/api/analyses", data={"exercise": "squat"})
    assert missing.status_code == 422
    assert missing.json() == {"detail": "the upload has no file: send it as the multipart part 'file'"}
    not_multipart = client.post("/api/analyses", json={"file": "x" * 5000})
    assert 400 <= not_multipart.status_code < 500 and isinstance(not_multipart.json()["detail"], str)
    assert len(not_multipart.content) < 200
    assert list(settings.uploads.iterdir()) == []


def test_a_failed_analysis_names_the_users_file_not_its_stored_name(client, settings, tmp_path):
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
    job_id = _post(client, "empty_room.mp4", room.read_bytes()).json()["id"]
    _run_queued(settings)
    failed = client.get(f"/api/analyses/{job_id}").json()
    assert failed["status"] == "failed" and failed["error"].startswith("empty_room.mp4: "), failed["error"]
    assert job_id not in failed["error"] and str(settings.uploads) not in failed["error"]
    listed = client.get("/api/analyses").json()["analyses"][0]
    assert listed["error"] == failed["error"]


def test_a_server_on_this_machine_answers_its_own_host_names_only(client, tmp_path):
    """No token on 127.0.0.1: a page whose host name was pointed at 127.0.0.1 (DNS rebinding) must not reach
    the API through the person's browser."""
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "localhost"):
        assert client.get("/api/analyses", headers={"host": host}).status_code == 200, host
    for host in ("evil.example.com", "evil.example.com:8000", "127.0.0.1.evil.example.com"):
        assert client.get("/api/analyses", headers={"host": host}).status_code == 400, host
        assert client.post("/api/analyses", headers={"host": host}, files={"file": ("a.npz", b"x")}).status_code == 400
    # an exposed server (with its token) is reached by whatever name the network gives it
    exposed = WebSettings.build(data_dir=tmp_path / "exposed", host="0.0.0.0", token="s3cret-token")
    with TestClient(create_app(exposed, start_workers=False), base_url="http://gym.lan:8000") as other:
        assert other.get("/api/analyses", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
