"""Group-chat exports (WeChat/QQ groups) → one record per message or member event, with replies inferred.

The reader format ``chat`` (``ReaderOptions.format``) hands a decoded file here. Three shapes are read:

- **QQ's own TXT export** (PC client, 消息管理器 → 导出为 .txt): a preamble (消息记录 / 消息分组 / 消息对象 = the
  group's name), then ``2024-03-01 9:05:12 【管理员】小山(10001)`` header lines, each followed by its text.
- **TXT from WeChat export tools** (MemoTrace/留痕, WeChatMsg and the like): ``2024-03-01 09:05:12 小山`` or
  ``小山 2024-03-01 09:05:12`` header lines, each followed by its text.
- **CSV from those tools**: a header row naming time, sender, content and (optionally) type, sender id, group and
  message id columns, in Chinese or English (``ALIASES``); WeChat's numeric message types are understood.

In TXT a message runs until the next header line; when most headers follow a blank line (QQ, MemoTrace) a header
must, so a message line that starts with a date stays in its message. Lines that belong to no message are
reported as bad rows (quarantined), never dropped. System lines become member events: ``join`` (one per person
invited), ``leave``, ``recalled``; placeholders (``[图片]``, ``[语音]`` …) set the kind.

Replies between members (``reply_to``), in order of evidence:
1. ``quote``: a quoted message (WeChat 「name：text」 block, ``引用 name:``, QQ ``[回复 name: …]``);
2. ``mention``: ``@name`` of a member seen in the file; it answers that member's latest message of the last 24 h;
3. ``adjacent``: the first text by someone else within 30 minutes of an unanswered question, when it addresses
   no one explicitly and is not a question itself. Only questions get an adjacent answer: chat flows on without
   answering ordinary lines, and a sticker or an image answers nothing.

Message ids are the export's where it has them, else a hash of (group, time, sender, text, occurrence), so a
later export overlapping an earlier one stores each message once.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudong.errors import HudongError

ANSWER_WINDOW = dt.timedelta(minutes=30)
MENTION_WINDOW = dt.timedelta(hours=24)

_TIME = r"(?P<time>\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s+\d{1,2}:\d{2}(?::\d{2})?)"
_HEAD_TIME_FIRST = re.compile(rf"^{_TIME}(?:\s+(?P<sender>\S.*?))?\s*$")
_HEAD_SENDER_FIRST = re.compile(rf"^(?P<sender>\S.*?)\s+{_TIME}\s*$")
_QQ_SENDER = re.compile(r"^(?:【(?P<title>[^】]*)】)?(?P<name>.*?)(?:\((?P<id>\d{4,12})\)|<(?P<mail>[^<>]+)>)?$")
_QQ_PREAMBLE = re.compile(r"^(?:消息记录|消息分组[:：]|消息对象[:：]|=+$)")
_QQ_OBJECT = re.compile(r"^消息对象[:：]\s*(?P<name>.+?)\s*$")
_SYSTEM_SENDERS = {"系统消息", "系统提示", "系统", "system", "System"}
_ROLES = {"群主": "owner", "管理员": "admin", "owner": "owner", "admin": "admin"}

_Q = r'["“”「」]?'
_JOIN = (
    re.compile(rf"^{_Q}(?P<by>.+?){_Q}\s*邀请\s*(?P<who>.+?)\s*加入了?群聊"),
    re.compile(rf"^{_Q}(?P<who>.+?){_Q}\s*通过扫描.*二维码加入群聊"),
    re.compile(rf"^{_Q}(?P<who>.+?){_Q}\s*(?:加入了群聊|加入本群|加入了本群|已加入群聊|进群了)"),
)
_LEAVE = (
    re.compile(rf"^{_Q}(?P<by>.+?){_Q}\s*将\s*(?P<who>.+?)\s*移出了?群聊"),
    re.compile(rf"^{_Q}(?P<who>.+?){_Q}\s*(?:退出了群聊|已退出该群|退出了本群|退出本群|离开了本群|被.{{0,20}}移出(?:了)?(?:本群|群聊))"),
)
_RECALL = re.compile(rf"^{_Q}(?P<who>.+?){_Q}\s*撤回了一条(?:成员)?消息")
_PLACEHOLDERS = {
    "图片": "image", "表情": "emoji", "动画表情": "emoji", "语音": "voice", "视频": "video", "文件": "file",
    "链接": "link", "分享": "link", "小程序": "link", "位置": "location", "名片": "other", "红包": "other",
    "转账": "other", "聊天记录": "other", "音乐": "link", "视频号": "link",
}
_PLACEHOLDER = re.compile(r"^\[(?P<what>[^\[\]]{1,6})\]")
_QUOTE_BLOCK = re.compile(r"「(?P<who>[^：:」\n]{1,40})[：:](?P<quoted>.*?)」[ \t]*(?:\n[ \t]*(?:-[ \t]*){3,})?\s*", re.S)
_QUOTE_LINE = re.compile(r"^\s*引用\s*(?P<who>[^：:\n]{1,40})[：:]\s*(?P<quoted>.*)$", re.M)
_QQ_REPLY = re.compile(r"^\[回复\s*@?(?P<who>[^:：\]\n]{1,40})(?:[:：](?P<quoted>[^\]]*))?\]\s*")
_MENTION = re.compile(r"@(?P<rest>[^\s@\u2005]{1,40})")
_ALL = {"所有人", "全体成员", "all", "All"}
_QUESTION = re.compile(
    r"[?？]|请问|怎么|怎样|如何|为什么|为啥|哪里|哪儿|哪个|哪些|多少|几点|什么时候|能不能|可不可以|有没有|是不是|"
    r"吗[。!！~～\s]*$|呢[。~～\s]*$|\b(?:how|what|why|where|when|which|who)\b",
    re.I,
)

# CSV header aliases (lower-cased) → field.
ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("时间", "发送时间", "消息时间", "日期时间", "日期", "strtime", "time", "datetime", "date", "timestamp"),
    "epoch": ("createtime", "create_time", "时间戳"),
    "sender": ("发送人", "发送者", "发言人", "群昵称", "昵称", "发送人昵称", "成员", "nickname", "sender_name", "name",
               "from", "remark"),
    "sender_id": ("发送人id", "发送者id", "微信号", "wxid", "qq号", "qq", "sender", "sender_id", "user_id", "账号"),
    "content": ("内容", "消息内容", "消息", "聊天内容", "strcontent", "content", "message", "text", "msg"),
    "type": ("类型", "消息类型", "type", "msg_type", "message_type"),
    "subtype": ("subtype", "子类型"),
    "group": ("群名称", "群聊", "群名", "群", "talkerid", "talker", "group", "chat", "会话", "群聊名称"),
    "id": ("消息id", "msgsvrid", "localid", "msg_id", "message_id", "id"),
    "role": ("身份", "群身份", "role"),
}
_WECHAT_TYPES = {1: "text", 3: "image", 34: "voice", 42: "other", 43: "video", 47: "emoji", 48: "location", 49: "link",
                 50: "other", 10000: "system", 10002: "system"}
_TYPE_WORDS = {
    "文本": "text", "文字": "text", "text": "text", "图片": "image", "image": "image", "语音": "voice", "voice": "voice",
    "视频": "video", "video": "video", "表情": "emoji", "动画表情": "emoji", "emoji": "emoji", "sticker": "emoji",
    "文件": "file", "file": "file", "链接": "link", "分享": "link", "link": "link", "位置": "location",
    "location": "location", "系统消息": "system", "系统": "system", "system": "system", "撤回": "recalled",
    "recalled": "recalled", "引用": "text", "quote": "text",
}


@dataclass
class Message:
    row: int  # line (TXT) or row (CSV) of the message in the file
    time: dt.datetime
    sender: str  # display name
    sender_id: str  # the export's id (QQ number, wxid) or the display name
    text: str | None
    kind: str = "text"
    role: str | None = None
    native_id: str | None = None
    quote: tuple[str, str] | None = None  # (name, quoted text)
    message_id: str = ""
    reply_to: Message | None = None
    reply_to_sender: str | None = None
    reply_how: str | None = None
    is_question: bool = False
    group: str | None = None  # CSV exports of several groups name it per row


@dataclass
class ChatLog:
    group_id: str
    group_name: str
    messages: list[Message] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw)
    ids: dict[str, str] = field(default_factory=dict)  # display name → the export's id (QQ number, wxid)

    def records(self) -> list[dict[str, Any]]:
        return [
            {
                "group": m.group or self.group_id, "group_name": m.group or self.group_name, "message_id": m.message_id,
                "time": m.time.isoformat(sep=" "), "sender": m.sender_id, "sender_name": m.sender, "kind": m.kind,
                "text": m.text, "is_question": "true" if m.is_question else "false",
                "reply_to": m.reply_to.message_id if m.reply_to else None, "reply_to_sender": m.reply_to_sender,
                "reply_how": m.reply_how, "by_staff": "true" if m.role in ("owner", "admin", "staff") else "false",
                "role": m.role,
            }
            for m in self.messages
        ]


def parse(text: str, path: Path, staff: tuple[str, ...] | list[str] = ()) -> ChatLog:
    """The chat in ``text`` (the decoded file ``path``): messages with kinds, ids and inferred replies. ``staff``:
    names or ids of the organization's people (exports mark only QQ's 群主/管理员)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix.lower() in (".csv", ".tsv") or _looks_tabular(text):
        log = _parse_csv(text, path)
    else:
        log = _parse_txt(text, path)
    roles = {m.sender_id: m.role for m in log.messages if m.role}  # QQ shows 【群主】 on some lines only
    for m in log.messages:  # a join line names a member before their first message shows their id
        if m.kind in ("join", "leave", "recalled") and m.sender_id == m.sender:
            m.sender_id = log.ids.get(m.sender, m.sender_id)
        m.role = m.role or roles.get(m.sender_id) or ("staff" if {m.sender, m.sender_id} & set(staff) else None)
    _assign_ids(log)
    infer_replies(log.messages)
    return log


# ---- TXT --------------------------------------------------------------------------------------------------
def _looks_tabular(text: str) -> bool:
    first = next((line for line in text.split("\n", 20) if line.strip()), "")
    cells = [c.strip().strip('"').lower() for c in re.split(r"[,\t]", first)]
    known = {a for names in ALIASES.values() for a in names}
    return sum(c in known for c in cells) >= 2


def _header(line: str) -> re.Match[str] | None:
    if not line or line[0].isspace():
        return None
    return _HEAD_TIME_FIRST.match(line) or _HEAD_SENDER_FIRST.match(line)


def _parse_txt(text: str, path: Path) -> ChatLog:
    lines = text.split("\n")
    heads = [i for i, line in enumerate(lines) if _header(line)]
    after_blank = sum(1 for i in heads if i == 0 or not lines[i - 1].strip())
    need_blank = bool(heads) and after_blank >= 0.8 * len(heads)
    name = None
    log = ChatLog("", "")
    current: tuple[int, re.Match[str]] | None = None
    body: list[str] = []
    in_preamble = True

    def flush() -> None:
        if current is not None:
            _add_txt_message(log, current[0], current[1], body)

    for i, line in enumerate(lines):
        m = _header(line)
        if m and (not need_blank or i == 0 or not lines[i - 1].strip()):
            flush()
            current, body, in_preamble = (i + 1, m), [], False
            continue
        if current is not None:
            body.append(line)
        elif line.strip():
            obj = _QQ_OBJECT.match(line.strip())
            if obj:
                name = obj["name"]
            elif not (in_preamble and _QQ_PREAMBLE.match(line.strip())):
                log.bad.append((i + 1, "line belongs to no message: no 'time sender' line before it", line[:500]))
    flush()
    log.group_name = name or _stem(path)
    log.group_id = log.group_name
    return log


def _add_txt_message(log: ChatLog, row: int, head: re.Match[str], body: list[str]) -> None:
    while body and not body[-1].strip():
        body.pop()
    content = "\n".join(body).strip("\n")
    try:
        when = parse_time(head["time"])
    except ValueError as e:
        log.bad.append((row, str(e), head.group(0)[:500]))
        return
    raw_sender = (head["sender"] or "").strip()
    sm = _QQ_SENDER.match(raw_sender)
    title = sm["title"] if sm else None
    name = (sm["name"] if sm else raw_sender).strip() or raw_sender
    sid = (sm["id"] or sm["mail"]) if sm else None
    system = not raw_sender or name in _SYSTEM_SENDERS or sid in ("10000", "1000000")
    _add(log, row, when, name, sid or name, content, system=system, role=_ROLES.get(title or ""))


# ---- CSV --------------------------------------------------------------------------------------------------
def _parse_csv(text: str, path: Path) -> ChatLog:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return ChatLog(_stem(path), _stem(path))
    keys = [h.strip().strip('"').lower() for h in header]
    cols: dict[str, int] = {}  # each field from its best-ranked alias present (NickName before Remark)
    for fld, names in ALIASES.items():
        ranked = [(names.index(k), j) for j, k in enumerate(keys) if k in names and j not in cols.values()]
        if ranked:
            cols[fld] = min(ranked)[1]
    if "sender_id" in cols and "sender" not in cols:
        cols["sender"] = cols["sender_id"]
    missing = [f for f in ("sender", "content") if f not in cols] + ([] if {"time", "epoch"} & set(cols) else ["time"])
    if missing:
        raise HudongError(
            f"{path}: not a group-chat export this reader knows: no {', '.join(missing)} column (header: "
            f"{', '.join(header[:12])}); expected e.g. 时间, 发送人, 内容, 类型"
        )
    log = ChatLog("", "")
    groups: set[str] = set()
    for n, row in enumerate(reader, start=1):
        if not any(c.strip() for c in row):
            continue

        def get(fld: str, row: list[str] = row) -> str:
            j = cols.get(fld)
            return row[j].strip() if j is not None and j < len(row) else ""

        raw = delimiter.join(row)[:500]
        try:
            when = parse_time(get("time")) if get("time") else _epoch(get("epoch"))
        except ValueError as e:
            log.bad.append((n, f"column {header[cols.get('time', cols.get('epoch', 0))]}: {e}", raw))
            continue
        sender, sid = get("sender"), get("sender_id")
        kind = _csv_kind(get("type"), get("subtype"))
        if not sender and not sid and kind != "system":
            log.bad.append((n, f"column {header[cols['sender']]}: no sender", raw))
            continue
        if get("group"):
            groups.add(get("group"))
        _add(log, n, when, sender or sid, sid or sender, get("content"), system=kind == "system", kind=kind,
             native_id=get("id") or None, role=_ROLES.get(get("role")), group=get("group") or None)
    log.group_id = log.group_name = next(iter(sorted(groups)), None) or _stem(path)
    return log


def _csv_kind(value: str, subtype: str) -> str | None:
    if not value:
        return None
    if value.isdigit():
        if int(value) == 49 and subtype == "57":
            return "text"  # a quote reply
        if int(value) == 49 and subtype == "6":
            return "file"
        return _WECHAT_TYPES.get(int(value), "other")
    return _TYPE_WORDS.get(value.strip().lower(), "other")


def _epoch(value: str) -> dt.datetime:
    try:
        secs = float(value)
    except ValueError:
        raise ValueError(f"cannot read {value!r} as a time") from None
    if secs > 1e11:  # milliseconds
        secs /= 1000
    return dt.datetime.fromtimestamp(secs, dt.UTC).astimezone().replace(tzinfo=None)


# ---- one line → a message or member events ----------------------------------------------------------------
def _add(log: ChatLog, row: int, when: dt.datetime, name: str, sid: str, content: str, *, system: bool,
         role: str | None = None, kind: str | None = None, native_id: str | None = None,
         group: str | None = None) -> None:
    text = content.strip() or None

    def msg(n: str, i: str, t: str | None, k: str, r: str | None = None, nid: str | None = native_id) -> Message:
        m = Message(row, when, n, i, t, k, r, nid, group=group)
        log.messages.append(m)
        return m

    if system or kind in ("system", "recalled"):
        events = _member_events(text or "")
        if events:
            for ev_kind, who in events:
                msg(who, log.ids.get(who, who), None, ev_kind, nid=None)
            return
        if kind == "recalled" and not system:
            msg(name, sid, None, "recalled", role)
        else:
            msg(name or "system", sid or "system", text, "system")
        return
    log.ids.setdefault(name, sid)
    recalled = _RECALL.match(text or "")
    if recalled and recalled["who"] in (name, "你"):
        msg(name, sid, None, "recalled", role)
        return
    m = msg(name, sid, text, kind or "text", role)
    if text:
        ph = _PLACEHOLDER.match(text)
        if ph and ph["what"] in _PLACEHOLDERS and kind in (None, "text"):
            m.kind = _PLACEHOLDERS[ph["what"]]
        m.text, m.quote = _strip_quote(text)
        m.is_question = m.kind == "text" and bool(m.text and _QUESTION.search(m.text))


def _member_events(text: str) -> list[tuple[str, str]]:
    first = text.strip().split("\n", 1)[0]
    for pattern in _JOIN:
        m = pattern.match(first)
        if m:
            return [("join", w) for w in _names(m["who"])]
    for pattern in _LEAVE:
        m = pattern.match(first)
        if m:
            return [("leave", w) for w in _names(m["who"])]
    m = _RECALL.match(first)
    if m:
        return [("recalled", w) for w in _names(m["who"])]
    return []


def _names(who: str) -> list[str]:
    parts = re.split(r"[、,，]|\s和\s", who)
    return [p.strip().strip('"“”「」') for p in parts if p.strip().strip('"“”「」')]


def _strip_quote(text: str) -> tuple[str | None, tuple[str, str] | None]:
    for pattern in (_QQ_REPLY, _QUOTE_BLOCK, _QUOTE_LINE):
        m = pattern.search(text)
        if m:
            rest = (text[: m.start()] + text[m.end():]).strip()
            return rest or None, (m["who"].strip(), (m["quoted"] or "").strip())
    return text, None


# ---- ids and replies --------------------------------------------------------------------------------------
def _assign_ids(log: ChatLog) -> None:
    seen: dict[str, int] = {}
    for m in log.messages:
        group = m.group or log.group_id
        base = f"{group}\x1f{m.time.isoformat()}\x1f{m.sender_id}\x1f{m.kind}\x1f{m.text or ''}"
        n = seen[base] = seen.get(base, 0) + 1
        if m.native_id:
            m.message_id = f"{group}:{m.native_id}" if m.kind not in ("join", "leave") else ""
        if not m.message_id:
            m.message_id = hashlib.blake2b(f"{base}\x1f{n}".encode(), digest_size=12).hexdigest()


def infer_replies(messages: list[Message]) -> None:
    """Set ``reply_to`` / ``reply_to_sender`` / ``reply_how`` on ``messages`` (in time order; see the module doc)."""
    names = {m.sender: m.sender_id for m in messages if m.kind not in ("system",)}
    ordered = sorted(names, key=len, reverse=True)
    latest: dict[str, Message] = {}  # sender id → their latest message
    asked: dict[str, Message] = {}  # sender id → their latest question
    open_questions: list[Message] = []
    for m in messages:
        if m.kind in ("join", "leave", "recalled", "system"):
            continue
        target = _explicit_target(m, names, ordered)
        if target is not None:
            how, sid, quoted = target
            prior = _answered(m, how, quoted, [q for q in (asked.get(sid), latest.get(sid)) if q is not None])
            if prior is not None:
                m.reply_to = prior
            m.reply_to_sender, m.reply_how = sid, how
            open_questions = [q for q in open_questions if q is not m.reply_to]
        elif m.kind == "text" and not m.is_question:  # a sticker or a counter-question answers nothing
            open_questions = [q for q in open_questions if m.time - q.time <= ANSWER_WINDOW]
            answered = next((q for q in reversed(open_questions) if q.sender_id != m.sender_id), None)
            if answered is not None:
                m.reply_to, m.reply_to_sender, m.reply_how = answered, answered.sender_id, "adjacent"
                open_questions.remove(answered)
        if m.is_question:
            open_questions.append(m)
            asked[m.sender_id] = m
        latest[m.sender_id] = m


def _answered(m: Message, how: str, quoted: str, candidates: list[Message]) -> Message | None:
    """The message a quote or mention answers: the quoted one, else their latest question, else their latest
    message (a mention only within 24 hours)."""
    if how == "quote" and quoted:
        hit = next((c for c in candidates if c.text and quoted[:10] in c.text), None)
        if hit is not None:
            return hit
    recent = [c for c in candidates if how == "quote" or m.time - c.time <= MENTION_WINDOW]
    return recent[0] if recent else None


def _explicit_target(m: Message, names: dict[str, str], ordered: list[str]) -> tuple[str, str, str] | None:
    if m.quote is not None:
        who, quoted = m.quote
        if who in names and names[who] != m.sender_id:
            return "quote", names[who], quoted
    for hit in _MENTION.finditer(m.text or ""):
        rest = (m.text or "")[hit.start() + 1:]
        if any(rest.startswith(a) for a in _ALL):
            continue
        who = next((n for n in ordered if rest.startswith(n)), None)
        if who is not None and names[who] != m.sender_id:
            return "mention", names[who], ""
    return None


# ---- helpers ----------------------------------------------------------------------------------------------
def parse_time(value: str) -> dt.datetime:
    """``2024-03-01 9:05:12``, ``2024/3/1 09:05``, ``2024年3月1日 09:05:12`` → a naive datetime."""
    v = re.sub(r"[年月/.]", "-", value.strip()).replace("日", "")
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?", v)
    if not m:
        raise ValueError(f"cannot read {value!r} as a time (expected YYYY-MM-DD HH:MM[:SS])")
    y, mo, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    try:
        return dt.datetime(y, mo, d, h, mi, s)
    except ValueError as e:
        raise ValueError(f"cannot read {value!r} as a time ({e})") from None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".xz", ".bz2", ".txt", ".csv", ".tsv"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name
