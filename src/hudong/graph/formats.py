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

from hudong.errors import HudongError
from hudong.graph.forest import Forest, build_forest

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

    Returns the forest and a per-node frame (tree_id, uid) aligned with the forest's node numbers."""
    tree_codes, tree_ids = pd.factorize(edges["tree_id"], sort=False)
    # One hash pass over both uid columns (Arrow's dictionary_encode for pandas' Arrow-backed strings); converting
    # to a NumPy object array first costs twice as much.
    uid_codes, uid_values = pd.factorize(pd.concat([edges["parent_uid"], edges["child_uid"]], ignore_index=True))
    m = len(edges)
    tree2 = np.concatenate([tree_codes, tree_codes]).astype(np.int64)
    n_uid = len(uid_values)
    key = tree2 * n_uid + uid_codes
    is_root_line = (edges["parent_uid"] == "ROOT").to_numpy()
    valid = np.concatenate([~is_root_line, np.ones(m, dtype=bool)])  # the 'ROOT' pseudo-parent is no node
    uniq, inv = np.unique(key[valid], return_inverse=True)  # rows come tree by tree: the keys are nearly sorted
    node = np.full(2 * m, -1, dtype=np.int64)
    node[valid] = inv
    pnode, cnode = node[:m], node[m:]
    n = len(uniq)
    node_cascade = uniq // n_uid
    t_child = np.full(n, np.inf)
    np.minimum.at(t_child, cnode, edges["child_delay"].to_numpy(dtype=np.float64))
    t_par = np.full(n, np.inf)
    ok = pnode >= 0
    np.minimum.at(t_par, pnode[ok], edges["parent_delay"].to_numpy(dtype=np.float64)[ok])
    node_time = np.where(np.isfinite(t_child), t_child, t_par)
    roots = np.empty(len(tree_ids), dtype=np.int64)
    roots[tree_codes[is_root_line]] = cnode[is_root_line]
    e = ~is_root_line
    rank = np.arange(m)
    forest = build_forest(node_cascade, node_time, roots, cnode[e], pnode[e], rank[e], orphans=orphans)
    nodes = pd.DataFrame({"tree_id": tree_ids.take(node_cascade), "uid": uid_values.take(uniq % n_uid)})
    return forest, nodes
