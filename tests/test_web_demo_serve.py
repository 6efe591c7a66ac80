"""`hudong demo --serve`: its options are checked before the (long) build, and the admin it creates.

The server itself is not started here (it would run until stopped); `hudong serve` is exercised by
tests/test_web_browser.py. The 'ensure admin' step is the function the command calls."""

from __future__ import annotations

import subprocess
import sys

from hudong.web import auth


def hudong(*args: str, stdin: str = "", cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hudong.cli", *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_demo_help_lists_the_serve_options():
    out = hudong("demo", "--help").stdout
    for option in ("--serve", "--host", "--port", "--password-stdin"):
        assert option in out


def test_serve_options_are_checked_before_building(tmp_path):
    d = tmp_path / "demo"
    r = hudong("demo", str(d), "--port", "9001")
    assert r.returncode != 0 and "--port only go with --serve" in r.stderr
    r = hudong("demo", str(d), "--host", "0.0.0.0", "--password-stdin")
    assert r.returncode != 0 and "--host, --password-stdin only go with --serve" in r.stderr
    r = hudong("demo", str(d), "--serve", "--password-stdin", stdin="short\n")
    assert r.returncode != 0 and f"at least {auth.MIN_PASSWORD} characters" in r.stderr
    r = hudong("demo", str(d), "--serve", "--port", "not-a-port")
    assert r.returncode != 0 and "not-a-port" in r.stderr
    assert not d.exists()  # nothing was built


def test_ensure_admin_creates_one_admin_once(workspace):
    con = workspace.con
    first = auth.ensure_admin(con)
    assert first.created and first.name == "admin" and len(first.generated) >= auth.MIN_PASSWORD
    assert auth.authenticate(con, "admin", first.generated) == auth.User("admin", "admin")
    stored = con.execute("SELECT password_hash FROM web_users").fetchall()
    assert len(stored) == 1 and first.generated not in stored[0][0]  # only the argon2 hash is kept
    again = auth.ensure_admin(con, password="another password")
    assert not again.created and again.generated is None and again.name == "admin"
    assert auth.authenticate(con, "admin", first.generated) is not None  # unchanged
    assert auth.authenticate(con, "admin", "another password") is None


def test_ensure_admin_takes_a_given_password_and_ignores_other_roles(workspace):
    con = workspace.con
    auth.add_user(con, "vic", "viewer", "viewer password")
    setup = auth.ensure_admin(con, name="boss", password="boss password")
    assert setup.created and setup.generated is None
    assert auth.authenticate(con, "boss", "boss password") == auth.User("boss", "admin")


def test_demo_admin_prints_the_generated_password_once(workspace, capsys):
    from hudong.cli import demo_admin

    path = workspace.path
    workspace.close()
    demo_admin(path, None)
    out = capsys.readouterr().out
    assert "shown once" in out
    password = out.split("password: ")[1].split()[0]
    demo_admin(path, None)
    assert "exists; password unchanged" in capsys.readouterr().out
    from hudong.store.workspace import Workspace

    with Workspace.open(path) as ws:
        assert auth.authenticate(ws.con, "admin", password) == auth.User("admin", "admin")
