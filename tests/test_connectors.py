"""Issue #13.4: the connector contract, its first implementation (a drop folder of exports), cursors and secrets.
A connector added by a plugin: tests/test_plugins.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hudong import connectors
from hudong.connectors import Connector, Secrets
from hudong.errors import HudongError
from hudong.store.workspace import Workspace

POSTS = "platform,post_id,author_id,created_at,text,likes\n"


def hudong(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hudong.cli", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, env={**os.environ, **(env or {})})  # fmt: skip


def _workspace(tmp_path: Path, connector_toml: str) -> Path:
    ws_dir = tmp_path / "ws"
    Workspace.init(ws_dir).close()
    with open(ws_dir / "hudong.toml", "a", encoding="utf-8") as f:
        f.write("\n" + textwrap.dedent(connector_toml))
    return ws_dir


def _posts(path: Path, rows: list[tuple[str, int]]) -> None:
    path.write_text(POSTS + "".join(f"weibo,{pid},u1,2024-06-01 12:00:00,hi {pid},{likes}\n" for pid, likes in rows))


def test_a_drop_folder_imports_new_and_changed_files_once(tmp_path):
    ws_dir = _workspace(tmp_path, """
        [connectors.drop]
        type = "folder"
        path = "drop"
        format = "generic-posts"
        pattern = "*.csv"
    """)
    drop = ws_dir / "drop"
    drop.mkdir()
    _posts(drop / "a.csv", [("p1", 1), ("p2", 2)])
    _posts(drop / "b.csv", [("p3", 3)])
    (drop / "notes.txt").write_text("not an export")  # outside the pattern: left alone
    r = hudong("-w", str(ws_dir), "sync")
    assert r.returncode == 0, r.stderr
    assert "drop (folder): 2 batch(es), 3 rows read, 3 stored" in r.stdout and "a.csv" in r.stdout
    r = hudong("-w", str(ws_dir), "sync", "drop")
    assert "0 batch(es)" in r.stdout  # nothing new: the cursor remembers what was imported
    time.sleep(0.01)
    _posts(drop / "a.csv", [("p1", 10), ("p2", 2)])  # an export re-downloaded with a new count
    _posts(drop / "c.csv", [("p4", 4)])
    r = hudong("-w", str(ws_dir), "sync")
    assert "2 batch(es), 3 rows read, 1 stored, 1 updated" in r.stdout, r.stdout
    with Workspace.open(ws_dir) as ws:
        assert ws.count("posts") == 4
        assert ws.con.execute("SELECT likes FROM posts WHERE post_id = 'p1'").fetchone() == (10,)
        st = connectors.state(ws)["drop"]
        assert st["batches"] == 4 and st["last_error"] is None and "c.csv" in st["cursor"]
    r = hudong("-w", str(ws_dir), "connectors")
    assert r.returncode == 0 and "drop" in r.stdout and "folder" in r.stdout and "last run" in r.stdout


def test_a_failing_batch_is_recorded_and_the_next_run_resumes_after_the_last_good_one(tmp_path):
    ws_dir = _workspace(tmp_path, """
        [connectors.drop]
        type = "folder"
        path = "drop"
        format = "generic-posts"
    """)
    drop = ws_dir / "drop"
    drop.mkdir()
    _posts(drop / "1.csv", [("p1", 1)])
    os.utime(drop / "1.csv", (1_700_000_000, 1_700_000_000))
    (drop / "2.csv").write_text("nothing,that,maps\n1,2,3\n")  # no post_id column: the import refuses the file
    os.utime(drop / "2.csv", (1_700_000_100, 1_700_000_100))
    r = hudong("-w", str(ws_dir), "sync")
    assert r.returncode == 1 and "1 batch(es)" in r.stdout and "error: " in r.stdout and "2.csv" in r.stdout
    with Workspace.open(ws_dir) as ws:
        st = connectors.state(ws)["drop"]
        assert st["batches"] == 1 and "2.csv" in st["last_error"] and "1.csv" in st["cursor"]
    _posts(drop / "2.csv", [("p2", 2)])  # fixed
    r = hudong("-w", str(ws_dir), "sync")
    assert r.returncode == 0 and "1 batch(es), 1 rows read, 1 stored" in r.stdout, r.stdout  # 1.csv not again
    r = hudong("-w", str(ws_dir), "connectors")
    assert "last error" not in r.stdout


def test_configuration_errors_are_clear(tmp_path):
    ws_dir = _workspace(tmp_path, """
        [connectors.drop]
        type = "folder"
        path = "missing"
        format = "generic-posts"

        [connectors.odd]
        type = "telepathy"
    """)
    r = hudong("-w", str(ws_dir), "connectors")
    assert "missing is not a folder" in r.stdout and "type 'telepathy' is not one of folder" in r.stdout
    r = hudong("-w", str(ws_dir), "sync", "nope")
    assert r.returncode == 1 and "no connector 'nope' in hudong.toml; configured: drop, odd" in r.stderr


def test_secrets_come_from_the_environment_or_an_owner_only_file_and_never_show(tmp_path, monkeypatch):
    s = Secrets(tmp_path, "masto")
    with pytest.raises(HudongError, match=r"secret 'token' is not set \(environment HUDONG_MASTO_TOKEN"):
        s.require("token")
    f = tmp_path / "secrets.toml"
    f.write_text('[masto]\ntoken = "file-token"\n')
    f.chmod(0o644)
    with pytest.raises(HudongError, match="readable by others.*chmod 600"):
        Secrets(tmp_path, "masto").get("token")
    f.chmod(0o600)
    token = Secrets(tmp_path, "masto").require("token")
    assert token == "file-token" and "file-token" not in repr(token) and "file-token" not in repr([token])
    monkeypatch.setenv("HUDONG_MASTO_TOKEN", "env-token")
    assert Secrets(tmp_path, "masto").require("token") == "env-token"  # the environment wins


def test_a_connector_declares_only_what_its_platform_allows():
    with pytest.raises(TypeError, match="xiaohongshu's API does not allow"):
        type("Bad", (Connector,), {"kind": "bad", "platform": "xiaohongshu", "capabilities": frozenset({"publish"}),
                                   "fetch": lambda self, cursor: iter(())})  # fmt: skip
    with pytest.raises(TypeError, match="not declared"):
        type("Bad", (Connector,), {"kind": "bad", "platform": "myspace", "fetch": lambda self, cursor: iter(())})

    class ReadOnly(Connector):
        kind = "read-only"
        platform = "mastodon"
        capabilities = frozenset({"read_posts"})

        def fetch(self, cursor):
            return iter(())

    c = ReadOnly("ro", {}, Secrets(Path("."), "ro"), Path("."))
    with pytest.raises(HudongError, match="cannot reply: it implements read_posts"):
        c.act("reply", idempotency_key="k1", text="hi")


def test_sync_status_shows_each_connector(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    _posts(drop / "a.csv", [("p1", 1)])
    ws_dir = _workspace(tmp_path, f"""
        [connectors.drop]
        type = "folder"
        path = "{drop}"
        format = "generic-posts"
    """)
    assert hudong("-w", str(ws_dir), "sync").returncode == 0
    r = hudong("-w", str(ws_dir), "sync", "--status")
    assert r.returncode == 0 and "drop" in r.stdout and "folder" in r.stdout and "last run" in r.stdout, r.stdout
    assert re.search(r"data \d+ s old", r.stdout), r.stdout  # the lag: how old the newest synced data may be
    with Workspace.open(ws_dir) as ws:  # paused for refused credentials: said, and not checked against the platform
        ws.con.execute("UPDATE connector_state SET paused = 'the platform refused the token' WHERE name = 'drop'")
    r = hudong("-w", str(ws_dir), "sync", "--status")
    assert "PAUSED until `hudong connect drop`: the platform refused the token" in r.stdout, r.stdout
    r = hudong("-w", str(ws_dir), "sync")
    assert r.returncode == 1 and "paused: the platform refused the token" in r.stdout, r.stdout
