"""Word of mouth: net sentiment of what people (not the organization) write, from the ``text_sentiment`` table.

``hudong text sentiment`` (``hudong.analyses.scoring.score_workspace``) scores every post and interaction with
text; this metric reads those scores. Word-of-mouth texts are:

- posts **not** published by a watched account (own or competitor): UGC and other people's posts;
- interactions with text (comments, replies, mentions, DMs …) addressed to the organization — on one of its
  own accounts' posts or targeting one of its own accounts — excluding staff, automated rows and the own
  accounts acting as themselves.

Texts in languages without a model (polarity NULL) are left out of numerator and denominator.
``emotion_mix`` and ``toxicity_rate`` read the ``text_signals`` table (emotion and toxicity, written in the
same scoring pass) over the same word-of-mouth texts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from hudong.metrics.common import (
    TIME_GRAINS,
    Query,
    Tables,
    count_if,
    filter_obs,
    group,
    is_true,
    own_accounts,
    ratio,
)
from hudong.metrics.registry import metric

TABLE = "text_sentiment"
SIGNALS = "text_signals"
EMOTIONS = ("neutral", "happy", "angry", "sad", "fear", "surprise")  # = hudong.text.emotion.EMOTIONS
_WOM = (
    "Word of mouth = posts not published by a watched account + comments/mentions addressed to the "
    "organization, staff and automated rows excluded; texts in other languages are not counted."
)


def word_of_mouth(t: Tables, q: Query, table: str = TABLE, columns: tuple[str, ...] = ("polarity",)) -> ir.Table:
    """One row per scored word-of-mouth text: platform, ts and ``columns`` of ``table`` (text_sentiment or
    text_signals; rows whose first column is NULL — language not scored — left out), filtered by ``q``."""
    s = t[table]
    s = s.filter(s[columns[0]].notnull()).select(
        s_platform=s.platform, s_kind=s.kind, s_id=s.id, **{c: s[c] for c in columns}
    )
    p, i, a = t["posts"], t["interactions"], t["accounts"]

    watched = a.select(w_platform=a.platform, w_account=a.account_id)
    posts = p.select(platform=p.platform, id=p.post_id, ts=p.created_at, account=p.account_id, user=p.author_id)
    posts = posts.anti_join(watched, [posts.platform == watched.w_platform, posts.account == watched.w_account])

    own = own_accounts(t).select(o_platform="platform", o_account="account_id")
    own_post = p.join(own, [p.platform == own.o_platform, p.account_id == own.o_account]).select(
        op_platform=p.platform, op_post=p.post_id
    )
    ints = i.filter(~is_true(i.by_staff), ~is_true(i.is_automated)).select(
        platform=i.platform,
        id=i.interaction_id,
        ts=i.created_at,
        user=i.actor_id,
        post=i.target_post_id,
        target=i.target_user_id,
    )
    ints = ints.anti_join(own, [ints.platform == own.o_platform, ints.user == own.o_account])
    on_post = ints.semi_join(own_post, [ints.platform == own_post.op_platform, ints.post == own_post.op_post])
    own_acct = own_accounts(t).select(t_platform="platform", t_account="account_id")
    at_acct = ints.semi_join(own_acct, [ints.platform == own_acct.t_platform, ints.target == own_acct.t_account])
    ints = on_post.union(at_acct, distinct=True)  # once, even when on an own post and addressed to an own account

    def scored(obs: ir.Table, kind: str) -> ir.Table:
        sk = s.filter(s.s_kind == kind)
        j = obs.join(sk, [obs.platform == sk.s_platform, obs.id == sk.s_id])
        return j.select(platform=j.platform, ts=j.ts, user=j.user, **{c: j[c] for c in columns})

    return filter_obs(scored(posts, "post").union(scored(ints, "interaction"), distinct=False), q, person="user")


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
    filters=("platform", "segment"),
    tables=(TABLE, "posts", "interactions", "accounts"),
    notes="Needs `hudong text sentiment` first (writes the text_sentiment table with the model version). " + _WOM,
)
def net_sentiment(t: Tables, q: Query) -> ir.Table:
    """%positive − %negative of word-of-mouth texts, neutral texts in the denominator."""
    w = word_of_mouth(t, q)
    w = w.mutate(**{k: ibis.ifelse(w.polarity == k, 1, 0) for k in ("positive", "neutral", "negative")})
    g = group(w, q.dims, n=_.count(), positive=_.positive.sum(), neutral=_.neutral.sum(), negative=_.negative.sum())
    return g.mutate(value=ratio(g.positive - g.negative, g.n))


@metric(
    name="share_of_positive_voice",
    label_en="Share of positive voice",
    label_zh="正面声量占比",
    formula="positive / (positive + negative) over scored word-of-mouth texts (neutral left out)",
    source="SentiOne Brand Health Index = P / (P + N) (metrics reference §1, net-sentiment row); polarity from "
    "hudong.text.sentiment",
    unit="ratio",
    grain="text",
    dimensions=(*TIME_GRAINS, "platform"),
    higher_is_better=True,
    extra_columns=("positive", "negative"),
    filters=("platform", "segment"),
    tables=(TABLE, "posts", "interactions", "accounts"),
    notes="Needs `hudong text sentiment` first. The organization's share of the opinionated word of mouth that is "
    "positive; NULL when no text is positive or negative. " + _WOM,
)
def share_of_positive_voice(t: Tables, q: Query) -> ir.Table:
    """Positive share of the opinionated (non-neutral) word-of-mouth texts: P / (P + N)."""
    w = word_of_mouth(t, q)
    g = group(w, q.dims, positive=count_if(w.polarity == "positive"), negative=count_if(w.polarity == "negative"))
    return g.mutate(value=ratio(g.positive, g.positive + g.negative))


@metric(
    name="emotion_mix",
    label_en="Emotion mix",
    label_zh="情绪构成",
    formula="texts with emotion e / scored word-of-mouth texts, for each e in neutral, happy, angry, sad, fear, "
    "surprise (shares sum to 1 in each cell)",
    source="SMP2020-EWECT Weibo emotion scheme (smp2020ewect.github.io); emotion from hudong.text.emotion",
    unit="ratio",
    grain="text",
    dimensions=(*TIME_GRAINS, "platform"),
    implicit_dims=("emotion",),
    higher_is_better=None,
    extra_columns=("texts", "total"),
    filters=("platform", "segment"),
    tables=(SIGNALS, "posts", "interactions", "accounts"),
    notes="Needs `hudong text score` (or `hudong text sentiment`) first: reads the text_signals table. `emotion` is "
    "always in the output; emotions no text has are absent (share 0). " + _WOM,
)
def emotion_mix(t: Tables, q: Query) -> ir.Table:
    """Share of each emotion among scored word-of-mouth texts."""
    w = word_of_mouth(t, q, SIGNALS, ("emotion",))
    g = group(w, q.dims, texts=_.count())
    cell = [d for d in q.dims if d != "emotion"]
    g = g.mutate(total=g.texts.sum().over(ibis.window(group_by=cell) if cell else ibis.window()))
    return g.mutate(value=ratio(g.texts, g.total))


@metric(
    name="toxicity_rate",
    label_en="Toxicity rate",
    label_zh="攻击性言论比例",
    formula="texts flagged toxic (P(toxic) ≥ 0.5) / scored word-of-mouth texts",
    source="Perspective-style toxicity share (metrics reference: anchors, toxicity row); toxicity from "
    "hudong.text.toxicity (COLD / Davidson-trained models)",
    unit="ratio",
    grain="text",
    dimensions=(*TIME_GRAINS, "platform"),
    higher_is_better=False,
    extra_columns=("n", "toxic"),
    filters=("platform", "segment"),
    tables=(SIGNALS, "posts", "interactions", "accounts"),
    notes="Needs `hudong text score` (or `hudong text sentiment`) first: reads the text_signals table. " + _WOM,
)
def toxicity_rate(t: Tables, q: Query) -> ir.Table:
    """Share of scored word-of-mouth texts the toxicity model flags."""
    w = word_of_mouth(t, q, SIGNALS, ("toxic",))
    g = group(w, q.dims, n=_.count(), toxic=count_if(w.toxic))
    return g.mutate(value=ratio(g.toxic, g.n))
