"""The Douyin connector end to end against a stand-in of the open platform (tests/douyin/douyin_api.py): no Douyin
server can be installed or reached here, so a loopback server answers the documented endpoints in Douyin's
response shapes (``{"data": {…, "error_code"}, "extra": {…}}`` on HTTP 200, cursors, the access-token header). An
enterprise account signs in, its videos and their comments are synced, replies go out from the inbox."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hudong import connectors
from hudong.connectors.base import CredentialsRefused, Retry
from hudong.connectors.douyin import DouyinError
from hudong.inbox import sending
from hudong.ingest.privacy import pseudonymise
from hudong.metrics import compute
from hudong.store.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent / "douyin"))
from douyin_api import APP, Douyin  # noqa: E402

BRAND, FAN, OTHER = "ou-brand-0001", "ou-fan-0002", "ou-other-0003"


@pytest.fixture
def douyin():
    d = Douyin({BRAND: "山茶社", FAN: "茶友", OTHER: "路人"})
    yield d
    d.close()


def secrets(ws_dir: Path, code: str | None) -> None:
    sf = ws_dir / "secrets.toml"
    sf.write_text(f'[dy]\nclient_secret = "{APP[1]}"\n' + (f'code = "{code}"\n' if code else ""))
    sf.chmod(0o600)


def brand_workspace(tmp_path, douyin: Douyin, code: str | None) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    with open(ws.path / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[connectors.dy]\ntype = "douyin"\napi = "{douyin.url}"\nclient_key = "{APP[0]}"\n'
                'redirect_uri = "https://brand.example/douyin/callback"\n')
    secrets(ws.path, code)
    ws.close()
    return Workspace.open(tmp_path / "ws")


def rows(ws: Workspace, sql: str, args: list | None = None) -> list[tuple]:
    return ws.con.execute(sql, args or []).fetchall()


def test_sign_in_refresh_and_sign_in_again(douyin, tmp_path):
    ws = brand_workspace(tmp_path, douyin, None)
    try:
        with pytest.raises(CredentialsRefused, match=r"platform/oauth/connect/\?client_key=awhudong"):
            connectors.connect(ws, "dy")
        secrets(ws.path, douyin.authorize(BRAND))
        assert "Douyin 山茶社 (ou-brand-0001, role EAccountM)" in connectors.connect(ws, "dy")
        douyin.expire()  # 15 days later: the refresh token gets a new access token, nobody signs in
        assert connectors.sync(ws)[0].error is None
        assert "POST /oauth/refresh_token/" in douyin.requests
        douyin.expire_refresh()  # 30 days without a sync: the owner signs in again
        res = connectors.sync(ws)[0]
        assert res.error and "10010" in res.error and "platform/oauth/connect" in res.error
        assert connectors.state(ws)["dy"]["paused"]
        secrets(ws.path, douyin.authorize(BRAND))
        connectors.connect(ws, "dy")
        assert connectors.sync(ws)[0].error is None
    finally:
        ws.close()


def test_videos_comments_and_replies_from_the_inbox(douyin, tmp_path):
    ws = brand_workspace(tmp_path, douyin, douyin.authorize(BRAND))
    try:
        v = douyin.video(BRAND, "春茶开箱 #山茶社#", plays=12000)
        q = douyin.comment(FAN, v["item_id"], "链接在哪里？")
        douyin.comment(BRAND, v["item_id"], "橱窗第一个", parent=q["comment_id"])
        later = douyin.comment(OTHER, v["item_id"], "我也想知道", parent=q["comment_id"])
        for i in range(60):  # more than one page (50)
            douyin.comment(OTHER, v["item_id"], f"好看 {i}")
        res = connectors.sync(ws)[0]
        assert res.error is None and res.quarantined == 0, res
        assert rows(ws, "SELECT followers FROM accounts WHERE account_id = ?", [BRAND]) == [(1234,)]
        days = rows(ws, "SELECT followers, new_followers, lost_followers FROM account_stats ORDER BY day")
        assert days == [(1230, 3, None), (1231, 3, 2), (1232, 3, 2), (1233, 3, 2), (1234, 3, 2)]
        assert rows(ws, "SELECT impressions, likes, reposts, comments, topics FROM posts") == [
            (12000, 10, 3, 61, ["山茶社"])]
        kinds = dict(rows(ws, "SELECT type || ':' || by_staff, count(*) FROM interactions GROUP BY 1"))
        assert kinds == {"comment:false": 61, "reply:true": 1, "reply:false": 1}, kinds
        assert rows(ws, "SELECT parent_id FROM interactions WHERE interaction_id = ?",
                    [f"{v['item_id']}:{later['comment_id']}"]) == [(f"{v['item_id']}:{q['comment_id']}",)]
        actors = {a for (a,) in rows(ws, "SELECT actor_id FROM interactions WHERE NOT by_staff")}
        assert pseudonymise(ws.key, "douyin", FAN) in actors and FAN not in actors
        assert connectors.sync(ws)[0].stored == 0

        out = sending.send_reply(ws, f"douyin:{v['item_id']}:{later['comment_id']}", "橱窗第一个就是～", by="ana")
        assert out["state"] == "sent", out
        made = douyin.comments[out["platform_id"].split(":", 1)[1]]
        assert made["parent"] == q["comment_id"] and made["comment_user_id"] == BRAND  # under the top comment
        assert connectors.sync(ws)[0].error is None
        (rate,) = compute(ws, "response_rate").to_pylist()
        assert rate["answered"] >= 2  # the question and the follow-up under it
    finally:
        ws.close()


def test_busy_quota_and_missing_capability(douyin, tmp_path):
    ws = brand_workspace(tmp_path, douyin, douyin.authorize(BRAND))
    try:
        v = douyin.video(BRAND, "新品")
        c = douyin.comment(FAN, v["item_id"], "多少钱")
        dy = connectors.connector(ws, "dy")
        douyin.busy(1)
        with pytest.raises(Retry) as busy:
            dy.act("reply", idempotency_key="k1", target=f"{v['item_id']}:{c['comment_id']}", text="59 元")
        assert busy.value.after == 60 and "2100004" in str(busy.value)
        douyin.quota_used = True
        with pytest.raises(Retry) as quota:
            dy.act("reply", idempotency_key="k2", target=f"post:{v['item_id']}", text="欢迎")
        assert 0 < quota.value.after <= 86405 and "quota" in str(quota.value)
        douyin.quota_used = False
        douyin.comment_scope = False
        with pytest.raises(DouyinError, match="28001018.*能力管理"):
            dy.act("reply", idempotency_key="k3", target=f"{v['item_id']}:{c['comment_id']}", text="59 元")
        res = connectors.sync(ws)[0]
        assert res.error and "28001018" in res.error
        assert rows(ws, "SELECT count(*) FROM posts") == [(1,)]  # what came before the comments is kept
    finally:
        ws.close()
