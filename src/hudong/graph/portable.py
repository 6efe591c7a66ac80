"""PageRank and k-core as Ibis expressions over an edge table: the same code runs on DuckDB and on Spark.

Both are iterative; each iteration is materialised with ``con.create_table(name, expr, overwrite=True)`` so the
query plan stays one step deep (Spark's ``.cache()`` keeps growing the plan: stack notes). Tables alternate
between two names, because Spark cannot overwrite a table that the query writing it still reads. Scratch tables
are dropped at the end; the result is one materialised table the caller owns (``name=``) — or, through
``influence``, a pandas frame.

The local engine is igraph (``hudong.graph.influence``); this is the scale-out form, checked equal to it
(tests/test_graph_portable.py) and between DuckDB and Spark (tests/test_spark_parity.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from hudong.errors import HudongError

DEFAULT_TOL = 1e-12
DEFAULT_MAX_ITER = 500


class _Scratch:
    """Scratch table names under one random prefix, alternating per iteration; all dropped by ``drop``."""

    def __init__(self, con: Any, prefix: str):
        self.con = con
        self.prefix = f"_hudong_{prefix}_{uuid.uuid4().hex[:10]}"
        self.names: set[str] = set()
        self.turn: dict[str, int] = {}

    def put(self, role: str, expr: ir.Table) -> ir.Table:
        """Materialise ``expr`` as the next table of ``role`` (never the one ``expr`` may be reading)."""
        i = self.turn.get(role, 1) ^ 1
        self.turn[role] = i
        name = f"{self.prefix}_{role}_{i}"
        self.names.add(name)
        return self.con.create_table(name, expr, overwrite=True)

    def drop(self) -> None:
        for name in self.names:
            self.con.drop_table(name, force=True)
        self.names.clear()


def _check_edges(edges: ir.Table, weight: str | None) -> None:
    missing = [c for c in ("src", "dst", *([weight] if weight else [])) if c not in edges.columns]
    if missing:
        raise HudongError(f"edge table lacks column(s) {', '.join(missing)} (has {', '.join(edges.columns)})")


def _endpoints(edges: ir.Table) -> ir.Table:
    """Every node that appears in an edge, once (self-loop endpoints included)."""
    return edges.select(node=edges.src).union(edges.select(node=edges.dst), distinct=True)


def _scalars(expr: ir.Table) -> dict[str, Any]:
    return expr.to_pyarrow().to_pylist()[0]


def pagerank(con: Any, edges: ir.Table, *, weight: str | None = "weight", damping: float = 0.85,
             directed: bool = True, tol: float | None = DEFAULT_TOL, max_iter: int = DEFAULT_MAX_ITER,
             name: str | None = None) -> ir.Table:
    """PageRank of every node of ``edges`` (columns ``src``, ``dst`` and optionally ``weight``) → table
    (node, pagerank), materialised on ``con``.

    Formula (Page et al. 1999; igraph PRPACK semantics): PR = (1−α)/n + α(Σ_{u→v} PR(u)·w_uv/W_u + D/n), with
    W_u = u's total out-weight, D = the rank held by dangling nodes (W_u = 0), spread uniformly like the
    teleport; parallel edges add up; ``directed=False`` uses each edge both ways. Power iteration until the L1
    change is below ``tol`` (error ≤ tol·α/(1−α)); raises when ``max_iter`` is reached first. ``tol=None``:
    exactly ``max_iter`` iterations (a fixed budget, e.g. on a cluster).
    """
    _check_edges(edges, weight)
    if not 0 < damping < 1:
        raise HudongError(f"damping must be in (0, 1), not {damping}")
    w = edges[weight].cast("float64") if weight else ibis.literal(1.0)
    e = edges.select(src=edges.src, dst=edges.dst, w=w)
    bad = _scalars(e.aggregate(negative=(e.w < 0).sum(), nulls=e.w.isnull().sum()))
    if bad["negative"] or bad["nulls"]:
        raise HudongError(f"edge weights must be ≥ 0 and present: {bad['negative']} negative, {bad['nulls']} null")
    if not directed:
        e = e.union(e.select(src=e.dst, dst=e.src, w=e.w).filter(e.src != e.dst), distinct=False)
    s = _Scratch(con, "pagerank")
    try:
        e = s.put("input", e)  # the edge expression may be a costly query: run it once
        nodes = s.put("nodes", _endpoints(e))
        n = _scalars(nodes.aggregate(n=nodes.count()))["n"]
        if not n:  # no edges, no nodes: an empty result
            return con.create_table(name or f"{s.prefix}_result",
                                    nodes.select("node", pagerank=ibis.literal(0.0, "float64")), overwrite=True)
        e = e.filter(e.w > 0)
        out_w = e.group_by(node=e.src).aggregate(total=e.w.sum())
        j = e.join(out_w, e.src == out_w.node)
        trans = s.put("trans", j.select(src=j.src, dst=j.dst, p=j.w / j.total))
        r0 = nodes.left_join(out_w, nodes.node == out_w.node)
        rank = s.put("rank", r0.select(node=r0.node, dangling=r0.total.isnull(), pr=ibis.literal(1.0 / n, "float64")))
        dangling = float(_scalars(rank.aggregate(d=rank.pr.sum(where=rank.dangling)))["d"] or 0.0)
        for _ in range(max_iter):
            jt = trans.join(rank, trans.src == rank.node)
            inflow = jt.group_by(node=jt.dst).aggregate(flow=(jt.p * jt.pr).sum())
            nr = rank.left_join(inflow, rank.node == inflow.node)
            base = (1.0 - damping) / n + damping * dangling / n
            new = s.put("rank", nr.select(node=nr.node, dangling=nr.dangling,
                                          pr=base + damping * nr.flow.coalesce(0.0), old=nr.pr))
            stats = _scalars(new.aggregate(delta=(new.pr - new.old).abs().sum(),
                                           d=new.pr.sum(where=new.dangling)))
            rank, dangling = new, float(stats["d"] or 0.0)
            if tol is not None and float(stats["delta"]) < tol:
                break
        else:
            if tol is not None:
                raise HudongError(f"PageRank did not converge to {tol} in {max_iter} iterations")
        return con.create_table(name or f"{s.prefix}_result", rank.select("node", pagerank=rank.pr),
                                overwrite=True)
    finally:
        s.drop()


def coreness(con: Any, edges: ir.Table, *, directed: bool = True, name: str | None = None) -> ir.Table:
    """k-core index of every node of ``edges`` → table (node, coreness), materialised on ``con``.

    k-core (Seidman 1983): the largest subgraph whose nodes all have degree ≥ k; a node's coreness is the
    largest such k. Degree over the simple graph (self-loops dropped, parallel edges merged): in + out for
    ``directed`` (as networkx ``core_number`` on a DiGraph and igraph ``coreness(mode="all")``), distinct
    neighbours otherwise. Batch peeling (Batagelj & Zaveršnik 2003, one round per query): k = max(k, least
    degree left); every node of degree ≤ k gets coreness k and leaves with its edges; repeat until none is left.
    """
    _check_edges(edges, None)
    e = edges.filter(edges.src != edges.dst)
    ends = (e.src, e.dst) if directed else (ibis.least(e.src, e.dst), ibis.greatest(e.src, e.dst))
    e = e.select(a=ends[0], b=ends[1])
    s = _Scratch(con, "coreness")
    try:
        nodes = s.put("nodes", _endpoints(edges))
        simple = s.put("edges", e.distinct())
        result = f"{s.prefix}_cores"
        s.names.add(result)

        def degrees(alive: ir.Table, es: ir.Table) -> ir.Table:
            ends = es.select(node=es.a).union(es.select(node=es.b), distinct=False)
            deg = ends.group_by("node").aggregate(deg=ends.count())
            j = alive.left_join(deg, alive.node == deg.node)
            return j.select(node=j.node, deg=j.deg.coalesce(0))

        alive = s.put("alive", degrees(nodes, simple))
        k = 0
        created = False
        while True:
            st = _scalars(alive.aggregate(n=alive.count(), low=alive.deg.min()))
            if not st["n"]:
                break
            k = max(k, int(st["low"]))
            out = alive.filter(alive.deg <= k).select("node", coreness=ibis.literal(k, "int64"))
            if created:
                con.insert(result, out)
            else:
                con.create_table(result, out, overwrite=True)
                created = True
            keep = alive.filter(alive.deg > k).select("node")
            kept = simple.semi_join(keep, simple.a == keep.node)
            again = keep.view()  # the same table joined twice needs a second reference
            kept = kept.semi_join(again, kept.b == again.node)
            simple = s.put("edges", kept)
            alive = s.put("alive", degrees(keep, simple))
        final = con.table(result) if created else nodes.select("node", coreness=ibis.literal(0, "int64")).limit(0)
        return con.create_table(name or f"{s.prefix}_result", final, overwrite=True)
    finally:
        s.drop()


def _run(con: Any, algo: Callable[..., ir.Table], edges: ir.Table, **kw: Any) -> pd.DataFrame:
    t = algo(con, edges, name=f"_hudong_out_{uuid.uuid4().hex[:10]}", **kw)
    try:
        return t.to_pyarrow().to_pandas()
    finally:
        con.drop_table(t.get_name(), force=True)


def influence(edges: pd.DataFrame | ir.Table, con: Any = None, damping: float = 0.85,
              tol: float = DEFAULT_TOL) -> pd.DataFrame:
    """Per node of one interaction graph (columns src, dst, weight): PageRank (weighted) and coreness, computed
    on ``con`` (an Ibis backend; default a fresh in-memory DuckDB) → pandas (node, pagerank, coreness)."""
    own = con is None
    con = con or ibis.duckdb.connect()
    try:
        if isinstance(edges, pd.DataFrame):
            name = f"_hudong_edges_{uuid.uuid4().hex[:10]}"
            t = con.create_table(name, edges[["src", "dst", "weight"]], overwrite=True)
        else:
            name, t = None, edges
        try:
            pr = _run(con, pagerank, t, damping=damping, tol=tol)
            core = _run(con, coreness, t)
        finally:
            if name:
                con.drop_table(name, force=True)
        return pr.merge(core, on="node", how="outer")
    finally:
        if own:
            con.disconnect()
