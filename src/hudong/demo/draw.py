"""Vectorised drawing helpers: platform-style ids, strings from fragments, weighted choices.

Strings live in numpy object arrays so concatenating fragments is one C-level loop per column.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

HEX = np.array(list("0123456789abcdef"))
OPENID_CHARS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """One generator per stage, so changing one stage leaves the others' draws unchanged."""
    return np.random.default_rng([seed, zlib.crc32(stage.encode())])


def pick(rng: np.random.Generator, options: Sequence[str], n: int, p: Sequence[float] | None = None) -> np.ndarray:
    """n strings drawn from ``options`` (object array)."""
    arr = np.array(list(options), dtype=object)
    if p is None:
        return arr[rng.integers(0, len(arr), size=n)]
    w = np.asarray(p, dtype=float)
    return arr[rng.choice(len(arr), size=n, p=w / w.sum())]


def cat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of object arrays and constant strings."""
    out: np.ndarray | str = ""
    for part in parts:
        out = out + part
    return np.asarray(out, dtype=object)


def to_str(a: np.ndarray) -> np.ndarray:
    return a.astype(str).astype(object)


def sequential_ids(rng: np.random.Generator, n: int, base: int, max_gap: int = 1000) -> np.ndarray:
    """Unique, increasing numeric ids (like snowflake/mid ids); assign them in time order."""
    return base + np.cumsum(rng.integers(1, max_gap, size=n, dtype=np.int64))


def unique_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random integers in [low, high), in random order."""
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        draw = rng.integers(low, high, size=int((n - len(out)) * 1.1) + 16, dtype=np.int64)
        both = np.concatenate([out, draw])
        _, first = np.unique(both, return_index=True)
        out = both[np.sort(first)]
    return out[:n]


def random_strings(rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray) -> np.ndarray:
    chars = alphabet[rng.integers(0, len(alphabet), size=(n, length))]
    return np.ascontiguousarray(chars).view(f"<U{length}").ravel().astype(object)


def hex_ids(rng: np.random.Generator, n: int, prefix: str = "", length: int = 24) -> np.ndarray:
    """Distinct hex ids (xiaohongshu-style 24 hex characters)."""
    body = random_strings(rng, n, length - len(prefix), HEX)
    return cat(prefix, body)


def openids(rng: np.random.Generator, n: int) -> np.ndarray:
    """WeChat-style openids: 'o' + 27 characters."""
    return cat("o", random_strings(rng, n, 27, OPENID_CHARS))


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = pick(rng, ["138", "139", "136", "150", "151", "158", "186", "187", "177", "199"], n)
    return cat(prefix, to_str(rng.integers(10_000_000, 99_999_999, size=n)))


def email_addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    user = pick(rng, ["tea", "lily", "chen", "wang.li", "xiaoyu", "momo", "zhang", "sunny", "amber", "leo"], n)
    host = pick(rng, ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "foxmail.com"], n)
    return cat(user, to_str(rng.integers(1, 9999, size=n)), "@", host)


def weighted_index(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """n indices into ``weights`` drawn proportionally to them."""
    c = np.cumsum(weights, dtype=float)
    return np.minimum(np.searchsorted(c, rng.random(n) * c[-1], side="right"), len(weights) - 1)


def fill(rng: np.random.Generator, templates: Sequence[str], n: int, slots: dict[str, np.ndarray]) -> np.ndarray:
    """n texts: each row picks a template and gets its ``{slot}`` placeholders from ``slots[slot][row]``.

    Loops over templates (a few dozen), never over rows.
    """
    out = np.empty(n, dtype=object)
    choice = rng.integers(0, len(templates), size=n)
    for k, template in enumerate(templates):
        rows = np.flatnonzero(choice == k)
        if not len(rows):
            continue
        pieces = re.split(r"\{(\w+)\}", template)
        parts: list[np.ndarray | str] = [
            slots[piece][rows] if i % 2 else piece for i, piece in enumerate(pieces) if piece or i % 2
        ]
        out[rows] = cat(*parts) if parts else ""
    return out


def hex_of(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width lowercase hex strings of non-negative integers."""
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    digits = (values.astype(np.uint64)[:, None] >> shifts) & np.uint64(15)
    return np.ascontiguousarray(HEX[digits.astype(np.int64)]).view(f"<U{width}").ravel().astype(object)
