"""Load benchmark of the web workspace: p50/p95 latency per page and API call with concurrent signed-in users.

    python benchmarks/bench_web.py                          # builds the demo workspace (>= 1M interactions)
    python benchmarks/bench_web.py --workspace demo-workspace --users 20 --rounds 10

Starts `hudong serve` (uvicorn) on loopback three ways and drives it with an httpx async load generator
(N users, each with its own session, requesting every endpoint once per round in a shuffled order):

- cold:     cache on, the first round right after start (every result computed once, users queue behind it);
- warm:     cache on, the following rounds (target p95 < 200 ms);
- no cache: HUDONG_WEB_CACHE=0, the peer baseline — every request recomputes (one round);
- floor:    a static file and /api/me (auth + one DuckDB lookup) in the same runs: what the server costs at all.

Latency is measured by the client (includes the load generator's own time on the same machine). The workspace
is copied first (the server holds its DuckDB file open for writing). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

USER, PASSWORD = "bench-web-load", "bench-password-2026"
PAGES = [
    "/",
    "/engagement",
    "/engagement?platform=weibo&start=2026-03-01",
    "/content",
    "/content?account=6203418857",
    "/community",
    "/relationships",
    "/people",
    "/propagation",
]
APIS = [
    "/api/metrics",
    "/api/metrics/engagement_rate_followers?by=platform,week",
    "/api/metrics/dau?by=day&platform=weibo",
    "/api/scorecard",
]
FLOOR = ["/static/app.css", "/api/me"]
LOG_DIR = Path(tempfile.gettempdir())  # the servers' stderr: hudong-bench-web-serve-{1,0}.log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(src: Path | None, scale: float, tmp: Path) -> Path:
    from hudong import demo
    from hudong.store.workspace import Workspace
    from hudong.web import auth

    d = tmp / "ws"
    if src is None:
        t0 = time.perf_counter()
        demo.build(d, scale=scale, progress=False)
        print(f"built the demo workspace (scale {scale}) in {time.perf_counter() - t0:.0f} s", flush=True)
    else:
        shutil.copytree(src, d)
    with Workspace.open(d) as ws:
        auth.ensure_tables(ws.con)
        if auth.get_user(ws.con, USER) is None:
            auth.add_user(ws.con, USER, "viewer", PASSWORD)
        n = ws.count("interactions")
    print(f"workspace {d}: {n:,} interactions", flush=True)
    return d


class Server:
    def __init__(self, ws: Path, cache: bool):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        hudong = shutil.which("hudong", path=str(Path(sys.executable).parent)) or "hudong"
        env = {**os.environ, "HUDONG_WEB_CACHE": "1" if cache else "0"}
        self.proc = subprocess.Popen(
            [hudong, "serve", str(ws), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=open(LOG_DIR / f"hudong-bench-web-serve-{int(cache)}.log", "w"),  # noqa: SIM115 - kept for the run
            env=env,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/login", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("hudong serve did not come up")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def signed_in(url: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=url, timeout=600)
    page = (await c.get("/login")).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = await c.post("/login", data={"username": USER, "password": PASSWORD, "csrf": csrf})
    if r.status_code != 303 or r.headers.get("location", "").startswith("/login"):
        raise RuntimeError(f"login failed: HTTP {r.status_code}")
    return c


async def run(url: str, users: int, rounds: int, endpoints: list[str], seed: int) -> list[dict[str, list[float]]]:
    """Per round: {endpoint: [latency seconds, one per user]}; every user requests every endpoint once."""
    clients = await asyncio.gather(*(signed_in(url) for _ in range(users)))
    out: list[dict[str, list[float]]] = []
    try:
        for rnd in range(rounds):
            times: dict[str, list[float]] = {e: [] for e in endpoints}

            async def user(i: int, c: httpx.AsyncClient, times: dict[str, list[float]] = times, rnd: int = rnd) -> None:
                order = endpoints[:]
                random.Random(seed * 1000 + rnd * 100 + i).shuffle(order)
                for e in order:
                    t0 = time.perf_counter()
                    r = await c.get(e)
                    times[e].append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        raise RuntimeError(f"{e}: HTTP {r.status_code}")

            await asyncio.gather(*(user(i, c) for i, c in enumerate(clients)))
            out.append(times)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return out


def pct(xs: list[float]) -> tuple[float, float]:
    a = np.asarray(xs) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def merge(rounds: list[dict[str, list[float]]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for r in rounds:
        for k, v in r.items():
            out.setdefault(k, []).extend(v)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, help="an existing workspace (copied); default: build the demo")
    ap.add_argument("--scale", type=float, default=1.0, help="demo scale when building (1.0 = >1M interactions)")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=10, help="warm rounds (each user hits every endpoint once)")
    ap.add_argument("--baseline-rounds", type=int, default=1, help="rounds without the cache")
    ap.add_argument(
        "--baseline-users",
        type=int,
        help="users without the cache (default: --users; every request "
        "recomputes, so 20 users queue for minutes on the 1M demo)",
    )
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    endpoints = PAGES + APIS + FLOOR
    with tempfile.TemporaryDirectory(prefix="hudong-bench-web-") as tmp:
        ws = prepare(args.workspace, args.scale, Path(tmp))
        results: dict[str, dict[str, list[float]]] = {}
        wall: dict[str, float] = {}
        base_users = args.baseline_users or args.users
        runs = (("cached", True, 1 + args.rounds, args.users), ("no cache", False, args.baseline_rounds, base_users))
        for label, cache, rounds, users in runs:
            srv = Server(ws, cache)
            try:
                t0 = time.perf_counter()
                per_round = asyncio.run(run(srv.url, users, rounds, endpoints, args.seed))
                wall[label] = time.perf_counter() - t0
            finally:
                srv.stop()
            if cache:
                results["cold"], results["warm"] = per_round[0], merge(per_round[1:])
            else:
                results["no cache"] = merge(per_round)
            print(
                f"{label}: {rounds} round(s) × {users} users × {len(endpoints)} endpoints in {wall[label]:.0f} s",
                flush=True,
            )
    load = os.getloadavg()
    print(
        f"\n{args.users} concurrent users ({base_users} without the cache), {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} "
        "(other jobs may share the machine). Latency in ms, measured by the client.\n"
    )
    cols = ("cold", "warm", "no cache")
    print(f"| endpoint | {' | '.join(f'{c} p50 | {c} p95' for c in cols)} |")
    print("|---|" + "---:|" * (2 * len(cols)))
    for e in endpoints:
        cells = []
        for c in cols:
            p50, p95 = pct(results[c][e])
            cells += [f"{p50:.0f}", f"{p95:.0f}"]
        kind = " (floor)" if e in FLOOR else ""
        print(f"| `{e}`{kind} | {' | '.join(cells)} |")
    warm_all = [x for e in PAGES + APIS for x in results["warm"][e]]
    p50, p95 = pct(warm_all)
    worst = max(PAGES + APIS, key=lambda e: pct(results["warm"][e])[1])
    print(
        f"\nwarm, all pages and API calls: p50 {p50:.0f} ms, p95 {p95:.0f} ms "
        f"(target p95 < 200 ms: {'met' if p95 < 200 else 'NOT met'}); worst warm p95: `{worst}` "
        f"{pct(results['warm'][worst])[1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
