"""Kleinberg batched bursts (hand-computed example), ruptures change points, "rising now" ranking."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hudong.text.bursts import bursts_table, change_points, kleinberg, rising


def _hand_costs(r: int, d: int, p: float) -> float:
    return -(r * math.log(p) + (d - r) * math.log(1 - p))


def test_kleinberg_hand_computed_example():
    # d = 10 per batch, r = 1, 1, 5, 1 → p0 = 8/40 = 0.2, p1 = 0.4 (s = 2); n = 4 → τ = γ·ln 4.
    r, d = [1, 1, 5, 1], [10, 10, 10, 10]
    calm0, calm1 = _hand_costs(1, 10, 0.2), _hand_costs(1, 10, 0.4)  # 3.6177, 5.5137
    hot0, hot1 = _hand_costs(5, 10, 0.2), _hand_costs(5, 10, 0.4)  # 9.1629, 7.1356
    assert calm0 == pytest.approx(3.6177, abs=1e-4) and hot1 == pytest.approx(7.1356, abs=1e-4)
    all_calm = 3 * calm0 + hot0  # 20.016
    burst_at_2 = 3 * calm0 + hot1 + 1.0 * math.log(4)  # 19.072 < 20.016 → a burst at t = 2 with γ = 1
    assert burst_at_2 < all_calm
    path = kleinberg(r, d, s=2, gamma=1)
    assert path.states.tolist() == [[0, 0, 1, 0]]
    # Σ of the path's emission costs + transition = the hand-computed optimum
    got = sum(path.cost[0, s, t] for t, s in enumerate(path.states[0])) + math.log(4)
    assert got == pytest.approx(burst_at_2)
    assert calm1 > calm0  # burst state is worse for calm batches
    # γ = 2: τ = 2·ln 4 = 2.77 → 3·3.6177 + 7.1356 + 2.77 = 20.76 > 20.016 → no burst
    assert kleinberg(r, d, s=2, gamma=2).states.tolist() == [[0, 0, 0, 0]]
    table = bursts_table(path, ["t"])
    assert table.to_dict("records")[0] | {"weight": 0} == {"term": "t", "start": 2, "end": 2, "level": 1, "weight": 0}
    assert table["weight"].iloc[0] == pytest.approx(hot0 - hot1)


def test_kleinberg_vectorised_matches_single_rows():
    rng = np.random.default_rng(3)
    d = rng.integers(50, 80, size=40)
    r = rng.binomial(d[None, :].repeat(5, 0), 0.05)
    r[2, 15:20] = rng.binomial(d[15:20], 0.3)
    together = kleinberg(r, d, s=2.5, gamma=1, n_states=3).states
    for k in range(5):
        assert together[k].tolist() == kleinberg(r[k], d, s=2.5, gamma=1, n_states=3).states[0].tolist()
    on = np.flatnonzero(together[2] > 0)
    assert on.min() >= 14 and on.max() <= 20 and len(on) >= 4


def test_kleinberg_rejects_bad_counts():
    with pytest.raises(ValueError, match="r_t <= d_t"):
        kleinberg([3], [2])


def test_change_points_find_a_planted_shift_and_none_in_noise():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.poisson(5, 60), rng.poisson(20, 40)])
    cps = change_points(x)
    assert len(cps) >= 1 and min(abs(c - 60) for c in cps) <= 2
    assert change_points(rng.poisson(8, 100)) == []


def test_rising_ranks_the_term_that_jumps_against_its_own_baseline():
    rng = np.random.default_rng(1)
    days = pd.date_range("2026-06-01", periods=15, freq="D")
    wide = pd.DataFrame({"steady_big": rng.poisson(50, 15), "new_hot": [0] * 14 + [12],
                         "noisy": rng.poisson(5, 15)}, index=days)  # fmt: skip
    wide.iloc[-1, wide.columns.get_loc("steady_big")] = 55
    top = rising(wide, window=7, min_count=3)
    assert top["term"].iloc[0] == "new_hot"
    assert top.set_index("term").loc["new_hot", "ratio"] == pytest.approx(13.0)
    assert "steady_big" not in set(top["term"])  # 55 against a mean of ≈ 50: z < 2, not rising


def test_rising_never_lists_a_term_below_its_baseline():
    """Issue #19 item 18: "rising now" listed falling terms (every term with count ≥ 3, ranked by z, negative
    z included). Only a term whose last count is ≥ 2 noise units above its own baseline is rising."""
    days = pd.date_range("2026-06-01", periods=8, freq="D")
    wide = pd.DataFrame({"falling": [10, 10, 10, 10, 10, 10, 10, 4], "flat": [5] * 8,
                         "rising": [1, 0, 2, 1, 0, 1, 1, 9]}, index=days)  # fmt: skip
    top = rising(wide, window=7, min_count=3)
    assert top["term"].tolist() == ["rising"]
    assert (top["count"] > top["baseline"]).all() and (top["z"] >= 2).all()
    # the z threshold is a parameter; z > 0 ⇔ count > baseline, so even z_min = 0 keeps falling terms out
    assert "falling" not in set(rising(wide, window=7, min_count=3, z_min=0.0)["term"])


def test_rising_with_totals_needs_a_larger_share_not_just_more_volume():
    days = pd.date_range("2026-06-01", periods=8, freq="D")
    # every term doubles on the last day because twice as many posts came in: none of them is rising
    wide = pd.DataFrame({"a": [10] * 7 + [20], "b": [6] * 7 + [12], "new": [1] * 7 + [12]}, index=days)
    totals = pd.Series([100] * 7 + [200], index=days)
    assert set(rising(wide, window=7, min_count=3)["term"]) == {"a", "b", "new"}
    assert rising(wide, window=7, min_count=3, totals=totals)["term"].tolist() == ["new"]


def test_hot_search_slice_detectors_agree_with_top10_entries():
    """Four real days of the Weibo hot-search archive: the burst detectors fire around the terms that reach
    the top 10, and Kleinberg's bursts are more precise than merely watching the list."""
    import sys

    from conftest import REPO, shared_data

    path = shared_data("weibo_hot_search_hourly", "weibo_hot_search_2024-06_to_2024-07.csv.gz")
    sys.path.insert(0, str(REPO / "benchmarks"))
    import eval_bursts as E

    table, n_terms = E.evaluate(E.load(path, days=4))
    t = table.set_index("detector")
    assert n_terms > 100 and t.loc["on-list", "events"] > 50
    assert t.loc["on-list", "hit_rate"] > 0.9  # a top-10 entry is on the list, usually climbing from below
    assert t.loc["kleinberg-offline", "hit_rate"] > 0.3 and t.loc["pelt", "hit_rate"] > 0.5
    assert t.loc["kleinberg-offline", "precision"] > t.loc["on-list", "precision"]
    assert t.loc["kleinberg-offline", "episodes"] < t.loc["on-list", "episodes"] / 3


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_term_series_counts_every_document_in_its_period(freq):
    from hudong.text.bursts import term_series

    frame = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-20", "2026-03-03"]),
                          "text": ["#新品# 龙井", "#新品# 龙井", "普洱", "#新品# 普洱"]})  # fmt: skip
    wide, totals = term_series(frame, freq, min_docs=2)
    assert int(totals.sum()) == 4 and wide["#新品#"].sum() == 3 and wide["普洱"].sum() == 2
    assert wide.index.equals(totals.index) and wide.index.is_monotonic_increasing
    assert (wide.index == wide.index.to_period(freq).start_time).all()  # periods labelled by their start
