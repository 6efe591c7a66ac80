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
import pyarrow.compute as pc

from hudong.errors import HudongError
from hudong.graph import forest_kernels as FK
from hudong.graph import id_kernels as IK
from hudong.graph.forest import Forest, build_forest
from hudong.graph.ids import arrow_strings, factorize_by_group, factorize_ids, group_rows, one_array

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


def twitter1516_forest(
    edges: pd.DataFrame, orphans: str = "drop", nodes: bool = True
) -> tuple[Forest, pd.DataFrame | None]:
    """The user-level cascade trees of Twitter15/16 edge lines, by the reference rules: node = unique user per
    tree, root = child of the ROOT line, self-loops dropped, the first listed parent wins, nodes kept when
    reachable from the root (``orphans="drop"``; ``"attach"`` hangs them from the root instead). A user's time
    is the smallest delay at which they appear (as a child; as a parent if never a child).

    Returns the forest and (unless ``nodes=False``: metrics only) a per-node frame (tree_id as a categorical,
    uid) aligned with the forest's node numbers: nodes are
    numbered in order of first mention (line by line, parent before child), so a tree's nodes are consecutive
    when its lines are. The uid strings are hashed per tree where they lie in the Arrow buffers (compiled,
    ``hudong.graph.ids.factorize_by_group``)."""
    m = len(edges)
    tree_codes, tree_first = factorize_ids(edges["tree_id"], runs=True)
    pu, cu = edges["parent_uid"], edges["child_uid"]
    ap = _arrow_or_none(pu)
    is_root_line = (pc.equal(ap, "ROOT").to_numpy(zero_copy_only=False) if ap is not None
                    else (pu == "ROOT").to_numpy(dtype=bool))
    pnode, cnode, first = _pair_nodes(tree_codes, pu, cu, is_root_line)
    n = len(first)
    node_cascade = tree_codes[first // 2]
    node_time = FK.first_seen_times(n, cnode, edges["child_delay"].to_numpy(dtype=np.float64), pnode,
                                    edges["parent_delay"].to_numpy(dtype=np.float64))
    roots = np.empty(len(tree_first), dtype=np.int64)
    roots[tree_codes[is_root_line]] = cnode[is_root_line]
    e = ~is_root_line
    forest = build_forest(node_cascade, node_time, roots, cnode[e], pnode[e], None, orphans=orphans)
    if not nodes:
        return forest, None
    # first mention of each node: parent column (even) or child column (odd) of its line
    cols = [a if a is not None else pa.array(v, pa.large_string())
            for a, v in ((_arrow_or_none(pu), pu), (_arrow_or_none(cu), cu))]
    uid = pa.chunked_array(cols, type=cols[0].type).take(first // 2 + (first % 2) * m)
    tree_id = pd.Categorical.from_codes(node_cascade, categories=pd.Index(edges["tree_id"].array.take(tree_first)))
    nodes = pd.DataFrame({"tree_id": tree_id, "uid": pd.Series(uid.to_pandas(types_mapper=pd.ArrowDtype))})
    return forest, nodes


def repost_forest(
    cascade, post, parent_post, user, source_user, time, orphans: str = "attach"
) -> tuple[Forest, np.ndarray]:
    """The user-level cascade trees of a repost table — one row per repost, as Weibo's CED or a platform export
    gives them: ``cascade`` (the source post's id), ``post`` (the repost's id), ``parent_post`` (the id of the
    repost it reposts; empty or null = the source post itself), ``user``, ``time`` (numbers, e.g. minutes);
    ``source_user[g]`` = the source post's author of cascade g, cascades numbered in order of first appearance
    (or a function of those cascades' ids returning them, e.g. parsing the id).

    Node = (cascade, user). A row's parent node is the author of the parent post — the first row in the cascade
    with that post id (a repeated post id keeps its first row) — or the root for an empty parent; a parent post
    not in the cascade is a missing parent (``build_forest`` hangs it from the root, ``orphans="attach"``, and
    counts it), as are cycles; the first listed row wins among a user's several parents. A user's time is their
    first repost; the root's the cascade's first repost. Nodes are numbered cascade by cascade in order of the
    user's first row (the source author after them when they never repost).

    Returns the forest and ``node_first``: the row of each node's first repost (-1 for a source author who never
    reposts) — the node's user is ``user[node_first]`` or ``source_user[cascade]``. Strings are hashed where they
    lie in Arrow buffers, two cache-sized tables per cascade (``id_kernels.repost_nodes``)."""
    def buffers(values, name: str, nulls_are_empty: bool = False):
        arr = arrow_strings(values)
        if arr is None:  # NumPy/object values (numbers as their decimal strings; None/NaN missing)
            arr = arrow_strings(pd.Series(np.asarray(values, dtype=object)).astype("string[pyarrow]"))
        arr = one_array(arr)
        if arr.null_count:
            if not nulls_are_empty:
                raise HudongError(f"repost table: {arr.null_count} missing values in {name}")
            arr = pc.fill_null(arr, "")
        return IK.arrow_buffers(arr)

    try:
        order, bounds, first = group_rows(cascade)
    except ValueError:
        raise HudongError("repost table: missing values in cascade") from None
    m, n_casc = int(bounds[-1]), len(bounds) - 1
    if callable(source_user):
        ids = cascade.take(first) if isinstance(cascade, (pa.Array, pa.ChunkedArray)) else pd.Series(cascade).take(first)
        source_user = source_user(ids.reset_index(drop=True) if isinstance(ids, pd.Series) else ids)
    for name, col in (("post", post), ("parent_post", parent_post), ("user", user), ("time", time)):
        if len(col) != m:
            raise HudongError(f"repost table: {m} rows in cascade but {len(col)} in {name}")
    if len(source_user) != n_casc:
        raise HudongError(f"repost table: {n_casc} cascades but {len(source_user)} source users")
    node_cascade, node_time, node_first, roots, child, parent = IK.repost_nodes(
        np.arange(m, dtype=np.int64) if order is None else order, bounds.astype(np.int64),
        *buffers(post, "post"), *buffers(parent_post, "parent_post", nulls_are_empty=True),
        *buffers(user, "user"), *buffers(source_user, "source_user"),
        np.asarray(time, dtype=np.float64),
    )
    forest = build_forest(node_cascade, node_time, roots, child, parent, None, orphans=orphans)
    return forest, node_first


def _arrow_or_none(values: pd.Series) -> pa.Array | None:
    """The Arrow strings behind a column (one array), or None for NumPy object columns and nulls."""
    arr = arrow_strings(values)
    if arr is None or arr.null_count:
        return None
    return one_array(arr)


def _pair_nodes(tree: np.ndarray, pu: pd.Series, cu: pd.Series, is_root_line: np.ndarray):
    """Node numbers of the (tree, user) pairs of every line's parent and child, numbered in order of first
    mention (line by line, parent before child; the 'ROOT' pseudo-parent is no node): (pnode, cnode, first)
    with pnode = -1 on root lines and first[v] = 2·line + (1 if child) of node v's first mention. The uids are
    hashed where they lie (both columns read in mention order: ``factorize_by_group``'s take and more)."""
    m = len(tree)
    ap, ac = _arrow_or_none(pu), _arrow_or_none(cu)
    repeat = None
    if m and ap is not None and ac is not None and not (np.diff(tree) < 0).any():
        # trees' lines consecutive (as in the files): one pass, parents repeating the line before's not hashed
        take, pos, bounds, repeat = IK.line_mentions(tree, is_root_line, *IK.arrow_buffers(ap))
        codes, first = factorize_by_group(ap, None, take=take, more=ac, bounds=bounds)
    else:
        mention = np.empty(2 * m, dtype=np.int64)  # 2·line → the parent uid, 2·line + 1 → the child uid
        mention[0::2] = np.arange(m)
        mention[1::2] = m + np.arange(m)
        hashed = np.ones(2 * m, dtype=bool)
        hashed[0::2] = ~is_root_line
        pos = np.flatnonzero(hashed)
        codes, first = factorize_by_group(pu, tree[pos // 2], take=mention[pos], more=cu)
    pnode, cnode = IK.mention_nodes(m, pos, codes, repeat if repeat is not None else np.zeros(m, dtype=bool))
    return pnode, cnode, pos[first]
