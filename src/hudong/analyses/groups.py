"""Group chats as communities: the light-community measures per group, weekly activity, the members who answer
others most (community KOCs) and who answers whom — ``hudong groups``, ``GET /api/groups`` and the report's
community section. The measures are the registered metrics of ``hudong.metrics.groups`` (docs/metrics.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hudong.analyses.base import Result, analysis
from hudong.metrics import frame as metric_frame
from hudong.metrics.groups import CONTENT

# metric → the columns of the per-group table it fills (value first)
PER_GROUP = {
    "group_active_members": ("active_weekly",),
    "group_top_share": ("top10_share", "members_talking", "messages"),
    "group_peer_answers": ("peer_answers", "member_answers", "brand_answers"),
    "newcomer_answer_minutes": ("newcomer_minutes", "newcomer_questions", "newcomer_answered"),
    "newcomer_retention": ("newcomer_retention", "newcomers", "newcomers_retained"),
    "dormant_members": ("dormant", "members", "dormant_share"),
}
EXTRA = {"group_top_share": ("members", "messages"), "group_peer_answers": ("member_answers", "brand_answers"),
         "newcomer_answer_minutes": ("questions", "answered"), "newcomer_retention": ("newcomers", "retained"),
         "dormant_members": ("members", "share")}  # fmt: skip


@dataclass(frozen=True)
class GroupParams:
    platform: list[str] | None = None
    start: str | None = None
    end: str | None = None
    group: list[str] | None = None
    top: int = 10  # community KOCs and answer pairs shown per group


@analysis("groups", "社群(群聊)", "Group chats", tables=("chat_messages", "chat_groups", "users"),
          params=GroupParams, steps=2)  # fmt: skip
def groups(ws: Any, p: GroupParams, step: Any) -> Result:
    """Frames ``groups`` (one row per group: the measures of docs/communities.md), ``weekly`` (active members per
    week), ``answerers`` (community KOCs: members who answer other members most) and ``pairs`` (who answers whom).
    Members are pseudonyms; the operator resolves names with the roles [privacy] show_contacts_to allows."""
    step("measures per group")
    kw = {"platform": p.platform, "start": p.start, "end": p.end}
    parts = []
    for name, cols in PER_GROUP.items():
        df = metric_frame(ws, name, by=["platform", "group"], **kw)
        df = df.rename(columns={"value": cols[0], **dict(zip(EXTRA.get(name, ()), cols[1:], strict=True))})
        parts.append(df[["platform", "group", *cols]].astype({"platform": object, "group": object}))
    columns = ["platform", "group", *(c for cols in PER_GROUP.values() for c in cols), "name"]
    table = pd.DataFrame(columns=columns)
    if any(len(df) for df in parts):  # (empty frames do not merge: Arrow-backed keys without a type)
        table = parts[0]
        for df in parts[1:]:
            table = table.merge(df, on=["platform", "group"], how="outer")
        names = ws.con.execute("SELECT platform, group_id AS \"group\", name FROM chat_groups").df()
        table = table.merge(names.astype(object), on=["platform", "group"], how="left")[columns]
    weekly = metric_frame(ws, "group_active_members", by=["week", "platform", "group"], **kw)
    if p.group:
        table, weekly = table[table["group"].isin(p.group)], weekly[weekly["group"].isin(p.group)]
    table = table.sort_values("messages", ascending=False, na_position="last").reset_index(drop=True)
    step("who answers whom")
    answers = _answers(ws, p)
    answerers = (answers.groupby(["platform", "group", "member"])
                 .agg(answers=("answered", "size"), helped=("answered", "nunique"))
                 .reset_index().sort_values(["platform", "group", "answers", "member"],
                                            ascending=[True, True, False, True]))  # fmt: skip
    answerers = answerers.groupby(["platform", "group"]).head(p.top).reset_index(drop=True)
    pairs = (answers.groupby(["platform", "group", "member", "answered"]).size().rename("answers").reset_index()
             .sort_values(["platform", "group", "answers", "member"], ascending=[True, True, False, True]))
    pairs = pairs.groupby(["platform", "group"]).head(p.top).reset_index(drop=True)
    values = {"groups": len(table), "messages": int(table["messages"].fillna(0).sum()) if len(table) else 0}
    return Result({"groups": table, "weekly": weekly, "answerers": answerers, "pairs": pairs}, values)


def _answers(ws: Any, p: GroupParams) -> pd.DataFrame:
    """Member-to-member answers (neither side staff) in the filters: platform, group, member, answered."""
    where, args = ["m.reply_to_user_id IS NOT NULL", "m.reply_to_user_id <> m.sender_id",
                   f"m.kind IN ({', '.join('?' for _ in CONTENT)})"], list(CONTENT)  # fmt: skip
    for col, values in (("m.platform", p.platform), ("m.group_id", p.group)):
        if values:
            where.append(f"{col} IN ({', '.join('?' for _ in values)})")
            args += list(values)
    if p.start:
        where.append("m.created_at >= CAST(? AS DATE)")
        args.append(p.start)
    if p.end:
        where.append("m.created_at < CAST(? AS DATE) + INTERVAL 1 DAY")
        args.append(p.end)
    staff = ("SELECT platform, sender_id AS uid FROM chat_messages WHERE by_staff "
             "UNION SELECT platform, user_id FROM users WHERE is_staff")
    sql = f"""
        WITH staff AS ({staff})
        SELECT m.platform, m.group_id AS "group", m.sender_id AS member, m.reply_to_user_id AS answered
        FROM chat_messages m
        WHERE {' AND '.join(where)}
          AND (m.platform, m.sender_id) NOT IN (SELECT platform, uid FROM staff)
          AND (m.platform, m.reply_to_user_id) NOT IN (SELECT platform, uid FROM staff)"""
    return ws.con.execute(sql, args).df()
