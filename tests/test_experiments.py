"""Experiments on organic content (issue #16.4–5, 16.7): registration locked at launch, versions, randomisation within
blocks, overlap refused, analyses that recover known true effects (posts: ratio metric; replies: CUPED), the
sequential stop, SRM, conclusion and the learning log, and `forget` reaching a person's unit."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest

from hudong.ingest.erasure import forget
from hudong.metrics import testing as T
from hudong.plan import clock
from hudong.plan import experiments as E
from hudong.plan.experiments import ExperimentError

T0 = dt.datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def ws(tmp_path):
    w = T.workspace(tmp_path / "ws", accounts=[dict(platform="weibo", account_id="own", is_own=True)])
    yield w
    w.close()


def _posts(rng: np.random.Generator, n: int, rate: float, prefix: str, start: dt.datetime) -> list[dict]:
    out = []
    for i in range(n):
        imp = int(rng.integers(500, 3000))
        eng = int(rng.binomial(imp, rate))
        out.append(dict(platform="weibo", post_id=f"{prefix}{i}", account_id="own", author_id="own",
                        created_at=start + dt.timedelta(hours=6 * i), impressions=imp, likes=eng, comments=0,
                        reposts=0))
    return out


def test_registration_locks_at_launch_and_changes_make_a_new_version(ws):
    with pytest.raises(ExperimentError, match="posts experiments measure"):
        E.create(ws, name="x", hypothesis="h", design="posts", primary_metric="replied_again", by="ana", planned_n=50)
    with pytest.raises(ExperimentError, match="at least two distinct arms"):
        E.create(ws, name="x", hypothesis="h", design="posts", primary_metric="engagements", by="ana", planned_n=50,
                 arms=["control"])
    e = E.create(ws, name="问句标题", hypothesis="以问句结尾的帖子带来更多评论", design="posts",
                 primary_metric="comments", guardrails=["engagement_rate"], by="ana", planned_n=100)
    assert e["state"] == "draft" and e["version"] == 1
    E.update(ws, e["experiment_id"], "ana", mde=0.2)  # a draft may change
    E.start(ws, e["experiment_id"], "ana")
    with pytest.raises(ExperimentError, match="locked"):
        E.update(ws, e["experiment_id"], "ana", primary_metric="engagements")
    v2 = E.revise(ws, e["experiment_id"], "ana", primary_metric="engagements")
    assert (v2["version"], v2["supersedes"], v2["primary_metric"], v2["state"]) == (2, e["experiment_id"],
                                                                                     "engagements", "draft")
    old = E.get(ws, e["experiment_id"])
    assert old["state"] == "stopped" and "superseded by version 2" in old["decision"]
    E.assign(ws, v2["experiment_id"], ["weibo:p1", "weibo:p2"], at=T0, seed=1)  # data arrive before the start …
    with pytest.raises(ExperimentError, match="has units assigned.*locked"):
        E.update(ws, v2["experiment_id"], "ana", primary_metric="comments")  # … and lock the registration
    E.update(ws, v2["experiment_id"], "ana", name="问句标题(二)")  # the name is not part of it


def test_randomisation_is_blocked_balanced_seeded_and_refuses_overlap(ws):
    e = E.create(ws, name="a", hypothesis="h", design="replies", primary_metric="replied_again", by="ana",
                 planned_n=100)
    units = [(f"weibo:u{i}", f"block{i % 4}") for i in range(1000)]
    got = E.assign(ws, e["experiment_id"], units, seed=7)
    per_block = Counter((b, got[u]) for u, b in units)
    for b in range(4):
        assert abs(per_block[(f"block{b}", "control")] - per_block[(f"block{b}", "variant")]) <= 1
    assert E.assign(ws, e["experiment_id"], units[:10], seed=7) == {}  # already in: not assigned twice
    other = E.create(ws, name="b", hypothesis="h", design="replies", primary_metric="messages", by="ana", planned_n=10)
    with pytest.raises(ExperimentError, match="already in another open experiment.*weibo:u3 \\(in x_"):
        E.assign(ws, other["experiment_id"], ["weibo:u3", "weibo:new"])
    f = E.create(ws, name="c", hypothesis="h", design="replies", primary_metric="messages", by="ana", planned_n=10,
                 weights=[1, 3], arms=["a", "b"])
    split = Counter(E.assign(ws, f["experiment_id"], [f"weibo:w{i}" for i in range(400)], seed=1).values())
    assert split == {"a": 100, "b": 300}


def test_a_post_variant_with_a_known_lift_is_recovered_and_concluded(ws):
    rng = np.random.default_rng(3)
    control, variant = _posts(rng, 400, 0.030, "c", T0), _posts(rng, 400, 0.036, "v", T0)  # +20 % true lift
    T.fill(ws, posts=control + variant)
    e = E.create(ws, name="图片+问句", hypothesis="问句配图提高互动率", design="posts", primary_metric="engagement_rate",
                 by="ana", planned_n=400, mde=0.15)
    E.start(ws, e["experiment_id"], "ana")
    # the plan assigned the slots at random; here the arms are the generated groups (what was planned for each)
    with ws.transaction() as con:
        for p, arm in [(p, "control") for p in control] + [(p, "variant") for p in variant]:
            con.execute("INSERT INTO experiment_units VALUES (?, ?, ?, ?, ?)",
                        [e["experiment_id"], f"weibo:{p['post_id']}", arm, "weibo", p["created_at"]])
    res = E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=120))
    v = res["variants"]["variant"]
    assert v["ci"][0] < 0.20 < v["ci"][1] and v["p_value"] < 0.05 and v["chance_to_win"] > 0.99
    assert res["measured"] == {"control": 400, "variant": 400} and not res["srm"]
    assert res["verdict"].startswith("variant wins")
    E.stop(ws, e["experiment_id"], "ana")
    done = E.conclude(ws, e["experiment_id"], "ana", "问句配图作为默认格式", now=T0 + dt.timedelta(days=122))
    assert done["state"] == "concluded" and done["decided_by"] == "ana"
    (log,) = E.learning_log(ws, "问句")
    assert log["verdict"].startswith("variant wins") and log["decision"] == "问句配图作为默认格式"
    assert E.learning_log(ws, "nothing like this") == []
    with pytest.raises(ExperimentError, match="already concluded"):
        E.conclude(ws, e["experiment_id"], "ana", "again")


def test_a_null_post_experiment_says_no_difference_and_srm_is_caught(ws):
    rng = np.random.default_rng(4)
    a, b = _posts(rng, 300, 0.03, "a", T0), _posts(rng, 300, 0.03, "b", T0)
    T.fill(ws, posts=a + b)
    e = E.create(ws, name="null", hypothesis="h", design="posts", primary_metric="engagement_rate", by="ana",
                 planned_n=300)
    E.start(ws, e["experiment_id"], "ana")
    with ws.transaction() as con:
        for p, arm in [(p, "control") for p in a] + [(p, "variant") for p in b]:
            con.execute("INSERT INTO experiment_units VALUES (?, ?, ?, ?, ?)",
                        [e["experiment_id"], f"weibo:{p['post_id']}", arm, None, p["created_at"]])
    res = E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=90))
    assert res["verdict"].startswith("no detectable difference") and res["variants"]["variant"]["ci"][0] < 0
    ws.con.execute("DELETE FROM experiment_units WHERE experiment_id = ? AND arm = 'variant' AND unit_id > 'weibo:b2'",
                   [e["experiment_id"]])  # a broken split: most of one arm went missing
    assert E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=90))["verdict"].startswith("srm")


def _people(ws, rng: np.random.Generator, n: int, lift: float, eid: str, arm: str, start: dt.datetime) -> None:
    rows, units = [], []
    for i in range(n):
        person = f"{eid}-{arm}{i}"
        at = start + dt.timedelta(hours=i % 72)
        before = int(rng.poisson(2.0))
        for k in range(before):
            rows.append(dict(platform="weibo", interaction_id=f"{person}-b{k}", type="comment", actor_id=person,
                             created_at=at - dt.timedelta(days=1 + k), is_inbound=True))
        p = min(0.95, 0.15 + 0.1 * before + lift)
        if rng.random() < p:
            rows.append(dict(platform="weibo", interaction_id=f"{person}-a", type="comment", actor_id=person,
                             created_at=at + dt.timedelta(days=2), is_inbound=True))
        units.append((f"weibo:{person}", at))
    T.fill(ws, interactions=rows)
    with ws.transaction() as con:
        for u, at in units:
            con.execute("INSERT INTO experiment_units VALUES (?, ?, ?, ?, ?)", [eid, u, arm, None, at])


def test_a_reply_tone_experiment_with_cuped_and_a_sequential_stop(ws):
    rng = np.random.default_rng(5)
    e = E.create(ws, name="语气", hypothesis="更口语化的回复让用户再次来信", design="replies", primary_metric="replied_again",
                 by="ana", planned_n=5000, stop_rule="sequential")
    E.start(ws, e["experiment_id"], "ana")
    _people(ws, rng, 600, 0.0, e["experiment_id"], "control", T0)
    _people(ws, rng, 600, 0.15, e["experiment_id"], "variant", T0)
    res = E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=30))
    v = res["variants"]["variant"]
    from scipy.stats import poisson

    k = np.arange(40)
    true_c, true_v = (float((poisson.pmf(k, 2.0) * np.minimum(0.95, 0.15 + 0.1 * k + lift)).sum()) for lift in (0, .15))
    assert v["cuped_theta"] and v["cuped_theta"] > 0  # the pre-period explains part of the outcome
    assert v["ci"][0] < true_v / true_c - 1 < v["ci"][1]  # the true relative lift is inside the interval
    assert abs(v["control_mean"] - true_c) < 0.05
    assert res["looks"] and res["verdict"].startswith("stop: variant is better")
    # the same design under no effect: the sequential rule keeps it running
    n = E.create(ws, name="语气-空", hypothesis="h", design="replies", primary_metric="replied_again", by="ana",
                 planned_n=5000, stop_rule="sequential")
    E.start(ws, n["experiment_id"], "ana")
    _people(ws, rng, 300, 0.0, n["experiment_id"], "control", T0 + dt.timedelta(days=40))
    _people(ws, rng, 300, 0.0, n["experiment_id"], "variant", T0 + dt.timedelta(days=40))
    assert E.analyze(ws, n["experiment_id"], now=T0 + dt.timedelta(days=80))["verdict"].startswith("keep running")
    # a person asked to be forgotten leaves the experiment too (units hold the person's pseudonym)
    ws.con.execute("INSERT INTO experiment_units VALUES (?, 'weibo:u_0123456789abcdef', 'variant', NULL, ?)",
                   [n["experiment_id"], T0])
    forget(ws, "u_0123456789abcdef", platform="weibo")
    assert ws.con.execute("SELECT count(*) FROM experiment_units WHERE unit_id LIKE '%u_0123456789abcdef'"
                          ).fetchone()[0] == 0
    assert ws.con.execute("SELECT count(*) FROM experiment_units").fetchone()[0] == 1800  # the others stay


def test_suggested_size_comes_from_the_workspace_history(ws):
    rng = np.random.default_rng(6)
    T.fill(ws, posts=_posts(rng, 200, 0.03, "h", T0))
    s = E.suggest_n(ws, "posts", "engagement_rate", 0.1)
    assert s["history"] == 200 and 0.02 < s["baseline"] < 0.04 and s["units_per_arm"] > 10
    e = E.create(ws, name="auto", hypothesis="h", design="posts", primary_metric="engagement_rate", by="ana")
    assert e["planned_n"] == s["units_per_arm"]
    with pytest.raises(ExperimentError, match="planned units"):
        E.create(ws, name="none", hypothesis="h", design="replies", primary_metric="ordered", by="ana")


def test_the_learning_log_replaces_the_self_assessment_answer_in_the_scorecard(ws):
    from hudong.decide.evidence import MetricCache, collect
    from hudong.decide.scorecard import score

    miss = collect(MetricCache(ws), ["experiment_practice"])["experiment_practice"]
    assert miss.requirement == "experiments"
    answered = score({"self.data_experiments": 4.0})
    keys = [e.key for e in answered.dimension("data_driven").evidence]
    assert "self.data_experiments" in keys and "experiment_practice" not in keys  # no evidence: the answer counts
    missing = [m.key for m in answered.dimension("data_driven").missing]
    assert "experiment_practice" not in missing  # and the absent evidence is not held against the coverage
    e = E.create(ws, name="x", hypothesis="h", design="posts", primary_metric="engagements", by="ana", planned_n=5)
    E.start(ws, e["experiment_id"], "ana")
    E.conclude(ws, e["experiment_id"], "bo", "keep the old format")
    obs = collect(MetricCache(ws), ["experiment_practice"])["experiment_practice"]
    assert obs.value == 1.0 and obs.details["concluded_share"] == 1.0 and obs.details["followed_share"] is None
    rash = E.create(ws, name="y", hypothesis="h", design="posts", primary_metric="engagements", by="ana", planned_n=5)
    E.start(ws, rash["experiment_id"], "ana")
    with pytest.raises(ExperimentError, match="ship, keep, iterate, abandon"):
        E.conclude(ws, rash["experiment_id"], "bo", "roll it out", action="yolo")
    got = E.conclude(ws, rash["experiment_id"], "bo", "roll it out anyway", action="ship")  # nothing measured yet
    assert got["followed_result"] is False and got["decision_action"] == "ship"
    obs = collect(MetricCache(ws), ["experiment_practice"])["experiment_practice"]
    assert obs.value == 1.0 and obs.details["followed_share"] == 0.0  # a decision against its result does not count
    assert E.followed("wins", "ship") and not E.followed("wins", "keep") and E.followed("no_difference", "keep")
    assert E.followed("stop", "ship", "stop: v is better than control") and E.followed("srm", "iterate")
    card = score({"self.data_experiments": 4.0, "experiment_practice": obs.value})
    keys = [e.key for e in card.dimension("data_driven").evidence]
    assert "experiment_practice" in keys and "self.data_experiments" not in keys  # evidence instead of the answer


def test_cli_registers_starts_shows_concludes_and_logs(tmp_path):
    import re

    from click.testing import CliRunner

    from hudong.cli import cli

    d = tmp_path / "w"
    T.workspace(d).close()
    r = CliRunner()
    out = r.invoke(cli, ["-w", str(d), "experiment", "new", "--name", "标题问句", "--hypothesis", "问句带来评论",
                         "--design", "posts", "--metric", "comments", "--n", "30", "--sequential"])
    assert out.exit_code == 0, out.output
    eid = re.search(r"x_[0-9a-f]{10}", out.output).group(0)
    assert r.invoke(cli, ["-w", str(d), "experiment", "start", eid]).exit_code == 0
    got = r.invoke(cli, ["-w", str(d), "experiment", "assign", eid, "weibo:p1@mon", "weibo:p2@mon", "--seed", "1"])
    assert sorted(line.split()[1] for line in got.output.splitlines()) == ["control", "variant"]
    shown = r.invoke(cli, ["-w", str(d), "experiment", "show", eid])
    assert shown.exit_code == 0 and "→" in shown.output and "sequential" in shown.output
    done = r.invoke(cli, ["-w", str(d), "experiment", "conclude", eid, "--decision", "no change", "--action", "ship"])
    assert done.exit_code == 0 and "(against the result)" in done.output  # nothing won, yet it shipped
    log = r.invoke(cli, ["-w", str(d), "experiment", "log", "--search", "问句"]).output
    assert eid in log and "no change" in log
    out = r.invoke(cli, ["-w", str(d), "experiment", "new", "--name", "自动回复", "--hypothesis", "h", "--design",
                         "switchback", "--metric", "messages", "--n", "7"])
    sid = re.search(r"x_[0-9a-f]{10}", out.output).group(0)
    got = r.invoke(cli, ["-w", str(d), "experiment", "assign", sid, "--windows", "2026-06-01", "2026-06-15",
                         "--hours", "24", "--seed", "2"])
    assert got.exit_code == 0, got.output
    arms = [line.split()[1] for line in got.output.splitlines()]
    assert len(arms) == 14 and arms.count("control") == 7 and got.output.startswith("2026-06-01T00:00+24h")
    assert r.invoke(cli, ["-w", str(d), "experiment", "assign", sid]).exit_code == 2


def test_a_switchback_randomises_windows_and_recovers_the_effect(ws):
    units = E.windows(T0, T0 + dt.timedelta(days=60), hours=24)
    assert len(units) == 60 and units[0] == ("2026-03-02T09:00+24h", "Mon")
    with pytest.raises(ExperimentError, match="fewer than 4 windows"):
        E.windows(T0, T0 + dt.timedelta(days=2))
    e = E.create(ws, name="自动回复", hypothesis="开启自动欢迎语后互动率更高", design="switchback",
                 primary_metric="engagement_rate", guardrails=["messages"], by="ana", planned_n=30)
    E.start(ws, e["experiment_id"], "ana")
    arms = E.assign(ws, e["experiment_id"], units, at={u: dt.datetime.fromisoformat(u[:16]) for u, _ in units}, seed=4)
    per_day = Counter((b, a) for (u, b), a in zip(units, [arms[u] for u, _ in units], strict=True))
    assert all(abs(per_day[(d, "control")] - per_day[(d, "variant")]) <= 1 for d, _ in per_day)  # blocked by weekday
    rng = np.random.default_rng(9)
    rows = []
    for k, (u, _) in enumerate(units):
        start = dt.datetime.fromisoformat(u[:16])
        rate = 0.04 * (1.3 if arms[u] == "variant" else 1.0)
        for j in range(6):  # six posts a window; the first within the burn-in carries the last window's arm
            at = start + dt.timedelta(hours=1 if j == 0 else 3 + 3 * j)
            imp = int(rng.integers(800, 2000))
            eng = int(rng.binomial(imp, 0.2 if j == 0 else rate))  # would bias the result if it were counted
            rows.append(dict(platform="weibo", post_id=f"s{k}_{j}", account_id="own", author_id="own", created_at=at,
                             impressions=imp, likes=eng, comments=0, reposts=0))
    T.fill(ws, posts=rows)
    res = E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=61))
    c = res["variants"]["variant"]
    assert res["measured"] == {"control": 30, "variant": 30} and c["ci"][0] <= 0.3 <= c["ci"][1] and c["ci"][0] > 0
    assert res["verdict"].startswith("variant wins") and "messages" in res["guardrails"]
    early = E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=10, hours=1))
    assert sum(early["measured"].values()) == 10  # a window counts once it has ended
    sn = E.suggest_n(ws, "switchback", "engagement_rate", 0.2)
    assert sn["units_per_arm"] > 1 and sn["history"] > 50


def test_the_power_calculator_says_what_cuped_saves(ws):
    rng = np.random.default_rng(2)
    rows = []
    for k in range(400):
        habit = rng.poisson(2.0)  # people who wrote often before write again more
        for j in range(habit):
            rows.append(dict(platform="weibo", interaction_id=f"b{k}_{j}", type="dm", actor_id=f"u{k}", is_inbound=True,
                             created_at=T0 + dt.timedelta(days=30 - int(rng.integers(2, 27)))))
        rows.append(dict(platform="weibo", interaction_id=f"f{k}", type="dm", actor_id=f"u{k}", is_inbound=True,
                         created_at=T0 + dt.timedelta(days=30)))
        for j in range(rng.poisson(0.5 + habit)):
            rows.append(dict(platform="weibo", interaction_id=f"a{k}_{j}", type="dm", actor_id=f"u{k}", is_inbound=True,
                             created_at=T0 + dt.timedelta(days=30, hours=1 + j)))
    T.fill(ws, interactions=rows)
    s = E.suggest_n(ws, "replies", "messages", 0.1, days=1)  # first messages of the last day; the 28 days before
    assert 0.2 < s["cuped_variance_reduction"] < 0.9
    assert s["units_per_arm_cuped"] < s["units_per_arm"]
    ws.close()
    from click.testing import CliRunner

    from hudong.cli import cli

    out = CliRunner().invoke(cli, ["-w", str(ws.path), "experiment", "power", "--design", "replies", "--metric",
                                   "messages", "--days", "1"]).output  # fmt: skip
    assert f"{s['units_per_arm']:,} people per arm" in out and f"with CUPED: {s['units_per_arm_cuped']:,}" in out


def test_variants_of_format_images_and_time_of_day(ws):
    """An arm may vary more than the text: its format and number of images, or the time of day — then each slot
    stands for its day, the day is randomised (blocked by weekday) and the item goes out at its arm's time."""
    e = E.create(ws, name="evening", hypothesis="晚上9点发布的视频互动率更高", design="posts",
                 primary_metric="engagement_rate", by="ana", planned_n=14, arms=["noon", "evening"])
    days = [T0 + dt.timedelta(days=d) for d in range(28)]
    made = E.plan_variants(ws, e["experiment_id"], platform="weibo", by="ana", seed=5, slots=days,
                           text="今天的龙井", variants={"noon": {"time": "12:00", "content_type": "image", "images": 3},
                                                      "evening": {"time": "21:00", "content_type": "video"}})  # fmt: skip
    assert len(made) == 28 and len({m["scheduled_at"].date() for m in made}) == 28
    for m in made:
        assert m["scheduled_at"].hour == (21 if m["arm"] == "evening" else 12) and m["text"] == "今天的龙井"
        assert (m["content_type"], m["images"]) == (("video", 0) if m["arm"] == "evening" else ("image", 3))
    per_weekday = Counter((m["scheduled_at"].strftime("%a"), m["arm"]) for m in made)
    assert all(per_weekday[(d, "noon")] == per_weekday[(d, "evening")] == 2 for d, _ in per_weekday)  # 4 of each
    units = ws.con.execute("SELECT arm, count(*) FROM experiment_units WHERE experiment_id = ? GROUP BY arm",
                           [e["experiment_id"]]).fetchall()  # fmt: skip
    assert dict(units) == {"noon": 14, "evening": 14}
    eid = e["experiment_id"]
    for variants, message in (
        ({"noon": {"time": "12:00"}, "evening": {}}, "every arm its time of day"),
        ({"noon": {"time": "noon"}, "evening": {"time": "21:00"}}, "time of day like 21:00"),
        ({"noon": {"colour": "red"}, "evening": {}}, "unknown field"),
        ({"noon": {"images": 2}, "evening": {"images": 2}}, "alike"),
        ({"lunch": {"images": 2}}, "unknown arm"),
    ):
        with pytest.raises(ExperimentError, match=message):
            E.plan_variants(ws, eid, platform="weibo", by="ana", slots=days[:2], text="x", variants=variants)
    with pytest.raises(ExperimentError, match="distinct days"):
        E.plan_variants(ws, eid, platform="weibo", by="ana", text="x", slots=[T0, T0 + dt.timedelta(hours=2)],
                        variants={"noon": {"time": "12:00"}, "evening": {"time": "21:00"}})  # fmt: skip
    with pytest.raises(ExperimentError, match="has none"):
        E.plan_variants(ws, eid, platform="weibo", by="ana", slots=days[:2], variants={"noon": {"images": 1},
                                                                                      "evening": {"images": 2}})
    from click.testing import CliRunner

    from hudong.cli import cli

    out = CliRunner().invoke(cli, ["-w", str(ws.path), "experiment", "plan", eid, "--platform", "weibo",
                                   "--shared-text", "新品", "--set", "noon.time=12:00", "--set", "evening.time=21:30",
                                   "--slot", "2030-01-01 08:00", "--slot", "2030-01-02 08:00", "--seed", "1"])
    assert out.exit_code == 0, out.output
    assert sorted(line.split()[1] for line in out.output.splitlines()) == ["12:00", "21:30"]


def test_hudong_places_post_variants_on_matched_calendar_slots(ws):
    from hudong.plan import items as P
    from hudong.plan import publishing

    e = E.create(ws, name="emoji", hypothesis="带表情的帖子互动率更高", design="posts",
                 primary_metric="engagement_rate", by="ana", planned_n=20, arms=["plain", "emoji"])
    with pytest.raises(ExperimentError, match="one text per arm"):
        E.plan_variants(ws, e["experiment_id"], platform="weibo", slots=[T0], texts={"plain": "x"}, by="ana")
    slots = [T0 + dt.timedelta(days=d, hours=h) for d in range(20) for h in (0, 10)]  # 09:00 and 19:00 a day
    made = E.plan_variants(ws, e["experiment_id"], platform="weibo", by="ana", seed=3, account_id="own", slots=slots,
                           texts={"plain": "今天的龙井", "emoji": "今天的龙井 🍵✨"})  # fmt: skip
    assert len(made) == 40 and {m["state"] for m in made} == {"draft"}
    by_block = Counter((m["scheduled_at"].strftime("%a"), m["scheduled_at"].hour // 3, m["arm"]) for m in made)
    for (day, block, _), _n in by_block.items():  # like slots split evenly between the arms
        assert abs(by_block[(day, block, "plain")] - by_block[(day, block, "emoji")]) <= 1
    assert all(m["text"].endswith("✨") == (m["arm"] == "emoji") for m in made)
    assert "arm emoji" in " ".join(ev["note"] or "" for ev in made[0]["events"]) or made[0]["arm"] == "plain"
    E.start(ws, e["experiment_id"], "ana")
    # the posts go out (by hand here) and come back with their engagement: emoji +25 %
    rng = np.random.default_rng(1)
    rows = []
    for m in made:
        imp = int(rng.integers(2000, 4000))
        rate = 0.05 * (1.25 if m["arm"] == "emoji" else 1.0)
        rows.append(dict(platform="weibo", post_id=f"w{m['item_id']}", account_id="own", author_id="own",
                         created_at=m["scheduled_at"], text=m["text"], impressions=imp,
                         likes=int(rng.binomial(imp, rate)), comments=0, reposts=0,
                         url=f"https://m.weibo.cn/status/w{m['item_id']}"))
        P.act(ws, m["item_id"], "submit", "ana")
        P.act(ws, m["item_id"], "approve", "bo", role="analyst")
        P.act(ws, m["item_id"], "published", "ana", url=f"https://m.weibo.cn/status/w{m['item_id']}")
    before = E.analyze(ws, e["experiment_id"])
    assert sum(before["measured"].values()) == 0  # published, but not yet tied to a stored post
    T.fill(ws, posts=rows)
    publishing.reconcile(ws)
    res = E.analyze(ws, e["experiment_id"])
    c = res["variants"]["emoji"]
    n = res["measured"]
    assert n["plain"] + n["emoji"] == 40 and abs(n["plain"] - n["emoji"]) <= 4 and c["ci"][0] <= 0.25 <= c["ci"][1]


def test_an_inbox_tone_experiment_assigns_people_by_template_and_recovers_its_effect(ws):
    from hudong.inbox import replies

    replies.ensure_tables(ws.con)  # the default templates: thanks, delivery, complaint, civility
    e = E.create(ws, name="语气", hypothesis="道歉模板比感谢模板更让人回来", design="replies",
                 primary_metric="replied_again", arms=["thanks", "complaint"], by="ana", planned_n=300)
    with clock.at(T0):
        E.start(ws, e["experiment_id"], "ana")
    t = E.inbox_treatment(ws, "weibo", "u1")
    assert t["experiment_id"] == e["experiment_id"] and t["arm"] == E.hash_arm(e["experiment_id"], "weibo:u1",
                                                                                 ["thanks", "complaint"], [1, 1])
    assert E.inbox_treatment(ws, "weibo", "u1") == t  # the same person, the same template
    rng = np.random.default_rng(6)
    rows = []
    for k in range(2000):
        unit = f"weibo:u{k}"
        arm = E.hash_arm(e["experiment_id"], unit, ["thanks", "complaint"], [1, 1])
        t1 = T0 + dt.timedelta(minutes=20 * k)
        rows.append(dict(platform="weibo", interaction_id=f"m{k}", type="dm", actor_id=f"u{k}", is_inbound=True,
                         created_at=t1))
        rows.append(dict(platform="weibo", interaction_id=f"r{k}", type="dm", actor_id="own", by_staff=True,
                         is_inbound=False, parent_id=f"m{k}", created_at=t1 + dt.timedelta(minutes=30)))
        if rng.random() < (0.45 if arm == "complaint" else 0.3):  # the apology brings people back
            rows.append(dict(platform="weibo", interaction_id=f"b{k}", type="dm", actor_id=f"u{k}",
                             is_inbound=True, created_at=t1 + dt.timedelta(days=2)))
    rows.append(dict(platform="weibo", interaction_id="old", type="dm", actor_id="early", is_inbound=True,
                     created_at=T0 - dt.timedelta(days=3)))
    rows.append(dict(platform="weibo", interaction_id="oldr", type="dm", actor_id="own", by_staff=True,
                     is_inbound=False, parent_id="old", created_at=T0 - dt.timedelta(days=2)))
    T.fill(ws, interactions=rows)
    res = E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=60))
    exp = E.get(ws, e["experiment_id"])
    assert sum(exp["units"].values()) == 2000  # everyone answered since the start; not the one answered before
    assert res["srm"] is False and abs(exp["units"]["thanks"] - 1000) < 150
    c = res["variants"]["complaint"]
    se = (c["ci"][1] - c["ci"][0]) / (2 * 1.96)  # the arms follow the experiment's (random) id: allow 3.3 se
    assert abs(c["effect"] - 0.5) < 3.3 * se and c["ci"][0] > 0  # 0.45 / 0.30 − 1
    assert E.enroll_replied(ws, e["experiment_id"]) == 0  # enrolled once


def test_a_replies_experiment_measures_the_change_of_tone(ws):
    e = E.create(ws, name="tone", hypothesis="道歉让语气变好", design="replies", primary_metric="sentiment_change",
                 by="ana", planned_n=100)
    E.start(ws, e["experiment_id"], "ana")
    units = [f"weibo:p{k}" for k in range(300)]
    arms = E.assign(ws, e["experiment_id"], units, at=T0, seed=5)
    rng = np.random.default_rng(4)
    inter, scores = [], []
    for k, u in enumerate(units):
        before = rng.uniform(-0.8, -0.2)
        after = before + (0.3 if arms[u] == "variant" else 0.0) + rng.normal(0, 0.2)
        for tag, t, sc in (("b", T0 - dt.timedelta(days=1), before), ("a", T0 + dt.timedelta(days=1), after)):
            inter.append(dict(platform="weibo", interaction_id=f"{tag}{k}", type="dm", actor_id=f"p{k}",
                              is_inbound=True, created_at=t))
            scores.append(dict(platform="weibo", kind="interaction", id=f"{tag}{k}", lang="zh",
                               polarity="negative" if sc < 0 else "positive", score=float(sc)))
    inter.append(dict(platform="weibo", interaction_id="x", type="dm", actor_id="silent", is_inbound=True,
                      created_at=T0 + dt.timedelta(days=1)))  # not in the experiment
    T.fill(ws, interactions=inter, text_sentiment=scores)
    res = E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=10))
    c = res["variants"]["variant"]
    assert sum(res["measured"].values()) == 300
    diff = c["mean"] - c["control_mean"]
    assert abs(diff - 0.3) < 0.08 and c["p_value"] < 0.001
    assert E.suggest_n(ws, "replies", "sentiment_change", 0.1)["units_per_arm"] is None


def test_guardrails_catch_toxic_replies_and_unfollows(ws):
    """#16.4 guardrails: a template that wins on replies but provokes toxic answers and unfollows is flagged — the
    verdict says which guardrail got worse (up is worse for harms), with differences of proportions, not ratios."""
    e = E.create(ws, name="blunt", hypothesis="直接的回复让人更愿意再来", design="replies", primary_metric="replied_again",
                 guardrails=["toxic_messages", "unfollowed"], by="ana", planned_n=300)
    E.start(ws, e["experiment_id"], "ana")
    units = [f"weibo:q{k}" for k in range(800)]
    arms = E.assign(ws, e["experiment_id"], units, at=T0, seed=8)
    rng = np.random.default_rng(9)
    inter, signals = [], []
    for k, u in enumerate(units):
        variant = arms[u] == "variant"
        if rng.random() < (0.6 if variant else 0.4):  # wrote again within 7 days …
            inter.append(dict(platform="weibo", interaction_id=f"r{k}", type="dm", actor_id=f"q{k}", is_inbound=True,
                              created_at=T0 + dt.timedelta(days=2)))
            signals.append(dict(platform="weibo", kind="interaction", id=f"r{k}", lang="zh", toxicity=0.9,
                                toxic=bool(rng.random() < (0.5 if variant else 0.05))))  # … angrily, with the variant
        if rng.random() < (0.2 if variant else 0.05):
            inter.append(dict(platform="weibo", interaction_id=f"u{k}", type="unfollow", actor_id=f"q{k}",
                              created_at=T0 + dt.timedelta(days=5)))
    T.fill(ws, interactions=inter, text_signals=signals)
    res = E.analyze(ws, e["experiment_id"], now=T0 + dt.timedelta(days=40))
    assert res["variants"]["variant"]["p_value"] < 0.001 and res["variants"]["variant"]["effect"] > 0
    tox, unf = res["guardrails"]["toxic_messages"]["variant"], res["guardrails"]["unfollowed"]["variant"]
    assert 0.15 < tox["effect"] < 0.35 and tox["p_value"] < 0.001  # ≈ 0.6·0.5 − 0.4·0.05 = 0.28, a difference
    assert 0.1 < unf["effect"] < 0.2 and unf["p_value"] < 0.001
    # two guardrails, one variant: Holm multiplies the smaller p by 2 and keeps the order
    low, high = sorted([tox["p_value"], unf["p_value"]])
    assert sorted([tox["p_adjusted"], unf["p_adjusted"]]) == pytest.approx([min(1, 2 * low), min(1, max(2 * low, high))])
    assert "guardrail got worse" in res["verdict"] and "toxic_messages" in res["verdict"] and "unfollowed" in res["verdict"]
    assert "护栏指标变差" in res["verdict_zh"]


def test_a_registered_outcome_window_counts_outcomes_within_it(ws):
    """Answers on day 1 (control, and every fourth variant person) and day 5 (the other variant people); every fifth
    person never answers. Within a 3-day window the late answers do not count; the default 7-day window counts
    them, once it has passed."""
    short = E.create(ws, name="quick", hypothesis="快速回复", design="replies", primary_metric="replied_again", by="ana",
                     planned_n=20, window_days=3)  # fmt: skip
    usual = E.create(ws, name="usual", hypothesis="快速回复", design="replies", primary_metric="replied_again", by="ana",
                     planned_n=20)  # fmt: skip
    assert short["window_days"] == 3 and usual["window_days"] is None
    inter = []
    for e, who in ((short, "s"), (usual, "u")):
        E.start(ws, e["experiment_id"], "ana")
        units = [f"weibo:{who}{k}" for k in range(40)]
        arms = E.assign(ws, e["experiment_id"], units, at=T0, seed=1)
        for k, u in enumerate(units):
            day = 5 if arms[u] == "variant" and k % 4 else 1
            if k % 5 == 0:
                continue
            inter.append(dict(platform="weibo", interaction_id=f"{who}{k}", type="dm", actor_id=f"{who}{k}",
                              is_inbound=True, created_at=T0 + dt.timedelta(days=day)))  # fmt: skip
    T.fill(ws, interactions=inter)
    early = E.analyze(ws, short["experiment_id"], now=T0 + dt.timedelta(days=4))
    c = early["variants"]["variant"]
    assert sum(early["measured"].values()) == 40  # the 3-day window has passed for everyone
    assert 0.7 < c["control_mean"] < 0.9 and 0 < c["mean"] < 0.4 and early["verdict_key"] == "control_better"
    assert sum(E.analyze(ws, usual["experiment_id"], now=T0 + dt.timedelta(days=4))["measured"].values()) == 0
    late = E.analyze(ws, usual["experiment_id"], now=T0 + dt.timedelta(days=8))["variants"]["variant"]
    assert abs(late["control_mean"] - late["mean"]) < 0.15 and late["p_value"] > 0.05
    with pytest.raises(ExperimentError, match="locked"):
        E.update(ws, short["experiment_id"], "ana", window_days=7)
    assert E.revise(ws, short["experiment_id"], "ana", window_days=7)["window_days"] == 7
    with pytest.raises(ExperimentError, match="outcome window is for the replies design"):
        E.create(ws, name="p", hypothesis="h", design="posts", primary_metric="engagements", by="ana", planned_n=10,
                 window_days=3)  # fmt: skip
    with pytest.raises(ExperimentError, match="1–180 days"):
        E.create(ws, name="p", hypothesis="h", design="replies", primary_metric="ordered", by="ana", planned_n=10,
                 window_days=0)  # fmt: skip
