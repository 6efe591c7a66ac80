"""Keywords, distinctive terms and topics of posts, per period, segment or campaign.

Terms of a text (``doc_terms``): its hashtags as first-class terms written ``#tag#``, plus its words —
jieba words of ≥ 2 characters for Chinese, lower-cased words of ≥ 3 letters for English — minus stop words
(``stop_words()``: jieba.analyse's English list + a hand-written list of Chinese function words and Weibo
boilerplate such as 转发微博, written for hudong) and numbers. Each term counts once per document.

- ``keywords`` — TF-IDF per group: tf = the term's document count in the group / the group's documents;
  idf = jieba.analyse's IDF table for Chinese words (its bundled corpus statistics, unknown words get its
  median IDF, as ``jieba.analyse.extract_tags`` does; Chinese hashtags are looked up by their text), and the
  smoothed corpus IDF ln((1 + N)/(1 + df)) + 1 for English words and Latin hashtags (the two scales differ, so
  in a mixed-language group the order between Chinese and English terms is approximate). Terms in more than ``max_df`` of all documents are dropped (the data's own
  stop words: a brand name that is in every post says nothing).
- ``distinctive`` — log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008,
  "Fightin' words", §3.5): for group g vs the rest, δ_w = ln((y_gw + α_w)/(n_g + α_0 − y_gw − α_w)) −
  ln((y_rw + α_w)/(n_r + α_0 − y_rw − α_w)), var ≈ 1/(y_gw + α_w) + 1/(y_rw + α_w), z = δ/√var, with the prior
  α_w = α_0·(corpus share of w) and α_0 = ``prior`` (default 1000 pseudo-counts).
- ``topics`` — hashtag + keyword co-occurrence clusters: the ``vocab`` most frequent terms, linked when they
  share ≥ ``min_co`` documents with normalised PMI ≥ ``min_npmi``, clustered with igraph's Louvain
  (``community_multilevel``, weights = NPMI); each document goes to the topic whose terms it contains most.
  Chosen over NMF because it needs no extra dependency (scikit-learn) and no topic count, and hashtags —
  people's own topic labels — anchor the clusters; each topic reports its mean pairwise NPMI (coherence).
"""

from __future__ import annotations

import ast
import importlib.util
import math
import random
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hudong.errors import HudongError
from hudong.stats.tiers import follower_tier
from hudong.text.tokenize import extract, segment

__all__ = [
    "distinctive",
    "doc_terms",
    "keywords",
    "segment_of",
    "stop_words",
    "term_matrix",
    "topics",
]

# Chinese function words, pronouns, particles and Weibo/Douyin boilerplate (hand-written for hudong, CC0).
_ZH_STOP_TEXT = """
的 了 和 是 在 也 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 它们 自己 这个 那个 这些 那些 这样 那样 什么 怎么
怎么样 为什么 哪个 哪里 还是 但是 因为 所以 如果 虽然 然后 而且 不过 只是 已经 还有 可以 不是 就是 真的 觉得 感觉 知道 一下
一点 有点 一些 一起 一直 一定 现在 今天 昨天 明天 时候 大家 这么 那么 非常 特别 比较 还是 起来 出来 下来 过来 之后 之前
以后 以前 其实 可能 应该 需要 一样 这里 那里 哈哈 哈哈哈 哈哈哈哈 啊啊 呜呜 嘿嘿 转发 转发微博 微博 回复 评论 分享 视频 图片
链接 网页链接 全文 展开 收起 查看 原图 秒拍 视频 抖音 小红书 我 你 他 她 它 吗 吧 呢 啊 哦 呀 嗯 哇 么 被 把 让 给 对 从 到 向
为 以 于 很 太 更 最 又 再 才 没 不 有 说 要 会 能 去 来 看 想 做 人 个 上 下 中 里 后 前 还 这 那 多 少 好 吗 哈 之 其 此 等
不要 不能 不会 不用 不得 不了 这是 那是 所有 很多 许多 有些 一次 一位 一种 一只 一名 一件 一条 两个 每个 这种 那种 这次 那次
这位 那位 为了 只要 只有 只能 能够 而是 或者 以及 并且 甚至 于是 因此 其中 同时 通过 对于 关于 根据 由于 别人 有人 多少
怎么办 为何 如何 何时 目前 正在 原来 真是 是不是 的话 难道 看来 肯定 直接 估计 来看 以为 如此 确实 一般 好好 到底 看看
看到 看吧 最后 终于 还要 还会 就要 当时 此时 这时 之类 什么样 什么的 之中 当中 以上 以下 以来 或许 也许 似乎 好像 简直
居然 竟然 果然 依然 仍然 曾经 马上 立刻 刚刚 刚才 总是 往往 常常 经常 不断 随便 尤其 更加 越来越 最近 今年 去年 明年 今日
近日 昨日 今晚 表示 进行 呵呵 嘻嘻 哈哈哈哈哈 啦啦
"""
# Social-media noise and chat words on top of scikit-learn's English list (hand-written for hudong, CC0).
_EN_STOP_TEXT = """
rt via amp http https www com co org net html htm gt lt quot nbsp url user im ive id ill youre youve youll
dont doesnt didnt cant couldnt wont wouldnt shouldnt isnt arent wasnt werent hasnt havent hadnt aint thats
theres whats lets just like get got gets getting really would could one also lol lmao omg haha hahaha yeah yes
okay gonna wanna gotta pls plz thx tho thru did does doing done going gone having
"""
_EN_STOP_EXTRA = frozenset(_EN_STOP_TEXT.split())
# The part before an apostrophe that makes a contraction a stop word (don't, i'm, they're, can't, won't …)
_EN_CONTRACTIONS = "don doesn didn can couldn won wouldn shouldn isn aren wasn weren hasn haven hadn ain mustn needn let"
_EN_CONTRACTION_HEADS = frozenset(_EN_CONTRACTIONS.split())
_NUMBER = re.compile(r"^[\d.,:%\-+/]+$")
_EN_WORD = re.compile(r"^[a-z][a-z'’\-]{2,}$")
_HAN_WORD = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Chinese: jieba.analyse's list + ``_ZH_STOP_TEXT``; English: scikit-learn's ``ENGLISH_STOP_WORDS`` (the
    Glasgow IR group's 318 words: was, after, but, …) + ``_EN_STOP_EXTRA`` (rt, via, amp, url tokens, chat
    words). Numbers and English words under 3 letters are dropped by ``doc_terms`` itself."""
    import jieba.analyse

    return (frozenset(jieba.analyse.default_tfidf.STOP_WORDS) | frozenset(_ZH_STOP_TEXT.split())
            | _sklearn_stop_words() | _EN_STOP_EXTRA)  # fmt: skip


def _sklearn_stop_words() -> frozenset[str]:
    """scikit-learn's ``ENGLISH_STOP_WORDS``, read from its module file without importing scikit-learn (whose
    ``feature_extraction`` import pulls in scipy: 1–2 s per command); the import when the file looks different."""
    spec = importlib.util.find_spec("sklearn")
    if spec is not None and spec.origin:
        try:
            tree = ast.parse((Path(spec.origin).parent / "feature_extraction" / "_stop_words.py").read_text("utf-8"))
            for node in tree.body:
                if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["ENGLISH_STOP_WORDS"]
                        and isinstance(node.value, ast.Call) and node.value.args):  # fmt: skip
                    words = ast.literal_eval(node.value.args[0])
                    if len(words) > 300 and "after" in words:
                        return frozenset(words)
        except (OSError, SyntaxError, ValueError):
            pass
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _en_term(w: str, stop: frozenset[str]) -> str | None:
    """An English word as a term: None for a stop word or a contraction of one (don't, i'm, it's, they're),
    the possessive 's dropped (trump's → trump), else the word."""
    w = w.replace("’", "'")
    if "'" in w:
        head, _, tail = w.partition("'")
        if head in stop or head in _EN_CONTRACTION_HEADS or head + tail in stop:
            return None
        w = head if tail == "s" else w
    if w in stop or not _EN_WORD.match(w):
        return None
    return w


@lru_cache(maxsize=1)
def _jieba_idf() -> tuple[dict[str, float], float]:
    import jieba.analyse

    loader = jieba.analyse.default_tfidf.idf_loader
    return loader.idf_freq, loader.median_idf


def doc_terms(text: str | None) -> list[str]:
    """Distinct terms of one text, in order: hashtags as ``#tag#`` first, then words (see module doc)."""
    if not isinstance(text, str):  # None / NaN from a DataFrame: no terms
        return []
    parts = extract(text)
    stop = stop_words()
    out: dict[str, None] = {f"#{h.strip()}#": None for h in parts.hashtags if h.strip()}
    for w in segment(parts.clean, parts.lang if parts.lang in ("zh", "en") else None):
        w = w.strip().lower()
        if w in stop or _NUMBER.match(w):
            continue
        if _HAN_WORD.search(w):
            if len(w) >= 2 and not (len(w) >= 3 and len(set(w)) == 1):  # not 哈哈哈 / 测测测 (a cut run)
                out.setdefault(w, None)
        else:
            term = _en_term(w, stop)
            if term is not None:
                out.setdefault(term, None)
    return list(out)


def term_matrix(texts: Iterable[str | None], progress: Callable[..., None] | None = None) -> pd.DataFrame:
    """Long (doc, term) table: one row per distinct term of each document (doc = position in ``texts``).

    Equal terms share one string object (a row costs two pointers, not a new string); ``progress(advance=k)``
    is called every 10,000 documents."""
    docs, terms = [], []
    seen: dict[str, str] = {}
    for i, t in enumerate(texts):
        ts = doc_terms(t)
        docs.extend([i] * len(ts))
        terms.extend([seen.setdefault(w, w) for w in ts])
        if progress is not None and i % 10_000 == 9_999:
            progress(advance=10_000)
    return pd.DataFrame({"doc": np.asarray(docs, dtype=np.int64), "term": pd.Series(terms, dtype=object)})


def _idf(terms: pd.Series, df: pd.Series, n_docs: int) -> np.ndarray:
    """jieba's IDF for Chinese words it knows (its median for unknown ones), corpus IDF for the rest."""
    jidf, median = _jieba_idf()
    corpus = np.log((1.0 + n_docs) / (1.0 + df.to_numpy(dtype=float))) + 1.0
    han = terms.str.contains(_HAN_WORD)
    zh = np.array([jidf.get(t.strip("#"), median) for t in terms[han]], dtype=float)
    out = corpus.copy()
    out[han.to_numpy()] = zh
    return out


def _group_labels(frame: pd.DataFrame, by: str | list[str] | None) -> pd.Series:
    if not by:
        return pd.Series("all", index=frame.index)
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise HudongError(f"cannot group keywords by {missing}: columns are {', '.join(frame.columns)}")
    return frame[cols].astype(str).agg(" / ".join, axis=1)


def _long(frame: pd.DataFrame, by: str | list[str] | None, text: str,
          progress: Callable[..., None] | None = None) -> tuple[pd.DataFrame, pd.Series]:  # fmt: skip
    if text not in frame.columns:
        raise HudongError(f"no {text!r} column to take keywords from (columns: {', '.join(frame.columns)})")
    frame = frame.reset_index(drop=True)
    groups = _group_labels(frame, by)
    tm = term_matrix(frame[text].tolist(), progress)
    tm["group"] = groups.to_numpy()[tm["doc"].to_numpy()] if len(tm) else pd.Series(dtype=object)
    return tm, groups


def keywords(
    frame: pd.DataFrame, by: str | list[str] | None = None, *, text: str = "text", top: int = 20,
    max_df: float = 0.5, min_df: int = 2, progress: Callable[..., None] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Top TF-IDF terms per group of ``frame`` rows: columns group, term, docs, share, score, is_hashtag.
    ``progress`` (a ``hudong.progress.Step``) hears of the documents segmented."""
    tm, groups = _long(frame, by, text, progress)
    cols = ["group", "term", "docs", "share", "score", "is_hashtag"]
    if tm.empty:
        return pd.DataFrame(columns=cols)
    n = len(groups)
    df = tm.groupby("term").size()
    keep = df[(df >= min_df) & (df <= max_df * n)]
    tm = tm[tm["term"].isin(keep.index)]
    if tm.empty:
        return pd.DataFrame(columns=cols)
    idf = pd.Series(_idf(keep.index.to_series(), keep, n), index=keep.index)
    g = tm.groupby(["group", "term"]).size().rename("docs").reset_index()
    g["share"] = g["docs"] / g["group"].map(groups.value_counts())
    g["score"] = g["share"] * g["term"].map(idf)
    g["is_hashtag"] = g["term"].str.startswith("#")
    g = g.sort_values(["group", "score", "term"], ascending=[True, False, True])
    return g.groupby("group", sort=True).head(top).reset_index(drop=True)[cols]


def distinctive(
    frame: pd.DataFrame, by: str | list[str], *, text: str = "text", top: int = 20, prior: float = 1000.0,
    min_df: int = 2, progress: Callable[..., None] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Terms most distinctive of each group vs the rest (Monroe et al. 2008 log-odds, informative prior).

    Columns group, term, docs (in the group), rest (docs in the other groups), delta, z; sorted by z.
    """
    tm, _ = _long(frame, by, text, progress)
    cols = ["group", "term", "docs", "rest", "delta", "z"]
    if tm.empty:
        return pd.DataFrame(columns=cols)
    y = tm.groupby(["term", "group"]).size().unstack(fill_value=0)
    y = y[y.sum(axis=1) >= min_df]
    if y.empty:
        return pd.DataFrame(columns=cols)
    total = y.sum(axis=1).to_numpy(float)
    alpha = prior * total / total.sum()
    out = []
    for g in y.columns:
        yi = y[g].to_numpy(float)
        yr = total - yi
        ni, nr = yi.sum(), yr.sum()
        delta = np.log((yi + alpha) / (ni + prior - yi - alpha)) - np.log((yr + alpha) / (nr + prior - yr - alpha))
        z = delta / np.sqrt(1.0 / (yi + alpha) + 1.0 / (yr + alpha))
        part = pd.DataFrame({"group": g, "term": y.index, "docs": yi.astype(int), "rest": yr.astype(int),
                             "delta": delta, "z": z})  # fmt: skip
        out.append(part[part["docs"] > 0].nlargest(top, "z"))
    return pd.concat(out, ignore_index=True)[cols]


def topics(
    frame: pd.DataFrame, *, text: str = "text", vocab: int = 300, min_co: int = 3, min_npmi: float = 0.1,
    max_df: float = 0.5, seed: int = 0, progress: Callable[..., None] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:  # fmt: skip
    """Co-occurrence topics: (table with topic, label, terms, docs, coherence; topic id per row, −1 = none)."""
    import igraph as ig

    frame = frame.reset_index(drop=True)
    tm, _ = _long(frame, None, text, progress)
    n = len(frame)
    assign = np.full(n, -1, dtype=np.int64)
    cols = ["topic", "label", "terms", "docs", "coherence"]
    if tm.empty:
        return pd.DataFrame(columns=cols), assign
    df = tm.groupby("term").size()
    df = df[(df >= min_co) & (df <= max_df * n)].nlargest(vocab)
    tm = tm[tm["term"].isin(df.index)]
    code = {t: i for i, t in enumerate(df.index)}
    tm = tm.assign(t=tm["term"].map(code).to_numpy())
    pairs = tm.merge(tm, on="doc")
    pairs = pairs[pairs["t_x"] < pairs["t_y"]]
    co = pairs.groupby(["t_x", "t_y"]).size().rename("n").reset_index()
    co = co[co["n"] >= min_co]
    p = df.to_numpy(float) / n
    pxy = co["n"].to_numpy(float) / n
    px, py = p[co["t_x"].to_numpy()], p[co["t_y"].to_numpy()]
    npmi = np.log(pxy / (px * py)) / -np.log(pxy)
    co = co.assign(npmi=npmi)
    co = co[(co["npmi"] >= min_npmi) & (pxy < 1)]
    if co.empty:
        return pd.DataFrame(columns=cols), assign
    g = ig.Graph(n=len(df), edges=list(zip(co["t_x"], co["t_y"], strict=True)), edge_attrs={"w": co["npmi"].tolist()})
    random.seed(seed)  # igraph's Louvain draws from Python's RNG
    ig.set_random_number_generator(random)
    parts = g.community_multilevel(weights="w").membership
    member = np.asarray(parts)
    sizes = np.bincount(member)
    edge_npmi = {(a, b): v for a, b, v in zip(co["t_x"], co["t_y"], co["npmi"], strict=True)}
    terms = np.asarray(df.index, dtype=object)
    rows: list[dict[str, Any]] = []
    topic_of_term = np.full(len(df), -1, dtype=np.int64)
    for c in np.flatnonzero(sizes >= 2):
        idx = np.flatnonzero(member == c)
        idx = idx[np.argsort(-df.to_numpy()[idx], kind="stable")]
        k = len(rows)
        topic_of_term[idx] = k
        coh = [edge_npmi.get((min(a, b), max(a, b)), 0.0) for i, a in enumerate(idx) for b in idx[i + 1 :]]
        rows.append({"topic": k, "label": " · ".join(terms[idx[:3]]), "terms": list(terms[idx[:12]]),
                     "docs": 0, "coherence": float(np.mean(coh)) if coh else math.nan})  # fmt: skip
    hits = tm.assign(topic=topic_of_term[tm["t"].to_numpy()])
    hits = hits[hits["topic"] >= 0].groupby(["doc", "topic"]).size().rename("k").reset_index()
    best = hits.sort_values(["doc", "k", "topic"], ascending=[True, False, True]).drop_duplicates("doc")
    assign[best["doc"].to_numpy()] = best["topic"].to_numpy()
    table = pd.DataFrame(rows, columns=cols)
    table["docs"] = np.bincount(assign[assign >= 0], minlength=len(table))[: len(table)]
    return table.sort_values("docs", ascending=False, ignore_index=True), assign


SEGMENTS = ("source", "tier")


def segment_of(posts: pd.DataFrame, by: str, tiers: dict[str, int] | None = None) -> pd.Series:
    """Each post's segment, from ``hudong.analyses.texts.posts`` columns: ``source`` — ``own`` (the organization's accounts),
    ``ugc`` (is_ugc) or ``other``; ``tier`` — the author's follower tier (hudong.stats.tiers.follower_tier:
    Mediakix/STIM bounds or ``tiers``), ``unknown`` without a follower count."""
    if by == "source":
        own = posts["own_account"].fillna(False).astype(bool) & ~posts["is_ugc"].fillna(False).astype(bool)
        src = np.where(posts["is_ugc"].fillna(False).astype(bool), "ugc", "other")
        return pd.Series(np.where(own, "own", src), index=posts.index, name=by)
    if by == "tier":
        tier = follower_tier(posts["author_followers"].to_numpy(), tiers)
        return pd.Series(tier, index=posts.index, name=by).fillna("unknown")
    raise HudongError(f"unknown segment {by!r}; segments: {', '.join(SEGMENTS)}")

