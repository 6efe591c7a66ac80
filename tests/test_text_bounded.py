"""Issue #19 item 2: a 5 MB text cell froze the product. Every analysis reads a bounded part of each text
(``tokenize.analysed``: the first ``max_chars()`` characters, runs of one character cut to 3) and jieba never gets
an unbroken run longer than ``JIEBA_PIECE`` characters (its HMM is quadratic in such a run).

Deterministic checks spy on the real jieba tokenizer (what it is handed), one end-to-end check runs the text
commands on a workspace imported with a 5 MB cell and a '测' * 200_000 cell under a generous time limit."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

# Bounds the tests hold the code to, whatever its defaults: what jieba and the feature extractors may be handed.
MAX_ANALYSED = 10_000  # characters of one text that may be analysed
MAX_JIEBA_BLOCK = 1_000  # characters of one unbroken block (jieba's re_han_default) one jieba call may get
PROSE = "山茶社的新品春茶太难喝了，客服三天都不回复，退款也不给办，真的很失望。我们只想要一个说法。"
BIG_ZH = (PROSE * 120_000)[:1_700_000]  # ≈ 5 MB of UTF-8
BIG_EN = ("I was not afraid but the tea after the launch was awful and support never answered " * 60_000)[:5_000_000]
RUN = "测" * 200_000


@pytest.fixture
def jieba_inputs(monkeypatch):
    """The sizes of the texts handed to the real jieba tokenizer; a text over the bound fails at once (before
    jieba spends minutes on it)."""
    import jieba

    from hudong.text.tokenize import _jieba

    _jieba()
    seen: list[int] = []
    original = jieba.Tokenizer.cut

    def cut(self, sentence, *args, **kwargs):
        n = len(sentence)
        seen.append(n)
        assert n <= MAX_ANALYSED, f"jieba was handed {n:,} characters"
        block = max((len(b) for b in jieba.re_han_default.findall(sentence)), default=0)
        assert block <= MAX_JIEBA_BLOCK, f"jieba was handed an unbroken block of {block:,} characters"
        run = re.search(r"(.)\1{3,}", sentence)
        assert run is None, f"jieba was handed a run of {len(run.group(0))} repeated characters"
        return original(self, sentence, *args, **kwargs)

    monkeypatch.setattr(jieba.Tokenizer, "cut", cut)
    return seen


def test_segment_hands_jieba_bounded_pieces_of_any_text(jieba_inputs):
    from hudong.text.tokenize import segment

    assert segment(RUN) == segment("测测测")
    words = segment(BIG_ZH)
    assert jieba_inputs and max(jieba_inputs) <= MAX_ANALYSED
    assert 0 < sum(len(w) for w in words) <= MAX_ANALYSED
    # an unbroken block of Han characters with no punctuation is cut into pieces too
    unbroken = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(30_000))
    jieba_inputs.clear()
    segment(unbroken)
    assert len(jieba_inputs) >= 2  # in pieces (the spy checks each one)


def test_keywords_topics_and_bursts_read_bounded_text(jieba_inputs):
    from hudong.text.bursts import term_series
    from hudong.text.keywords import doc_terms, keywords, topics

    days = pd.date_range("2026-03-01", periods=6, freq="D")
    frame = pd.DataFrame({"created_at": list(days) * 3,
                          "text": [BIG_ZH, RUN, BIG_EN, PROSE, "#春茶节# 山茶社 新品", "新品 春茶 好喝"] * 3})  # fmt: skip
    assert len(doc_terms(BIG_ZH)) < 200 and doc_terms(RUN) == []
    keywords(frame, top=5)
    topics(frame)
    term_series(frame, "D")
    assert jieba_inputs and max(jieba_inputs) <= MAX_ANALYSED


def test_analysed_text_is_a_bounded_prefix_with_runs_cut():
    from hudong.text.tokenize import MAX_RUN, analysed, max_chars

    assert analysed(RUN) == "测" * MAX_RUN
    assert analysed("好好好好好吃!!!!!!") == "好好好吃!!!"
    assert len(analysed(BIG_ZH)) == max_chars() <= MAX_ANALYSED
    assert BIG_ZH.startswith(analysed(BIG_ZH))  # a prefix (the prose has no runs)
    for t in (BIG_ZH, BIG_EN, RUN, "abc", "", None):
        assert analysed(analysed(t)) == analysed(t)  # idempotent: every layer may call it


def test_model_features_language_entities_and_mentions_are_bounded():
    from hudong.text.features import en_tokens, zh_units
    from hudong.text.mentions import Brand, BrandMatcher
    from hudong.text.tokenize import detect_lang, extract, strip_entities

    assert len(zh_units(BIG_ZH)) <= MAX_ANALYSED and len(zh_units(RUN)) <= 3
    assert len(en_tokens(BIG_EN)) <= MAX_ANALYSED
    assert detect_lang(BIG_ZH) == "zh" and detect_lang(BIG_EN) == "en"
    assert len(extract(BIG_ZH).clean) <= MAX_ANALYSED and len(strip_entities(BIG_EN)) <= MAX_ANALYSED
    m = BrandMatcher([Brand("山茶社", is_own=True)])
    assert len(m.find(BIG_ZH)) <= MAX_ANALYSED // len(PROSE) + 1  # matches in the analysed part only


def test_sentiment_emotion_and_toxicity_take_huge_texts():
    from hudong.text import emotion, sentiment, toxicity

    # 'not afraid' repeated: every cue negated, which made the cue scan quadratic in the text length
    negated = "not afraid " * 400_000
    for mod in (sentiment, emotion, toxicity):
        out = mod.predict([BIG_ZH, BIG_EN, RUN, negated])
        assert [r.lang for r in out] == ["zh", "en", "zh", "en"]


def test_max_chars_comes_from_hudong_toml_per_workspace(tmp_path):
    import threading

    from hudong.analyses import texts
    from hudong.analyses.context import workspace_text
    from hudong.errors import HudongError
    from hudong.metrics import testing as T
    from hudong.store.workspace import Workspace
    from hudong.text import tokenize

    T.workspace(tmp_path / "ws", posts=[dict(post_id="p", author_id="a", created_at=dt.datetime(2024, 1, 1),
                                             text=BIG_ZH)]).close()
    toml = tmp_path / "ws" / "hudong.toml"
    assert "[text]" in toml.read_text() and "max_chars = 5000" in toml.read_text()
    toml.write_text(toml.read_text().replace("max_chars = 5000", "max_chars = 300"))
    with Workspace.open(tmp_path / "ws") as ws:
        assert tokenize.max_chars() == tokenize.DEFAULT_MAX_CHARS  # opening a workspace changes nothing global
        assert len(texts.posts(ws)["text"].iloc[0]) == 300  # an analysis of the workspace reads its setting
        seen = {}
        with workspace_text(ws) as models:
            other = threading.Thread(target=lambda: seen.update(other=len(tokenize.analysed(BIG_ZH))))
            other.start()
            other.join()
            assert models == {}  # no adapted models in this workspace
            assert tokenize.max_chars() == 300 and len(tokenize.analysed(BIG_ZH)) == 300
        assert seen["other"] == tokenize.DEFAULT_MAX_CHARS  # another thread (another workspace) is not affected
    assert tokenize.max_chars() == tokenize.DEFAULT_MAX_CHARS
    toml.write_text(toml.read_text().replace("max_chars = 300", 'max_chars = "lots"'))
    with Workspace.open(tmp_path / "ws") as ws, pytest.raises(HudongError, match=r"\[text\] max_chars"):
        texts.posts(ws)


# ---- the text commands on an imported workspace with a 5 MB cell ---------------------------------------------------
COMMANDS = [
    ["text", "score"],
    ["text", "topics", "--format", "json"],
    ["text", "topics", "--clusters", "--format", "json"],
    ["text", "bursts", "--format", "json"],
    ["text", "alerts", "--with-comments", "--format", "json"],
    ["text", "mentions", "--format", "json"],
]


def _huge_workspace(tmp_path):
    from hudong.ingest import import_file
    from hudong.store.workspace import Workspace

    ws = Workspace.init(tmp_path / "ws")
    toml = ws.path / "hudong.toml"
    toml.write_text(toml.read_text().replace('[brand]\nname = ""', '[brand]\nname = "山茶社"'))
    rows = []
    for i in range(56):
        day = pd.Timestamp("2026-03-01") + pd.Timedelta(days=i % 28, hours=i % 24)
        text = [PROSE, "#春茶节# 山茶社的新品真好喝，包装也漂亮", "Camellia tea launch was lovely, great support",
                "今天去山茶社买了龙井，味道一般"][i % 4]
        rows.append({"platform": "weibo", "post_id": f"p{i}", "author_id": f"u{i % 9}", "created_at": str(day),
                     "text": text})  # fmt: skip
    for k, text in enumerate((BIG_ZH, RUN, BIG_EN)):
        rows.append({"platform": "weibo", "post_id": f"huge{k}", "author_id": "u1",
                     "created_at": "2026-03-28 12:00:00", "text": text})  # fmt: skip
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    try:
        import_file(ws, path, "generic-posts")
        stored = ws.con.execute("SELECT max(length(text)), count(*) FROM posts").fetchone()
    finally:
        ws.close()
    assert stored == (len(BIG_EN), 59)  # stored whole: only the analysis is bounded
    return tmp_path / "ws"


def test_text_commands_finish_quickly_on_a_workspace_with_a_5mb_cell(tmp_path):
    """Before the fix `hudong text bursts` ran > 10 minutes on such a workspace (jieba on '测' * 200_000 alone
    takes ≈ 190 s). The limit below is generous: the six commands take ≈ 30 s together on a quiet machine."""
    d = _huge_workspace(tmp_path)
    script = textwrap.dedent(f"""
        import sys, time
        from hudong.cli import cli
        for args in {COMMANDS!r}:
            t = time.perf_counter()
            try:
                cli.main(["-w", {str(d)!r}, *args], standalone_mode=False)
            finally:
                print("DONE", " ".join(args), round(time.perf_counter() - t, 1), file=sys.stderr, flush=True)
    """)
    env = {**os.environ, "HUDONG_DEBUG": "1"}
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    done = [line for line in r.stderr.splitlines() if line.startswith("DONE")]
    assert len(done) == len(COMMANDS), r.stderr[-3000:]
    assert "山茶社" in r.stdout
