"""A stored segment as a filter of the metrics that count people (issue #17.1, "used as a filter everywhere"): split
everyone into two segments and each count adds up to everyone's, period by period — users, churn, cohorts, UGC,
customers, survey answers, scored texts; the same numbers from the workspace file's semi-join and from the members
held in memory (the path another engine takes); the CLI's --segment and its errors. The web's filter and API:
tests/test_web_analytics.py."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from click.testing import CliRunner

from hudong import metrics
from hudong.analyses import segments as seg
from hudong.cli import cli
from hudong.errors import HudongError
from hudong.store import segment_runs
from hudong.store.workspace import Workspace

# metric → (by, the count columns that add up over a partition of the people)
ADDITIVE = {
    "mau": (["platform", "month"], ["value"]),
    "dau": (["platform", "day"], ["value"]),
    "new_users": (["platform", "week"], ["value"]),
    "churned_users": (["platform", "month"], ["value", "previous_active"]),
    "retention": (["platform"], ["cohort_size", "active"]),
    "fan_loyalty": (["platform", "month"], ["repeat_users", "engaged_users"]),
    "ugc_volume": (["platform", "month"], ["value"]),
    "ugc_creators": (["platform"], ["value"]),
    "net_sentiment": (["platform"], ["n", "positive", "negative"]),
}
# orders and survey answers: a customer is in a segment through the fan account the order names (user_platform);
# customers known by no fan account are in no segment
LINKED = {
    "repurchase_rate": (["month"], ["repeat_customers", "customers"]),
    "nps": ([], ["n", "promoters", "detractors"]),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_workspaces):
    """The demo with a stored two-way split of everyone (hash of the id): segments ``a`` and ``b``."""
    d = demo_workspaces.copy(tmp_path_factory.mktemp("segment-filter") / "ws")
    with Workspace.open(d) as ws:
        people = ws.con.execute("""
            SELECT DISTINCT platform, actor_id AS user_id FROM interactions WHERE actor_id IS NOT NULL
            UNION SELECT platform, author_id FROM posts WHERE author_id IS NOT NULL
            UNION SELECT user_platform, user_id FROM orders WHERE user_platform IS NOT NULL
            UNION SELECT user_platform, user_id FROM survey_responses WHERE user_platform IS NOT NULL""").df()
        half = [("a" if hashlib.sha256(f"{p}|{u}".encode()).digest()[0] % 2 else "b") for p, u in
                zip(people["platform"], people["user_id"], strict=True)]  # fmt: skip
        labels = pd.Series(half, index=pd.MultiIndex.from_frame(people[["platform", "user_id"]]))
        definition = {"kind": "learned", "k": 2, "criterion": "a split for the test", "as_of": "2026-06-30T00:00:00",
                      "people": len(labels), "segments": [
                          {"segment": s, "name_zh": f"{s}组", "name_en": f"half {s}", "size": int((labels == s).sum()),
                           "traits": []} for s in ("a", "b")]}  # fmt: skip
        run = seg.save(ws, definition, labels, by="test")
    return d, run


def _sum(df: pd.DataFrame, by: list[str], cols: list[str]) -> pd.DataFrame:
    keys = [c for c in df.columns if c in by or c in ("cohort", "period")]
    out = df.groupby(keys, dropna=False)[cols].sum() if keys else df[cols].sum().to_frame().T
    return out.astype(float)


def test_two_halves_of_everyone_add_up_to_everyone(demo):
    d, run = demo
    with Workspace.open(d, read_only=True) as ws:
        for name, (by, cols) in ADDITIVE.items():
            whole = metrics.frame(ws, name, by=by)
            a = metrics.frame(ws, name, by=by, segment=f"{run}#a")
            b = metrics.frame(ws, name, by=by, segment=f"{run}#b")
            assert len(whole) and len(a) and len(b), name
            halves = _sum(a, by, cols).add(_sum(b, by, cols), fill_value=0)
            pd.testing.assert_frame_equal(halves, _sum(whole, by, cols), check_names=False, obj=name)
            # each half is a real part: fewer than everyone somewhere
            assert (_sum(a, by, cols)[cols[0]].sum() < _sum(whole, by, cols)[cols[0]].sum()), name
        for name, (by, cols) in LINKED.items():
            whole = metrics.frame(ws, name, by=by)
            linked = metrics.frame(ws, name, by=by, segment=f"{run}#a,b")
            a = metrics.frame(ws, name, by=by, segment=f"{run}#a")
            b = metrics.frame(ws, name, by=by, segment=f"{run}#b")
            halves = _sum(a, by, cols).add(_sum(b, by, cols), fill_value=0)
            pd.testing.assert_frame_equal(halves, _sum(linked, by, cols), check_names=False, obj=name)
            assert 0 < _sum(linked, by, cols)[cols[-1]].sum() < _sum(whole, by, cols)[cols[-1]].sum(), name


def test_a_segment_filter_is_the_same_from_the_file_and_from_memory(demo):
    """On the workspace file the metric semi-joins segment_members; an engine without that table gets the members
    in memory (``SegmentFilter.table``): the same numbers."""
    d, run = demo
    with Workspace.open(d, read_only=True) as ws:
        people = segment_runs.resolve(ws, f"{run}#a")
        tables = {t: ws.con.execute(f'SELECT * FROM "{t}"').arrow().read_all()
                  for t in ("interactions", "posts", "users", "accounts", "orders", "survey_responses")}  # fmt: skip
        for name in ("mau", "churned_users", "repurchase_rate", "ugc_creators"):
            by = {**ADDITIVE, **LINKED}[name][0]
            on_file = metrics.frame(ws, name, by=by, segment=people)
            in_memory = metrics.compute(tables, name, by=by, segment=people).to_pandas()
            pd.testing.assert_frame_equal(on_file.reset_index(drop=True), in_memory.reset_index(drop=True),
                                          check_dtype=False, obj=name)  # fmt: skip
        assert people.size == ws.con.execute("SELECT count(*) FROM segment_members WHERE run_id = ? AND segment = 'a'",
                                             [run]).fetchone()[0]  # fmt: skip


def test_segments_are_named_by_number_name_or_run_and_unknown_ones_list_what_there_is(demo):
    d, run = demo
    with Workspace.open(d, read_only=True) as ws:
        by_name = segment_runs.resolve(ws, "half a")  # the latest learned run is the test's
        assert by_name.run_id == run and by_name.segments == ("a",) and by_name.label("zh") == "a组"
        both = segment_runs.resolve(ws, f"{run}#a,b")
        assert both.size == by_name.size + segment_runs.resolve(ws, "b").size
        champions = segment_runs.resolve(ws, "champions")  # not in the learned run: the latest rules run's
        assert champions.run_id != run and champions.size > 0
        with pytest.raises(HudongError, match=r"no stored segment 'nobody'; segments: learned run .*half a"):
            segment_runs.resolve(ws, "nobody")
        with pytest.raises(HudongError, match="cannot be filtered by segment .*people"):
            metrics.frame(ws, "engagement_rate_followers", segment="champions")
        with pytest.raises(HudongError, match="cannot be filtered by segment"):
            metrics.frame(ws, "ugc_share", segment="champions")  # UGC against the brand's posts: no one's share


def test_the_cli_filters_by_segment_and_says_which(demo):
    d, run = demo
    r = CliRunner()
    out = r.invoke(cli, ["-w", str(d), "metrics", "mau", "--by", "platform", "--segment", "half a", "--format", "csv"])
    assert out.exit_code == 0, out.output
    with Workspace.open(d, read_only=True) as ws:
        expected = metrics.frame(ws, "mau", by=["platform"], segment=f"{run}#a")
    got = pd.read_csv(pd.io.common.StringIO(out.stdout))
    assert got["value"].round(6).tolist() == expected["value"].round(6).tolist()
    assert f"segment half a ({run}#a)" in out.stderr
    bad = r.invoke(cli, ["-w", str(d), "metrics", "posts", "--segment", "half a"])
    assert isinstance(bad.exception, HudongError) and "cannot be filtered by segment" in str(bad.exception)
    bad = r.invoke(cli, ["-w", str(d), "metrics", "mau", "--segment", "nobody"])
    assert isinstance(bad.exception, HudongError) and "no stored segment 'nobody'" in str(bad.exception)
