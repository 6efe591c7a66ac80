"""Repost cascades: the table (size, depth, breadth, structural virality, growth times), the growth curves of the
largest and a drawing of the largest one's backbone — what ``hudong cascades``, the web's propagation page and
the report's propagation section show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hudong.analyses import reads
from hudong.analyses.base import Filters, Result, analysis
from hudong.graph.cascades import cascade_table
from hudong.graph.layout import backbone, growth, tree_layout


@dataclass(frozen=True)
class CascadeParams(Filters):
    generations: bool = False  # also the per-generation breadth columns (slower on large cascades)
    growth: int = 0  # growth curves of the N largest cascades (frame "growth")
    tree: int = 0  # draw the largest cascade's backbone of N users (frames "tree_nodes", "tree_edges")


@analysis("cascades", "传播级联", "Repost cascades", tables=("posts",), params=CascadeParams,
          engines=("duckdb", "spark"), steps=2)  # fmt: skip
def cascades(ws: Any, p: CascadeParams, step: Any) -> Result:
    """One row per cascade (frame ``cascades``; ``cascade`` = its index in the forest), largest first. Filters:
    platform; account = the root post's author; start/end (inclusive) = the root post's date. The posts are read
    on the workspace's engine; the trees are built in memory."""
    step("reading posts and building the cascades")
    sc = reads.cascades(ws, p.platform)
    step("cascade metrics")
    table = cascade_table(sc, generations=p.generations)
    keep = pd.Series(True, index=table.index)
    if p.account:
        keep &= table["root_author"].isin(p.account)
    ts = pd.to_datetime(table["root_created_at"])
    if p.start:
        keep &= ts >= pd.Timestamp(p.start)
    if p.end:
        keep &= ts < pd.Timestamp(p.end) + pd.Timedelta(days=1)
    table = table[keep].reset_index(drop=True)
    frames = {"cascades": table}
    if p.growth and len(table):
        frames["growth"] = pd.concat([_curve(sc, r, rank) for rank, r in
                                      enumerate(table.head(p.growth).to_dict(orient="records"), start=1)],
                                     ignore_index=True)  # fmt: skip
    values: dict[str, Any] = {"cascades": len(table)}
    if p.tree and len(table):
        nodes, edges, shown = _tree(sc, int(table["cascade"].iloc[0]), p.tree)
        frames |= {"tree_nodes": nodes, "tree_edges": edges}
        values["tree_shown"] = shown
    notes = ["cascades have no campaign: that filter does not apply"] if p.campaign else []
    return Result(frames, values, notes)


def _curve(sc: Any, r: dict, rank: int) -> pd.DataFrame:
    minutes, users = growth(sc.forest, int(r["cascade"]))
    return pd.DataFrame({"rank": rank, "platform": r["platform"], "size": int(r["size"]),
                         "minutes": np.round(np.maximum(minutes, 1), 2), "users": users})  # fmt: skip


def _tree(sc: Any, c: int, size: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    f = sc.forest
    nodes, parent = backbone(f, c, size)
    x, y = tree_layout(parent)
    has = parent >= 0
    nd = pd.DataFrame({"x": x, "y": y, "minutes": f.time[nodes] - f.time[f.roots[c]]})
    ed = pd.DataFrame({"x": x[parent[has]], "y": y[parent[has]], "x2": x[has], "y2": y[has]})
    return nd, ed, len(nodes)
