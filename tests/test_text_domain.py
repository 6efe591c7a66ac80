"""Know when not to trust the score: vocabulary coverage, the workspace's out-of-domain share, its warnings."""

from __future__ import annotations

import csv
import gzip
import json
import random

import numpy as np
from click.testing import CliRunner

from conftest import posts_csv, shared_data
from hudong import analyses
from hudong.text import adapt, domain

SHIPPED_ZH = adapt.shipped_model("sentiment", "zh")


def test_coverage_counts_known_ngrams():
    cov = domain.coverage(SHIPPED_ZH, ["很好吃，下次还会再来，服务态度也不错", "龘靐齉爩鱻麤龘靐齉爩", "好", ""])
    assert cov[0] > 0.7 and cov[1] == 0.0  # review words vs characters no review uses
    assert np.isnan(cov[2]) and np.isnan(cov[3])  # no bigram to judge
    en = adapt.shipped_model("sentiment", "en")
    c = domain.check(en, ["I love this so much", "zxqv blorpt frindle wug"] * 3)
    assert c.texts == 6 and c.low_coverage == 3 and c.warn and c.low_share == 0.5


def test_home_domain_passes_and_epidemic_weibo_is_flagged():
    """Reviews (the zh model's own domain) vs epidemic-era Weibo (SMP2020-EWECT virus eval), both never trained on."""
    with open(shared_data("chinese_review_sentiment_sophonplus", "waimai_10k.csv"), encoding="utf-8") as f:
        reviews = [r["review"] for r in csv.DictReader(f)][:3000]
    with gzip.open(shared_data("smp2020_ewect_weibo_emotion", "smp2020_ewect.jsonl.gz"), "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    virus = [r["content"] for r in rows if r["domain"] == "virus" and r["split"] == "eval"]
    home, shifted = domain.check(SHIPPED_ZH, reviews), domain.check(SHIPPED_ZH, virus)
    assert home.low_share < 0.1 and not home.warn
    assert shifted.low_share > 0.35 and shifted.warn


def _workspace_with(tmp_path, texts):
    from hudong.analyses.scoring import import_and_score
    from hudong.store.workspace import Workspace

    ws = Workspace.init(tmp_path / "ws")
    import_and_score(ws, [(posts_csv(tmp_path / "posts.csv", texts), "generic-posts")], score=False)
    return ws


def test_workspace_warning_reaches_cli_report_and_web_and_adapting_lifts_it(tmp_path):
    """An out-of-domain workspace (the COVID-19 Weibo stream) is warned about everywhere; after `text adapt` the
    adapted model covers the texts and the warning goes."""
    from hudong.cli import cli
    from hudong.report.text_sections import domain_warnings

    with gzip.open(shared_data("covid19_weibo_emotion", "unlabeled_daily_sample.csv.gz"), "rt", encoding="utf-8") as fh:
        texts = random.Random(1).sample([r["text"] for r in csv.DictReader(fh)], 6000)
    ws = _workspace_with(tmp_path, texts)
    try:
        res = analyses.run(ws, "text_domain")
        zh = res.frame("languages").set_index("lang").loc["zh"]
        assert res.values["warn"] and res.values["langs_warned"] == ["zh"] and not zh["adapted"]
        (zh_warn,) = domain_warnings(res, "zh")
        assert "hudong text adapt" in zh_warn and "中文" in zh_warn
    finally:
        ws.close()
    run = CliRunner().invoke
    ws_dir = str(tmp_path / "ws")
    r = run(cli, ["--workspace", ws_dir, "text", "domain"])
    assert r.exit_code == 0 and "OUT OF DOMAIN" in r.output and "hudong text adapt" in r.output, r.output
    r = run(cli, ["--workspace", ws_dir, "text", "adapt"])
    assert r.exit_code == 0 and "+ws1" in r.output, r.output
    r = run(cli, ["--workspace", ws_dir, "text", "domain", "--json"])
    out = json.loads(r.output)
    (zh,) = [x for x in out["languages"] if x["lang"] == "zh"]
    assert zh["adapted"] and zh["low_share"] < 0.25 and not out["warn"], out


def test_demo_report_shows_the_warning(demo_workspaces, tmp_path):
    """The demo brand's generated Chinese UGC is out of the shipped model's domain (issue #18): said, not hidden."""
    from hudong.report.text_sections import gather_text
    from hudong.store.workspace import Workspace

    with Workspace.open(demo_workspaces.copy(tmp_path / "ws")) as ws:
        sec = gather_text(ws, "en")
        res = analyses.run(ws, "text_domain")
    assert res.values["warn"] and any("of the Chinese texts" in w for w in sec.domain_warnings)


def test_each_stored_score_carries_its_coverage(tmp_path):
    """`text score` stores each text's coverage next to its score, counts the texts outside the model's domain, and
    the posts read (what the front ends list) carries it."""
    from hudong.analyses import texts as text_reads
    from hudong.cli import cli

    review, foreign = "很好吃，下次还会再来，服务态度也不错", "龘靐齉爩鱻麤龘靐齉爩"
    ws = _workspace_with(tmp_path, [review, foreign, "I love this so much", "zxqv blorpt frindle wug", "好"])
    ws.close()
    r = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "text", "score"])
    assert r.exit_code == 0, r.output
    assert "outside the sentiment model's domain" in r.output and "zh 1 of 3 (33%)" in r.output, r.output
    assert "en 1 of 2 (50%)" in r.output and "hudong text adapt" in r.output
    from hudong.store.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")
    try:
        got = text_reads.posts(ws).set_index("text")["coverage"]
        expected = {t: domain.coverage(SHIPPED_ZH, [t])[0] for t in (review, foreign)}
        assert got[review] == expected[review] > 0.7 and got[foreign] == 0.0
        assert got["I love this so much"] == 1.0 and got["zxqv blorpt frindle wug"] == 0.0
        assert np.isnan(got["好"])  # too short to judge: null, not a guess
    finally:
        ws.close()
