"""Word of mouth: net sentiment of what people (not the organization) write, from the ``text_sentiment`` table.

``hudong text sentiment`` (``hudong.text.sentiment.score_workspace``) scores every post and interaction with
text; this metric reads those scores. Word-of-mouth texts are:

- posts **not** published by a watched account (own or competitor): UGC and other people's posts;
- interactions with text (comments, replies, mentions, DMs …) addressed to the organization — on one of its
  own accounts' posts or targeting one of its own accounts — excluding staff, automated rows and the own
  accounts acting as themselves.

Texts in languages without a model (polarity NULL) are left out of numerator and denominator.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from hudong.metrics.common import TIME_GRAINS, Query, Tables, filter_obs, group, is_true, own_accounts, ratio
from hudong.metrics.registry import metric

TABLE = "text_sentiment"


def word_of_mouth(t: Tables, q: Query) -> ir.Table:
    """One row per scored word-of-mouth text: platform, ts, kind, polarity (filtered by ``q``)."""
    s = t[TABLE]
    s = s.filter(s.polarity.notnull()).select(s_platform=s.platform, s_kind=s.kind, s_id=s.id, polarity=s.polarity)
    p, i, a = t["posts"], t["interactions"], t["accounts"]

    watched = a.select(w_platform=a.platform, w_account=a.account_id)
    posts = p.select(platform=p.platform, id=p.post_id, ts=p.created_at, account=p.account_id)
    posts = posts.anti_join(watched, [posts.platform == watched.w_platform, posts.account == watched.w_account])

    own = own_accounts(t).select(o_platform="platform", o_account="account_id")
    own_post = p.join(own, [p.platform == own.o_platform, p.account_id == own.o_account]).select(
        op_platform=p.platform, op_post=p.post_id
    )
    ints = i.filter(~is_true(i.by_staff), ~is_true(i.is_automated)).select(
        platform=i.platform,
        id=i.interaction_id,
        ts=i.created_at,
        actor=i.actor_id,
        post=i.target_post_id,
        target=i.target_user_id,
    )
    ints = ints.anti_join(own, [ints.platform == own.o_platform, ints.actor == own.o_account])
    on_post = ints.semi_join(own_post, [ints.platform == own_post.op_platform, ints.post == own_post.op_post])
    own_acct = own_accounts(t).select(t_platform="platform", t_account="account_id")
    at_acct = ints.semi_join(own_acct, [ints.platform == own_acct.t_platform, ints.target == own_acct.t_account])
    ints = on_post.union(at_acct, distinct=True)  # once, even when on an own post and addressed to an own account

    def scored(obs: ir.Table, kind: str) -> ir.Table:
        sk = s.filter(s.s_kind == kind)
        j = obs.join(sk, [obs.platform == sk.s_platform, obs.id == sk.s_id])
        return j.select(platform=j.platform, ts=j.ts, polarity=j.polarity)

    return filter_obs(scored(posts, "post").union(scored(ints, "interaction"), distinct=False), q)


@metric(
    name="net_sentiment",
    label_en="Net sentiment",
    label_zh="净情感",
    formula="(positive − negative) / (positive + neutral + negative) over scored word-of-mouth texts",
    source="Blackbox Intelligence / allears.ai net-sentiment definition; polarity from hudong.text.sentiment",
    unit="ratio",
    grain="text",
    dimensions=(*TIME_GRAINS, "platform"),
    higher_is_better=True,
    extra_columns=("n", "positive", "neutral", "negative"),
    filters=("platform",),
    tables=(TABLE, "posts", "interactions", "accounts"),
    notes="Needs `hudong text sentiment` first (writes the text_sentiment table with the model version). "
    "Word of mouth = posts not published by a watched account + comments/mentions addressed to the "
    "organization, staff and automated rows excluded; texts in other languages are not counted.",
)
def net_sentiment(t: Tables, q: Query) -> ir.Table:
    """%positive − %negative of word-of-mouth texts, neutral texts in the denominator."""
    w = word_of_mouth(t, q)
    w = w.mutate(**{k: ibis.ifelse(w.polarity == k, 1, 0) for k in ("positive", "neutral", "negative")})
    g = group(w, q.dims, n=_.count(), positive=_.positive.sum(), neutral=_.neutral.sum(), negative=_.negative.sum())
    return g.mutate(value=ratio(g.positive - g.negative, g.n))
