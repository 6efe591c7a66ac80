"""Brand and competitor mention detection with aliases, and mention counts per period.

Brands come from ``hudong.toml`` and the ``accounts`` table::

    [brand]
    name = "山茶社"
    aliases = ["Camellia Tea", "山茶小社"]
    exclude = []                  # phrases that contain an alias but are not the brand

    [[competitors]]
    name = "茶颜小筑"
    aliases = ["茶颜", "Chayan Cottage"]
    exclude = ["茶颜悦色"]         # another brand that starts with the same characters

plus, for each watched account, its ``brand`` (own accounts: the workspace brand), display ``name`` and
``aliases`` — so ``@山茶社官方微博`` counts for 山茶社.

Matching (``BrandMatcher``):
- text and aliases are normalised with Unicode NFKC (full-width Ｃａｍｅｌｌｉａ → Camellia, full-width space)
  and case-folded; runs of whitespace, ``_``, ``-``, ``·`` and ``.`` inside an alias match any (or no)
  such separator (``Camellia Tea`` = ``camellia-tea`` = ``CamelliaTea``);
- an alias that starts/ends with a Latin letter or digit must not touch another one there, so ``Chayan``
  is not found in ``Chayanne`` and ``tea co`` not in ``steam``; Chinese aliases have no word boundaries and
  match inside longer strings (``#山茶社春茶节#``, ``@山茶社官方微博``) — use ``exclude`` for known clashes;
- all aliases form one alternation, longest first, matched left to right without overlap, so a longer alias
  of one brand wins over a shorter one of another at the same position;
- a post counts once per brand; posts published by one of the brand's own accounts are not mentions of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hudong.errors import HudongError
from hudong.i18n import translated_error
from hudong.text.tokenize import analysed

__all__ = ["Brand", "BrandMatcher", "brands_from", "mention_counts", "mentions_frame", "normalize"]

_SEP = r"[\s_\-·.]*"
_ALNUM = re.compile(r"[0-9a-z]")


def normalize(text: str | None) -> str:
    """NFKC + casefold: full-width letters/digits/spaces become ASCII, case is ignored."""
    return unicodedata.normalize("NFKC", text or "").casefold()



@dataclass(frozen=True)
class Brand:
    name: str
    aliases: tuple[str, ...] = ()
    is_own: bool = False
    exclude: tuple[str, ...] = ()
    accounts: tuple[tuple[str, str], ...] = field(default=())  # (platform, account_id) that speak for it

    @property
    def keywords(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for a in (self.name, *self.aliases):
            a = " ".join(normalize(a).split())
            if a:
                seen.setdefault(a, None)
        return tuple(seen)


def _alias_pattern(alias: str) -> str:
    pieces = re.split(r"[\s_\-·.]+", alias)
    body = _SEP.join(re.escape(p) for p in pieces if p)
    lead = r"(?<![0-9a-z])" if _ALNUM.match(alias[0]) else ""
    tail = r"(?![0-9a-z])" if _ALNUM.match(alias[-1]) else ""
    return f"{lead}{body}{tail}"


def _beats(other: str, mine: str) -> bool:
    """Alias ``other`` (separators removed) wins over ``mine`` where both could match: it contains it and is
    longer, or it ends with a beginning of it (it starts first, and the scan takes the leftmost match)."""
    if len(other) > len(mine) and mine in other:
        return True
    return any(other[-k:] == mine[:k] for k in range(1, min(len(other), len(mine))))


def _sql_escape(text: str) -> str:
    """Regex-escape for RE2 and Java alike: only the metacharacters (RE2 rejects some escapes Python adds)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _sql_alias(alias: str) -> str:
    """``_alias_pattern`` without look-arounds: a Latin/digit edge must touch the text's edge or a non-alnum."""
    pieces = re.split(r"[\s_\-·.]+", alias)
    body = "[\\s_\\-·.]*".join(_sql_escape(p) for p in pieces if p)
    lead = "(^|[^0-9a-z])" if _ALNUM.match(alias[0]) else ""
    tail = "([^0-9a-z]|$)" if _ALNUM.match(alias[-1]) else ""
    return f"{lead}({body}){tail}"


# NFKC's effect on the text people type, in plain SQL (TRANSLATE runs on DuckDB and Spark): full-width ASCII
# (U+FF01–FF5E) and the ideographic space become ASCII; then lower case.
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(c) for c in range(0x21, 0x7F)) + " "


class BrandMatcher:
    """Finds which brands a text mentions (see the module doc for the rules)."""

    def __init__(self, brands: Iterable[Brand]):
        self.brands = list(brands)
        if not self.brands:
            raise translated_error("err_no_brands")
        owner: dict[str, str] = {}
        for b in self.brands:
            for kw in b.keywords:
                owner.setdefault(kw, b.name)
        self._owner = {re.sub(r"[\s_\-·.]+", "", k): v for k, v in owner.items()}
        alts = sorted(owner, key=lambda k: (-len(k), k))
        self._re = re.compile("|".join(f"(?P<a{i}>{_alias_pattern(a)})" for i, a in enumerate(alts)))
        self._alias = alts
        excl = sorted({normalize(x) for b in self.brands for x in b.exclude if x.strip()}, key=len, reverse=True)
        self._exclude = re.compile("|".join(re.escape(x) for x in excl)) if excl else None
        self._excluded = excl

    def find(self, text: str | None) -> list[tuple[str, str]]:
        """(brand, alias as written in the text) for every match, in order of appearance, in the analysed part of
        the text (``tokenize.analysed``: its first ``max_chars()`` characters)."""
        s = normalize(analysed(text))
        if self._exclude is not None:
            s = self._exclude.sub(lambda m: "\x00" * len(m.group(0)), s)
        out = []
        for m in self._re.finditer(s):
            alias = self._alias[int(m.lastgroup[1:])]
            out.append((self._owner[re.sub(r"[\s_\-·.]+", "", alias)], m.group(0)))
        return out

    def brands_in(self, text: str | None) -> list[str]:
        """Distinct brands mentioned, in order of first appearance."""
        return list(dict.fromkeys(b for b, _ in self.find(text)))

    def sql_patterns(self) -> list[tuple[str, str, str | None]]:
        """The same rules as regular expressions a database can run (DuckDB's RE2, Spark's Java regex; no
        look-arounds) over normalised text (``metrics.voice.normalized_text``), one brand at a time: (brand,
        pattern, removed) — a text mentions the brand when ``pattern`` is found after deleting the ``removed``
        matches: the excluded phrases, and other brands' aliases that would win over one of this brand's in
        ``find``'s left-to-right, longest-first scan (they contain it, or start before it and run into it). Rare
        overlaps can still differ from ``find`` (a chain of three overlapping aliases; two brands' aliases that
        start at the same place and overlap through repeated characters)."""
        compact = {a: re.sub(r"[\s_\-·.]+", "", a) for a in self._alias}
        out = []
        for b in self.brands:
            mine = [a for a in self._alias if self._owner[compact[a]] == b.name]
            if not mine:
                continue
            wins = [a for a in self._alias if self._owner[compact[a]] != b.name
                    and any(_beats(compact[a], compact[m]) for m in mine)]
            removed = [_sql_escape(x) for x in self._excluded] + [_sql_alias(a) for a in wins]
            out.append((b.name, "|".join(_sql_alias(a) for a in mine), "|".join(removed) or None))
        return out


def _list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise HudongError(f"hudong.toml: {where} must be a list of strings, got {value!r}")
    return tuple(str(v) for v in value if str(v).strip())


def brands_from(setting: Callable[[str], Any], accounts: Iterable[Sequence[Any]]) -> list[Brand]:
    """The brands of ``setting`` (dotted keys: ``brand.name``, ``brand.aliases``, ``brand.exclude``,
    ``competitors``) merged with ``accounts`` rows (platform, account_id, name, brand, is_own, aliases): an
    account's brand is its ``brand``, else the workspace brand for own accounts, else its name; its name and
    aliases are aliases of that brand. The one definition of the watched brands (the ``share_of_voice`` metric
    reads it too)."""
    found: dict[str, dict[str, Any]] = {}

    def add(name: str, aliases: Iterable[str] = (), *, own: bool = False, exclude: Iterable[str] = (),
            account: tuple[str, str] | None = None) -> None:  # fmt: skip
        name = str(name or "").strip()
        if not name:
            return
        b = found.setdefault(name, {"aliases": {}, "own": False, "exclude": {}, "accounts": {}})
        b["own"] = b["own"] or own
        b["aliases"].update(dict.fromkeys(a for a in aliases if a and str(a).strip()))
        b["exclude"].update(dict.fromkeys(exclude))
        if account:
            b["accounts"][account] = None

    own_name = str(setting("brand.name") or "").strip()
    add(own_name, _list(setting("brand.aliases"), "[brand] aliases"), own=True,
        exclude=_list(setting("brand.exclude"), "[brand] exclude"))  # fmt: skip
    comps = setting("competitors") or []
    if not isinstance(comps, list):
        raise HudongError("hudong.toml: competitors must be [[competitors]] tables with name and aliases")
    for i, c in enumerate(comps):
        if not isinstance(c, dict) or not str(c.get("name", "")).strip():
            raise HudongError(f"hudong.toml: [[competitors]] entry {i + 1} needs a name")
        add(c["name"], _list(c.get("aliases"), f"competitors[{i + 1}].aliases"),
            exclude=_list(c.get("exclude"), f"competitors[{i + 1}].exclude"))  # fmt: skip
    for platform, account_id, name, brand, is_own, aliases in accounts:
        b = brand or (own_name if is_own and own_name else name) or account_id
        add(b, [name or "", *([] if aliases is None else list(aliases))], own=bool(is_own),
            account=(platform, account_id))
    return [Brand(n, tuple(v["aliases"]), v["own"], tuple(v["exclude"]), tuple(v["accounts"]))
            for n, v in found.items()]  # fmt: skip


def mentions_frame(posts: pd.DataFrame, brands: list[Brand]) -> pd.DataFrame:
    """One row per (post, brand mentioned): the post's columns + ``brand`` + ``is_own_brand``.

    A brand's own accounts' posts are not counted as mentions of that brand (needs platform/account_id).
    """
    if "text" not in posts.columns:
        raise HudongError("mention detection needs a 'text' column")
    matcher = BrandMatcher(brands)
    idx, names = [], []
    for i, t in enumerate(posts["text"].tolist()):
        for b in matcher.brands_in(t):
            idx.append(i)
            names.append(b)
    out = posts.iloc[idx].reset_index(drop=True).assign(brand=names)
    own_brand = {b.name for b in brands if b.is_own}
    out["is_own_brand"] = out["brand"].isin(own_brand)
    if {"platform", "account_id"} <= set(out.columns) and len(out):
        speaks = {(p, a, b.name) for b in brands for p, a in b.accounts}
        self_post = [(p, a, b) in speaks for p, a, b in zip(out["platform"], out["account_id"], out["brand"],
                                                             strict=True)]  # fmt: skip
        out = out[~pd.Series(self_post, index=out.index)].reset_index(drop=True)
    return out


def mention_counts(mentions: pd.DataFrame, freq: str = "D", brands: list[Brand] | None = None) -> pd.DataFrame:
    """Mentions per period and brand with each brand's share of the period's mentions (share of voice).

    ``freq``: a pandas period alias (``D``, ``W``, ``M``, ``h``). Columns period, brand, mentions, share.
    """
    cols = ["period", "brand", "mentions", "share"]
    if mentions.empty:
        return pd.DataFrame(columns=cols)
    period = pd.to_datetime(mentions["created_at"]).dt.to_period(freq).dt.start_time
    g = mentions.assign(period=period).groupby(["period", "brand"]).size().rename("mentions")
    wide = g.unstack(fill_value=0)
    if brands:
        for b in brands:
            if b.name not in wide.columns:
                wide[b.name] = 0
    long = wide.stack().rename("mentions").reset_index()
    long["share"] = long["mentions"] / long.groupby("period")["mentions"].transform("sum")
    return long.sort_values(["period", "mentions"], ascending=[True, False], ignore_index=True)[cols]
