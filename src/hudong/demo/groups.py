"""The demo's group chats, written as the files a PC export tool produces: the brand's QQ fan group in QQ's own TXT
export and its WeChat member group as a MemoTrace-style CSV. They are imported like a user's exports
(``qq-group-chat``, ``wechat-group-chat``), so the demo exercises the chat parser and the community measures.

The world: members join over the six months (a join line each), a newcomer often asks a first question within days,
answered by another member (more often as the group matures) or by the brand's staff (群主/管理员), by @mention,
by quote or right after; members chat with a heavy-tailed activity, some go quiet, some leave, a few recall a
message; images, stickers and multi-line messages appear as they do in real exports.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hudong.demo.timeline import DAY, DAYS, START

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = ["小茶", "晓雨", "一一", "阿杰", "明明", "思思", "大鹏", "静静", "乐乐", "桃子", "阿宝", "小鱼", "木木", "嘉嘉",
         "安安", "橙子", "豆豆", "阿飞", "小北", "七七"]
QUESTIONS = ["请问新出的白茶什么时候到货？", "有人试过冷泡吗？怎么泡比较好", "会员积分怎么兑换呀", "这款适合送长辈吗？",
             "快递一般几天到？", "群里有没有上海的朋友，线下活动在哪里", "茶叶保质期多久？", "请问团购怎么参加"]
ANSWERS = ["下周一到货，官网可以预约", "冷泡四小时就好，我一般放冰箱过夜", "小程序里点我的-积分就能换", "很合适，我买过两次了",
           "江浙沪一般两天", "在静安那家门店，周六下午", "没开封的两年，开了尽量三个月喝完", "群公告里有链接哦"]
CHATTER = ["今天的茶真香", "早上好", "[图片]", "[表情]", "哈哈哈", "同意", "刚下单了新品", "周末愉快",
           "这次包装好看多了\n颜色也喜欢", "[语音]", "谢谢分享！", "晚安", "打卡第三天 🍵", "收到了，很快"]
STAFF = (("山茶小助手", "群主"), ("客服阿山", "管理员"))  # the brand's people in both groups ([groups] staff)
STAFF_LINES = ["欢迎新朋友！有问题随时问 😊", "本周六直播品鉴，记得来", "新品试饮名额还剩 10 个，群里报名",
               "感谢大家反馈，已经转给产品同学"]


@dataclass
class Line:
    t: int  # demo seconds
    name: str
    sid: str
    text: str
    role: str = ""  # 群主 / 管理员
    kind: str = "text"  # text | join | recall


def _names(rng: np.random.Generator, n: int) -> list[str]:
    out, seen = [], set()
    while len(out) < n:
        name = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
        if len(seen) >= len(SURNAMES) * len(GIVEN) * 0.8:
            name += str(len(out))
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def simulate_group(rng: np.random.Generator, scale: float, *, qq: bool) -> list[Line]:
    """One group's lines in time order."""
    n = max(30, int(round(300 * scale)))
    names = [s for s, _ in STAFF] + _names(rng, n)
    staff = list(STAFF) if qq else [(s, "") for s, _ in STAFF]  # WeChat exports do not mark the owner
    sid = {nm: (str(10000 + 7919 * i % 90000 + 100000) if qq else f"wxid_{i:05d}{nm[:1]}") for i, nm in enumerate(names)}
    lines: list[Line] = []
    founders = n // 3
    joined = np.concatenate([np.zeros(founders, np.int64),
                             np.sort(rng.integers(14 * DAY, DAYS * DAY, n - founders))])  # fmt: skip
    activity = rng.pareto(1.2, n) + 0.05  # messages per week, heavy-tailed
    quits = np.where(rng.random(n) < 0.12, joined + rng.integers(7 * DAY, 120 * DAY, n), 10**12)
    quiet = np.where(rng.random(n) < 0.3, joined + rng.integers(10 * DAY, 90 * DAY, n), 10**12)
    members = names[2:]
    for i, name in enumerate(members):
        t0 = START + int(joined[i])
        if joined[i] > 0:
            lines.append(Line(t0, name, sid[name], f"{name}加入本群。" if qq else f'"{staff[0][0]}"邀请"{name}"加入了群聊',
                              kind="join"))
            lines.append(Line(t0 + 60, *_staff(staff, sid, 0), text=STAFF_LINES[0]))
            if rng.random() < 0.75:  # the first question, and its answer
                tq = t0 + int(rng.exponential(2 * DAY))
                q = QUESTIONS[rng.integers(len(QUESTIONS))]
                lines.append(Line(tq, name, sid[name], q))
                if rng.random() < 0.85:
                    maturity = (tq - START) / (DAYS * DAY)
                    peer = rng.random() < 0.3 + 0.45 * maturity
                    who = members[rng.integers(len(members))] if peer else staff[rng.integers(2)][0]
                    if who == name:
                        who = staff[0][0]
                    role = next((r for s, r in staff if s == who), "")
                    ta = tq + int(rng.lognormal(np.log(25 if peer else 50), 1.0) * 60)
                    a = ANSWERS[QUESTIONS.index(q)]
                    style = rng.random()
                    text = f"@{name} {a}" if style < 0.6 else (f"「{name}：{q}」\n- - - - - - - - - - - - - - -\n{a}"
                                                              if style < 0.75 and not qq else a)
                    lines.append(Line(ta, who, sid[who], text, role))
        weeks = (min(quits[i], quiet[i], DAYS * DAY) - joined[i]) / (7 * DAY)
        k = rng.poisson(max(weeks, 0) * activity[i])
        for t in np.sort(START + joined[i] + rng.integers(3600, max(int(weeks * 7 * DAY), 3601), k)):
            text = CHATTER[rng.integers(len(CHATTER))]
            lines.append(Line(int(t), name, sid[name], text))
            if rng.random() < 0.02:
                lines.append(Line(int(t) + 30, name, sid[name], f"{name}撤回了一条消息", kind="recall"))
        if quits[i] < DAYS * DAY:
            lines.append(Line(START + int(quits[i]), name, sid[name], f"{name}退出了群聊", kind="leave"))
    for w in range(DAYS // 7):  # the staff's weekly announcement
        lines.append(Line(START + w * 7 * DAY + 10 * 3600, *_staff(staff, sid, 0),
                          text=STAFF_LINES[1 + w % (len(STAFF_LINES) - 1)]))
    lines.sort(key=lambda x: (x.t, x.kind != "join"))
    return [x for x in lines if START <= x.t < START + DAYS * DAY]


def _staff(staff: list[tuple[str, str]], sid: dict[str, str], i: int) -> tuple[str, str]:
    return staff[i][0], sid[staff[i][0]]


def _when(t: int, *, qq: bool) -> str:
    d = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=t)
    return f"{d:%Y-%m-%d} {d.hour}:{d:%M:%S}" if qq else f"{d:%Y-%m-%d %H:%M:%S}"


def write_qq_txt(lines: list[Line], path: Path, group: str) -> Path:
    """QQ's TXT export: preamble, then 'time name(QQ)' + text, a blank line between messages."""
    out = ["消息记录（此消息记录为文本格式，不支持重新导入）", "", "=" * 64, "消息分组:我的QQ群", "=" * 64,
           f"消息对象:{group}", "=" * 64, ""]  # fmt: skip
    for x in lines:
        if x.kind in ("join", "leave", "recall"):
            out += [f"{_when(x.t, qq=True)} 系统消息(10000)", x.text, ""]
        else:
            title = f"【{x.role}】" if x.role else ""
            out += [f"{_when(x.t, qq=True)} {title}{x.name}({x.sid})", x.text, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def write_wechat_csv(lines: list[Line], path: Path, group: str) -> Path:
    """A MemoTrace-style CSV: numeric WeChat message types, system lines (type 10000) for joins and recalls."""
    path.parent.mkdir(parents=True, exist_ok=True)
    types = {"[图片]": 3, "[表情]": 47, "[语音]": 34}
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status", "StrContent",
                    "StrTime", "Remark", "NickName", "Sender"])
        for n, x in enumerate(lines, start=1):
            system = x.kind in ("join", "leave", "recall")
            typ = 10000 if system else types.get(x.text, 49 if x.text.startswith("「") else 1)
            sub = 57 if typ == 49 else 0
            w.writerow([n, group, typ, sub, 0, x.t - 8 * 3600, 2, x.text, _when(x.t, qq=False), "",
                        "" if system else x.name, "" if system else x.sid])
    return path


def write_exports(rng: np.random.Generator, out: Path, scale: float, start_index: int) -> list[tuple[Path, str]]:
    """Both groups' export files with their import formats."""
    qq = simulate_group(rng, scale, qq=True)
    wx = simulate_group(rng, scale, qq=False)
    return [
        (write_qq_txt(qq, out / f"{start_index:02d}_group_chat_qq.txt", "山茶社粉丝QQ群"), "qq-group-chat"),
        (write_wechat_csv(wx, out / f"{start_index + 1:02d}_group_chat_wechat.csv", "山茶社会员群"), "wechat-group-chat"),
    ]
