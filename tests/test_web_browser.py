"""One end-to-end run in a real browser: `hudong serve` on a demo workspace, driven by Debian chromium through
Playwright (never `playwright install`). Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "tea-garden-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"hudong serve exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(url + "/login", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"hudong serve did not answer on {url} within {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("browser test needs Debian chromium at /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="browser test needs `pip install playwright`")
    from hudong import demo
    from hudong.store.workspace import Workspace
    from hudong.web import auth

    d = tmp_path_factory.mktemp("browser") / "ws"
    demo.build(d, scale=0.02, progress=False)
    with Workspace.open(d) as ws:
        auth.add_user(ws.con, "小李", "responder", PASSWORD)
    port = _free_port()
    hudong = shutil.which("hudong", path=str(Path(sys.executable).parent)) or "hudong"
    proc = subprocess.Popen(
        [hudong, "serve", str(d), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_operator_logs_in_reads_scorecard_switches_language_and_answers_inbox(server):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server + "/")
            expect(page).to_have_url(server + "/login?next=%2F")
            page.fill("input[name=username]", "小李")
            page.fill("input[name=password]", PASSWORD)
            page.click("#login-form button[type=submit]")
            # Overview in Chinese (the default): the scorecard with its evidence.
            expect(page.locator("h1")).to_contain_text("山茶社 · 成熟度评分")
            expect(page.locator("#who")).to_have_text("小李 (responder)")
            overall = page.locator("#overall").inner_text()
            assert overall.strip() not in ("", "—")
            assert page.locator(".dimension").count() == 5
            assert page.locator(".dimension table tbody tr").count() > 5
            page.screenshot(path=str(ARTIFACTS / "web-overview-zh.png"), full_page=True)
            # Switch to English: same page, same score.
            page.click("#lang-en")
            expect(page.locator("h1")).to_contain_text("Maturity scorecard")
            assert page.locator("#overall").inner_text() == overall
            page.screenshot(path=str(ARTIFACTS / "web-overview-en.png"))
            # Back to Chinese, open the inbox and mark the oldest message replied.
            page.click("#lang-zh")
            page.click("#nav-inbox")
            expect(page.locator("h1")).to_contain_text("待回复")
            total_before = int(page.locator("#inbox-total").inner_text().split("共 ")[1].split(" ")[0])
            first = page.locator("tr.item").first
            item = first.get_attribute("data-id")
            first.locator("button.act-replied").click()
            expect(page.locator("#saved")).to_contain_text("已记录")
            assert page.locator(f'tr.item[data-id="{item}"]').count() == 0
            assert f"共 {total_before - 1} 条待回复" in page.locator("#inbox-total").inner_text()
            page.screenshot(path=str(ARTIFACTS / "web-inbox-zh.png"))
            history = page.request.get(f"{server}/api/inbox/{item}/history").json()
            assert [(h["action"], h["by"]) for h in history] == [("replied", "小李")]
            # Engagement: the report's Vega-Lite specs, drawn as inline SVG, filtered to one platform.
            page.goto(server + "/engagement?platform=weibo&start=2026-03-01")
            expect(page.locator("figure.chart svg").first).to_be_visible()
            assert page.locator("figure.chart svg").count() == 3
            page.screenshot(path=str(ARTIFACTS / "web-engagement-zh.png"), full_page=True)
        finally:
            browser.close()
