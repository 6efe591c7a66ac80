"""The Bluesky connector: one account on an AT Protocol server (bsky.social, or a self-hosted PDS).

    [connectors.bsky]
    type = "bluesky"
    handle = "brand.bsky.social"        # the account
    service = "https://bsky.social"     # its PDS (default); reads go through it to the AppView
    search = ["acme", "#acmecoffee"]    # brand terms: posts by anyone that contain them (optional)
    backfill_days = 30                  # first run: how far back (default 30); `hudong sync --since` overrides
    refresh_days = 7                    # own posts this recent are re-read each run for fresh like/repost counts
    followers_every_hours = 24          # the follower list is re-read at most this often

    # secret (environment HUDONG_BSKY_APP_PASSWORD, or [bsky] app_password in secrets.toml, mode 0600):
    # an app password (Settings → Privacy and security → App passwords), never the account password.

What each run fetches, oldest data first, one import batch per stream: the account's profile (accounts: the
follower count), its own posts and replies (posts; its replies become the staff replies that stop the response
clock), its notifications (likes, reposts, follows, replies, mentions, quotes → interactions; mentions and quotes
also as UGC posts), posts matching the search terms, and the follower list. Each stream keeps its own mark in the
cursor; a run that stops keeps the marks of the streams it committed, and everything re-read is upserted by key.

Actions: reply, publish (with images), like, repost, follow, delete. Each record is created under a record key
derived from the outbox action (a TID from the time it was queued and its id), and the server is asked for that
key before creating: an action resent after a crash finds its record instead of posting twice.

Why httpx and not the ``atproto`` SDK: the calls hudong makes are a dozen plain JSON XRPC requests; the SDK (0.0.x,
its API changes between minor versions) would add a large dependency and hide the response headers that carry
the rate limits, and hudong must keep the raw JSON of each item to quarantine what fails validation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import mimetypes
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import cbor2
from websockets.sync.client import connect as ws_connect

from hudong.connectors.base import CONNECTED, Batch, Connector, CredentialsRefused, Retry
from hudong.connectors.http import Http
from hudong.connectors.payload import dig, iso, json_object, parse_time
from hudong.errors import HudongError

MAX_GRAPHEMES = 300  # app.bsky.feed.post: text maxGraphemes
_AUTH_ERRORS = {"AuthenticationRequired", "InvalidToken", "AccountTakedown", "AccountDeactivated", "InvalidPassword"}
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_COLLECTIONS = {"reply": "app.bsky.feed.post", "publish": "app.bsky.feed.post", "like": "app.bsky.feed.like",
                "repost": "app.bsky.feed.repost", "follow": "app.bsky.graph.follow"}
NOTIFICATION_TYPES = {"like": "like", "repost": "repost", "follow": "follow", "reply": "comment",
                      "mention": "mention", "quote": "mention"}


class XrpcError(HudongError):
    def __init__(self, nsid: str, status: int, error: str, message: str):
        super().__init__(f"Bluesky {nsid}: {error or 'HTTP ' + str(status)}: {message}")
        self.nsid, self.status, self.error = nsid, status, error


def tid(micros: int, clock: int) -> str:
    """An AT Protocol TID (atproto.com/specs/tid): 53 bits of microseconds and 10 of clock id, base32-sortable."""
    n = ((micros & ((1 << 53) - 1)) << 10) | (clock & 0x3FF)
    return "".join(_TID_ALPHABET[(n >> (5 * i)) & 31] for i in range(12, -1, -1))


def action_rkey(idempotency_key: str, queued_at: str | dt.datetime | None) -> str:
    """The record key of an outbox action: the same key every time the action is (re)sent."""
    h = int(hashlib.sha256(idempotency_key.encode()).hexdigest(), 16)
    if isinstance(queued_at, str):
        queued_at = parse_time(queued_at)
    if queued_at is None:  # no queue time: a stable time from the key (2020–2029)
        micros = 1_600_000_000_000_000 + h % 300_000_000_000_000
    else:
        micros = int(queued_at.replace(tzinfo=queued_at.tzinfo or dt.UTC).timestamp() * 1_000_000)
    return tid(micros, h >> 200)




def did_of(uri: Any) -> str | None:
    """The repository (author DID) of an at:// URI."""
    m = re.match(r"^at://([^/]+)/", uri) if isinstance(uri, str) else None
    return m.group(1) if m else None


def facets(text: str, resolve: Any = None) -> list[dict[str, Any]]:
    """Rich-text facets (links, #tags, @mentions) with UTF-8 byte offsets, as app.bsky.richtext.facet wants."""
    out = []

    def span(m: re.Match[str], group: int = 0) -> dict[str, int]:
        return {"byteStart": len(text[: m.start(group)].encode()), "byteEnd": len(text[: m.end(group)].encode())}

    for m in re.finditer(r"https?://[^\s<>\"'）)]+[^\s<>\"'）).,;:!?，。！？]", text):
        out.append({"index": span(m), "features": [{"$type": "app.bsky.richtext.facet#link", "uri": m.group(0)}]})
    for m in re.finditer(r"(?:^|\s)(#([^\s#.,;:!?，。！？]+))", text):
        out.append({"index": span(m, 1), "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m.group(2)}]})
    for m in re.finditer(r"(?:^|\s)(@([a-zA-Z0-9.-]+\.[a-zA-Z]+))", text):
        did = resolve(m.group(2)) if resolve else None
        if did:
            out.append({"index": span(m, 1),
                        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]})
    return out



STREAM_MAX_FRAME = 16 * 1024 * 1024  # a firehose frame carries a commit's blocks; the relay caps them near 2 MB


def firehose_wake(frame: bytes | str, did: str) -> str | None:
    """Why a ``com.atproto.sync.subscribeRepos`` frame concerns ``did`` (None: it does not). A frame is two DAG-CBOR
    objects, a header ``{op, t}`` and a body; an error frame (``op`` −1) is raised."""
    if not isinstance(frame, bytes):
        return None
    stream = io.BytesIO(frame)
    decoder = cbor2.CBORDecoder(stream)
    header, body = decoder.decode(), decoder.decode()
    if not isinstance(header, dict) or not isinstance(body, dict):
        return None
    if header.get("op") == -1:
        raise HudongError(f"the Bluesky firehose refused the subscription: {body.get('error')}: {body.get('message')}")
    if header.get("t") != "#commit":
        return None
    ops = body.get("ops") or []
    what = str(dig(ops, 0, "path") or "").split("/")[0] or "commit"
    if body.get("repo") == did:
        return f"own {what}"
    blocks = body.get("blocks")
    if isinstance(blocks, bytes) and did.encode() in blocks:
        return f"{what} by {body.get('repo')}"
    return None


def jetstream_wake(message: bytes | str, did: str) -> str | None:
    """The same for a Jetstream message (JSON: ``{did, kind, commit: {operation, collection, record}}``)."""
    try:
        event = json.loads(message)
    except (ValueError, TypeError):
        return None
    if not isinstance(event, dict) or event.get("kind") != "commit":
        return None
    what = str(dig(event, "commit", "collection") or "commit")
    if event.get("did") == did:
        return f"own {what}"
    if did in json.dumps(dig(event, "commit", "record") or {}):
        return f"{what} by {event.get('did')}"
    return None

class BlueskyConnector(Connector):
    kind = "bluesky"
    platform = "bluesky"
    capabilities = frozenset({"read_posts", "read_comments", "read_mentions", "read_followers", "reply", "publish",
                              "delete", "like", "repost", "follow", "hide"})
    # Records are created under a key derived from the action and looked up first: never two of one action (a
    # hidden reply is listed once in its thread's gate however often it is hidden).
    idempotent_actions = frozenset({"reply", "publish", "like", "repost", "follow", "delete", "hide"})
    undoable = frozenset({"reply", "publish", "like", "repost", "follow"})  # delete takes them back

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._http: Http | None = None
        self._session: dict[str, Any] | None = None

    # ---- settings, session ------------------------------------------------------------------------------------
    @property
    def service(self) -> str:
        return str(self.setting("service", "https://bsky.social")).rstrip("/")

    @property
    def handle(self) -> str:
        return str(self.setting("handle", required=True)).lstrip("@")

    @property
    def web(self) -> str:
        return str(self.setting("web", "https://bsky.app")).rstrip("/")

    @property
    def http(self) -> Http:
        if self._http is None:
            self._http = Http(self.service, who=f"connector {self.name} (Bluesky {self.service})",
                              timeout=float(self.setting("timeout_seconds", 20)),
                              max_wait=float(self.setting("max_wait_seconds", 60)))
        return self._http

    def _session_file(self) -> Path:
        return self.state_dir / "session.json"

    def _login(self) -> dict[str, Any]:
        password = self.secrets.require("app_password")
        r = self.http.request("POST", "/xrpc/com.atproto.server.createSession",
                              json={"identifier": self.handle, "password": str(password)})
        body = json_object(r)
        if r.status_code in (400, 401) and (body.get("error") in _AUTH_ERRORS or r.status_code == 401):
            raise CredentialsRefused(f"connector {self.name}: Bluesky refused the app password for @{self.handle} "
                                     f"({body.get('message') or body.get('error')}); create a new app password and "
                                     f"set it, then run `hudong connect {self.name}`")
        if r.status_code != 200:
            raise XrpcError("com.atproto.server.createSession", r.status_code, body.get("error", ""),
                            body.get("message", r.text[:200]))
        return self._remember(body)

    def _remember(self, body: dict[str, Any]) -> dict[str, Any]:
        s = {k: body.get(k) for k in ("did", "handle", "accessJwt", "refreshJwt")} | {"service": self.service}
        f = self._session_file()
        fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # tokens: owner only
        with os.fdopen(fd, "w") as fh:
            json.dump(s, fh)
        self._session = s
        return s

    def session(self) -> dict[str, Any]:
        """The signed-in session: kept in WORKSPACE/connectors/NAME/session.json (0600) between runs, because the
        server limits how often an account may sign in (bsky.social: 30 per 5 minutes, 300 per day)."""
        if self._session is None:
            f = self._session_file()
            saved = json.loads(f.read_text()) if f.exists() else None
            ok = isinstance(saved, dict) and saved.get("service") == self.service and saved.get("accessJwt")
            self._session = saved if ok and saved.get("handle") == self.handle else self._login()
        return self._session

    def _refresh(self) -> dict[str, Any]:
        s = self.session()
        r = self.http.request("POST", "/xrpc/com.atproto.server.refreshSession",
                              headers={"authorization": f"Bearer {s.get('refreshJwt')}"})
        return self._remember(json_object(r)) if r.status_code == 200 else self._login()

    def call(self, nsid: str, params: dict[str, Any] | None = None, body: Any = None, *, content: bytes | None = None,
             content_type: str | None = None) -> dict[str, Any]:
        """One XRPC call as the account (GET for queries, POST for procedures); an expired token is refreshed."""
        for attempt in (1, 2):
            s = self.session()
            headers = {"authorization": f"Bearer {s['accessJwt']}"}
            if content is not None:
                headers["content-type"] = content_type or "application/octet-stream"
                r = self.http.request("POST", f"/xrpc/{nsid}", content=content, headers=headers)
            elif body is not None:
                r = self.http.request("POST", f"/xrpc/{nsid}", json=body, headers=headers)
            else:
                r = self.http.request("GET", f"/xrpc/{nsid}", params=params, headers=headers)
            data = json_object(r)
            if r.status_code == 200:
                return data
            err = data.get("error", "")
            if attempt == 1 and (err == "ExpiredToken" or (r.status_code == 401 and err != "AuthenticationRequired")
                                 or err == "InvalidToken"):
                self._session = self._refresh() if err == "ExpiredToken" else self._login()
                continue
            if err in ("AccountTakedown", "AccountDeactivated") or r.status_code == 401:
                raise CredentialsRefused(f"connector {self.name}: Bluesky refused @{self.handle}: "
                                         f"{data.get('message') or err}; run `hudong connect {self.name}`")
            raise XrpcError(nsid, r.status_code, err, data.get("message", r.text[:200]))
        raise AssertionError("unreachable")

    def reset(self) -> None:
        self._session = None
        self._session_file().unlink(missing_ok=True)

    def check(self) -> str:
        p = self.call("app.bsky.actor.getProfile", {"actor": self.session()["did"]})
        s = self.session()
        return (f"Bluesky @{s['handle']} ({s['did']}) on {self.service}: "
                f"{p.get('followersCount', 0)} followers, {p.get('postsCount', 0)} posts")

    # ---- fetch ------------------------------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        marks: dict[str, Any] = json.loads(cursor) if cursor else {}
        now = dt.datetime.now(dt.UTC)
        start = self.since or now - dt.timedelta(days=float(self.setting("backfill_days", 30)))
        did = self.session()["did"]

        profile = self.call("app.bsky.actor.getProfile", {"actor": did})
        yield self.lines_batch("profile", [self._account_line(profile)], marks, f"@{self.handle}: profile")

        def mark(stream: str) -> dt.datetime:
            t = parse_time(marks.get(stream))
            return start if self.since or t is None else t

        refresh = now - dt.timedelta(days=float(self.setting("refresh_days", 7)))
        lines, newest, seen = [], None, 0
        for item in self._pages("app.bsky.feed.getAuthorFeed", "feed",
                                {"actor": did, "filter": "posts_with_replies"}, min(mark("feed"), refresh)):
            post = dig(item, "post") or {}
            seen += 1
            if dig(item, "reason") or dig(post, "author", "did") != did:
                continue  # a repost by the account, or someone else's post shown in its feed
            lines.append(self._own_line(post, did))
            newest = max(newest or "", str(post.get("indexedAt") or ""))
        marks["feed"] = newest or marks.get("feed")
        yield self.lines_batch("feed", lines, marks, f"@{self.handle}: {len(lines)} own posts and replies")

        lines, newest, skipped = [], None, {}
        for n in self._pages("app.bsky.notification.listNotifications", "notifications", {}, mark("notifications")):
            reason = n.get("reason") if isinstance(n, dict) else None
            if reason not in NOTIFICATION_TYPES:
                skipped[str(reason)] = skipped.get(str(reason), 0) + 1
                continue
            lines.extend(self._notification_lines(n, did))
            newest = max(newest or "", str(n.get("indexedAt") or ""))
        marks["notifications"] = newest or marks.get("notifications")
        note = f"; not stored: {', '.join(f'{k} ×{v}' for k, v in sorted(skipped.items()))}" if skipped else ""
        yield self.lines_batch("notifications", lines, marks, f"@{self.handle}: notifications{note}")

        terms = self.setting("search", []) or []
        terms = [terms] if isinstance(terms, str) else list(terms)
        marks.setdefault("search", {})
        for term in terms:
            prev = parse_time(marks["search"].get(term))
            since = start if self.since or prev is None else prev
            lines, newest = [], None
            for p in self._pages("app.bsky.feed.searchPosts", "posts", {"q": term, "sort": "latest",
                                                                        "since": iso(since)}, since):
                newest = max(newest or "", str(p.get("indexedAt") or "") if isinstance(p, dict) else "")
                if did_of(dig(p, "uri")) != did:
                    lines.append(self._ugc_line(p))
            marks["search"][term] = newest or marks["search"].get(term)
            yield self.lines_batch("search", lines, marks, f"search {term!r}: {len(lines)} posts")

        last = parse_time(marks.get("followers"))
        every = dt.timedelta(hours=float(self.setting("followers_every_hours", 24)))
        if last is None or now - last >= every:
            lines = []
            for f in self._pages("app.bsky.graph.getFollowers", "followers", {"actor": did}, None):
                lines.append(self._user(f) | {"as_follow": True, "follower_id": dig(f, "did"), "followee_id": did})
            marks["followers"] = iso(now)
            yield self.lines_batch("followers", lines, marks, f"@{self.handle}: {len(lines)} followers")

    def _pages(self, nsid: str, key: str, params: dict[str, Any], stop: dt.datetime | None) -> Iterator[Any]:
        """Items of a paginated query, newest first, until one indexed at or before ``stop`` (None: all)."""
        cur, pages = None, 0
        max_pages = int(self.setting("max_pages", 200))
        while pages < max_pages:
            data = self.call(nsid, {**params, "limit": 100, **({"cursor": cur} if cur else {})})
            pages += 1
            items = data.get(key)
            if not isinstance(items, list):
                raise XrpcError(nsid, 200, "InvalidResponse", f"no list {key!r} in the response")
            for item in items:
                t = parse_time(dig(item, "indexedAt") or dig(item, "post", "indexedAt"))
                if stop is not None and t is not None and t <= stop:
                    return
                yield item
            cur = data.get("cursor")
            if not cur or not items:
                return

    # ---- lines: the flat fields the live-jsonl mapping reads, with the API item kept under "raw" -------------
    def _url(self, uri: Any, handle: Any = None) -> str | None:
        m = re.match(r"^at://([^/]+)/app\.bsky\.feed\.post/([^/]+)$", uri) if isinstance(uri, str) else None
        return f"{self.web}/profile/{handle or m.group(1)}/post/{m.group(2)}" if m else None

    def _user(self, author: Any) -> dict[str, Any]:
        handle = dig(author, "handle")
        # No author object: nothing to store about the person (the item itself is quarantined by its own table).
        return {"as_user": isinstance(author, dict) or None, "user_id": dig(author, "did"), "user_name": dig(author, "displayName"),
                "user_followers": dig(author, "followersCount"), "user_following": dig(author, "followsCount"),
                "user_posts": dig(author, "postsCount"), "user_description": dig(author, "description"),
                "handle": handle, "profile_url": f"{self.web}/profile/{handle}" if handle else None}

    def _account_line(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"as_account": True, "account_id": p.get("did"), "account_name": p.get("displayName") or p.get("handle"),
                "followers": p.get("followersCount"), "account_created": p.get("createdAt"), "raw": p}

    def _post_fields(self, post: Any) -> dict[str, Any]:
        record = dig(post, "record") or {}
        embed = dig(post, "embed", "$type") or ""
        media = ("image" if "images" in embed else "video" if "video" in embed else
                 "link" if "external" in embed else "text")
        return {"post_id": dig(post, "uri"), "author_id": dig(post, "author", "did"),
                "created_at": dig(record, "createdAt") or dig(post, "indexedAt"), "text": dig(record, "text"),
                "parent_id": dig(record, "reply", "parent", "uri"), "root_id": dig(record, "reply", "root", "uri"),
                "likes": dig(post, "likeCount"), "comments": dig(post, "replyCount"),
                "reposts": (dig(post, "repostCount") or 0) + (dig(post, "quoteCount") or 0)
                if isinstance(post, dict) and "repostCount" in post else None,
                "media_type": media, "url": self._url(dig(post, "uri"), dig(post, "author", "handle"))}

    def _thread(self, record: Any, own: str) -> tuple[str | None, str | None]:
        """(parent_id, target_post_id) of a reply under hudong's conversation rule: a reply straight under one of
        the account's own posts starts a conversation (no parent); a reply to a reply continues it."""
        parent, root = dig(record, "reply", "parent", "uri"), dig(record, "reply", "root", "uri")
        if parent and parent == root and did_of(parent) == own:
            return None, root
        return parent, root

    def _own_line(self, post: dict[str, Any], own: str) -> dict[str, Any]:
        f = self._post_fields(post)
        if not f["parent_id"]:
            return {"as_post": True, **f, "account_id": own, "is_ugc": False, "raw": post}
        parent, root = self._thread(post.get("record"), own)
        return {"as_interaction": True, "interaction_id": f["post_id"], "type": "reply", "actor_id": own,
                "target_post_id": root, "target_user_id": did_of(f["parent_id"]), "created_at": f["created_at"],
                "text": f["text"], "parent_id": parent, "is_inbound": False, "by_staff": True, "url": f["url"],
                "raw": post}

    def _ugc_line(self, post: Any) -> dict[str, Any]:
        return {"as_post": True, **self._post_fields(post), "is_ugc": True, **self._user(dig(post, "author")),
                "raw": post}

    def _notification_lines(self, n: dict[str, Any], own: str) -> list[dict[str, Any]]:
        reason, record, author = n.get("reason"), n.get("record"), n.get("author")
        kind = NOTIFICATION_TYPES[reason]
        line = {"as_interaction": True, "interaction_id": n.get("uri"), "type": kind, "actor_id": dig(author, "did"),
                "created_at": dig(record, "createdAt") or n.get("indexedAt"), "is_inbound": False,
                "by_staff": False, "raw": n, **self._user(author)}
        if reason in ("like", "repost"):
            line["target_post_id"] = n.get("reasonSubject") or dig(record, "subject", "uri")
        elif reason == "follow":
            line |= {"target_user_id": own, "as_follow": True, "follower_id": dig(author, "did"),
                     "followee_id": own, "follow_created": line["created_at"]}
        else:  # reply, mention, quote: a message that asks for an answer
            parent, root = self._thread(record, own)
            line |= {"text": dig(record, "text"), "parent_id": parent, "is_inbound": True, "target_user_id": own,
                     "target_post_id": root or (n.get("reasonSubject") if reason == "quote" else None),
                     "url": self._url(n.get("uri"), dig(author, "handle"))}
            if kind == "comment" and parent is not None:
                line["type"] = "reply"
        lines = [line]
        if reason in ("mention", "quote"):  # also a post about the brand (UGC) for the content analyses
            post = {"uri": n.get("uri"), "author": author, "record": record, "indexedAt": n.get("indexedAt")}
            lines.append({"as_post": True, **self._post_fields(post), "is_ugc": True, "raw": n})
        return lines

    # ---- stream -----------------------------------------------------------------------------------------------
    streams = True

    @property
    def stream_url(self) -> str:
        """``stream`` in hudong.toml: a firehose (``…/xrpc/com.atproto.sync.subscribeRepos`` of the account's PDS
        or a relay) or a Jetstream (``wss://jetstream…/subscribe``); default: the PDS's firehose."""
        url = str(self.setting("stream", "") or self.service + "/xrpc/com.atproto.sync.subscribeRepos")
        return "ws" + url[4:] if url.startswith("http") else url

    def watch(self, stop: threading.Event) -> Iterator[str]:
        """Firehose or Jetstream events that concern the account wake a sync: a commit of its own repo (a post or
        reply written in another app) or a record naming its DID (a reply, like, repost, follow, mention, quote
        of it: the DID is in the record's bytes). Everything else on the stream is skipped unread."""
        did = str(self.session()["did"])
        url = self.stream_url
        jetstream = urlparse(url).path.rstrip("/").endswith("/subscribe")
        with ws_connect(url, open_timeout=10, max_size=STREAM_MAX_FRAME, close_timeout=2) as sock:
            yield CONNECTED
            while not stop.is_set():
                try:
                    message = sock.recv(timeout=1.0)
                except TimeoutError:
                    continue
                why = jetstream_wake(message, did) if jetstream else firehose_wake(message, did)
                if why:
                    yield why

    # ---- act --------------------------------------------------------------------------------------------------
    def act(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
            **params: Any) -> dict[str, Any]:
        if action not in self.capabilities or action.startswith("read_"):
            return super().act(action, idempotency_key=idempotency_key, target=target, text=text, **params)
        did = self.session()["did"]
        if action == "delete":
            repo, collection, rkey = _parts(target)
            if repo != did:
                raise HudongError(f"connector {self.name}: {target} is not the account's own record")
            self.call("com.atproto.repo.deleteRecord", body={"repo": did, "collection": collection, "rkey": rkey})
            return {"platform_id": target, "url": self._url(target)}
        if action == "hide":
            return self._hide(did, target)
        collection = _COLLECTIONS[action]
        rkey = action_rkey(idempotency_key, params.get("queued_at"))
        made = self._existing(did, collection, rkey)  # sent before (a crash, a lost answer): do not post twice
        if made is None:
            record = self._record(action, target, text, params)
            self.call("com.atproto.repo.createRecord",
                      body={"repo": did, "collection": collection, "rkey": rkey, "record": record})
            made = f"at://{did}/{collection}/{rkey}"
        return {"platform_id": made, "url": self._url(made, self.handle)}

    def _hide(self, did: str, target: str | None) -> dict[str, Any]:
        """Hide a reply in a thread the account started: its uri joins ``hiddenReplies`` of the thread's gate
        (``app.bsky.feed.threadgate``, keyed like the root post; made when there is none, leaving replies open to
        everyone). The AppView serves the gate with the post, and every app folds the reply away."""
        post = self._subject(target)
        root = str(dig(post, "record", "reply", "root", "uri") or post["uri"])
        if did_of(root) != did:
            raise HudongError(f"Bluesky hides replies only in threads the account started; {target} is in a thread "
                              f"of {did_of(root)}")
        if root == post["uri"]:
            raise HudongError(f"{target} is a thread of its own, not a reply: there is nothing to hide it under")
        rkey = root.rsplit("/", 1)[1]
        gate = {"$type": "app.bsky.feed.threadgate", "post": root, "createdAt": iso(dt.datetime.now(dt.UTC))}
        try:
            gate = self.call("com.atproto.repo.getRecord",
                             {"repo": did, "collection": "app.bsky.feed.threadgate", "rkey": rkey})["value"]
        except XrpcError as e:
            if e.error != "RecordNotFound" and e.status != 404:
                raise
        hidden = [u for u in gate.get("hiddenReplies") or [] if u != post["uri"]] + [post["uri"]]
        self.call("com.atproto.repo.putRecord", body={"repo": did, "collection": "app.bsky.feed.threadgate",
                                                      "rkey": rkey, "record": {**gate, "hiddenReplies": hidden}})
        return {"platform_id": post["uri"], "url": self._url(post["uri"])}

    def confirm(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
                **params: Any) -> dict[str, Any] | None:
        if action == "delete":
            return None  # deleting again is harmless
        did = self.session()["did"]
        made = self._existing(did, _COLLECTIONS[action], action_rkey(idempotency_key, params.get("queued_at")))
        return {"platform_id": made, "url": self._url(made, self.handle)} if made else None

    def _existing(self, did: str, collection: str, rkey: str) -> str | None:
        try:
            return str(self.call("com.atproto.repo.getRecord",
                                 {"repo": did, "collection": collection, "rkey": rkey})["uri"])
        except XrpcError as e:
            if e.error == "RecordNotFound" or e.status == 404:
                return None
            raise

    def _subject(self, uri: str | None) -> dict[str, Any]:
        """The post ``uri`` as the AppView sees it now: refused clearly when it was deleted or its author blocks us."""
        if not uri:
            raise HudongError(f"connector {self.name}: the action needs a target post (an at:// URI)")
        posts = self.call("app.bsky.feed.getPosts", {"uris": [uri]}).get("posts") or []
        author = dig(posts, 0, "author") if posts else None
        if not posts:  # gone: deleted, or hidden because one of the two accounts blocks the other
            try:
                author = self.call("app.bsky.actor.getProfile", {"actor": did_of(uri) or ""})
            except XrpcError:
                author = None
        if dig(author, "viewer", "blockedBy") or dig(author, "viewer", "blocking"):
            raise HudongError(f"@{dig(author, 'handle')} and @{self.handle} block each other on Bluesky: "
                              "the action cannot reach them")
        if not posts:
            raise HudongError(f"the message {uri} was deleted on Bluesky")
        post = posts[0]
        if dig(post, "viewer", "replyDisabled"):
            raise HudongError(f"replies to {uri} are closed by its author")
        return post

    def _record(self, action: str, target: str | None, text: str | None, params: dict[str, Any]) -> dict[str, Any]:
        now = iso(dt.datetime.now(dt.UTC))
        if action in ("like", "repost"):
            post = self._subject(target)
            return {"$type": _COLLECTIONS[action], "subject": {"uri": post["uri"], "cid": post["cid"]},
                    "createdAt": now}
        if action == "follow":
            subject = target if target and target.startswith("did:") else self._resolve(str(target or "").lstrip("@"))
            if not subject:
                raise HudongError(f"connector {self.name}: no Bluesky account {target!r}")
            return {"$type": "app.bsky.graph.follow", "subject": subject, "createdAt": now}
        text = (text or "").strip()
        if not text and not params.get("images"):
            raise HudongError("a Bluesky post needs text or an image")
        if len(text) > MAX_GRAPHEMES:
            raise HudongError(f"Bluesky posts hold at most {MAX_GRAPHEMES} characters; this one has {len(text)}")
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": now}
        found = facets(text, self._resolve)
        if found:
            record["facets"] = found
        if params.get("langs"):
            record["langs"] = list(params["langs"])
        if action == "reply":
            parent = self._subject(target)
            root = dig(parent, "record", "reply", "root") or {"uri": parent["uri"], "cid": parent["cid"]}
            record["reply"] = {"root": {"uri": root["uri"], "cid": root["cid"]},
                               "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
        images = params.get("images") or []
        if images:
            alts = list(params.get("alt") or [])
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [
                {"image": self._upload(Path(p)), "alt": alts[i] if i < len(alts) else ""}
                for i, p in enumerate(images[:4])]}
        return record

    def _upload(self, path: Path) -> dict[str, Any]:
        if not path.is_file():
            raise HudongError(f"image {path} not found")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return self.call("com.atproto.repo.uploadBlob", content=path.read_bytes(), content_type=mime)["blob"]

    def _resolve(self, handle: str) -> str | None:
        try:
            return self.call("com.atproto.identity.resolveHandle", {"handle": handle}).get("did")
        except (XrpcError, Retry):
            return None


def _parts(uri: str | None) -> tuple[str, str, str]:
    m = re.match(r"^at://([^/]+)/([^/]+)/([^/]+)$", uri or "")
    if not m:
        raise HudongError(f"not an at:// record URI: {uri!r}")
    return m.group(1), m.group(2), m.group(3)

