"""The first hour of a real user: posts, interactions, orders and a survey imported, but no accounts file (so no own
accounts) and no ``[brand]`` — the set-up order the seed's operators get wrong. The report, the web pages and
the scorecard must say what is missing instead of grading, never print ``nan``, and speak only Chinese in zh.
Real DuckDB workspace, real report rendering, real web app through FastAPI's TestClient."""

from __future__ import annotations

import re
import shutil
import warnings

import pytest

from hudong.report import write_report
from hudong.store.workspace import Workspace
from test_report_sample import build_sample

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

NAN = re.compile(r"\bnan\b", re.I)
PASSWORD = "correct horse battery"
PAGES = ("/", "/engagement", "/content", "/community", "/relationships", "/people", "/propagation")


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    """The sample brand's data without its accounts: what a user has after importing exports but no accounts file."""
    d = tmp_path_factory.mktemp("unconfigured") / "ws"
    ws = build_sample(d, days=60, users=120)
    try:
        ws.con.execute("DELETE FROM accounts")
    finally:
        ws.close()
    return d


@pytest.fixture(scope="module")
def ws(ws_dir):
    w = Workspace.open(ws_dir)
    yield w
    w.close()


@pytest.fixture(scope="module")
def reports(ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("unconfigured-out")
    return {lang: write_report(ws, out, lang=lang, formats=("html",))["html"].read_text(encoding="utf-8")
            for lang in ("zh", "en")}  # fmt: skip


@pytest.fixture(scope="module")
def client(ws_dir, tmp_path_factory):
    from fastapi.testclient import TestClient

    from hudong.web import auth
    from hudong.web.app import create_app

    d = tmp_path_factory.mktemp("unconfigured-web") / "ws"
    shutil.copytree(ws_dir, d)
    with Workspace.open(d) as w:
        auth.ensure_tables(w.con)
        auth.add_user(w.con, "admin", "admin", PASSWORD)
    app = create_app(d)
    c = TestClient(app, base_url="http://testserver")
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    yield c
    app.state.web.ws.close()


def visible_text(html: str) -> list[str]:
    """The lines a reader sees: text between tags (SVG <text> included), without styles and scripts."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<title>.*?</title>", " ", html, flags=re.S)
    return [s.strip() for s in re.sub(r"<[^>]+>", "\n", html).splitlines() if s.strip()]


# ---- nan ------------------------------------------------------------------------------------------------------


def test_no_nan_anywhere_in_the_reports(reports):
    for lang, html in reports.items():
        hits = [line for line in visible_text(html) if NAN.search(line)]
        assert not hits, (lang, hits[:5])
        assert not NAN.search(html), lang  # not in attributes or chart data either


def test_no_nan_on_any_web_page(client):
    for lang in ("zh", "en"):
        for page in PAGES:
            r = client.get(f"{page}?lang={lang}")
            assert r.status_code == 200, (page, r.text[:300])
            hits = [line for line in visible_text(r.text) if NAN.search(line)]
            assert not hits, (lang, page, hits[:5])


# ---- one language -----------------------------------------------------------------------------------------------
CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{2,}[,.:;!?']?\s+[A-Za-z]{2,}")  # two English words in a row


def english_lines(html: str) -> list[str]:
    """Visible lines that read as English: two Latin words in a row and not one Chinese character. Allowed: names
    that have no Chinese form (Rival IQ, Sprout Social Index …) always come inside a Chinese sentence."""
    return [line for line in visible_text(html) if ENGLISH.search(line) and not CJK.search(line)]


def test_chinese_report_has_no_english_message(reports):
    assert english_lines(reports["zh"]) == []


def test_chinese_web_pages_have_no_english_message(client):
    for page in PAGES:
        r = client.get(f"{page}?lang=zh")
        assert english_lines(r.text) == [], page
