"""Issue #19: the import fuzzing suite — ≥ 10,000 malformed files across every format (``fuzz_imports.py``).

Two worker processes import 5,000 generated cases each (CSV, TSV, JSON, JSONL, XLSX, Parquet, compressed or not,
mutated at the byte, line, value and container level). For every case: no exception other than a one-line
``HudongError`` naming the file, and every row of an imported file accounted for. Each worker stays under the
memory cap. The figures of the last run are in docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CASES = int(os.environ.get("HUDONG_FUZZ_CASES", "10000"))
WORKERS = 2
MEMORY_CAP_MB = 1024


def test_ten_thousand_malformed_files_end_in_an_import_or_a_clear_refusal(tmp_path):
    script = Path(__file__).with_name("fuzz_imports.py")
    per = -(-CASES // WORKERS)
    procs = []
    for w in range(WORKERS):
        out = tmp_path / f"w{w}.json"
        cmd = [sys.executable, str(script), "--start", str(w * per), "--count", str(per), "--dir", str(tmp_path / f"d{w}"),
               "--out", str(out)]
        procs.append((subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True), out))
    results = []
    for proc, out in procs:
        _, err = proc.communicate(timeout=3600)
        assert "Traceback" not in err, err[-3000:]
        results.append(json.loads(out.read_text()))
    failures = [f for r in results for f in r["failures"]]
    outcomes: dict[str, int] = {}
    for r in results:
        for k, v in r["outcomes"].items():
            outcomes[k] = outcomes.get(k, 0) + v
    summary = (f"{sum(outcomes.values()):,} cases: {outcomes}; {sum(r['rows'] for r in results):,} rows accounted; "
               f"peak memory {max(r['maxrss_mb'] for r in results)} MB; {max(r['seconds'] for r in results)} s")
    print(summary)
    assert sum(outcomes.values()) >= CASES
    assert not failures, f"{len(failures)} failing case(s), e.g. {failures[:5]} — {summary}"
    assert outcomes.get("imported", 0) > CASES // 4 and outcomes.get("refused", 0) > CASES // 10  # both paths exercised
    assert max(r["maxrss_mb"] for r in results) < MEMORY_CAP_MB, summary
