"""Detection of personal data in free text: e-mail, ID-card, phone and bank-card numbers, street addresses.

Used by ``hudong.ingest.privacy.redact_text``. Each kind has a Python pattern (exact, with digit
boundaries) and an optional acceptance check on the match (ID check digit, Luhn); the module also has one
RE2 pattern (``CANDIDATE_RE2``) that pyarrow evaluates over a whole column to find the few rows that may
contain PII, so only those rows reach Python.

Kinds are tried in order on the original text; a later kind never matches inside an earlier kind's match
(e-mail before numbers: digits of an address are not a phone; ID cards before phones and bank cards: an
18-digit ID contains runs that look like both). Measured precision/recall on a generated set embedded in real
posts: ``scripts/eval_pii.py`` (docs/text.md).

Rules per kind (what a match must look like):
- ``email``: local part of ASCII/Latin letters, digits and ``._%+-`` (any letters, CJK included, after a space or
  a colon; else at most 4 characters, so a CJK name glued to the text before it is covered), ``@``, dot-separated labels (ASCII or CJK), ASCII TLD or a CJK TLD (``.中国``, ``.公司``…).
- ``id_card``: 18-character PRC resident ID (GB 11643-1999): region, valid-looking birth date, sequence and an
  ISO 7064 MOD 11-2 check character that must be right. 15-digit (pre-1999) numbers are not detected.
- ``phone``: CN mobile (``1[3-9]`` + 9 digits, optional +86/0086/86, 3-4-4 groups by space or dash); CN landline
  (``0`` + 2–3-digit area code, optionally in brackets or after +86, 7–8 digits); international ``+CC …``;
  North-American ``(415) 555-2671`` / ``415-555-2671`` / ``415.555.2671``; UK national ``020 7946 0958``,
  ``07700 900123``.
- ``bank_card``: 13–19 digits (plain or in groups of 4 split by spaces/dashes) with a valid Luhn check digit; an
  unseparated number must also start with a UnionPay ``62`` prefix or follow a card word (卡/card/账号/Visa…)
  within 12 characters — plain Luhn-valid 16-digit runs are too common (post ids, order numbers) otherwise.
- ``address`` (heuristic): Chinese ``[province][city][district]`` + road name + ``路/街/道/巷/弄/胡同`` + number +
  ``号`` (+ building/unit/room); English house number + capitalised street name + a street-type word
  (Street, St, Ave, Road, …) + optional unit, city, US state + ZIP or UK postcode.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Weights and check characters of GB 11643-1999 (ISO 7064 MOD 11-2) for 18-digit resident ID numbers.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_ASCII_BEFORE = r"(?<![A-Za-z0-9+])"  # digits of a match may not continue a word, number or +CC (CJK text may)
_ASCII_AFTER = r"(?![A-Za-z0-9])"
_CJK = "\u4e00-\u9fff"
_CJK_TLDS = "中国|中國|公司|网络|網絡|在线|香港|台湾|台灣|新加坡|手机|商城|集团|网址|网站|游戏|企业|购物|信息|移动|商店"

EMAIL = re.compile(
    r"(?:[A-Za-z0-9._%+\-\u00c0-\u024f]+|(?:(?<=[\s:：,，;；(（<【])|^)[\w.%+\-]+|[\w.%+\-]{1,4})"
    rf"@(?:[A-Za-z0-9\-{_CJK}]+\.)+(?:[A-Za-z]{{2,}}(?![A-Za-z])|(?:{_CJK_TLDS}))"
)

# 6-digit region, birth date 18xx/19xx/20xx + month + day, 3-digit sequence, check digit or X.
ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)

# Chinese mobile: optional +86/0086/86 (or "(+86)"), then 1[3-9] and 9 digits, optionally split 3-4-4.
PHONE_CN = re.compile(
    _ASCII_BEFORE + r"(?:(?:\(\+?86\)|(?:\+|00)?86)[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}" + _ASCII_AFTER
)
# Chinese landline: 0 + area code (2–3 digits) + 7–8 digit number; "(010)", "010-", "0755 ", "+86 10 ".
PHONE_CN_LANDLINE = re.compile(
    _ASCII_BEFORE
    + r"(?:(?:\+|00)86[\s\-]?(?:\(0?\d{2,3}\)|[1-9]\d{1,2})|\(0[1-9]\d{1,2}\)|0[1-9]\d{1,2})[\s\-]?[2-9]\d{2,3}[\s\-]?\d{4}"
    + _ASCII_AFTER
)
# International (+CC …) and North-American formats: +1 415 555 2671, (415) 555-2671, 415-555-2671, 415.555.2671.
PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s\-.]?(?:\(\d{1,4}\)[\s\-.]?)?\d{1,4}(?:[\s\-.]?\d{2,4}){2,4}"
    r"|\(\d{3}\)[\s\-.]?\d{3}[\s\-.]\d{4}"
    r"|\d{3}[\-.]\d{3}[\-.]\d{4})(?!\d)"
)
# UK national numbers: 020 7946 0958 (London-style 3-4-4), 0161 496 0000 (4-3-4), 07700 900123 (5-6).
PHONE_UK = re.compile(_ASCII_BEFORE + r"0(?:\d{2}\s\d{4}\s\d{4}|\d{3}\s\d{3}\s\d{4}|\d{4}\s?\d{6})" + _ASCII_AFTER)

BANK_CARD = re.compile(_ASCII_BEFORE + r"(?:\d{4}(?:[\s\-]\d{4}){3}(?:[\s\-]?\d{1,3})?|\d{13,19})" + _ASCII_AFTER)
_CARD_WORDS = re.compile(
    r"(?i)(?:卡|card|账号|帐号|账户|户名|visa|master|银联|借记|信用|储蓄|收款|转账|汇款|account|acct)"
)

_ZH_ADDRESS = re.compile(
    rf"(?:[{_CJK}]{{2,7}}(?:省|自治区))?(?:[{_CJK}]{{2,7}}(?:市|州|盟))?(?:[{_CJK}]{{1,7}}(?:区|县|旗))?"
    rf"(?:[{_CJK}]{{1,8}}(?:镇|乡|街道))?[{_CJK}0-9A-Za-z]{{1,8}}(?:大道|大街|路|街|道|巷|弄|胡同|里)"
    rf"[0-9]{{1,5}}(?:-[0-9]{{1,4}})?[号號](?:院)?(?:[0-9A-Za-z]{{1,4}}(?:号楼|栋|幢|座|楼))?"
    rf"(?:[0-9]{{1,2}}单元)?(?:[0-9]{{1,5}}(?:室|房|号房))?"
)
_STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Parkway|Pkwy|"
    "Terrace|Square|Sq|Highway|Hwy|Crescent|Close|Gardens|Row|Mews"
)
_EN_ADDRESS = re.compile(
    r"(?<![A-Za-z0-9])\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\.?\s+|\d{1,3}(?:st|nd|rd|th)\s+){1,4}"
    rf"(?:{_STREET_TYPES})\b\.?"
    r"(?:,?\s+(?:Apt|Suite|Unit|Flat|#)\.?\s*\w{1,5})?"
    r"(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2})?"
    r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?|,?\s*[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})?"
)

# RE2 (no look-around): rows matching this may contain PII; everything else is skipped without Python.
CANDIDATE_RE2 = (
    r"@[^\s@]+\.|\d{3}[\s\-.]?\d{3,4}[\s\-.]?\d{4}|\+\d|\(\d{3}\)|\d{4}[\s\-]?\d{6}|\d{17}[\dXx]|\d{13}"
    r"|\d[号號]|\d\s+\w+\s+(?:\w+\s+){0,3}(?:" + _STREET_TYPES + r")\b"
)


def id_check_digit_valid(number: str) -> bool:
    """True when the 18th character is the GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(number: str) -> bool:
    """Luhn (ISO/IEC 7812-1) check over the digits of ``number`` (separators ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 2:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _bank_card_ok(m: re.Match[str]) -> bool:
    s = m.group(0)
    digits = re.sub(r"\D", "", s)
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return False
    if len(digits) != len(s):  # written in groups: the grouping itself says "card number"
        return True
    before = m.string[max(0, m.start() - 12) : m.start()]
    return digits.startswith("62") or bool(_CARD_WORDS.search(before))


@dataclass(frozen=True)
class PiiKind:
    name: str  # key in redaction counts
    token: str  # replacement text
    pattern: re.Pattern[str]
    accept: Callable[[re.Match[str]], bool] | None = None  # extra check on a match (e.g. the ID check digit)
    hint: re.Pattern[str] | None = None  # cheap necessary condition: texts without it skip the full pattern


@dataclass(frozen=True)
class Found:
    kind: str
    start: int
    end: int
    text: str


# Tried in this order; later kinds never overlap earlier matches.
_DIGITS3 = re.compile(r"\d{3}")
KINDS: tuple[PiiKind, ...] = (
    PiiKind("email", "[EMAIL]", EMAIL, hint=re.compile("@")),
    PiiKind("id_card", "[ID]", ID_CARD, lambda m: id_check_digit_valid(m.group(0)), re.compile(r"\d{17}")),
    PiiKind("bank_card", "[CARD]", BANK_CARD, _bank_card_ok, re.compile(r"\d{4}")),
    PiiKind("phone", "[PHONE]", PHONE_CN, hint=_DIGITS3),
    PiiKind("phone", "[PHONE]", PHONE_CN_LANDLINE, hint=_DIGITS3),
    PiiKind("phone", "[PHONE]", PHONE_UK, hint=_DIGITS3),
    PiiKind("phone", "[PHONE]", PHONE_INTL, hint=_DIGITS3),
    PiiKind("address", "[ADDRESS]", _ZH_ADDRESS, hint=re.compile(r"\d[号號]")),
    PiiKind("address", "[ADDRESS]", _EN_ADDRESS, hint=re.compile(rf"\b(?:{_STREET_TYPES})\b")),
)
KIND_NAMES: tuple[str, ...] = tuple(dict.fromkeys(k.name for k in KINDS))


def detect(text: str) -> list[Found]:
    """Every PII occurrence in ``text`` (positions in the original text), sorted by start."""
    found: list[Found] = []
    masked = text
    for kind in KINDS:
        if kind.hint is not None and not kind.hint.search(masked):
            continue
        hits = [m for m in kind.pattern.finditer(masked) if kind.accept is None or kind.accept(m)]
        for m in hits:
            found.append(Found(kind.name, m.start(), m.end(), text[m.start() : m.end()]))
        if hits:  # blank the matches out (same length, so positions hold) for the kinds that follow
            parts, last = [], 0
            for m in hits:
                parts += [masked[last : m.start()], "\x00" * (m.end() - m.start())]
                last = m.end()
            masked = "".join(parts) + masked[last:]
    return sorted(found, key=lambda f: f.start)


def redact(text: str, counts: dict[str, int] | None = None) -> str:
    """Replace every PII match in ``text`` by its token; add the number of replacements per kind to ``counts``."""
    found = detect(text)
    if not found:
        return text
    tokens = {k.name: k.token for k in KINDS}
    parts, last = [], 0
    for f in found:
        parts += [text[last : f.start], tokens[f.kind]]
        last = f.end
        if counts is not None:
            counts[f.kind] = counts.get(f.kind, 0) + 1
    return "".join(parts) + text[last:]


def find(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for each PII occurrence, in text order (for inspection and tests)."""
    return [(f.kind, f.text) for f in detect(text)]
