"""The Chinese calendar layer of the content calendar: festivals, public holidays and shopping days, computed for
any year — lunar festivals from the lunar calendar and 清明 from the solar terms (``lunar_python``, 6tail's
calendar library: 1900–2100 and beyond), the rest by their Gregorian rule. Nothing is listed per year.

    festivals.between(dt.date(2026, 1, 1), dt.date(2026, 12, 31))   # [Day(2026-01-01, "new_year", …), …]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lunar_python import Lunar, Solar


@dataclass(frozen=True)
class Day:
    date: dt.date
    key: str
    zh: str
    en: str
    kind: str  # festival (traditional), holiday (public), shopping (e-commerce), observance

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _lunar(month: int, day: int) -> Callable[[int], dt.date]:
    """The Gregorian date of lunar ``month``/``day`` of the lunar year that starts in Gregorian ``year``."""
    def at(year: int) -> dt.date:
        s = Lunar.fromYmd(year, month, day).getSolar()
        return dt.date(s.getYear(), s.getMonth(), s.getDay())
    return at


def _new_years_eve(year: int) -> dt.date:
    return _lunar(1, 1)(year) - dt.timedelta(days=1)  # 除夕: the last day of the previous lunar year (29th or 30th)


def _solar_term(name: str, month: int) -> Callable[[int], dt.date]:
    def at(year: int) -> dt.date:
        t = Solar.fromYmd(year, month, 15).getLunar().getJieQiTable()[name]
        return dt.date(t.getYear(), t.getMonth(), t.getDay())
    return at


def _fixed(month: int, day: int) -> Callable[[int], dt.date]:
    return lambda year: dt.date(year, month, day)


def _nth_weekday(month: int, weekday: int, n: int) -> Callable[[int], dt.date]:
    """The ``n``-th ``weekday`` (0 = Monday) of ``month``: 母亲节 is the second Sunday of May."""
    def at(year: int) -> dt.date:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    return at


# key, 中文, English, kind, rule(year) → date
RULES: tuple[tuple[str, str, str, str, Callable[[int], dt.date]], ...] = (
    ("new_year", "元旦", "New Year's Day", "holiday", _fixed(1, 1)),
    ("new_years_eve", "除夕", "Chinese New Year's Eve", "festival", _new_years_eve),
    ("spring_festival", "春节", "Spring Festival", "festival", _lunar(1, 1)),
    ("lantern", "元宵节", "Lantern Festival", "festival", _lunar(1, 15)),
    ("valentines", "情人节", "Valentine's Day", "observance", _fixed(2, 14)),
    ("womens_day", "妇女节", "Women's Day", "observance", _fixed(3, 8)),
    ("qingming", "清明", "Qingming Festival", "festival", _solar_term("清明", 4)),
    ("labour_day", "劳动节", "Labour Day", "holiday", _fixed(5, 1)),
    ("mothers_day", "母亲节", "Mother's Day", "observance", _nth_weekday(5, 6, 2)),
    ("520", "520", "520 (\"I love you\" day)", "shopping", _fixed(5, 20)),
    ("dragon_boat", "端午节", "Dragon Boat Festival", "festival", _lunar(5, 5)),
    ("618", "618", "618 shopping festival", "shopping", _fixed(6, 18)),
    ("fathers_day", "父亲节", "Father's Day", "observance", _nth_weekday(6, 6, 3)),
    ("qixi", "七夕", "Qixi Festival", "festival", _lunar(7, 7)),
    ("mid_autumn", "中秋节", "Mid-Autumn Festival", "festival", _lunar(8, 15)),
    ("national_day", "国庆节", "National Day", "holiday", _fixed(10, 1)),
    ("double_ninth", "重阳节", "Double Ninth Festival", "festival", _lunar(9, 9)),
    ("double_11", "双11", "Singles' Day (11.11)", "shopping", _fixed(11, 11)),
    ("double_12", "双12", "Double 12 (12.12)", "shopping", _fixed(12, 12)),
    ("christmas", "圣诞节", "Christmas", "observance", _fixed(12, 25)),
)


def of_year(year: int) -> list[Day]:
    """Every day of ``RULES`` in Gregorian ``year``, in date order."""
    days = [Day(rule(year), key, zh, en, kind) for key, zh, en, kind, rule in RULES]
    return sorted((d for d in days if d.date.year == year), key=lambda d: (d.date, d.key))


def between(start: dt.date, end: dt.date) -> list[Day]:
    """The days from ``start`` to ``end`` inclusive."""
    return [d for y in range(start.year, end.year + 1) for d in of_year(y) if start <= d.date <= end]


def upcoming(today: dt.date, days: int = 60) -> Iterator[Day]:
    """The days of the next ``days`` days, for planning ahead."""
    yield from between(today, today + dt.timedelta(days=days))
