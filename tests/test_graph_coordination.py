"""Coordinated co-sharing and bot-like timing: CooRnet's interval on a hand-made fixture, the planted demo ring
and bots recovered (and no organic fans), raw vs adjusted KPIs through the metric registry."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import hudong
from hudong import analyses
from hudong.analyses import coordination as AC
from hudong.analyses import reads
from hudong.demo import build
from hudong.demo.integrity import planted_ids
from hudong.graph import coordination as C
from hudong.ingest.privacy import pseudonymise

SCALE = 0.05


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    return build(tmp_path_factory.mktemp("coord") / "ws", seed=7, scale=SCALE, progress=False).path


@pytest.fixture
def demo(demo_path):
    ws = hudong.open(demo_path)
    yield ws
    ws.close()


def _shares(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    t0 = pd.Timestamp("2026-01-01")
    return pd.DataFrame({
        "platform": "weibo", "user_id": [u for u, _, _ in rows], "kind": "post", "item": [i for _, i, _ in rows],
        "ts": [t0 + pd.Timedelta(seconds=s) for _, _, s in rows],
    }).sort_values(["item", "ts"]).reset_index(drop=True)  # fmt: skip


def test_coordination_interval_follows_coornet():
    # 10 items; item k: shares at 0, k+1, 100(k+1), 200(k+1) s. Fastest 10% by second share = item 0 only;
    # its shares pass 50% at rank 3 (3/4 > 0.5) → 100 s after the first; median of one value = 100.
    rows = [(f"u{j}", f"p{k}", s) for k in range(10) for j, s in enumerate([0, k + 1, 100 * (k + 1), 200 * (k + 1)])]
    assert C.coordination_interval(_shares(rows)) == {"post": 100.0}
    # q = 0.5 keeps items 0..4 (t2 ≤ median 5.5): times 100..500 → median 300; floor 1 s
    assert C.coordination_interval(_shares(rows), q=0.5) == {"post": 300.0}
    assert C.coordination_interval(_shares([("a", "x", 0), ("b", "x", 0), ("c", "x", 0)])) == {"post": 1.0}


def test_co_shares_band_join_equals_brute_force():
    rng = np.random.default_rng(3)
    rows = [(f"u{rng.integers(30)}", f"p{rng.integers(12)}", int(rng.integers(0, 2000))) for _ in range(400)]
    sh = _shares(rows).drop_duplicates(["user_id", "item"]).reset_index(drop=True)
    got = C.co_shares(sh, {"post": 60.0})
    m = sh.merge(sh, on=["platform", "kind", "item"])
    m = m[(m["user_id_x"] < m["user_id_y"]) & ((m["ts_x"] - m["ts_y"]).abs() <= pd.Timedelta(seconds=60))]
    want = set(zip(m["item"], m["user_id_x"], m["user_id_y"], strict=True))
    assert set(zip(got["item"], got["user_a"], got["user_b"], strict=True)) == want
    assert len(got) == len(want) > 0


def test_planted_ring_and_bots_recovered_not_the_fans(demo):
    truth = {k: {(p, pseudonymise(demo.key, p, u)) for p, u in v} for k, v in planted_ids(7, SCALE).items()}
    sh = reads.shares(demo)
    res = C.detect_coordination(sh)
    found = set(zip(res.accounts["platform"], res.accounts["user_id"], strict=True))
    tp = len(found & truth["ring"])
    precision, recall = tp / max(len(found), 1), tp / len(truth["ring"])
    assert precision == 1.0 and recall >= 0.9, (precision, recall, res.groups)
    assert res.groups["n_accounts"].iloc[0] == len(found & truth["ring"])
    assert 0 < res.interval["post"] < 6 * 3600
    # evidence: every co-shared item has ≥ 2 member shares within the interval of each other
    ev = res.evidence[res.evidence["group"] == 1]
    closest = ev.groupby("item")["ts"].agg(lambda s: s.sort_values().diff().min().total_seconds())
    assert (ev.groupby("item").size() >= 2).all() and (closest <= res.interval["post"]).all()
    bots = C.bot_signals(reads.actions(demo))
    flagged = set(zip(bots.loc[bots["bot_like"], "platform"], bots.loc[bots["bot_like"], "user_id"], strict=True))
    assert flagged == truth["bots"]
    # a fixed interval and a higher repetition still find the ring; absurd parameters are refused
    assert C.detect_coordination(sh, interval=60, min_repetition=5).accounts["user_id"].nunique() >= 7
    with pytest.raises(hudong.HudongError):
        C.detect_coordination(sh, interval=-1)
    with pytest.raises(hudong.HudongError):
        analyses.run(demo, "coordination", interval=-1.0)


def test_raw_vs_adjusted_kpis_use_the_registry(demo):
    from hudong.metrics import compute

    flagged = AC.flagged(demo)
    assert set(flagged["reason"].str.split(" ").str[0]) == {"coordinated", "bot-like"}
    table = AC.kpis_raw_adjusted(demo, flagged)
    raw = {m: compute(demo, m).to_pandas()["value"].iloc[0] for m in ("engagements", "ugc_volume")}
    row = table.set_index("metric")
    assert row.loc["engagements", "raw"] == raw["engagements"]
    assert row.loc["engagements", "adjusted"] < row.loc["engagements", "raw"]  # the ring's likes and shares
    assert row.loc["amplification_rate", "adjusted"] < row.loc["amplification_rate", "raw"]
    assert (row["difference"] == row["adjusted"] - row["raw"]).all()
    # nothing flagged → adjusted equals raw
    none = AC.kpis_raw_adjusted(demo, flagged.iloc[:0], metrics=("engagements", "ugc_volume"))
    assert (none["raw"] == none["adjusted"]).all() and none.set_index("metric").loc["ugc_volume", "raw"] == raw[
        "ugc_volume"
    ]


def test_empty_workspace_gives_empty_frames(workspace):
    res = C.detect_coordination(reads.shares(workspace))
    assert res.groups.empty and res.accounts.empty and res.evidence.empty and res.interval == {}
    bots = C.bot_signals(reads.actions(workspace))
    assert bots.empty
    assert C.flagged_accounts(res, bots).empty


def test_cli_lists_groups_evidence_and_kpis(demo_path):
    env = {**os.environ, "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "hudong.cli", "-w", str(demo_path), "coordination"]
    run = subprocess.run([*cmd, "--min-repetition", "3"], capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr
    assert "coordinated groups: 1" in run.stdout and "bot-like timing: 2 accounts" in run.stdout
    assert "engagements" in run.stdout and "evidence" in run.stdout
    bad = subprocess.run([*cmd, "--interval", "soon"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "--interval must be auto or a number of seconds" in bad.stderr
