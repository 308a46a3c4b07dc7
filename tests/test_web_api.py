"""gyml serve's API in-process: bad uploads are refused with a clear 4xx, good ones are queued, claimed once,
analysed by the worker code and kept across a restart; the access token guards an exposed server."""

import io
import json
import os
import pickle
import random
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from gyml.errors import GymlError
from gyml.synth.motion import synthesize
from gyml.web import store
from gyml.web.app import create_app
from gyml.web.settings import WebSettings
from gyml.web.worker import run_job
from tests.conftest import shared_path

LOCAL = "http://127.0.0.1:8000"   # a server on this machine answers its own host names only


@pytest.fixture
def settings(tmp_path):
    return WebSettings.build(data_dir=tmp_path / "serve", max_upload_mb=1.0, workers=1)


@pytest.fixture
def web_settings(settings):   # conftest's web_client on this module's settings (1 MB uploads)
    return settings


@pytest.fixture
def client(web_client):
    return web_client


def _post(client, name, data, **fields):
    return client.post("/api/analyses", files={"file": (name, io.BytesIO(data))}, data=fields)


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-gyml-upload",))


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_bad_uploads_get_a_clear_4xx_and_leave_nothing_behind(client, settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    video = shared_path("videos", "counted", "push-ups__push-up_37.mp4").read_bytes()
    cases = {
        "garbage.mp4": (random.Random(7).randbytes(4096), "decoded"),   # seeded: noise can open as audio only
        "empty.npz": (b"", "empty"),
        "big.npz": (b"PK\x03\x04" + b"\0" * 1_200_000, "upload limit"),
        "evil.pkl": (pickle.dumps(_RunsCode()), "pickle"),
        "truncated.mp4": (video[: len(video) // 2], "truncated"),
        "binary.dat": (bytes(range(256)) * 8, "unknown file format"),
    }
    for name, (data, words) in cases.items():
        response = _post(client, name, data)
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        detail = response.json()["detail"]
        assert words in detail and "Traceback" not in detail, (name, detail)
        assert settings.uploads.name not in detail   # the stored name is ours; messages use the user's
    assert not (tmp_path / "pwned-by-gyml-upload").exists()
    assert list(settings.uploads.iterdir()) == []
    assert client.get("/api/analyses").json()["analyses"] == []
    assert _post(client, "ok.npz", b"x", exercise="no_such_move").status_code == 422
    assert _post(client, "ok.npz", b"x", gold_id="../../etc").status_code == 422


def test_an_upload_is_analysed_once_by_a_worker_and_kept_across_a_restart(settings, tmp_path):
    seq = synthesize("squat", 5, {3: "shallow"}, seed=3)
    pose_file = tmp_path / "set.npz"
    seq.save(pose_file)
    with TestClient(create_app(settings, start_workers=False), base_url=LOCAL) as client:
        created = _post(client, "../../my set.npz", pose_file.read_bytes())
        assert created.status_code == 201
        job_id = created.json()["id"]
        second = _post(client, "again.npz", pose_file.read_bytes()).json()["id"]
        row = client.get(f"/api/analyses/{job_id}").json()
        assert row["status"] == "queued" and row["result"] is None and row["input_name"] == "my set.npz"
        assert [p.name for p in settings.uploads.iterdir()] != ["my set.npz"]

    engine = store.open_engine(settings.database_url)
    worker = os.getpid()
    first = store.claim(engine, worker)
    assert first.id == job_id            # oldest first
    other = store.claim(engine, worker + 1)
    assert other.id == second and store.claim(engine, worker) is None   # never the same job twice
    run_job(engine, settings.data_dir, first, worker)
    # the second job's worker dies mid-job (the server was killed): its job must come back, not vanish
    with engine.begin() as conn:
        conn.execute(store.AnalysisRow.__table__.update().values(worker_pid=_dead_pid())
                     .where(store.AnalysisRow.__table__.c.id == second))
    assert not store.finish(engine, second, worker + 1, result={})   # not its worker any more

    with TestClient(create_app(settings, start_workers=False), base_url=LOCAL) as client:   # the restart
        done = client.get(f"/api/analyses/{job_id}").json()
        assert done["status"] == "done" and done["error"] is None
        result = done["result"]
        assert result["reps"]["count"] == 5 and result["exercise"]["label"] == "squat"
        assert any(f["severity"] == "fault" and f["rep"] == 3 for f in result["feedback"])
        assert set(done["files"]) == {"json", "pose", "report"}
        report = client.get(done["files"]["report"])
        assert report.status_code == 200 and "<html" in report.text
        assert client.get(done["files"]["json"]).json() == result
        requeued = client.get(f"/api/analyses/{second}").json()
        assert requeued["status"] == "queued" and requeued["attempts"] == 1
        listed = client.get("/api/analyses").json()["analyses"]
        assert {a["id"] for a in listed} == {job_id, second} and \
            next(a for a in listed if a["id"] == job_id)["count"] == 5

        again = store.claim(engine, worker)
        assert again.id == second
        run_job(engine, settings.data_dir, again, worker)
        assert client.get(f"/api/analyses/{second}").json()["attempts"] == 2

        # a DELETE that removed the files after the download read the row: 404, as once the row is gone
        (settings.results / job_id / "report.html").unlink()
        gone = client.get(done["files"]["report"])
        assert gone.status_code == 404 and gone.json() == {"detail": f"no analysis with id '{job_id}'"}
        assert client.delete(f"/api/analyses/{job_id}").status_code == 200
        assert client.get(f"/api/analyses/{job_id}").status_code == 404
        assert not (settings.results / job_id).exists()
        assert client.get("/api/analyses/not-an-id").status_code == 404


def test_pages_docs_and_openapi_are_served_locally(client):
    for page in ("/", "/live", "/docs"):
        response = client.get(page)
        assert response.status_code == 200
        # nothing is loaded from another site
        assert "http://" not in response.text and "https://" not in response.text.replace(
            "https://swagger.io", "")
    spec = client.get("/openapi.json").json()
    assert "/api/analyses" in spec["paths"] and "post" in spec["paths"]["/api/analyses"]
    assert client.get("/swagger-ui/swagger-ui-bundle.js").status_code == 200
    # the docs page's Swagger UI (4.x) renders OpenAPI 3.0 only: it gets the same description as 3.0
    assert spec["openapi"].startswith("3.1")
    spec30 = client.get("/openapi-3.0.json").json()
    assert spec30["openapi"].startswith("3.0.") and spec30["paths"].keys() == spec["paths"].keys()
    assert '"type": "null"' not in json.dumps(spec30) and "contentMediaType" not in json.dumps(spec30)
    assert "/openapi-3.0.json" in client.get("/docs").text


def test_an_exposed_server_needs_the_token(tmp_path, monkeypatch):
    monkeypatch.delenv("GYML_TOKEN", raising=False)
    with pytest.raises(GymlError, match="token"):
        WebSettings.build(data_dir=tmp_path, host="0.0.0.0")
    settings = WebSettings.build(data_dir=tmp_path, host="0.0.0.0", token="s3cret-token")
    app = create_app(settings, start_workers=False)
    with TestClient(app) as client:
        assert client.get("/api/analyses").status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/analyses", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        first = client.get("/?token=s3cret-token")
        assert first.status_code == 200 and "gyml_token" in first.headers["set-cookie"]
        assert client.get("/api/analyses").status_code == 200   # the cookie now
        with client.websocket_connect("/ws/live") as ws:   # the cookie lets the live page in too
            ws.send_text('{"type": "stop"}')
    with pytest.raises(WebSocketDisconnect), TestClient(app).websocket_connect("/ws/live") as ws:
        ws.receive_text()


def test_a_zombie_worker_counts_as_dead():
    """A worker killed with its server lingers unreaped where PID 1 reaps nothing: its job must still be
    requeued, so a zombie is no living worker."""
    import subprocess
    import time

    from gyml.web.store import _process_start

    child = subprocess.Popen(["sleep", "0"])
    deadline = time.monotonic() + 5
    import psutil
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE
    assert _process_start(child.pid) is None
    child.wait()
    assert _process_start(os.getpid()) is not None


def test_a_hold_is_listed_by_how_long_it_was_held_not_as_zero_reps(settings, tmp_path):
    from gyml.synth import CATALOG, SynthConfig

    seq = synthesize(CATALOG["plank"], 4, seed=1, config=SynthConfig(noise_m=0.01))
    pose_file = tmp_path / "plank.npz"
    seq.save(pose_file)
    with TestClient(create_app(settings, start_workers=False), base_url=LOCAL) as client:
        job_id = _post(client, "plank.npz", pose_file.read_bytes()).json()["id"]
        engine = store.open_engine(settings.database_url)
        run_job(engine, settings.data_dir, store.claim(engine, os.getpid()), os.getpid())
        result = client.get(f"/api/analyses/{job_id}").json()["result"]
        assert result["exercise"]["label"] == "plank" and result["reps"]["method"] == "hold"
        listed = client.get("/api/analyses").json()["analyses"][0]
        assert listed["count"] is None and listed["held_s"] == result["hold"]["time_under_tension_s"] > 5


def test_the_exercise_list_offers_the_catalog_then_the_servers_own_exercises(client):
    from gyml.classify import personal

    listed = client.get("/api/exercises").json()["exercises"]
    assert {"label": "plank", "name": "Plank", "hold": True} in listed and not any(e.get("own") for e in listed)
    sets = [synthesize("bicep_curl", 5, seed=s) for s in (1, 2)]
    personal.BACKGROUND_SETS, shipped = 1, personal.BACKGROUND_SETS
    try:
        personal.add("my_curl", sets, ["a.npz", "b.npz"])
    finally:
        personal.BACKGROUND_SETS = shipped
    mine = client.get("/api/exercises").json()["exercises"][-1]
    assert mine == {"label": "my_curl", "name": "My curl", "hold": False, "own": True}
    (personal.exercises_dir() / "my_curl.json").write_text("{not json")   # damaged: the catalog still lists
    assert client.get("/api/exercises").json()["exercises"][-1]["label"] != "my_curl"
