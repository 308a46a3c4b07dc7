"""gyml serve after a user's trial: an unknown or deleted analysis opened in the browser is a page, not raw
JSON; the result page names the reference and says a fault's moment as the cues do; the history tells
uploads of one file apart (exercise, gold, a failure's reason); the upload page chooses a gold."""

import io
import os
import sqlite3
import time
import urllib.request
from urllib.parse import urlparse

import pytest

from gyml.coach.compare import Finding
from gyml.coach.feedback import phrase
from gyml.report.analysis import exercise_text
from gyml.synth.motion import synthesize
from gyml.web import app as web_app
from gyml.web import store
from gyml.web.worker import run_job
from tests.test_web_pages import upload_through_page

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"   # Chromium's


# started first (autouse), so that its worker has loaded the pipeline and the model while the API tests run
@pytest.fixture(scope="module", autouse=True)
def server(tmp_path_factory):
    from tests.test_web_browser import served

    with served(tmp_path_factory.mktemp("serve-trial")) as srv:
        yield srv


def _npz(tmp_path, exercise: str, reps: int = 4, seed: int = 1, faults=None) -> bytes:
    path = tmp_path / f"{exercise}-{seed}.npz"
    synthesize(exercise, reps, faults=faults, seed=seed).save(path)
    return path.read_bytes()


def _post(web_client, name, data, **fields) -> str:
    response = web_client.post("/api/analyses", files={"file": (name, io.BytesIO(data))}, data=fields)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _run_queued(web_settings) -> None:
    engine = store.open_engine(web_settings.database_url)
    while (job := store.claim(engine, os.getpid())) is not None:
        run_job(engine, web_settings.data_dir, job, os.getpid())


# --- 1. an analysis that is not there, opened in the browser ---

def test_a_browser_opening_an_unknown_or_deleted_analysis_gets_a_page_the_api_its_json(web_client, tmp_path):
    gone = _post(web_client, "gone.npz", _npz(tmp_path, "squat"))
    assert web_client.delete(f"/api/analyses/{gone}").status_code == 200
    for analysis_id in (gone, "0" * 32, "not-an-id"):
        for path in (f"/analyses/{analysis_id}", f"/api/analyses/{analysis_id}/report"):
            page = web_client.get(path, headers={"Accept": BROWSER})
            assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
            assert "No such analysis" in page.text and "deleted" in page.text
            assert 'href="/"' in page.text and 'href="/static/style.css"' in page.text
            assert "://" not in page.text   # nothing from another host
            for accept in ("*/*", "application/json", "application/json, text/html;q=0.5"):
                api = web_client.get(path, headers={"Accept": accept})
                assert api.status_code == 404 and api.json() == {"detail": f"no analysis with id '{analysis_id}'"}
        api = web_client.get(f"/api/analyses/{analysis_id}", headers={"Accept": "application/json"})
        assert api.status_code == 404 and "detail" in api.json()
    # the id is shown as text, never as markup
    page = web_client.get("/analyses/%3Cb%3Ex", headers={"Accept": BROWSER})
    assert page.status_code == 404 and "<b>x" not in page.text and "&lt;b&gt;x" in page.text
    # an address with no page at all, in the browser: the same kind of page
    nowhere = web_client.get("/nowhere", headers={"Accept": BROWSER})
    assert nowhere.status_code == 404 and "Page not found" in nowhere.text
    assert web_client.get("/nowhere").json() == {"detail": "Not Found"}


def test_which_requests_ask_for_a_page():
    wants_html = web_app.wants_html
    assert wants_html(BROWSER) and wants_html("text/html")
    assert not wants_html("*/*") and not wants_html("") and not wants_html("application/json")
    assert not wants_html("text/html;q=0, */*") and not wants_html("text/html;q=0.4, application/json")


# --- 2.-4. the reference, the moments in the cues' words, the history ---

def test_the_api_gives_the_cues_words_for_the_moments_of_faults(web_client, web_settings, tmp_path):
    lunge = _post(web_client, "lunge_high.npz", _npz(tmp_path, "lunge", faults={2: "shallow"}))
    pull = _post(web_client, "pullups.npz", _npz(tmp_path, "pull_up", seed=3, faults={2: "partial_range"}))
    _run_queued(web_settings)
    for job_id, where in ((lunge, "at the bottom"), (pull, "at the top")):
        a = web_client.get(f"/api/analyses/{job_id}").json()
        phases = {p for m in a["result"]["rep_metrics"] for p in m["fault_phases"].values()}
        assert phases == {"mid"}, phases
        assert a["phase_words"]["mid"] == where and a["phase_words"]["overall"] == "over the rep"
        # each faulty rep's words are the report's rep table's
        faulty = {str(m["rep"]) for m in a["result"]["rep_metrics"] if m["fault_phases"]}
        assert faulty and all(a["fault_texts"][r].endswith(f"({where})") for r in faulty)
        assert any(f"at {where[3:]}" in f["message"] for f in a["result"]["feedback"])


@pytest.mark.parametrize("exercise", ["squat", "pull_up"])
def test_the_phase_words_are_those_of_the_cues(exercise):
    """The words come from the coach's own (gyml.coach.feedback.phrase): for every moment a fault can be
    at, the cue says what the API says."""
    words = web_app.phase_words(exercise)
    for phase in ("start", "mid", "end", "overall", "descent", "ascent"):
        cue = phrase([Finding(2, "knees_cave", phase, "knee", 10.0)], exercise, 4)[0].message
        assert cue.startswith(f"Rep 2, {words[phase]}: "), (phase, cue)


def test_the_history_tells_uploads_of_one_file_apart(web_client, web_settings, tmp_path):
    good = _post(web_client, "lunge_good.npz", _npz(tmp_path, "lunge"))
    _run_queued(web_settings)
    with_gold = _post(web_client, "lunge_high.npz", _npz(tmp_path, "lunge", seed=2), gold_id=good)
    plain = _post(web_client, "lunge_high.npz", _npz(tmp_path, "lunge", seed=2))
    failed = _post(web_client, "lunge_high.npz", _npz(tmp_path, "push_up", seed=4), gold_id=good)
    _run_queued(web_settings)
    waiting = _post(web_client, "lunge_high.npz", _npz(tmp_path, "lunge", seed=5), exercise="lunge", gold_id=good)
    rows = {a["id"]: a for a in web_client.get("/api/analyses").json()["analyses"]}

    done = web_client.get(f"/api/analyses/{with_gold}").json()
    assert rows[with_gold]["exercise_text"] == exercise_text(done["result"]["exercise"]) == \
        "Alternate Reverse Lunge (100%)"
    assert rows[with_gold]["exercise_label"] == "lunge"
    assert rows[with_gold]["gold_name"] == done["gold_name"] == "lunge_good.npz"
    assert rows[plain]["gold_name"] is None and rows[plain]["exercise_text"] == rows[with_gold]["exercise_text"]
    assert rows[failed]["status"] == "failed" and rows[failed]["gold_name"] == "lunge_good.npz"
    assert rows[failed]["error"].startswith("the gold lunge_good.npz looks like alternate reverse lunge and this "
                                            "recording like push-up")
    assert rows[failed]["exercise_text"] is None
    assert rows[waiting]["status"] == "queued" and rows[waiting]["exercise_text"] == "Alternate Reverse Lunge (named)"
    assert rows[waiting]["gold_name"] == "lunge_good.npz"
    # the built-in reference: no gold of the person's
    assert web_client.get(f"/api/analyses/{plain}").json()["gold_name"] is None
    assert web_client.get(f"/api/analyses/{plain}").json()["result"]["coach"]["gold"]["source"] == "builtin"


def test_an_earlier_gymls_finished_analyses_get_their_history_words(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = store.open_engine(url)
    store.enqueue(engine, "a" * 32, "a.npz", "npz", "lunge.npz", 10)
    job = store.claim(engine, os.getpid())
    result = {"exercise": {"label": "lunge", "name": "Alternate Reverse Lunge", "confidence": 0.9, "guess": False},
              "reps": {"count": 3}, "summary": "3 reps",
              "coach": {"gold": {"exercise": "lunge", "name": "best.npz", "source": "file"}}}
    store.finish(engine, job.id, os.getpid(), result=result)
    engine.dispose()
    with sqlite3.connect(tmp_path / "old.db") as db:   # as an earlier gyml made it: no such columns
        for column in ("exercise_label", "exercise_text", "gold_name"):
            db.execute(f"ALTER TABLE analyses DROP COLUMN {column}")
    row = store.get(store.open_engine(url), "a" * 32)
    assert (row.exercise_label, row.exercise_text, row.gold_name) == ("lunge", "Alternate Reverse Lunge (90%)",
                                                                      "best.npz")


# --- in the browser ---

@pytest.fixture(scope="module")
def browser():
    from tests.test_web_browser import CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install "
                                   "playwright)")
    if not CHROMIUM.exists():
        pytest.skip("needs Chromium at /usr/bin/chromium")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.elsewhere, page.errors = [], []
    page.on("request", lambda r: urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).hostname != "127.0.0.1" and page.elsewhere.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    # the browser's own line for a page answered 404 is expected there; any other console error is not
    page.on("console", lambda m: m.type == "error" and "status of 404" not in m.text and page.errors.append(m.text))
    yield page
    context.close()


def _wait_done(server, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = server.get(f"/api/analyses/{job_id}")
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"analysis {job_id} did not finish")


def test_choose_a_gold_on_the_upload_page_and_read_the_reference_and_moments(server, page, tmp_path):
    synthesize("lunge", 4, seed=1).save(tmp_path / "lunge_good.npz")
    synthesize("lunge", 4, faults={2: "shallow"}, seed=2).save(tmp_path / "lunge_high.npz")
    synthesize("push_up", 4, seed=4).save(tmp_path / "pushups.npz")
    good = upload_through_page(page, server, tmp_path / "lunge_good.npz")
    page.wait_for_selector("#done", state="visible", timeout=60_000)
    assert page.inner_text("#reference") == "Reference: the built-in alternate reverse lunge, and your own best reps"

    page.goto(server.url + "/")
    gold = page.get_by_label("Gold reference")   # labelled: found by its label, as a screen reader names it
    page.wait_for_selector(f'#gold option[value="{good}"]', state="attached")
    assert gold.input_value() == "" and page.inner_text("#gold option:checked") == "none (built-in)"
    gold.focus()
    page.keyboard.press("ArrowDown")   # chosen with the keyboard alone
    assert gold.input_value() == good
    assert page.inner_text("#gold option:checked").startswith("lunge_good.npz: Alternate Reverse Lunge (")
    page.select_option("#exercise", "squat")   # a lunge gold is no gold for squats: not choosable
    assert gold.input_value() == "" and page.locator(f'#gold option[value="{good}"]').is_disabled()
    page.select_option("#exercise", "")
    gold.select_option(good)
    high = upload_through_page(page, server, tmp_path / "lunge_high.npz", goto=False)
    page.wait_for_selector("#done", state="visible", timeout=60_000)
    job = server.get(f"/api/analyses/{high}")
    assert job["gold_id"] == good and job["result"]["coach"]["gold"]["source"] == "file"
    assert page.inner_text("#reference") == "Reference: lunge_good.npz (your gold)"
    assert page.get_attribute("#reference a", "href") == f"/analyses/{good}"
    faults = page.locator("#reps tbody tr td:last-child").all_inner_texts()
    assert any("(at the bottom)" in f for f in faults), faults
    assert not any("(mid)" in f or "(overall)" in f for f in faults), faults

    # a push-up set against the lunge gold fails; the history tells the three apart
    request = page.request.post(server.url + "/api/analyses", multipart={
        "file": {"name": "lunge_high.npz", "mimeType": "application/octet-stream",
                 "buffer": (tmp_path / "pushups.npz").read_bytes()}, "gold_id": good})
    failed = request.json()["id"]
    assert _wait_done(server, failed)["status"] == "failed"
    page.goto(server.url + "/")
    rows = {job_id: page.locator(f'#history tr[data-id="{job_id}"] td.file') for job_id in (good, high, failed)}
    page.wait_for_selector(f'#history tr[data-id="{failed}"]')
    assert rows[good].inner_text() == "lunge_good.npz\nAlternate Reverse Lunge (100%)"
    assert rows[high].inner_text() == "lunge_high.npz\nAlternate Reverse Lunge (100%) \u00b7 gold: lunge_good.npz"
    assert rows[failed].inner_text().startswith("lunge_high.npz\ngold: lunge_good.npz\nthe gold lunge_good.npz "
                                                "looks like alternate reverse lunge and this recording like push-up")
    assert page.elsewhere == [] and page.errors == []


def test_a_deleted_analysis_opened_in_the_browser_is_a_page_with_the_way_back(server, page, tmp_path):
    synthesize("squat", 3, seed=6).save(tmp_path / "gone.npz")
    job_id = upload_through_page(page, server, tmp_path / "gone.npz")
    _wait_done(server, job_id)
    request = urllib.request.Request(f"{server.url}/api/analyses/{job_id}", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()
    response = page.goto(f"{server.url}/analyses/{job_id}")
    assert response.status == 404
    assert page.inner_text("h1") == "No such analysis"
    assert "it does not exist, or it was deleted" in page.inner_text("#not-found")
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")   # the app's style
    page.click("text=Go to the upload page")
    page.wait_for_selector("#history")
    assert page.url == server.url + "/"
    # the page's own API call for it still reads the JSON
    assert page.evaluate(f"fetch('/api/analyses/{job_id}').then(r => r.json())") == \
        {"detail": f"no analysis with id '{job_id}'"}
    assert page.elsewhere == [] and page.errors == []


def test_the_history_fits_a_phone(server, browser, tmp_path):
    synthesize("lunge", 3, seed=7).save(tmp_path / "lunge.npz")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        posted = page.request.post(server.url + "/api/analyses", multipart={"file": {
            "name": "a_rather_long_name_for_a_lunge_set.npz", "mimeType": "application/octet-stream",
            "buffer": (tmp_path / "lunge.npz").read_bytes()}})
        _wait_done(server, posted.json()["id"])
        page.goto(server.url + "/")
        page.wait_for_selector("#history tbody tr")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("#gold").bounding_box()["width"] <= 390
        delete = page.locator("#history tbody tr button.delete").first.bounding_box()
        assert delete["height"] < 40   # "delete" on one line, not a letter a line
    finally:
        context.close()

