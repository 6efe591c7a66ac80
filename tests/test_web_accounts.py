"""Accounts and sessions of the web workspace (issue #19 items 12 and 13): server-side sessions that logout,
a password change, disabling or removing a user end at once; idle and absolute expiry; login throttling and
lockout per user name and per client address; user administration (CLI and /users); the security audit log;
HSTS over https. Real app, real DuckDB, TestClient and a real `hudong serve` — no mocks."""

from __future__ import annotations

import hashlib
import re
import time

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hudong.cli import cli
from hudong.store.workspace import Workspace
from hudong.web import auth
from hudong.web.app import SESSION_COOKIE
from test_web_app import PASSWORD, build_workspace, client, csrf_in, login, page_csrf

NEW_PASSWORD = "another long passphrase"


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    return build_workspace(tmp_path_factory.mktemp("accounts") / "ws")




def web_settings(app, **kw) -> None:
    app.state.web.ws.config.setdefault("web", {}).update(kw)


def copy_of(app, c: TestClient, **kw) -> TestClient:
    """Another client holding a copy of ``c``'s session cookie (a stolen or copied cookie)."""
    other = client(app, **kw)
    other.cookies.set(SESSION_COOKIE, c.cookies[SESSION_COOKIE])
    return other


def signed_in(c: TestClient) -> bool:
    return c.get("/api/me").status_code == 200


def try_login(c: TestClient, name: str, password: str):
    return c.post(
        "/login",
        data={"username": name, "password": password, "csrf": csrf_in(c.get("/login").text)},
        follow_redirects=False,
    )


def events(app, **where) -> list[dict]:
    return [e for e in auth.list_events(app.state.web.ws.con, limit=10_000) if all(e[k] == v for k, v in where.items())]


# ---- item 12: server-side sessions ----------------------------------------------------------------------
def test_logout_revokes_the_session_so_a_copied_cookie_stops_working(app):
    c = login(app, "ana")
    stolen = copy_of(app, c)
    assert signed_in(stolen) and stolen.get("/inbox", follow_redirects=False).status_code == 200
    r = c.post("/logout", data={"csrf": page_csrf(c)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = stolen.get("/api/me")
    assert r.status_code == 401 and "not authenticated" in r.json()["error"]
    r = stolen.get("/inbox", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert not signed_in(c)


def test_the_cookie_is_a_random_session_id_and_only_its_hash_is_stored(app):
    c1, c2 = login(app, "ana"), login(app, "ana")
    sid1, sid2 = c1.cookies[SESSION_COOKIE], c2.cookies[SESSION_COOKIE]
    assert sid1 != sid2 and len(sid1) >= 40 and "ana" not in sid1
    con = app.state.web.ws.con
    rows = con.execute("SELECT session_hash, user_name, csrf FROM web_sessions ORDER BY created_at").fetchall()
    assert [(h, u) for h, u, _ in rows] == [
        (hashlib.sha256(sid1.encode()).hexdigest(), "ana"),
        (hashlib.sha256(sid2.encode()).hexdigest(), "ana"),
    ]
    assert not con.execute("SELECT count(*) FROM web_sessions WHERE session_hash IN (?, ?)", [sid1, sid2]).fetchone()[0]
    # The CSRF token is bound to its session: one session's token is refused with another's cookie.
    tok1 = page_csrf(c1)
    assert rows[0][2] == tok1
    r = c2.post("/inbox/action", data={"item": "weibo:d1", "action": "replied", "csrf": tok1}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text


def test_a_password_change_ends_every_session_of_the_user(app):
    rita, other_device = login(app, "rita"), login(app, "rita")
    copied = copy_of(app, rita)
    ana = login(app, "ana")
    old_cookie = rita.cookies[SESSION_COOKIE]
    r = rita.post(
        "/account/password",
        data={"current": "wrong password", "new": NEW_PASSWORD, "csrf": page_csrf(rita)},
        follow_redirects=False,
    )
    assert r.status_code == 400 and signed_in(other_device)  # the current password is needed
    r = rita.post(
        "/account/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "csrf": page_csrf(rita)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert not signed_in(other_device) and not signed_in(copied)
    assert signed_in(rita) and rita.cookies[SESSION_COOKIE] != old_cookie  # this browser: a fresh session
    assert signed_in(ana)  # other users are untouched
    assert try_login(client(app), "rita", PASSWORD).status_code == 401
    assert try_login(client(app), "rita", NEW_PASSWORD).status_code == 303
    # An admin's reset does the same.
    again = login(app, "rita", NEW_PASSWORD)
    admin = login(app, "admin")
    r = admin.post("/users/password", data={"name": "rita", "csrf": page_csrf(admin)})
    assert r.status_code == 200
    generated = re.search(r'id="new-password">([^<]+)<', r.text).group(1)
    assert not signed_in(again) and not signed_in(rita)
    assert try_login(client(app), "rita", generated).status_code == 303


def test_disabling_or_removing_a_user_ends_their_sessions(app):
    rita = login(app, "rita")
    copied = copy_of(app, rita)
    admin = login(app, "admin")
    assert admin.post("/users/disable", data={"name": "rita", "csrf": page_csrf(admin)}).status_code == 200
    assert not signed_in(rita) and not signed_in(copied)
    assert try_login(client(app), "rita", PASSWORD).status_code == 401
    assert admin.post("/users/enable", data={"name": "rita", "csrf": page_csrf(admin)}).status_code == 200
    assert not signed_in(copied)  # enabling again does not bring old sessions back
    rita = login(app, "rita")
    assert admin.post("/users/remove", data={"name": "rita", "csrf": page_csrf(admin)}).status_code == 200
    assert not signed_in(rita)
    assert auth.get_user(app.state.web.ws.con, "rita") is None
    assert try_login(client(app), "rita", PASSWORD).status_code == 401
    assert app.state.web.ws.con.execute("SELECT count(*) FROM web_sessions WHERE user_name = 'rita'").fetchone()[0] == 0


def test_sessions_expire_when_idle_and_after_their_absolute_lifetime(app):
    web_settings(app, session_idle_minutes=1.5 / 60)  # 1.5 s
    c = login(app, "ana")
    assert signed_in(c)
    time.sleep(0.5)
    assert signed_in(c)  # activity keeps it alive
    time.sleep(2.0)
    assert not signed_in(c)
    web_settings(app, session_idle_minutes=60, session_hours=3.5 / 3600)  # 3.5 s, however active
    c = login(app, "ana")
    sid = c.cookies[SESSION_COOKIE]
    for _ in range(4):
        assert signed_in(c)
        time.sleep(0.5)
    time.sleep(2.0)
    copy = client(app)
    copy.cookies.set(SESSION_COOKIE, sid)  # the server refuses it, not only the browser that dropped it
    assert not signed_in(copy) and not signed_in(c)
    cookie = login(app, "ana").cookies.jar
    assert any(k.name == SESSION_COOKIE and k.expires is not None for k in cookie)


# ---- item 13: throttling and lockout --------------------------------------------------------------------
def test_thirty_wrong_passwords_lock_the_name_even_against_the_right_password(app):
    web_settings(app, login_lock_minutes=2 / 60)  # 2 s, then 4 s (doubling)
    c = client(app)
    statuses = [try_login(c, "ana", f"wrong {i}").status_code for i in range(30)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}, statuses
    r = try_login(c, "ana", PASSWORD)
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 2
    assert 'id="login-locked"' in r.text and "login-error" not in r.text
    assert not signed_in(c)
    other = client(app, client=("10.0.0.9", 4000))  # the name is locked from every address
    assert try_login(other, "ana", PASSWORD).status_code == 429
    assert try_login(other, "rita", PASSWORD).status_code == 303  # other names are not
    time.sleep(2.2)
    assert try_login(c, "ana", PASSWORD).status_code == 303  # the lock has passed
    statuses = [try_login(client(app), "ana", "wrong again").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    # The success reset the count, so that was a first lockout again (2 s); 5 more failures after it passed,
    # with no success between, lock the name twice as long.
    time.sleep(2.2)
    r = [try_login(client(app), "ana", "wrong") for _ in range(6)][-1]
    assert r.status_code == 429 and 3 <= int(r.headers["retry-after"]) <= 4  # doubled: 4 s
    assert len(events(app, event="lockout", user_name="ana")) == 3
    assert len(events(app, event="login_failed", user_name="ana")) >= 35


def test_the_lockout_does_not_reveal_whether_a_user_exists(app):
    def run(name: str) -> list[tuple[int, str, str | None]]:
        c = client(app, client=(f"10.1.0.{len(name)}", 4000))
        out = []
        for _ in range(7):
            r = try_login(c, name, "wrong password")
            text = re.sub(r'name="csrf" value="[^"]+"', "", r.text).replace(name, "NAME")
            out.append((r.status_code, text, r.headers.get("retry-after")))
        return out

    real, ghost = run("ana"), run("ghost-user")
    assert [s for s, _, _ in real] == [s for s, _, _ in ghost] == [401] * 5 + [429] * 2
    assert [t for _, t, _ in real] == [t for _, t, _ in ghost]
    assert [h is not None for _, _, h in real] == [h is not None for _, _, h in ghost]


def test_one_address_is_throttled_across_names(app):
    web_settings(app, login_max_failures_per_address=8)
    spray = client(app, client=("10.2.0.1", 4000))
    statuses = [try_login(spray, f"guess{i}", "password1").status_code for i in range(10)]
    assert statuses == [401] * 8 + [429] * 2
    r = try_login(spray, "ana", PASSWORD)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert try_login(client(app, client=("10.2.0.2", 4000)), "ana", PASSWORD).status_code == 303
    assert events(app, event="lockout", client="10.2.0.1")


def test_wrong_api_tokens_throttle_the_address(app):
    """API clients have no sign-in form: wrong Bearer tokens count against the address, and a locked address
    gets 429 with Retry-After, even with a right token (other addresses are unaffected)."""
    web_settings(app, login_max_failures_per_address=5)
    token = auth.new_token(app.state.web.ws.con, "ana")
    bot = client(app, client=("10.3.0.1", 4000))
    codes = [bot.get("/api/me", headers={"Authorization": f"Bearer hd_guess{i}"}).status_code for i in range(7)]
    assert codes == [401] * 5 + [429] * 2
    r = bot.get("/api/inbox", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "try again" in r.json()["error"]
    assert try_login(bot, "ana", PASSWORD).status_code == 429  # the address, whatever the way in
    ok = client(app, client=("10.3.0.2", 4000)).get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["name"] == "ana"
    assert len(events(app, event="login_failed", client="10.3.0.1", detail="wrong API token")) == 5
    assert events(app, event="lockout", client="10.3.0.1")


# ---- user administration ---------------------------------------------------------------------------------
def test_admin_manages_users_on_the_users_page_with_csrf(app):
    admin = login(app, "admin")
    page = admin.get("/users")
    for action in ("/users/disable", "/users/remove", "/users/password", "/users/role", "/users/token"):
        assert f'action="{action}"' in page.text, action
    for action in ("/users/disable", "/users/remove", "/users/password", "/users/role"):
        r = admin.post(action, data={"name": "vic", "role": "admin"}, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text, action
    assert {u["name"]: u["disabled"] for u in auth.list_users(app.state.web.ws.con)}["vic"] is False
    tok = page_csrf(admin)
    r = admin.post("/users/role", data={"name": "vic", "role": "responder", "csrf": tok})
    assert r.status_code == 200 and auth.get_user(app.state.web.ws.con, "vic").role == "responder"
    r = admin.post("/users/disable", data={"name": "vic", "csrf": tok})
    assert r.status_code == 200 and 'data-user="vic" data-disabled="true"' in r.text
    assert 'action="/users/enable"' in r.text  # a disabled user's row offers "enable"
    r = admin.post("/users/password", data={"name": "vic", "csrf": tok})
    assert re.search(r'id="new-password">([^<]{12,})<', r.text)
    # The last enabled admin cannot be disabled, removed or demoted, from the page or the CLI.
    for action, data in (("/users/disable", {}), ("/users/remove", {}), ("/users/role", {"role": "viewer"})):
        r = admin.post(action, data={"name": "admin", "csrf": tok, **data})
        assert r.status_code == 400 and "last enabled admin" in r.text, action
    assert signed_in(admin) and auth.get_user(app.state.web.ws.con, "admin").role == "admin"
    # Another admin makes it possible.
    admin.post("/users", data={"name": "root2", "role": "admin", "password": PASSWORD, "csrf": tok})
    assert admin.post("/users/disable", data={"name": "admin", "csrf": tok}).status_code == 200
    assert not signed_in(admin)
    # The audit log is on the page for admins.
    root2 = login(app, "root2")
    html = root2.get("/users").text
    for event in ("user_disabled", "role_changed", "password_reset", "user_added", "login_ok"):
        assert event in html, event
    assert login(app, "ana").get("/users").status_code == 403


def test_a_user_changes_their_own_password_on_the_account_page(app):
    vic = login(app, "vic")  # any role
    page = vic.get("/account")
    assert page.status_code == 200 and 'action="/account/password"' in page.text
    for current, new, needle in (
        ("wrong password", NEW_PASSWORD, "current password"),
        (PASSWORD, "short", "at least 8"),
    ):
        r = vic.post("/account/password", data={"current": current, "new": new, "csrf": page_csrf(vic)})
        assert r.status_code == 400 and needle in r.text
    r = vic.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD})
    assert r.status_code == 403
    assert auth.authenticate(app.state.web.ws.con, "vic", PASSWORD) is not None
    ok = vic.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "csrf": page_csrf(vic)})
    assert ok.status_code == 200 and signed_in(vic)
    assert auth.authenticate(app.state.web.ws.con, "vic", NEW_PASSWORD) is not None
    assert events(app, event="password_changed", user_name="vic", actor="vic")


def test_cli_user_disable_enable_remove_passwd_role_and_audit(ws_dir):
    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, ["-w", str(ws_dir), "user", *args], input=input)

    r = run("passwd", "rita")
    assert r.exit_code == 0, r.output
    generated = re.search(r"password: (\S+)", r.output).group(1)
    assert len(generated) >= 12
    r = run("passwd", "rita", "--password-stdin", input=NEW_PASSWORD + "\n")
    assert r.exit_code == 0 and NEW_PASSWORD not in r.output
    assert run("passwd", "rita", "--password-stdin", input="short\n").exit_code != 0
    assert run("passwd", "nobody").exit_code != 0
    assert run("disable", "rita").exit_code == 0
    with Workspace.open(ws_dir) as ws:
        assert auth.authenticate(ws.con, "rita", NEW_PASSWORD) is None
    assert run("enable", "rita").exit_code == 0
    assert run("role", "rita", "analyst").exit_code == 0
    with Workspace.open(ws_dir) as ws:
        assert auth.authenticate(ws.con, "rita", NEW_PASSWORD) == auth.User("rita", "analyst")
    r = run("list")
    assert re.search(r"rita\s+analyst", r.output)
    for args in (("disable", "admin"), ("remove", "admin"), ("role", "admin", "viewer")):
        r = run(*args)
        assert r.exit_code != 0 and "last enabled admin" in str(r.exception), args
    assert run("remove", "rita").exit_code == 0
    with Workspace.open(ws_dir) as ws:
        assert auth.get_user(ws.con, "rita") is None
    r = run("audit", "--limit", "5")
    assert r.exit_code == 0
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 5 + 1 and "user_removed" in lines[1] and "rita" in lines[1]  # header, newest first
    r = run("audit")
    for event in ("password_reset", "user_disabled", "user_enabled", "role_changed", "user_added"):
        assert event in r.output, event


def test_security_events_are_an_append_only_audit_log(app):
    c = login(app, "ana")
    try_login(client(app), "ana", "wrong password")
    c.post("/logout", data={"csrf": page_csrf(c)})
    admin = login(app, "admin")
    admin.post("/users/token", data={"name": "vic", "csrf": page_csrf(admin)})
    got = [(e["event"], e["user_name"], e["actor"]) for e in auth.list_events(app.state.web.ws.con, limit=50)]
    assert got[:5] == [
        ("token_issued", "vic", "admin"),
        ("login_ok", "admin", "admin"),
        ("logout", "ana", "ana"),
        ("login_failed", "ana", None),
        ("login_ok", "ana", "ana"),
    ]
    e = auth.list_events(app.state.web.ws.con, limit=1)[0]
    assert e["client"] == "testclient" and isinstance(e["at"], str)
    assert "wrong password" not in str(auth.list_events(app.state.web.ws.con, limit=50))  # no secrets logged
    assert set(auth.EVENTS) >= {
        "login_ok", "login_failed", "lockout", "logout", "password_changed", "password_reset", "user_added",
        "user_disabled", "user_enabled", "user_removed", "role_changed", "token_issued",
    }  # fmt: skip


# ---- HSTS -------------------------------------------------------------------------------------------------
def test_hsts_only_over_https(app):
    https = TestClient(app, base_url="https://testserver")
    r = https.get("/login")
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "strict-transport-security" not in client(app).get("/login").headers
    r = try_login(https, "ana", PASSWORD)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_hsts_behind_a_proxy_with_real_uvicorn(ws_dir):
    """`hudong serve` (uvicorn) trusts X-Forwarded-Proto from the addresses in --forwarded-allow-ips."""
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hudong.cli", "serve", str(ws_dir), "--port", str(port),
         "--forwarded-allow-ips", "127.0.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/login"
        for _ in range(150):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.2)
        plain = urllib.request.urlopen(url, timeout=5)
        assert plain.headers.get("Strict-Transport-Security") is None
        proxied = urllib.request.urlopen(urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"}))
        assert proxied.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ensure_admin_and_add_user_are_audited(ws_dir):
    with Workspace.open(ws_dir) as ws:
        auth.add_user(ws.con, "zoe", "viewer", PASSWORD, actor="cli")
        e = auth.list_events(ws.con, limit=1)[0]
        assert (e["event"], e["user_name"], e["actor"]) == ("user_added", "zoe", "cli")
        assert "role viewer" in e["detail"]
        assert auth.ensure_admin(ws.con, "admin").created is False
