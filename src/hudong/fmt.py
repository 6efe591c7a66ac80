"""Number formatting for the report and the web pages: %, 万/亿 for large Chinese numbers, K/M in English, durations.

Every formatter turns a missing value (None, NaN, ±inf, NaT) into ``MISSING`` ("—"): ``nan`` is never shown.
``blank`` is the Jinja ``finalize`` hook of the report and web templates, the same rule for any value a template
prints directly.
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"


def _ok(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def is_missing(x: Any) -> bool:
    """None, a float NaN/inf, pandas NA/NaT, or the text "nan"/"NaT"/"None" a str() of one of them gives."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip().lower() in ("nan", "nat", "none", "<na>", "inf", "-inf")
    if isinstance(x, float):
        return not math.isfinite(x)
    try:
        import pandas as pd

        return bool(pd.isna(x)) if not hasattr(x, "__len__") else False
    except (TypeError, ValueError):
        return False


def text(x: Any) -> str:
    """Any value as table text: ``MISSING`` for a missing one (so a NaN name never reads "nan")."""
    return MISSING if is_missing(x) else str(x)


def blank(x: Any) -> Any:
    """Jinja ``finalize``: what a template prints for a missing value (None, NaN, NaT; text is printed as it is)."""
    return x if isinstance(x, str) or not is_missing(x) else MISSING


def decimal(x: Any, digits: int = 2) -> str:
    """A plain number with ``digits`` decimals and thousands separators ("1,234.50"), or ``MISSING``."""
    return f"{float(x):,.{digits}f}" if _ok(x) else MISSING


def signed_percent(x: Any, digits: int = 2) -> str:
    """A change as a signed percentage ("+1.25%"), or ``MISSING``."""
    return f"{float(x) * 100:+.{digits}f}%" if _ok(x) else MISSING


def date(x: Any, pattern: str = "%Y-%m-%d") -> str:
    """A date/time with ``pattern``, or ``MISSING`` (None or NaT)."""
    if is_missing(x):
        return MISSING
    import pandas as pd

    return pd.Timestamp(x).strftime(pattern)


def number(x: Any, lang: str, digits: int = 0) -> str:
    """12345 → "1.23万" (zh) / "12,345" (en); 1.2e8 → "1.2亿" / "120M"."""
    if not _ok(x):
        return MISSING
    v = float(x)
    a = abs(v)
    if lang == "zh":
        if a >= 1e8:
            return f"{v / 1e8:.3g}亿"
        if a >= 1e4:
            return f"{v / 1e4:.3g}万"
        return f"{v:,.{digits}f}"
    if a >= 1e9:
        return f"{v / 1e9:.3g}B"
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    return f"{v:,.{digits}f}"


def percent(x: Any, digits: int | None = None) -> str:
    """A fraction as a percentage with enough digits to show small rates (0.00035 → "0.035%")."""
    if not _ok(x):
        return MISSING
    p = float(x) * 100
    if p == 0:
        return "0%"
    if digits is None:
        a = abs(p)
        digits = 1 if a >= 1 else 2 if a >= 0.1 else 3
    return f"{p:.{digits}f}%"


def minutes(x: Any, lang: str) -> str:
    """Minutes as a readable duration: 45 → "45 分钟" / "45 min"; 150 → "2.5 小时" / "2.5 h"."""
    if not _ok(x):
        return MISSING
    m = float(x)
    if m < 90:
        return f"{m:.0f} 分钟" if lang == "zh" else f"{m:.0f} min"
    h = m / 60
    if h < 48:
        return f"{h:.1f} 小时" if lang == "zh" else f"{h:.1f} h"
    return f"{h / 24:.1f} 天" if lang == "zh" else f"{h / 24:.1f} d"


def evidence_value(x: Any, unit: str, lang: str) -> str:
    """An evidence value in its unit (see rules.toml ``unit``)."""
    if not _ok(x):
        return MISSING
    if unit == "percent":
        return percent(x)
    if unit == "index":
        return f"{float(x):.2f}×"
    if unit == "minutes":
        return minutes(x, lang)
    if unit == "answer":
        return f"{float(x):.0f} / 4"
    if unit == "score":
        return f"{float(x):+.1f}"
    return number(x, lang, 0 if float(x).is_integer() else 2)


NPS_SCALE = (-100.0, 100.0)


def clip_nps(x: float) -> float:
    """An NPS value or interval bound on its scale [−100, 100]."""
    return min(max(float(x), NPS_SCALE[0]), NPS_SCALE[1])


def nps_interval(lo: Any, hi: Any) -> str:
    """The 95% interval of an NPS as "[−6.1, 31.8]", clipped to the scale; "—" when a bound is missing."""
    if not (_ok(lo) and _ok(hi)):
        return MISSING
    return f"[{clip_nps(lo):.1f}, {clip_nps(hi):.1f}]"


def score(x: Any) -> str:
    return MISSING if not _ok(x) else f"{float(x):.0f}"


def mapping(points: list[list[float]], unit: str, lang: str) -> str:
    """A piecewise mapping as "0%→0 · 10%→40 · …" (knot values without the padding of measured values)."""

    def knot(x: float) -> str:
        if unit == "percent":
            return f"{x * 100:g}%"
        if unit == "index":
            return f"{x:g}×"
        if unit == "minutes":
            return minutes(x, lang)
        return f"{x:g}"

    return " · ".join(f"{knot(x)}→{y:.0f}" for x, y in points)


WEEKDAYS = {"zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
            "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}  # fmt: skip


def slot(weekday: int, block: int, lang: str, hours: int = 3) -> str:
    """A publishing slot: weekday 0 = Monday, ``block`` of ``hours`` hours → "周三 18–21点" / "Wed 18:00–21:00"."""
    a, b = block * hours, block * hours + hours
    if lang == "zh":
        return f"{WEEKDAYS['zh'][weekday]} {a}–{b}点"
    return f"{WEEKDAYS['en'][weekday]} {a:02d}:00–{b:02d}:00"


def lift(value: float, lo: float, hi: float) -> str:
    """A multiplicative lift with its interval: "×1.32 [1.10, 1.58]"."""
    return f"×{value:.2f} [{lo:.2f}, {hi:.2f}]"
