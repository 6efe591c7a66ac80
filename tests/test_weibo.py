"""The Weibo connector end to end against a stand-in of the open platform (tests/weibo/weibo_api.py): no Weibo server
can be installed or reached here, so a loopback server answers the documented API v2 endpoints in Weibo's response
shapes (OAuth 2.0 authorization code, timelines, comment lists, ``{"error", "error_code"}``). People post, comment,
mention and repost through it; hudong signs in, syncs, answers from the inbox and reads its answers back."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from hudong import connectors
from hudong.connectors import outbox
from hudong.connectors.base import CredentialsRefused, Retry
from hudong.connectors.weibo import WeiboError
from hudong.errors import HudongError
from hudong.inbox import sending
from hudong.ingest.privacy import pseudonymise
from hudong.metrics import compute
from hudong.plan import items, publishing
from hudong.store.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent / "weibo"))
from weibo_api import APP, REDIRECT, Weibo  # noqa: E402

BRAND, FAN, CRITIC = "1000000001", "2000000002", "3000000003"


@pytest.fixture
def weibo():
    w = Weibo({BRAND: "山茶社官方", FAN: "茶友小李", CRITIC: "路人甲"})
    yield w
    w.close()


def secrets(ws_dir: Path, code: str | None) -> None:
    sf = ws_dir / "secrets.toml"
    sf.write_text(f'[wb]\napp_secret = "{APP[1]}"\n' + (f'code = "{code}"\n' if code else ""))
    sf.chmod(0o600)


def brand_workspace(tmp_path, weibo: Weibo, *, signed_in: bool = True) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    with open(ws.path / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[connectors.wb]\ntype = "weibo"\napi = "{weibo.url}"\napp_key = "{APP[0]}"\n'
                f'redirect_uri = "{REDIRECT}"\n')
    secrets(ws.path, weibo.authorize(BRAND) if signed_in else None)
    ws.close()
    return Workspace.open(tmp_path / "ws")


def rows(ws: Workspace, sql: str, args: list | None = None) -> list[tuple]:
    return ws.con.execute(sql, args or []).fetchall()


def test_sign_in_with_the_authorization_code_once(weibo, tmp_path):
    ws = brand_workspace(tmp_path, weibo, signed_in=False)
    try:
        with pytest.raises(CredentialsRefused, match=r"signs in at .*/oauth2/authorize\?client_id=2790000001"):
            connectors.connect(ws, "wb")
        secrets(ws.path, weibo.authorize(BRAND))
        assert "Weibo @山茶社官方 (1000000001): 100 followers" in connectors.connect(ws, "wb")
        token = (ws.path / ".hudong" / "connectors" / "wb" / "token.json")
        kept = token if token.exists() else next(ws.path.rglob("token.json"))
        assert kept.stat().st_mode & 0o077 == 0  # the token is kept owner-only
        weibo.expire()  # Weibo's token ran out: the used code cannot sign in again
        res = connectors.sync(ws)[0]
        assert res.error and "21327" in res.error and "oauth2/authorize" in res.error
        assert connectors.state(ws)["wb"]["paused"]
        secrets(ws.path, weibo.authorize(BRAND))  # the owner signed in again
        connectors.connect(ws, "wb")
        assert connectors.sync(ws)[0].error is None
    finally:
        ws.close()


def test_listen_answer_from_the_inbox_and_read_the_answers_back(weibo, tmp_path):
    ws = brand_workspace(tmp_path, weibo)
    try:
        post = weibo.post(BRAND, "春茶上新 #山茶社#", pics=True)
        question = weibo.comment(FAN, post["idstr"], "什么时候发货？")
        staff = weibo.comment(BRAND, post["idstr"], "明天", reply_to=question["idstr"])
        again = weibo.comment(FAN, post["idstr"], "好的，谢谢", reply_to=staff["idstr"])
        mention = weibo.post(CRITIC, "@山茶社官方 快递太慢了")
        in_comment = weibo.comment(CRITIC, mention["idstr"], "@山茶社官方 看这里")
        share = weibo.repost(FAN, post["idstr"], "好茶推荐")
        weibo.repost(CRITIC, share["idstr"], "//@茶友小李:好茶推荐")

        res = connectors.sync(ws)[0]
        assert res.error is None and res.quarantined == 0, res
        own = rows(ws, "SELECT post_id, media_type, comments, reposts, is_ugc FROM posts WHERE account_id = ?", [BRAND])
        assert own == [(post["idstr"], "image", 3, 2, False)]
        kinds = dict(rows(ws, "SELECT type, count(*) FROM interactions GROUP BY type"))
        assert kinds == {"comment": 1, "reply": 2, "mention": 2, "repost": 2}, kinds
        assert rows(ws, "SELECT parent_id, by_staff, is_inbound FROM interactions WHERE interaction_id = ?",
                    [again["idstr"]]) == [(staff["idstr"], False, True)]
        assert rows(ws, "SELECT by_staff FROM interactions WHERE interaction_id = ?", [staff["idstr"]]) == [(True,)]
        # reposts: the cascade keeps its root (the own post), people are pseudonymised, handles go to contacts
        assert rows(ws, "SELECT count(*) FROM posts WHERE root_id = ?", [post["idstr"]]) == [(2,)]
        actors = {a for (a,) in rows(ws, "SELECT actor_id FROM interactions")}
        assert pseudonymise(ws.key, "weibo", FAN) in actors and FAN not in actors
        assert {h for (h,) in rows(ws, "SELECT handle FROM contacts")} >= {"茶友小李", "路人甲"}
        assert connectors.sync(ws)[0].stored == 0  # nothing new: nothing stored twice

        out = sending.send_reply(ws, f"weibo:{again['idstr']}", "不客气～", by="ana")
        assert out["state"] == "sent", out
        made = weibo.comments[out["platform_id"]]
        assert made["reply_comment"]["idstr"] == again["idstr"] and made["text"] == "回复@茶友小李:不客气～"
        out = sending.send_reply(ws, f"weibo:mention:{mention['idstr']}", "抱歉，已加急处理", by="ana")
        assert out["state"] == "sent" and weibo.comments[out["platform_id"]]["status"]["idstr"] == mention["idstr"]

        assert connectors.sync(ws)[0].error is None  # the answers come back as staff replies
        answered = rows(ws, "SELECT parent_id FROM interactions WHERE by_staff AND text LIKE '%不客气%'")
        assert answered == [(again["idstr"],)]
        (rate,) = compute(ws, "response_rate").to_pylist()
        assert rate["answered"] >= 2  # the fan's follow-up and the critic's post were answered

        rp = outbox.queue(ws, "wb", "repost", by="ana", target=share["idstr"], text="谢谢推荐")
        assert [x.state for x in outbox.send_due(ws)] == ["sent"]
        made = weibo.statuses[outbox.get(ws, rp)["platform_id"]]
        assert made["retweeted_status"]["idstr"] == post["idstr"] and made["user"]["idstr"] == BRAND
        assert in_comment["idstr"] in {i for (i,) in rows(ws, "SELECT interaction_id FROM interactions")}
    finally:
        ws.close()


def test_pages_errors_and_refusals(weibo, tmp_path):
    ws = brand_workspace(tmp_path, weibo)
    try:
        post = weibo.post(BRAND, "抽奖活动")
        for i in range(130):  # more than one page (100)
            weibo.comment(FAN, post["idstr"], f"参与 {i}")
        assert connectors.sync(ws)[0].error is None
        assert rows(ws, "SELECT count(*), count(DISTINCT interaction_id) FROM interactions") == [(130, 130)]

        c = connectors.connector(ws, "wb")
        other = weibo.post(CRITIC, "只给粉丝评论")
        weibo.only_followers(CRITIC)
        with pytest.raises(WeiboError, match="20206.*only their followers"):
            c.act("reply", idempotency_key="k1", target=f"post:{other['idstr']}", text="你好")
        gone = weibo.comment(FAN, post["idstr"], "马上删")
        weibo.delete(gone["idstr"])
        with pytest.raises(WeiboError, match="was deleted"):
            c.act("reply", idempotency_key="k2", target=gone["idstr"], text="?")
        one = weibo.comment(FAN, post["idstr"], "第一次")
        first = c.act("reply", idempotency_key="k3", target=one["idstr"], text="收到")
        assert c.confirm("reply", idempotency_key="k3", target=one["idstr"], text="收到") == first
        with pytest.raises(WeiboError, match="20019.*repeated"):
            c.act("reply", idempotency_key="k4", target=one["idstr"], text="收到")

        weibo.limit(0)  # this hour's requests are used up: the outbox comes back after the hour turns
        with pytest.raises(Retry) as hit:
            c.act("reply", idempotency_key="k5", target=one["idstr"], text="稍后")
        assert 60 <= hit.value.after <= 3605 and "10023" in str(hit.value)
        res = connectors.sync(ws)[0]
        assert res.error and "10023" in res.error and not connectors.state(ws)["wb"]["paused"]
        weibo.limit(None)
        assert connectors.sync(ws)[0].error is None
    finally:
        ws.close()


def test_the_calendar_publishes_through_statuses_share_and_what_it_cannot_take_goes_out_by_hand(weibo, tmp_path):
    """#16.2 on Weibo: statuses/share is an app's only way to post; its rules (a link under the app's safe domain,
    ≤ 140 characters, no #话题#, the operator's IP) go beyond Weibo's own. With ``share_link`` and ``rip`` set the
    calendar publishes (the link appended), the post syncs back and carries its results; a post with a #话题# is
    left to its owner with the reason; a repeated text fails with Weibo's; without the settings nothing publishes."""
    ws = brand_workspace(tmp_path, weibo)
    ws.close()
    with open(tmp_path / "ws" / "hudong.toml", "a", encoding="utf-8") as f:
        f.write('share_link = "https://www.brand.example/tea"\nrip = "203.0.113.7"\n')
    ws = Workspace.open(tmp_path / "ws")

    def scheduled(text: str, at: dt.datetime) -> str:
        it = items.create(ws, platform="weibo", by="rita", text=text, state="draft", owner="rita")
        items.act(ws, it["item_id"], "submit", "rita")
        items.act(ws, it["item_id"], "approve", "ana", role="analyst")
        items.act(ws, it["item_id"], "schedule", "rita", at=at)
        return it["item_id"]

    try:
        at = dt.datetime.now().replace(microsecond=0) + dt.timedelta(minutes=1)
        plain = scheduled("立冬到了,一杯熟普暖胃又回甘。", at)
        topic = scheduled("#立冬# 喝什么茶?", at)
        done = publishing.run(ws, now=at)
        assert done.queued == [plain] and done.published == [plain] and done.reminded == [topic], done
        assert "#topics#" in items.get(ws, topic)["events"][-1]["note"]
        it = items.get(ws, plain)
        (post,) = [s for s in weibo.statuses.values() if s["user"]["idstr"] == BRAND]
        assert post["text"] == "立冬到了,一杯熟普暖胃又回甘。 https://www.brand.example/tea"
        assert it["state"] == "published" and it["post_id"] == post["idstr"] and post["idstr"] in it["url"]
        weibo.comment(FAN, post["idstr"], "已经在喝了!")
        assert connectors.sync(ws)[0].error is None
        res = publishing.results(ws, plain)
        assert res["synced"] and res["comments"] == 1, res
        again = scheduled("立冬到了,一杯熟普暖胃又回甘。", at + dt.timedelta(minutes=5))  # the same text again
        out = publishing.run(ws, now=at + dt.timedelta(minutes=5))
        assert out.failed == [again]
        assert any("20019" in (e["note"] or "") for e in items.get(ws, again)["events"])
    finally:
        ws.close()
    bare = brand_workspace(tmp_path / "bare", weibo)  # no share_link: Weibo does not publish from hudong
    try:
        assert "weibo" not in connectors.platform_connectors(bare, "publish")
        with pytest.raises(HudongError, match="settings do not allow"):
            outbox.queue(bare, "wb", "publish", by="rita", text="hello")
    finally:
        bare.close()
