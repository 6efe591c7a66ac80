"""Start and stop the local AT Protocol network (the reference PDS + AppView of @atproto/dev-env) on loopback.

Used by the Bluesky tests (tests/test_bluesky.py) and the sync benchmark. ``unavailable()`` says why the network
cannot start here (not installed: `make atnet`; no Postgres); the tests skip on a user's machine for that reason and
fail in CI (``CI`` set), where .ci/run installs everything.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent


def unavailable() -> str | None:
    if not (HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        return f"the AT Protocol network is not installed ({HERE}/node_modules): run `make atnet`"
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return "Postgres is not installed (Debian: apt-get install postgresql); the AppView needs it"
    return None


def _pg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HERE / "pg.sh"), *args], capture_output=True, text=True, timeout=120)


def ensure_postgres() -> None:
    """A throwaway cluster (tests/atnet/pg, fsync off) on 127.0.0.1:55432, started when it is not running."""
    if not (HERE / "pg" / "data" / "PG_VERSION").exists():
        r = _pg("init")
        if r.returncode:
            raise RuntimeError(f"initdb failed: {r.stderr or r.stdout}")
    r = _pg("start")
    if r.returncode and "already running" not in (r.stderr + r.stdout) and not _pg_up():
        log = (HERE / "pg" / "server.log")
        raise RuntimeError(f"Postgres did not start: {r.stderr or r.stdout} {log.read_text()[-1500:] if log.exists() else ''}")


def _pg_up() -> bool:
    pgbin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    return subprocess.run([str(pgbin / "pg_isready"), "-h", "127.0.0.1", "-p", os.environ.get("PGPORT", "55432")],
                          capture_output=True).returncode == 0


class Network:
    """One running network: ``info`` holds the URLs (pds, bsky, plc) and the AppView's DID."""

    def __init__(self, timeout: float = 90.0):
        ensure_postgres()
        self.tmp = Path(tempfile.mkdtemp(prefix="atproto-devenv."))
        env = {**os.environ, "ATP_TMPDIR": str(self.tmp), "ATP_EXIT_ON_STDIN_EOF": "1"}
        self._stderr = open(self.tmp / "stderr.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen([str(HERE / "run-network.sh")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=env, text=True)
        t0 = time.monotonic()
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # blocks until the JSON line, or EOF when it crashed
            if line.startswith("{"):
                self.info: dict[str, Any] = json.loads(line)
                self.startup_s = time.monotonic() - t0
                return
            if time.monotonic() - t0 > timeout:
                break
        self.stop()
        raise RuntimeError(f"the AT Protocol network did not start: {(self.tmp / 'stderr.log').read_text()[-3000:]}")

    @property
    def pds(self) -> str:
        return self.info["pds"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


class Person:
    """An account on the local network, acting through raw XRPC as a person would in the app."""

    def __init__(self, net: Network, name: str):
        self.pds, self.bsky = net.info["pds"], net.info["bsky"]
        self.handle = f"{name}{secrets.token_hex(3)}.test"
        s = self._post("com.atproto.server.createAccount",
                       {"handle": self.handle, "email": f"{self.handle}@example.com", "password": "pw-" + name})
        self.did, self.token = s["did"], s["accessJwt"]

    def _post(self, nsid: str, body: dict, token: str | None = None) -> dict:
        h = {"authorization": f"Bearer {token}"} if token else {}
        r = httpx.post(f"{self.pds}/xrpc/{nsid}", json=body, headers=h, timeout=10)
        assert r.status_code == 200, r.text
        return r.json() if r.content else {}

    def get(self, nsid: str, **params) -> dict:
        r = httpx.get(f"{self.pds}/xrpc/{nsid}", params=params, headers={"authorization": f"Bearer {self.token}"},
                      timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def create(self, collection: str, record: dict) -> dict:
        return self._post("com.atproto.repo.createRecord", {"repo": self.did, "collection": collection,
                                                            "record": {"$type": collection, "createdAt": now(), **record}},
                          self.token)

    def post(self, text: str, reply_to: dict | None = None, root: dict | None = None,
             mention: Person | None = None) -> dict:
        rec: dict = {"text": text}
        if mention:  # the app marks a mention with a facet; only then is the account notified
            rec["facets"] = mention_facets(text, mention)
        if reply_to:  # a person answers what the app shows them: the AppView has indexed the parent
            self.sees(reply_to)
            rec["reply"] = {"root": root or reply_to, "parent": reply_to}
        made = self.create("app.bsky.feed.post", rec)
        return {"uri": made["uri"], "cid": made["cid"]}

    def sees(self, ref: dict) -> None:
        """Wait until the AppView shows the post. A reply indexed before its parent is marked invalidReplyRoot
        and notifies nobody; in the app that cannot happen (one replies to a post on screen)."""
        wait_for(lambda: self.get("app.bsky.feed.getPosts", uris=[ref["uri"]])["posts"])

    def like(self, ref: dict) -> None:
        self.sees(ref)
        self.create("app.bsky.feed.like", {"subject": ref})

    def follow(self, other: Person) -> None:
        self.create("app.bsky.graph.follow", {"subject": other.did})

    def app_password(self) -> str:
        return self._post("com.atproto.server.createAppPassword", {"name": f"hudong-{secrets.token_hex(2)}"},
                          self.token)["password"]

    def revoke_app_passwords(self) -> None:
        for p in self.get("com.atproto.server.listAppPasswords")["passwords"]:
            self._post("com.atproto.server.revokeAppPassword", {"name": p["name"]}, self.token)


def wait_for(pred, timeout: float = 60.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            v = pred()
        except AssertionError as e:  # "Profile not found" until the AppView has indexed a new account
            if "not found" not in str(e).lower():
                raise
            v = None
        if v:
            return v
        time.sleep(0.1)
    raise TimeoutError("the AppView did not show it in time")


def mention_facets(text: str, who: Person) -> list[dict[str, Any]]:
    at = f"@{who.handle}"
    start = len(text[: text.index(at)].encode())
    return [{"index": {"byteStart": start, "byteEnd": start + len(at.encode())},
             "features": [{"$type": "app.bsky.richtext.facet#mention", "did": who.did}]}]
