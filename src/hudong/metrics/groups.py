"""Light-community measures of group chats (WeChat/QQ groups; ``chat_messages``): who takes part, whether members
answer each other, how newcomers are received, and who has gone quiet.

Members are per (platform, group, sender). The organization's side — ``by_staff`` (the group owner/admins the export
marks) or ``users.is_staff`` — is excluded from the member counts and counted as "brand" in answers. A message is a
content row (text, image, voice …, or a recalled one); join/leave/system rows are member events. Replies are the ones
inferred at import (``reply_to_id``; docs/communities.md). A newcomer is a member whose join is in the data, or whose
first row comes at least 14 days after the group's first row (before that, a first message may be an old member's).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from hudong.metrics.common import Query, Tables, agg, filter_obs, group, is_true, period_bounds, ratio, wall_minutes
from hudong.metrics.community import _per_unit_active
from hudong.metrics.registry import metric

_T = ("chat_messages", "users")
_F = ("platform",)
CONTENT = ("text", "image", "voice", "video", "emoji", "file", "link", "location", "other", "recalled")
NEWCOMER_AFTER_DAYS = 14  # first row this long after the group's first row: a newcomer without a join line
FIRST_QUESTION_DAYS = 28  # a newcomer's first question counts when asked within this many days of arriving
DORMANT_DAYS = 30
SOURCE = "hudong's rule for light communities (seed FAQ 2: 微信群/QQ群 运营); docs/communities.md"
CMX = "CMX Community Industry Report: peer-to-peer answers and newcomer response as health signals; " + SOURCE
_DIMS = ("week", "month", "platform", "group")


def _staff(t: Tables) -> ir.Table:
    """(platform, group, user) of the organization's people: marked by_staff in the group, or users.is_staff."""
    m, u = t["chat_messages"], t["users"]
    marked = m.filter(is_true(m.by_staff)).select(s_platform=m.platform, s_user=m.sender_id)
    flagged = u.filter(is_true(u.is_staff)).select(s_platform=u.platform, s_user=u.user_id)
    return marked.union(flagged).distinct()


def messages(t: Tables) -> ir.Table:
    """Chat rows with standard names: platform, group, message_id, user, ts, kind, question, reply_to, answers
    (the member answered), staff (sender is the organization's), to_staff (the member answered is)."""
    m = t["chat_messages"]
    s = _staff(t)
    j = m.left_join(s, [m.platform == s.s_platform, m.sender_id == s.s_user])
    j = j.select(platform=j.platform, group=j.group_id, message_id=j.message_id, user=j.sender_id,
                 ts=j.created_at, kind=j.kind, question=is_true(j.is_question), reply_to=j.reply_to_id,
                 answers=j.reply_to_user_id, staff=j.s_user.notnull())
    s2 = _staff(t).select(t_platform="s_platform", t_user="s_user")
    k = j.left_join(s2, [j.platform == s2.t_platform, j.answers == s2.t_user])
    return k.select(*[k[c] for c in j.columns], to_staff=k.t_user.notnull())


def _member_content(t: Tables) -> ir.Table:
    m = messages(t)
    return m.filter(m.kind.isin(CONTENT), ~m.staff)


@metric(name="group_active_members", label_en="Active group members (weekly)", label_zh="社群周活跃成员",
        formula="unique members (staff excluded) who sent a message in an ISO week; coarser cells: mean over weeks "
                "with messages", source=SOURCE, unit="users", grain="member-week", dimensions=_DIMS,
        higher_is_better=True, extra_columns=("units",), filters=_F, tables=_T)
def group_active_members(t: Tables, q: Query) -> ir.Table:
    """Weekly active members of group chats (a message of any content type, recalled ones included)."""
    ev = filter_obs(_member_content(t), q)
    per = _per_unit_active(ev, q, "week")
    return group(per, q.dims, value=per.value.mean(), units=_.count())


@metric(name="group_top_share", label_en="Messages by the top 10% of members", label_zh="前10%成员发言占比",
        formula="messages of the ⌈10%⌉ most active members / all members' messages in the cell (staff excluded; "
                "ties broken by id)", source=SOURCE + "; the participation-inequality (90-9-1) check", unit="ratio",
        grain="member", dimensions=("month", "platform", "group"), higher_is_better=False,
        extra_columns=("members", "messages"), filters=_F, tables=_T,
        notes="Near 1: a few people carry the group; a healthy group spreads the talk.")
def group_top_share(t: Tables, q: Query) -> ir.Table:
    """Concentration of the conversation: the share of messages sent by the top tenth of members."""
    ev = filter_obs(_member_content(t), q)
    ev = group(ev, [*q.dims, *(["platform"] if "platform" not in q.dims else []), "user"], n=_.count())
    cell = list(q.dims)
    w = ibis.window(group_by=cell, order_by=[ibis.desc(ev.n), ev.platform, ev.user]) if cell else \
        ibis.window(order_by=[ibis.desc(ev.n), ev.platform, ev.user])
    wc = ibis.window(group_by=cell) if cell else ibis.window()
    ev = ev.mutate(rank=ibis.row_number().over(w), members=ev.user.count().over(wc))
    ev = ev.mutate(top=ev.rank < (ev.members + 9) // 10)
    g = agg(ev, cell, top_n=ibis.ifelse(ev.top, ev.n, 0).sum(), messages=ev.n.sum(), members=_.count())
    return g.mutate(value=ratio(g.top_n, g.messages)).drop("top_n")


@metric(name="group_peer_answers", label_en="Member-to-member answers", label_zh="成员互答占比",
        formula="answers to members given by other members / all answers to members (members' + the brand's); an "
                "answer is a message replying to a member's message (quote, @mention, or the next answer to a "
                "question)", source=CMX, unit="ratio", grain="answer", dimensions=_DIMS, higher_is_better=True,
        extra_columns=("member_answers", "brand_answers"), filters=_F, tables=_T,
        notes="A self-sustaining community answers itself: the brand's share falls as members help each other.")
def group_peer_answers(t: Tables, q: Query) -> ir.Table:
    """Share of the answers members get that come from other members rather than from the brand."""
    m = messages(t)
    a = filter_obs(m.filter(m.kind.isin(CONTENT), m.answers.notnull(), m.answers != m.user, ~m.to_staff), q)
    g = group(a, q.dims, member_answers=(~a.staff).cast("int64").sum(), brand_answers=a.staff.cast("int64").sum())
    return g.mutate(value=ratio(g.member_answers, g.member_answers + g.brand_answers))


def _newcomers(t: Tables) -> ir.Table:
    """(platform, group, user, first_ts) of newcomers (module doc), staff excluded."""
    m = messages(t)
    first = m.group_by(["platform", "group", "user"]).aggregate(
        first_ts=m.ts.min(), joined=(m.kind == "join").cast("int64").max(), staff=m.staff.cast("int64").max())
    start = m.group_by(["platform", "group"]).aggregate(g_start=m.ts.min())
    f = first.join(start, ["platform", "group"])
    late = f.first_ts >= f.g_start + ibis.interval(days=NEWCOMER_AFTER_DAYS)
    return f.filter((f.joined == 1) | late, f.staff == 0).select("platform", "group", "user", "first_ts")


@metric(name="newcomer_answer_minutes", label_en="Time to answer a newcomer's first question",
        label_zh="新人首问响应时长", formula="median minutes from a newcomer's first question (within 28 days of "
        "arriving) to the first answer by someone else (member or brand)", source=CMX, unit="minutes",
        grain="question", dimensions=_DIMS, higher_is_better=False, extra_columns=("questions", "answered"),
        filters=_F, tables=_T,
        notes="Unanswered questions are counted in `questions` and left out of the median (answered < questions).")
def newcomer_answer_minutes(t: Tables, q: Query) -> ir.Table:
    """Median wall-clock minutes from a newcomer's first question to its first answer."""
    m = messages(t)
    n = _newcomers(t)
    qs = m.filter(m.question, m.kind.isin(CONTENT))
    qs = qs.join(n, ["platform", "group", "user"])
    qs = qs.filter(qs.ts < qs.first_ts + ibis.interval(days=FIRST_QUESTION_DAYS))
    w = ibis.window(group_by=[qs.platform, qs.group, qs.user], order_by=[qs.ts, qs.message_id])
    qs = qs.mutate(rn=ibis.row_number().over(w)).filter(_.rn == 0)
    ans = m.filter(m.reply_to.notnull(), m.kind.isin(CONTENT))
    ans = ans.group_by(a_platform=ans.platform, a_to=ans.reply_to, a_user=ans.answers).aggregate(a_ts=ans.ts.min())
    j = qs.left_join(ans, [qs.platform == ans.a_platform, qs.message_id == ans.a_to, qs.user == ans.a_user])
    j = j.select(platform=j.platform, group=j.group, ts=j.ts, minutes=wall_minutes(j.ts, j.a_ts))
    j = filter_obs(j, q)
    return group(j, q.dims, value=j.minutes.median(), questions=_.count(), answered=j.minutes.count())


@metric(name="newcomer_retention", label_en="Newcomer 4-week retention", label_zh="新人4周留存率",
        formula="share of newcomers who send a message in days 28–34 after arriving (week 4, the rolling-window "
                "definition of `retention`); only newcomers whose day 34 is inside the data",
        source="Amplitude rolling-window retention (as `retention`), applied to group newcomers; " + SOURCE,
        unit="ratio", grain="newcomer", dimensions=("month", "platform", "group"), higher_is_better=True,
        extra_columns=("newcomers", "retained"), filters=_F, tables=_T,
        notes="A cell is placed at the newcomers' arrival; the last five weeks of data have no eligible newcomers.")
def newcomer_retention(t: Tables, q: Query) -> ir.Table:
    """Week-4 retention of group newcomers."""
    m = messages(t)
    n = _newcomers(t)
    last = m.aggregate(last_day=m.ts.max().date())
    n = n.cross_join(last).filter(lambda x: x.last_day.delta(x.first_ts.date(), unit="day") >= 34)
    c = _member_content(t).select(c_platform="platform", c_group="group", c_user="user", c_ts="ts")
    j = n.join(c, [n.platform == c.c_platform, n.group == c.c_group, n.user == c.c_user])
    days = j.c_ts.date().delta(j.first_ts.date(), unit="day")
    kept = j.filter(days >= 28, days <= 34).select("platform", "group", "user").distinct().mutate(kept=1)
    r = n.left_join(kept, ["platform", "group", "user"])
    r = r.select(platform=r.platform, group=r.group, ts=r.first_ts, kept=r.kept.fill_null(0))
    r = filter_obs(r, q)
    g = group(r, q.dims, retained=r.kept.sum(), newcomers=_.count())
    return g.mutate(value=ratio(g.retained, g.newcomers))


@metric(name="dormant_members", label_en="Dormant group members", label_zh="沉睡成员",
        formula="members who have not left, arrived at least 30 days before the end and sent no message in the "
                "last 30 days up to the end (end = the filter's end, else the last day with data)",
        source=SOURCE, unit="users", grain="member", dimensions=("platform", "group"), higher_is_better=False,
        extra_columns=("members", "share"), filters=_F, tables=_T,
        notes="Members = everyone seen in the group (a message or a join) before the end who has not left since.")
def dormant_members(t: Tables, q: Query) -> ir.Table:
    """Members gone quiet: a snapshot at the end of the period."""
    m = messages(t)
    m = filter_obs(m, q.replace(start=None)).filter(~m.staff)
    end = period_bounds(m, q).select(as_of=lambda x: x.p_end)
    per = m.group_by(["platform", "group", "user"]).aggregate(
        first_day=m.ts.min().date(),
        last_msg=ibis.ifelse(m.kind.isin(CONTENT), m.ts, ibis.null("timestamp")).max().date(),
        last_in=ibis.ifelse(m.kind != "leave", m.ts, ibis.null("timestamp")).max(),
        last_out=ibis.ifelse(m.kind == "leave", m.ts, ibis.null("timestamp")).max(),
    )
    per = per.filter(per.last_out.isnull() | (per.last_in > per.last_out)).cross_join(end)
    quiet = per.last_msg.isnull() | (per.as_of.delta(per.last_msg, unit="day") >= DORMANT_DAYS)
    old = per.as_of.delta(per.first_day, unit="day") >= DORMANT_DAYS
    per = per.mutate(dormant=(quiet & old).cast("int64"))
    g = agg(per, list(q.dims), value=per.dormant.sum(), members=_.count())
    return g.mutate(share=ratio(g.value, g.members))
