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
