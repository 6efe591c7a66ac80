"""The demo generator: deterministic, importable through the real importer, and shaped like real social data."""

from __future__ import annotations

import hashlib
import tomllib

import duckdb
import numpy as np
import pytest

import hudong
from hudong.decide import build_scorecard
from hudong.demo import build, generate, simulate

SCALE = 0.02


@pytest.fixture(scope="module")
def world():
    con = duckdb.connect()
    for name, table in simulate(seed=7, scale=SCALE).items():
        con.register(name, table)
    yield con
    con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("demo") / "ws", seed=7, scale=SCALE, progress=False)


def _one(con, sql: str):
    return con.execute(sql).fetchone()


def _digest(files) -> list[tuple[str, str]]:
    return [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p, _ in files]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = generate(tmp_path / "a", seed=11, scale=0.005)
    b = generate(tmp_path / "b", seed=11, scale=0.005)
    c = generate(tmp_path / "c", seed=12, scale=0.005)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)
    assert [f for _, f in a][:4] == ["generic-accounts", "generic-users", "generic-contacts", "generic-campaigns"]


def test_imports_without_quarantine(built):
    assert all(s.quarantined == 0 for s in built.summaries), [(s.source_file, s.reasons) for s in built.summaries]
    with hudong.open(built.path) as ws:
        for table in (
            "accounts",
            "users",
            "posts",
            "interactions",
            "follows",
            "orders",
            "survey_responses",
            "campaigns",
        ):
            assert ws.count(table) > 0, table
        read = sum(s.rows_read for s in built.summaries if s.format == "generic-interactions")
        assert ws.count("interactions") == read
    config = tomllib.loads((built.path / "hudong.toml").read_text(encoding="utf-8"))
    assert config["brand"]["name"] == "山茶社" and "Camellia Tea Co." in config["brand"]["aliases"]


def test_pii_reaches_the_importer_and_is_redacted(built):
    redacted = sum(sum(s.redactions.values()) for s in built.summaries)
    assert redacted > 0
    with hudong.open(built.path) as ws:
        assert _one(ws.con, r"SELECT count(*) FROM interactions WHERE regexp_matches(text, '1[3-9]\d{9}')")[0] == 0


def test_users_heavy_tailed(world):
    top1, one_off = _one(world, """
        WITH c AS (SELECT actor_id, count(*) n FROM interactions GROUP BY 1),
             r AS (SELECT n, row_number() OVER (ORDER BY n DESC) rk, count(*) OVER () tot FROM c)
        SELECT sum(n) FILTER (WHERE rk <= tot * 0.01) / sum(n), avg((n = 1)::INT) FROM r""")  # fmt: skip
    assert top1 >= 0.10  # the top 1% of people make at least a tenth of all interactions
    assert one_off >= 0.15  # and many people act only once


def test_daily_rhythm(world):
    by_hour = dict(world.execute("SELECT hour(created_at), count(*) FROM interactions GROUP BY 1").fetchall())
    assert by_hour[21] > 10 * by_hour[4]
    assert by_hour[12] > 5 * by_hour[4]  # lunch is busy too


def test_reposts_form_resolvable_trees(world):
    assert _one(world, """SELECT count(*) FROM posts c LEFT JOIN posts p ON p.platform = c.platform AND p.post_id = c.parent_id
                          WHERE c.parent_id IS NOT NULL AND p.post_id IS NULL""")[0] == 0  # fmt: skip
    depth, bad_roots = _one(world, """
        WITH RECURSIVE t(platform, post_id, root, d) AS (
            SELECT platform, post_id, post_id, 0 FROM posts WHERE parent_id IS NULL
            UNION ALL SELECT p.platform, p.post_id, t.root, t.d + 1 FROM posts p JOIN t
                ON p.platform = t.platform AND p.parent_id = t.post_id)
        SELECT max(t.d), count(*) FILTER (WHERE t.d > 0 AND p.root_id <> t.root)
        FROM t JOIN posts p USING (platform, post_id)""")  # fmt: skip
    assert depth >= 3 and bad_roots == 0
    sizes = [
        n for (n,) in world.execute("SELECT count(*) FROM posts WHERE root_id IS NOT NULL GROUP BY root_id").fetchall()
    ]
    assert max(sizes) >= 10 * np.median(sizes)  # a few big cascades, most tiny
    # every repost post is also a repost interaction on its parent
    assert (
        _one(
            world,
            """SELECT count(*) FROM posts p LEFT JOIN interactions i ON i.type = 'repost'
                          AND i.platform = p.platform AND i.target_post_id = p.parent_id AND i.actor_id = p.author_id
                          AND i.created_at = p.created_at WHERE p.parent_id IS NOT NULL AND i.interaction_id IS NULL""",
        )[0]
        == 0
    )


def test_inbound_answered_by_staff_with_business_hour_delays(world):
    rows = world.execute("""
        SELECT m.type, epoch(r.created_at - m.created_at) / 60 AS minutes,
               isodow(m.created_at) <= 5 AND hour(m.created_at) BETWEEN 9 AND 17 AS in_hours
        FROM interactions m LEFT JOIN interactions r
          ON r.platform = m.platform AND r.parent_id = m.interaction_id AND r.by_staff AND NOT r.is_automated
        WHERE m.is_inbound""").fetchall()
    comments = [(mins, inside) for t, mins, inside in rows if t == "comment"]
    unanswered = sum(m is None for m, _ in comments) / len(comments)
    assert 0.1 <= unanswered <= 0.35
    fast = np.median([m for m, inside in comments if m is not None and inside])
    slow = np.median([m for m, inside in comments if m is not None and not inside])
    assert fast < 60 < 3 * 60 < slow
    assert all(m is None or m > 0 for _, m, _ in rows)
    staff_ok, automated = _one(
        world,
        """
        SELECT bool_and(u.is_staff), count(*) FILTER (WHERE i.is_automated)
        FROM interactions i JOIN users u ON u.platform = i.platform AND u.user_id = i.actor_id WHERE i.by_staff""",
    )
    assert staff_ok and automated > 0
    # customers often write several DMs before the answer, which points at the latest one
    assert (
        _one(
            world,
            """SELECT count(*) FROM interactions a JOIN interactions b ON a.platform = b.platform
                          AND a.actor_id = b.actor_id AND a.type = 'dm' AND b.type = 'dm'
                          AND b.created_at > a.created_at AND b.created_at < a.created_at + INTERVAL 1 HOUR""",
        )[0]
        > 0
    )


def test_reported_counts_cover_the_individual_interactions(world):
    bad = _one(
        world,
        """
        WITH i AS (SELECT platform, target_post_id, count(*) FILTER (WHERE type = 'like') n_likes,
                          count(*) FILTER (WHERE type IN ('comment', 'reply')) n_comments,
                          count(*) FILTER (WHERE type IN ('repost', 'share')) n_reposts
                   FROM interactions WHERE target_post_id IS NOT NULL GROUP BY 1, 2)
        SELECT count(*) FROM i JOIN posts p ON p.platform = i.platform AND p.post_id = i.target_post_id
        WHERE p.likes < n_likes OR p.comments < n_comments OR p.reposts < n_reposts OR p.reach > p.impressions""",
    )[0]
    assert bad == 0


def test_orders_repeat_buyers_and_nps(world):
    repurchase, customers = _one(
        world,
        """WITH c AS (SELECT user_id, count(*) n FROM orders GROUP BY 1)
                                           SELECT avg((n >= 2)::INT), count(*) FROM c""",
    )
    assert customers >= 40 and 0.15 <= repurchase <= 0.40
    nps = _one(world, "SELECT 100 * (avg((nps_score >= 9)::INT) - avg((nps_score <= 6)::INT)) FROM survey_responses")[0]
    assert 5 <= nps <= 50


def test_share_of_voice_has_competitors_and_campaign_ugc(world):
    brand, rivals, spring = _one(world, """
        SELECT count(*) FILTER (WHERE text LIKE '%山茶社%' OR text LIKE '%Camellia%'),
               count(*) FILTER (WHERE text LIKE '%茶颜%' OR text LIKE '%青山茶%' OR text LIKE '%Chayan%'),
               count(*) FILTER (WHERE is_ugc AND campaign_id = 'cmp-2026-springtea')
        FROM posts WHERE parent_id IS NULL""")  # fmt: skip
    assert 0.3 <= brand / (brand + rivals) <= 0.75 and spring > 0


def test_scale_shrinks_everything():
    small, smaller = simulate(scale=0.02), simulate(scale=0.01)
    for name in ("users", "posts", "interactions", "orders"):
        assert smaller[name].num_rows < small[name].num_rows


def test_linked_buyers_share_the_pseudonym_of_their_social_account(tmp_path):
    """Orders placed with a WeChat/Douyin id (user_platform set) join the same person's interactions."""
    from hudong.demo import build
    from hudong.store.workspace import Workspace

    built = build(tmp_path / "ws", scale=0.02, progress=False)
    ws = Workspace.open(built.path)
    try:
        linked, joined = ws.con.execute(
            "SELECT count(DISTINCT o.user_id), count(DISTINCT i.user_id) FROM orders o "
            "LEFT JOIN users i ON i.user_id = o.user_id AND i.platform = o.user_platform "
            "WHERE o.user_platform IS NOT NULL"
        ).fetchone()
        shop_only = ws.con.execute("SELECT count(*) FROM orders WHERE user_platform IS NULL").fetchone()[0]
        assert linked > 0 and shop_only > 0
        assert joined == linked  # every linked buyer is the same person as a platform user
        assert ws.setting("scorecard.self_assessment") == "self-assessment.toml"
        assert build_scorecard(ws).dimension("strategic_integration").score is not None
    finally:
        ws.close()
