"""Issue #19.15: responders must know whom they answer. Analytics stay pseudonymous; the roles that answer people
see the public handle, the display name and links to the profile and the message (table ``contacts`` and
``interactions.url``), configurable per workspace, and ``forget`` removes them."""

from __future__ import annotations

import json
import warnings

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
from fastapi.testclient import TestClient  # noqa: E402

from hudong.ingest import import_file  # noqa: E402
from hudong.ingest.erasure import forget  # noqa: E402
from hudong.store.workspace import Workspace  # noqa: E402
from hudong.web import auth  # noqa: E402
from hudong.web.app import create_app  # noqa: E402

PASSWORD = "correct horse battery"
TWEETS = [
    {"id_str": "100", "created_at": "Mon Jun 03 10:00:00 +0000 2024", "text": "@shancha 我的订单还没到",
     "user": {"id_str": "42", "screen_name": "tea_fan", "name": "小鱼", "followers_count": 12}},
    {"id_str": "101", "created_at": "Mon Jun 03 11:00:00 +0000 2024", "text": "javascript link",
     "user": {"id_str": "43", "screen_name": "trouble", "name": "X", "followers_count": 1}},
]


def _workspace(tmp_path, extra: str = "") -> Workspace:
    d = tmp_path / "ws"
    ws = Workspace.init(d)
    if extra:
        (d / "hudong.toml").write_text((d / "hudong.toml").read_text() + extra)
        ws.close()
        ws = Workspace.open(d)
    tweets = tmp_path / "t.jsonl"
    tweets.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in TWEETS))
    import_file(ws, tweets, "twitter-json")
    inter = tmp_path / "i.csv"
    inter.write_text(
        "platform,interaction_id,type,actor_id,target_user_id,created_at,text,is_inbound,url\n"
        "twitter,100,mention,42,shancha,2024-06-03 18:00:00,@shancha 我的订单还没到,true,https://twitter.com/i/web/status/100\n"
        "twitter,101,mention,43,shancha,2024-06-03 19:00:00,hi,true,javascript:alert(1)\n"
    )
    import_file(ws, inter, "generic-interactions")
    for name, role in (("rita", "responder"), ("vic", "viewer")):
        auth.add_user(ws.con, name, role, PASSWORD)
    return ws


def _inbox(d, name: str) -> list[dict]:
    app = create_app(d, warm=False)
    with TestClient(app) as c:
        r = c.get("/api/inbox?limit=50", headers={"Authorization": f"Bearer {_token(app, name)}"})
        assert r.status_code == 200, r.text
        return r.json()["items"]


def _token(app, name: str) -> str:
    st = app.state.web
    with st.db() as ws:
        return auth.new_token(ws.con, name)


def test_analytics_stay_pseudonymous_and_responders_see_whom_they_answer(tmp_path):
    ws = _workspace(tmp_path)
    d = ws.path
    # The analytics tables hold pseudonyms only: no handle, no display name.
    users = ws.con.execute("SELECT user_id, name FROM users ORDER BY 1").fetchall()
    assert all(u.startswith("u_") and n.startswith("u_") for u, n in users)
    assert ws.con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 2
    ws.close()
    items = {it["interaction_id"]: it for it in _inbox(d, "rita")}
    first = items["100"]
    assert (first["handle"], first["display_name"]) == ("tea_fan", "小鱼")
    assert first["profile_url"] == "https://twitter.com/tea_fan"
    assert first["url"] == "https://twitter.com/i/web/status/100"
    assert items["101"]["url"] is None  # never a javascript: link
    viewer = {it["interaction_id"]: it for it in _inbox(d, "vic")}
    assert "handle" not in viewer["100"] and "url" not in viewer["100"]


def test_the_inbox_page_links_the_profile_and_the_message_for_responders(tmp_path):
    ws = _workspace(tmp_path)
    d = ws.path
    ws.close()
    app = create_app(d, warm=False)
    with TestClient(app) as c:
        page = c.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        r = c.post("/login", data={"username": "rita", "password": PASSWORD, "csrf": csrf, "next": "/inbox"})
        html = c.get("/inbox").text
    assert r.status_code == 200
    assert "小鱼" in html and "@tea_fan" in html and 'href="https://twitter.com/i/web/status/100"' in html
    assert 'href="https://twitter.com/tea_fan"' in html and 'href="javascript' not in html


def test_contacts_off_keeps_no_handles_and_show_to_limits_roles(tmp_path):
    ws_dir = tmp_path / "a"
    ws_dir.mkdir()
    ws = _workspace(ws_dir, "")
    ws.close()
    cfg = ws.path / "hudong.toml"
    cfg.write_text(cfg.read_text().replace('show_contacts_to = ["responder", "analyst", "admin"]',
                                           'show_contacts_to = ["admin"]'))
    assert "handle" not in _inbox(ws.path, "rita")[0]  # responders no longer see them here
    off = tmp_path / "b"
    off.mkdir()
    d = off / "ws"
    Workspace.init(d).close()
    cfg = d / "hudong.toml"
    cfg.write_text(cfg.read_text().replace("contacts = true", "contacts = false"))
    with Workspace.open(d) as w:
        tweets = off / "t.jsonl"
        tweets.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in TWEETS))
        s = import_file(w, tweets, "twitter-json")
        assert "contacts" not in s.tables and w.count("contacts") == 0 and w.count("posts") == 2


def test_forget_removes_the_contact(tmp_path):
    ws = _workspace(tmp_path)
    done = forget(ws, "42", platform="twitter")
    assert done.tables["contacts"] == 1
    assert ws.con.execute("SELECT handle FROM contacts").fetchall() == [("trouble",)]
    ws.close()
