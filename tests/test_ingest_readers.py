"""Readers: every file type and compression, encodings, and the bad inputs they must refuse clearly."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from hudong.errors import HudongError
from hudong.ingest import import_file
from hudong.ingest.readers import ReaderOptions, read

HEADER = ["platform", "post_id", "author_id", "created_at", "text", "likes", "topics"]
ROWS = [
    ["weibo", "p1", "alice", "2024-06-01 12:00:00", "新品上市,快来看", "1.2万", '["新品","夏季"]'],
    ["weibo", "p2", "bob", "2024/6/2 08:30", "好评", "35", "美妆,护肤"],
    ["xiaohongshu", "p3", "carol", "2024年6月3日 09:00", "种草", "", ""],
]


def _csv_text(delim: str = ",") -> str:
    def q(v: str) -> str:
        return f'"{v}"' if (delim in v or '"' in v) else v

    lines = [delim.join(HEADER)] + [delim.join(q(v.replace('"', '""')) if '"' in v else q(v) for v in r) for r in ROWS]
    return "\n".join(lines) + "\n"


def _check_posts(ws) -> None:
    got = ws.con.execute("SELECT post_id, likes, topics, created_at FROM posts ORDER BY post_id").fetchall()
    assert [g[0] for g in got] == ["p1", "p2", "p3"]
    assert [g[1] for g in got] == [12000, 35, None]
    assert got[0][2] == ["新品", "夏季"] and got[1][2] == ["美妆", "护肤"] and got[2][2] is None
    assert str(got[2][3]) == "2024-06-03 09:00:00"


@pytest.mark.parametrize(
    ("name", "writer"),
    [
        ("posts.csv", lambda p: p.write_text(_csv_text(), encoding="utf-8")),
        ("posts_bom.csv", lambda p: p.write_bytes(b"\xef\xbb\xbf" + _csv_text().encode("utf-8"))),
        ("posts_gbk.csv", lambda p: p.write_bytes(_csv_text().encode("gbk"))),
        ("posts_gb18030.csv", lambda p: p.write_bytes(_csv_text().encode("gb18030"))),
        ("posts.tsv", lambda p: p.write_text(_csv_text("\t"), encoding="utf-8")),
        ("posts.csv.gz", lambda p: p.write_bytes(gzip.compress(_csv_text().encode()))),
        ("posts.csv.xz", lambda p: p.write_bytes(lzma.compress(_csv_text().encode()))),
        ("posts.tsv.bz2", lambda p: p.write_bytes(bz2.compress(_csv_text("\t").encode()))),
        (
            "posts.json",
            lambda p: p.write_text(json.dumps([dict(zip(HEADER, r, strict=True)) for r in ROWS], ensure_ascii=False)),
        ),
        (
            "posts_obj.json",
            lambda p: p.write_text(
                json.dumps({"meta": {"n": 3}, "items": [dict(zip(HEADER, r, strict=True)) for r in ROWS]})
            ),
        ),
        (
            "posts.jsonl",
            lambda p: p.write_text(
                "\n".join(json.dumps(dict(zip(HEADER, r, strict=True)), ensure_ascii=False) for r in ROWS)
            ),
        ),
        (
            "posts.jsonl.gz",
            lambda p: p.write_bytes(
                gzip.compress("\n".join(json.dumps(dict(zip(HEADER, r, strict=True))) for r in ROWS).encode())
            ),
        ),
        ("posts.xlsx", lambda p: _xlsx(p)),
        (
            "posts.parquet",
            lambda p: pq.write_table(pa.table({h: [r[i] for r in ROWS] for i, h in enumerate(HEADER)}), p),
        ),
    ],
)
def test_every_reader_imports_the_same_posts(workspace, tmp_path, name, writer):
    f = tmp_path / name
    writer(f)
    s = import_file(workspace, f, "generic-posts")
    assert s.rows_read == 3 and s.tables["posts"].stored == 3 and s.quarantined == 0
    _check_posts(workspace)


def _xlsx(path) -> None:
    wb = Workbook()
    sh = wb.active
    sh.append(HEADER)
    for r in ROWS:
        sh.append([int(v) if v.isdigit() else (v or None) for v in r])
    wb.save(path)


def test_parquet_with_typed_columns(workspace, tmp_path):
    import datetime as dt

    f = tmp_path / "typed.parquet"
    pq.write_table(
        pa.table(
            {
                "platform": ["weibo", "weibo"],
                "post_id": ["a", "b"],
                "created_at": pa.array([dt.datetime(2024, 6, 1, 12), dt.datetime(2024, 6, 2)], pa.timestamp("ms")),
                "likes": pa.array([5, None], pa.int32()),
                "topics": pa.array([["x", "y"], None], pa.list_(pa.string())),
                "is_ugc": [True, False],
            }
        ),
        f,
    )
    s = import_file(workspace, f, "generic-posts")
    assert s.tables["posts"].stored == 2
    got = workspace.con.execute("SELECT likes, topics, is_ugc, created_at FROM posts ORDER BY post_id").fetchall()
    assert got[0] == (5, ["x", "y"], True, dt.datetime(2024, 6, 1, 12))


def test_rows_not_valid_in_the_declared_encoding_are_quarantined_with_row_and_column(workspace, tmp_path):
    f = tmp_path / "gbk.csv"
    body = "platform,post_id,created_at,text\n" + "".join(f"weibo,p{i},2024-06-01,ok\n" for i in range(5))
    f.write_bytes((body + "weibo,p9,2024-06-01,中文内容\n").encode("gbk"))
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[reader]\nformat = "csv"\nencoding = "utf-8"\n[[targets]]\ntable = "posts"\n[targets.columns]\n'
        'platform = "platform"\npost_id = "post_id"\ncreated_at = "created_at"\ntext = "text"\n',
        encoding="utf-8",
    )
    s = import_file(workspace, f, str(mapping))
    assert s.tables["posts"].stored == 5 and s.quarantined == 1
    assert workspace.con.execute("SELECT row_number, column_name, reason FROM quarantine").fetchall() == [
        (6, "text", "bytes that are not valid UTF-8 text")
    ]


def test_jsonl_line_not_valid_in_the_declared_encoding_is_rejected_with_its_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_bytes(b'{"a": 1}\n' + b'{"a": "\xff\xfe\xfa\xfb"}\n')
    src = read(f, ReaderOptions(encoding="utf-8"))
    assert src.num_rows == 1 and [b.row_number for b in src.bad_rows] == [2]
    assert "not valid text" in src.bad_rows[0].reason and src.bad_rows[0].column == "a"


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("image.csv", b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "PNG image"),
        ("random.csv", os.urandom(4096) + b"\x00", "binary data"),
        ("zip.csv", b"PK\x03\x04" + os.urandom(100), "ZIP archive"),
        ("empty.csv", b"", "empty"),
        ("random.jsonl", b"hello world\nthis is not json\n", "no line is a JSON object"),
        ("broken.json", b'{"a": [1, 2', "invalid JSON at line 1"),
        ("fake.xlsx", b"not a workbook", "not a readable .xlsx"),
        ("fake.parquet", b"not parquet at all", "not a readable Parquet"),
        ("fake.csv.gz", b"not gzip", "cannot decompress"),
    ],
)
def test_garbage_files_give_a_clear_error_and_store_nothing(workspace, tmp_path, name, content, match):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(HudongError, match=match) as e:
        import_file(workspace, f, "generic-posts")
    assert name in str(e.value)
    assert workspace.count("posts") == 0
    assert workspace.con.execute("SELECT status, message FROM import_batches").fetchone()[0] == "failed"


def test_unknown_extension_and_missing_file(workspace, tmp_path):
    f = tmp_path / "posts.dat"
    f.write_text("x")
    with pytest.raises(HudongError, match="cannot tell the file type"):
        import_file(workspace, f, "generic-posts")
    with pytest.raises(HudongError, match="no such file"):
        import_file(workspace, tmp_path / "nope.csv", "generic-posts")


def test_missing_required_columns_names_file_missing_and_found(workspace, tmp_path):
    f = tmp_path / "few.csv"
    f.write_text("platform,author_id,likes\nweibo,a,1\n")
    with pytest.raises(HudongError) as e:
        import_file(workspace, f, "generic-posts")
    msg = str(e.value)
    assert "few.csv" in msg and "missing required column(s) post_id, created_at" in msg
    assert "found: platform, author_id, likes" in msg
    assert "write a mapping file" in msg and "docs/mapping.md" in msg  # what to do about it
    own = tmp_path / "mine.toml"  # a mapping of the user's own: the fix is in that file
    own.write_text('platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = "mid"\n'
                   'created_at = "time"\n')
    with pytest.raises(HudongError, match=r"missing required column\(s\) mid, time .* correct the field names in .*mine\.toml"):
        import_file(workspace, f, own)


def test_jsonl_broken_line_is_quarantined_with_its_line_number(workspace, tmp_path):
    f = tmp_path / "p.jsonl"
    lines = [
        json.dumps({"platform": "weibo", "post_id": "a", "created_at": "2024-06-01 10:00:00"}),
        "",
        '{"platform": "weibo", "post_id": "b", "created_at": ',
        json.dumps({"platform": "weibo", "post_id": "c", "created_at": "2024-06-01 11:00:00"}),
        "[1, 2]",
    ]
    f.write_text("\n".join(lines) + "\n")
    s = import_file(workspace, f, "generic-posts")
    assert s.rows_read == 4 and s.tables["posts"].stored == 2 and s.quarantined == 2
    q = workspace.con.execute("SELECT row_number, reason FROM quarantine ORDER BY row_number").fetchall()
    assert [r[0] for r in q] == [3, 5]
    assert q[0][1].startswith("invalid JSON")


def test_broken_csv_rows_are_quarantined_and_rows_keep_their_numbers(workspace, tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(
        "platform,post_id,created_at\n"
        "weibo,a,2024-06-01\n"
        "weibo,b,2024-06-01,extra\n"
        "weibo\n"
        "weibo,d,not-a-date\n"
        "weibo,e,2024-06-02\n"
    )
    s = import_file(workspace, f, "generic-posts")
    assert s.rows_read == 5
    assert s.tables["posts"].stored == 2 and s.quarantined == 3
    q = workspace.con.execute("SELECT row_number, column_name, reason FROM quarantine ORDER BY row_number").fetchall()
    assert [(r[0], r[1]) for r in q] == [(2, None), (3, None), (4, "created_at")]
    assert "expected 3 fields, found 4" in q[0][2]
    assert q[2][2] == "unparseable timestamp: 'not-a-date'"


def test_gbk_hidden_after_a_long_ascii_head_is_still_detected(workspace, tmp_path):
    f = tmp_path / "late_gbk.csv"
    ascii_rows = "".join(f"weibo,p{i},2024-06-01 10:00:00,plain text row number {i:06d}\n" for i in range(30000))
    assert len(ascii_rows) > (1 << 20)  # longer than the encoding-detection sample
    body = "platform,post_id,created_at,text\n" + ascii_rows + "weibo,zh,2024-06-01 11:00:00,中文在最后\n"
    f.write_bytes(body.encode("gbk"))
    s = import_file(workspace, f, "generic-posts")
    assert s.tables["posts"].stored == 30001
    assert workspace.con.execute("SELECT text FROM posts WHERE post_id = 'zh'").fetchone()[0] == "中文在最后"
