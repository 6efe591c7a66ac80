"""Reliability of imports under kill -9: an import killed at any moment leaves no partial batch and no staging
behind, and the next import of the same file stores everything (docs/reliability.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from hudong.ingest import import_file
from hudong.store.workspace import Workspace

ROWS = 150_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("kill") / "posts.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("platform,post_id,author_id,created_at,text,likes\n")
        for i in range(ROWS):
            f.write(f"weibo,p{i},u{i % 5000},2024-06-{1 + i % 28:02d} 12:00:00,第{i}条 call 138{i % 10**8:08d},{i}\n")
    return path


@pytest.mark.parametrize("delay", [0.3, 0.9, 1.6, 2.5, 4.0])
def test_kill_9_at_any_moment_leaves_all_or_nothing(tmp_path, big_csv, delay):
    ws_dir = tmp_path / "w"
    Workspace.init(ws_dir).close()
    code = (
        "import sys; from hudong.store.workspace import Workspace; from hudong.ingest import import_file\n"
        f"ws = Workspace.open({str(ws_dir)!r}); print('start', flush=True)\n"
        f"import_file(ws, {str(big_csv)!r}, 'generic-posts'); print('done', flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "start"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with Workspace.open(ws_dir) as ws:
        posts = ws.count("posts")
        ok = ws.con.execute("SELECT count(*) FROM import_batches WHERE status = 'ok'").fetchone()[0]
        assert posts in (0, ROWS), f"partial batch: {posts} rows"
        assert (posts == ROWS) == (ok == 1)
        assert ws.count("quarantine") == 0
        leftovers = ws.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_hd_%'").fetchone()[0]
        assert leftovers == 0  # staging tables are temporary: nothing survives the process
        s = import_file(ws, big_csv, "generic-posts")  # and a retry completes the work
        assert s.tables["posts"].stored + s.tables["posts"].unchanged == ROWS
        assert ws.count("posts") == ROWS
