"""The report's propagation section: tidy-tree positions, the section with its pictures, tables equal to the API."""

from __future__ import annotations

import re

import numpy as np
import pytest

import hudong
from hudong import analyses
from hudong.analyses import coordination as AC
from hudong.analyses import reads
from hudong.demo import build
from hudong.graph import coordination as C
from hudong.graph.layout import tree_layout
from hudong.report.propagation import KOC_ROWS, koc_rows, kpi_rows


def test_tree_layout_parents_above_children_no_overlaps():
    #        0
    #     /  |  \
    #    1   2   3
    #   / \      |
    #  4   5     6
    #  |
    #  7
    parent = np.array([-1, 0, 0, 0, 1, 1, 3, 4])
    x, y = tree_layout(parent)
    assert y.tolist() == [0, 1, 1, 1, 2, 2, 2, 3]  # depth = hops from the root
    assert len({(round(a, 6), b) for a, b in zip(x, y, strict=True)}) == len(parent)  # no two users on one spot
    for p in range(len(parent)):  # a parent sits within the span of its children, and siblings keep order
        kids = np.flatnonzero(parent == p)
        if len(kids):
            assert x[kids].min() <= x[p] <= x[kids].max()
    assert x[1] < x[2] < x[3] and x[4] < x[5]
    for d in np.unique(y):  # nodes on one level at least one unit apart
        xs = np.sort(x[y == d])
        assert (np.diff(xs) >= 1 - 1e-9).all()
    with pytest.raises(ValueError):
        tree_layout(np.array([-1, -1, 0]))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from hudong.report import write_report

    tmp = tmp_path_factory.mktemp("prop")
    ws = hudong.open(build(tmp / "ws", seed=7, scale=0.05, progress=False).path)
    paths = write_report(ws, tmp / "out", lang="en", formats=["html"])
    yield ws, paths["html"].read_text(encoding="utf-8")
    ws.close()


def _section(html: str) -> str:
    m = re.search(r'<section class="major" id="propagation">(.*?)</section>', html, flags=re.S)
    assert m, "no propagation section"
    return m.group(1)


def _cells(table_html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", table_html, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)]
            for r in rows if "<td" in r]  # fmt: skip


def test_section_has_the_pictures(report):
    _, html = report
    sec = _section(html)
    for fig in ("chart-cascade_tree", "chart-growth", "chart-virality"):
        m = re.search(rf'<figure class="chart" id="{fig}">\s*<svg', sec)
        assert m, fig
    assert sec.count("<svg") >= 3 and "Propagation" in sec


def test_tables_equal_the_api(report):
    ws, html = report
    sec = _section(html)
    koc = _cells(re.search(r'<table id="koc-table">(.*?)</table>', sec, flags=re.S).group(1))
    want = koc_rows(analyses.run(ws, "koc", top=KOC_ROWS).frame("candidates"), "en")
    assert len(koc) == len(want) > 0
    assert [r[1] for r in koc] == [w["user"] for w in want] and [r[5] for r in koc] == [w["reshares"] for w in want]
    kpis = _cells(re.search(r'<table id="coordination-kpis">(.*?)</table>', sec, flags=re.S).group(1))
    api = AC.kpis_raw_adjusted(ws)
    assert [r[1:] for r in kpis] == [[w["raw"], w["adjusted"], w["difference"]] for w in kpi_rows(api, "en")]
    groups = _cells(re.search(r'<table id="coordination-groups">(.*?)</table>', sec, flags=re.S).group(1))
    res = C.detect_coordination(reads.shares(ws))
    assert [int(g[2]) for g in groups] == res.groups["n_accounts"].tolist()


def test_group_evidence_speaks_the_report_language():
    import pandas as pd

    from hudong.report.propagation import _group_evidence

    r = {"n_accounts": 8, "items": 30, "kinds": ["post", "url"], "max_co_shares": 27,
         "median_after_first_share_s": 12.4, "first": pd.Timestamp("2026-03-01"), "last": pd.Timestamp("2026-05-30")}  # fmt: skip
    zh, en = _group_evidence(r, "zh"), _group_evidence(r, "en")
    assert "8 个账号" in zh and "帖子、链接" in zh and "27 次" in zh and "2026-05-30" in zh
    assert "accounts" not in zh and "co-shared" not in zh
    assert en.startswith("8 accounts co-shared 30 items (posts, links)") and "12 s" in en
