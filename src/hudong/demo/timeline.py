"""The demo's clock: a fixed six-month window, daily/weekly rhythms and the business-hours model.

Times are int64 seconds since 1970-01-01 in naive Asia/Shanghai local time (the workspace's
time zone), so hours and weekdays can be read off with integer arithmetic.
"""

from __future__ import annotations

import numpy as np

DAY = 86_400
WEEK = 7 * DAY
START = int(np.datetime64("2026-01-01T00:00:00", "s").astype(np.int64))
END = int(np.datetime64("2026-06-30T23:59:59", "s").astype(np.int64))  # fixed: never "today"
DAYS = (END + 1 - START) // DAY  # 181
WEEKS = (DAYS + 6) // 7

# Share of activity per local hour: quiet before dawn, peaks at lunch and in the evening.
HOUR_WEIGHTS = np.array(
    [0.45, 0.25, 0.12, 0.07, 0.05, 0.06, 0.15, 0.40, 0.60, 0.70, 0.75, 0.85,
     1.00, 0.90, 0.70, 0.70, 0.72, 0.80, 0.85, 0.95, 1.10, 1.20, 1.00, 0.75]
)  # fmt: skip
# When the brand's social team publishes: morning commute, lunch, after work.
OWN_POST_HOUR_WEIGHTS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.3, 1.2, 0.8, 0.6, 0.9,
     1.3, 0.5, 0.4, 0.5, 0.5, 0.7, 1.0, 1.1, 1.4, 0.9, 0.3, 0]
)  # fmt: skip
WEEKDAY_WEIGHTS = np.array([0.92, 0.93, 0.95, 0.97, 1.05, 1.14, 1.08])  # Monday first; weekends busier for a tea brand

BUSINESS_OPEN = 9 * 3600
BUSINESS_CLOSE = 18 * 3600


def ts(text: str) -> int:
    """'2026-03-20' or '2026-03-20T10:00' as demo seconds."""
    return int(np.datetime64(text, "s").astype(np.int64))


def hour_of(t: np.ndarray) -> np.ndarray:
    return (t % DAY) // 3600


def weekday_of(t: np.ndarray) -> np.ndarray:
    """ISO weekday minus one (0 = Monday); 1970-01-01 was a Thursday."""
    return (t // DAY + 3) % 7


def day_index(t: np.ndarray) -> np.ndarray:
    return (t - START) // DAY


def week_index(t: np.ndarray) -> np.ndarray:
    return np.clip((t - START) // WEEK, 0, WEEKS - 1)


def day_weights(*, growth: float = 0.35, bumps: tuple[tuple[str, str, float], ...] = ()) -> np.ndarray:
    """Relative volume per day: slow growth, the weekly rhythm and campaign bumps (start, end, factor)."""
    days = np.arange(DAYS)
    w = 1.0 + growth * days / DAYS
    w = w * WEEKDAY_WEIGHTS[weekday_of(START + days * DAY)]
    for start, end, factor in bumps:
        lo, hi = (ts(start) - START) // DAY, (ts(end) - START) // DAY
        w[lo : hi + 1] *= factor
    return w / w.sum()


def sample_times(
    rng: np.random.Generator, n: int, days_w: np.ndarray, hours_w: np.ndarray = HOUR_WEIGHTS
) -> np.ndarray:
    """n timestamps: a day by ``days_w``, an hour by ``hours_w``, a uniform second within the hour."""
    d = rng.choice(DAYS, size=n, p=days_w)
    h = rng.choice(24, size=n, p=hours_w / hours_w.sum())
    return START + d * DAY + h * 3600 + rng.integers(0, 3600, size=n)


def lognormal_seconds(rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
    return np.maximum(1, rng.lognormal(np.log(median), sigma, size=n)).astype(np.int64)


def reactions_after(
    rng: np.random.Generator, t0: np.ndarray, median: float, sigma: float, rounds: int = 6
) -> np.ndarray:
    """Times after ``t0`` (a reaction delay), reshaped by the daily rhythm.

    Rejection sampling: a delay landing at 04:00 is usually redrawn, one landing at 21:00 kept,
    so reactions follow both their post (decay) and the audience's day (rhythm).
    """
    t = t0 + lognormal_seconds(rng, len(t0), median, sigma)
    keep = HOUR_WEIGHTS / HOUR_WEIGHTS.max()
    todo = np.flatnonzero(rng.random(len(t)) > keep[hour_of(t)])
    for _ in range(rounds):
        if not len(todo):
            break
        t[todo] = t0[todo] + lognormal_seconds(rng, len(todo), median, sigma)
        todo = todo[rng.random(len(todo)) > keep[hour_of(t[todo])]]
    return t


def in_business_hours(t: np.ndarray) -> np.ndarray:
    sod = t % DAY
    return (weekday_of(t) < 5) & (sod >= BUSINESS_OPEN) & (sod < BUSINESS_CLOSE)


def next_business_open(t: np.ndarray) -> np.ndarray:
    """The next 09:00 on a weekday at or after ``t`` (for times outside business hours)."""
    day = t // DAY
    day = day + ((t % DAY) >= BUSINESS_OPEN)
    wd = (day + 3) % 7
    day = day + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))
    return day * DAY + BUSINESS_OPEN


def staff_reply_times(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """When a human agent answers a message sent at ``t``.

    Inside business hours: minutes (median ~20 min). Outside: the message waits for the next
    opening (then ~40 min), except for the ~12% a weekend/evening on-call colleague picks up.
    """
    n = len(t)
    fast = t + lognormal_seconds(rng, n, 20 * 60, 0.9)
    queued = next_business_open(t) + lognormal_seconds(rng, n, 40 * 60, 0.9)
    on_call = t + lognormal_seconds(rng, n, 70 * 60, 0.8)
    inside = in_business_hours(t)
    return np.where(inside, fast, np.where(rng.random(n) < 0.12, on_call, queued))
