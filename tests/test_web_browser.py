"""One end-to-end run in a real browser: `hudong serve` on a demo workspace, driven by Debian chromium through
Playwright (never `playwright install`). Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
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
def server(tmp_path_factory, demo_workspaces):
    if not CHROMIUM.exists():
        pytest.skip("browser test needs Debian chromium at /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="browser test needs `pip install playwright`")
    from hudong.store.workspace import Workspace
    from hudong.web import auth

    d = demo_workspaces.copy(tmp_path_factory.mktemp("browser") / "ws")
    with Workspace.open(d) as ws:
        auth.add_user(ws.con, "小李", "responder", PASSWORD)
        auth.add_user(ws.con, "小王", "analyst", PASSWORD)
        auth.add_user(ws.con, "管理员张三", "admin", PASSWORD)  # sees every link of the nav bar
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
            second = page.locator("tr.item").nth(1).get_attribute("data-id")
            page.locator(f'#conversation[data-id="{item}"] button.act-replied').click()  # the first one is open
            expect(page.locator("#saved")).to_contain_text("已记录")
            assert page.locator(f'tr.item[data-id="{item}"]').count() == 0
            expect(page.locator(f'#conversation[data-id="{second}"]')).to_have_count(1)  # …and the next opens
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


def test_interactive_chart_renders_offline_under_the_csp(server):
    """vega-embed (served by the app) turns the spec block into a live SVG view; nothing is fetched from
    outside localhost and the CSP (no eval, no inline script) raises no violation."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(server + "/login?next=%2Fcommunity")
            page.fill("input[name=username]", "小李")
            page.fill("input[name=password]", PASSWORD)
            page.click("#login-form button[type=submit]")
            expect(page.locator("h1")).to_contain_text("社群")
            live = page.locator("#chart-retention[data-live='1'] .vega-live svg")
            expect(live).to_be_visible(timeout=20_000)
            # Interactive: vega-embed's view has marks with tooltips (the static SVG is gone).
            assert page.locator("#chart-retention .vega-live svg .mark-rect path").count() > 10
            page.screenshot(path=str(ARTIFACTS / "web-community-interactive-zh.png"), full_page=True)
            outside = [u for u in requested if not u.startswith(server) and not u.startswith("data:")]
            assert outside == [], outside
            assert not [m for m in problems if "Content Security Policy" in m or "unsafe-eval" in m], problems
        finally:
            browser.close()


BAD_ROW_CSV = (
    "platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound,by_staff\n"
    "weibo,web-up-1,comment,fan1,p1,2026-06-01 10:00:00,上传的评论,true,false\n"
    "weibo,web-up-2,comment,fan2,p1,昨天下午,日期坏了,true,false\n"
)


NEW_MESSAGE_CSV = (
    "platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound,by_staff\n"
    "weibo,live-1,comment,fan-live,p1,2026-12-01 10:00:00,刚收到货，包装很用心,true,false\n"
)


def _csrf(page) -> str:
    return page.locator("#conversation").get_attribute("data-csrf")


def _sign_in(page, server: str, name: str, path: str = "/") -> None:
    page.goto(server + "/login?next=" + urllib.parse.quote(path, safe=""))
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")


def test_analyst_filters_and_works_the_inbox_then_uploads_a_file_with_a_bad_row(server):
    """Filter the inbox, assign, draft a reply from a template, mark replied; then upload a CSV through the
    browser (progress page, static/upload.js) and see its one bad row quarantined with the reason."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            _sign_in(page, server, "小王", "/inbox")
            expect(page.locator("h1")).to_contain_text("待回复")
            # Filter: weibo only, newest first.
            page.select_option("#inbox-filters select[name=platform]", "weibo")
            page.select_option("#inbox-filters select[name=order]", "newest")
            page.click("#filter")
            expect(page).to_have_url(re.compile(r".*platform=weibo.*order=newest.*"))
            rows = page.locator("tr.item")
            assert rows.count() > 0
            assert all(
                i.startswith("weibo:") for i in (rows.nth(k).get_attribute("data-id") for k in range(rows.count()))
            )
            times = [rows.nth(k).locator("td").first.inner_text() for k in range(rows.count())]
            assert times == sorted(times, reverse=True)
            # The first conversation is open beside the list: its thread, the person, the composer.
            item = rows.first.get_attribute("data-id")
            pane = page.locator(f'#conversation[data-id="{item}"]')
            expect(pane.locator("ol.thread li.msg.this")).to_have_count(1)
            expect(pane.locator("#profile")).to_contain_text("用户画像")
            expect(page.locator(f'tr.item.open[data-id="{item}"]')).to_have_count(1)
            # Keyboard: j opens the next conversation, k comes back.
            second = rows.nth(1).get_attribute("data-id")
            page.keyboard.press("j")
            expect(page.locator(f'#conversation[data-id="{second}"]')).to_have_count(1)
            page.keyboard.press("k")
            expect(pane).to_have_count(1)
            # Assign to a teammate.
            pane.locator("select.assignee").select_option("小李")
            pane.locator("button.act-assign").click()
            expect(page.locator("#saved")).to_contain_text("已记录")
            row = page.locator(f'tr.item[data-id="{item}"]')
            expect(row.locator("td.status")).to_contain_text("已指派")
            expect(row.locator("td.status")).to_contain_text("小李")
            # Compose from a template (JavaScript fills the box); the draft saves itself as one types: a reload
            # brings it back.
            page.keyboard.press("r")
            expect(pane.locator("#composer")).to_be_focused()
            pane.locator("select.template").select_option("delivery")
            expect(pane.locator("#composer")).to_have_value(re.compile("很抱歉让您久等了"))
            page.keyboard.type("（小王）")
            expect(pane.locator("#autosave-state")).to_have_text("草稿已自动保存")
            page.reload()
            expect(pane.locator("#composer")).to_have_value(re.compile("很抱歉让您久等了.*（小王）$", re.S))
            # Keep it as a draft for review (no connector replies on weibo here).
            pane.locator("button.act-draft").click()
            expect(pane.locator(".draft-text")).to_contain_text("很抱歉让您久等了")
            page.screenshot(path=str(ARTIFACTS / "web-inbox-draft-zh.png"), full_page=False)
            # Label its emotion with one click (the choices are the message language's model classes).
            emo = pane.locator('form.label-form[data-task="emotion"]')
            expect(emo).to_contain_text("情绪")
            expect(emo.locator(".model-says")).to_contain_text("模型判断")
            emo.locator('button.act-label[value="sad"]').click()
            expect(page.locator("#saved")).to_contain_text("已记录")
            expect(emo.locator(".labelled")).to_have_attribute("data-label", "sad")
            expect(emo.locator(".labelled")).to_contain_text("小王")
            expect(emo.locator('button.act-label[value="sad"]')).to_have_attribute("aria-pressed", "true")
            # A colleague opens the same conversation: a warning says so, without a reload.
            other = browser.new_page(viewport={"width": 1400, "height": 900})
            _sign_in(other, server, "小李", "/inbox?platform=weibo&order=newest&open=" + item.replace(":", "%3A"))
            expect(other.locator("#presence")).to_contain_text("小王")
            expect(pane.locator("#presence")).to_contain_text("小李", timeout=15_000)
            other.close()
            # A new message arrives on the platform: it appears in the list without a reload.
            assert page.request.post(f"{server}/api/uploads", multipart={
                "file": {"name": "new.csv", "mimeType": "text/csv", "buffer": NEW_MESSAGE_CSV.encode()},
                "format": "generic-interactions"}, headers={"X-CSRF-Token": _csrf(page)}).ok
            expect(page.locator('tr.item.fresh[data-id="weibo:live-1"]')).to_have_count(1, timeout=40_000)
            expect(page.locator("#live-note")).to_be_visible()
            # Mark replied with the key e: the item leaves the open list and the next one opens.
            page.keyboard.press("e")
            expect(page.locator("#saved")).to_contain_text("已记录")
            assert page.locator(f'tr.item[data-id="{item}"]').count() == 0
            history = page.request.get(f"{server}/api/inbox/{item}/history").json()
            assert [(h["action"], h["by"]) for h in history] == [
                ("assign", "小王"),
                ("draft", "小王"),
                ("label", "小王"),
                ("replied", "小王"),
            ]
            # Upload a CSV with one bad row.
            page.click("#nav-imports")
            page.click("a[href='/upload']")
            page.set_input_files(
                "#file", files=[{"name": "评论.csv", "mimeType": "text/csv", "buffer": BAD_ROW_CSV.encode()}]
            )
            page.select_option("#format", "generic-interactions")
            page.click("#upload-submit")
            expect(page.locator("#rows-quarantined")).to_have_text("1", timeout=30_000)
            expect(page.locator("#rows-read")).to_have_text("2")
            qrow = page.locator("#quarantine-table tr.qrow")
            assert qrow.count() == 1
            expect(qrow.locator("td").nth(1)).to_have_text("2")  # row 2 = the second data row (1 = first)
            expect(qrow.locator("td").nth(2)).to_have_text("created_at")
            expect(qrow.locator("td.reason")).not_to_be_empty()
            expect(qrow.locator("td").first).to_have_text("评论.csv")
            page.screenshot(path=str(ARTIFACTS / "web-upload-quarantine-zh.png"), full_page=True)
            page.click("#nav-imports")
            expect(page.locator("#imports-table tr.batch").first).to_contain_text("评论.csv")
            page.screenshot(path=str(ARTIFACTS / "web-imports-zh.png"))
            assert problems == [], problems
        finally:
            browser.close()


NAV_ITEMS = "header.top .brand, header.top nav a, header.top .right .langs, header.top .right .who, header.top .right button"


def test_nav_bar_is_one_line_at_1280_px_in_chinese_and_english(server):
    """At a 1280 px wide window the header — brand, every nav link an admin sees, languages, user, sign out — is one
    line in both languages: no item wraps below the others, no link breaks inside, nothing overflows."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            _sign_in(page, server, "管理员张三")
            for lang in ("zh", "en"):
                for path in ("/", "/users", "/propagation"):
                    page.goto(f"{server}{path}?lang={lang}")
                    boxes = page.eval_on_selector_all(NAV_ITEMS, """els => els.map(e => {
                        const r = e.getBoundingClientRect();
                        return {text: e.innerText, top: r.top, bottom: r.bottom, right: r.right,
                                lines: e.getClientRects().length};
                    })""")
                    assert len(boxes) >= 14, boxes  # brand, 11 links for an admin, languages, user, sign out
                    assert all(b["lines"] == 1 for b in boxes), (lang, path, [b for b in boxes if b["lines"] != 1])
                    middles = [(b["top"] + b["bottom"]) / 2 for b in boxes]
                    assert max(middles) - min(middles) < 6, (lang, path, boxes)  # one row
                    heights = [b["bottom"] - b["top"] for b in boxes if b["text"]]
                    assert max(heights) < 30, (lang, path, boxes)  # no item broken over two lines
                    header = page.eval_on_selector(
                        "header.top", "h => ({sw: h.scrollWidth, cw: h.clientWidth, h: h.getBoundingClientRect().height})")
                    assert header["sw"] <= header["cw"] and header["h"] < 56, (lang, path, header)
                    assert max(b["right"] for b in boxes) <= 1280
                page.screenshot(path=str(ARTIFACTS / f"web-nav-1280-{lang}.png"))
        finally:
            browser.close()


def test_planner_plans_a_post_and_drags_it_to_another_day(server):
    """The content calendar in the browser: plan a post with the form, see the festival in its day, drag the item to
    another day (static/plan.js → POST /api/plan/{id}/move): it keeps its time of day; then submit it."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            _sign_in(page, server, "小李", "/plan?date=2027-12-06")
            expect(page.locator("h1")).to_contain_text("内容日历")
            page.select_option("#plan-add select[name=platform]", "weibo")
            page.fill("#plan-add textarea[name=text]", "双12 预热 #山茶社#")
            page.fill("#plan-add input[name=at]", "2027-12-08T20:30")
            page.click("#plan-add button[type=submit]")
            item = page.locator(".plan-item", has_text="双12 预热")
            expect(item).to_have_count(1)
            assert item.get_attribute("data-time") == "20:30"
            expect(page.locator('td.day[data-date="2027-12-12"] .festival')).to_contain_text("双12")
            item.drag_to(page.locator('td.day[data-date="2027-12-10"]'))
            moved = page.locator('td.day[data-date="2027-12-10"] .plan-item', has_text="双12 预热")
            expect(moved).to_have_count(1)
            assert moved.get_attribute("data-time") == "20:30"
            moved.locator("button.do-submit").click()
            expect(moved.locator(".st")).to_contain_text("待审批")  # the demo's weekly slot shares the Friday
            page.screenshot(path=str(ARTIFACTS / "plan-week.png"), full_page=True)
            assert not problems, problems
        finally:
            browser.close()


def test_analyst_drags_an_idea_across_the_board(server):
    """The co-creation board in the browser: drag an idea from "new" to "considering" (static/ideas.js → POST
    /api/ideas/{id}/status), then to "shipped", which asks first because it drafts the answers in the inbox."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            asked: list[str] = []
            page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
            _sign_in(page, server, "小王", "/ideas?lang=en")
            first = page.locator('section[data-status="new"] article.idea').first
            idea = first.get_attribute("data-idea")
            assert first.get_attribute("draggable") == "true"
            top = {"x": 30, "y": 20}  # the column's heading: a tall column's centre would scroll the page mid-drag
            first.drag_to(page.locator('section[data-status="considering"]'), target_position=top)
            moved = page.locator(f'section[data-status="considering"] article.idea[data-idea="{idea}"]')
            expect(moved).to_have_count(1, timeout=10_000)
            moved.drag_to(page.locator('section[data-status="shipped"]'), target_position=top)
            expect(page.locator(f'section[data-status="shipped"] article.idea[data-idea="{idea}"]')).to_have_count(1)
            assert asked and "drafts an answer" in asked[0]
            _sign_in(page, server, "小李", "/ideas?lang=en")  # a responder sees the board but cannot move it
            expect(page.locator("article.idea").first).to_be_visible()
            assert page.locator('article.idea[draggable="true"]').count() == 0
            assert not problems, problems
        finally:
            browser.close()
