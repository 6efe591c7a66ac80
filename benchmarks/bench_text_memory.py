"""Peak memory (max RSS) and time of `hudong text bursts` and `text topics` on the CED import (1M posts).

    python benchmarks/bench_text_memory.py --workspace /tmp/ced               # imports CED there if it is empty
    python benchmarks/bench_text_memory.py --workspace /tmp/ced --before a2206c4   # + the same on that revision

The workspace is the CED Weibo rumour dataset imported as hudong does it (docs/propagation.md):
``ced_original_microblogs.jsonl.gz --as weibo-ced-posts`` then ``ced_reposts.tsv.xz --as weibo-ced-reposts`` —
2,709 source posts and 1,022,743 reposts/comments stored as posts with a parent. Each command runs in a fresh
process (``sys.executable -m hudong.cli``); its peak resident memory comes from ``os.wait4`` (the child's own
rusage), its time from the wall clock. ``--before REV`` runs the same commands on the sources of git revision REV
(``git archive REV src`` into a temporary folder, put first on PYTHONPATH) for the before/after table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))
CED = SHARED / "weibo_ced_rumor_cascades"
COMMANDS = [
    ["text", "bursts", "--format", "csv"],
    ["text", "bursts", "--grain", "hour", "--format", "csv"],
    ["text", "topics", "--format", "csv"],
    ["text", "topics", "--clusters", "--format", "csv"],
]


def ensure_workspace(ws: Path, src: Path) -> None:
    if (ws / "hudong.duckdb").exists():
        return
    env = {**os.environ, "PYTHONPATH": str(src)}
    run = [sys.executable, "-m", "hudong.cli"]
    subprocess.run([*run, "init", str(ws)], check=True, env=env, stdout=subprocess.DEVNULL)
    for name, fmt in (("ced_original_microblogs.jsonl.gz", "weibo-ced-posts"), ("ced_reposts.tsv.xz", "weibo-ced-reposts")):
        # --no-score: bursts and topics do not read the text scores (`hudong import` scores by default)
        subprocess.run([*run, "-w", str(ws), "import", str(CED / name), "--as", fmt, "--no-progress", "--no-score"],
                       check=True, env=env, stdout=subprocess.DEVNULL)  # fmt: skip


def measure(args: list[str], ws: Path, src: Path, timeout: float) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit status) of one command in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "hudong.cli", "-w", str(ws), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = t + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t, usage.ru_maxrss / 1024, proc.returncode


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", required=True, type=Path, help="CED workspace (imported here when empty).")
    ap.add_argument("--before", metavar="REV", help="Also run the commands on git revision REV's sources.")
    ap.add_argument("--timeout", type=float, default=900, help="Seconds per command before it is stopped.")
    args = ap.parse_args(argv)
    if not CED.exists():
        print(f"no CED data at {CED} (set HUDONG_SHARED_DATA)", file=sys.stderr)
        return 2
    ensure_workspace(args.workspace, REPO / "src")
    runs = [("this tree", REPO / "src")]
    tmp = None
    if args.before:
        tmp = tempfile.TemporaryDirectory(prefix="hudong-before-")
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.before, "src"], check=True,
                                 capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", tmp.name], input=archive, check=True)
        runs.insert(0, (args.before, Path(tmp.name) / "src"))
    print(f"{'command':44} {'sources':>10} {'seconds':>8} {'peak RSS':>10}")
    for cmd in COMMANDS:
        for label, src in runs:
            seconds, mb, code = measure(cmd, args.workspace, src, args.timeout)
            note = "" if code == 0 else f"  (exit {code})"
            print(f"{'hudong ' + ' '.join(cmd):44} {label:>10} {seconds:8.1f} {mb:8.0f} MB{note}", flush=True)
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
