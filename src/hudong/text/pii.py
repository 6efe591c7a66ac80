"""Detection patterns for personal data in free text (phone numbers, e-mail addresses, ID-card numbers).

Used by ``hudong.ingest.privacy.redact_text``. Each kind has a Python pattern (exact, with digit
boundaries) and the file has one RE2 pattern (``CANDIDATE_RE2``) that pyarrow can evaluate over a
whole column to find the few rows that may contain PII, so only those rows reach Python.

Order matters: ID-card numbers are replaced before phone numbers (an 18-digit ID contains runs that
look like a phone number) and e-mail addresses before both (digits inside an address are not a phone).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Weights and check characters of GB 11643-1999 (18-digit resident ID numbers).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")

# 6-digit region, birth date 18xx/19xx/20xx + month + day, 3-digit sequence, check digit or X.
ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)

# Chinese mobile: optional +86/0086/86, then 1[3-9] and 9 digits, optionally split 3-4-4 by space or dash.
PHONE_CN = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?!\d)")

# International (+CC …) and North-American formats: +1 415 555 2671, (415) 555-2671, 415-555-2671, 415.555.2671.
PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s\-.]?(?:\(\d{1,4}\)[\s\-.]?)?\d{1,4}(?:[\s\-.]?\d{2,4}){2,4}"
    r"|\(\d{3}\)[\s\-.]?\d{3}[\s\-.]\d{4}"
    r"|\d{3}[\-.]\d{3}[\-.]\d{4})(?!\d)"
)

# RE2 (no look-around): rows matching this may contain PII; everything else is skipped without Python.
CANDIDATE_RE2 = r"@[A-Za-z0-9\-]+\.|\d{3}[\s\-.]?\d{3,4}[\s\-.]?\d{4}|\+\d|\(\d{3}\)|\d{17}[\dXx]"


def id_check_digit_valid(number: str) -> bool:
    """True when the 18th character is the GB 11643 check character of the first 17 digits."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


@dataclass(frozen=True)
class PiiKind:
    name: str  # key in redaction counts
    token: str  # replacement text
    pattern: re.Pattern[str]
    accept: Callable[[str], bool] | None = None  # extra check on a match (e.g. the ID check digit)


# Applied in this order.
KINDS: tuple[PiiKind, ...] = (
    PiiKind("email", "[EMAIL]", EMAIL),
    PiiKind("id_card", "[ID]", ID_CARD, id_check_digit_valid),
    PiiKind("phone", "[PHONE]", PHONE_CN),
    PiiKind("phone", "[PHONE]", PHONE_INTL),
)


def redact(text: str, counts: dict[str, int] | None = None) -> str:
    """Replace every PII match in ``text`` by its token; add the number of replacements per kind to ``counts``."""
    for kind in KINDS:

        def sub(m: re.Match[str], kind: PiiKind = kind) -> str:
            if kind.accept is not None and not kind.accept(m.group(0)):
                return m.group(0)
            if counts is not None:
                counts[kind.name] = counts.get(kind.name, 0) + 1
            return kind.token

        text = kind.pattern.sub(sub, text)
    return text


def find(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for each PII occurrence, in redaction order (for inspection and tests)."""
    found: list[tuple[str, str]] = []
    for kind in KINDS:
        for m in kind.pattern.finditer(text):
            if kind.accept is None or kind.accept(m.group(0)):
                found.append((kind.name, m.group(0)))
        text = kind.pattern.sub(
            lambda m, k=kind: k.token if k.accept is None or k.accept(m.group(0)) else m.group(0), text
        )
    return found
