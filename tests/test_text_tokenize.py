"""Language detection, social-media entities and segmentation (hudong.text.tokenize)."""

from __future__ import annotations

import pytest

from hudong.text import tokenize as tk
from hudong.text.tokenize import detect_lang, extract, segment, strip_entities


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("今天的奶茶太好喝了", "zh"),
        ("新款iPhone的拍照效果真的很不错", "zh"),  # Chinese carrying a Latin brand name
        ("@SomeUser http://t.cn/A6xyz 哈哈哈笑死我了", "zh"),  # URL and mention do not count as Latin text
        ("I love this tea, best purchase this year!", "en"),
        ("#OOTD @bob loving it https://example.com/a/b", "en"),
        ("東京のラーメンはおいしいです", "other"),  # kana → Japanese
        ("Привет, как дела?", "other"),
        ("👍👍👍", "other"),
        ("[哈哈][哈哈]", "other"),  # only emoticon codes
        ("", "other"),
        ("12345 !!!", "other"),
    ],
)
def test_detect_lang(text, lang):
    assert detect_lang(text) == lang


def test_extract_weibo_post():
    p = extract("#新品上市#真的太好喝了[哈哈][赞]😀👍🏻 @山茶社官方 快来 http://t.cn/A6abc。")
    assert p.lang == "zh"
    assert p.hashtags == ("新品上市",)
    assert p.emoticons == ("哈哈", "赞")
    assert p.emoji == ("😀", "👍🏻")
    assert p.mentions == ("山茶社官方",)
    assert p.urls == ("http://t.cn/A6abc",)
    assert p.clean == "新品上市 真的太好喝了 快来 。"


def test_extract_english_post():
    p = extract("Loving the new menu! #foodie #brunch @cafe_42 see https://ex.com/p?id=1. mail me at a.b@example.com")
    assert p.lang == "en"
    assert p.hashtags == ("foodie", "brunch")
    assert p.mentions == ("cafe_42",)  # the e-mail address is not a mention
    assert p.urls == ("https://ex.com/p?id=1",)


def test_emoji_sequences_stay_whole():
    assert extract("家庭👨‍👩‍👧 国旗🇨🇳 好👍").emoji == ("👨\u200d👩\u200d👧", "🇨🇳", "👍")


def test_hashtag_forms():
    assert extract("#a #b text").hashtags == ("a", "b")  # two single-hash tags, not one '#a #' topic
    assert extract("看完 #流浪地球2# 之后 #好看").hashtags == ("流浪地球2", "好看")
    assert extract("C# and F# are languages, &#39; is an entity").hashtags == ()


def test_strip_entities_options():
    s = "真好[哈哈]😀 #话题# @某人 http://t.cn/x"
    assert strip_entities(s) == "真好 话题"
    assert strip_entities(s, hashtags=True) == "真好"
    assert strip_entities(s, emoticons=False, emoji=False) == "真好[哈哈]😀 话题"
    assert strip_entities(s, urls=False, mentions=False, hashtag_marks=False) == "真好 #话题# @某人 http://t.cn/x"
    assert strip_entities("") == ""


def test_segment_chinese_uses_jieba_with_cache_in_hudong_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HUDONG_CACHE", str(tmp_path))
    monkeypatch.setattr(tk, "_JIEBA", None)  # force a fresh initialisation
    words = segment("我今天很开心，这家外卖太好吃了")
    assert "外卖" in words and "好吃" in words and "开心" in words
    assert (tmp_path / "jieba.cache").is_file()


def test_segment_english():
    assert segment("I don't like it!!") == ["I", "don't", "like", "it", "!", "!"]
    assert segment("") == []


def test_cache_dir_default(tmp_path, monkeypatch):
    monkeypatch.delenv("HUDONG_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert tk.cache_dir() == tmp_path / "hudong"
    assert (tmp_path / "hudong").is_dir()
