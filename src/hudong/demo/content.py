"""Posts: the brand's own, competitors', users' posts about the brand (UGC) or its competitors.

Reposts (cascades) are added by ``hudong.demo.cascades``; platform-reported counts are filled in
by ``hudong.demo.reported`` once the individual interactions exist.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from hudong.demo import draw
from hudong.demo import texts as X
from hudong.demo import timeline as T
from hudong.demo.brand import (
    ACCOUNTS,
    BRAND_ALIASES,
    CAMPAIGNS,
    COMPETITORS,
    DOUYIN,
    OWN_ACCOUNT,
    SPRING,
    TWITTER,
    WECHAT,
    WEIBO,
    XHS,
)
from hudong.demo.people import ActorSampler, People

OWN, COMPETITOR, UGC, COMPETITOR_MENTION, REPOST = range(5)

MEDIA_MIX = {
    WEIBO: (["image", "video", "text", "link"], [0.55, 0.2, 0.2, 0.05]),
    WECHAT: (["article"], [1.0]),
    XHS: (["image", "video"], [0.75, 0.25]),
    DOUYIN: (["video", "live"], [0.95, 0.05]),
    TWITTER: (["text", "image", "video", "link"], [0.4, 0.45, 0.1, 0.05]),
}
UGC_PER_DAY = {WEIBO: 11.0, XHS: 9.0, DOUYIN: 6.0, TWITTER: 1.5}  # WeChat has no public user posts
MENTION_SPLIT = {WEIBO: 0.45, XHS: 0.3, DOUYIN: 0.2, TWITTER: 0.05}


@dataclass
class Posts:
    platform: np.ndarray
    time: np.ndarray
    kind: np.ndarray
    author_row: np.ndarray  # row in People, or -1 when an account wrote it
    account: np.ndarray  # index in ACCOUNTS, or -1
    text: np.ndarray
    media: np.ndarray
    topics: np.ndarray  # JSON array text
    campaign: np.ndarray  # index in CAMPAIGNS, or -1
    parent_row: np.ndarray
    root_row: np.ndarray
    appeal: np.ndarray  # expected attention, heavy-tailed
    mention_account: np.ndarray  # account @-mentioned in the text, or -1
    is_ugc: np.ndarray

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def concat(cls, blocks: list[Posts]) -> Posts:
        return cls(**{f.name: np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(cls)})


def _block(n: int, **cols: np.ndarray) -> Posts:
    base = {
        "kind": np.zeros(n, np.int8),
        "author_row": np.full(n, -1, np.int64),
        "account": np.full(n, -1, np.int64),
        "campaign": np.full(n, -1, np.int64),
        "parent_row": np.full(n, -1, np.int64),
        "root_row": np.full(n, -1, np.int64),
        "mention_account": np.full(n, -1, np.int64),
        "is_ugc": np.zeros(n, bool),
        "topics": np.full(n, "[]", dtype=object),
    }
    base.update(cols)
    return Posts(**base)


def _topics(*tags: np.ndarray) -> np.ndarray:
    """JSON arrays of 1–2 tags ('' = absent)."""
    a, b = tags if len(tags) == 2 else (tags[0], np.full(len(tags[0]), "", dtype=object))
    both = draw.cat('["', a, '","', b, '"]')
    one = draw.cat('["', a, '"]')
    return np.where(b == "", np.where(a == "", "[]", one), both).astype(object)


def account_posts(rng: np.random.Generator, scale: float) -> Posts:
    """What the watched accounts (ours and competitors') publish: a few posts a day each."""
    blocks = []
    day_w = T.day_weights(growth=0.1)
    for a_idx, acc in enumerate(ACCOUNTS):
        p = acc.platform
        n = max(10 if acc.is_own else 5, round(acc.posts_per_day * T.DAYS * scale))
        t = T.sample_times(rng, n, day_w, T.OWN_POST_HOUR_WEIGHTS)
        media = draw.pick(rng, MEDIA_MIX[p][0], n, MEDIA_MIX[p][1])
        prod = draw.pick(rng, X.PRODUCTS_SHORT, n)
        campaign = np.full(n, -1, np.int64)
        tag2 = np.full(n, "", dtype=object)
        if acc.is_own:
            for c_idx, c in enumerate(CAMPAIGNS):
                if p not in c.platforms:
                    continue
                inside = (t >= T.ts(c.start.replace(" ", "T"))) & (t <= T.ts(c.end.replace(" ", "T")))
                chosen = inside & (rng.random(n) < 0.65)
                campaign[chosen] = c_idx
                tag2[chosen] = c.hashtag
            if p == TWITTER:
                text = draw.fill(rng, X.OWN_EN, n, {"p": _english(prod)})
            elif p == WECHAT:
                text = draw.fill(rng, X.WECHAT_TITLES, n, {"p": prod})
            else:
                body = draw.fill(rng, X.OWN_BODIES, n, {"p": prod})
                text = draw.cat(draw.pick(rng, X.OWN_OPENERS, n), body, draw.pick(rng, X.OWN_CTAS, n))
            tag1 = draw.pick(rng, X.OWN_TAGS, n)
        else:
            text = draw.fill(rng, X.COMPETITOR_OWN, n, {"c": np.full(n, acc.brand, dtype=object), "p": prod})
            tag1 = np.full(n, acc.brand, dtype=object)
        hashtagged = tag2 != ""
        text[hashtagged] = draw.cat(text[hashtagged], " #", tag2[hashtagged], "#")
        appeal = rng.lognormal(0.0, 0.8, size=n) * np.where(media == "video", 1.6, 1.0) * np.where(campaign >= 0, 1.5, 1)
        blocks.append(
            _block(
                n,
                platform=np.full(n, p, np.int8),
                time=t,
                kind=np.full(n, OWN if acc.is_own else COMPETITOR, np.int8),
                account=np.full(n, a_idx, np.int64),
                text=text,
                media=media,
                topics=_topics(tag1, tag2),
                campaign=campaign,
                appeal=appeal * (acc.followers / 500_000) ** 0.5,
            )
        )
    posts = Posts.concat(blocks)
    _make_viral(rng, posts)
    return posts


def _make_viral(rng: np.random.Generator, posts: Posts) -> None:
    """A few own posts take off: the spring-campaign launch on weibo, one douyin video, one xiaohongshu note."""
    own = posts.kind == OWN
    spring = own & (posts.campaign == SPRING) & (posts.platform == WEIBO)
    picks = []
    if spring.any():
        picks.append(np.flatnonzero(spring)[np.argmin(posts.time[spring])])
    for p, k in ((WEIBO, 1), (DOUYIN, 1), (XHS, 1), (TWITTER, 1)):
        cand = np.flatnonzero(own & (posts.platform == p))
        picks.extend(rng.choice(cand, size=min(k, len(cand)), replace=False))
    posts.appeal[np.array(picks, dtype=np.int64)] *= rng.uniform(25, 45, size=len(picks))


_EN_PRODUCTS = {"明前龙井": "Longjing", "大红袍": "Da Hong Pao", "普洱熟茶": "ripe Pu'er", "安吉白茶": "Anji white tea",
                "山茶花冷泡茶": "camellia cold brew", "桂花乌龙": "osmanthus oolong", "茶样尝鲜装": "sampler",
                "新春茶礼盒": "New Year gift box", "白桃乌龙": "white peach oolong", "茉莉花茶": "jasmine tea",
                "旅行茶具": "travel tea set"}  # fmt: skip


def _english(prod: np.ndarray) -> np.ndarray:
    """English product names for twitter texts."""
    zh = np.array(list(_EN_PRODUCTS), dtype=object)
    en = np.array(list(_EN_PRODUCTS.values()), dtype=object)
    order = np.argsort(zh)
    return en[order[np.searchsorted(zh[order], prod)]]


def user_posts(rng: np.random.Generator, people: People, actors: ActorSampler, scale: float) -> Posts:
    """Users writing about the brand (UGC, with the #春茶节# surge) and about its competitors."""
    blocks = []
    spring = CAMPAIGNS[SPRING]
    ugc_days = T.day_weights(bumps=(("2026-03-20", "2026-04-20", 3.5), ("2026-06-01", "2026-06-18", 1.4)))
    for p, per_day in UGC_PER_DAY.items():
        n = max(20, round(per_day * T.DAYS * scale * 1.25))
        t = T.sample_times(rng, n, ugc_days)
        in_spring = (t >= T.ts(spring.start.replace(" ", "T"))) & (t <= T.ts(spring.end.replace(" ", "T")))
        campaign = np.where(in_spring & (p in spring.platforms) & (rng.random(n) < 0.55), SPRING, -1)
        blocks.append(_user_block(rng, people, actors, p, t, UGC, campaign, brand=-1))
    for c_idx, comp in enumerate(COMPETITORS):
        # 茶颜小筑 runs a May promotion: its share of voice jumps for ten days
        comp_days = T.day_weights(bumps=(("2026-05-01", "2026-05-10", 2.5),) if c_idx == 0 else ())
        for p, share in MENTION_SPLIT.items():
            n = max(10, round(comp.mentions_per_day * share * T.DAYS * scale))
            t = T.sample_times(rng, n, comp_days)
            blocks.append(_user_block(rng, people, actors, p, t, COMPETITOR_MENTION, np.full(n, -1), brand=c_idx))
    return Posts.concat(blocks)


def crisis_posts(rng: np.random.Generator, people: People, actors: ActorSampler, scale: float) -> Posts:
    """The planted crisis: complaints about mouldy tea pile up on weibo and xiaohongshu for three days."""
    start, end = T.ts(X.CRISIS_DAYS[0]), T.ts(X.CRISIS_DAYS[1])
    n = max(40, round(160 * scale))
    day = rng.choice(3, size=n, p=[0.2, 0.5, 0.3])
    t = np.minimum(start + day * T.DAY + rng.integers(7 * 3600, 24 * 3600, size=n), end - 1)
    p = np.where(rng.random(n) < 0.7, WEIBO, XHS).astype(np.int8)
    author = np.empty(n, np.int64)
    for code in (WEIBO, XHS):
        at = p == code
        author[at] = actors(code, t[at], alpha=0.9)
    name = draw.pick(rng, BRAND_ALIASES[:1] * 4 + BRAND_ALIASES[3:4], n)
    prod = draw.pick(rng, ["明前龙井", "新春茶礼盒", "安吉白茶", "茶样尝鲜装"], n)
    text = draw.cat(draw.fill(rng, X.CRISIS_ZH, n, {"b": name, "p": prod}), " #", X.CRISIS_TAG, "#")
    appeal = rng.lognormal(-0.2, 1.1, size=n) * (people.followers[author] / 300.0) ** 0.45
    return _block(
        n, platform=p, time=t, kind=np.full(n, UGC, np.int8), author_row=author, text=text,
        media=draw.pick(rng, ["image", "text"], n, [0.7, 0.3]), topics=_topics(np.full(n, X.CRISIS_TAG, dtype=object)),
        appeal=appeal, is_ugc=np.ones(n, bool),
    )  # fmt: skip


def _user_block(
    rng: np.random.Generator,
    people: People,
    actors: ActorSampler,
    p: int,
    t: np.ndarray,
    kind: int,
    campaign: np.ndarray,
    brand: int,
) -> Posts:
    n = len(t)
    author = actors(p, t, alpha=0.9)
    prod = draw.pick(rng, X.PRODUCTS_SHORT, n)
    if brand < 0:
        name = draw.pick(rng, BRAND_ALIASES if p == TWITTER else BRAND_ALIASES[:1] * 6 + BRAND_ALIASES[3:], n)
        rival = draw.pick(rng, [c.name for c in COMPETITORS], n)
        target_accounts = [OWN_ACCOUNT.get(p, -1)]
    else:
        comp = COMPETITORS[brand]
        name = draw.pick(rng, comp.aliases if p == TWITTER else comp.aliases[:2], n, None)
        rival = np.full(n, BRAND_ALIASES[0], dtype=object)
        target_accounts = [i for i, a in enumerate(ACCOUNTS) if a.brand == comp.name and a.platform == p] or [-1]
    if p == TWITTER:
        en_name = np.where(brand < 0, "Camellia Tea Co.", name).astype(object)
        text = draw.cat(draw.fill(rng, X.UGC_EN, n, {"p": _english(prod), "b": en_name}), draw.pick(rng, X.UGC_EN_FEEL, n))
    else:
        text = draw.cat(draw.pick(rng, X.UGC_OPENERS, n), name, "的", prod, ",", draw.pick(rng, X.UGC_FEELINGS, n),
                        draw.pick(rng, X.UGC_CLOSERS, n), draw.pick(rng, X.EMOJI, n))  # fmt: skip
        compare = rng.random(n) < 0.08
        if brand < 0:
            slots = {"b": name[compare], "c": rival[compare], "p": prod[compare]}
        else:
            slots = {"b": rival[compare], "c": name[compare], "p": prod[compare]}
        text[compare] = draw.fill(rng, X.COMPARISONS, int(compare.sum()), slots)
    tag1 = draw.pick(rng, X.UGC_TAGS, n)
    tag2 = np.full(n, "", dtype=object)
    camp = campaign >= 0
    if camp.any():
        slots = {"b": name[camp], "p": prod[camp]}
        text[camp] = draw.cat(draw.fill(rng, X.SPRING_UGC, int(camp.sum()), slots), draw.pick(rng, X.EMOJI, camp.sum()))
        tag2[camp] = CAMPAIGNS[SPRING].hashtag
    mention = np.full(n, -1, np.int64)
    target = target_accounts[0]
    if target >= 0:
        m = rng.random(n) < (0.3 if brand < 0 else 0.2)
        mention[m] = target
        text[m] = draw.cat(text[m], " @", ACCOUNTS[target].name)
    # a few posts leak contact details, which redaction must catch
    pii = np.flatnonzero(rng.random(n) < 0.004)
    half = len(pii) // 2
    text[pii[:half]] = draw.cat(text[pii[:half]], " 想拼单的加我微信 ", draw.phone_numbers(rng, half))
    text[pii[half:]] = draw.cat(text[pii[half:]], " 有问题发邮件 ", draw.email_addresses(rng, len(pii) - half))
    media = draw.pick(rng, ["image", "video", "text"], n, [0.6, 0.2, 0.2] if p != DOUYIN else [0.05, 0.95, 0.0])
    followers = people.followers[author]
    appeal = rng.lognormal(-1.2, 1.1, size=n) * (followers / 300.0) ** 0.45
    return _block(
        n,
        platform=np.full(n, p, np.int8),
        time=t,
        kind=np.full(n, kind, np.int8),
        author_row=author,
        text=text,
        media=media,
        topics=_topics(tag1, tag2),
        campaign=campaign.astype(np.int64),
        appeal=appeal,
        mention_account=mention,
        is_ugc=np.full(n, kind == UGC),
    )
