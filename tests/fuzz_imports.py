"""A file mutator for the import fuzzing suite (``test_fuzz_imports.py``), also runnable on its own:

    python tests/fuzz_imports.py --start 0 --count 2000 --out results.json

Seeds are small valid files of every format the importer reads (CSV, TSV, JSON array, JSON object, JSONL, XLSX,
Parquet; gzip, xz, bzip2), with the built-in mappings that read them. Each case takes one seed and applies 1–3
mutations drawn from a seeded RNG (byte flips, insertions of NUL/invalid UTF-8/quotes/separators, truncation,
deleted or duplicated lines, hostile values — huge numbers, dates from 1900 and 2100, year-less and relative dates,
lone surrogates, NULs, 100k-character cells, deep nesting, Python-style lists, formulas —, dropped or extra
columns, other encodings, corrupted compression or containers). Every case is imported into one workspace and must
end in one of two ways:

- **imported**: the summary accounts for every row of the primary table:
  ``rows_read == stored + updated + unchanged + quarantined + duplicates_in_file + skipped`` (quarantined and
  skipped: of that table);
- **refused**: a ``HudongError`` naming the file, one line, that is not an internal error in disguise
  (``import failed: <Exception>``).

Anything else (another exception, a broken account) is a failure, reported with the case number so it can be
replayed (``--start N --count 1 --keep DIR``). The worker reports its peak memory.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import io
import json
import lzma
import random
import sys
import time
from collections import Counter
from pathlib import Path

HEADER = ["platform", "post_id", "author_id", "created_at", "text", "likes", "topics"]
POST_ROWS = [
    ["weibo", "p1", "alice", "2024-06-01 12:00:00", "新品上市，快来看 #夏日#", "1.2万", '["新品","夏季"]'],
    ["weibo", "p2", "bob", "2024/6/2 08:30", "好评 call 13812345678", "35", "美妆,护肤"],
    ["xiaohongshu", "p3", "carol", "2024年6月3日 09:00", "种草 ❤️", "", ""],
    ["twitter", "p4", "dave", "2024-06-04T10:00:00Z", "love it https://t.co/x", "3.4k", ""],
    ["weibo", "p5", "erin", "06月05日 12:40", "没有年份的日期", "10w+", ""],
    ["bluesky", "p6", "frank", "1717560000", "epoch seconds", "7", "a|b"],
]
INTER_HEADER = ["platform", "interaction_id", "type", "actor_id", "target_post_id", "created_at", "text", "is_inbound"]
INTER_ROWS = [
    ["weibo", "i1", "comment", "u1", "p1", "2024-06-01 12:00:00", "太好了", "true"],
    ["weibo", "i2", "like", "u2", "p1", "2024-06-01 12:05:00", "", ""],
    ["weibo", "", "dm", "u3", "", "2024-06-01 13:00:00", "请问发货了吗 a@b.org", "是"],
    ["twitter", "i4", "reply", "u4", "p4", "2024-06-02T01:00:00+00:00", "ok", "false"],
]
CED_HEADER = ["event_id", "mid", "parent", "uid", "date", "text"]
CED_ROWS = [
    ["0_m0_u0", "m1", "", "u1", "2014-05-01 10:00:00", "转发微博"],
    ["0_m0_u0", "m2", "m1", "u2", "2014-05-01 10:05:00", "//@u1: 是真的吗"],
    ["0_m0_u0", "m3", "m1", "u3", "05月01日 11:00", ""],
    ["1_n0_v0", "n1", "", "v1", "2014-06-01 09:00:00", "谣言"],
]
TWEETS = [
    {"id_str": "1", "created_at": "Fri Jan 09 12:29:56 +0000 2015", "text": "breaking #news",
     "user": {"id_str": "9", "screen_name": "a", "followers_count": 5}, "retweet_count": 3},
    {"id_str": "2", "created_at": "Fri Jan 09 12:31:00 +0000 2015", "text": "RT this",
     "in_reply_to_status_id_str": "1", "user": {"id_str": "8", "followers_count": 50}},
    {"id_str": "3", "created_at": "Sat Jan 10 01:00:00 +0000 2015", "text": "中文推文",
     "user": {"id_str": "7", "followers_count": 1}, "entities": {"hashtags": [{"text": "x"}]}},
]
WEIBO_EXPORT = [
    ["微博ID", "发布时间", "微博内容", "转发数", "评论数", "点赞数", "阅读数"],
    ["4990000000000001", "2024-06-01 12:00", "夏季新品 #山茶社#", "12", "3", "1.2万", "10万+"],
    ["4990000000000002", "06月02日 09:00", "年份缺失", "0", "0", "5", "800"],
]

NASTY = [
    "", " ", "99999999999999999999999", "-1", "1e400", "NaN", "inf", "1900-01-01 00:00:00", "2100-06-30 00:00:00",
    "06月29日 12:40", "02月30日", "刚刚", "5分钟前", "昨天 12:30", "0", "-0", "0x1F", "1,23,4", "1.2.3万",
    "\x00", "a\x00b", "\ufeff", "\u202e反转", "=1+1", "@SUM(A1)", "'", '"', '""', "\\", "\r", "\n", "\t",
    "['a', 'b']", "[1, [2, [3]]]", "{}", "[]", "null", "None", "true", "是", "maybe",
    "测" * 5_000, "x" * 100_000, "长文本" * 3_000, "🙂" * 1_000, "A" * 70_000 + "\n" + "B",
    "13812345678", "me@example.org", "110101199003078515", "6222020200112233445",
    "<script>alert(1)</script>", "../../etc/passwd", "%s%n%x", "\udc80" if False else "\u00ff\u00fe",
]
JSON_NASTY = [
    "\\ud800", "\\udfff", "\\u0000", "\\ud83d\\ude00", "\\ud83d", "\\\\", "\\\"",
]


def _csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode(encoding, "replace")


def _records(header: list[str], rows: list[list[str]]) -> list[dict]:
    return [dict(zip(header, r, strict=True)) for r in rows]


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    sh = wb.active
    for r in rows:
        sh.append([(int(v) if isinstance(v, str) and v.isdigit() and len(v) < 15 else v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _parquet(header: list[str], rows: list[list[str]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({h: [r[i] for r in rows] for i, h in enumerate(header)}), buf)
    return buf.getvalue()


# (suffix, mapping, kind, builder): kind says how content mutations apply (csv/json/jsonl text, or binary)
def seeds() -> list[tuple[str, str, str, object]]:
    return [
        (".csv", "generic-posts", "csv", lambda: _csv_bytes(HEADER, POST_ROWS)),
        (".tsv", "generic-interactions", "csv", lambda: _csv_bytes(INTER_HEADER, INTER_ROWS, "\t")),
        (".csv", "generic-interactions", "csv", lambda: _csv_bytes(INTER_HEADER, INTER_ROWS, encoding="gb18030")),
        (".json", "generic-posts", "json", lambda: json.dumps(_records(HEADER, POST_ROWS), ensure_ascii=False).encode()),
        (".json", "twitter-json", "json", lambda: json.dumps({"statuses": TWEETS}, ensure_ascii=False).encode()),
        (".jsonl", "twitter-json", "jsonl", lambda: "\n".join(json.dumps(t, ensure_ascii=False) for t in TWEETS).encode()),
        (".jsonl", "generic-interactions", "jsonl",
         lambda: "\n".join(json.dumps(r, ensure_ascii=False) for r in _records(INTER_HEADER, INTER_ROWS)).encode()),
        (".tsv", "weibo-ced-reposts", "csv", lambda: _csv_bytes(CED_HEADER, CED_ROWS, "\t")),
        (".xlsx", "weibo-export", "xlsx", lambda: WEIBO_EXPORT),
        (".xlsx", "generic-posts", "xlsx", lambda: [HEADER, *POST_ROWS]),
        (".parquet", "generic-posts", "parquet", lambda: (HEADER, POST_ROWS)),
    ]


COMPRESS = {".gz": gzip.compress, ".xz": lzma.compress, ".bz2": bz2.compress}


def _mutate_text(rng: random.Random, data: bytes, kind: str) -> bytes:
    lines = data.split(b"\n")
    op = rng.randrange(14)
    if op == 0 and data:  # flip bytes
        b = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if op == 1:  # insert hostile bytes
        at = rng.randrange(len(data) + 1)
        junk = rng.choice([b"\x00", b"\xff\xfe", b"\xc3", b"\xe4\xb8", b'"', b"\t", b",", b"\r", b"\n\n", b"\x1b[31m",
                           bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))])
        return data[:at] + junk + data[at:]
    if op == 2 and data:  # delete a span
        a = rng.randrange(len(data))
        return data[:a] + data[a + rng.randint(1, 50) :]
    if op == 3:  # truncate
        return data[: rng.randrange(len(data) + 1)]
    if op == 4 and len(lines) > 1:  # duplicate lines (duplicate keys, maybe with changes)
        i = rng.randrange(1, len(lines))
        return b"\n".join(lines[: i + 1] + [lines[i]] * rng.randint(1, 3) + lines[i + 1 :])
    if op == 5:  # shuffle lines (the header may move)
        rng.shuffle(lines)
        return b"\n".join(lines)
    if op == 6 and kind == "csv" and len(lines) > 1:  # drop or add a column in the header
        head = lines[0].split(b"," if b"," in lines[0] else b"\t")
        sep = b"," if b"," in lines[0] else b"\t"
        if rng.random() < 0.5 and len(head) > 1:
            head.pop(rng.randrange(len(head)))
        else:
            head.append(b"extra_" + str(rng.randrange(99)).encode())
        return b"\n".join([sep.join(head), *lines[1:]])
    if op == 7:  # a hostile value in place of a field
        text = data.decode("utf-8", "surrogateescape")
        value = rng.choice(JSON_NASTY) if kind in ("json", "jsonl") and rng.random() < 0.4 else rng.choice(NASTY)
        if kind in ("json", "jsonl"):
            value = json.dumps(value, ensure_ascii=False)[1:-1] if not value.startswith("\\") else value
            spots = [i for i, c in enumerate(text) if c == '"']
            if len(spots) >= 2:
                i = rng.randrange(len(spots) - 1)
                a, b = spots[i], spots[i + 1]
                text = text[: a + 1] + value + text[b:]
        else:
            cells = text.split(",")
            if len(cells) > 2:
                k = rng.randrange(1, len(cells))
                cells[k] = value if rng.random() < 0.7 else f'"{value}"'
                text = ",".join(cells)
        return text.encode("utf-8", "surrogateescape")
    if op == 8 and kind in ("json", "jsonl"):  # deep nesting
        depth = rng.choice([50, 2_000, 100_000])
        deep = "[" * depth + "]" * depth
        text = data.decode("utf-8", "surrogateescape")
        at = text.find("{")
        if at >= 0:
            text = text[: at + 1] + f'"deep": {deep}, ' + text[at + 1 :]
        return text.encode("utf-8", "surrogateescape")
    if op == 9 and kind == "json":  # change the container
        return rng.choice([b"[1, 2, 3]", b'"just a string"', b"{}", b"[]", b'{"a": {"b": [{}]}}', b"[" + data, data + b"]"])
    if op == 10:  # another encoding, or a BOM
        text = data.decode("utf-8", "replace")
        enc = rng.choice(["gbk", "utf-16", "utf-16-le", "latin-1", "utf-8-sig"])
        return text.encode(enc, "replace")
    if op == 11:  # many rows (a few thousand): chunking, duplicates across chunks
        body = lines[1:] or [b""]
        return b"\n".join([lines[0]] + [rng.choice(body) for _ in range(rng.randint(500, 4000))])
    if op == 12:  # CR line ends, or no final newline
        return data.replace(b"\n", b"\r\n") if rng.random() < 0.5 else data.rstrip(b"\n")
    return data  # op 13: unchanged (or the op did not apply): a valid file must import


def _build(rng: random.Random, suffix: str, kind: str, build: object) -> bytes:
    content = build()  # type: ignore[operator]
    if kind == "xlsx":
        rows = [list(r) for r in content]
        for _ in range(rng.randint(0, 3)):
            r = rng.randrange(len(rows))
            c = rng.randrange(len(rows[r]))
            rows[r][c] = rng.choice([*NASTY[:40], "=A1*2", None, 1e308, -5, True])
        rows = [[(v.replace("\x00", "") if isinstance(v, str) else v) for v in row] for row in rows]
        try:
            data = _xlsx(rows)
        except Exception:  # openpyxl refuses some characters: keep the seed
            data = _xlsx(content)
        return data
    if kind == "parquet":
        header, prow = content
        prow = [list(r) for r in prow]
        if rng.random() < 0.5:
            r = rng.randrange(len(prow))
            prow[r][rng.randrange(len(header))] = rng.choice(NASTY)
        return _parquet(header, prow)
    data = content
    for _ in range(rng.randint(1, 3)):
        data = _mutate_text(rng, data, kind)
    return data


def case(n: int) -> tuple[str, str, bytes]:
    """Case ``n``: (file name, mapping, bytes); the same ``n`` always gives the same file."""
    rng = random.Random(n)
    suffix, mapping, kind, build = rng.choice(seeds())
    data = _build(rng, suffix, kind, build)
    name = f"case{n}{suffix}"
    if kind in ("xlsx", "parquet") and rng.random() < 0.3:  # corrupt the container itself
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        data = bytes(b[: rng.randrange(len(b) + 1)] if rng.random() < 0.3 else b)
    if rng.random() < 0.25:
        ext = rng.choice(list(COMPRESS))
        data = COMPRESS[ext](data)
        if rng.random() < 0.3:  # corrupt the compressed stream
            b = bytearray(data)
            b[rng.randrange(len(b))] ^= 0xFF
            data = bytes(b[: max(1, rng.randrange(len(b) + 1))] if rng.random() < 0.5 else b)
        name += ext
    return name, mapping, data




def run(start: int, count: int, folder: Path, keep: bool = False) -> dict:
    from hudong.errors import HudongError
    from hudong.ingest import import_file
    from hudong.progress import peak_rss_mb
    from hudong.store.workspace import Workspace

    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.init(folder / f"ws{start}")
    outcomes: Counter[str] = Counter()
    failures: list[dict] = []
    rows = 0
    t0 = time.perf_counter()
    for n in range(start, start + count):
        name, mapping, data = case(n)
        path = folder / name
        path.write_bytes(data)
        try:
            s = import_file(ws, path, mapping)
        except HudongError as e:
            msg = str(e)
            ok = path.name in msg and "import failed:" not in msg and "Traceback" not in msg and "\n" not in msg
            outcomes["refused" if ok else "bad error"] += 1
            if not ok:
                failures.append({"case": n, "mapping": mapping, "error": msg[:500]})
        except Exception as e:  # noqa: BLE001 - any other exception is a finding
            outcomes["crashed"] += 1
            failures.append({"case": n, "mapping": mapping, "error": f"{type(e).__name__}: {e}"[:500]})
        else:
            primary = next(iter(s.tables), None)
            c = s.tables.get(primary) if primary else None
            quarantined = s.quarantined_by_table.get(primary, 0) if primary else s.quarantined
            accounted = (c.stored + c.updated + c.unchanged if c else 0) + quarantined + s.duplicates_in_file
            accounted += s.skipped.get(primary, 0) if primary else 0
            if accounted == s.rows_read:
                outcomes["imported"] += 1
                rows += s.rows_read
            else:
                outcomes["unaccounted"] += 1
                failures.append({"case": n, "mapping": mapping, "error": f"read {s.rows_read} ≠ accounted {accounted}"})
        if not keep:
            path.unlink(missing_ok=True)
    ws.close()
    return {
        "start": start,
        "count": count,
        "outcomes": dict(outcomes),
        "rows": rows,
        "failures": failures,
        "seconds": round(time.perf_counter() - t0, 1),
        "maxrss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--out", default=None, help="write the result as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args(argv)
    import tempfile

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="hudong-fuzz-"))
    result = run(args.start, args.count, folder, args.keep)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0 if not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
