"""The web workspace (hudong.web): authentication, roles, CSRF, the reply inbox, the REST API, XSS and SQL
injection. Real app, real DuckDB workspace, real HTTP through FastAPI's TestClient — no mocks."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import warnings

import pyarrow as pa
import pytest
from markupsafe import escape

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

from fastapi.testclient import TestClient  # noqa: E402

from hudong.store.workspace import Workspace  # noqa: E402
from hudong.web import auth  # noqa: E402
from hudong.web.app import SESSION_COOKIE, create_app  # noqa: E402

NOW = dt.datetime(2026, 6, 10, 12, 0)  # a Wednesday; business hours 09:00–18:00 Mon–Fri, SLA 240 min
PASSWORD = "correct horse battery"

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "<svg/onload=alert('xss')>",
    "'><script>alert(document.cookie)</script>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<div style="background:url(javascript:alert(1))">',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<object data=javascript:alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "{{7*7}}<b>bold</b>",
    "<ScRiPt>alert(String.fromCharCode(88,83,83))</ScRiPt>",
]
XSS_USER = '<img src=x onerror=alert("u")>'


def _row(
    iid: str,
    type_: str,
    ts: str,
    *,
    platform: str = "weibo",
    actor: str = "u1",
    parent: str | None = None,
    inbound: bool = True,
    staff: bool = False,
    automated: bool = False,
    text: str = "",
    target_user: str | None = None,
) -> dict:
    return dict(
        platform=platform,
        interaction_id=iid,
        type=type_,
        actor_id=actor,
        target_post_id="p1",
        target_user_id=target_user,
        created_at=dt.datetime.fromisoformat(ts),
        dwell_seconds=None,
        text=text,
        parent_id=parent,
        is_inbound=inbound,
        by_staff=staff,
        is_automated=automated,
        source_file="test",
        importer="test",
        batch_id="b1",
    )


ROWS = [
    # answered comment: not in the inbox
    _row("c1", "comment", "2026-06-01 10:00", text="已回复的问题"),
    _row("r1", "reply", "2026-06-01 11:00", parent="c1", inbound=False, staff=True, actor="brand", text="您好"),
    # unanswered two-message turn: the item is its latest message c2b, clock from 06-08 10:30
    _row("c2", "comment", "2026-06-08 10:00", actor="u2", text="什么时候发货？"),
    _row("c2b", "reply", "2026-06-08 10:30", parent="c2", actor="u2", text="还没有收到"),
    # unanswered DM, 60 business minutes old: within SLA
    _row("d1", "dm", "2026-06-10 11:00", actor="u9", target_user="brand", text="在吗"),
    # unanswered mention on douyin: 06-09 09:00 → 540 + 180 business minutes
    _row("m1", "mention", "2026-06-09 09:00", platform="douyin", actor="u3", text="@山茶社 好喝"),
    # only an automated reply: still waiting
    _row("c3", "comment", "2026-06-05 17:00", actor="u4", text="有优惠吗"),
    _row(
        "a3",
        "reply",
        "2026-06-05 17:01",
        parent="c3",
        inbound=False,
        staff=True,
        automated=True,
        actor="brand",
        text="自动回复：稍后回复您",
    ),
    # not a conversation type
    _row("l1", "like", "2026-06-08 09:00", actor="u5"),
    # abusive: kept out of the inbox, listed in the triage queue
    _row("t1", "comment", "2026-06-09 10:00", actor="troll", text="你这个傻逼客服"),
    # abusive by the toxicity model only (text_signals.toxic), no listed word
    _row("t2", "dm", "2026-06-09 11:00", actor="u7", target_user="brand", text="你们全家都不得好死"),
]
ROWS += [_row(f"x{i}", "comment", f"2026-06-0{1 + i % 5} 0{i % 9}:{i:02d}", actor=p, text=p) for i, p in enumerate(XSS)]
N_OPEN = 4 + len(XSS)  # c2b, d1, m1, c3 + the payload comments


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("webws") / "ws")


def build_workspace(d):
    """The test workspace at ``d``: ROWS, two sentiment and two toxicity scores, five users (one a payload)."""
    ws = Workspace.init(d)
    cfg = (d / "hudong.toml").read_text()
    cfg = cfg.replace('[brand]\nname = ""', f"[brand]\nname = {json.dumps(XSS[2])}")
    (d / "hudong.toml").write_text(cfg)
    ws.con.execute("BEGIN")
    ws.upsert("interactions", pa.Table.from_pylist(ROWS))
    ws.con.execute("COMMIT")
    ws.con.execute(
        "INSERT INTO text_sentiment (platform, kind, id, lang, polarity, score, model_version) VALUES "
        "('weibo', 'interaction', 'c2b', 'zh', 'negative', -0.8, 'test'), "
        "('weibo', 'interaction', 'd1', 'zh', 'positive', 0.7, 'test')"
    )
    ws.con.execute(
        "INSERT INTO text_signals (platform, kind, id, toxicity, toxic) VALUES ('weibo', 'interaction', 't2', 0.9, true), "
        "('weibo', 'interaction', 'd1', 0.1, false)"
    )
    for name, role in (
        ("admin", "admin"),
        ("ana", "analyst"),
        ("rita", "responder"),
        ("vic", "viewer"),
        (XSS_USER, "responder"),
    ):
        auth.add_user(ws.con, name, role, PASSWORD)
    ws.close()
    return d




@pytest.fixture(scope="module")
def ro_app(template_dir, tmp_path_factory):
    """One app shared by the tests that only read (and by their failed writes, which must record nothing)."""
    d = tmp_path_factory.mktemp("ro") / "ws"
    shutil.copytree(template_dir, d)
    a = create_app(d, now=NOW)
    yield a
    a.state.web.ws.close()


def client(app, **kw) -> TestClient:
    return TestClient(app, base_url="http://testserver", **kw)


def csrf_in(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def login(app, name: str, password: str = PASSWORD, **kw) -> TestClient:
    c = client(app, **kw)
    r = c.post(
        "/login",
        data={"username": name, "password": password, "csrf": csrf_in(c.get("/login").text), "next": "/inbox"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c


def page_csrf(c: TestClient) -> str:
    return csrf_in(c.get("/inbox").text)


def actions_count(app) -> int:
    return app.state.web.ws.con.execute("SELECT count(*) FROM inbox_actions").fetchone()[0]


# ---- authentication -------------------------------------------------------------------------------
def test_wrong_password_is_rejected_and_starts_no_session(ro_app):
    c = client(ro_app)
    r = c.post(
        "/login",
        data={"username": "ana", "password": "wrong password", "csrf": csrf_in(c.get("/login").text)},
        follow_redirects=False,
    )
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert c.get("/", follow_redirects=False).status_code == 303
    r = c.post(
        "/login",
        data={"username": "nobody", "password": PASSWORD, "csrf": csrf_in(c.get("/login").text)},
        follow_redirects=False,
    )
    assert r.status_code == 401


def test_no_session_redirects_pages_and_401s_the_api(ro_app):
    c = client(ro_app)
    for path in ("/", "/engagement", "/inbox?platform=weibo", "/users"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    for path in ("/api/metrics", "/api/scorecard", "/api/inbox", "/api/metrics/dau"):
        r = c.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "not authenticated" in r.json()["error"]
    assert c.post("/api/inbox/weibo:d1/action", json={"action": "replied"}).status_code == 401
    assert c.get("/api/inbox", headers={"Authorization": "Bearer hd_not-a-token"}).status_code == 401


def test_session_cookie_is_signed_httponly_samesite(ro_app):
    c = client(ro_app)
    r = c.post(
        "/login",
        data={"username": "ana", "password": PASSWORD, "csrf": csrf_in(c.get("/login").text)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE + "=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert c.get("/", follow_redirects=False).status_code == 200
    # A forged cookie (someone else's name, no valid signature) is no session.
    forged = client(ro_app)
    forged.cookies.set(SESSION_COOKIE, c.cookies[SESSION_COOKIE].replace("ana", "admin", 1) + "x")
    assert forged.get("/", follow_redirects=False).status_code == 303


def test_login_needs_csrf_and_never_redirects_offsite(ro_app):
    c = client(ro_app)
    c.get("/login")
    r = c.post("/login", data={"username": "ana", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post(
        "/login",
        data={
            "username": "ana",
            "password": PASSWORD,
            "csrf": csrf_in(c.get("/login").text),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_post_without_or_with_wrong_csrf_is_403_and_records_nothing(app):
    c = login(app, "rita")
    for data in (
        {"item": "weibo:d1", "action": "replied"},
        {"item": "weibo:d1", "action": "replied", "csrf": "forged"},
    ):
        r = c.post("/inbox/action", data=data, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/api/inbox/weibo:d1/action", json={"action": "replied"})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    assert actions_count(app) == 0
    r = c.post("/api/inbox/weibo:d1/action", json={"action": "replied"}, headers={"X-CSRF-Token": page_csrf(c)})
    assert r.status_code == 200 and actions_count(app) == 1


def test_viewer_reads_but_cannot_act(ro_app):
    c = login(ro_app, "vic")
    assert c.get("/").status_code == 200 and c.get("/engagement").status_code == 200
    html = c.get("/inbox").text
    assert "只读角色" in html and "act-replied" not in html
    r = c.post(
        "/inbox/action", data={"item": "weibo:d1", "action": "replied", "csrf": page_csrf(c)}, follow_redirects=False
    )
    assert r.status_code == 403
    r = c.post("/api/inbox/weibo:d1/action", json={"action": "replied"}, headers={"X-CSRF-Token": page_csrf(c)})
    assert r.status_code == 403 and "viewer" in r.json()["error"]
    assert actions_count(ro_app) == 0
    assert c.get("/users").status_code == 403


def test_roles_for_user_admin_and_inbox(app):
    for name, users_ok in (("admin", True), ("ana", False), ("rita", False)):
        c = login(app, name)
        assert (c.get("/users").status_code == 200) is users_ok, name
        r = c.post(
            "/inbox/action",
            data={"item": "douyin:m1", "action": "escalate", "csrf": page_csrf(c)},
            follow_redirects=False,
        )
        assert r.status_code == 303, name
    c = login(app, "rita")
    r = c.post("/users", data={"name": "eve", "role": "admin", "password": PASSWORD, "csrf": page_csrf(c)})
    assert r.status_code == 403
    assert auth.get_user(app.state.web.ws.con, "eve") is None


def test_admin_adds_users_and_issues_tokens_for_the_api(app):
    c = login(app, "admin")
    r = c.post(
        "/users",
        data={"name": "new", "role": "viewer", "password": PASSWORD, "csrf": page_csrf(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = c.post("/users/token", data={"name": "new", "csrf": page_csrf(c)})
    token = re.search(r'id="token">([^<]+)<', r.text).group(1)
    api = client(app)
    hdr = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/me", headers=hdr).json() == {"name": "new", "role": "viewer"}
    assert api.post("/api/inbox/weibo:d1/action", json={"action": "replied"}, headers=hdr).status_code == 403
    token_r = auth.new_token(app.state.web.ws.con, "rita")
    r = api.post(
        "/api/inbox/weibo:d1/action",
        json={"action": "replied", "note": "phoned"},
        headers={"Authorization": f"Bearer {token_r}"},
    )
    assert r.status_code == 200 and r.json()["by"] == "rita"  # token clients need no CSRF token
    assert api.get("/api/me", headers=hdr).status_code == 200
    assert api.get("/api/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401


def test_cli_user_add_reads_password_from_stdin(ws_dir):
    from click.testing import CliRunner

    from hudong.cli import cli

    r = CliRunner().invoke(
        cli,
        ["-w", str(ws_dir), "user", "add", "zoe", "--role", "analyst", "--password-stdin"],
        input="a long password\n",
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["-w", str(ws_dir), "user", "add", "tim", "--password-stdin"], input="short\n")
    assert r.exit_code != 0 and "at least 8" in str(r.exception)
    with Workspace.open(ws_dir) as ws:
        assert auth.authenticate(ws.con, "zoe", "a long password") == auth.User("zoe", "analyst")
        assert auth.authenticate(ws.con, "zoe", "a long passworD") is None
        stored = ws.con.execute("SELECT password_hash FROM web_users WHERE name = 'zoe'").fetchone()[0]
        assert stored.startswith("$argon2") and "a long password" not in stored


# ---- inbox ------------------------------------------------------------------------------------------
def test_inbox_follows_the_conversation_rule_and_business_clock(ro_app):
    c = login(ro_app, "ana")
    out = c.get("/api/inbox", params={"limit": 500}).json()
    ids = [i["id"] for i in out["items"]]
    assert out["total"] == N_OPEN == len(ids)
    assert "weibo:c1" not in ids and "weibo:l1" not in ids  # answered; not a message
    assert "weibo:c2" not in ids and "weibo:c2b" in ids  # one item per turn: its latest message
    assert "weibo:c3" in ids  # an automated reply is no answer
    times = [i["ts"] for i in out["items"]]
    assert times == sorted(times)  # oldest clock start first
    by_id = {i["id"]: i for i in out["items"]}
    assert by_id["weibo:c2b"]["n_messages"] == 2
    assert by_id["weibo:c2b"]["business_minutes"] == 450 + 540 + 180  # Mon 10:30–18, Tue, Wed 9–12
    assert by_id["weibo:d1"]["business_minutes"] == 60 and not by_id["weibo:d1"]["over_sla"]
    assert by_id["douyin:m1"]["business_minutes"] == 720 and by_id["douyin:m1"]["over_sla"]
    late = c.get("/api/inbox", params={"over_sla": "true", "limit": 500}).json()
    assert "weibo:d1" not in [i["id"] for i in late["items"]] and late["total"] == N_OPEN - 1
    dy = c.get("/api/inbox", params={"platform": "douyin"}).json()
    assert [i["id"] for i in dy["items"]] == ["douyin:m1"]
    html = c.get("/inbox?platform=douyin").text
    assert "12 小时 0 分" in html and "抖音" in html


def test_inbox_actions_are_recorded_and_change_status(app):
    c = login(app, "rita")
    tok = page_csrf(c)
    for action, extra in (("assign", {"assignee": "ana"}), ("escalate", {}), ("replied", {})):
        r = c.post(
            "/inbox/action", data={"item": "weibo:c3", "action": action, "csrf": tok, **extra}, follow_redirects=False
        )
        assert r.status_code == 303 and r.headers["location"].endswith(f"saved={action}")
    rows = app.state.web.ws.con.execute(
        "SELECT action, assignee, by_user, acted_at FROM inbox_actions ORDER BY acted_at"
    ).fetchall()
    assert [(a, s, u) for a, s, u, _ in rows] == [
        ("assign", "ana", "rita"),
        ("escalate", None, "rita"),
        ("replied", None, "rita"),
    ]
    assert all(isinstance(r[3], dt.datetime) for r in rows)
    open_ids = [i["id"] for i in c.get("/api/inbox", params={"limit": 500}).json()["items"]]
    assert "weibo:c3" not in open_ids and len(open_ids) == N_OPEN - 1
    closed = c.get("/api/inbox", params={"status": "closed"}).json()["items"]
    assert [(i["id"], i["status"], i["assignee"], i["escalated"]) for i in closed] == [
        ("weibo:c3", "replied", "ana", True)
    ]
    r = c.post("/api/inbox/weibo:c3/action", json={"action": "reopen"}, headers={"X-CSRF-Token": tok})
    assert r.status_code == 200
    assert c.get("/api/inbox", params={"limit": 500}).json()["total"] == N_OPEN
    assert [h["action"] for h in c.get("/api/inbox/weibo:c3/history").json()] == [
        "assign",
        "escalate",
        "replied",
        "reopen",
    ]


def test_inbox_action_errors_are_clear_json(ro_app):
    c = login(ro_app, "ana")
    hdr = {"X-CSRF-Token": page_csrf(c)}
    r = c.post("/api/inbox/weibo:c3/action", json={"action": "delete"}, headers=hdr)
    assert r.status_code == 400 and "assign, replied, ignore, escalate, reopen" in r.json()["error"]
    r = c.post("/api/inbox/weibo:nope/action", json={"action": "replied"}, headers=hdr)
    assert r.status_code == 404 and "no inbound message" in r.json()["error"]
    r = c.post("/api/inbox/weibo:r1/action", json={"action": "replied"}, headers=hdr)  # a staff reply
    assert r.status_code == 404
    r = c.post("/api/inbox/weibo:c3/action", json={"action": "assign", "assignee": "ghost"}, headers=hdr)
    assert r.status_code == 400 and "ghost" in r.json()["error"]
    r = c.post("/api/inbox/weibo:c3/action", json={}, headers=hdr)
    assert r.status_code == 422 and r.json()["error"] == "invalid request"
    assert actions_count(ro_app) == 0


# ---- API --------------------------------------------------------------------------------------------
def test_metrics_api_lists_computes_and_explains_errors(ro_app):
    c = login(ro_app, "vic")
    names = [m["name"] for m in c.get("/api/metrics").json()]
    assert "response_rate" in names and "first_response_minutes" in names
    r = c.get("/api/metrics/response_rate", params={"by": "platform"})
    assert r.status_code == 200
    rows = {x["platform"]: x for x in r.json()["rows"]}
    assert rows["weibo"]["turns"] == 2 + 1 + 1 + 2 + len(XSS) and rows["weibo"]["answered"] == 1  # + 2 abusive
    r = c.get("/api/metrics/no_such_metric")
    assert r.status_code == 404 and "no_such_metric" in r.json()["error"] and "response_rate" in r.json()["metrics"]
    r = c.get("/api/metrics/response_rate", params={"by": "colour"})
    assert r.status_code == 400 and "dimensions" in r.json()["error"]
    r = c.get("/api/metrics/response_rate", params={"start": "yesterday"})
    assert r.status_code == 400 and "date" in r.json()["error"]
    card = c.get("/api/scorecard").json()
    assert len(card["dimensions"]) == 5 and card["brand"] == XSS[2]
    spec = client(ro_app).get("/openapi.json").json()
    assert {
        "/api/metrics",
        "/api/metrics/{name}",
        "/api/scorecard",
        "/api/inbox",
        "/api/inbox/{item_id}/action",
    } <= set(spec["paths"])


# ---- XSS ----------------------------------------------------------------------------------------------
def _assert_escaped(html: str, payloads: list[str]) -> None:
    for p in payloads:
        assert p not in html, f"raw payload in page: {p}"
        assert str(escape(p)) in html, f"escaped payload missing: {p}"
    low = html.lower()
    assert "<script>alert" not in low and "<img src=x" not in low and "<svg onload" not in low


def test_xss_payloads_in_messages_users_and_brand_are_escaped(app):
    c = login(app, XSS_USER)
    # The payload user assigns an item to themself, so the name shows in the inbox too.
    c.post("/inbox/action", data={"item": "weibo:d1", "action": "assign", "assignee": XSS_USER, "csrf": page_csrf(c)})
    inbox_html = c.get("/inbox", params={"platform": "weibo"}).text
    _assert_escaped(inbox_html, [*XSS, XSS_USER])
    overview = c.get("/").text
    _assert_escaped(overview, [XSS[2], XSS_USER])  # brand name and user name
    assert (
        "Content-Security-Policy" in c.get("/").headers
        and "script-src 'self'" in c.get("/").headers["content-security-policy"]
    )
    data = c.get("/api/inbox", params={"limit": 500}).json()
    assert set(XSS) <= {i["text"] for i in data["items"]}  # the API returns the data itself, as JSON


# ---- SQL injection -------------------------------------------------------------------------------------
SQLI = [
    "weibo' OR 1=1 --",
    "weibo' OR '1'='1",
    "'; DROP TABLE interactions; --",
    'weibo" OR 1=1 --',
    "weibo') OR ('a'='a",
    "weibo%' OR 1=1 --",
    "1 UNION SELECT name, password_hash FROM web_users --",
]


def test_sql_injection_in_filters_returns_nothing_extra_and_no_500(ro_app):
    c = login(ro_app, "ana", raise_server_exceptions=False)
    n = ro_app.state.web.ws.count("interactions")
    hdr = {"X-CSRF-Token": page_csrf(c)}
    for s in SQLI:
        r = c.get("/api/inbox", params={"platform": s})
        assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["items"] == [], s
        r = c.get("/inbox", params={"platform": s})
        assert r.status_code == 200 and 'data-id="' not in r.text, s
        r = c.get("/api/metrics/response_rate", params={"by": "platform", "platform": s})
        assert r.status_code == 400 and "unknown platform" in r.json()["error"], s  # the pages' filter parser
        assert c.get("/engagement", params={"platform": s}).status_code == 400
        r = c.post("/api/inbox/" + s + "/action", json={"action": "replied"}, headers=hdr)
        assert r.status_code in (400, 404), s
    s = SQLI[0]
    for params in ({"status": s}, {"limit": s}, {"over_sla": s}, {"offset": s}):
        assert c.get("/api/inbox", params=params).status_code in (400, 422), params
    assert c.get("/api/metrics/response_rate", params={"by": s}).status_code == 400
    assert c.get("/api/metrics/response_rate", params={"start": s}).status_code == 400
    assert ro_app.state.web.ws.count("interactions") == n
    assert c.get("/api/inbox", params={"limit": 500}).json()["total"] == N_OPEN


# ---- pages ---------------------------------------------------------------------------------------------
def test_pages_render_in_chinese_by_default_and_switch_to_english(ro_app):
    c = login(ro_app, "vic")
    zh = c.get("/").text
    assert "成熟度评分" in zh and 'lang="zh-CN"' in zh
    en = c.get("/?lang=en").text
    assert "Maturity scorecard" in en and 'lang="en"' in en
    assert "Inbox" in c.get("/inbox").text  # the choice is remembered
    assert "待回复" in c.get("/inbox?lang=zh").text
    r = c.get("/engagement", params={"start": "2026-06-01", "end": "2026-06-30"})
    assert r.status_code == 200 and "<svg" in r.text  # response-rate chart from report/charts.py specs
    assert client(ro_app).get("/static/app.css").status_code == 200


# ---- inbox: statuses, order, filters, triage, templates and drafts -------------------------------------
def _ids(c: TestClient, **params) -> list[str]:
    r = c.get("/api/inbox", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


def test_inbox_statuses_order_and_filters(app):
    c = login(app, "rita")
    hdr = {"X-CSRF-Token": page_csrf(c)}
    for item, body in (
        ("weibo:c3", {"action": "assign", "assignee": "rita"}),
        ("douyin:m1", {"action": "assign", "assignee": "ana"}),
        ("douyin:m1", {"action": "escalate"}),
        ("weibo:c2b", {"action": "ignore"}),
    ):
        assert c.post(f"/api/inbox/{item}/action", json=body, headers=hdr).status_code == 200
    items = {i["id"]: i for i in c.get("/api/inbox", params={"limit": 500, "status": "all"}).json()["items"]}
    assert [items[k]["status"] for k in ("weibo:c3", "douyin:m1", "weibo:c2b", "weibo:d1")] == [
        "assigned",
        "escalated",
        "ignored",
        "new",
    ]
    assert _ids(c, status="assigned") == ["weibo:c3"] and _ids(c, status="escalated") == ["douyin:m1"]
    assert _ids(c, status="ignored") == ["weibo:c2b"] and "weibo:c2b" not in _ids(c)
    assert _ids(c, mine="true") == ["weibo:c3"]  # assigned to rita, who is asking
    newest = _ids(c, order="newest")
    assert newest[0] == "weibo:d1" and newest == list(reversed(_ids(c)))
    assert _ids(c, sentiment="positive") == ["weibo:d1"]
    assert _ids(c, sentiment="negative", status="all") == ["weibo:c2b"]
    assert "weibo:d1" not in _ids(c, sentiment="unscored")
    html = c.get("/inbox", params={"mine": "true"}).text
    assert html.count('class="item') == 1 and 'data-id="weibo:c3"' in html and "已指派" in html
    for bad in ({"order": "sideways"}, {"sentiment": "angry"}, {"status": "lost"}):
        r = c.get("/api/inbox", params=bad)
        assert r.status_code == 400 and list(bad)[0] in r.json()["error"]


def test_abusive_messages_go_to_a_triage_queue_for_allowed_roles_only(app):
    from hudong.inbox.items import is_abusive

    assert is_abusive("你这个傻逼客服") and is_abusive("you IDIOT") and not is_abusive("idiotic plot, 好喝")
    for name in ("rita", "vic"):
        c = login(app, name)
        assert "weibo:t1" not in _ids(c) and "weibo:t2" not in _ids(c)  # the main inbox hides them
        assert c.get("/triage").status_code == 403
        assert c.get("/api/inbox", params={"toxicity": "abusive"}).status_code == 403
        assert "weibo:t1" not in c.get("/inbox", params={"toxicity": "any"}).text  # silently clean for them
    c = login(app, "ana")
    assert _ids(c, toxicity="abusive") == ["weibo:t1", "weibo:t2"] and "weibo:t1" in _ids(c, toxicity="any")
    html = c.get("/triage").text
    assert html.count('class="item') == 2 and '<span class="blurred">你这个傻逼客服</span>' in html
    r = c.post(
        "/inbox/action",
        data={"item": "weibo:t1", "action": "ignore", "csrf": csrf_in(html), "back": "/triage"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/triage?saved=ignore"
    assert c.get("/api/inbox/weibo:t1/history").json()[0]["by"] == "ana"
    assert _ids(c, toxicity="abusive") == ["weibo:t2"]


def test_reply_templates_seeded_managed_and_used_for_drafts(app):
    c = login(app, "rita")
    tpl = c.get("/api/templates").json()
    assert {("thanks", "zh"), ("thanks", "en"), ("delivery", "zh"), ("delivery", "en")} <= {
        (t["name"], t["lang"]) for t in tpl
    }
    tok = page_csrf(c)
    assert c.post("/templates", data={"name": "x", "lang": "zh", "body": "y", "csrf": tok}).status_code == 403
    r = c.post("/inbox/draft", data={"item": "weibo:c2b", "template": "delivery", "csrf": tok}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("saved=draft")
    item = {i["id"]: i for i in c.get("/api/inbox", params={"limit": 500}).json()["items"]}["weibo:c2b"]
    assert item["draft"].startswith("u2 您好") and item["draft_by"] == "rita" and item["status"] == "new"
    assert item["draft_at"] is not None
    hist = c.get("/api/inbox/weibo:c2b/history").json()
    assert [(h["action"], h["by"]) for h in hist] == [("draft", "rita")] and hist[0]["note"] == item["draft"]
    # A written draft wins over the template; an empty draft is an error.
    c.post("/inbox/draft", data={"item": "weibo:c2b", "template": "thanks", "text": "马上处理", "csrf": tok})
    assert {i["id"]: i for i in c.get("/api/inbox").json()["items"]}["weibo:c2b"]["draft"] == "马上处理"
    assert c.post("/inbox/draft", data={"item": "weibo:c2b", "csrf": tok}).status_code == 400
    assert "马上处理" in c.get("/inbox", params={"open": "weibo:c2b"}).text  # the open conversation shows it
    # An analyst manages templates; placeholders other than {user} {brand} {platform} stay literal.
    a = login(app, "ana")
    tok = page_csrf(a)
    body = "Hi {user} on {platform}: {user.__class__} {0}"
    r = a.post("/templates", data={"name": "probe", "lang": "en", "body": body, "csrf": tok}, follow_redirects=False)
    assert r.status_code == 303
    a.get("/inbox?lang=en")
    a.post("/inbox/draft", data={"item": "douyin:m1", "template": "probe", "csrf": tok})
    drafted = {i["id"]: i for i in a.get("/api/inbox").json()["items"]}["douyin:m1"]["draft"]
    assert drafted == "Hi u3 on douyin: {user.__class__} {0}"
    a.post("/templates", data={"name": "probe", "lang": "en", "delete": "1", "csrf": tok})
    assert "probe" not in [t["name"] for t in a.get("/api/templates").json()]
    r = a.post("/inbox/draft", data={"item": "douyin:m1", "template": "probe", "csrf": tok})
    assert r.status_code == 404


# ---- upload and imports --------------------------------------------------------------------------------
REPLY_CSV = (
    "platform,interaction_id,type,actor_id,target_post_id,created_at,text,parent_id,is_inbound,by_staff,is_automated\n"
    "weibo,r3,reply,brand,p1,2026-06-08 09:30:00,您好，已为您申请优惠,c3,false,true,false\n"
    "weibo,r4,reply,brand,p1,not a date,坏行,c2b,false,true,false\n"
)


def wait_job(c: TestClient, job_id: str) -> dict:
    import time

    for _ in range(300):
        j = c.get(f"/api/imports/jobs/{job_id}").json()
        if j["state"] in ("done", "failed"):
            return j
        time.sleep(0.1)
    raise AssertionError("import job did not finish")


def test_upload_imports_staff_replies_closes_items_and_quarantines_bad_rows(app, ws_dir):
    c = login(app, "ana")
    tok = page_csrf(c)
    assert "weibo:c3" in _ids(c)
    r = c.post(
        "/upload",
        data={"format": "generic-interactions", "csrf": tok},
        files={"file": ("../../etc/回复 <b>.csv", REPLY_CSV.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/upload/")
    job = wait_job(c, r.headers["location"].rsplit("/", 1)[1])
    assert job["state"] == "done", job
    assert job["summary"]["rows_read"] == 2 and job["summary"]["quarantined"] == 1
    assert job["file_name"] == "回复 <b>.csv"  # display text only
    stored = list((ws_dir / "uploads").glob("*/*"))
    assert [p.name for p in stored] == ["data.csv"]  # the browser's name is never a path
    # The imported staff reply answers c3: the item leaves the inbox; the bad row is quarantined.
    assert "weibo:c3" not in _ids(c) and "weibo:c2b" in _ids(c)
    html = c.get(r.headers["location"]).text
    assert 'id="rows-quarantined">1<' in html and "created_at" in html and "not a date" in html
    assert "回复 &lt;b&gt;.csv" in html
    q = c.get(f"/api/imports/{job['batch_id']}/quarantine").json()
    assert q["total"] == 1 and q["rows"][0]["row"] == 2 and q["rows"][0]["column"] == "created_at"
    hist = c.get("/api/imports").json()
    assert hist[0]["batch_id"] == job["batch_id"] and hist[0]["uploaded_by"] == "ana"
    assert hist[0]["file"] == "回复 <b>.csv" and hist[0]["rows_quarantined"] == 1
    assert job["batch_id"] in c.get("/imports").text
    # Retry the stored upload with another format: a failed batch with a clear error, recorded in the history.
    r = c.post(
        "/imports/retry",
        data={"upload_id": job["upload_id"], "format": "generic-posts", "csrf": tok},
        follow_redirects=False,
    )
    again = wait_job(c, r.headers["location"].rsplit("/", 1)[1])
    assert again["state"] == "failed" and "missing required column" in again["error"]
    assert str(ws_dir) not in again["error"]  # the stored path is not shown
    assert [b["status"] for b in c.get("/api/imports").json()[:2]] == ["failed", "ok"]


def test_upload_job_reports_the_importers_progress_in_rows(app, monkeypatch):
    import time

    from hudong.ingest import readers

    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)  # several CSV blocks for a small file
    head, bad = REPLY_CSV.splitlines()[0], 0
    lines = [head]
    for i in range(1, 2001):
        ts = "not a date" if i % 101 == 0 else f"2026-06-08 10:{i % 60:02d}:00"
        bad += i % 101 == 0
        lines.append(f"weibo,pr{i},comment,fan{i % 97},p1,{ts},第{i}条评论,,true,false,false")
    c = login(app, "ana")
    hdr = {"X-CSRF-Token": page_csrf(c)}
    lock = app.state.web.import_lock  # imports run one at a time
    with lock:  # the job waits for the import lock: queued, nothing processed yet
        r = c.post(
            "/api/uploads",
            data={"format": "generic-interactions"},
            files={"file": ("many.csv", "\n".join(lines).encode(), "text/csv")},
            headers=hdr,
        )
        job = r.json()
        assert job["state"] == "queued" and job["percent"] == 0 and job["rows_done"] == 0
        html = c.get(f"/upload/{job['id']}").text
        assert 'id="job-progress" max="100" value="0"' in html and 'id="job-rows">0<' in html
        assert "已处理行数" in html or "Rows processed" in html
    seen = []
    for _ in range(300):
        j = c.get(f"/api/imports/jobs/{job['id']}").json()
        seen.append(j)
        if j["state"] in ("done", "failed"):
            break
        time.sleep(0.02)
    for before, after in zip(seen, seen[1:], strict=False):
        for k in ("percent", "rows_done", "rows_quarantined", "rows_accepted"):
            assert after[k] >= before[k], (k, before, after)
    j = seen[-1]
    assert j["state"] == "done", j
    assert j["stage"] == "done"  # set by the importer's callback
    q = c.get(f"/api/imports/{j['batch_id']}/quarantine").json()
    assert j["percent"] == 100 and j["rows_done"] == j["rows_total"] == 2000
    assert j["rows_quarantined"] == q["total"] == bad == j["summary"]["quarantined"]
    assert j["rows_accepted"] == 2000 - bad
    html = c.get(f"/upload/{j['id']}").text
    assert 'id="job-rows">2,000<' in html and f'id="job-quarantined">{bad}<' in html and 'value="100"' in html


def test_upload_scores_the_new_texts_with_the_workspaces_models(ws_dir):
    """An upload's comments get sentiment, emotion and toxicity without `hudong text score`: the incremental
    scoring run after the import, with the workspace's adapted model (`hudong text train`) where it has one."""
    import random

    from hudong.analyses.context import models_dir
    from hudong.text import adapt

    pos, neg = ["yyds", "绝绝子", "封神", "狠狠爱了"], ["踩雷", "翻车", "拉胯", "避雷"]
    r = random.Random(3)
    texts = [f"这次联名{r.choice(pos if i % 2 else neg)}" for i in range(300)]
    labels = ["positive" if i % 2 else "negative" for i in range(300)]
    ws = Workspace.open(ws_dir)
    try:
        (res,) = adapt.train(models_dir(ws), texts, labels, task="sentiment", lang="zh")
    finally:
        ws.close()
    app = create_app(ws_dir, now=NOW)
    try:
        c = login(app, "ana")
        rows = ["platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound"]
        rows += [f"weibo,up{i},comment,fan{i},p1,2026-06-08 10:{i:02d}:00,新品{w}了,true"
                 for i, w in enumerate(["踩雷", "翻车", "yyds", "封神"])]
        rows.append("weibo,up9,comment,fan9,p1,2026-06-08 11:00:00,Totally love the new flavour,true")
        r = c.post("/upload", data={"format": "generic-interactions", "csrf": page_csrf(c)},
                   files={"file": ("comments.csv", "\n".join(rows).encode(), "text/csv")}, follow_redirects=False)
        job = wait_job(c, r.headers["location"].rsplit("/", 1)[1])
        assert job["state"] == "done" and job["score_error"] is None, job
        assert job["scored"]["rows"] >= 5 and job["scored"]["model_versions"]["zh"] == res.version
        con = app.state.web.ws.con
        got = dict(con.execute("SELECT id, polarity || ' ' || model_version FROM text_sentiment "
                               "WHERE id LIKE 'up%'").fetchall())  # fmt: skip
        assert {k: v for k, v in got.items() if k != "up9"} == {
            "up0": f"negative {res.version}", "up1": f"negative {res.version}",
            "up2": f"positive {res.version}", "up3": f"positive {res.version}"}  # fmt: skip
        assert got["up9"].startswith("positive en-")  # English: the shipped English model (no adapted one)
        signals = con.execute("SELECT count(*) FROM text_signals WHERE id LIKE 'up%' AND emotion IS NOT NULL "
                              "AND toxic IS NOT NULL").fetchone()[0]  # fmt: skip
        assert signals == 5
        html = c.get(f"/upload/{job['id']}").text
        assert 'id="job-scored"' in html
        # the swap is over: the process's shipped model is the shipped one again
        assert adapt.shipped_model("sentiment", "zh").version == res.base_version
        from hudong.text.sentiment import load_model

        assert load_model("zh").version == res.base_version
    finally:
        app.state.web.ws.close()


def test_upload_rejects_wrong_roles_types_formats_and_sizes(app):
    files = {"file": ("a.csv", REPLY_CSV.encode(), "text/csv")}
    r_c = login(app, "rita")
    assert r_c.get("/upload").status_code == 403
    r = r_c.post(
        "/api/uploads", data={"format": "generic-interactions"}, files=files, headers={"X-CSRF-Token": page_csrf(r_c)}
    )
    assert r.status_code == 403
    c = login(app, "ana")
    hdr = {"X-CSRF-Token": page_csrf(c)}
    assert c.post("/api/uploads", data={"format": "generic-interactions"}, files=files).status_code == 403  # CSRF
    for name, fmt, needle in (
        ("a.exe", "generic-interactions", "unsupported file type"),
        ("a.csv", "/etc/passwd", "unknown format"),
        ("a.csv", "../mappings/weibo-export", "unknown format"),
    ):
        r = c.post("/api/uploads", data={"format": fmt}, files={"file": (name, b"x", "text/csv")}, headers=hdr)
        assert r.status_code == 400 and needle in r.json()["error"], (name, fmt)
    r = c.post(
        "/api/uploads",
        files={"file": ("a.csv", REPLY_CSV.encode(), "text/csv"), "mapping": ("m.toml", b"not = [toml", "text")},
        headers=hdr,
    )
    assert r.status_code == 400 and "m.toml" in r.json()["error"] and "invalid TOML" in r.json()["error"]
    app.state.web.ws.config.setdefault("web", {})["max_upload_mb"] = 0.0001  # ≈100 bytes
    r = c.post("/api/uploads", data={"format": "generic-interactions"}, files=files, headers=hdr)
    assert r.status_code == 400 and "larger than" in r.json()["error"]
    assert not list((app.state.web.ws.path / "uploads").glob("*/*"))  # nothing left behind
