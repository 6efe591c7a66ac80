"""Responsiveness: how often and how fast the organization answers people who write to it.

Conversation rule (documented in docs/metrics.md):

- Messages: inbound = interactions with ``is_inbound = true`` of type comment / reply / dm / mention that
  were not written by staff; staff replies = ``by_staff = true`` and not ``is_automated`` (instant and
  away replies are ignored entirely: only human answers count) of type comment / reply / dm / mention.
- Conversation: for DMs, the unordered pair (actor, target user) on a platform; for comments, replies
  and mentions, the thread = the top-level message, found by following ``parent_id`` up to two levels
  (a reply to a reply still lands in its thread).
- Turn (the observation): a run of inbound messages in one conversation up to the next staff reply.
  A turn is answered if a staff reply follows it. The clock starts at the turn's **latest** inbound
  message (ZoomSphere: measure from the client's latest unanswered message) and stops at that reply.
- Business-hours time counts only minutes inside ``business_hours.start``–``end`` on
  ``business_hours.days`` (Hootsuite/Sparkcentral: the clock starts at business-hours open).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from hudong.metrics.common import (
    TIME_GRAINS,
    Query,
    Tables,
    business_clock,
    filter_obs,
    group,
    is_true,
    ratio,
    wall_minutes,
)
from hudong.metrics.registry import metric

CONVERSATION_TYPES = ("comment", "reply", "dm", "mention")
DIMS = (*TIME_GRAINS, "platform")
_T = ("interactions",)
_FILTERS = ("platform",)
SPARK = "Hootsuite Sparkcentral help 4402073054363 (business-hours clock starts at opening)"
ZOOM = "ZoomSphere (clock from the client's latest unanswered message)"
SPROUT = "Sprout Social Team Report, support.sproutsocial.com 208762436 (median; business vs all hours)"


def messages(t: Tables) -> ir.Table:
    """One row per conversation message (inbound or human staff reply) over the whole history.

    Columns: platform, interaction_id, type, actor_id, text, conv (conversation key), ts, staff, and
    answered_at = the next staff reply in the conversation at or after the message (null: unanswered).
    Conversations: a direct message's is the pair of people (``dm:a|b``), joined by a reply whose parent is a DM
    (an agent's answer exported as a reply); any other message's is its thread (root one parent level up).
    Used by ``turns`` and by the web reply inbox, so both follow the same conversation rule.
    """
    i = t["interactions"]
    msgs = i.filter(i.type.isin(CONVERSATION_TYPES), ~is_true(i.is_automated))
    staff = is_true(msgs.by_staff)
    msgs = msgs.filter(staff | is_true(msgs.is_inbound)).mutate(staff=staff)
    # Thread root: follow parent_id one more level, so replies to replies join their thread.
    par = i.select(p_platform=i.platform, p_id=i.interaction_id, p_parent=i.parent_id, p_type=i.type,
                   p_actor=i.actor_id, p_target=i.target_user_id)
    m = msgs.left_join(par, [msgs.platform == par.p_platform, msgs.parent_id == par.p_id])
    thread = ibis.coalesce(m.p_parent, m.parent_id, m.interaction_id)

    def dm(a: ir.StringValue, b: ir.StringValue) -> ir.StringValue:
        return "dm:" + ibis.least(a, b).fill_null("") + "|" + ibis.greatest(a, b).fill_null("")

    # A reply linked to a direct message (an agent's answer exported as a reply to it) is in that DM conversation.
    conv = ibis.ifelse(m.type == "dm", dm(m.actor_id, m.target_user_id),
                       ibis.ifelse(m.p_type.fill_null("") == "dm", dm(m.p_actor, m.p_target), "thread:" + thread))
    m = m.select(platform=m.platform, interaction_id=m.interaction_id, type=m.type, actor_id=m.actor_id,
                 text=m.text, conv=conv, ts=m.created_at, staff=m.staff)
    # Next staff reply at or after each message (rows frame from the current row onwards).
    w = ibis.window(group_by=[m.platform, m.conv], order_by=[m.ts, m.staff.desc()], preceding=0, following=None)
    return m.mutate(answered_at=ibis.ifelse(m.staff, m.ts, ibis.null("timestamp")).min().over(w))


def turns(t: Tables, q: Query) -> ir.Table:
    """One row per inbound turn: platform, ts (clock start), answered_at, business/wall minutes.

    Built on the whole history (a reply may fall after ``end``); ``q`` filters turns by their clock start.
    """
    m = messages(t)
    inbound = m.filter(~m.staff)
    tr = inbound.group_by(["platform", "conv", "answered_at"]).aggregate(ts=inbound.ts.max(), first_ts=inbound.ts.min())
    bh = dict(start=str(q.setting("business_hours.start")), end=str(q.setting("business_hours.end")),
              days=list(q.setting("business_hours.days")))
    tr = tr.mutate(
        answered=tr.answered_at.notnull(),
        business_minutes=business_clock(tr.answered_at, **bh) - business_clock(tr.ts, **bh),
        wall_minutes=wall_minutes(tr.ts, tr.answered_at),
    )
    return filter_obs(tr, q)


@metric(name="response_rate", label_en="Response rate", label_zh="回复率",
        formula="answered turns / inbound turns", source="Facebook Pages responsiveness (answered / eligible); "
        + ZOOM, unit="ratio", grain="inbound turn", dimensions=DIMS, higher_is_better=True,
        extra_columns=("answered", "turns"), filters=_FILTERS, tables=_T)
def response_rate(t: Tables, q: Query) -> ir.Table:
    """Share of inbound turns answered by a human staff reply (see the module's conversation rule)."""
    tr = turns(t, q)
    g = group(tr, q.dims, answered=tr.answered.cast("int64").sum(), turns=_.count())
    return g.mutate(value=ratio(g.answered, g.turns))


@metric(name="first_response_minutes", label_en="First response time (median, business hours)",
        label_zh="首次回复时长(中位数,工作时间)",
        formula="median over answered turns of business minutes from the latest unanswered message to the reply",
        source=f"{SPROUT}; {SPARK}; {ZOOM}", unit="minutes", grain="answered turn", dimensions=DIMS,
        higher_is_better=False, extra_columns=("answered",), filters=_FILTERS, tables=_T)
def first_response_minutes(t: Tables, q: Query) -> ir.Table:
    """Median business-hours minutes to the first human reply (Sprout headline median; Sparkcentral clock)."""
    tr = turns(t, q)
    tr = tr.filter(tr.answered)
    return group(tr, q.dims, value=tr.business_minutes.median(), answered=_.count())


@metric(name="first_response_minutes_mean", label_en="First response time (mean, business hours)",
        label_zh="首次回复时长(平均,工作时间)", formula="mean over answered turns of business minutes to reply",
        source=f"{SPROUT}; {SPARK}; {ZOOM}", unit="minutes", grain="answered turn", dimensions=DIMS,
        higher_is_better=False, extra_columns=("answered",), filters=_FILTERS, tables=_T)
def first_response_minutes_mean(t: Tables, q: Query) -> ir.Table:
    """Mean business-hours minutes to the first human reply (Sprout reports mean and median)."""
    tr = turns(t, q)
    tr = tr.filter(tr.answered)
    return group(tr, q.dims, value=tr.business_minutes.mean(), answered=_.count())


@metric(name="first_response_minutes_all_hours", label_en="First response time (median, all hours)",
        label_zh="首次回复时长(中位数,全天)", formula="median over answered turns of wall-clock minutes to reply",
        source=f"{SPROUT}; {ZOOM}", unit="minutes", grain="answered turn", dimensions=DIMS, higher_is_better=False,
        extra_columns=("answered",), filters=_FILTERS, tables=_T)
def first_response_minutes_all_hours(t: Tables, q: Query) -> ir.Table:
    """Median wall-clock minutes from the latest unanswered message to the first human reply."""
    tr = turns(t, q)
    tr = tr.filter(tr.answered)
    return group(tr, q.dims, value=tr.wall_minutes.median(), answered=_.count())


@metric(name="responses_within_sla", label_en="Answered within SLA", label_zh="SLA内回复占比",
        formula="turns answered within business_hours.sla_minutes (business time) / inbound turns",
        source=f"{SPARK}; Sprout Social Index (consumers expect ~4 h)", unit="ratio", grain="inbound turn",
        dimensions=DIMS, higher_is_better=True, extra_columns=("within_sla", "turns"), filters=_FILTERS, tables=_T,
        notes="Unanswered turns count against the SLA (the denominator is every inbound turn), so ignoring "
              "messages cannot raise the score.")
def responses_within_sla(t: Tables, q: Query) -> ir.Table:
    """Share of inbound turns answered within the SLA, measured in business minutes."""
    tr = turns(t, q)
    sla = float(q.setting("business_hours.sla_minutes"))
    ok = tr.answered & (tr.business_minutes <= sla)
    g = group(tr.mutate(ok=ok), q.dims, within_sla=ok.cast("int64").sum(), turns=_.count())
    return g.mutate(value=ratio(g.within_sla, g.turns))
