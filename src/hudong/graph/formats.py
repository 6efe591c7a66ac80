"""Readers for published cascade formats.

Twitter15/16 (Ma, Gao & Wong, ACL 2017, "rumdetect2017" ``tree/<source_tweet_id>.txt``): one edge per line,
``['parent_uid', 'parent_tweet_id', 'parent_delay']->['child_uid', 'child_tweet_id', 'child_delay']``, the first
line ``['ROOT', 'ROOT', '0.0']->[root]``; delay = minutes since the source tweet.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from hudong.errors import HudongError
from hudong.graph.forest import Forest, build_forest
from hudong.graph.ids import arrow_strings, decimal_ints, factorize_ids, first_positions

_EDGE = re.compile(r"\['([^']*)', '([^']*)', '([^']*)'\]->\['([^']*)', '([^']*)', '([^']*)'\]")
EDGE_COLUMNS = ["parent_uid", "parent_tweet_id", "parent_delay", "child_uid", "child_tweet_id", "child_delay"]


def _parse(text: str, name: str) -> list[tuple[str, ...]]:
    edges = _EDGE.findall(text)
    lines = sum(1 for line in text.splitlines() if line.strip())
    if len(edges) != lines:
        bad = next(i for i, line in enumerate(text.splitlines(), 1) if line.strip() and not _EDGE.fullmatch(line.strip()))
        raise HudongError(f"{name}:{bad}: not a Twitter15/16 tree line ([uid, tweet_id, delay]->[uid, tweet_id, delay])")
    if sum(1 for e in edges if e[0] == "ROOT") != 1:
        raise HudongError(f"{name}: expected exactly one ['ROOT', 'ROOT', …] line")
    return edges


def _frame(trees: Iterable[tuple[str, str, list[tuple[str, ...]]]]) -> pd.DataFrame:
    sets: list[str] = []
    ids: list[str] = []
    counts: list[int] = []
    rows: list[tuple[str, ...]] = []
    for subset, tree_id, edges in trees:
        sets.append(subset)
        ids.append(tree_id)
        counts.append(len(edges))
        rows.extend(edges)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    df = pd.DataFrame({name: np.asarray(col, dtype=object) for name, col in zip(EDGE_COLUMNS, cols, strict=True)})
    for c in ("parent_delay", "child_delay"):
        df[c] = pd.to_numeric(df[c], errors="coerce")  # ROOT's delay stays; 'ROOT' parent delay is '0.0'
    df.insert(0, "tree_id", np.repeat(np.asarray(ids, dtype=object), counts))
    df.insert(0, "subset", np.repeat(np.asarray(sets, dtype=object), counts))
    df["line"] = np.concatenate([np.arange(1, c + 1) for c in counts]) if counts else np.empty(0, dtype=np.int64)
    return df


def read_twitter1516_tree(path: str | Path) -> pd.DataFrame:
    """One tree file → its edge lines as a DataFrame: subset (folder above ``tree/``), tree_id (the file stem), parent/child uid, tweet id and
    delay (minutes), line (1-based). Raises HudongError on a malformed line or a missing/doubled ROOT line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise HudongError(f"cannot read {p}: {e.strerror or e}") from None
    subset = p.parent.parent.name if p.parent.name == "tree" else ""
    return _frame([(subset, p.stem, _parse(text, str(p)))])


def _iter_trees(path: Path, subset: str | None) -> Iterator[tuple[str, str, list[tuple[str, ...]]]]:
    if path.is_dir():
        files = sorted(path.rglob("*.txt"))
        for f in files:
            if f.parent.name == "tree" and (subset is None or f.parent.parent.name == subset):
                yield f.parent.parent.name, f.stem, _parse(f.read_text(encoding="utf-8"), str(f))
        return
    found: list[tuple[str, list[tuple[str, ...]]]] = []
    with tarfile.open(path, "r:*") as tar:
        for m in tar:  # stream order: a .tar.gz cannot seek back cheaply
            parts = Path(m.name).parts
            if m.isfile() and m.name.endswith(".txt") and len(parts) >= 2 and parts[-2] == "tree" and (
                subset is None or subset in parts
            ):
                fh = tar.extractfile(m)
                assert fh is not None
                found.append((m.name, _parse(fh.read().decode("utf-8"), f"{path}:{m.name}")))
    for name, edges in sorted(found, key=lambda x: x[0]):
        parts = Path(name).parts
        yield (parts[-3] if len(parts) >= 3 else ""), Path(name).stem, edges


def read_twitter1516_trees(path: str | Path, subset: str | None = None) -> pd.DataFrame:
    """Every ``tree/*.txt`` under a folder or inside ``trees.tar.gz`` (``subset="twitter15"`` to pick one set),
    as one edge DataFrame (see ``read_twitter1516_tree``), trees in file-name order."""
    p = Path(path)
    if not p.exists():
        raise HudongError(f"{p} does not exist")
    df = _frame(_iter_trees(p, subset))
    if df.empty:
        raise HudongError(f"no Twitter15/16 tree files (…/tree/*.txt) found in {p}")
    return df


def twitter1516_forest(edges: pd.DataFrame, orphans: str = "drop") -> tuple[Forest, pd.DataFrame]:
    """The user-level cascade trees of Twitter15/16 edge lines, by the reference rules: node = unique user per
    tree, root = child of the ROOT line, self-loops dropped, the first listed parent wins, nodes kept when
    reachable from the root (``orphans="drop"``; ``"attach"`` hangs them from the root instead). A user's time
    is the smallest delay at which they appear (as a child; as a parent if never a child).

    Returns the forest and a per-node frame (tree_id, uid) aligned with the forest's node numbers: nodes are
    numbered in order of first mention (line by line, parent before child), so a tree's nodes are consecutive
    when its lines are. Plain decimal uids (Twitter's) are hashed as integers, never as strings (``hudong.graph.
    ids``); any other uid makes both columns hashed as strings — the same forest either way."""
    m = len(edges)
    tree_codes, tree_first = factorize_ids(edges["tree_id"], runs=True)
    pu, cu = edges["parent_uid"], edges["child_uid"]
    is_root_line = (pu == "ROOT").to_numpy(dtype=bool)
    ukey_p, ukey_c = _user_keys(pu, cu, is_root_line)
    pnode, cnode, first = _pair_nodes(tree_codes, ukey_p, ukey_c, is_root_line)
    n = len(first)
    node_cascade = tree_codes[first // 2]
    t_child = np.full(n, np.inf)
    np.minimum.at(t_child, cnode, edges["child_delay"].to_numpy(dtype=np.float64))
    t_par = np.full(n, np.inf)
    ok = pnode >= 0
    np.minimum.at(t_par, pnode[ok], edges["parent_delay"].to_numpy(dtype=np.float64)[ok])
    node_time = np.where(np.isfinite(t_child), t_child, t_par)
    roots = np.empty(len(tree_first), dtype=np.int64)
    roots[tree_codes[is_root_line]] = cnode[is_root_line]
    e = ~is_root_line
    rank = np.arange(m)
    forest = build_forest(node_cascade, node_time, roots, cnode[e], pnode[e], rank[e], orphans=orphans)
    row, is_child = first // 2, (first % 2).astype(bool)
    uid = pd.concat([pu, cu], ignore_index=True).array.take(np.where(is_child, m, 0) + row)
    tree_id = edges["tree_id"].array.take(tree_first).take(node_cascade)
    nodes = pd.DataFrame({"tree_id": tree_id, "uid": uid})
    return forest, nodes


def _user_keys(pu: pd.Series, cu: pd.Series, is_root_line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One int64 key per parent and child uid, equal exactly when the strings are: the uids themselves when
    every uid (the 'ROOT' pseudo-parent aside) is a plain decimal (Twitter user ids, no hashing of strings), else
    codes of one ``pd.factorize`` over both columns. A root line's parent key is meaningless (-1 or its code)."""
    ac, ap = arrow_strings(cu), arrow_strings(pu)
    if ac is not None and ap is not None:
        kc = decimal_ints(ac)
        kp_rest = decimal_ints(ap.filter(pa.array(~is_root_line))) if kc is not None else None
        if kp_rest is not None:
            kp = np.full(len(pu), -1, dtype=np.int64)
            kp[~is_root_line] = kp_rest
            return kp, kc
    codes, _ = factorize_ids(pd.concat([pu, cu], ignore_index=True))
    return codes[: len(pu)], codes[len(pu) :]


_MIX = np.uint64(0xBF58476D1CE4E5B9)  # odd: user key → key·_MIX is one-to-one on 64 bits
_CHUNK = 1 << 15  # hash tables of ~32k entries stay in cache: ~2× faster than one table of a million


def _factorize_by_group(keys: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``pd.factorize(keys)[0]`` when equal keys never lie in different groups and ``group`` is nondecreasing:
    factorized in cache-sized slices cut at group boundaries, each numbered on from the last."""
    n = len(keys)
    cuts = np.unique(np.searchsorted(group, group[np.arange(0, n, _CHUNK)]))
    cuts = np.append(cuts, n)
    out = np.empty(n, dtype=np.int64)
    off = 0
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        codes, uniq = pd.factorize(keys[a:b])
        out[a:b] = codes + off
        off += len(uniq)
    return out


def _pair_nodes(tree: np.ndarray, kp: np.ndarray, kc: np.ndarray, is_root_line: np.ndarray):
    """Node numbers of the (tree, user) pairs of every line's parent and child, numbered in order of first
    mention (line by line, parent before child; the 'ROOT' pseudo-parent is no node): (pnode, cnode, first)
    with pnode = -1 on root lines and first[v] = 2·line + (1 if child) of node v's first mention.

    One hash pass over 64-bit mixes key·M ⊕ tree (one-to-one within a tree); a parent repeating the line
    before's is not hashed again; when each tree's lines are consecutive, the hashing goes a slice of trees at a
    time. Then a check that each number stands for one tree (so for one pair); on a mix collision (never seen)
    the pairs are numbered exactly via tree·U + user code instead. Same numbers either way."""
    m = len(tree)
    with np.errstate(over="ignore"):
        hp = (kp.view(np.uint64) * _MIX) ^ tree.astype(np.uint64)
        hc = (kc.view(np.uint64) * _MIX) ^ tree.astype(np.uint64)
    new_p = ~is_root_line
    new_p[1:] &= (hp[1:] != hp[:-1]) | is_root_line[:-1]  # the previous line's parent again: same node
    seq = np.empty(2 * m, dtype=np.uint64)
    seq[0::2], seq[1::2] = hp, hc
    hashed = np.ones(2 * m, dtype=bool)
    hashed[0::2] = new_p
    pos = np.flatnonzero(hashed)
    if m and (np.diff(tree) >= 0).all():  # first-appearance tree codes: nondecreasing = trees consecutive
        codes = _factorize_by_group(seq[pos], tree[pos // 2])
    else:
        codes = pd.factorize(seq[pos])[0]
    first = pos[first_positions(codes)]
    node = np.full(2 * m, -1, dtype=np.int64)
    node[pos] = codes
    # repeated parents: the node of the last hashed parent above (within a run of the same parent)
    fill = np.where(new_p, np.arange(m), 0)
    np.maximum.accumulate(fill, out=fill)
    pnode = np.where(is_root_line, -1, node[0::2][fill])
    cnode = node[1::2]
    # equal mixes in one tree are equal keys: every mention's node must be of the mention's tree
    node_tree = tree[first // 2]
    ok_p = ~is_root_line
    if (node_tree[cnode] != tree).any() or (node_tree[pnode[ok_p]] != tree[ok_p]).any():
        return _pair_nodes_exact(tree, kp, kc, is_root_line)
    return pnode, cnode, first


def _pair_nodes_exact(tree: np.ndarray, kp: np.ndarray, kc: np.ndarray, is_root_line: np.ndarray):
    """``_pair_nodes`` without mixing: user keys → codes, pair = tree·U + code (one-to-one)."""
    m = len(tree)
    ucodes, _ = pd.factorize(np.concatenate([kp, kc]))
    u = int(ucodes.max()) + 1
    seq = np.empty(2 * m, dtype=np.int64)
    seq[0::2] = tree * u + ucodes[:m]
    seq[1::2] = tree * u + ucodes[m:]
    hashed = np.ones(2 * m, dtype=bool)
    hashed[0::2] = ~is_root_line
    pos = np.flatnonzero(hashed)
    codes = pd.factorize(seq[pos])[0]
    node = np.full(2 * m, -1, dtype=np.int64)
    node[pos] = codes
    return node[0::2], node[1::2], pos[first_positions(codes)]
