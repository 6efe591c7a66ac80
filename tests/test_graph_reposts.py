"""``repost_forest`` (a repost table → user-level cascade trees, compiled) against a plain Python reading of the
same rules, on random messy tables: repeated post ids, parents outside the cascade, users reposting
themselves, the source author reposting, cascades whose rows are not consecutive, null parents, object and
Arrow columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hudong.errors import HudongError
from hudong.graph import build_forest, cascade_metrics, repost_forest
from hudong.graph.ids import group_rows


def _reference(cascade, post, parent, user, source_user, time):
    """The rules, one dict per cascade: nodes numbered cascade by cascade in order of the user's first row,
    the source author after them when they never repost; first row wins for a repeated post id."""
    order = list(dict.fromkeys(cascade))
    node_cascade, node_time, roots = [], [], []
    child = np.empty(len(cascade), dtype=np.int64)
    parent_node = np.empty(len(cascade), dtype=np.int64)
    for g, c in enumerate(order):
        rows = [r for r in range(len(cascade)) if cascade[r] == c]
        nodes: dict[str, int] = {}
        first_row: dict[str, int] = {}
        for r in rows:
            if user[r] not in nodes:
                nodes[user[r]] = len(node_cascade)
                node_cascade.append(g)
                node_time.append(time[r])
            v = nodes[user[r]]
            node_time[v] = min(node_time[v], time[r])
            child[r] = v
            first_row.setdefault(post[r], r)
        if source_user[g] not in nodes:
            nodes[source_user[g]] = len(node_cascade)
            node_cascade.append(g)
            node_time.append(np.inf)
        root = nodes[source_user[g]]
        roots.append(root)
        node_time[root] = min((time[r] for r in rows), default=np.inf)
        for r in rows:
            p = parent[r]
            if p is None or p != p or p == "":  # None or NaN: missing = the source
                parent_node[r] = root
            else:
                parent_node[r] = child[first_row[p]] if p in first_row else -1
    return build_forest(np.array(node_cascade), np.array(node_time), np.array(roots), child, parent_node, None)


def _random_table(rng: np.random.Generator, n_casc: int, shuffle: bool) -> pd.DataFrame:
    rows = []
    for g in range(n_casc):
        users = [f"u{rng.integers(0, 30)}" for _ in range(rng.integers(1, 40))]
        posts: list[str] = []
        for i, u in enumerate(users):
            mid = f"m{rng.integers(0, 60)}" if rng.random() < 0.1 else f"m{g}_{i}"  # some post ids repeat
            r = rng.random()
            parent = ("" if r < 0.3 or not posts else None if r < 0.35 else f"gone{i}" if r < 0.45
                      else mid if r < 0.48 else posts[rng.integers(0, len(posts))])
            rows.append((f"ev{g}", mid, parent, u, float(rng.integers(0, 500))))
            posts.append(mid)
    df = pd.DataFrame(rows, columns=["cascade", "post", "parent", "user", "time"])
    return df.sample(frac=1, random_state=int(rng.integers(1 << 30))).reset_index(drop=True) if shuffle else df


def _column(values: pd.Series, kind: str):
    if kind == "object":
        return values.astype(object)
    if kind == "arrow":
        return values.astype("string[pyarrow]")
    # large_string, UTF-8, a slice of a longer array (offsets not starting at 0)
    arr = pa.array(["前缀", *("用户" + v if isinstance(v, str) else None for v in values)], pa.large_string())
    return pa.chunked_array([arr.slice(1)])


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("kind", ["object", "arrow", "large_sliced"])
def test_repost_forest_matches_the_rules(shuffle: bool, kind: str) -> None:
    rng = np.random.default_rng(11 + shuffle + 2 * len(kind))
    df = _random_table(rng, 60, shuffle)
    first = df.drop_duplicates("cascade").index.to_numpy()
    source = [f"u{rng.integers(0, 30)}" for _ in first]  # often also a reposter
    cols = {c: _column(df[c], kind) for c in ("cascade", "post", "parent", "user")}
    if kind == "large_sliced":
        source = ["用户" + u for u in source]
        df = df.assign(**{c: "用户" + df[c] for c in ("cascade", "post", "parent", "user")})
    ours, node_first = repost_forest(cols["cascade"], cols["post"], cols["parent"], cols["user"],
                                     pd.Series(source), df["time"].to_numpy())
    ref = _reference(df["cascade"].tolist(), df["post"].tolist(), df["parent"].tolist(), df["user"].tolist(),
                     source, df["time"].to_numpy())
    for a in ("cascade", "parent", "time", "depth", "subtree", "roots"):
        assert np.array_equal(getattr(ours, a), getattr(ref, a)), a
    assert {k: int(v.sum()) for k, v in ours.repairs.items()} == {k: int(v.sum()) for k, v in ref.repairs.items()}
    assert ours.repairs["missing_parents"].sum() > 0 and ours.repairs["self_loops"].sum() > 0
    pd.testing.assert_frame_equal(cascade_metrics(ours), cascade_metrics(ref))
    # node_first: each node's user is the user of its first row, or the source author
    users = np.where(node_first >= 0, df["user"].to_numpy()[np.maximum(node_first, 0)],
                     np.array(source, dtype=object)[ours.cascade])
    assert (node_first[ours.roots] == -1).sum() > 0
    assert users[ours.roots].tolist() == source


def test_repost_forest_source_user_from_the_cascade_ids() -> None:
    df = pd.DataFrame({"cascade": ["e_a", "e_a", "e_b"], "post": ["1", "2", "1"], "parent": ["", "1", ""],
                       "user": ["x", "y", "b"], "time": [3.0, 5.0, 1.0]}, dtype=object)
    forest, node_first = repost_forest(df["cascade"], df["post"], df["parent"], df["user"],
                                       lambda ids: ids.str.split("_").str[1], df["time"])
    # cascade e_a: x, y, then the source author a; e_b: b reposts their own post (a self-loop, counted)
    assert node_first.tolist() == [0, 1, -1, 2]
    assert forest.roots.tolist() == [2, 3]
    assert forest.parent.tolist() == [2, 0, -1, -1]
    assert forest.time.tolist() == [3.0, 5.0, 3.0, 1.0]
    assert int(forest.repairs["self_loops"].sum()) == 1


def test_repost_forest_errors_name_the_column() -> None:
    with pytest.raises(HudongError, match="missing values in user"):
        repost_forest(["e"], ["1"], [""], pd.Series([None], dtype="string[pyarrow]"), ["a"], [0.0])
    with pytest.raises(HudongError, match="2 in time"):
        repost_forest(["e"], ["1"], [""], ["u"], ["a"], [0.0, 1.0])
    with pytest.raises(HudongError, match="1 cascades but 2 source users"):
        repost_forest(["e"], ["1"], [""], ["u"], ["a", "b"], [0.0])


def test_group_rows() -> None:
    assert group_rows(pd.Series(["a", "a", "b"], dtype="string[pyarrow]"))[0] is None
    order, bounds, first = group_rows(pd.Series(["b", "a", "b", "c", "a"], dtype="string[pyarrow]"))
    assert order.tolist() == [0, 2, 1, 4, 3] and bounds.tolist() == [0, 2, 4, 5] and first.tolist() == [0, 1, 3]
    order, bounds, first = group_rows(np.array(["b", "a", "b"], dtype=object))
    assert order.tolist() == [0, 2, 1] and bounds.tolist() == [0, 2, 3] and first.tolist() == [0, 1]


def test_repost_forest_missing_cascade_id() -> None:
    with pytest.raises(HudongError, match="missing values in cascade"):
        repost_forest(["e", None], ["1", "2"], ["", ""], ["u", "v"], ["a"], [0.0, 1.0])
