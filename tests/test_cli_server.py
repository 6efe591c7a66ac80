"""Issue #19.14: the command line beside `hudong serve`, and two commands at once.

The finding: while `hudong serve` ran, even read-only `hudong metrics` and `hudong user list` failed with a raw
DuckDB lock error, and two imports at once failed the same way. Now commands reach the server over its socket
(cli_remote), and a command finding another command's lock waits for it. Real processes throughout.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from hudong.store.workspace import Workspace

POSTS = "platform,post_id,author_id,created_at,text,likes\n"


def hudong(*args: str, cwd=None, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from hudong.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd, input=stdin, timeout=300, env={**os.environ, **(env or {})},
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    ws_dir = tmp_path / "ws"
    Workspace.init(ws_dir).close()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from hudong.cli import main; main()", "serve", str(ws_dir), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "HUDONG_WEB_WARM": "0"},
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError("server did not start")
    yield ws_dir, port
    proc.terminate()
    proc.wait(timeout=30)
    assert not (ws_dir / ".hudong-server.json").exists()  # the server removes its socket file when it stops


def test_commands_run_in_the_server_while_it_holds_the_workspace(served, tmp_path):
    ws_dir, port = served
    data = tmp_path / "data"
    data.mkdir()
    (data / "p.csv").write_text(POSTS + "weibo,p1,u1,2024-06-01 12:00:00,hello,3\nweibo,p2,u2,bad-date,x,1\n")
    (data / "m.toml").write_text(
        'platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = "id"\ncreated_at = "t"\n'
    )
    (data / "q.csv").write_text("id,t\nq1,2024-06-02 10:00:00\n")
    # Relative paths are the client's: run from the data folder, the workspace given by -w.
    r = hudong("-w", str(ws_dir), "import", "p.csv", "--as", "generic-posts", cwd=data)
    assert r.returncode == 0, r.stderr
    assert "1 stored" in r.stdout and "running the command there" in r.stderr and "lock" not in r.stderr.lower()
    r = hudong("-w", str(ws_dir), "import", "q.csv", "--as", "m.toml", cwd=data)  # a mapping file by relative path
    assert r.returncode == 0, r.stderr
    r = hudong("-w", str(ws_dir), "imports")
    assert r.returncode == 0 and r.stdout.count(" ok ") == 2, r.stdout
    r = hudong("-w", str(ws_dir), "quarantine")
    assert "unparseable timestamp" in r.stdout
    r = hudong("-w", str(ws_dir), "metrics", "dau", "--format", "json")
    assert r.returncode == 0, r.stderr
    r = hudong("-w", str(ws_dir), "user", "add", "rita", "--role", "admin", "--password-stdin", stdin="s3cret-pass\n")
    assert r.returncode == 0, r.stderr
    r = hudong("-w", str(ws_dir), "user", "list")
    assert "rita" in r.stdout
    # A failing command reports like a local one: one line, non-zero.
    r = hudong("-w", str(ws_dir), "import", "nope.csv", "--as", "generic-posts", cwd=data)
    assert r.returncode == 1 and r.stderr.strip().endswith("no such file") and "Traceback" not in r.stderr
    # The web app sees what the commands wrote (same database, next request).
    token = hudong("-w", str(ws_dir), "user", "token", "rita").stdout.split()[-1]
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/imports", headers={"Authorization": f"Bearer {token}"})
    batches = json.loads(urllib.request.urlopen(req, timeout=30).read())
    assert len(batches) == 2


def test_a_second_command_waits_for_the_first(tmp_path):
    ws_dir = tmp_path / "ws"
    Workspace.init(ws_dir).close()
    files = []
    for name in ("a", "b"):
        f = tmp_path / f"{name}.csv"
        f.write_text(POSTS + "".join(f"weibo,{name}{i},u{i},2024-06-01 12:00:00,text {i},{i}\n" for i in range(2_000)))
        files.append(f)
    # Another process holds the workspace for a few seconds (as a long import would), then lets go: two imports
    # started meanwhile both wait for it, then run one after the other, and neither fails.
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from hudong.store.workspace import Workspace; w = Workspace.open({str(ws_dir)!r}); "
                               "print('held', flush=True); import time; time.sleep(4); w.close()"],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    cmd = [sys.executable, "-c", "from hudong.cli import main; main()", "-w", str(ws_dir), "import"]
    imports = [subprocess.Popen([*cmd, str(f), "--as", "generic-posts"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for f in files]
    results = [p.communicate(timeout=600) for p in imports]
    holder.wait(timeout=60)
    for p, (out, err) in zip(imports, results, strict=True):
        assert p.returncode == 0, err
        assert "waiting for the workspace" in err and "2,000 stored" in out, (out, err)
    with Workspace.open(ws_dir) as ws:
        assert ws.count("posts") == 4_000
        assert ws.con.execute("SELECT count(*) FROM import_batches WHERE status = 'ok'").fetchone()[0] == 2


def test_a_command_that_cannot_wait_says_who_holds_the_workspace(tmp_path):
    ws_dir = tmp_path / "ws"
    Workspace.init(ws_dir).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from hudong.store.workspace import Workspace; w = Workspace.open({str(ws_dir)!r}); "
                               "print('held', flush=True); import time; time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        r = hudong("-w", str(ws_dir), "metrics", "dau", env={"HUDONG_LOCK_WAIT": "1"})
        assert r.returncode == 1 and "Traceback" not in r.stderr and "IO Error" not in r.stderr
        assert f"in use by process {holder.pid}" in r.stderr and "HUDONG_LOCK_WAIT" in r.stderr
    finally:
        holder.kill()
