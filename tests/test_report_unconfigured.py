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


# ---- the scorecard: what each item needs, insufficient evidence ---------------------------------------------------


def test_ugc_share_and_quality_are_missing_without_own_posts_not_100_percent(ws):
    from hudong.decide import build_scorecard

    card = build_scorecard(ws)
    for key in ("ugc_share", "ugc_quality", "er_followers_index", "er_reach", "campaign_tracking"):
        assert card.evidence(key) is None, key  # not 100%: there is nothing to compare UGC with
        m = next(m for m in card.missing if m.key == key)
        assert m.reason_en.startswith("no own accounts declared"), (key, m.reason_en)
        assert "没有声明自有账号" in m.reason_zh
        assert "generic-accounts" in m.how_en and "hudong init" in m.how_en and "generic-accounts" in m.how_zh


def _own_accounts_only(path):
    from hudong.metrics.testing import workspace

    return workspace(path, accounts=[{"platform": "weibo", "account_id": "a1", "name": "山茶社", "is_own": True,
                                      "followers": 1000}])  # fmt: skip


@pytest.mark.parametrize("case", ["empty", "own_accounts_only", "unconfigured"])
def test_no_evidence_is_scored_when_what_it_needs_is_missing(case, ws, tmp_path):
    """Every item of rules.toml: scored only when each requirement it `needs` is met (no 0-of-0, no x-of-x); an
    empty workspace scores nothing at all; a missing item names its first unmet requirement and how to supply it."""
    from hudong.decide import build_scorecard
    from hudong.decide import evidence as E
    from hudong.decide.rules import load_rules

    rules = load_rules()
    w = {"empty": lambda: Workspace.init(tmp_path / "e"), "own_accounts_only": lambda: _own_accounts_only(tmp_path / "o"),
         "unconfigured": lambda: ws}[case]()  # fmt: skip
    try:
        cache = E.MetricCache(w)
        card = build_scorecard(w, cache=cache)
        met = E.requirements_met(cache)
        for e in (e for d in card.dimensions for e in d.evidence):
            assert all(met[n] for n in rules.evidence_rule(e.key).needs), (case, e.key, e.value)
        for m in card.missing:
            first = E.first_unmet(rules.evidence_rule(m.key).needs, met, rules)
            if first is not None:
                req = rules.requirements[first]
                assert m.reason_en.startswith(req.missing_en) and m.how_en == req.how_en, (case, m.key)
        if case != "unconfigured":
            assert card.values == {}, card.values  # nothing to score: every denominator is 0
    finally:
        if w is not ws:
            w.close()


def test_unconfigured_scorecard_says_insufficient_evidence_in_report_web_cli_and_json(ws, ws_dir, reports, client,
                                                                                     tmp_path):
    import json
    import subprocess
    import sys

    from hudong.decide import build_scorecard

    card = build_scorecard(ws)
    assert card.coverage < card.min_overall_coverage and card.insufficient_evidence
    assert card.overall is None and card.level_zh is None
    cov = f"{card.coverage:.0%}"
    hero_zh = reports["zh"].split('<div class="hero">')[1].split('<div class="dims">')[0]
    hero_en = reports["en"].split('<div class="hero">')[1].split('<div class="dims">')[0]
    assert "证据不足" in hero_zh and cov in hero_zh and "起步" not in hero_zh
    assert "Insufficient evidence" in hero_en and cov in hero_en
    for lang, word in (("zh", "证据不足"), ("en", "Insufficient evidence")):
        page = client.get(f"/?lang={lang}").text
        overall = re.search(r'id="overall">([^<]*)<', page).group(1)
        assert overall == word and cov in page, (lang, overall)
    api = client.get("/api/scorecard").json()
    assert api["insufficient_evidence"] is True and api["overall"] is None
    shutil.copytree(ws_dir, tmp_path / "ws")  # the CLI opens its own copy: this process holds the workspace
    run = [sys.executable, "-m", "hudong.cli", "-w", str(tmp_path / "ws")]
    text = subprocess.run([*run, "scorecard", "--lang", "zh"], capture_output=True, text=True, timeout=300)
    first = text.stdout.splitlines()[0]
    assert "证据不足" in first and cov in first and "/100" not in first, text.stdout + text.stderr
    data = json.loads(subprocess.run([*run, "scorecard", "--json"], capture_output=True, text=True,
                                     timeout=300).stdout)  # fmt: skip
    assert data["insufficient_evidence"] is True and data["overall"] is None


# ---- what is missing, on the web status page, the overview, the measures and the report's charts ---------------


def test_web_status_page_lists_each_item_with_what_is_missing_and_how(client, ws):
    from hudong.decide.rules import load_rules

    rules = load_rules()
    for lang, missing, how in (("zh", "没有声明自有账号", "generic-accounts"),
                               ("en", "no own accounts declared", "generic-accounts")):  # fmt: skip
        r = client.get(f"/status?lang={lang}")
        assert r.status_code == 200
        page = r.text
        assert missing in page and how in page
        for d in rules.dimensions:  # every dimension and item of the rules, from the rules
            assert f'id="st-dim-{d.key}"' in page
            for e in d.evidence:
                assert f'id="st-ev-{e.key}"' in page, e.key
        assert re.search(r'id="st-ev-ugc_share"[^>]*data-state="missing"', page)
        assert re.search(r'id="st-ev-nps"[^>]*data-state="computed"', page)
        counts = re.search(r'id="st-table-posts".*?<td class="num">([^<]+)</td>', page, re.S).group(1)
        assert counts.replace(",", "").replace("万", "") and ws.count("posts") > 0
        assert 'id="st-req-own_accounts"' in page and 'id="st-req-brand"' in page
    api = client.get("/api/status").json()
    assert {r["key"] for r in api["requirements"]} == set(rules.requirements)


def test_overview_shows_the_setup_checklist_when_something_is_missing(client):
    page = client.get("/?lang=zh").text
    panel = page.split('id="setup-checklist"')[1].split("</section>")[0]
    assert "没有声明自有账号" in panel and "generic-accounts" in panel and 'href="/status"' in panel


def test_empty_measures_say_what_is_missing_on_pages_and_in_the_report(client, reports):
    page = client.get("/engagement?lang=en").text
    trend = page.split('id="fig-engagement_trend"')[1].split("</figure>")[0]
    assert "no own accounts declared" in trend and "No data" not in trend
    zh = reports["zh"]
    assert "没有声明自有账号" in zh.split('<section class="major" id="trends">')[1].split("</section>")[0]
