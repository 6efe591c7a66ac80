"""Security of the web workspace, on a demo workspace whose names and texts are XSS payloads: every page renders
them inert (parsed HTML: no script, event handler or javascript: URL comes from data), filters cannot inject
SQL, a viewer cannot act, a session or token of one workspace is worthless in another, and schemathesis finds
no server error in the OpenAPI-described API. Real app, real DuckDB, TestClient — no mocks."""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import shutil
import warnings
from urllib.parse import quote

import pyarrow as pa
import pytest

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

from fastapi.testclient import TestClient  # noqa: E402

from hudong.inbox import replies  # noqa: E402
from hudong.store.workspace import Workspace  # noqa: E402
from hudong.web import auth  # noqa: E402
from hudong.web.app import SESSION_COOKIE, create_app  # noqa: E402
from test_web_app import csrf_in, wait_job  # noqa: E402

PASSWORD = "correct horse battery"

# Classic payloads (OWASP XSS filter-evasion cheat sheet style): tags, handlers, URL schemes, attribute and
# context breakouts, entity and unicode tricks, template injection, polyglots.
XSS = [
    "<script>alert(1)</script>",
    "<ScRiPt>alert(String.fromCharCode(88,83,83))</ScRiPt>",
    "<script src=//evil.example/x.js></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=javascript:alert('XSS')>",
    '<img src="x" onerror="alert(\'x\')">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;(1)>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74(1)>",
    '<IMG SRC="jav&#x09;ascript:alert(1);">',
    "<svg onload=alert(1)>",
    "<svg/onload=alert('xss')>",
    '"><svg onload=alert(1)>',
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#14;javascript:alert(1)">x</a>',
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<keygen autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<div style="background:url(javascript:alert(1))">',
    '<div style="width:expression(alert(1))">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "--><script>alert(1)</script>",
    "]]><script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    '" autofocus onfocus=alert(1) x="',
    "javascript:alert(1)",
    "{{7*7}}<b>bold</b>",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    "{% raw %}{{ config }}{% endraw %}",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "＜script＞alert(1)＜/script＞",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/"
    "</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e",
    "<x contenteditable onblur=alert(1)>lose focus!",
    "<xss id=x tabindex=1 onfocusin=alert(1)></xss>",
]
assert len(XSS) >= 50
USER_XSS = [p for p in XSS if len(p) <= 64][:6]  # web user names are at most 64 characters

EVENT_PREFIX = "on"
URL_ATTRS = ("href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "background", "poster")
DANGEROUS_TAGS = ("iframe", "object", "embed", "base", "frame", "frameset", "applet")


class Inert(html.parser.HTMLParser):
    """Collects what could run: script elements, event-handler attributes, javascript: URLs, dangerous tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        own_file = (a.get("src") or "").startswith(("/static/", "/assets/"))
        data_block = a.get("src") is None and a.get("type") in ("application/json", "application/vnd.vega-lite+json")
        if tag == "script" and not (own_file or data_block):  # only the app's script files or inert data blocks
            self.problems.append(f"<script {a}>")
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in a:
            self.problems.append(f"<meta http-equiv={a['http-equiv']}>")
        for name, value in attrs:
            if name.startswith(EVENT_PREFIX):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRS and value and "javascript:" in "".join(value.split()).lower():
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value and ("javascript:" in value.lower() or "expression(" in value.lower()):
                self.problems.append(f"<{tag} style={value!r}>")


def assert_inert(page_html: str, where: str) -> None:
    p = Inert()
    p.feed(page_html)
    assert p.problems == [], f"{where}: {p.problems[:5]}"


@pytest.fixture(scope="module")
def template_ws(tmp_path_factory, demo_workspaces):
    d = demo_workspaces.copy(tmp_path_factory.mktemp("sec") / "ws")
    cfg = (d / "hudong.toml").read_text()
    start = cfg.index("[brand]")
    line = cfg.index("name = ", start)
    end = cfg.index("\n", line)
    (d / "hudong.toml").write_text(cfg[:line] + f"name = {json.dumps(XSS[4])}" + cfg[end:])
    n = len(XSS)
    with Workspace.open(d) as ws:
        con = ws.con
        con.execute("CREATE TEMP TABLE payloads (i INTEGER, p VARCHAR)")
        con.executemany("INSERT INTO payloads VALUES (?, ?)", list(enumerate(XSS)))
        # Names and texts of every kind become payloads (cycled over the rows).
        for table, col, key in (
            ("accounts", "name", "account_id"),
            ("campaigns", "name", "campaign_id"),
            ("users", "name", "user_id"),
            ("posts", "text", "post_id"),
        ):
            con.execute(
                f"UPDATE {table} t SET {col} = p.p FROM (SELECT platform, {key}, "
                f"(row_number() OVER (ORDER BY platform, {key}) - 1) % {n} AS i FROM {table}) k "
                f"JOIN payloads p USING (i) WHERE t.platform = k.platform AND t.{key} = k.{key}"
            )
        # Unanswered inbound comments with payload texts and authors, the oldest in the inbox (page 1).
        rows = [
            dict(
                platform="weibo",
                interaction_id=f"xss{i}",
                type="comment",
                actor_id=p,
                target_post_id="p1",
                target_user_id=None,
                created_at=dt.datetime(2020, 1, 1) + dt.timedelta(minutes=i),
                dwell_seconds=None,
                text=p,
                parent_id=None,
                is_inbound=True,
                by_staff=False,
                is_automated=False,
                source_file="test",
                importer="test",
                batch_id="b1",
            )
            for i, p in enumerate(XSS)
        ]
        rows.append(dict(rows[0], interaction_id="xss-abuse", text="idiot " + XSS[0]))  # the triage queue
        con.execute("BEGIN")
        ws.upsert("interactions", pa.Table.from_pylist(rows))
        con.execute("COMMIT")
        for name, role in (("admin", "admin"), ("ana", "analyst"), ("rita", "responder"), ("vic", "viewer")):
            auth.add_user(con, name, role, PASSWORD)
        for p in USER_XSS:
            auth.add_user(con, p, "analyst", PASSWORD)
        replies.ensure_tables(con)
        for i, p in enumerate(XSS):
            replies.save_template(con, f"t{i} {p}"[:64], "zh", p, USER_XSS[0])
    return d


def _app(template_ws, tmp_path):
    d = tmp_path / "ws"
    shutil.copytree(template_ws, d)
    return create_app(d)


@pytest.fixture
def app(template_ws, tmp_path):
    a = _app(template_ws, tmp_path)
    yield a
    a.state.web.ws.close()


def login(app, name: str, **kw) -> TestClient:
    c = TestClient(app, base_url="http://testserver", **kw)
    r = c.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf": csrf_in(c.get("/login").text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c


def _upload_payload_file(c: TestClient) -> dict:
    """A CSV named after a payload, with payload texts and a bad row whose raw content is a payload."""
    lines = ["platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound,by_staff"]
    for i, p in enumerate(XSS[:20]):
        lines.append(f"weibo,up{i},comment,fan{i},p1,2026-01-01 10:00:00,{json.dumps(p)},true,false")
    lines.append(f"weibo,bad,comment,fan,p1,{json.dumps(XSS[0])},{json.dumps(XSS[5])},true,false")
    r = c.post(
        "/upload",
        data={"format": "generic-interactions", "csrf": csrf_in(c.get("/upload").text)},
        files={"file": (XSS[4] + ".csv", "\n".join(lines).encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    job = wait_job(c, r.headers["location"].rsplit("/", 1)[1])
    assert job["state"] == "done" and job["summary"]["quarantined"] == 1, job
    return job


def all_routes(app) -> list:
    """Every route, through the included routers (FastAPI wraps each ``include_router`` in a proxy)."""
    out, todo = [], list(app.routes)
    while todo:
        r = todo.pop()
        if hasattr(r, "original_router"):
            todo.extend(r.original_router.routes)
        else:
            out.append(r)
    return out


def route_paths(app) -> set[str]:
    return {getattr(r, "path", "") for r in all_routes(app)}


ANALYTICS = ("/engagement", "/content", "/community", "/relationships", "/people", "/propagation")


def test_xss_payloads_are_inert_on_every_page(app):
    c = login(app, USER_XSS[0])  # an analyst whose name is a payload: shown in the header of every page
    job = _upload_payload_file(c)
    c.post(
        "/inbox/action",
        data={"item": "weibo:xss1", "action": "assign", "assignee": USER_XSS[1], "csrf": csrf_in(c.get("/inbox").text)},
    )
    c.post("/inbox/draft", data={"item": "weibo:xss2", "text": XSS[3], "csrf": csrf_in(c.get("/inbox").text)})
    routes = route_paths(app)
    pages = [
        "/",
        "/inbox",
        "/inbox?page=2",
        "/inbox?status=all&toxicity=any",
        "/triage",
        "/templates",
        "/imports",
        f"/imports/{job['batch_id']}",
        f"/upload/{job['id']}",
        "/upload",
        *[p for p in ANALYTICS if p in routes],
    ]
    seen: set[str] = set()
    for path in pages:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert_inert(r.text, path)
        assert "<script>alert" not in r.text.lower(), path
        seen |= {p for p in XSS if str(_escaped(p)) in r.text}
    admin = login(app, "admin")
    r = admin.get("/users")
    assert_inert(r.text, "/users")
    assert all(str(_escaped(p)) in r.text for p in USER_XSS)
    # The payloads did reach the pages (escaped), so the check above was not vacuous.
    assert len(seen) >= len(XSS) - 2, sorted(set(XSS) - seen)
    inbox = c.get("/inbox").text
    for p in XSS[:40]:  # the oldest items: text and author on page 1
        assert str(_escaped(p)) in inbox, p
    tpl = c.get("/templates").text
    assert all(str(_escaped(p)) in tpl for p in XSS)
    up = c.get(f"/upload/{job['id']}").text
    assert str(_escaped(XSS[4] + ".csv")) in up  # the file name; raw rows are shown to admins only
    up = admin.get(f"/upload/{job['id']}").text
    assert_inert(up, "/upload (admin)")
    assert str(_escaped(XSS[5])) in up  # the raw row
    # Security headers: no inline script can run even if something slipped through.
    csp = c.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def _escaped(p: str) -> str:
    from markupsafe import escape

    return str(escape(p))


SQLI = [
    "weibo' OR 1=1 --",
    "' OR '1'='1",
    "'; DROP TABLE interactions; --",
    '" OR 1=1 --',
    "') OR ('a'='a",
    "%' OR 1=1 --",
    "1 UNION SELECT name, password_hash FROM web_users --",
    "1; SELECT * FROM web_users",
    "weibo\\'; DELETE FROM inbox_actions; --",
]


def test_filters_cannot_inject_sql(app):
    c = login(app, "ana", raise_server_exceptions=False)
    con = app.state.web.ws.con
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("interactions", "web_users")}
    routes = route_paths(app)
    for s in SQLI:
        common = ("platform", "status", "order", "sentiment", "toxicity", "mine", "over_sla")
        for param in (*common, "limit", "offset"):
            r = c.get("/api/inbox", params={param: s})
            assert r.status_code in (400, 422) or (r.status_code == 200 and r.json()["items"] == []), (param, s)
        for param in (*common, "page"):
            r = c.get("/inbox", params={param: s})
            assert r.status_code in (400, 422) or 'data-id="' not in r.text, (param, s)
        assert c.get("/triage", params={"platform": s}).text.count('class="item') == 0
        assert c.get("/api/templates", params={"lang": s}).json() == []
        assert c.get(f"/api/imports/{s}/quarantine").status_code == 404
        assert c.get(f"/imports/{s}").status_code == 404
        assert c.get(f"/api/inbox/weibo:{s}/history").json() == []
        for path in ANALYTICS:
            if path in routes:
                for param in ("platform", "account", "campaign", "start", "end"):
                    r = c.get(path, params={param: s})
                    assert r.status_code == 400, (path, param, s, r.status_code)
    after = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("interactions", "web_users")}
    assert after == counts


def test_a_viewer_cannot_act(app):
    """Every POST route of the app (found by walking the router, so new ones are covered) answers 403, except
    signing in and out and changing one's own password (every role may: tests/test_web_accounts.py)."""
    c = login(app, "vic")
    tok = csrf_in(c.get("/inbox").text)
    posts = sorted(
        r.path
        for r in all_routes(app)
        if "POST" in (getattr(r, "methods", None) or ()) and r.path not in ("/login", "/logout", "/account/password")
    )
    assert {"/inbox/action", "/inbox/draft", "/templates", "/upload", "/imports/retry", "/users"} <= set(posts)
    assert {"/users/disable", "/users/enable", "/users/remove", "/users/password", "/users/role"} <= set(posts)
    before = app.state.web.ws.con.execute("SELECT count(*) FROM inbox_actions").fetchone()[0]
    for path in posts:
        url = path.replace("{item_id:path}", "weibo:xss1").replace("{item_id}", "weibo:xss1")
        r = c.post(
            url,
            data={"csrf": tok, "item": "weibo:xss1", "action": "replied", "name": "x", "lang": "zh", "body": "b"},
            files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")} if "upload" in path or "retry" in path else None,
            headers={"X-CSRF-Token": tok},
        )
        assert r.status_code == 403, (path, r.status_code)
    r = c.post("/api/inbox/weibo:xss1/action", json={"action": "draft", "note": "x"}, headers={"X-CSRF-Token": tok})
    assert r.status_code == 403
    assert app.state.web.ws.con.execute("SELECT count(*) FROM inbox_actions").fetchone()[0] == before


def test_a_session_or_token_of_one_workspace_is_rejected_by_another(template_ws, tmp_path):
    a = _app(template_ws, tmp_path / "a")
    with Workspace.init(tmp_path / "b") as ws:  # another workspace (its own secret key), same user and password
        auth.add_user(ws.con, "ana", "analyst", PASSWORD)
    b = create_app(tmp_path / "b")
    try:
        ca = login(a, "ana")
        token = auth.new_token(a.state.web.ws.con, "ana")
        cb = TestClient(b, base_url="http://testserver")
        cb.cookies.set(SESSION_COOKIE, ca.cookies[SESSION_COOKIE])
        assert cb.get("/inbox", follow_redirects=False).status_code == 303
        assert cb.get("/api/me").status_code == 401
        assert cb.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert TestClient(a).get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["name"] == "ana"
        assert login(b, "ana").get("/api/me").json()["name"] == "ana"  # B's own sign-in works
    finally:
        a.state.web.ws.close()
        b.state.web.ws.close()


# ---- issue #19 item 11: no request value gives a 500 ----------------------------------------------------
# Values that once crashed the app (500): an offset or page past int64, a NUL byte in a filter (it was inlined into
# the SQL text, which DuckDB's parser cannot read), dates whose "end + 1 day" overflows.
NASTY = ["\x00", "a\x00b", "weibo\x00' OR 1=1 --", "\x1b[31m", "\u2028\u2029", "\\'", "\ufeff", "%00", "\x7f"]


def test_issue_19_reported_inputs_are_client_errors(app):
    c = login(app, "ana", raise_server_exceptions=False)
    r = c.get("/api/inbox?offset=489886195640730648576")
    assert r.status_code == 422 and "offset" in r.json()["details"][0]["where"], r.text
    for offset in (2**63 - 1, 2**63, 10**12, -1):
        assert c.get("/api/inbox", params={"offset": offset}).status_code == 422, offset
    for limit in (0, 501, 2**64):
        assert c.get("/api/inbox", params={"limit": limit}).status_code == 422, limit
    for page in ("99999999999999999999", "0", "-1", str(2**63)):
        r = c.get("/inbox", params={"page": page})
        assert r.status_code == 422 and "page" in r.text, (page, r.status_code)
    r = c.get("/inbox?platform=%00")
    assert r.status_code == 200 and 'class="item' not in r.text
    r = c.get("/api/inbox?platform=%00")
    assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["items"] == []
    r = c.get("/engagement?start=0001-01-01&end=9999-12-31")
    assert r.status_code == 400 and "start" in r.text, r.status_code
    for path in (*ANALYTICS, "/api/metrics/posts"):
        for params, name in (
            ({"start": "0001-01-01"}, "start"),
            ({"end": "9999-12-31"}, "end"),
            ({"start": "1969-12-31"}, "start"),
            ({"end": "2101-01-01"}, "end"),
        ):
            r = c.get(path, params=params)
            assert r.status_code == 400, (path, params, r.status_code)
            msg = r.json()["error"] if path.startswith("/api") else r.text
            assert name in msg and "between" in msg, (path, params, msg[:300])
    assert c.get("/engagement", params={"start": "2020-01-01", "end": "2030-12-31"}).status_code == 200


def test_control_characters_in_every_text_parameter_give_no_server_error(app):
    """Every GET route's text parameters with NUL, escape, separator and quote characters: never a 5xx."""
    c = login(app, "ana", raise_server_exceptions=False)
    per_route = {
        "/inbox": ("platform", "status", "order", "sentiment", "toxicity"),
        "/triage": ("platform", "status"),
        "/api/inbox": ("platform", "status", "order", "sentiment", "toxicity"),
        "/api/templates": ("lang",),
        **{p: ("platform", "account", "campaign", "start", "end") for p in ANALYTICS},
        "/api/metrics/posts": ("by", "platform", "account", "campaign", "start", "end"),
        "/login": ("next",),
    }
    bad: list[tuple] = []
    for path, names in per_route.items():
        for name in names:
            for v in NASTY:
                r = c.get(path, params={name: v})
                if r.status_code >= 500:
                    bad.append((path, name, v, r.status_code))
    for raw in NASTY:
        v = quote(raw, safe="")
        for path in (
            f"/api/inbox/weibo:{v}/history",
            f"/api/inbox/{v}/labels",
            f"/api/imports/{v}/quarantine",
            f"/api/imports/jobs/{v}",
            f"/imports/{v}",
            f"/api/metrics/{v}",
        ):
            r = c.get(path)
            if r.status_code >= 500:
                bad.append((path, v, r.status_code))
    assert bad == []


def test_shared_query_helpers_bind_values(app):
    """The helpers the web calls take any string as a value, NUL included: bound as data, never SQL text."""
    from hudong.analyses import reads, texts
    from hudong.inbox import items as inbox
    from hudong.metrics import compute

    ws = app.state.web.ws
    for v in ("\x00", "x\x00' OR 1=1 --"):
        assert compute(ws, "posts", account=[v]).to_pylist() in ([], [{"value": 0}])
        for name in ("platform", "account", "campaign"):
            compute(ws, "engagements", by=["platform"], **{name: [v]})
        assert texts.posts(ws, platform=[v], campaign=[v]).empty
        assert texts.posts(ws, account=[v]).empty
        assert len(reads.cascades(ws, platform=v).cascades) == 0
        out = inbox.list_items(ws, inbox.InboxQuery(platform=v, assignee=v, status="all"))
        assert out["total"] == 0
    # A bound filter selects exactly what the literal did.
    account = ws.con.execute("SELECT account_id FROM accounts WHERE is_own ORDER BY 1 LIMIT 1").fetchone()[0]
    n = ws.con.execute("SELECT count(*) FROM posts WHERE account_id = ?", [account]).fetchone()[0]
    assert compute(ws, "posts", account=[account]).to_pylist()[0]["value"] == n > 0
    everything = inbox.list_items(ws, inbox.InboxQuery(status="all", toxicity="any", limit=500))["total"]
    weibo = inbox.list_items(ws, inbox.InboxQuery(platform="weibo", status="all", toxicity="any", limit=500))
    assert 0 < weibo["total"] <= everything and {i["platform"] for i in weibo["items"]} == {"weibo"}


def test_schemathesis_finds_no_server_error(app):
    """schemathesis on /openapi.json, authenticated with a Bearer token: for every operation its coverage phase
    (boundary and just-out-of-bounds values of every parameter, missing and wrong-typed ones) and its fuzzing
    phase (``EXAMPLES`` positive and negative examples); the ``not_a_server_error`` check must pass on all. The
    pytest plugin (``@schema.parametrize``) does not run under pytest 9, so each operation's test is built with
    the same builder it uses."""
    schemathesis = pytest.importorskip("schemathesis")
    import time

    from hypothesis import HealthCheck, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test

    token = auth.new_token(app.state.web.ws.con, "ana")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: list[int] = []
    ops: list[str] = []
    modes = [HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING]
    hyp = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    t0 = time.monotonic()
    for result in schema.get_all_operations():
        op = result.ok()
        ops.append(f"{op.method.upper()} {op.path}")

        def check(case) -> None:
            r = case.call(headers={"Authorization": f"Bearer {token}"})
            statuses.append(r.status_code)
            try:
                case.validate_response(r, checks=[not_a_server_error])
            except Exception as e:  # noqa: BLE001 - collected, reported below
                failures.append(f"{case.method} {case.formatted_path} {case.query} -> {r.status_code}: {e}"[:300])

        create_test(operation=op, test_func=check, config=HypothesisTestConfig(project=schema.config, modes=modes,
                                                                                settings=hyp))()  # fmt: skip
    elapsed = time.monotonic() - t0
    print(f"schemathesis: {len(ops)} operations, {len(statuses)} examples, {elapsed:.1f} s, {len(failures)} errors")
    assert len(ops) >= 14 and len(statuses) >= 10 * len(ops)
    assert sum(200 <= x < 300 for x in statuses) >= len(ops)  # authenticated: real answers, not only 401/422
    assert failures == [], failures[:5]


def test_openapi_declares_the_error_responses(app):
    spec = TestClient(app).get("/openapi.json").json()
    api = {(m.upper(), p): op for p, item in spec["paths"].items() for m, op in item.items()}
    assert len(api) >= 14
    for (method, path), op in api.items():
        codes = set(op["responses"])
        assert {"401", "429"} <= codes, (method, path)
        for code in codes - {"200"}:
            assert op["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
        if any(p["in"] in ("query", "path") for p in op.get("parameters", [])) or "requestBody" in op:
            assert "422" in codes, (method, path)
    assert {"400", "403", "422"} <= set(api[("GET", "/api/inbox")]["responses"])
    assert {"400", "403", "404", "422"} <= set(api[("POST", "/api/inbox/{item_id}/action")]["responses"])
    assert "404" in api[("GET", "/api/metrics/{name}")]["responses"]
    inbox = {p["name"]: p["schema"] for p in api[("GET", "/api/inbox")]["parameters"]}
    assert inbox["offset"]["maximum"] == 10_000_000 and inbox["limit"]["maximum"] == 500


EXAMPLES = 25  # fuzzing examples per operation (positive and negative drawn together)
