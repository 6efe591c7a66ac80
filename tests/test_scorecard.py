"""Scorecard arithmetic on plain evidence values: mappings, weights, missing evidence, coverage, recommendations."""

from __future__ import annotations

import json

import pytest

from hudong.decide import evidence as E
from hudong.decide.recommendations import load_recommendation_rules, recommend
from hudong.decide.rules import load_rules, piecewise
from hudong.decide.scorecard import score, score_dimension

RULES = load_rules()


# ---- piecewise-linear mapping -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-1, 0), (0, 0), (0.5, 30), (0.75, 40), (1, 50), (1.5, 65), (4, 100), (10, 100)],
)
def test_piecewise_interpolates_and_clamps(value, expected):
    points = [(0, 0), (0.5, 30), (1, 50), (2, 80), (4, 100)]
    assert piecewise(value, points) == pytest.approx(expected)


def test_piecewise_decreasing_curve_for_response_time():
    rule = RULES.evidence_rule("first_response_minutes")
    assert rule.score(0) == 100
    assert rule.score(240) == 70  # Sprout: 4 h expectation
    assert rule.score(600) == 40  # Sprout: 10 h brand average
    assert rule.score(420) == pytest.approx(55)  # halfway between 4 h and 10 h
    assert rule.score(10_000) == 0


def test_piecewise_rejects_unsorted_points():
    with pytest.raises(ValueError, match="ascending"):
        piecewise(1, [(2, 0), (1, 10)])


# ---- dimension score: weighted mean of what exists; coverage -------------------------------------


def test_dimension_is_weighted_mean_of_computed_items_only():
    dim = RULES.dimension("engagement")
    # er_followers_index 1.0 → 50 points (w .35); stickiness 0.2 → 75 points (w .2); the rest missing.
    d = score_dimension(dim, {"er_followers_index": 1.0, "stickiness": 0.2}, min_coverage=0.3)
    assert [e.key for e in d.evidence] == ["er_followers_index", "stickiness"]
    assert d.score == pytest.approx((50 * 0.35 + 75 * 0.2) / (0.35 + 0.2), abs=0.05)
    total = sum(r.weight for r in dim.evidence)
    assert d.coverage == pytest.approx(0.55 / total, abs=1e-3)
    assert {m.key for m in d.missing} == {"er_reach", "ugc_share", "ugc_quality", "group_peer_answers",
                                          "newcomer_answer_minutes"}


def test_missing_evidence_keeps_its_reason_and_is_not_scored():
    dim = RULES.dimension("relationship")
    why = E.Missing("未导入订单", "no orders imported")
    d = score_dimension(dim, {"repurchase_rate": why, "nps": 30.0}, min_coverage=0.0)
    assert d.score == pytest.approx(70)  # only NPS counts: 30 → 70 points
    miss = {m.key: m for m in d.missing}
    assert miss["repurchase_rate"].reason_en == "no orders imported"
    assert miss["repurchase_rate"].reason_zh == "未导入订单"


def test_dimension_below_min_coverage_is_not_scorable():
    dim = RULES.dimension("relationship")
    d = score_dimension(dim, {"response_rate": 0.9}, min_coverage=0.3)  # weight .15 of 1.0
    assert d.score is None
    assert d.coverage == pytest.approx(0.15)
    assert not d.scorable


def test_nps_with_too_few_answers_is_missing_not_scored():
    dim = RULES.dimension("relationship")
    small = E.Observation(60.0, {"n": 12})
    d = score_dimension(dim, {"nps": small}, min_coverage=0.0)
    assert d.score is None
    assert "n=12" in d.missing[[m.key for m in d.missing].index("nps")].reason_en


def test_non_finite_value_is_missing():
    dim = RULES.dimension("engagement")
    d = score_dimension(dim, {"er_reach": float("nan")}, min_coverage=0.0)
    assert d.score is None
    assert "er_reach" in {m.key for m in d.missing}


def test_overall_is_mean_of_scorable_dimensions_and_level():
    values = {"er_followers_index": 4.0, "er_reach": 0.05, "ugc_share": 0.5, "ugc_quality": 0.7, "stickiness": 0.4,
              "group_peer_answers": 0.8, "newcomer_answer_minutes": 0}
    values |= {
        "nps": 0.0,
        "repurchase_rate": 0.1,
        "fan_loyalty": 0.1,
        "response_rate": 0.11,
        "first_response_minutes": 600,
    }
    values |= {"posting_alignment": 0.5, "campaign_tracking": 0.3, "responses_within_sla": 1.0}  # 75, 100, 100
    values |= {"share_of_voice": 1.0, "share_of_engagement": 1.0, "net_sentiment": 0.0}  # 50, 50, 40
    card = score(values)
    eng, rel = card.dimension("engagement"), card.dimension("relationship")
    assert eng.score == 100 and eng.coverage == 1.0
    expected_rel = (40 * 0.3 + 30 * 0.25 + 30 * 0.15 + 20 * 0.15 + 40 * 0.15) / 1.0
    assert rel.score == pytest.approx(expected_rel, abs=0.05)
    scorable = [d.score for d in card.dimensions if d.score is not None]
    assert len(scorable) == 4 and card.coverage >= RULES.min_overall_coverage
    assert card.overall == pytest.approx(round(sum(scorable) / 4, 1))
    assert card.dimension("strategic_integration").score is None
    assert card.level_en == RULES.level(card.overall, "en")
    assert not card.insufficient_evidence


def test_low_overall_coverage_gives_insufficient_evidence_not_a_grade():
    """Two well-evidenced dimensions of five (coverage 40%) do not make a maturity grade: no overall, no level."""
    assert 0 < RULES.min_overall_coverage <= 1  # stated in rules.toml
    values = {"er_followers_index": 4.0, "er_reach": 0.05, "ugc_share": 0.5, "ugc_quality": 0.7, "stickiness": 0.4,
              "group_peer_answers": 0.8, "newcomer_answer_minutes": 0,
              "nps": 30.0, "repurchase_rate": 0.4, "fan_loyalty": 0.5, "response_rate": 0.9,
              "first_response_minutes": 60}  # fmt: skip
    card = score(values)
    assert card.coverage == pytest.approx(0.4)
    assert card.dimension("engagement").score == 100  # dimensions keep their own scores
    assert card.insufficient_evidence
    assert card.overall is None and card.level_zh is None and card.level_en is None
    data = json.loads(card.to_json())
    assert data["insufficient_evidence"] is True and data["overall"] is None and data["level_en"] is None
    assert data["coverage"] == pytest.approx(0.4) and data["min_overall_coverage"] == RULES.min_overall_coverage
    zh, en = card.to_text("zh").splitlines()[0], card.to_text("en").splitlines()[0]
    assert "证据不足" in zh and "40%" in zh and "/100" not in zh
    assert "insufficient evidence" in en.lower() and "40%" in en and "Managed" not in en and "/100" not in en


def test_self_assessment_answers_are_quarter_points():
    card = score({"self.strategy_in_plan": 4, "self.product_cocreation": 2, "self.service_via_social": 0})
    d = card.dimension("strategic_integration")
    assert d.score == pytest.approx((100 + 50 + 0) / 3, abs=0.05)
    assert d.coverage == pytest.approx(3 / 7, abs=1e-3)
    unanswered = [m for m in d.missing if m.key == "self.responsibility"][0]
    assert "not answered" in unanswered.reason_en


def test_levels():
    assert RULES.level(0, "zh") == "起步"
    assert RULES.level(59.9, "en") == "Defined"
    assert RULES.level(80, "en") == "Leading"


def test_scorecard_json_round_trip_has_evidence_benchmarks_and_missing():
    card = score(
        {
            "er_followers_index": E.Observation(2.0, {"platforms": {"weibo": {"er": 0.0007}}}),
            "net_sentiment": E.Missing("尚未实现", "not available yet"),
        }
    )
    data = json.loads(card.to_json())
    eng = next(d for d in data["dimensions"] if d["key"] == "engagement")
    ev = eng["evidence"][0]
    assert ev["key"] == "er_followers_index" and ev["points"] == 80
    assert "Rival IQ" in ev["benchmark_en"] and ev["source"]
    assert ev["mapping"][0] == [0, 0]
    brand = next(d for d in data["dimensions"] if d["key"] == "brand")
    sentiment = next(m for m in brand["missing"] if m["key"] == "net_sentiment")
    assert sentiment["reason_en"] == "not available yet" and sentiment["reason_zh"] == "尚未实现"


# ---- the rules file is coherent ----------------------------------------------------------------


def test_every_data_evidence_has_an_extractor_and_a_cited_benchmark():
    for d in RULES.dimensions:
        assert d.evidence, d.key
        for e in d.evidence:
            assert e.weight > 0, e.key
            xs = [x for x, _ in e.points]
            assert xs == sorted(xs), e.key
            assert all(0 <= y <= 100 for _, y in e.points), e.key
            assert e.zh and e.en and e.benchmark_zh and e.benchmark_en and e.source, e.key
            if e.unit != "answer":
                assert e.key in E.EXTRACTORS, e.key
    assert {d.key for d in RULES.dimensions} == {
        "engagement",
        "relationship",
        "data_driven",
        "brand",
        "strategic_integration",
    }


def test_data_driven_dimension_mixes_data_and_self_assessment():
    dim = RULES.dimension("data_driven")
    units = {e.unit for e in dim.evidence}
    assert "answer" in units and units - {"answer"}


# ---- recommendations ---------------------------------------------------------------------------


def test_slow_replies_trigger_reply_in_time_citing_the_evidence():
    recs = recommend({"first_response_minutes": 600.0, "response_rate": 0.95})
    rec = next(r for r in recs if r.id == "reply_in_time")
    assert rec.priority == 1
    [cite] = rec.evidence  # response rate 95% does not fire; only the slow reply is cited
    assert (cite.evidence, cite.metric, cite.value, cite.op, cite.threshold) == (
        "first_response_minutes",
        "first_response_minutes",
        600.0,
        ">",
        240.0,
    )
    assert "Sprout" in cite.benchmark_en
    assert "4" in rec.text_zh and "4" in rec.text_en


def test_fast_replies_do_not_trigger_reply_in_time():
    recs = recommend({"first_response_minutes": 30.0, "response_rate": 0.95})
    assert "reply_in_time" not in {r.id for r in recs}


def test_missing_nps_triggers_measure_nps_with_the_reason():
    recs = recommend({"nps": E.Missing("未导入 NPS 问卷", "no NPS survey imported")})
    rec = next(r for r in recs if r.id == "measure_nps")
    assert rec.evidence[0].op == "missing"
    assert rec.evidence[0].reason_en == "no NPS survey imported"
    assert rec.evidence[0].value is None


def test_measured_nps_does_not_trigger_measure_nps():
    assert "measure_nps" not in {r.id for r in recommend({"nps": 20.0})}


def test_missing_values_never_fire_comparisons():
    recs = recommend({"ugc_share": E.Missing("x", "x")})
    assert "activate_ugc" not in {r.id for r in recs}
    assert "activate_ugc" in {r.id for r in recommend({"ugc_share": 0.05})}


def test_focus_platforms_names_the_best_platforms_in_each_language():
    recs = recommend({}, {"active_platforms": 4, "top_platforms": ["douyin", "xiaohongshu"]})
    rec = next(r for r in recs if r.id == "focus_platforms")
    assert "抖音、小红书" in rec.text_zh
    assert "Douyin, Xiaohongshu" in rec.text_en
    assert rec.evidence[0].value == 4


def test_best_hours_are_quoted():
    recs = recommend({"posting_alignment": 0.1}, {"best_hours": [20, 21]})
    rec = next(r for r in recs if r.id == "post_at_best_hours")
    assert "20, 21" in rec.text_zh and rec.evidence[0].value == 0.1


def test_recommendations_sorted_by_priority_and_rules_cover_faq2():
    recs = recommend({"ugc_share": 0.0, "campaign_tracking": 0.0, "stickiness": 0.01})
    assert [r.priority for r in recs] == sorted(r.priority for r in recs)
    ids = {r.id for r in load_recommendation_rules()}
    assert {
        "reply_in_time",
        "activate_ugc",
        "focus_platforms",
        "post_at_best_hours",
        "community_group",
        "work_with_kocs",
        "measure_nps",
        "content_value",
    } <= ids
    for r in load_recommendation_rules():
        assert r.zh and r.en and r.conditions and r.priority in (1, 2, 3)


def test_docs_are_generated_from_the_rules():
    from pathlib import Path

    from hudong.decide.docs import markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "scorecard.md"
    assert doc.read_text(encoding="utf-8") == markdown(), "run: python -m hudong.decide.docs > docs/scorecard.md"
    for d in RULES.dimensions:
        assert d.zh in doc.read_text(encoding="utf-8")


def test_text_summary_for_the_terminal():
    card = score({"er_followers_index": 2.0, "stickiness": 0.2, "nps": E.Missing("未导入 NPS 问卷", "no NPS survey")})
    zh, en = card.to_text("zh"), card.to_text("en")
    assert "用户参与度" in zh and "2.00× → 80" in zh and "未导入 NPS 问卷" in zh
    assert "User engagement" in en and "20.0% → 75" in en and "no NPS survey" in en
    assert "用户参与度" not in en
