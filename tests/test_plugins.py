"""Issue #13.5: plugins add import formats, metrics, analyses, connectors, CLI commands and web pages through
entry points. The example plugin (tests/plugin_example) is put on the path as an installed package would be,
and each extension point is exercised in a process of its own (the registries are per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from hudong.store.workspace import Workspace

SITE = Path(__file__).parent / "plugin_example"
WITH_PLUGIN = {"PYTHONPATH": os.pathsep.join([str(SITE), os.environ.get("PYTHONPATH", "")])}
# Chinese headers the plugin's format maps; two of the four posts ask a question
POSTS = ("编号,作者,时间,内容\n"
         "p1,u1,2024-06-01 10:00,新品什么时候上市？\n"
         "p2,u2,2024-06-01 11:00,今天的奶茶很好喝\n"
         "p3,u1,2024-06-02 09:00,Is the shop open on Sunday?\n"
         "p4,u3,2024-06-02 12:00,排队排了一个小时，不过值得，下次还来这家店喝新品，真的推荐给大家\n")  # fmt: skip


def hudong(*args: str, plugin: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, **(WITH_PLUGIN if plugin else {})}
    return subprocess.run([sys.executable, "-m", "hudong.cli", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, env=env)  # fmt: skip


def _workspace(tmp_path: Path) -> Path:
    ws_dir = tmp_path / "ws"
    Workspace.init(ws_dir).close()
    with open(ws_dir / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(textwrap.dedent("""
            [connectors.toots]
            type = "counter"
            per_run = 3
        """))
    (tmp_path / "posts.csv").write_text(POSTS, encoding="utf-8")
    return ws_dir


def test_the_example_plugin_adds_a_format_a_metric_an_analysis_a_command_and_a_connector(tmp_path):
    ws = _workspace(tmp_path)
    r = hudong("formats")
    assert r.returncode == 0 and "example-posts" in r.stdout and "编号" in r.stdout, r.stderr
    r = hudong("-w", str(ws), "import", str(tmp_path / "posts.csv"), "--as", "example-posts", "--no-score")
    assert r.returncode == 0 and "4 row(s) read" in r.stdout and "4 stored" in r.stdout, r.stdout + r.stderr
    r = hudong("-w", str(ws), "metrics", "question_share", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["value"] == 0.5  # p1 (？) and p3 (?) of four
    r = hudong("-w", str(ws), "metrics", "question_share", "--by", "day", "--format", "json")
    assert [row["value"] for row in json.loads(r.stdout)] == [0.5, 0.5]
    r = hudong("-w", str(ws), "hello")  # the plugin's command runs the plugin's analysis
    assert r.returncode == 0 and "the longest post is p4" in r.stdout, r.stdout + r.stderr
    r = hudong("--help")
    assert "hello" in r.stdout
    for _ in range(2):
        r = hudong("-w", str(ws), "sync")
        assert r.returncode == 0 and "toots (counter): 1 batch(es), 3 rows read, 3 stored" in r.stdout, r.stderr
    with Workspace.open(ws) as w:
        assert w.count("posts") == 4 + 6
        assert w.con.execute("SELECT cursor FROM connector_state WHERE name = 'toots'").fetchone()[0] == "6"


def test_without_the_plugin_its_names_are_unknown(tmp_path):
    ws = _workspace(tmp_path)
    r = hudong("-w", str(ws), "import", str(tmp_path / "posts.csv"), "--as", "example-posts", plugin=False)
    assert r.returncode == 1 and "unknown format 'example-posts'" in r.stderr
    assert hudong("-w", str(ws), "hello", plugin=False).returncode == 2  # click: no such command
    r = hudong("-w", str(ws), "sync", plugin=False)
    assert r.returncode == 1 and "type 'counter' is not one of folder" in r.stderr


WEB = """
import sys
from fastapi.testclient import TestClient
from hudong.web.app import create_app
from hudong.web.auth import add_user, new_token

app = create_app(sys.argv[1], warm=False)
con = app.state.web.ws.con
add_user(con, "ana", "viewer", "a long password 1")
token = new_token(con, "ana")
with TestClient(app) as c:
    anonymous = c.get("/plugins/example/longest", follow_redirects=False)
    signed_in = c.get("/plugins/example/longest", headers={"Authorization": f"Bearer {token}"})
print(anonymous.status_code, signed_in.status_code, signed_in.text)
"""


def test_a_plugin_page_is_served_to_signed_in_readers_only(tmp_path):
    ws = _workspace(tmp_path)
    assert hudong("-w", str(ws), "import", str(tmp_path / "posts.csv"), "--as", "example-posts", "--no-score").returncode == 0
    r = subprocess.run([sys.executable, "-c", WEB, str(ws)], capture_output=True, text=True, timeout=300,
                       env={**os.environ, **WITH_PLUGIN})  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    anonymous, signed_in, body = r.stdout.strip().split(" ", 2)
    assert anonymous in ("302", "303", "401") and signed_in == "200"  # a browser is sent to sign in
    assert [p["post_id"] for p in json.loads(body)["posts"]] == ["p4", "p3", "p1"]  # longest first


def test_a_broken_plugin_is_named_in_the_error(tmp_path):
    site = tmp_path / "site"
    dist = site / "hudong_broken-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hudong-broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hudong.metrics]\nbroken = hudong_broken_missing.metrics\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    r = subprocess.run([sys.executable, "-m", "hudong.cli", "metrics"], capture_output=True, text=True, timeout=300,
                       env=env, stdin=subprocess.DEVNULL)  # fmt: skip
    assert r.returncode == 1
    assert "plugin hudong.metrics:broken = hudong_broken_missing.metrics (package hudong-broken) failed" in r.stderr
