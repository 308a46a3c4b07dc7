"""The web app's pages in a real browser (Playwright, Debian's Chromium): the API docs render offline, the
upload page and the result and history pages fit a phone's screen, and the live page starts each set
afresh. Problems a user met trying the app."""

import os
import signal
from urllib.parse import urlparse

import pytest

from tests.test_web_browser import CHROMIUM, Server

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install playwright)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve-pages")
    srv = Server(base / "data")
    srv.data.mkdir()
    srv.start()
    yield srv
    if srv.process.poll() is None:
        os.killpg(srv.process.pid, signal.SIGTERM)
        srv.process.wait(20)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
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
