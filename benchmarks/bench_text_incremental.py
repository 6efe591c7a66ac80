"""Incremental text scoring (``hudong text score``) on a copy of a scored workspace: a full rescore, an incremental
no-op, incremental runs after new interactions, and the crossover that sets ``scoring.FULL_SHARE``
(``hudong.analyses.scoring``).

    python benchmarks/bench_text_incremental.py WORKSPACE_COPY [--new 5000] [--shares 0.1,0.2,0.3,0.4]

WORKSPACE_COPY is changed (rows added and edited): pass a copy of the demo workspace, never your own. Steps:
  1. ``score_workspace(ws, full=True)`` — re-create both score tables, score every text (the default pool);
  2. ``score_workspace(ws)`` again — nothing changed: scores 0, every row unchanged;
  3. ``--new`` interactions added (copies of existing comments with new ids and an appended marker: new texts),
     then ``score_workspace(ws)`` — scores only them; then the same after deleting them (removes their scores);
  4. for each share in ``--shares``: that share of the texts edited, then scored incrementally (the threshold
     lifted) and, after the same edit again, with ``full=True`` — the time of each, to place ``FULL_SHARE``.
The whole-table equality of incremental and full results is checked by the tests (tests/test_text_incremental.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def run(ws, **kw):
    from hudong.analyses import scoring

    t = time.perf_counter()
    s = scoring.score_workspace(ws, **kw)
    return time.perf_counter() - t, s


def say(label: str, secs: float, s) -> None:
    how = "full" if s.full else "incremental"
    print(f"{label:<44} {secs:6.2f} s  scored {s.rows:>7,}  unchanged {s.unchanged:>7,}  removed {s.removed:>5,}  "
          f"{how}, {s.workers} process(es)", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workspace", type=Path)
    ap.add_argument("--new", type=int, default=5000)
    ap.add_argument("--shares", default="0.1,0.2,0.3,0.4")
    a = ap.parse_args()

    from hudong.analyses import scoring as S
    from hudong.store import Workspace

    ws = Workspace.open(a.workspace)
    con = ws.con
    try:
        say("full (--full)", *run(ws, full=True))
        say("incremental, nothing changed", *run(ws))
        con.execute(
            f"INSERT INTO interactions SELECT * REPLACE (interaction_id || '-bench' AS interaction_id, "
            f"text || ' #bench' AS text, 'bench' AS batch_id) FROM interactions "
            f"WHERE text IS NOT NULL AND trim(text) <> '' ORDER BY interaction_id LIMIT {a.new}"
        )
        say(f"incremental, {a.new:,} new interactions", *run(ws))
        say("incremental, nothing changed", *run(ws))
        con.execute("DELETE FROM interactions WHERE batch_id = 'bench'")
        say(f"incremental, those {a.new:,} deleted", *run(ws))
        total = S.ScoreSummary()
        for i, share in enumerate(float(x) for x in a.shares.split(",")):
            edit = (
                f"UPDATE interactions SET text = text || ' ~{i}' WHERE text IS NOT NULL AND trim(text) <> '' "
                f"AND hash(interaction_id || '{i}') % 1000 < {int(share * 1000)}"
            )
            con.execute(edit)
            saved, S.FULL_SHARE = S.FULL_SHARE, 10.0  # incremental whatever the share
            try:
                secs, total = run(ws)
            finally:
                S.FULL_SHARE = saved
            say(f"incremental, {share:.0%} of comments edited", secs, total)
            con.execute(edit.replace(f"' ~{i}'", f"' ~{i}b'"))
            say(f"full, {share:.0%} of comments edited", *run(ws, full=True))
    finally:
        ws.close()


if __name__ == "__main__":
    main()
