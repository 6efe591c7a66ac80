"""Group-chat exports (issue #15.3–15.6): QQ's TXT export, WeChat export tools' TXT and CSV, GBK files; member
events, replies between members, quarantine of lines that belong to no message, the community measures computed
from them by hand, the scorecard's community evidence, `hudong groups`, and `forget` reaching group messages.

The samples below are written the way the tools write them (QQ 消息管理器 TXT: preamble, 'time name(QQ)' headers,
blank lines between messages; MemoTrace CSV: numeric WeChat message types, type 10000 system lines)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from hudong.cli import cli
from hudong.ingest import chats, import_file
from hudong.ingest.erasure import forget
from hudong.ingest.privacy import pseudonymise
from hudong.metrics import compute
from hudong.metrics import testing as T

QQ_TXT = """消息记录（此消息记录为文本格式，不支持重新导入）

================================================================
消息分组:我的QQ群
================================================================
消息对象:山茶社粉丝群
================================================================

2024-03-01 9:05:12 【群主】小山(10001)
欢迎大家！有问题随时问 😊

2024-03-01 9:06:40 系统消息(10000)
张三加入本群。

2024-03-01 9:07:02 张三(20002)
请问新款白茶什么时候上市？
2024-03-01 我在官网没找到

2024-03-01 9:09:30 李四<lisi@example.com>
下周三，官网有预告

2024-03-01 9:10:00 张三(20002)
[图片]

2024-03-01 9:11:00 小山(10001)
@张三 对的，下周三上市，有问题打 13812345678

2024-03-01 9:12:00 系统消息(10000)
李四撤回了一条消息

2024-03-01 9:20:00 系统消息(10000)
王五退出了群聊
"""

WECHAT_TXT = """2024-03-02 10:00:00 阿茶
大家周末有空来门店试饮吗？

2024-03-02 10:01:00 系统消息
"阿茶"邀请"小美"、"大壮"加入了群聊

2024-03-02 10:05:00 小美
这款冷泡怎么泡？

2024-03-02 10:30:00 大壮
「小美：这款冷泡怎么泡？」
- - - - - - - - - - - - - - -
四小时就好，放冰箱

2024-03-02 10:31:00 小美
@大壮\u2005谢谢！🍵
"""

WECHAT_CSV = (
    "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender\n"
    "1,123@chatroom,1,0,0,1709344800,2,请问积分怎么换？,2024-03-02 10:00:00,,小美,wxid_mei\n"
    "2,123@chatroom,47,0,0,1709344860,2,[表情],2024-03-02 10:01:00,,大壮,wxid_zhuang\n"
    "3,123@chatroom,1,0,0,1709344920,2,小程序里点我的就能换,2024-03-02 10:02:00,,阿茶,wxid_cha\n"
    "4,123@chatroom,10000,0,0,1709344980,2,\"\"\"大壮\"\" 撤回了一条消息\",2024-03-02 10:03:00,,,\n"
    "5,123@chatroom,1,0,0,1709345040,2,\"好的\n谢谢\",2024-03-02 10:04:00,,小美,wxid_mei\n"
    "6,123@chatroom,1,0,0,,2,没有时间的行,not a time,,小美,wxid_mei\n"
)


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _parse(tmp_path: Path, name: str, text: str, **kw) -> chats.ChatLog:
    p = _write(tmp_path, name, text)
    return chats.parse(p.read_text(encoding="utf-8"), p, **kw)


# ---- parsing ------------------------------------------------------------------------------------------------
def test_qq_txt_export_messages_events_and_replies(tmp_path):
    log = _parse(tmp_path, "群聊.txt", QQ_TXT)
    assert log.group_id == "山茶社粉丝群" and log.bad == []
    got = [(m.sender, m.sender_id, m.kind) for m in log.messages]
    assert got == [("小山", "10001", "text"), ("张三", "20002", "join"), ("张三", "20002", "text"),
                   ("李四", "lisi@example.com", "text"), ("张三", "20002", "image"), ("小山", "10001", "text"),
                   ("李四", "lisi@example.com", "recalled"), ("王五", "王五", "leave")]  # fmt: skip
    question, peer, image, staff = log.messages[2], log.messages[3], log.messages[4], log.messages[5]
    # a line starting with a date inside a message stays in it (QQ puts a blank line before every header)
    assert question.text == "请问新款白茶什么时候上市？\n2024-03-01 我在官网没找到" and question.is_question
    assert (peer.reply_to, peer.reply_how) == (question, "adjacent")
    # the mention answers 张三's question, not their later image
    assert (staff.reply_to, staff.reply_to_sender, staff.reply_how) == (question, "20002", "mention")
    assert image.reply_to is None
    records = log.records()
    assert records[5]["by_staff"] == "true"  # 【群主】 shown on the first line only still marks every line
    assert records[3]["by_staff"] == "false"


def test_wechat_txt_quote_mention_and_invites(tmp_path):
    log = _parse(tmp_path, "山茶会员群.txt", WECHAT_TXT)
    assert log.group_id == "山茶会员群"
    kinds = [(m.sender, m.kind) for m in log.messages]
    assert kinds == [("阿茶", "text"), ("小美", "join"), ("大壮", "join"), ("小美", "text"), ("大壮", "text"),
                     ("小美", "text")]  # fmt: skip
    q, quote, thanks = log.messages[3], log.messages[4], log.messages[5]
    assert quote.text == "四小时就好，放冰箱"  # the quoted block is not the member's own text
    assert (quote.reply_to, quote.reply_how) == (q, "quote")
    assert (thanks.reply_to, thanks.reply_how) == (quote, "mention")


def test_sender_first_txt_without_blank_lines(tmp_path):
    text = "小美 2024/3/2 10:00\n请问门店几点开？\n大壮 2024/3/2 10:03\n九点\n第二行\n"
    log = _parse(tmp_path, "chat.txt", text)
    assert [(m.sender, m.text) for m in log.messages] == [("小美", "请问门店几点开？"), ("大壮", "九点\n第二行")]
    assert log.messages[1].reply_how == "adjacent"


def test_stickers_and_counter_questions_answer_nothing(tmp_path):
    text = ("2024-03-02 10:00:00 小美\n请问门店几点开？\n\n2024-03-02 10:01:00 大壮\n[表情]\n\n"
            "2024-03-02 10:02:00 阿茶\n你问哪家店？\n\n2024-03-02 10:50:00 阿茶\n九点\n")
    log = _parse(tmp_path, "chat.txt", text)
    assert [m.reply_how for m in log.messages] == [None, None, None, None]  # the last is 48 minutes later


def test_wechat_csv_types_recall_multiline_and_bad_time(tmp_path):
    log = _parse(tmp_path, "export.csv", WECHAT_CSV)
    assert log.group_id == "123@chatroom"
    assert [(m.sender, m.kind) for m in log.messages] == [
        ("小美", "text"), ("大壮", "emoji"), ("阿茶", "text"), ("大壮", "recalled"), ("小美", "text")]
    assert log.messages[3].sender_id == "wxid_zhuang"  # the recall line names him; his id comes from his messages
    assert log.messages[2].reply_to is log.messages[0]  # the sticker answered nothing; the text did
    assert log.messages[4].text == "好的\n谢谢"
    assert [(row, reason.split(":")[0]) for row, reason, _ in log.bad] == [(6, "column StrTime")]


def test_unknown_csv_header_is_a_clear_error(tmp_path):
    from hudong.errors import HudongError

    with pytest.raises(HudongError, match="no sender, content column"):
        _parse(tmp_path, "x.csv", "日期,金额\n2024-01-01,3\n")


def test_staff_names_mark_the_organization(tmp_path):
    log = _parse(tmp_path, "c.txt", WECHAT_TXT, staff=("阿茶",))
    assert [r["by_staff"] for r in log.records() if r["sender_name"] == "阿茶"] == ["true"]


def test_ids_are_stable_across_overlapping_exports(tmp_path):
    a = _parse(tmp_path, "a.txt", QQ_TXT)
    b = _parse(tmp_path, "b.txt", QQ_TXT + "\n2024-03-01 9:30:00 张三(20002)\n谢谢！\n")
    assert [m.message_id for m in a.messages] == [m.message_id for m in b.messages][: len(a.messages)]


# ---- import -------------------------------------------------------------------------------------------------
@pytest.fixture
def ws(tmp_path):
    w = T.workspace(tmp_path / "ws")
    yield w
    w.close()


def test_import_gbk_quarantine_idempotent_and_redacted(ws, tmp_path):
    csv_text = "时间,发送人,内容,类型\n2024-03-01 09:00:00,小美,请问地址是哪里？,文本\n" \
               "2024-03-01 09:02:00,大壮,北京市朝阳区建国路88号,文本\n2024-03-01 99:99:99,小美,坏时间,文本\n"
    p = _write(tmp_path, "微信群.csv", csv_text, encoding="gbk")
    s = import_file(ws, p, "wechat-group-chat")
    assert s.tables["chat_messages"].stored == 2 and s.quarantined == 1
    row, column, reason = ws.con.execute("SELECT row_number, column_name, reason FROM quarantine").fetchone()
    assert row == 3 and "时间" in reason and "99:99:99" in reason
    texts = [r[0] for r in ws.con.execute("SELECT text FROM chat_messages ORDER BY created_at").fetchall()]
    assert texts[0] == "请问地址是哪里？" and "建国路88号" not in texts[1] and "[ADDRESS]" in texts[1]
    sender = ws.con.execute("SELECT sender_id FROM chat_messages ORDER BY created_at").fetchone()[0]
    assert sender == pseudonymise(ws.key, "wechat", "小美")  # pseudonymised at the door
    again = import_file(ws, p, "wechat-group-chat")
    assert again.tables["chat_messages"].stored == 0 and again.tables["chat_messages"].unchanged == 2
    name = ws.con.execute("SELECT display_name FROM contacts WHERE user_id = ?", [sender]).fetchone()[0]
    assert name == "小美"  # the name stays in contacts (the inbox's roles), not in the analytics tables


def test_staff_setting_reaches_the_import(tmp_path):
    from hudong.demo import configure_group_staff
    from hudong.store.workspace import Workspace

    T.workspace(tmp_path / "ws").close()
    configure_group_staff(tmp_path / "ws", ("阿茶",))  # [groups] staff = ["阿茶"] in hudong.toml
    w = Workspace.open(tmp_path / "ws")
    try:
        import_file(w, _write(tmp_path, "g.txt", WECHAT_TXT), "wechat-group-chat")
        staff = w.con.execute("SELECT count(*) FROM chat_messages WHERE by_staff").fetchone()[0]
        assert staff == 1
    finally:
        w.close()


def test_forget_removes_group_messages_and_unlinks_answers(ws, tmp_path):
    import_file(ws, _write(tmp_path, "qq.txt", QQ_TXT), "qq-group-chat")
    zhang = pseudonymise(ws.key, "qq", "20002")
    before = ws.con.execute("SELECT count(*) FROM chat_messages WHERE sender_id = ?", [zhang]).fetchone()[0]
    assert before == 3
    forget(ws, "20002", platform="qq")
    left = ws.con.execute(
        "SELECT count(*) FROM chat_messages WHERE sender_id = ? OR reply_to_user_id = ?", [zhang, zhang]).fetchone()[0]
    dangling = ws.con.execute("SELECT count(*) FROM chat_messages WHERE reply_to_id IS NOT NULL AND reply_to_id NOT "
                              "IN (SELECT message_id FROM chat_messages)").fetchone()[0]
    assert left == 0 and dangling == 0
    assert ws.con.execute("SELECT count(*) FROM chat_messages").fetchone()[0] == 5  # the others stay


# ---- measures (hand-computed) -------------------------------------------------------------------------------
def _m(mid, sender, minute, kind="text", *, q=False, to=None, to_user=None, staff=False, group="g1", day=0):
    t = dt.datetime(2024, 1, 1, 9) + dt.timedelta(days=day, minutes=minute)
    return dict(platform="wechat", message_id=mid, group_id=group, sender_id=sender, created_at=t, kind=kind,
                is_question=q, reply_to_id=to, reply_to_user_id=to_user, by_staff=staff)


def _fixture(tmp_path):
    rows = [
        _m("a1", "owner", 0, staff=True),
        *[_m(f"o{i}", "old", i) for i in range(1, 9)],  # the old hand: 8 messages in week 1
        _m("m1", "mia", 20),
        # newcomer nan joins on day 20 (a join line), asks at +10 min, answered by old at +25 min and by owner later
        _m("j1", "nan", 0, "join", day=20),
        _m("q1", "nan", 10, q=True, day=20),
        _m("r1", "old", 35, to="q1", to_user="nan", day=20),
        _m("r2", "owner", 40, to="q1", to_user="nan", staff=True, day=20),
        # newcomer ned: first seen on day 16 (≥ 14 days after the group's start), asks, nobody answers
        _m("q2", "ned", 0, q=True, day=16),
        # nan returns on day 50 (days 28–34 after arriving? 50 − 20 = 30: retained)
        _m("n2", "nan", 0, day=50),
        _m("x1", "mia", 0, day=60),  # mia answers nobody; the data ends on day 60
        _m("l1", "leo", 0, day=5), _m("l2", "leo", 0, "leave", day=6),  # leo left: not a member
    ]
    return T.workspace(tmp_path / "m", chat_messages=rows)


def test_measures_match_the_hand_calculation(tmp_path):
    w = _fixture(tmp_path)
    try:
        def one(name, **kw):
            return compute(w, name, **kw).to_pylist()[0]

        # week of 1 Jan: old, mia, leo (the owner is staff); of 15 Jan: ned, nan, old; then nan; then mia
        weekly = {r["week"]: r["value"] for r in compute(w, "group_active_members", by="week").to_pylist()}
        assert weekly == {dt.date(2024, 1, 1): 3, dt.date(2024, 1, 15): 3, dt.date(2024, 2, 19): 1,
                          dt.date(2024, 2, 26): 1}
        top = one("group_top_share")
        # members' messages: old 8+1, mia 2, nan 2, ned 1, leo 1 → 15 over 5 members; top ⌈10%⌉ = 1 member (old, 9)
        assert (top["members"], top["messages"]) == (5, 15) and top["value"] == pytest.approx(9 / 15)
        peer = one("group_peer_answers")
        assert (peer["member_answers"], peer["brand_answers"], peer["value"]) == (1, 1, 0.5)
        first = one("newcomer_answer_minutes")
        assert (first["questions"], first["answered"], first["value"]) == (2, 1, 25.0)  # nan's, from 9:10 to 9:35
        ret = one("newcomer_retention")
        # nan (day 20) is eligible (60 − 20 ≥ 34) and came back on day 50 (= day 30 after arriving): retained;
        # ned (day 16, 44 days of data) is eligible and never returned
        assert (ret["newcomers"], ret["retained"], ret["value"]) == (2, 1, 0.5)
        dorm = one("dormant_members")
        # as of day 60: old (last day 20), ned (16) are silent ≥ 30 days → dormant; nan (50), mia (60) not; leo left
        assert (dorm["members"], dorm["value"]) == (4, 2)
    finally:
        w.close()


def test_groups_analysis_scorecard_evidence_and_cli(tmp_path):
    w = _fixture(tmp_path)
    from hudong import analyses
    from hudong.decide.evidence import MetricCache, collect

    try:
        res = analyses.run(w, "groups")
        g = res.frame("groups").iloc[0]
        assert g["group"] == "g1" and g["peer_answers"] == 0.5 and g["dormant"] == 2
        assert res.frame("answerers").to_dict("records") == [
            {"platform": "wechat", "group": "g1", "member": "old", "answers": 1, "helped": 1}]
        ev = collect(MetricCache(w), ["group_peer_answers", "newcomer_answer_minutes"])
        assert ev["group_peer_answers"].value == 0.5 and ev["newcomer_answer_minutes"].value == 25.0
    finally:
        w.close()
    out = CliRunner().invoke(cli, ["-w", str(tmp_path / "m"), "groups"])
    assert out.exit_code == 0, out.output
    assert "g1" in out.output and "who answers whom" in out.output


def test_scorecard_says_how_to_supply_group_chats(ws):
    from hudong.decide.evidence import MetricCache, collect

    missing = collect(MetricCache(ws), ["group_peer_answers"])["group_peer_answers"]
    assert missing.requirement == "group_chats" and "--as wechat-group-chat" in missing.how("en")


def test_groups_api_names_kocs_only_for_the_roles_that_see_contacts(tmp_path):
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    d = tmp_path / "ws"
    T.workspace(d).close()
    ws = Workspace.open(d)
    import_file(ws, _write(tmp_path, "qq.txt", QQ_TXT), "qq-group-chat")
    auth.add_user(ws.con, "ana", "analyst", "pw-ana-123456")
    auth.add_user(ws.con, "vic", "viewer", "pw-vic-123456")
    ws.close()
    app = create_app(d, warm=False)
    try:
        out = signed_in(app, "ana", "pw-ana-123456").get("/api/groups", params={"platform": "qq"}).json()
        (g,) = out["groups"]
        assert g["group"] == "山茶社粉丝群" and g["peer_answers"] == 0.5 and g["newcomer_answered"] == 1
        assert [(a["answers"], a["display_name"]) for a in out["answerers"]] == [(1, "李四")]
        seen = signed_in(app, "vic", "pw-vic-123456").get("/api/groups").json()["answerers"]
        assert "display_name" not in seen[0] and seen[0]["member"].startswith("u_")  # a viewer sees pseudonyms
    finally:
        app.state.web.ws.close()
