"""Incremental text scoring: `score_workspace` / `hudong text score` score only new, edited or differently-modelled
texts, remove the scores of deleted ones, and end with exactly the tables a full rescore writes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from hudong.analyses import scoring
from hudong.analyses.context import models_dir, workspace_text
from hudong.analyses.scoring import score_workspace
from hudong.metrics import testing as T
from hudong.store import schema as SC
from hudong.store.workspace import Workspace
from hudong.text import adapt
from hudong.text import sentiment as S
from test_text_adapt import synthetic
from test_text_sentiment import _fixture

D = dt.datetime
TABLES = (S.TABLE, S.SIGNALS_TABLE)


def tables(ws) -> dict[str, list]:
    return {t: ws.con.execute(f"SELECT * FROM {t} ORDER BY platform, kind, id").fetchall() for t in TABLES}


def full_rescore(ws) -> dict[str, list]:
    """The tables a full rescore writes now (the workspace is left holding them)."""
    s = score_workspace(ws, full=True)
    assert s.full and s.reason == "asked (full)" and s.unchanged == 0
    return tables(ws)


def new_comments(*texts: str, prefix: str = "n") -> list[dict]:
    return [
        dict(interaction_id=f"{prefix}{i}", type="comment", actor_id=f"a{i}", target_post_id="own",
             created_at=D(2024, 3, 1, 9, i), text=t)
        for i, t in enumerate(texts)
    ]  # fmt: skip


@pytest.fixture
def ws(tmp_path):
    w = _fixture(tmp_path)
    first = score_workspace(w)  # empty tables: every text to score, so the full path
    assert first.full and first.rows == 12 and first.reason == "12 of 12 texts to score"
    yield w
    w.close()


@pytest.fixture
def always_incremental(monkeypatch):
    """Keep the incremental path however many rows need scoring (the small fixture would switch to full)."""
    monkeypatch.setattr(scoring, "FULL_SHARE", 100.0)


def test_second_run_scores_nothing_and_changes_nothing(ws):
    before = tables(ws)
    s = score_workspace(ws)
    assert (s.rows, s.unchanged, s.removed, s.full, s.workers) == (0, 12, 0, False, 1)
    assert not s.by_kind and not s.by_polarity and s.model_versions  # versions in use are still reported
    assert tables(ws) == before
    assert all(r[-1] is not None for t in TABLES for r in ws.con.execute(f"SELECT text_hash FROM {t}").fetchall())


def test_new_interactions_are_scored_alone_and_equal_a_full_rescore(ws):
    T.fill(ws, interactions=new_comments("太好喝了，还会再买", "Worst tea I ever had", "ok 👍"))
    s = score_workspace(ws)
    assert (s.rows, s.unchanged, s.removed, s.full) == (3, 12, 0, False)
    assert s.by_kind == {"interaction": 3} and sum(s.by_lang.values()) == 3
    got = tables(ws)
    assert len(got[S.TABLE]) == len(got[S.SIGNALS_TABLE]) == 15
    assert full_rescore(ws) == got


def test_an_edited_text_is_rescored(ws):
    ws.con.execute("UPDATE posts SET text = '非常好吃，五星好评' WHERE post_id = 'riv'")  # was 太难吃了
    s = score_workspace(ws)
    assert (s.rows, s.unchanged, s.by_kind, s.by_polarity) == (1, 11, {"post": 1}, {"positive": 1})
    (pol,) = ws.con.execute(f"SELECT polarity FROM {S.TABLE} WHERE id = 'riv'").fetchone()
    assert pol == "positive"
    got = tables(ws)
    assert full_rescore(ws) == got


def test_deleted_and_emptied_texts_lose_their_scores(ws):
    ws.con.execute("DELETE FROM interactions WHERE interaction_id = 'c1'")
    ws.con.execute("UPDATE posts SET text = '  ' WHERE post_id = 'tw'")  # no text any more: not scored
    s = score_workspace(ws)
    assert (s.rows, s.unchanged, s.removed, s.full) == (0, 10, 2, False)
    for t in TABLES:
        assert ws.con.execute(f"SELECT count(*) FROM {t} WHERE id IN ('c1', 'tw')").fetchone()[0] == 0
    got = tables(ws)
    assert full_rescore(ws) == got


@pytest.mark.parametrize(("task", "label"), [("sentiment", None), ("toxicity", {"positive": "ok", "negative": "toxic"})])
def test_a_new_model_version_rescores_the_rows_of_its_language(ws, task, label, always_incremental):
    """`hudong text train` adapts a model: its version changes, so the next incremental run rescores the rows of
    that language (here zh: 10 of 12) and keeps the others; back to the shipped model (`hudong text train
    --reset`), they are rescored again. Scoring a workspace always uses its adapted models."""
    texts, labels = synthetic(120, 5)
    (res,) = adapt.train(models_dir(ws), texts, [label[x] for x in labels] if label else labels, task=task, lang="zh")
    column = "model_version" if task == "sentiment" else "toxicity_model_version"
    table = S.TABLE if task == "sentiment" else S.SIGNALS_TABLE
    zh = ws.con.execute(f"SELECT count(*) FROM {S.TABLE} WHERE lang = 'zh'").fetchone()[0]
    assert zh == 10
    with workspace_text(ws) as active:
        assert active == {f"{task}-zh": res.version}
    s = score_workspace(ws)
    assert (s.rows, s.unchanged, s.full) == (zh, 12 - zh, False) and s.by_lang == {"zh": zh}
    versions = dict(ws.con.execute(f"SELECT lang, list(DISTINCT {column}) FROM {table} GROUP BY lang").fetchall())
    assert versions["zh"] == [res.version] and res.version not in versions["en"]
    assert score_workspace(ws).rows == 0  # same models: nothing to do
    got = tables(ws)
    assert full_rescore(ws) == got
    assert adapt.reset(models_dir(ws), task) == [f"{task}-zh"]
    s = score_workspace(ws)  # the shipped model again
    assert (s.rows, s.unchanged) == (zh, 12 - zh)
    assert ws.con.execute(f"SELECT list(DISTINCT {column}) FROM {table} WHERE lang = 'zh'").fetchone()[0] == [
        res.base_version
    ]


def test_many_rows_to_rescore_take_the_full_path(ws):
    ws.con.execute("UPDATE interactions SET text = text || '!'")  # 7 of 12 edited: 7 to score + 7 to replace
    s = score_workspace(ws)
    assert s.full and s.rows == 12 and s.reason == "7 of 12 texts to score"
    assert score_workspace(ws).rows == 0


def test_pool_gives_the_same_tables_as_one_process(tmp_path, always_incremental):
    out = []
    for name, workers in (("one", 1), ("pool", 2)):
        w = _fixture(tmp_path / name)
        score_workspace(w)
        T.fill(w, interactions=new_comments("难喝死了", "喜欢这个味道", "so good", "一般般", "退货了"))
        w.con.execute("UPDATE posts SET text = '好喝' WHERE post_id = 'ugc2'")
        w.con.execute("DELETE FROM interactions WHERE interaction_id = 'bot'")
        s = score_workspace(w, workers=workers, batch_size=2)  # several batches, each over the pool
        assert (s.rows, s.unchanged, s.removed, s.workers, s.full) == (6, 10, 1, workers, False)
        out.append(tables(w))
        w.close()
    assert out[0] == out[1]


def test_signals_off_leaves_the_signals_table_empty_as_a_full_run_does(ws):
    T.fill(ws, interactions=new_comments("好评"))
    s = score_workspace(ws, signals=False)
    assert (s.rows, s.unchanged, s.full) == (1, 12, False)
    assert ws.con.execute(f"SELECT count(*) FROM {S.SIGNALS_TABLE}").fetchone()[0] == 0
    got = tables(ws)[S.TABLE]
    score_workspace(ws, signals=False, full=True)
    assert tables(ws)[S.TABLE] == got
    s = score_workspace(ws)  # with signals again: every row lacks them, so everything is scored
    assert s.full and s.rows == 13


def _old_shape(ws) -> None:
    """The score tables as hudong wrote them before text_hash (schema version 2)."""
    for t in TABLES:
        ws.con.execute(f"ALTER TABLE {t} DROP COLUMN text_hash")


def test_tables_of_an_older_hudong_are_rescored_in_full(ws):
    reference = tables(ws)
    _old_shape(ws)
    s = score_workspace(ws)
    assert s.full and s.rows == 12 and s.reason == "text_sentiment written by an older hudong"
    assert tables(ws) == reference
    ws.con.execute(f"DROP TABLE {S.SIGNALS_TABLE}")
    s = score_workspace(ws)
    assert s.full and s.reason == "no text_signals table yet" and tables(ws) == reference


def test_a_version_2_workspace_is_migrated_then_rescored_once(ws):
    reference = tables(ws)
    _old_shape(ws)
    ws.con.execute("UPDATE _meta SET value = '2' WHERE key = 'schema_version'")
    ws.close()
    w = Workspace.open(ws.path)  # migrates: text_hash added, empty on the old rows
    try:
        assert w.schema_version == SC.SCHEMA_VERSION >= 3
        assert w.con.execute(f"SELECT count(*) FROM {S.TABLE} WHERE text_hash IS NULL").fetchone()[0] == 12
        s = score_workspace(w)
        assert s.full and s.rows == 12 and tables(w) == reference
        assert score_workspace(w).rows == 0
    finally:
        w.close()


def test_cli_score_is_incremental_and_full_on_request(tmp_path):
    from hudong.cli import cli

    _fixture(tmp_path).close()
    run = CliRunner().invoke
    r = run(cli, ["-w", str(tmp_path / "ws"), "text", "score"])
    assert r.exit_code == 0, r.output
    assert re.search(r"scored 12 texts, 0 unchanged, 0 removed in [0-9.]+ s \(full rescore: 12 of 12 texts", r.output)
    assert "polarity: " in r.output
    r = run(cli, ["-w", str(tmp_path / "ws"), "text", "score"])
    assert r.exit_code == 0, r.output
    assert re.search(r"scored 0 texts, 12 unchanged, 0 removed in [0-9.]+ s \(incremental", r.output)
    assert "polarity:" not in r.output and "models: zh " in r.output
    with Workspace.open(tmp_path / "ws") as ws:
        ws.con.execute("DELETE FROM interactions WHERE interaction_id = 'jp'")
        T.fill(ws, interactions=new_comments("好喝"))
    r = run(cli, ["-w", str(tmp_path / "ws"), "text", "score"])
    assert r.exit_code == 0, r.output
    assert "scored 1 texts, 11 unchanged, 1 removed" in r.output and "0 posts and 1 interactions" in r.output
    r = run(cli, ["-w", str(tmp_path / "ws"), "text", "score", "--full"])
    assert r.exit_code == 0, r.output
    assert "scored 12 texts, 0 unchanged, 0 removed" in r.output and "(full rescore: asked (full))" in r.output
