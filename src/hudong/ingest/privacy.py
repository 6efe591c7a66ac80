"""Privacy at ingest: keyed pseudonyms for user ids and PII redaction of free text (erasure: ``erasure.forget``).

Pseudonyms are HMAC-SHA256 over ``platform \\x1f raw_id`` with the workspace's secret key, shortened to
``u_`` + 16 hex characters: deterministic inside one workspace (re-imports and joins work), meaningless
outside it, and not reversible by hashing guessed ids without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pyarrow as pa
import pyarrow.compute as pc

from hudong.text import pii

PSEUDONYM_RE = re.compile(r"^u_[0-9a-f]{16}$")


def pseudonymise(key: bytes, platform: str, raw_id: str) -> str:
    """The workspace pseudonym of one platform user id."""
    digest = hmac.new(key, f"{platform}\x1f{raw_id}".encode(), hashlib.sha256).hexdigest()
    return "u_" + digest[:16]


def digest_array(key: bytes, values: pa.Array) -> pa.Array:
    """A keyed digest (``k_`` + 20 hex) of each value; nulls stay null. For ids a mapping builds from personal
    fields (a commenter's name and the time): the id stays stable across imports without holding the name."""
    values = pc.cast(values, pa.string()) if values.type != pa.string() else values
    encoded = (values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values).dictionary_encode()
    out = [None if u is None else "k_" + hmac.digest(key, b"id\x1f" + u.encode(), "sha256")[:10].hex()
           for u in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(out, pa.string()), encoded.indices)


def pseudonymise_array(
    key: bytes,
    platform: pa.Array | str,
    ids: pa.Array,
    keep: set[str] | frozenset[str] = frozenset(),
) -> pa.Array:
    """Vectorised ``pseudonymise``: hashes each distinct (platform, id) once; nulls stay null.

    ``keep`` holds ``platform + "\\x1f" + id`` pairs left as they are: the watched organisation accounts.
    """
    ids = pc.cast(ids, pa.string()) if ids.type != pa.string() else ids
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if isinstance(platform, str):
        combined = ids
        prefix = f"{platform}\x1f".encode()
    else:
        platform = platform.combine_chunks() if isinstance(platform, pa.ChunkedArray) else platform
        combined = pc.binary_join_element_wise(platform, ids, "\x1f")
        prefix = b""
    encoded = combined.dictionary_encode()
    uniques = encoded.dictionary
    digest = hmac.digest
    hashed = pa.array(
        ["u_" + digest(key, prefix + u.encode(), "sha256")[:8].hex() for u in uniques.to_pylist()], pa.string()
    )
    if keep:
        if prefix:  # one platform: the dictionary holds the raw ids
            full, raw = pc.binary_join_element_wise(prefix.decode(), uniques, ""), uniques
        else:  # "platform\x1fid": the raw id is the part after the separator
            full, raw = uniques, pc.struct_field(pc.extract_regex(uniques, "^[^\x1f]*\x1f(?P<id>.*)$"), [0])
        kept = pc.is_in(full, value_set=pa.array(sorted(keep), pa.string()))
        hashed = pc.if_else(kept, raw, hashed)
    return pc.take(hashed, encoded.indices)


def redact_text(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, dict[str, int]]:
    """Replace PII (``hudong.text.pii.KINDS``: e-mail, ID-card, bank-card and phone numbers, street addresses) by
    tokens; return (array, counts per kind: ``email``, ``id_card``, ``bank_card``, ``phone``, ``address``).

    A pyarrow RE2 scan finds candidate rows; only those are redacted in Python (exact patterns, ID check digit).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    counts: dict[str, int] = {}
    if len(values) == 0:
        return values, counts
    mask = pc.fill_null(pc.match_substring_regex(values, pii.CANDIDATE_RE2), False)
    if not pc.any(mask).as_py():
        return values, counts
    candidates = values.filter(mask).to_pylist()
    redacted = [pii.redact(t, counts) for t in candidates]
    if redacted == candidates:
        return values, counts
    return pc.replace_with_mask(values, mask, pa.array(redacted, values.type)), counts
