"""Live sync: Bluesky against the local AT Protocol network (tests/atnet: the reference PDS + AppView; `make atnet`)
and Mastodon against the mastodon_mock stand-in server (tests/test_mastodon.py), both on loopback.

    .venv/bin/python benchmarks/bench_sync.py [--fans 20] [--replies 30] [--lag-seconds 60] [--every 5]
                                              [--only bluesky|mastodon]

1. Throughput: fans reply to, like and mention the brand (≈ fans × (replies + 2) notifications); then one
   `hudong.connectors.sync` reads them all end to end (fetch → JSONL → import with pseudonymisation, validation and
   keyed upsert → texts scored). Peer, in the same run: the raw read rate of the same XRPC pages with plain httpx
   (no store) — the ceiling the sync can reach.
2. Lag: a fan mentions the brand about every 1.5 s while hudong syncs every ``--every`` seconds (as `hudong serve`
   does with [sync] every_minutes); for each mention, the time from its creation to its row in the store. Peer: the
   platform's own lag, from creation until the AppView lists the notification (the floor any poller has).
3. Stream lag: the same inside `hudong serve` (its schedule and streams, web/sync.py) with the connector's stream
   on (Bluesky's firehose, Mastodon's streaming API) and a poll only every 10 minutes.

The Mastodon stand-in runs in this process (a uvicorn thread), so its figures include the server's own work on
the same two cores; they bound hudong's side, not a real instance's speed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from hudong import connectors
from hudong.store.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "atnet"))
import network as atnet  # noqa: E402
from network import Person, wait_for  # noqa: E402


def workspace(root: Path, net: atnet.Network, brand: Person) -> Workspace:
    ws = Workspace.init(root / "ws")
    with open(ws.path / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[connectors.bsky]\ntype = "bluesky"\nhandle = "{brand.handle}"\nservice = "{net.pds}"\n'
                'followers_every_hours = 0\n')
    wait_for(lambda: brand.get("app.bsky.actor.getProfile", actor=brand.did))
    sf = ws.path / "secrets.toml"
    sf.write_text(f'[bsky]\napp_password = "{brand.app_password()}"\n')
    sf.chmod(0o600)
    ws.close()
    return Workspace.open(root / "ws")  # re-read hudong.toml


def timed_syncs(make_ws, label: str, n_raw: int, s_raw: float, peer: str) -> Workspace:
    """Sync the same account into two fresh workspaces: the first run loads the text models (cold), the second
    is the steady state (warm). Returns the second workspace, open."""
    for run in ("cold", "warm"):
        ws = make_ws(run)
        t0 = time.perf_counter()
        (res,) = connectors.sync(ws)
        took = time.perf_counter() - t0
        assert res.error is None, res.error
        print(f"  hudong sync, {run} (fetch → import → score): {res.rows_read:,} items, {res.stored:,} stored, "
              f"{res.scored:,} texts scored in {took:.2f} s = {res.rows_read / took:,.0f} items/s")
        if run == "cold":
            ws.close()
    print(f"  peer: {peer:<36} {n_raw:,} items in {s_raw:.2f} s = {n_raw / s_raw:,.0f} items/s")
    t0 = time.perf_counter()
    (again,) = connectors.sync(ws)
    print(f"  a third sync with nothing new: {time.perf_counter() - t0:.2f} s, {again.stored} stored")
    return ws


def raw_read(brand: Person) -> tuple[int, float]:
    """Page through the same streams with plain httpx: (items, seconds)."""
    t0, n = time.perf_counter(), 0
    with httpx.Client(base_url=brand.pds, headers={"authorization": f"Bearer {brand.token}"}, timeout=30) as c:
        for nsid, key, params in (("app.bsky.feed.getAuthorFeed", "feed", {"actor": brand.did,
                                                                            "filter": "posts_with_replies"}),
                                  ("app.bsky.notification.listNotifications", "notifications", {}),
                                  ("app.bsky.graph.getFollowers", "followers", {"actor": brand.did})):
            cursor = None
            while True:
                data = c.get(f"/xrpc/{nsid}", params={**params, "limit": 100,
                                                      **({"cursor": cursor} if cursor else {})}).json()
                n += len(data[key])
                cursor = data.get("cursor")
                if not cursor or not data[key]:
                    break
    return n, time.perf_counter() - t0


def throughput(net: atnet.Network, root: Path, fans: int, replies: int) -> None:
    brand = Person(net, "brand")
    people = [Person(net, f"fan{i}") for i in range(fans)]
    posts = [brand.post(f"new menu item {i}") for i in range(3)]
    t0 = time.perf_counter()
    for i, p in enumerate(people):
        p.follow(brand)
        p.like(posts[i % 3])
        for j in range(replies):
            p.post(f"reply {j} from fan {i}: tasty, but could it be less sweet?", reply_to=posts[j % 3])
        p.post(f"@{brand.handle} where can I buy it in Hangzhou?", mention=brand)
    made = fans * (replies + 3)
    print(f"made {made} interactions in {time.perf_counter() - t0:.1f} s")
    wait_for(lambda: len(list_all(brand)) >= fans * (replies + 3), timeout=300)

    n_raw, s_raw = min((raw_read(brand) for _ in range(3)), key=lambda r: r[1])
    print(f"\nbluesky throughput ({fans} fans × {replies} replies + follow, like, mention)")
    timed_syncs(lambda run: workspace(root / f"throughput-{run}", net, brand), "bluesky", n_raw, s_raw,
                "raw XRPC reads, no store:").close()


def list_all(brand: Person) -> list:
    out, cursor = [], None
    while True:
        data = brand.get("app.bsky.notification.listNotifications", limit=100, **({"cursor": cursor} if cursor else {}))
        out += data["notifications"]
        cursor = data.get("cursor")
        if not cursor or not data["notifications"]:
            return out


def measure(mention, listed, stored_texts, seconds: float, pace: float, label: str, how: str, peer: str) -> None:
    """``mention(text)`` posts a mention of the brand; ``listed()`` the texts the platform lists as notifications;
    ``stored_texts()`` the mention texts in hudong's store now (after a sync, or as the server left them), asked
    every ``pace`` seconds."""
    created: dict[str, float] = {}
    visible: dict[str, float] = {}
    stop = threading.Event()

    def post() -> None:
        i = 0
        while not stop.is_set():
            text = f"question {i} {random.randrange(10**6)}"
            created[text] = time.time()
            mention(text)
            i += 1
            stop.wait(random.uniform(1.0, 2.0))

    def watch() -> None:  # the platform's own lag: when it lists the notification
        while not stop.is_set():
            for text in listed():
                for k in created:
                    if k in text:
                        visible.setdefault(k, time.time())
            time.sleep(0.05)

    def collect() -> None:
        now = time.time()
        for text in stored_texts():
            for k in list(created):
                if k in (text or ""):
                    stored.setdefault(k, now)

    threads = [threading.Thread(target=post), threading.Thread(target=watch)]
    for t in threads:
        t.start()
    stored: dict[str, float] = {}
    end = time.time() + seconds
    try:
        while time.time() < end + max(pace, 10.0):
            tick = time.time()
            collect()
            if tick > end:
                stop.set()
                if all(k in stored for k in created):
                    break
            time.sleep(max(0.0, pace - (time.time() - tick)))
    finally:
        stop.set()
        for t in threads:
            t.join()
    collect()
    hudong_lag = sorted(stored[t] - created[t] for t in created if t in stored)
    platform_lag = sorted(visible[t] - created[t] for t in created if t in visible)

    def q(xs: list[float], p: int) -> float:
        return statistics.quantiles(xs, n=100, method="inclusive")[p - 1] if len(xs) > 1 else xs[0]

    print(f"\n{label}: lag from a mention to its row in hudong ({len(created)} mentions over {seconds:.0f} s, "
          f"{how}; {len(created) - len(hudong_lag)} not stored by the end)")
    print(f"  hudong ({how}):  p50 {q(hudong_lag, 50):.2f} s, p95 {q(hudong_lag, 95):.2f} s, "
          f"max {hudong_lag[-1]:.2f} s   (target p95 < 10 s)")
    print(f"  peer: {peer:<26} p50 {q(platform_lag, 50):.2f} s, p95 {q(platform_lag, 95):.2f} s")


def mention_texts(ws: Workspace) -> list[str]:
    return [t for (t,) in ws.con.execute("SELECT text FROM interactions WHERE type = 'mention'").fetchall()]


def lag(ws: Workspace, mention, listed, seconds: float, every: float, label: str, peer: str) -> None:
    """The lag with a sync every ``every`` seconds (the scheduled poll)."""
    connectors.sync(ws)  # warm: the session, the text models

    def synced() -> list[str]:
        (res,) = connectors.sync(ws)
        assert res.error is None, res.error
        return mention_texts(ws)

    measure(mention, listed, synced, seconds, every, label, f"poll every {every:g} s", peer)


def stream_lag(ws_dir: Path, mention, listed, seconds: float, label: str, peer: str) -> None:
    """The lag inside `hudong serve` with the connector's stream on and a poll only every 10 minutes."""
    from fastapi.testclient import TestClient

    from hudong.web.app import create_app

    with open(ws_dir / "hudong.toml", "a", encoding="utf-8") as f:
        f.write("\n[sync]\nevery_minutes = 10\n")
    app = create_app(ws_dir, warm=False)
    with TestClient(app):
        st = app.state.web
        deadline = time.time() + 30
        while not any(s.get("state") == "open" for s in st.sync_streams.values()) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)

        def stored() -> list[str]:
            with st.db() as w:
                return mention_texts(w)

        measure(mention, listed, stored, seconds, 0.1, label, "stream, poll every 10 min", peer)


def bluesky(root: Path, a: argparse.Namespace) -> None:
    reason = atnet.unavailable()
    if reason:
        print(f"bluesky: skipped ({reason})")
        return
    net = atnet.Network()
    print(f"bluesky: network up in {net.startup_s:.1f} s: {json.dumps({k: net.info[k] for k in ('pds', 'bsky')})}")
    try:
        throughput(net, root, a.fans, a.replies)
        brand, fan = Person(net, "brand"), Person(net, "fan")
        ws = workspace(root / "lag", net, brand)
        try:
            lag(ws, lambda text: fan.post(f"@{brand.handle} {text}", mention=brand),
                lambda: [n["record"].get("text", "") for n in
                         brand.get("app.bsky.notification.listNotifications", limit=50)["notifications"]],
                a.lag_seconds, a.every, "bluesky", "the AppView listing it:")
        finally:
            ws.close()
        stream_lag(ws.path, lambda text: fan.post(f"@{brand.handle} {text}", mention=brand),
                   lambda: [n["record"].get("text", "") for n in
                            brand.get("app.bsky.notification.listNotifications", limit=50)["notifications"]],
                   a.lag_seconds, "bluesky", "the AppView listing it:")
    finally:
        net.stop()


def masto_ws(d: Path, base_url: str) -> Workspace:
    ws = Workspace.init(d)
    with open(ws.path / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[connectors.masto]\ntype = "mastodon"\ninstance = "{base_url}"\nfollowers_every_hours = 0\n')
    (ws.path / "secrets.toml").write_text('[masto]\ntoken = "brand_tok"\n')
    (ws.path / "secrets.toml").chmod(0o600)
    ws.close()
    return Workspace.open(d)


def masto_raw_read(base_url: str, brand_id: str) -> tuple[int, float]:
    """Page through the same lists with plain httpx: (items, seconds)."""
    t, n = time.perf_counter(), 0
    with httpx.Client(base_url=base_url, headers={"authorization": "Bearer brand_tok"}) as c:
        for path in (f"/api/v1/accounts/{brand_id}/statuses", "/api/v1/notifications",
                     f"/api/v1/accounts/{brand_id}/followers"):
            max_id = None
            while True:
                page = c.get(path, params={"limit": 40, **({"max_id": max_id} if max_id else {})})
                items = page.json()
                n += len(items)
                nxt = page.links.get("next", {}).get("url")
                if not items or not nxt:
                    break
                max_id = httpx.URL(nxt).params.get("max_id")
    return n, time.perf_counter() - t


def mastodon(root: Path, a: argparse.Namespace) -> None:
    from mastodon_mock.config import SeedAccount, SeedConfig
    from mastodon_mock.testing import MockServer

    names = ["brand", *(f"fan{i}" for i in range(a.fans))]
    seed = SeedConfig(accounts=[SeedAccount(username=n, access_token=f"{n}_tok") for n in names])
    with MockServer(seed=seed) as srv:
        def call(who: str, method: str, path: str, **kw):
            r = httpx.request(method, srv.base_url + path, headers={"authorization": f"Bearer {who}_tok"},
                              timeout=30, **kw)
            r.raise_for_status()
            return r.json()

        brand_id = call("brand", "GET", "/api/v1/accounts/verify_credentials")["id"]
        posts = [call("brand", "POST", "/api/v1/statuses", data={"status": f"new menu item {i}"})["id"]
                 for i in range(3)]
        t0 = time.perf_counter()
        for i in range(a.fans):
            fan = f"fan{i}"
            call(fan, "POST", f"/api/v1/accounts/{brand_id}/follow")
            call(fan, "POST", f"/api/v1/statuses/{posts[i % 3]}/favourite")
            for j in range(a.replies):
                call(fan, "POST", "/api/v1/statuses", data={"status": f"@brand reply {j} from {fan}: less sweet?",
                                                            "in_reply_to_id": posts[j % 3]})
            call(fan, "POST", "/api/v1/statuses", data={"status": "@brand where can I buy it in Hangzhou?"})
        print(f"\nmastodon: made {a.fans * (a.replies + 3)} interactions in {time.perf_counter() - t0:.1f} s")
        n_raw, s_raw = min((masto_raw_read(srv.base_url, brand_id) for _ in range(3)), key=lambda r: r[1])
        print(f"mastodon throughput ({a.fans} fans × {a.replies} replies + follow, favourite, mention)")
        ws = timed_syncs(lambda run: masto_ws(root / f"masto-{run}", srv.base_url), "mastodon", n_raw, s_raw,
                         "raw REST reads, no store:")
        try:
            lag(ws, lambda text: call("fan0", "POST", "/api/v1/statuses", data={"status": f"@brand {text}"}),
                lambda: [n["status"]["content"] for n in call("brand", "GET", "/api/v1/notifications",
                                                              params={"limit": 40}) if n.get("status")],
                a.lag_seconds, a.every, "mastodon", "the server listing it:")
        finally:
            ws.close()
        stream_lag(ws.path, lambda text: call("fan0", "POST", "/api/v1/statuses", data={"status": f"@brand {text}"}),
                   lambda: [n["status"]["content"] for n in call("brand", "GET", "/api/v1/notifications",
                                                                 params={"limit": 40}) if n.get("status")],
                   a.lag_seconds, "mastodon", "the server listing it:")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fans", type=int, default=20)
    ap.add_argument("--replies", type=int, default=30)
    ap.add_argument("--lag-seconds", type=float, default=60)
    ap.add_argument("--every", type=float, default=5)
    ap.add_argument("--only", choices=["bluesky", "mastodon"])
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        if a.only in (None, "bluesky"):
            bluesky(Path(d), a)
        if a.only in (None, "mastodon"):
            mastodon(Path(d), a)


if __name__ == "__main__":
    main()
