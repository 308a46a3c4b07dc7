"""The web app's pages in a real browser (Playwright, Debian's Chromium): the API docs render offline, the
upload page and the result and history pages fit a phone's screen, and the live page starts each set
afresh. Problems a user met trying the app."""

from urllib.parse import urlparse

import pytest

from tests.test_web_browser import CHROMIUM, served

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install playwright)")



def upload_through_page(page, server, path, goto: bool = True) -> str:
    """Upload `path` with the upload page's file input, as a person does; the new analysis's id."""
    if goto:
        page.goto(server.url + "/")
    page.set_input_files("#file", str(path))
    page.wait_for_url("**/analyses/*", timeout=30_000)
    return page.url.rstrip("/").split("/")[-1]

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served(tmp_path_factory.mktemp("serve-pages")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.elsewhere = []   # requests to any host but the server's
    page.on("request", lambda r: urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).hostname != "127.0.0.1" and page.elsewhere.append(r.url))
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def test_the_api_docs_page_lists_the_endpoints(server, page):
    page.goto(server.url + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    listed = {(op.locator(".opblock-summary-method").inner_text().strip(),
               op.locator(".opblock-summary-path").inner_text().replace("\u200b", "").strip())
              for op in page.locator(".opblock").all()}
    assert {("POST", "/api/analyses"), ("GET", "/api/analyses"), ("GET", "/api/analyses/{analysis_id}"),
            ("DELETE", "/api/analyses/{analysis_id}"), ("GET", "/api/exercises")} <= listed, listed
    assert "Unable to render" not in page.inner_text("body")
    assert page.elsewhere == [] and page.errors == []


def _cue(page, rep_id: int, number: int, end_s: float) -> None:
    page.evaluate("m => onEvent(m)", {"type": "cue", "count": number, "rep": number, "rep_id": rep_id,
                                      "time_s": end_s + 1, "rep_end_s": end_s, "severity": "info",
                                      "message": f"Rep {number}: advice for rep id {rep_id}."})


def test_the_live_page_numbers_its_cues_as_the_final_count_does(server, page):
    """A cue's number is its rep's place in the count when it was sent; a rep counted later before it
    moves it. At the end, the list is numbered (and ordered) as the final count holds its reps."""
    page.goto(server.url + "/live")
    page.wait_for_function("typeof onEvent === 'function'")
    for rep_id, number, end_s in ((1, 1, 1.1), (3, 2, 3.5), (2, 2, 2.4), (4, 3, 4.9)):
        _cue(page, rep_id, number, end_s)
    page.evaluate("m => onEvent(m)", {"type": "final", "count": 4, "reps": [
        {"rep_id": 1, "end_s": 1.1}, {"rep_id": 2, "end_s": 2.4}, {"rep_id": 3, "end_s": 3.5},
        {"rep_id": 4, "end_s": 4.9}]})
    assert page.locator("#cues li").all_inner_texts() == [f"Rep {n}: advice for rep id {n}." for n in (1, 2, 3, 4)]
    assert page.evaluate("window.gymlLive.cues.map(c => [c.rep_id, c.rep])") == [[1, 1], [3, 3], [2, 2], [4, 4]]
    assert page.inner_text("#count") == "4" and page.errors == []


def test_start_after_stop_begins_a_fresh_set(server, page):
    page.goto(server.url + "/live")
    page.wait_for_function("typeof onEvent === 'function'")
    for rep_id in range(1, 30):
        _cue(page, rep_id, rep_id, float(rep_id))
    page.evaluate("m => onEvent(m)", {"type": "count", "count": 29, "time_s": 30.0})
    page.evaluate("m => onEvent(m)", {"type": "final", "count": 29, "reps": []})
    assert page.locator("#cues li").count() == 29
    page.click("#start")
    assert page.locator("#cues li").count() == 0 and page.inner_text("#count") == "0"
    assert page.inner_text("#cue") == "" and page.evaluate("window.gymlLive.cues.length") == 0
    assert page.evaluate("window.gymlLive.final") is None
    page.wait_for_function("window.gymlLive.stats !== null", timeout=60_000)   # the new set runs
    assert page.locator("#cues li").count() == 0
    page.click("#stop")
    page.wait_for_function("window.gymlLive.final !== null", timeout=30_000)
    assert page.inner_text("#count") == "0" and page.errors == []


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)])
def test_the_drop_zone_is_one_rectangle_inside_its_card(server, browser, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        drop = page.locator("#drop")
        card = page.locator("#drop").locator("xpath=ancestor::div[contains(@class, 'card')]").bounding_box()
        box = drop.bounding_box()
        assert page.evaluate("document.getElementById('drop').getClientRects().length") == 1   # not in pieces
        assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"]
        assert card["y"] <= box["y"]
        layout_row = page.locator("#layout").bounding_box()
        assert layout_row["y"] + layout_row["height"] <= box["y"]   # below the options, not over them
    finally:
        context.close()


def _tab_to(page, wanted: str, most: int = 20) -> list:
    """Press Tab until `wanted` (a CSS selector) has the focus; what had it on the way (id, or tag and text)."""
    seen = []
    for _ in range(most):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("(() => { const a = document.activeElement;"
                                  " return a.id ? '#' + a.id : a.tagName.toLowerCase() + ':' + a.textContent.trim().slice(0, 30); })()"))
        if page.evaluate("s => document.activeElement.matches(s)", wanted):
            return seen
    raise AssertionError(f"{wanted} never had the focus; Tab went {seen}")


def _pick_by_key(page, choosers: list, key: str, path) -> None:
    """Press `key` on the focused control and choose `path` in the file picker it opens. `choosers` is filled by
    a "filechooser" listener added before the page was opened: expect_file_chooser subscribes to the event
    without waiting, and a picker opened by the key before the subscription took hold was missed now and then."""
    page.keyboard.press(key)
    for _ in range(100):
        if choosers:
            break
        page.wait_for_timeout(100)
    assert len(choosers) == 1, f"{key} opened {len(choosers)} file pickers"
    assert choosers[0].element.evaluate("e => e.id") == "file"
    choosers[0].set_files(str(path))


def test_the_upload_page_is_usable_from_the_keyboard(server, page, tmp_path):
    """Tab from the top reaches the upload's options, then the file control (the drop zone's input, out of sight
    but focusable): a file starts its upload once chosen, so the options come first, on the page and for the
    keys. Space on the file control opens the picker, and the file picked there is uploaded and analysed as one
    picked with the mouse. Once the file input was `hidden`: no key reached it."""
    from gyml.synth.motion import synthesize

    synthesize("squat", 4, seed=8).save(tmp_path / "by_keyboard.npz")
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    page.goto(server.url + "/")
    page.wait_for_selector("#exercise option:nth-child(2)", state="attached")   # the page's scripts ran
    assert _tab_to(page, "#file") == ["a:Upload", "a:Live coaching", "a:API", "#exercise", "#gold", "#fps", "#layout",
                                      "#file"]
    assert page.evaluate("document.getElementById('layout').compareDocumentPosition(document.getElementById('drop'))"
                         " & Node.DOCUMENT_POSITION_FOLLOWING")   # shown after the options too
    assert page.evaluate("getComputedStyle(document.getElementById('file')).display") != "none"
    drop = page.evaluate("(() => { const s = getComputedStyle(document.getElementById('drop'));"
                         " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert drop[0] != "none" and drop[1] >= 2, drop   # the focus is seen
    # its name (the drop zone's words) and its description (the keys), as a screen reader reads them
    control = page.get_by_role("button", name="Drop a video or a pose file here, or click to choose one")
    assert control.evaluate("e => e.id") == "file"
    assert page.get_attribute("#file", "aria-describedby") == "drop-keys"
    assert page.get_attribute("#upload-status", "aria-live") == "polite"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "layout"
    page.keyboard.press("Tab")
    _pick_by_key(page, choosers, "Space", tmp_path / "by_keyboard.npz")
    page.wait_for_url("**/analyses/*", timeout=30_000)
    job_id = page.url.rstrip("/").split("/")[-1]
    page.wait_for_selector("#done", state="visible", timeout=90_000)
    job = server.get("/api/analyses/" + job_id)
    assert job["status"] == "done" and job["input_name"] == "by_keyboard.npz"
    assert page.inner_text("#title") == "by_keyboard.npz"
    assert page.inner_text("#count") == str(job["result"]["reps"]["count"])
    assert page.elsewhere == [] and page.errors == []


def test_enter_on_the_file_control_opens_the_picker_and_names_the_file(server, page, tmp_path):
    """Enter opens the picker as Space does; the file's name is said in the status line (a live region)
    while it uploads."""
    from gyml.synth.motion import synthesize

    synthesize("squat", 3, seed=9).save(tmp_path / "entered.npz")
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    # the upload held (never answered): the status line stays as it is while a file uploads
    page.route("**/api/analyses", lambda route: None if route.request.method == "POST" else route.continue_())
    page.goto(server.url + "/")
    _tab_to(page, "#file")
    _pick_by_key(page, choosers, "Enter", tmp_path / "entered.npz")
    page.wait_for_function("document.getElementById('upload-status').textContent.includes('entered.npz')",
                           timeout=10_000)
    assert page.inner_text("#upload-status") == "uploading entered.npz..."
    assert page.errors == []


def test_a_file_dropped_on_the_drop_zone_is_still_uploaded(server, page, tmp_path):
    """Drag and drop with the mouse, as before the file input was made focusable."""
    from gyml.synth.motion import synthesize

    path = tmp_path / "dropped.npz"
    synthesize("squat", 3, seed=10).save(path)
    page.goto(server.url + "/")
    data = page.evaluate_handle("""([name, bytes]) => { const t = new DataTransfer();
        t.items.add(new File([new Uint8Array(bytes)], name)); return t; }""", [path.name, list(path.read_bytes())])
    page.dispatch_event("#drop", "dragover", {"dataTransfer": data})
    assert "over" in page.get_attribute("#drop", "class")
    page.dispatch_event("#drop", "drop", {"dataTransfer": data})
    page.wait_for_url("**/analyses/*", timeout=30_000)
    page.wait_for_selector("#done", state="visible", timeout=90_000)
    assert page.inner_text("#title") == "dropped.npz" and page.errors == []


def test_a_long_file_name_wraps_on_a_phone(server, browser, tmp_path):
    from gyml.synth.motion import synthesize

    name = "squat_" + "x" * 110 + ".npz"
    synthesize("squat", 4, seed=5).save(tmp_path / name)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        page.set_input_files("#file", str(tmp_path / name))
        page.wait_for_url("**/analyses/*", timeout=30_000)
        page.wait_for_selector("#done", state="visible", timeout=90_000)
        assert page.inner_text("#title") == name
        assert page.evaluate("document.documentElement.scrollWidth") <= 390   # no sideways scroll
        page.goto(server.url + "/")
        page.wait_for_selector("#history tbody tr")
        assert name in page.inner_text("#history")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("#history").bounding_box()["width"] <= 390
    finally:
        context.close()


def test_a_live_client_cut_off_leaves_no_traceback_in_the_log(server):
    """A tab closed or a network gone mid-set: the server ends the set quietly."""
    import asyncio
    import struct
    import threading
    import time

    import cv2
    import numpy as np
    import websockets

    log = server.data.parent / "server.log"
    before = log.read_text() if log.exists() else ""
    jpeg = cv2.imencode(".jpg", np.full((240, 320, 3), 120, np.uint8))[1].tobytes()

    async def cut_off():
        ws = await websockets.connect(server.url.replace("http", "ws") + "/ws/live")
        await ws.send('{"type": "start"}')
        assert '"ready"' in await asyncio.wait_for(ws.recv(), 60)
        for _ in range(10):
            await ws.send(struct.pack("<d", time.time()) + jpeg)
            await asyncio.sleep(0.07)
        ws.transport.abort()
        await asyncio.sleep(3)

    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    failure = []
    runner = threading.Thread(target=lambda: failure.extend(_errors_of(lambda: asyncio.run(cut_off()))))
    runner.start()
    runner.join(120)
    assert not failure, failure
    added = log.read_text()[len(before):]
    assert "Traceback" not in added and "Exception in ASGI" not in added, added[-2000:]
    assert server.get("/api/analyses") is not None   # still serving


def test_deleting_an_analysis_already_deleted_says_so(server, page, tmp_path):
    import urllib.request

    from gyml.synth.motion import synthesize

    synthesize("squat", 3, seed=6).save(tmp_path / "gone.npz")
    job_id = upload_through_page(page, server, tmp_path / "gone.npz")
    request = urllib.request.Request(f"{server.url}/api/analyses/{job_id}", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()   # deleted elsewhere (another tab)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#delete")
    page.wait_for_function("document.getElementById('error').textContent.startsWith('Not deleted')",
                           timeout=10_000)
    assert page.inner_text("#error") == f"Not deleted: no analysis with id '{job_id}'"
    assert page.errors == []


def _errors_of(call) -> list:
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - handed to the test's thread to fail there
        return [exc]
    return []
