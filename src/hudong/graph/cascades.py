"""Cascades from posts with ``parent_id``/``root_id`` → one user-level tree per root post (a frame in, the
workspace's posts are read by ``hudong.analyses.reads.cascades``).

A cascade is keyed by (platform, root post). Its nodes are unique users (authors); a user's parent is the author
of the post they reposted/replied to — the earliest such post (by time, then post id) wins. The repair rules
for messy data are those of ``hudong.graph.forest`` (documented in docs/propagation.md); in the store:

- the cascade root of a post is its ``root_id``; without one, the topmost ancestor reached through ``parent_id``
  (a post with neither is not in any cascade, unless it is some cascade's root);
- a post without ``parent_id`` but with ``root_id`` reposts the root directly;
- a parent post absent from the store, or in another cascade, is a missing parent: the user hangs from the root;
- a root post absent from the store gives a placeholder root (``root_missing``; author unknown, time = the
  cascade's first repost);
- a post without an author counts as its own user.

Times are minutes since the root post.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudong.errors import HudongError
from hudong.graph.cascade_metrics import DEFAULT_DEPTH_K, DEFAULT_USERS_K, cascade_metrics
from hudong.graph.forest import Forest, build_forest

_SEP = "\x1f"
MISSING_ROOT_AUTHOR = "(missing root post)"


@dataclass
class StoreCascades:
    """The repaired cascades of a workspace: ``forest`` plus what each node and cascade stands for."""

    forest: Forest
    nodes: pd.DataFrame  # per node: platform, root_post_id, user_id
    cascades: pd.DataFrame  # per cascade: platform, root_post_id, root_author, root_created_at, n_posts, root_missing


POST_COLUMNS = ["platform", "post_id", "author_id", "created_at", "parent_id", "root_id"]


def _minutes(ts: pd.Series) -> np.ndarray:
    t = pd.to_datetime(ts)
    return (t.to_numpy(dtype="datetime64[us]").astype(np.int64) / 60e6).astype(np.float64)


def _top(parent: np.ndarray) -> np.ndarray:
    """Topmost ancestor of every post through ``parent`` (-1 = none), by pointer doubling (cycles stop anywhere)."""
    n = len(parent)
    nxt = np.where(parent >= 0, parent, np.arange(n))
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 1):
        nxt = nxt[nxt]
    return nxt


def build_cascades(posts: pd.DataFrame) -> StoreCascades:
    """Repair ``posts`` (columns platform, post_id, author_id, created_at, parent_id, root_id) into cascades."""
    plat = posts["platform"].astype(str).to_numpy(dtype=object)
    key = plat + _SEP + posts["post_id"].astype(str).to_numpy(dtype=object)
    index = pd.Index(key)
    if not index.is_unique:
        raise HudongError("posts contain the same (platform, post_id) twice")
    has_parent = posts["parent_id"].notna().to_numpy()
    has_root = posts["root_id"].notna().to_numpy()
    parent_key = np.where(has_parent, plat + _SEP + posts["parent_id"].fillna("").astype(str).to_numpy(dtype=object),
                          None)
    parent_idx = np.where(has_parent, index.get_indexer(parent_key), -1)
    # cascade root key per post
    top = _top(parent_idx)
    root_key = np.where(has_root, plat + _SEP + posts["root_id"].fillna("").astype(str).to_numpy(dtype=object), None)
    top_root = root_key[top]
    top_dangling = has_parent[top] & (parent_idx[top] < 0)
    derived = np.where(top_root != None, top_root, np.where(top_dangling, parent_key[top], key[top]))  # noqa: E711
    root_key = np.where(has_root, root_key, derived)
    member = (root_key != key) & (has_parent | has_root)
    if not member.any():
        return _empty()
    casc_keys, casc_code = np.unique(root_key[member].astype(str), return_inverse=True)
    C = len(casc_keys)
    root_idx = index.get_indexer(casc_keys)
    root_missing = root_idx < 0
    times = _minutes(posts["created_at"])
    author = posts["author_id"].to_numpy(dtype=object)
    post_id = posts["post_id"].astype(str).to_numpy(dtype=object)
    author = np.where(pd.isna(author), "post:" + post_id, author)

    m = np.flatnonzero(member)
    m_time = times[m]
    # root users: the root post's author, or a placeholder
    root_author = np.where(root_missing, MISSING_ROOT_AUTHOR, author[np.maximum(root_idx, 0)])
    first_time = np.full(C, np.inf)
    np.minimum.at(first_time, casc_code, m_time)
    root_time = np.where(root_missing, first_time, times[np.maximum(root_idx, 0)])
    # parent user of each member post (same cascade only), -1 = missing parent
    pi = parent_idx[m]
    ok = pi >= 0
    par_is_root = np.zeros(len(m), dtype=bool)
    par_is_root[ok] = key[pi[ok]] == casc_keys[casc_code[ok]]
    same = np.zeros(len(m), dtype=bool)
    same[ok] = member[pi[ok]] & (root_key[pi[ok]] == casc_keys[casc_code[ok]])
    par_in_casc = par_is_root | same
    direct = ~has_parent[m]  # root_id only: reposts the root
    # node keys: (cascade, user) → ints
    all_users = np.concatenate([author[m], author[np.where(ok, pi, 0)], root_author])
    ucode, _ = pd.factorize(all_users)
    U = int(ucode.max()) + 1
    k_child = casc_code * U + ucode[: len(m)]
    k_parent = casc_code * U + ucode[len(m) : 2 * len(m)]
    k_root = np.arange(C) * U + ucode[2 * len(m) :]
    uniq, inv = np.unique(np.concatenate([k_root, k_child, k_parent[par_in_casc]]), return_inverse=True)
    n = len(uniq)
    roots = inv[:C]
    child = inv[C : C + len(m)]
    parent = np.full(len(m), -1, dtype=np.int64)
    parent[par_in_casc] = inv[C + len(m) :]
    parent[direct] = roots[casc_code[direct]]
    node_cascade = (uniq // U).astype(np.int64)
    node_time = np.full(n, np.inf)
    np.minimum.at(node_time, child, m_time)
    node_time[roots] = root_time
    rank = np.empty(len(m), dtype=np.int64)
    rank[np.lexsort((post_id[m].astype(str), m_time))] = np.arange(len(m))
    forest = build_forest(node_cascade, node_time, roots, child, parent, rank, orphans="attach")

    users = np.empty(U, dtype=object)
    users[ucode] = all_users
    casc_plat = np.array([k.split(_SEP, 1)[0] for k in casc_keys], dtype=object)
    casc_post = np.array([k.split(_SEP, 1)[1] for k in casc_keys], dtype=object)
    nodes = pd.DataFrame({"platform": casc_plat[node_cascade], "root_post_id": casc_post[node_cascade],
                          "user_id": users[uniq % U]})
    n_posts = np.bincount(casc_code, minlength=C) + (~root_missing)
    created = pd.to_datetime(posts["created_at"]).to_numpy()
    root_created = np.where(root_missing, np.datetime64("NaT"), created[np.maximum(root_idx, 0)])
    cascades = pd.DataFrame({"platform": casc_plat, "root_post_id": casc_post, "root_author": root_author,
                             "root_created_at": root_created, "n_posts": n_posts, "root_missing": root_missing})
    return StoreCascades(forest=forest, nodes=nodes, cascades=cascades)


def _empty() -> StoreCascades:
    f = build_forest(np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64), np.empty(0, np.int64),
                     np.empty(0, np.int64), np.empty(0, np.int64))
    nodes = pd.DataFrame({"platform": [], "root_post_id": [], "user_id": []}, dtype=object)
    cascades = pd.DataFrame({"platform": pd.Series([], dtype=object), "root_post_id": pd.Series([], dtype=object),
                             "root_author": pd.Series([], dtype=object),
                             "root_created_at": pd.Series([], dtype="datetime64[us]"),
                             "n_posts": pd.Series([], dtype=np.int64), "root_missing": pd.Series([], dtype=bool)})
    return StoreCascades(forest=f, nodes=nodes, cascades=cascades)


def cascade_table(
    sc: StoreCascades,
    users_k: Sequence[int] = DEFAULT_USERS_K,
    depth_k: Sequence[int] = DEFAULT_DEPTH_K,
    generations: bool = True,
) -> pd.DataFrame:
    """One row per cascade: who/when it started, size (unique users), depth, max breadth, structural virality,
    growth times (minutes) and the repair counts; largest first. ``cascade``: its index in ``sc.forest``."""
    metrics = cascade_metrics(sc.forest, users_k=users_k, depth_k=depth_k, generations=generations)
    out = pd.concat([sc.cascades.reset_index(drop=True), metrics.reset_index(drop=True)], axis=1)
    out.insert(0, "cascade", np.arange(len(out)))
    return out.sort_values(["size", "structural_virality", "root_post_id"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)
