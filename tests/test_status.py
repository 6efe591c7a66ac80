"""The first hour on the command line: `hudong init` asks for (or takes) the brand and own accounts, `hudong status`
says what each scorecard item still needs and how to supply it, and an empty measure says what is missing.
Real subprocesses, real files, real DuckDB — as a user runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib

from hudong.decide.rules import load_rules
from hudong.store.workspace import Workspace

POSTS = (
    "platform,post_id,account_id,author_id,created_at,text,likes,comments,reposts,author_followers,is_ugc\n"
    "weibo,p1,sc_weibo,sc_weibo,2026-06-01 10:00:00,新茶上市,120,14,9,50000,false\n"
    "weibo,p2,sc_weibo,sc_weibo,2026-06-02 20:00:00,山茶社春茶预售,300,40,22,50000,false\n"
    "weibo,p3,,u1,2026-06-03 09:00:00,今天喝了山茶社的新茶，清香回甘,5,1,0,300,true\n"
)


def hudong(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hudong.cli", *args], capture_output=True, text=True,
                          input=stdin if stdin is not None else "",  # never a terminal unless a test says so
                          timeout=300, env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})  # fmt: skip


def _with_posts(tmp_path):
    ws = tmp_path / "ws"
    r = hudong("init", str(ws), "--lang", "en")
    assert r.returncode == 0, r.stderr
    posts = tmp_path / "posts.csv"
    posts.write_text(POSTS, encoding="utf-8")
    r = hudong("-w", str(ws), "import", str(posts), "--as", "generic-posts", "--no-progress")
    assert r.returncode == 0, r.stderr
    return ws, r


def test_init_without_a_terminal_or_options_behaves_as_before_and_prints_next_steps(tmp_path):
    r = hudong("init", str(tmp_path / "ws"))
    assert r.returncode == 0, r.stderr
    cfg = tomllib.loads((tmp_path / "ws" / "hudong.toml").read_text(encoding="utf-8"))
    assert cfg["brand"] == {"name": "", "aliases": []}
    with Workspace.open(tmp_path / "ws", read_only=True) as ws:
        assert ws.count("accounts") == 0
    assert re.search(r"hudong -w \S+ status", r.stdout) and "generic-accounts" in r.stdout  # what to do next


def test_status_says_what_each_item_needs_and_how_to_supply_it(tmp_path):
    ws, _ = _with_posts(tmp_path)
    r = hudong("-w", str(ws), "status", "--lang", "en")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "posts 3" in out and "accounts 0" in out  # rows per table
    assert "no own accounts declared" in out and "hudong import accounts.csv --as generic-accounts" in out
    assert "hudong init --account" in out
    assert "no [brand] name or aliases in hudong.toml" in out and "share of voice and mentions need it" in out
    assert "no NPS survey answers" in out and "generic-survey_responses" in out
    assert "Business hours: 09:00–18:00" in out and "Insufficient evidence" in out
    data = json.loads(hudong("-w", str(ws), "status", "--json").stdout)
    # one source of truth: every evidence item of rules.toml, with its needs, is in the status
    rules = load_rules()
    listed = {e["key"]: e for d in data["dimensions"] for e in d["evidence"]}
    assert set(listed) == {e.key for d in rules.dimensions for e in d.evidence}
    assert all(listed[e.key]["needs"] == list(e.needs) for d in rules.dimensions for e in d.evidence)
    assert listed["ugc_share"]["state"] == "missing" and listed["ugc_share"]["requirement"] == "own_accounts"
    req = {r["key"]: r for r in data["requirements"]}
    assert set(req) == set(rules.requirements)
    assert req["posts"]["met"] and req["posts"]["count"] == 3 and not req["own_accounts"]["met"]
    assert "ugc_share" in req["own_accounts"]["needed_by"]
    assert data["tables"]["posts"] == 3 and data["config"]["brand"] == ""
    quick = json.loads(hudong("-w", str(ws), "status", "--json", "--quick").stdout)
    assert quick["computed"] is False and quick["overall"] is None
    assert {e["state"] for d in quick["dimensions"] for e in d["evidence"]} <= {"ready", "missing"}


def test_status_in_chinese(tmp_path):
    ws, _ = _with_posts(tmp_path)
    out = hudong("-w", str(ws), "status", "--lang", "zh").stdout
    assert "没有声明自有账号" in out and "证据不足" in out and "下一步" in out


def test_an_empty_measure_says_what_is_missing_not_import_data_first(tmp_path):
    ws, _ = _with_posts(tmp_path)
    r = hudong("-w", str(ws), "metrics", "engagement_rate_followers", "--by", "platform")
    assert r.returncode == 0, r.stderr
    assert "import data first" not in r.stdout
    assert "no own accounts declared" in r.stdout and "generic-accounts" in r.stdout
    r = hudong("-w", str(ws), "metrics", "repurchase_rate", "--by", "month", "--lang", "zh")
    assert "没有订单" in r.stdout and "generic-orders" in r.stdout


def test_init_options_write_the_brand_and_import_the_own_accounts(tmp_path):
    ws = tmp_path / "ws"
    r = hudong("init", str(ws), "--lang", "en", "--brand", "山茶社", "--alias", "Camellia Tea", "--alias", "山茶小社",
               "--account", "weibo:sc_weibo:山茶社官方", "--account", "xiaohongshu:sc_xhs:山茶社")  # fmt: skip
    assert r.returncode == 0, r.stderr
    cfg = tomllib.loads((ws / "hudong.toml").read_text(encoding="utf-8"))
    assert cfg["brand"] == {"name": "山茶社", "aliases": ["Camellia Tea", "山茶小社"]}
    assert cfg["language"] == "en" and "business_hours" in cfg  # the rest of the template is kept
    with Workspace.open(ws, read_only=True) as w:
        rows = w.con.execute("SELECT platform, account_id, name, brand, is_own, importer FROM accounts "
                             "ORDER BY 1").fetchall()  # fmt: skip
        assert rows == [("weibo", "sc_weibo", "山茶社官方", "山茶社", True, "generic-accounts"),
                        ("xiaohongshu", "sc_xhs", "山茶社", "山茶社", True, "generic-accounts")]  # fmt: skip
        assert w.count("import_batches") == 1  # the normal import path, with its history
    assert re.search(r"hudong -w \S+ status", r.stdout) and "import accounts.csv" not in r.stdout  # accounts are in
    posts = tmp_path / "posts.csv"
    posts.write_text(POSTS, encoding="utf-8")
    assert hudong("-w", str(ws), "import", str(posts), "--as", "generic-posts", "--no-progress").returncode == 0
    data = json.loads(hudong("-w", str(ws), "status", "--json").stdout)
    req = {r["key"]: r for r in data["requirements"]}
    assert req["own_accounts"]["met"] and req["own_posts"]["count"] == 2 and req["brand"]["met"]
    ugc = next(e for d in data["dimensions"] for e in d["evidence"] if e["key"] == "ugc_share")
    assert ugc["state"] == "computed" and ugc["value"] == 1 / 3


def test_init_adds_brand_and_accounts_to_an_existing_workspace(tmp_path):
    ws, _ = _with_posts(tmp_path)
    r = hudong("init", str(ws), "--brand", "山茶社", "--account", "weibo:sc_weibo:山茶社官方")
    assert r.returncode == 0, r.stderr
    cfg = tomllib.loads((ws / "hudong.toml").read_text(encoding="utf-8"))
    assert cfg["brand"]["name"] == "山茶社" and cfg["language"] == "en"
    out = hudong("-w", str(ws), "status", "--lang", "en").stdout
    assert "no own accounts declared" not in out and "Own accounts: 1" in out
    # without options an existing workspace is still an error, as before
    again = hudong("init", str(ws))
    assert again.returncode != 0 and "already a hudong workspace" in again.stderr


def test_init_asks_on_a_terminal(tmp_path):
    ws = tmp_path / "ws"
    answers = "山茶社\nCamellia Tea, 山茶小社\nweibo:sc_weibo:山茶社官方\ndouyin:sc_dy:山茶社\n\n"
    r = hudong("init", str(ws), "--interactive", stdin=answers)  # what a terminal does (stdin is a tty there)
    assert r.returncode == 0, r.stderr
    cfg = tomllib.loads((ws / "hudong.toml").read_text(encoding="utf-8"))
    assert cfg["brand"] == {"name": "山茶社", "aliases": ["Camellia Tea", "山茶小社"]}
    with Workspace.open(ws, read_only=True) as w:
        assert w.con.execute("SELECT count(*) FROM accounts WHERE is_own").fetchone()[0] == 2


def test_init_rejects_a_malformed_account(tmp_path):
    r = hudong("init", str(tmp_path / "ws"), "--account", "weibo-only")
    assert r.returncode != 0 and "PLATFORM:ID[:NAME]" in r.stderr
    assert not (tmp_path / "ws").exists()  # nothing half-made
