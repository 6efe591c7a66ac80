"""Keywords (TF-IDF), distinctive terms (Monroe et al. log-odds) and co-occurrence topics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hudong.text.keywords import distinctive, doc_terms, keywords, topics


def test_doc_terms_hashtags_first_stopwords_and_numbers_dropped():
    terms = doc_terms("#春茶节# 我们今天喝了明前龙井,真的很好喝 2026 [哈哈] @山茶社 http://t.cn/x")
    assert terms[0] == "#春茶节#"
    assert "明前" in terms or "明前龙井" in terms or "龙井" in terms
    assert not {"我们", "今天", "真的", "2026", "哈哈", "山茶社"} & set(terms)  # stop words, numbers, mentions
    en = doc_terms("Just tried the Jasmine tea, it is lovely #teatime")
    assert en[0] == "#teatime#" and "jasmine" in en and "lovely" in en and "just" not in en and "is" not in en


def _corpus() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a = [f"冷泡茶夏天喝很清爽 #冷泡茶# {x}" for x in rng.choice(["冰块", "柠檬", "薄荷"], 30)]
    b = [f"新春礼盒包装精美送长辈 #年货# {x}" for x in rng.choice(["红色", "礼物", "过年"], 30)]
    common = ["茶叶品质稳定物流很快"] * 20
    return pd.DataFrame({"text": a + b + common, "campaign": ["summer"] * 30 + ["newyear"] * 30 + ["none"] * 20})


def test_keywords_per_group_rank_group_terms_with_hashtags():
    kw = keywords(_corpus(), by="campaign", top=5)
    summer = kw[kw["group"] == "summer"]["term"].tolist()
    newyear = kw[kw["group"] == "newyear"]["term"].tolist()
    assert "#冷泡茶#" in summer and "清爽" in summer  # jieba splits 冷泡茶 into 冷 / 泡茶
    assert "#年货#" in newyear and not set(summer) & {"#年货#", "礼盒"}
    assert kw["is_hashtag"].any() and (kw["share"] <= 1).all()


def test_keywords_drop_terms_in_most_documents():
    frame = pd.DataFrame({"text": ["山茶社 龙井 好喝"] * 8 + ["山茶社 普洱 浓郁"] * 2})
    kw = keywords(frame, max_df=0.5)
    assert "山茶社" not in kw["term"].tolist() and "普洱" in kw["term"].tolist()


def test_distinctive_terms_separate_segments():
    d = distinctive(_corpus(), "campaign", top=3)
    top_summer = d[d["group"] == "summer"]["term"].tolist()
    top_newyear = d[d["group"] == "newyear"]["term"].tolist()
    assert set(top_summer) <= {"#冷泡茶#", "泡茶", "夏天", "清爽", "冰块", "柠檬", "薄荷"}
    assert "#年货#" in d[d["group"] == "newyear"]["term"].tolist() or "礼盒" in top_newyear
    assert (d.groupby("group")["z"].max() > 2).all()


def test_topics_cluster_cooccurring_terms_and_assign_documents():
    table, assign = topics(_corpus(), min_co=3)
    assert len(table) >= 2
    by_term = {t: row.topic for row in table.itertuples() for t in row.terms}
    assert by_term["#冷泡茶#"] == by_term["清爽"] != by_term["#年货#"] == by_term["礼盒"]
    assert (assign[:30] == by_term["#冷泡茶#"]).all() and (assign[30:60] == by_term["#年货#"]).all()
    assert (table["coherence"] > 0).all()


def test_segments_source_and_follower_tier():
    import pytest

    from hudong.errors import HudongError
    from hudong.text.keywords import segment_of

    posts = pd.DataFrame({
        "own_account": [True, True, False, False, None],
        "is_ugc": [False, True, True, False, None],
        "author_followers": [2_000_000, 999, 1_000, 10_000, None],
    })  # fmt: skip
    assert segment_of(posts, "source").tolist() == ["own", "ugc", "ugc", "other", "other"]
    assert segment_of(posts, "tier").tolist() == ["mega", "none", "nano", "micro", "unknown"]
    assert segment_of(posts, "tier", {"small": 0, "big": 5_000}).tolist() == ["big", "small", "small", "big", "unknown"]
    with pytest.raises(HudongError, match="unknown segment"):
        segment_of(posts, "age")


# ---- stop words on real posts (issue #19 item 18: English topics and bursts were "was", "after", "but") --------
# Function words a reader would never call a topic, chosen independently of the stop list in the code.
EN_FUNCTION = {"was", "after", "but", "have", "this", "that", "they", "their", "them", "your", "you", "our", "who",
               "what", "when", "why", "how", "about", "will", "would", "out", "more", "now", "with", "from", "been",
               "were", "just", "don't", "i'm", "it's", "can't", "rt", "via", "amp", "http", "https", "did", "does"}  # fmt: skip
ZH_FUNCTION = {"不要", "这是", "不能", "不会", "所有", "很多", "一次", "一个", "没有", "我们", "就是", "已经", "可以", "因为",
               "所以", "但是", "什么", "这个", "为了", "只要", "只有", "正在", "原来", "有人", "多少", "这种", "真是",
               "的话", "难道", "看来", "肯定", "看到", "最后", "自己", "大家", "时候"}  # fmt: skip


def _tweets() -> list[str]:
    from conftest import shared_data

    d = shared_data("tweeteval")
    return [line.rstrip("\n") for f in ("sentiment/val_text.txt", "hate/train_text.txt", "offensive/train_text.txt")
            for line in open(d / f, encoding="utf-8")]  # fmt: skip


def test_english_top_terms_topics_and_bursts_have_no_stop_words():
    """TweetEval tweets (sentiment val, hate and offensive train; 25k real tweets): the 100 most frequent terms,
    the top keywords, every topic's terms and the bursting terms hold no English function word."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from hudong.text.keywords import term_matrix

    tweets = _tweets()
    stop = EN_FUNCTION | set(ENGLISH_STOP_WORDS)
    frequent = term_matrix(tweets)["term"].value_counts().head(100).index
    assert not stop & set(frequent), sorted(stop & set(frequent))
    frame = pd.DataFrame({"text": tweets})
    assert not stop & set(keywords(frame, top=50)["term"])
    table, _ = topics(frame)
    assert len(table) >= 2 and not stop & {t for terms in table["terms"] for t in terms}
    # bursts: the tweets spread over 30 days in file order
    from hudong.text.bursts import count_terms, detect_bursts

    days = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(len(tweets)) * 30 // len(tweets), unit="D")
    counts = count_terms(pd.DataFrame({"created_at": days, "text": tweets}), "D", min_docs=20)
    assert not stop & set(counts.terms)
    assert not stop & set(detect_bursts(counts)["term"])


def test_chinese_top_terms_have_no_function_words():
    """Real Weibo posts (the CED originals, 2,709 posts): the 100 most frequent terms and the top keywords hold no
    common function word or adverb (不要, 这是, 不能, 很多, …)."""
    import gzip
    import json

    from conftest import shared_data
    from hudong.text.keywords import term_matrix

    path = shared_data("weibo_ced_rumor_cascades", "ced_original_microblogs.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        posts = [json.loads(line).get("text") or "" for line in f]
    frequent = set(term_matrix(posts)["term"].value_counts().head(100).index)
    assert not ZH_FUNCTION & frequent, sorted(ZH_FUNCTION & frequent)
    assert not ZH_FUNCTION & set(keywords(pd.DataFrame({"text": posts}), top=50)["term"])
