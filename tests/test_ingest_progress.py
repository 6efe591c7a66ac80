"""Import progress (``import_file(..., on_progress=)``): the real importer on files of several chunks — counts
only grow, end at the file's row count, and the quarantined count is the quarantine report's. No mocks."""

from __future__ import annotations

import gzip
import json

import pytest

from hudong.ingest import ImportProgress, import_file

HEADER = "platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound\n"
N = 3000
BAD_DATE_EVERY = 97  # rows 97, 194, … have an unparseable timestamp


def _csv_rows() -> list[str]:
    rows = []
    for i in range(1, N + 1):
        ts = "not a date" if i % BAD_DATE_EVERY == 0 else f"2024-06-{1 + i % 28:02d} 12:{i % 60:02d}:00"
        rows.append(f"weibo,i{i},comment,u{i % 211},p{i % 17},{ts},评论 {i} some text,true\n")
    return rows


def _bad_dates() -> int:
    return N // BAD_DATE_EVERY


def _check(events: list[ImportProgress], summary, ws, rows: int, size: int) -> None:
    reading = [e for e in events if e.stage == "reading"]
    assert len({e.rows_read for e in reading}) >= 4, "the file should arrive in several chunks"
    fields = ("rows_read", "rows_accepted", "rows_quarantined", "fraction")
    for before, after in zip(events, events[1:], strict=False):
        for f in fields:
            assert getattr(after, f) >= getattr(before, f), (f, before, after)
        if before.bytes_read is not None and after.bytes_read is not None:
            assert after.bytes_read >= before.bytes_read
    order = ["reading", "validating", "writing", "done"]
    assert [order.index(e.stage) for e in events] == sorted(order.index(e.stage) for e in events)
    assert all(e.bytes_read is None or e.bytes_read <= size for e in events)
    assert all(e.bytes_total == size for e in reading)
    last = events[-1]
    assert last.stage == "done" and last.fraction == 1.0
    assert last.rows_read == last.rows_total == summary.rows_read == rows
    assert last.bytes_read == size
    n_quarantine = ws.con.execute(
        "SELECT count(DISTINCT row_number) FROM quarantine WHERE batch_id = ?", [summary.batch_id]
    ).fetchone()[0]
    assert last.rows_quarantined == summary.quarantined == n_quarantine
    assert last.rows_accepted + last.rows_quarantined == rows
    assert all(e.rows_accepted == 0 for e in events if e.stage in ("reading", "validating"))


def test_csv_progress_per_block_ends_at_the_row_count(workspace, tmp_path):
    path = tmp_path / "many.csv"
    rows = _csv_rows()
    rows.insert(1500, "weibo,broken,row\n")  # the reader rejects it: quarantined while reading
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    events: list[ImportProgress] = []
    summary = import_file(workspace, path, "generic-interactions", on_progress=events.append, chunk_bytes=16 << 10)
    _check(events, summary, workspace, N + 1, path.stat().st_size)
    assert summary.quarantined == _bad_dates() + 1
    # Each block is validated as it is read: the quarantined count grows with the blocks (the broken row and the
    # bad dates), and the whole-file steps add nothing here.
    reading = [e for e in events if e.stage == "reading"]
    assert reading[0].rows_quarantined == 0 and 1 <= reading[len(reading) // 2].rows_quarantined < summary.quarantined
    assert reading[-1].rows_quarantined == summary.quarantined


def test_jsonl_progress_per_chunk_and_gz_counts_compressed_bytes(workspace, tmp_path):
    lines = []
    for r in _csv_rows():
        v = r.rstrip("\n").split(",")
        lines.append(json.dumps(dict(zip(HEADER.strip().split(","), v, strict=True)), ensure_ascii=False) + "\n")
    lines.insert(10, "[1, 2]\n")  # a JSON line that is not an object: rejected by the reader
    path = tmp_path / "many.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    events: list[ImportProgress] = []
    summary = import_file(workspace, path, "generic-interactions", on_progress=events.append, chunk_bytes=32 << 10)
    _check(events, summary, workspace, N + 1, path.stat().st_size)
    assert summary.quarantined == _bad_dates() + 1

    gz = tmp_path / "many2.jsonl.gz"
    gz.write_bytes(gzip.compress(path.read_bytes().replace(b'"i', b'"g')))
    events = []
    summary = import_file(workspace, gz, "generic-interactions", on_progress=events.append, chunk_bytes=2 << 10)
    assert events[-1].bytes_total == events[-1].bytes_read == gz.stat().st_size  # compressed bytes, no 2nd pass
    assert events[-1].rows_read == N + 1 and events[-1].rows_quarantined == summary.quarantined


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_progress_is_optional_and_does_not_change_the_import(workspace, tmp_path, fmt):
    path = tmp_path / f"a.{fmt}"
    if fmt == "csv":
        path.write_text(HEADER + "".join(_csv_rows()[:300]), encoding="utf-8")
    else:
        keys = HEADER.strip().split(",")
        path.write_text(
            "".join(json.dumps(dict(zip(keys, r.strip().split(","), strict=True))) + "\n" for r in _csv_rows()[:300])
        )
    plain = import_file(workspace, path, "generic-interactions")
    events: list[ImportProgress] = []
    again = import_file(workspace, path, "generic-interactions", on_progress=events.append, chunk_bytes=1 << 10)
    assert (plain.rows_read, plain.quarantined, plain.reasons) == (again.rows_read, again.quarantined, again.reasons)
    assert again.tables["interactions"].unchanged == plain.tables["interactions"].stored
    assert events[-1].rows_read == 300 and events[-1].rows_quarantined == 300 // BAD_DATE_EVERY
