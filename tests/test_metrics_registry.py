"""The registry: declarations, the API contract, errors, portability rules and docs/metrics.md freshness."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa
import pytest

import hudong
from hudong import metrics
from hudong.errors import HudongError
from hudong.metrics import docs
from hudong.metrics import testing as T

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = [
    "net_sentiment",
    "share_of_positive_voice",
    "emotion_mix",
    "toxicity_rate",
    "ugc_quality_text",
    "posts",
    "engagements",
    "engagement_rate_impressions",
    "engagement_rate_impressions_total",
    "engagement_rate_reach",
    "engagement_rate_reach_total",
    "engagement_rate_followers",
    "engagement_rate_followers_total",
    "conversation_rate",
    "amplification_rate",
    "applause_rate",
    "daily_engagement_rate",
    "ugc_volume",
    "ugc_share",
    "ugc_quality",
    "ugc_creators",
    "dau",
    "wau",
    "mau",
    "stickiness",
    "group_active_members",
    "group_top_share",
    "group_peer_answers",
    "newcomer_answer_minutes",
    "newcomer_retention",
    "dormant_members",
    "follower_growth",
    "follower_growth_rate",
    "wau_mau",
    "new_users",
    "returning_users",
    "churned_users",
    "retention",
    "orbit_levels",
    "orbit_gravity",
    "repurchase_rate",
    "nps",
    "fan_loyalty",
    "share_of_voice",
    "share_of_engagement",
    "response_rate",
    "first_response_minutes",
    "first_response_minutes_mean",
    "first_response_minutes_all_hours",
    "responses_within_sla",
    "best_posting_hours",
]
D = dt.datetime


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = T.workspace(
        tmp_path_factory.mktemp("reg") / "ws",
        accounts=[dict(account_id="me", is_own=True, brand="B"), dict(account_id="r", is_own=False, brand="R")],
        posts=[
            dict(
                post_id="p",
                author_id="me",
                account_id="me",
                created_at=D(2024, 1, 1, 10),
                likes=3,
                impressions=10,
                reach=5,
                author_followers=100,
                text="B",
            ),
            dict(post_id="u", author_id="f", created_at=D(2024, 1, 2), is_ugc=True, text="about B and R"),
        ],
        interactions=[
            dict(
                interaction_id="c",
                type="comment",
                actor_id="f",
                target_post_id="p",
                is_inbound=True,
                created_at=D(2024, 1, 1, 11),
            ),
            dict(
                interaction_id="r",
                type="reply",
                actor_id="me",
                target_post_id="p",
                parent_id="c",
                by_staff=True,
                created_at=D(2024, 1, 1, 12),
            ),
        ],
        orders=[dict(order_id="o", user_id="f", created_at=D(2024, 1, 1))],
        survey_responses=[dict(response_id="s", survey_id="s", created_at=D(2024, 1, 1), nps_score=9)],
    )
    from hudong.analyses.scoring import score_workspace

    score_workspace(ws)  # net_sentiment reads the text_sentiment table
    yield ws
    ws.close()


def test_required_metrics_registered():
    names = [m.name for m in metrics.list_metrics()]
    assert sorted(names) == sorted(REQUIRED)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("m", metrics.list_metrics(), ids=lambda m: m.name)
def test_declaration_complete(m):
    for field in ("label_en", "label_zh", "formula", "source", "unit", "grain"):
        assert getattr(m, field).strip(), f"{m.name}.{field} empty"
    assert m.doc, f"{m.name} has no docstring"
    assert m.module in (
        "engagement", "ugc", "community", "groups", "followers", "relationship", "voice", "sentiment", "responsiveness", "timing"
    )
    assert set(m.dimensions) <= {
        "hour",
        "weekday",
        "day",
        "week",
        "month",
        "platform",
        "account",
        "campaign",
        "media_type",
        "brand",
        "emotion",
        "cohort",
        "period",
        "level",
        "group",
    }


@pytest.mark.parametrize("m", metrics.list_metrics(), ids=lambda m: m.name)
def test_every_metric_runs_with_documented_columns(ws, m):
    result = metrics.compute(ws, m.name)
    assert isinstance(result, pa.Table)
    assert result.column_names == [*m.implicit_dims, "value", *m.extra_columns]
    e = metrics.expr(ws, m.name)
    assert isinstance(e, ir.Table)
    # the same metric on a mapping of Arrow tables (no workspace) gives the same numbers
    arrow = {name: ws.con.execute(f'SELECT * FROM "{name}"').fetch_arrow_table() for name in m.tables}
    arrow |= {
        name: ws.con.execute(f'SELECT * FROM "{name}"').fetch_arrow_table()
        for name in ("posts", "interactions", "accounts", "users", "orders", "survey_responses")
        if name not in arrow
    }
    assert metrics.compute(arrow, m.name).to_pylist() == result.to_pylist()


@pytest.mark.parametrize("m", metrics.list_metrics(), ids=lambda m: m.name)
def test_every_dimension_accepted(ws, m):
    for d in m.dimensions:
        if d in m.implicit_dims:
            continue
        out = metrics.compute(ws, m.name, by=[d])
        assert out.column_names[0] == d


def test_workspace_metric_api(tmp_path):
    # The Python API opens a workspace itself, as a user's script would, and returns what the front ends show.
    T.workspace(tmp_path / "ws", accounts=[dict(account_id="me", is_own=True, brand="B")],
                posts=[dict(post_id="p", author_id="me", account_id="me", created_at=D(2024, 1, 1, 10))]).close()
    with hudong.open(tmp_path / "ws") as api:
        df = api.metric("posts", by=["platform", "week"])
        assert list(df.columns) == ["platform", "week", "value"]
        assert df["value"].tolist() == [1]
        assert api.metric("posts", output="arrow").num_rows == 1
        assert api.metric("posts", output="polars").shape == (1, 1)
        assert api.metric("posts", by=["platform"]).equals(metrics.frame(api, "posts", by=["platform"]))
        with pytest.raises(HudongError, match="unknown output"):
            api.metric("posts", output="excel")


def test_errors(ws):
    with pytest.raises(HudongError, match="unknown metric 'nope'; metrics: .*posts"):
        metrics.compute(ws, "nope")
    with pytest.raises(HudongError, match="cannot be grouped by 'campaign'; dimensions: .*month"):
        metrics.compute(ws, "dau", by=["campaign"])
    with pytest.raises(HudongError, match="cannot be filtered by campaign"):
        metrics.compute(ws, "nps", campaign="x")
    with pytest.raises(HudongError, match="cannot read"):
        metrics.compute(ws, "posts", start="last tuesday")
    with pytest.raises(HudongError):
        metrics.compute(42, "posts")
    with pytest.raises(HudongError, match="per period"):
        metrics.compute(ws, "churned_users", by=["week", "month"])


def test_hudong_errors_are_one_line(ws):
    try:
        metrics.compute(ws, "posts", by="colour")
    except HudongError as e:
        assert "\n" not in str(e)


def test_sources_are_portable():
    """No raw SQL, backend switches or the Ibis ops that fail or differ on PySpark (stack notes)."""
    banned = [
        r"\.sql\(",
        r"\.mode\(",
        r"\.bucket\(",
        r"asof_join",
        r"approx_",
        r"\.sample\(",
        r"to_sql",
        r"import duckdb",
        r"ibis\.duckdb",
        r"pivot_wider",
        r"\.cache\(",
    ]
    src = ROOT / "src" / "hudong" / "metrics"
    for path in src.glob("*.py"):
        if path.name in ("testing.py", "synthetic.py", "docs.py"):
            continue
        text = path.read_text(encoding="utf-8")
        for pat in banned:
            assert not re.search(pat, text), f"{path.name} uses {pat}"


def test_docs_up_to_date():
    committed = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert committed == docs.markdown(), "regenerate: python -m hudong.metrics.docs > docs/metrics.md"
    for m in metrics.list_metrics():
        assert f"### `{m.name}`" in committed


def test_public_api():
    assert callable(metrics.compute) and callable(metrics.expr) and callable(metrics.list_metrics)
    assert hudong.HudongError is HudongError


@pytest.mark.parametrize("m", metrics.list_metrics(), ids=lambda m: m.name)
def test_every_metric_compiles_for_spark(m, monkeypatch):
    """Unbound tables (no DuckDB involved) → PySpark SQL: every op used has a Spark translation.

    Compiles only (pyspark itself is an optional extra); the Spark parity issue runs them.
    """
    import ibis

    from hudong.store import schema as S

    if ibis.options.pyspark is None:  # the option group is registered by the pyspark backend import

        class PySparkOptions(ibis.config.Config):
            treat_nan_as_null: bool = False

        monkeypatch.setattr(ibis.options, "pyspark", PySparkOptions())

    tables = {name: ibis.table(S.ibis_schema(t), name=name) for name, t in S.TABLES.items()}
    free = [d for d in m.dimensions if d not in m.implicit_dims]
    dims = [d for d in free if d in ("hour", "weekday", "day", "week", "month")][:1]
    dims += [d for d in free if d not in ("hour", "weekday", "day", "week", "month")][:1]
    for by in ([], dims):
        sql = ibis.to_sql(metrics.expr(tables, m.name, by=by, start="2024-01-01", end="2024-06-30"), dialect="pyspark")
        assert "SELECT" in sql
