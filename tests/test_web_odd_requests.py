
"""gyml serve on requests a tester sent: odd live messages, requests from another site's page, an oversized
form field, a port already taken, a gold deleted under a queued job. Each gets one clear line, never a
traceback."""

import io
import json
import socket
import struct
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from gyml.web import store
from gyml.web.app import create_app
from gyml.web.settings import WebSettings

# the app and its settings as test_web_api_fixes builds them (pytest fixtures, taken by name)
from tests.conftest import WEB_LOCAL as LOCAL
from tests.test_web_api_fixes import _npz, _post, _run_queued


@pytest.fixture
def settings(web_settings):
    return web_settings


@pytest.fixture
def client(web_client):
    return web_client


LIVE = LOCAL.replace("http", "ws") + "/ws/live"




def _error_line(ws) -> str:
    message = json.loads(ws.receive_text())
    assert message["type"] == "error", message
    line = message["message"]
    assert isinstance(line, str) and "\n" not in line and 10 < len(line) < 200, line
    return line


# ---- 1. live messages of the wrong shape ----

def test_a_live_message_of_the_wrong_shape_gets_one_error_line_and_the_connection_goes_on(client):
    with client.websocket_connect(LIVE) as ws:
        for text in ("[1, 2]", "5", "null", '"start"', "not json", "[" * 100_000, "1" * 5000, '{"type": 7}',
                     '{"type": ["start"]}', '{"type": "begin"}', '{}'):
            ws.send_text(text)
            assert '{"type": "start"}' in _error_line(ws), text[:20]   # what to send instead
        # still open: a start naming an unknown exercise is answered as before, then closed
        ws.send_text('{"type": "start", "exercise": "squatz"}')
        assert _error_line(ws).startswith("unknown exercise 'squatz'")
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()


@pytest.mark.parametrize("exercise", [5, {"a": 1}, ["squat"], True, 2.5])
def test_a_live_start_whose_exercise_is_not_a_name_is_refused_in_one_line(client, exercise):
    with client.websocket_connect(LIVE) as ws:
        ws.send_text(json.dumps({"type": "start", "exercise": exercise}))
        assert _error_line(ws).startswith("the start message's exercise must be an exercise's name")
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()


def test_live_frames_whose_timestamp_is_not_a_time_are_dropped_and_said_once(client):
    import cv2
    import numpy as np

    jpeg = cv2.imencode(".jpg", np.full((120, 160, 3), 120, np.uint8))[1].tobytes()
    with client.websocket_connect(LIVE) as ws:
        ws.send_text('{"type": "start"}')
        assert json.loads(ws.receive_text())["type"] == "ready"
        ws.send_bytes(struct.pack("<d", 1000.0) + jpeg)
        # infinity sent the pose thread round its tick loop for ever; a jump of years, for hours
        for stamp in (float("inf"), float("nan"), 1e15, float("-inf")):
            ws.send_bytes(struct.pack("<d", stamp) + jpeg)
        ws.send_bytes(struct.pack("<d", 1000.1) + jpeg)
        ws.send_text('{"type": "stop"}')
        seen = []
        while not seen or seen[-1]["type"] != "final":
            seen.append(json.loads(ws.receive_text()))
    errors = [m["message"] for m in seen if m["type"] == "error"]
    assert errors == ["a frame's timestamp must be a finite number of seconds: frames with another are dropped",
                      ("a frame's timestamp jumped more than 600 s ahead of the frame before: such frames are "
                       "dropped; start a new set")], errors   # each said once
    assert seen[-1]["count"] == 0


# ---- 2. requests from another site's page ----

def test_a_request_from_another_sites_page_is_refused(client, settings, tmp_path):
    data = _npz(tmp_path, "squat", reps=3)
    evil = {"origin": "http://evil.example"}
    for origin in ("http://evil.example", "http://127.0.0.1:8001", "https://127.0.0.1", "null",
                   "http://localhost:8000"):
        refused = client.post("/api/analyses", files={"file": ("a.npz", io.BytesIO(data))},
                              headers={"origin": origin})
        assert refused.status_code == 403, (origin, refused.text)
        assert refused.json()["detail"].startswith("refused: a request from another site's page"), refused.text
    assert client.get("/api/analyses").json()["analyses"] == [] and list(settings.uploads.iterdir()) == []
    # the app's own page (same origin) and scripts sending no Origin
    own = client.post("/api/analyses", files={"file": ("a.npz", io.BytesIO(data))},
                      headers={"origin": LOCAL})
    assert own.status_code == 201, own.text
    job = _post(client, "b.npz", data).json()["id"]
    assert client.delete(f"/api/analyses/{job}", headers=evil).status_code == 403
    assert client.get(f"/api/analyses/{job}", headers=evil).status_code == 200   # reads: the browser hides them
    assert client.delete(f"/api/analyses/{job}", headers={"origin": LOCAL}).status_code == 200

    with pytest.raises(WebSocketDisconnect) as refused_ws, \
            client.websocket_connect(LIVE, headers=evil) as ws:   # a 403 to the handshake, from uvicorn
        ws.receive_text()
    assert refused_ws.value.code == 1008
    with client.websocket_connect(LIVE, headers={"origin": LOCAL}) as ws:
        ws.send_text('{"type": "begin"}')
        assert json.loads(ws.receive_text())["type"] == "error"


def test_a_server_behind_a_tls_proxy_takes_its_own_pages_requests(tmp_path):
    exposed = WebSettings.build(data_dir=tmp_path / "exposed", host="0.0.0.0", token="s3cret-token")
    with TestClient(create_app(exposed, start_workers=False), base_url="http://gym.lan") as other:
        headers = {"Authorization": "Bearer s3cret-token", "origin": "https://gym.lan"}
        data = _npz(tmp_path, "squat", reps=3)
        assert other.post("/api/analyses", files={"file": ("a.npz", io.BytesIO(data))},
                          headers=headers).status_code == 201
        headers["origin"] = "https://gym.lan:8443"
        assert other.post("/api/analyses", files={"file": ("a.npz", io.BytesIO(data))},
                          headers=headers).status_code == 403


# ---- 3. an oversized form field ----

def test_an_oversized_form_field_is_named(client, settings, tmp_path):
    data = _npz(tmp_path, "squat", reps=3)
    for field in ("exercise", "gold_id", "fps", "layout", "notes"):
        response = _post(client, "squats.npz", data, **{field: "x" * 2_000_000})
        assert response.status_code == 422, response.text
        assert response.json() == {"detail": f"the field '{field}' is larger than 1024 KB: a field is a short "
                                             "value; send the file as the part 'file' with its file name"}
    urlencoded = client.post("/api/analyses", data={"exercise": "x" * 2_000_000})   # no multipart at all
    assert urlencoded.status_code == 422 and urlencoded.json()["detail"].startswith("the field 'exercise' is larger")
    assert list(settings.uploads.iterdir()) == []
    # a file part without its file name is still told so
    nameless = client.post("/api/analyses", files={"file": ("", io.BytesIO(b"x" * 1_300_000), "video/mp4")})
    assert nameless.json()["detail"].startswith("the upload has no file name")


# ---- 4. a port already in use ----

def test_serve_on_a_port_in_use_says_so_in_one_line_before_its_banner(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "gyml.cli", "serve", "--port", str(port), "--data",
                            str(tmp_path / "data"), "--workers", "1"], capture_output=True, text=True,
                           timeout=120, check=False)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    assert r.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use - choose another with --port"]


# ---- 5. a gold deleted while a job still needs it ----

def test_a_gold_in_use_by_a_queued_job_is_not_deleted(client, settings, tmp_path):
    gold = _post(client, "my squats.npz", _npz(tmp_path, "squat")).json()["id"]
    _run_queued(settings)
    job = _post(client, "more squats.npz", _npz(tmp_path, "squat", seed=2), gold_id=gold).json()["id"]
    refused = client.delete(f"/api/analyses/{gold}")
    assert refused.status_code == 409
    assert refused.json() == {"detail": "my squats.npz is the gold of 1 analysis not finished yet: delete it once "
                                        "that analysis has run"}
    assert client.get(f"/api/analyses/{gold}").json()["status"] == "done"
    _run_queued(settings)
    assert client.get(f"/api/analyses/{job}").json()["status"] == "done"
    assert client.delete(f"/api/analyses/{gold}").status_code == 200
    # a job queued before its gold went (deleted elsewhere, as by hand in the database) says so when it runs
    other = _post(client, "new gold.npz", _npz(tmp_path, "squat", seed=3)).json()["id"]
    _run_queued(settings)
    job = _post(client, "squats again.npz", _npz(tmp_path, "squat", seed=4), gold_id=other).json()["id"]
    store.delete(store.open_engine(settings.database_url), other)
    _run_queued(settings)
    failed = client.get(f"/api/analyses/{job}").json()
    assert failed["status"] == "failed"
    assert failed["error"] == (f"the gold (analysis {other}) was deleted before this analysis ran: upload the "
                               "recording again with another gold, or none")
