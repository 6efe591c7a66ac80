"""Issue #19 item 2: the start-up cache warming must never block requests or shutdown. A warming item that runs
for minutes (a long DuckDB query, or long Python work such as segmenting text) used to hold the request lock:
every login waited for it, and `hudong serve` ignored SIGTERM (its shutdown waited for the same lock).

In-process (TestClient) and end to end (`hudong serve` in a subprocess, SIGTERM): the warming plan gets a slow
item first — the rest of the plan is the real one."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from hudong.store.workspace import Workspace  # noqa: E402
from hudong.web import auth, warm  # noqa: E402
from hudong.web.app import create_app  # noqa: E402

PASSWORD = "correct horse battery"
# A DuckDB query that runs for minutes unless interrupted (≈ 10^11 rows summed).
SLOW_SQL = "SELECT sum(hash(range)) FROM range(100000000000)"


@pytest.fixture
def ws_dir(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    auth.add_user(ws.con, "ana", "analyst", PASSWORD)
    ws.close()
    return tmp_path / "ws"


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field"
    return m.group(1)


def _login(c) -> float:
    """Seconds a login took (asserted to succeed)."""
    t = time.perf_counter()
    page = c.get("/login")
    r = c.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": _csrf(page.text), "next": "/"},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:500]
    return time.perf_counter() - t


def _slow_plan(monkeypatch, item):
    real = warm.plan
    monkeypatch.setattr(warm, "plan", lambda langs=warm.WARM_LANGS: [("slow", item), *real(langs)])


def _in_thread(fn, timeout: float):
    """fn() in a thread: (finished within timeout, result or exception)."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["error"] = e

    th = threading.Thread(target=run, daemon=True)
    th.start()
    th.join(timeout)
    if "error" in out:
        raise out["error"]
    return not th.is_alive(), out.get("value")


def test_login_is_not_queued_behind_a_long_python_warming_item_and_shutdown_does_not_wait(ws_dir, monkeypatch):
    started, release = threading.Event(), threading.Event()

    def long_python_step(st, ws=None):  # stands for minutes of jieba: never looks at the stop event
        started.set()
        release.wait(120)

    _slow_plan(monkeypatch, long_python_step)
    app = create_app(ws_dir, warm=True)
    st = app.state.web
    try:
        with TestClient(app, base_url="http://testserver") as c:
            assert started.wait(30), "the warming did not start"
            done, seconds = _in_thread(lambda: _login(c), timeout=15)
            assert done, "login waited for the warming item"
            assert seconds < 10
            t = time.perf_counter()
        # leaving the block is the app's shutdown: it must not wait for the item
        assert time.perf_counter() - t < 5
        assert st.warm_thread.is_alive() and st.close_after_warming
    finally:
        release.set()
    st.warm_thread.join(30)
    assert not st.warm_thread.is_alive()
    with pytest.raises(Exception, match="(?i)closed"):  # the warming thread closed the workspace as it ended
        st.ws.con.execute("SELECT 1")


def test_a_long_warming_query_is_interrupted_at_shutdown(ws_dir, monkeypatch):
    started = threading.Event()

    def long_query(st, ws=None):
        started.set()
        (ws or st.ws).con.execute(SLOW_SQL).fetchall()

    _slow_plan(monkeypatch, long_query)
    app = create_app(ws_dir, warm=True)
    st = app.state.web
    with TestClient(app, base_url="http://testserver") as c:
        assert started.wait(30)
        time.sleep(0.5)  # the query is running
        done, seconds = _in_thread(lambda: _login(c), timeout=15)
        assert done and seconds < 10, "login waited for the warming query"
        assert c.get("/").status_code == 200
        t = time.perf_counter()
    assert time.perf_counter() - t < 5
    st.warm_thread.join(5)
    assert not st.warm_thread.is_alive() and "slow" not in st.warmed  # interrupted, then stopped
    with pytest.raises(Exception, match="(?i)closed"):
        st.ws.con.execute("SELECT 1")


# ---- `hudong serve`, SIGTERM -------------------------------------------------------------------------------------
SERVE = textwrap.dedent("""
    import sys, threading, time
    import hudong.web.warm as W
    kind = sys.argv[1]
    real = W.plan

    def slow(st, ws=None):
        print("WARMING-SLOW-ITEM", file=sys.stderr, flush=True)
        if kind == "sql":
            (ws or st.ws).con.execute({sql!r}).fetchall()
        else:  # minutes of pure-Python work that never checks the stop event
            end = time.monotonic() + 300
            while time.monotonic() < end:
                sum(range(10_000))

    W.plan = lambda langs=W.WARM_LANGS: [("slow", slow), *real(langs)]
    from hudong.cli import main
    sys.argv = ["hudong", "serve", sys.argv[2], "--host", "127.0.0.1", "--port", sys.argv[3]]
    main()
""").format(sql=SLOW_SQL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("kind", ["sql", "python"])
def test_hudong_serve_answers_logins_while_warming_and_exits_on_a_signal(ws_dir, kind, sig):
    port = _free_port()
    env = {**os.environ, "HUDONG_WEB_WARM": "1", "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-c", SERVE, kind, str(ws_dir), str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("WARMING-SLOW-ITEM" in x for x in lines):
            assert proc.poll() is None, "".join(lines)[-2000:]
            time.sleep(0.1)
        assert any("WARMING-SLOW-ITEM" in x for x in lines), "".join(lines)[-2000:]
        time.sleep(0.5)
        with httpx.Client(base_url=url, timeout=20) as c:
            assert _login(c) < 10
            assert c.get("/").status_code == 200
        t = time.perf_counter()
        proc.send_signal(sig)
        proc.wait(timeout=15)
        seconds = time.perf_counter() - t
        assert seconds < 8, f"exit took {seconds:.1f} s"
        # uvicorn re-raises the signal it handled once it has shut down: SIGTERM kills the process, SIGINT ends
        # it with 130 (the CLI's Ctrl-C code); never a crash (an abort at exit is -6)
        assert proc.returncode in (0, -signal.SIGTERM, 130), "".join(lines)[-2000:]
        assert "Application shutdown complete" in "".join(lines) and "Traceback" not in "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the workspace is usable afterwards (nothing left half-written)
    with Workspace.open(ws_dir) as ws:
        assert auth.authenticate(ws.con, "ana", PASSWORD) is not None
