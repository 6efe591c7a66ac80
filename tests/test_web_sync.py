"""Issue #14.2 (first slice): while `hudong serve` holds the workspace it keeps the connectors in sync every
``[sync] every_minutes`` on a cursor of its own, and shows their state at /api/connectors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hudong.errors import HudongError
from hudong.store.workspace import Workspace
from hudong.web import auth
from hudong.web.app import create_app
from test_web_app import csrf_in, login

POSTS = "platform,post_id,author_id,created_at,text\n"


def _workspace(tmp_path: Path, every: str) -> tuple[Path, Path]:
    ws_dir, drop = tmp_path / "ws", tmp_path / "drop"
    drop.mkdir()
    Workspace.init(ws_dir).close()
    with open(ws_dir / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[sync]\nevery_minutes = {every}\n\n[connectors.drop]\ntype = "folder"\npath = "{drop}"\n'
                'format = "generic-posts"\n')
    return ws_dir, drop


def _token(app) -> str:
    con = app.state.web.ws.con
    auth.add_user(con, "ana", "analyst", "a long password 1")
    return auth.new_token(con, "ana")


def test_the_server_syncs_on_its_schedule_and_reports_it(tmp_path):
    ws_dir, drop = _workspace(tmp_path, "0.01")  # every 0.6 s
    (drop / "a.csv").write_text(POSTS + "weibo,p1,u1,2024-06-01 12:00:00,新品上市\n", encoding="utf-8")
    app = create_app(ws_dir, warm=False)
    headers = {"Authorization": f"Bearer {_token(app)}"}
    with TestClient(app) as c:
        deadline = time.monotonic() + 60
        while app.state.web.sync_last is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert app.state.web.sync_last is not None, "no sync round ran"
        (drop / "b.csv").write_text(POSTS + "weibo,p2,u2,2024-06-02 12:00:00,好喝\n", encoding="utf-8")
        while time.monotonic() < deadline:
            with app.state.web.db() as ws:
                if ws.count("posts") == 2:
                    break
            time.sleep(0.2)
        r = c.get("/api/connectors", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["every_minutes"] == pytest.approx(0.01)
        (drop_state,) = body["connectors"]
        assert drop_state["name"] == "drop" and drop_state["batches"] == 2 and drop_state["last_error"] is None
        assert c.get("/api/connectors").status_code in (302, 303, 401)  # signed-in importers only
    with Workspace.open(ws_dir) as ws:
        assert ws.count("posts") == 2
        assert ws.con.execute("SELECT count(*) FROM text_sentiment").fetchone()[0] == 2  # scored as they came


def test_sync_now_and_a_bad_schedule(tmp_path):
    ws_dir, drop = _workspace(tmp_path, "0")  # no schedule: on demand only
    (drop / "a.csv").write_text(POSTS + "weibo,p1,u1,2024-06-01 12:00:00,hi\n", encoding="utf-8")
    app = create_app(ws_dir, warm=False)
    headers = {"Authorization": f"Bearer {_token(app)}"}
    with TestClient(app) as c:
        time.sleep(0.5)
        assert app.state.web.sync_every is None and app.state.web.sync_last is None  # no round by itself
        r = c.post("/api/connectors/sync", headers=headers)
        assert r.status_code == 200 and r.json()["last_round"]["results"][0]["stored"] == 1, r.text
    (tmp_path / "bad").mkdir()
    bad, _ = _workspace(tmp_path / "bad", '"often"')
    with pytest.raises(HudongError, match=r"\[sync\] every_minutes must be a positive number"):
        create_app(bad, warm=False)


def test_the_connectors_page_shows_state_lag_and_a_paused_connector_and_syncs_now(tmp_path):
    ws_dir, drop = _workspace(tmp_path, "0")
    with open(ws_dir / "hudong.toml", "a", encoding="utf-8") as f:
        f.write('\n[connectors.bsky]\ntype = "bluesky"\nhandle = "acme.test"\n')
    (drop / "a.csv").write_text(POSTS + "weibo,p1,u1,2024-06-01 12:00:00,hi\n", encoding="utf-8")
    app = create_app(ws_dir, warm=False)
    con = app.state.web.ws.con
    con.execute("INSERT INTO connector_state (name, kind, paused, last_error, batches, rows_read) VALUES "
                "('bsky', 'bluesky', 'Bluesky refused the app password', 'Bluesky refused the app password', 0, 0)")
    auth.add_user(con, "ana", "analyst", "a long password 1")
    auth.add_user(con, "rui", "responder", "a long password 2")
    assert login(app, "rui", "a long password 2").get("/connectors").status_code == 403  # importers only
    with login(app, "ana", "a long password 1") as c:
        page = c.get("/connectors?lang=zh")
        assert page.status_code == 200 and "已暂停" in page.text and "hudong connect bsky" in page.text
        assert "从未" in page.text  # the drop folder never ran
        assert c.post("/connectors/sync", data={"csrf": "wrong"}).status_code == 403
        done = c.post("/connectors/sync", data={"csrf": csrf_in(page.text)})
        assert done.status_code == 200, done.text
        row = done.text.split('data-name="drop"', 1)[1].split("</tr>", 1)[0]
        assert " s</td>" in row and ">1</td>" in row  # synced seconds ago: lag in seconds, one row read
    with Workspace.open(ws_dir) as ws:
        assert ws.count("posts") == 1
