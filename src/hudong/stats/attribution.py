"""Multi-touch attribution: how much of the conversions (and their value) each channel earned, from the journeys
that led to them and the ones that did not.

A journey is the ordered channels a person touched before a conversion (or before the data end without one),
with how long before the end each touch was. The models, each giving every converting journey's credit (1
conversion and its value) to its touches:

- ``first`` / ``last``: all to the first / last touch.
- ``linear``: equally to every touch.
- ``time_decay``: in proportion to 2^(−age / half-life), age = days from the touch to the conversion
  (Google Analytics' time-decay model; half-life 7 days by default).
- ``markov``: the first-order Markov removal effect (Anderl, Becker, von Wangenheim & Schumann 2016,
  "Mapping the customer journey: lessons learned from graph-based online attribution modeling", IJRM 33(3)).
  Journeys, converting or not, become transitions start → channel → … → conversion | null; the chain's
  probability of reaching conversion from start is P. Removing channel c sends every transition into c to null;
  its removal effect is RE_c = 1 − P_without_c / P. Conversions (and value) are shared in proportion to RE_c.
  hudong solves the absorbing chain exactly (a linear system); the ChannelAttribution package estimates the same
  quantities by simulation (tests/test_campaigns.py compares the two).

Consecutive repeats of a channel are merged (a → a → b is a → b): a self-loop changes no absorption probability
and no heuristic model should reward refreshing the same page.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MODELS = ("first", "last", "linear", "time_decay", "markov")
HALF_LIFE_DAYS = 7.0


def collapse(channels: Sequence[str], ages: Sequence[float] | None = None) -> tuple[list[str], list[float]]:
    """The journey with consecutive repeats merged (the latest touch of a run keeps its age)."""
    ages = list(ages) if ages is not None else [0.0] * len(channels)
    out_c: list[str] = []
    out_a: list[float] = []
    for c, a in zip(channels, ages, strict=True):
        if out_c and out_c[-1] == c:
            out_a[-1] = a
        else:
            out_c.append(c)
            out_a.append(a)
    return out_c, out_a


def _journeys(journeys: pd.DataFrame) -> pd.DataFrame:
    """Columns channels (list), ages (list, days before the end; zeros if absent), conversions, value, and
    nulls (journeys on this path that did not convert; default: 1 where conversions is 0, so a row can be one
    person's journey or a path with its counts); merged repeats; empty journeys dropped."""
    df = journeys.copy()
    if "ages" not in df:
        df["ages"] = [[0.0] * len(c) for c in df["channels"]]
    if "value" not in df:
        df["value"] = 0.0
    merged = [collapse(c, a) for c, a in zip(df["channels"], df["ages"], strict=True)]
    df["channels"] = [m[0] for m in merged]
    df["ages"] = [m[1] for m in merged]
    df["conversions"] = df["conversions"].astype(float)
    df["value"] = df["value"].fillna(0).astype(float)
    return df[df["channels"].map(len) > 0].reset_index(drop=True)


def heuristic(journeys: pd.DataFrame, half_life_days: float = HALF_LIFE_DAYS) -> pd.DataFrame:
    """Long frame (model, channel, conversions, value) for first, last, linear and time_decay."""
    df = _journeys(journeys)
    df = df[df["conversions"] > 0]
    rows = []
    for chans, ages, conv, value in zip(df["channels"], df["ages"], df["conversions"], df["value"], strict=True):
        n = len(chans)
        decay = np.power(2.0, -np.asarray(ages, dtype=float) / half_life_days)
        weights = {"first": np.eye(1, n, 0)[0], "last": np.eye(1, n, n - 1)[0], "linear": np.full(n, 1.0 / n),
                   "time_decay": decay / decay.sum()}  # fmt: skip
        for model, w in weights.items():
            for c, share in zip(chans, w, strict=True):
                if share:
                    rows.append((model, c, conv * share, value * share))
    out = pd.DataFrame(rows, columns=["model", "channel", "conversions", "value"])
    return out.groupby(["model", "channel"], as_index=False, sort=True)[["conversions", "value"]].sum()


def transitions(journeys: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """(channels, counts): counts[i, j] over the states start, channels…, conversion, null (in that order)."""
    df = _journeys(journeys)
    channels = sorted({c for chans in df["channels"] for c in chans})
    ix = {c: i + 1 for i, c in enumerate(channels)}
    conv, null = len(channels) + 1, len(channels) + 2
    counts = np.zeros((len(channels) + 3, len(channels) + 3))
    nulls = df["nulls"] if "nulls" in df else (df["conversions"] <= 0).astype(float)
    for chans, c_n, n_n in zip(df["channels"], df["conversions"], nulls, strict=True):
        states = [0, *(ix[c] for c in chans)]
        for a, b in zip(states, states[1:], strict=False):
            counts[a, b] += c_n + n_n
        counts[states[-1], conv] += c_n
        counts[states[-1], null] += n_n
    return channels, counts


def _p_conversion(counts: np.ndarray, removed: int | None = None) -> float:
    """Probability of absorbing in conversion from start (state 0); ``removed``: a channel whose inflow goes to
    null instead."""
    t = counts.copy()
    n = len(t)
    conv, null = n - 2, n - 1
    if removed is not None:
        t[:, null] += t[:, removed]
        t[:, removed] = 0
        t[removed, :] = 0
    rows = t.sum(axis=1, keepdims=True)
    p = np.divide(t, rows, out=np.zeros_like(t), where=rows > 0)
    transient = [i for i in range(n - 2) if i != removed]
    q = p[np.ix_(transient, transient)]
    r = p[transient, conv]
    try:
        return float(np.linalg.solve(np.eye(len(transient)) - q, r)[0])
    except np.linalg.LinAlgError:  # a closed loop with no way out cannot come from observed journeys
        return float(np.linalg.lstsq(np.eye(len(transient)) - q, r, rcond=None)[0][0])


def markov(journeys: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """(frame channel, removal_effect, conversions, value; P(conversion) of the whole chain)."""
    channels, counts = transitions(journeys)
    df = _journeys(journeys)
    total_c, total_v = float(df["conversions"].sum()), float(df["value"].sum())
    cols = ["channel", "removal_effect", "conversions", "value"]
    if not channels:
        return pd.DataFrame(columns=cols), 0.0
    p = _p_conversion(counts)
    if p <= 0:
        return pd.DataFrame({"channel": channels, "removal_effect": 0.0, "conversions": 0.0, "value": 0.0}), 0.0
    re = np.array([1 - _p_conversion(counts, i + 1) / p for i in range(len(channels))])
    re = np.clip(re, 0, None)
    share = re / re.sum() if re.sum() > 0 else np.zeros_like(re)
    return pd.DataFrame({"channel": channels, "removal_effect": re, "conversions": total_c * share,
                         "value": total_v * share}), p  # fmt: skip


def attribute(journeys: pd.DataFrame, half_life_days: float = HALF_LIFE_DAYS) -> tuple[pd.DataFrame, float]:
    """Every model at once: (long frame model, channel, conversions, value, share of conversions; the Markov
    chain's P(conversion))."""
    mk, p = markov(journeys)
    out = pd.concat([heuristic(journeys, half_life_days), mk.drop(columns="removal_effect").assign(model="markov")],
                    ignore_index=True)  # fmt: skip
    totals = out.groupby("model")["conversions"].transform("sum")
    out["share"] = np.where(totals > 0, out["conversions"] / totals.where(totals > 0, 1), 0.0)
    return out[["model", "channel", "conversions", "value", "share"]], p
