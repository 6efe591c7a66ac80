"""Follower tiers: a follower count → a named tier (nano … mega). Used by KOC ranking and text segments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hudong.errors import HudongError

# Mediakix / STIM tiers (metrics-reference §4): lower bound of each tier, in followers. A tier runs up to the next
# one's lower bound (exclusive); "mega" is > 1M, so its lower bound is 1,000,001. Below nano: "none".
DEFAULT_TIERS: dict[str, int] = {"nano": 1_000, "micro": 10_000, "mid": 50_000, "macro": 500_000, "mega": 1_000_001}


def follower_tier(followers: Any, tiers: Mapping[str, int] | None = None) -> np.ndarray:
    """Tier name per follower count (``tiers``: name → lower bound; default Mediakix/STIM). Unknown → None."""
    tiers = dict(tiers or DEFAULT_TIERS)
    if not tiers:
        raise HudongError("follower tiers are empty")
    names = sorted(tiers, key=lambda k: tiers[k])
    bounds = np.array([tiers[k] for k in names], dtype=np.float64)
    f = pd.to_numeric(pd.Series(followers), errors="coerce").to_numpy(dtype=np.float64)
    idx = np.searchsorted(bounds, f, side="right") - 1
    labels = np.array(["none", *names], dtype=object)
    out = labels[idx + 1]
    out[np.isnan(f)] = None
    return out
