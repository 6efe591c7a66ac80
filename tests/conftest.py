"""Shared test helpers: where the third-party datasets live, and a fresh workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))
# No background cache warming in web tests (it competes for the CPU): a test asks with create_app(warm=True).
# Set in the environment so `hudong serve` subprocesses (browser tests) inherit it.
os.environ.setdefault("HUDONG_WEB_WARM", "0")


def shared_data(*parts: str) -> Path:
    """Path to a shared dataset, or skip the test with the reason when it is absent (a user's machine)."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared dataset {p} is not present (set HUDONG_SHARED_DATA to the shared/data folder)")
    return p


def posts_csv(path: Path, texts: list[str]) -> Path:
    """A ``generic-posts`` CSV of ``texts`` (Weibo posts p0, p1 … on one day) at ``path``."""
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["platform", "post_id", "created_at", "text"])
        w.writerows(["weibo", f"p{i}", "2026-01-01 10:00:00", t] for i, t in enumerate(texts))
    return path


@pytest.fixture
def workspace(tmp_path):
    from hudong.store.workspace import Workspace

    ws = Workspace.init(tmp_path / "ws")
    yield ws
    ws.close()


# ---- the demo brand's workspace, built once per session ---------------------------------------------------------
class DemoWorkspaces:
    """``hudong.demo.build`` once per (scale, seed) in a session; every caller gets a copy of its own to read or
    change, so no module sees another's writes (text scores, users, labels)."""

    def __init__(self, factory: pytest.TempPathFactory):
        self._factory = factory
        self._built: dict[tuple[float, int], Path] = {}

    def copy(self, dest: Path, *, scale: float = 0.02, seed: int = 7) -> Path:
        import shutil

        if (scale, seed) not in self._built:
            from hudong import demo

            d = self._factory.mktemp(f"demo-{scale}-{seed}") / "ws"
            demo.build(d, seed=seed, scale=scale, progress=False)
            self._built[(scale, seed)] = d
        shutil.copytree(self._built[(scale, seed)], dest)
        return dest


@pytest.fixture(scope="session")
def demo_workspaces(tmp_path_factory) -> DemoWorkspaces:
    return DemoWorkspaces(tmp_path_factory)


# ---- a web app over a fresh copy of the module's template workspace ----------------------------------------------
@pytest.fixture
def ws_dir(template_dir, tmp_path) -> Path:
    """A fresh copy of the module's ``template_dir`` fixture (the workspace its tests start from)."""
    import shutil

    d = tmp_path / "ws"
    shutil.copytree(template_dir, d)
    return d


@pytest.fixture
def app(ws_dir, request):
    """A fresh web app over ``ws_dir``, at the module's ``NOW`` if it has one (the business clock of the inbox)."""
    from hudong.web.app import create_app

    a = create_app(ws_dir, now=getattr(request.module, "NOW", None))
    yield a
    a.state.web.ws.close()


# ---- the web app's sign-in, as a browser does it ------------------------------------------------------------------
def signed_in(app, name: str, password: str):
    """A TestClient signed in as ``name`` (the login form with its CSRF token, as a browser sends it)."""
    import re

    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="http://testserver")
    tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": name, "password": password, "csrf": tok}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


# ---- a network that goes away: live connectors' fault tests --------------------------------------------------------
def drops(down_from: int | None = None):
    """An httpx transport to the real server whose network goes away from request ``down_from`` on (connection
    refused), as when a cable is pulled mid-sync; ``.n`` counts the requests."""
    import httpx

    class Drops(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner, self.down_from, self.n = httpx.HTTPTransport(), down_from, 0

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            self.n += 1
            if self.down_from is not None and self.n >= self.down_from:
                raise httpx.ConnectError("connection refused", request=request)
            return self.inner.handle_request(request)

    return Drops()


# ---- the API stand-ins' HTTP server (tests/reddit, tests/wechat) ----------------------------------------------------
class LoopbackHTTP:
    """An HTTP server on a free loopback port, serving from a daemon thread; ``url`` is its base."""

    def serve(self, handler) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
