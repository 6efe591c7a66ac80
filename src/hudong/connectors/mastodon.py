"""The Mastodon connector: one account on a Mastodon server (any instance; the REST API of docs.joinmastodon.org).

    [connectors.masto]
    type = "mastodon"
    instance = "https://mastodon.social"   # the account's server
    hashtags = ["acmecoffee"]              # public posts with these tags (optional)
    search = ["acme"]                      # full-text search terms, where the server offers search (optional)
    backfill_days = 30                     # first run: how far back (default 30); `hudong sync --since` overrides
    refresh_days = 7                       # own statuses this recent are re-read each run for fresh counts
    followers_every_hours = 24             # the follower list is re-read at most this often

    # secret (environment HUDONG_MASTO_TOKEN, or [masto] token in secrets.toml, mode 0600): an access token of an
    # application made under Preferences → Development, scopes read, write:statuses, write:media,
    # write:favourites, write:follows.

What each run fetches, one import batch per stream: the account (accounts: follower count), its own statuses
(posts; its replies and direct messages become the staff messages that stop the response clock), notifications
(mention → a comment under an own status, a reply in a thread, a direct message, or a mention — also kept as a
UGC post —; favourite → like, reblog → repost, follow), direct-message conversations (every message of each
conversation that changed), hashtag timelines and search results (UGC posts), and the follower list.
Notifications and timelines are read after the newest id stored (ids grow with time on every server); own
statuses and conversations by time. Everything re-read is upserted by key.

Actions: reply (threaded, the author mentioned so they are notified, the visibility of the message answered),
message (a direct reply), publish (with images and alt text), like (favourite), repost (boost), follow, delete.
Statuses are posted with the outbox action's id as the ``Idempotency-Key`` header (servers keep it an hour), and
a resend first looks for the status among the account's own (``confirm``): an action is never posted twice.

Why httpx and not ``Mastodon.py``: the same request policy as every connector (``connectors/http.py``: retries
with jitter, Retry-After and the X-RateLimit headers, ``Retry`` handed to the outbox), each item's raw JSON kept
for the quarantine, and about fifteen plain REST calls, where Mastodon.py would add its own rate-limit handling
and object wrapping on top.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import mimetypes
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from hudong.connectors.base import CONNECTED, Batch, Connector, CredentialsRefused
from hudong.connectors.http import Http
from hudong.connectors.payload import dig, iso, json_object, parse_time
from hudong.errors import HudongError

NOTIFICATION_TYPES = {"mention": "mention", "favourite": "like", "reblog": "repost", "follow": "follow"}
PAGE = 40  # the largest page Mastodon serves
DEFAULT_MAX_CHARACTERS = 500


STREAM_EVENTS = ("update", "notification", "conversation", "delete", "status.update")  # they wake a sync


class MastodonError(HudongError):
    def __init__(self, path: str, status: int, message: str):
        super().__init__(f"Mastodon {path}: HTTP {status}: {message}")
        self.path, self.status = path, status


class _Text(HTMLParser):
    """Status HTML (``<p>``, ``<br>``, links, mention spans) as the plain text a reader sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: Any) -> str | None:
    if not isinstance(content, str):
        return None
    p = _Text()
    p.feed(content)
    p.close()
    return html.unescape("".join(p.parts)).strip()


def _newer(a: Any, b: Any) -> bool:
    """Whether id ``a`` is after id ``b`` (Mastodon ids are numbers as strings, growing with time)."""
    a, b = str(a), str(b)
    return int(a) > int(b) if a.isdigit() and b.isdigit() else (len(a), a) > (len(b), b)


class MastodonConnector(Connector):
    kind = "mastodon"
    platform = "mastodon"
    capabilities = frozenset({"read_posts", "read_comments", "read_mentions", "read_dms", "read_followers", "reply",
                              "message", "publish", "delete", "like", "repost", "follow"})
    # Favourite, boost, follow and delete are idempotent on the server; statuses rely on Idempotency-Key + confirm.
    idempotent_actions = frozenset({"like", "repost", "follow", "delete"})
    undoable = frozenset({"reply", "message", "publish"})  # delete takes them back

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._http: Http | None = None
        self._me: dict[str, Any] | None = None

    @property
    def instance(self) -> str:
        return str(self.setting("instance", required=True)).rstrip("/")

    @property
    def http(self) -> Http:
        if self._http is None:
            self._http = Http(self.instance, who=f"connector {self.name} (Mastodon {self.instance})",
                              timeout=float(self.setting("timeout_seconds", 20)),
                              max_wait=float(self.setting("max_wait_seconds", 60)))
        return self._http

    # ---- requests -------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        token = str(self.secrets.require("token"))
        headers = {"authorization": f"Bearer {token}", **kw.pop("headers", {})}
        r = self.http.request(method, path, headers=headers, **kw)
        if r.status_code == 401:
            raise CredentialsRefused(f"connector {self.name}: Mastodon ({self.instance}) refused the access token "
                                     f"({json_object(r).get('error') or 'HTTP 401'}); create a new token, set it, "
                                     f"then run `hudong connect {self.name}`")
        return r

    def api(self, method: str, path: str, **kw: Any) -> Any:
        return self.answer(method, path, **kw)[1]

    def answer(self, method: str, path: str, **kw: Any) -> tuple[httpx.Response, Any]:
        """The response and its JSON body; the server's error (or a body that is not JSON) as ``MastodonError``."""
        r = self.request(method, path, **kw)
        if r.status_code >= 300:
            raise MastodonError(path, r.status_code, json_object(r).get("error") or r.text[:200])
        try:
            return r, r.json()
        except ValueError:
            raise MastodonError(path, r.status_code, f"not JSON: {r.text[:200]!r}") from None

    def me(self) -> dict[str, Any]:
        if self._me is None:
            self._me = self.api("GET", "/api/v1/accounts/verify_credentials")
        return self._me

    def check(self) -> str:
        me = self.me()
        return (f"Mastodon @{me.get('acct')} ({me.get('id')}) on {self.instance}: {me.get('followers_count', 0)} "
                f"followers, {me.get('statuses_count', 0)} posts")

    def reset(self) -> None:
        self._me = None

    # ---- fetch ----------------------------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        marks: dict[str, Any] = json.loads(cursor) if cursor else {}
        now = dt.datetime.now(dt.UTC)
        start = self.since or now - dt.timedelta(days=float(self.setting("backfill_days", 30)))
        me = self.me()
        own = str(me.get("id"))
        yield self.lines_batch("profile", [self._account_line(me)], marks, f"@{me.get('acct')}: profile")

        def since(stream: str) -> dt.datetime:
            t = parse_time(marks.get(stream))
            return start if self.since or t is None else t

        refresh = now - dt.timedelta(days=float(self.setting("refresh_days", 7)))
        lines, newest = [], None
        for s in self._pages(f"/api/v1/accounts/{own}/statuses", {}, stop_time=min(since("statuses"), refresh)):
            newest = max(newest or "", str(s.get("created_at") or ""))
            if not s.get("reblog"):  # a boost by the account is not its post
                lines.append(self._own_line(s, own))
        marks["statuses"] = newest or marks.get("statuses")
        yield self.lines_batch("statuses", lines, marks, f"@{me.get('acct')}: {len(lines)} own statuses")

        lines, top, skipped = [], None, {}
        after = None if self.since else marks.get("notifications")
        for n in self._pages("/api/v1/notifications", {"types[]": list(NOTIFICATION_TYPES)}, stop_time=start,
                             stop_id=after):
            top = n.get("id") if top is None else top
            kind = n.get("type") if isinstance(n, dict) else None
            if kind not in NOTIFICATION_TYPES:
                skipped[str(kind)] = skipped.get(str(kind), 0) + 1
                continue
            lines.extend(self._notification_lines(n, own))
        marks["notifications"] = top or marks.get("notifications")
        note = f"; not stored: {', '.join(f'{k} ×{v}' for k, v in sorted(skipped.items()))}" if skipped else ""
        yield self.lines_batch("notifications", lines, marks, f"@{me.get('acct')}: notifications{note}")

        lines, newest = [], None
        for c in self._pages("/api/v1/conversations", {}, stop_time=since("conversations"),
                             time_of=lambda c: parse_time(dig(c, "last_status", "created_at"))):
            last = c.get("last_status") if isinstance(c, dict) else None
            newest = max(newest or "", str(dig(last, "created_at") or ""))
            if isinstance(last, dict) and last.get("id"):
                lines.extend(self._dm_line(s, own) for s in self._thread(str(last["id"])))
        marks["conversations"] = newest or marks.get("conversations")
        yield self.lines_batch("conversations", lines, marks, f"@{me.get('acct')}: direct messages")

        marks.setdefault("tags", {})
        for tag in self._list_setting("hashtags"):
            tag = tag.lstrip("#")
            after = None if self.since else marks["tags"].get(tag)
            lines, top = [], None
            for s in self._pages(f"/api/v1/timelines/tag/{tag}", {}, stop_time=start, stop_id=after):
                top = s.get("id") if top is None else top
                if str(dig(s, "account", "id")) != own:
                    lines.append(self._ugc_line(s))
            marks["tags"][tag] = top or marks["tags"].get(tag)
            yield self.lines_batch("hashtag", lines, marks, f"#{tag}: {len(lines)} posts")

        marks.setdefault("search", {})
        for term in self._list_setting("search"):
            after = None if self.since else marks["search"].get(term)
            found = self.api("GET", "/api/v2/search", params={"q": term, "type": "statuses", "limit": PAGE})
            statuses = found.get("statuses") if isinstance(found, dict) else None
            if not isinstance(statuses, list):
                raise MastodonError("/api/v2/search", 200, "no list 'statuses' in the response")
            keep = [s for s in statuses if isinstance(s, dict) and (after is None or _newer(s.get("id"), after))
                    and (parse_time(s.get("created_at")) or now) > start]
            lines = [self._ugc_line(s) for s in keep if str(dig(s, "account", "id")) != own]
            ids = [str(s.get("id")) for s in keep if s.get("id")]
            top = max(ids, key=lambda i: (len(i), i)) if ids else None
            marks["search"][term] = top or marks["search"].get(term)
            yield self.lines_batch("search", lines, marks, f"search {term!r}: {len(lines)} posts")

        last = parse_time(marks.get("followers"))
        every = dt.timedelta(hours=float(self.setting("followers_every_hours", 24)))
        if last is None or now - last >= every:
            lines = [self._user(a) | {"as_follow": True, "follower_id": a.get("id"), "followee_id": own}
                     for a in self._pages(f"/api/v1/accounts/{own}/followers", {}, stop_time=None)
                     if isinstance(a, dict)]
            marks["followers"] = iso(now)
            yield self.lines_batch("followers", lines, marks, f"@{me.get('acct')}: {len(lines)} followers")

    def _list_setting(self, key: str) -> list[str]:
        v = self.setting(key, []) or []
        return [v] if isinstance(v, str) else [str(x) for x in v]

    def _pages(self, path: str, params: dict[str, Any], *, stop_time: dt.datetime | None, stop_id: Any = None,
               time_of: Any = None) -> Iterator[Any]:
        """Items of a paginated list, newest first, until one at or before ``stop_time`` / ``stop_id``."""
        max_id, pages = None, 0
        time_of = time_of or (lambda item: parse_time(dig(item, "created_at")))
        while pages < int(self.setting("max_pages", 50)):
            r, items = self.answer("GET", path,
                                   params={**params, "limit": PAGE, **({"max_id": max_id} if max_id else {})})
            if not isinstance(items, list):
                raise MastodonError(path, r.status_code, "the response is not a list")
            pages += 1
            for item in items:
                if stop_id is not None and isinstance(item, dict) and not _newer(item.get("id"), stop_id):
                    return
                t = time_of(item)
                if stop_time is not None and t is not None and t <= stop_time:
                    return
                yield item
            max_id = _next_max_id(r) or (dig(items, len(items) - 1, "id") if len(items) >= PAGE else None)
            if not items or not max_id:
                return

    def _thread(self, status_id: str) -> list[dict[str, Any]]:
        """A direct message with the whole conversation around it (ancestors, itself, descendants)."""
        ctx = self.api("GET", f"/api/v1/statuses/{status_id}/context")
        itself = self.api("GET", f"/api/v1/statuses/{status_id}")
        return [s for s in [*(dig(ctx, "ancestors") or []), itself, *(dig(ctx, "descendants") or [])]
                if isinstance(s, dict) and s.get("visibility") == "direct"]

    # ---- lines: the flat fields of the live-jsonl mapping, the API item under "raw" ------------------------
    def _user(self, account: Any) -> dict[str, Any]:
        return {"as_user": isinstance(account, dict) or None, "user_id": dig(account, "id"),
                "user_name": dig(account, "display_name") or dig(account, "username"),
                "user_followers": dig(account, "followers_count"), "user_following": dig(account, "following_count"),
                "user_posts": dig(account, "statuses_count"), "user_description": plain_text(dig(account, "note")),
                "handle": dig(account, "acct"), "profile_url": dig(account, "url")}

    def _account_line(self, me: dict[str, Any]) -> dict[str, Any]:
        return {"as_account": True, "account_id": me.get("id"), "account_name": me.get("display_name") or me.get("acct"),
                "followers": me.get("followers_count"), "account_created": me.get("created_at"),
                "raw": {k: v for k, v in me.items() if k != "source"}}  # source: the account's private settings

    def _status_fields(self, s: Any) -> dict[str, Any]:
        media = dig(s, "media_attachments", 0, "type")
        spoiler = dig(s, "spoiler_text")
        text = plain_text(dig(s, "content"))
        return {"post_id": dig(s, "id"), "author_id": dig(s, "account", "id"), "created_at": dig(s, "created_at"),
                "text": f"{spoiler}\n\n{text}" if spoiler and text else text, "parent_id": dig(s, "in_reply_to_id"),
                "likes": dig(s, "favourites_count"), "comments": dig(s, "replies_count"),
                "reposts": dig(s, "reblogs_count"), "url": dig(s, "url") or dig(s, "uri"),
                "media_type": {"image": "image", "video": "video", "gifv": "video", "audio": "audio"}.get(
                    media, "other") if media else "text"}

    def _own_line(self, s: dict[str, Any], own: str) -> dict[str, Any]:
        f = self._status_fields(s)
        if s.get("visibility") == "direct":
            return self._dm_line(s, own)
        if not f["parent_id"]:
            return {"as_post": True, **f, "account_id": own, "is_ugc": False, "raw": s}
        return {"as_interaction": True, "interaction_id": f["post_id"], "type": "reply", "actor_id": own,
                "target_post_id": f["parent_id"], "target_user_id": s.get("in_reply_to_account_id"),
                "created_at": f["created_at"], "text": f["text"], "parent_id": f["parent_id"], "is_inbound": False,
                "by_staff": True, "url": f["url"], "raw": s}

    def _dm_line(self, s: dict[str, Any], own: str) -> dict[str, Any]:
        f = self._status_fields(s)
        mine = str(dig(s, "account", "id")) == own
        other = next((m.get("id") for m in dig(s, "mentions") or [] if isinstance(m, dict) and str(m.get("id")) != own),
                     None) if mine else own
        return {"as_interaction": True, "interaction_id": f["post_id"], "type": "dm",
                "actor_id": f["author_id"], "target_user_id": other, "created_at": f["created_at"],
                "text": f["text"], "parent_id": f["parent_id"], "is_inbound": not mine, "by_staff": mine,
                "url": f["url"], "raw": s, **({} if mine else self._user(dig(s, "account")))}

    def _ugc_line(self, s: dict[str, Any]) -> dict[str, Any]:
        return {"as_post": True, **self._status_fields(s), "is_ugc": True, **self._user(dig(s, "account")), "raw": s}

    def _notification_lines(self, n: dict[str, Any], own: str) -> list[dict[str, Any]]:
        kind, status, account = n.get("type"), n.get("status"), n.get("account")
        line: dict[str, Any] = {"as_interaction": True, "interaction_id": f"n{n.get('id')}", "type":
                                NOTIFICATION_TYPES[kind], "actor_id": dig(account, "id"),
                                "created_at": n.get("created_at"), "is_inbound": False, "by_staff": False, "raw": n,
                                **self._user(account)}  # fmt: skip
        if kind in ("favourite", "reblog"):
            line["target_post_id"] = dig(status, "id")
        elif kind == "follow":
            line |= {"target_user_id": own, "as_follow": True, "follower_id": dig(account, "id"), "followee_id": own,
                     "follow_created": n.get("created_at")}
        else:  # a mention: a comment, a reply in a thread, a direct message, or a mention of the account
            if dig(status, "visibility") == "direct":
                return [self._dm_line(status, own) | {"raw": n}]
            f = self._status_fields(status)
            parent = f["parent_id"]
            under_own = parent is not None and str(dig(status, "in_reply_to_account_id")) == own
            line |= {"interaction_id": f["post_id"], "text": f["text"], "is_inbound": True, "target_user_id": own,
                     "created_at": f["created_at"] or n.get("created_at"), "url": f["url"],
                     "type": "comment" if under_own else "reply" if parent else "mention",
                     # a reply straight under an own status starts a conversation; a reply to a reply continues it
                     "parent_id": None if under_own else parent, "target_post_id": parent}
            if parent is None:  # a mention: also a post about the brand (UGC) for the content analyses
                return [line, {"as_post": True, **f, "is_ugc": True, "raw": n}]
        return [line]

    # ---- stream ---------------------------------------------------------------------------------------------
    streams = True

    def streaming_base(self) -> str:
        """Where the streaming API answers: ``streaming`` in hudong.toml, else what the server says
        (``/api/v2/instance`` → ``configuration.urls.streaming``, often a host of its own), else the instance."""
        given = self.setting("streaming")
        if not given:
            try:
                given = dig(self.api("GET", "/api/v2/instance"), "configuration", "urls", "streaming")
            except HudongError:
                given = None
        base = str(given or self.instance).rstrip("/")
        return "http" + base[2:] if base.startswith("ws") else base  # wss://… → https://… (the SSE endpoints)

    def watch(self, stop: threading.Event) -> Iterator[str]:
        """The user stream (``GET /api/v1/streaming/user``, Server-Sent Events): each ``update`` (home timeline,
        our own statuses), ``notification`` (mentions, DMs, favourites, boosts, follows), ``conversation`` or
        ``delete`` event wakes a sync. Heartbeats (``:thump``) keep the read alive; no event nor heartbeat for
        ``stream_timeout_seconds`` (60) is a dropped stream."""
        token = str(self.secrets.require("token"))
        url = self.streaming_base() + "/api/v1/streaming/user"
        timeout = httpx.Timeout(10.0, read=float(self.setting("stream_timeout_seconds", 60)))
        with httpx.Client(timeout=timeout) as client, client.stream(
                "GET", url, headers={"authorization": f"Bearer {token}", "accept": "text/event-stream"}) as r:
            if r.status_code == 401:
                raise CredentialsRefused(f"connector {self.name}: Mastodon ({self.instance}) refused the access "
                                         f"token on the streaming API; run `hudong connect {self.name}`")
            if r.status_code != 200:
                raise MastodonError("/api/v1/streaming/user", r.status_code, r.read().decode(errors="replace")[:200])
            yield CONNECTED
            event = None
            for line in r.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in STREAM_EVENTS:
                    yield event
                    event = None
                elif not line:
                    event = None

    # ---- act ------------------------------------------------------------------------------------------------
    def act(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
            **params: Any) -> dict[str, Any]:
        if action not in self.capabilities or action.startswith("read_"):
            return super().act(action, idempotency_key=idempotency_key, target=target, text=text, **params)
        if action == "delete":
            r = self.request("DELETE", f"/api/v1/statuses/{target}")
            if r.status_code not in (200, 404):  # 404: already gone
                raise MastodonError("DELETE /api/v1/statuses", r.status_code, json_object(r).get("error") or "")
            return {"platform_id": target, "url": None}
        if action in ("like", "repost"):
            self._subject(target)
            s = self.api("POST", f"/api/v1/statuses/{target}/{'favourite' if action == 'like' else 'reblog'}")
            return {"platform_id": str(dig(s, "id") or target), "url": dig(s, "url")}
        if action == "follow":
            account = self._account(str(target or ""))
            self.api("POST", f"/api/v1/accounts/{account}/follow")
            return {"platform_id": account, "url": None}
        status = self._status_body(action, target, text, params)
        s = self.api("POST", "/api/v1/statuses", data=status, headers={"Idempotency-Key": idempotency_key})
        return {"platform_id": str(s.get("id")), "url": s.get("url")}

    def confirm(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
                **params: Any) -> dict[str, Any] | None:
        """Whether a status action went out: the account's own recent statuses (or, for a direct message, the
        conversation) holding its text, answering its target, posted after it was queued."""
        if action not in ("reply", "message", "publish"):
            return None
        queued = parse_time(params.get("queued_at")) or dt.datetime.min.replace(tzinfo=dt.UTC)
        want = (text or "").strip()
        if action == "message":
            candidates = self._thread(str(target))
        else:
            candidates = self.api("GET", f"/api/v1/accounts/{self.me().get('id')}/statuses", params={"limit": PAGE})
        own = str(self.me().get("id"))
        for s in candidates or []:
            t = parse_time(dig(s, "created_at"))
            if (str(dig(s, "account", "id")) == own and t is not None and t >= queued - dt.timedelta(minutes=1)
                    and want in (plain_text(dig(s, "content")) or "")
                    and (action == "publish" or str(dig(s, "in_reply_to_id")) == str(target))):
                return {"platform_id": str(s.get("id")), "url": s.get("url")}
        return None

    def _subject(self, status_id: str | None) -> dict[str, Any]:
        """The status acted on, as the server sees it now: refused clearly when deleted or when its author and the
        account block each other."""
        if not status_id:
            raise HudongError(f"connector {self.name}: the action needs a target status id")
        r = self.request("GET", f"/api/v1/statuses/{status_id}")
        if r.status_code == 404:
            raise HudongError(f"the message {status_id} was deleted on Mastodon (or is no longer visible)")
        if r.status_code >= 300:
            raise MastodonError("/api/v1/statuses", r.status_code, json_object(r).get("error") or "")
        s = r.json()
        author = dig(s, "account", "id")
        rel = self.api("GET", "/api/v1/accounts/relationships", params={"id[]": [author]}) if author else []
        rel = rel[0] if isinstance(rel, list) and rel else {}
        if dig(rel, "blocked_by") or dig(rel, "blocking"):
            raise HudongError(f"@{dig(s, 'account', 'acct')} and the account block each other on Mastodon: the "
                              "action cannot reach them")
        return s

    def _status_body(self, action: str, target: str | None, text: str | None, params: dict[str, Any]
                     ) -> dict[str, Any]:
        text = (text or "").strip()
        body: dict[str, Any] = {"visibility": str(params.get("visibility") or self.setting("visibility", "public"))}
        if action in ("reply", "message"):
            parent = self._subject(target)
            acct = dig(parent, "account", "acct")
            if acct and f"@{acct}" not in text.split():  # mentioned, so the person is notified
                text = f"@{acct} {text}"
            body["in_reply_to_id"] = parent.get("id")
            seen = str(parent.get("visibility") or "public")  # answered as privately as it was asked
            body["visibility"] = "direct" if action == "message" else (
                seen if seen in ("direct", "private", "unlisted") else "public")
        if not text and not params.get("images"):
            raise HudongError("a Mastodon status needs text or an image")
        limit = self._max_characters()
        if len(text) > limit:
            raise HudongError(f"statuses on {self.instance} hold at most {limit} characters; this one has {len(text)}")
        body["status"] = text
        if params.get("langs"):
            body["language"] = list(params["langs"])[0]
        images = list(params.get("images") or [])[:4]
        if images:
            alts = list(params.get("alt") or [])
            body["media_ids[]"] = [self._upload(Path(p), alts[i] if i < len(alts) else "") for i, p in enumerate(images)]
        return body

    def _max_characters(self) -> int:
        try:
            info = self.api("GET", "/api/v2/instance")
        except MastodonError:
            return DEFAULT_MAX_CHARACTERS
        n = dig(info, "configuration", "statuses", "max_characters")
        return int(n) if isinstance(n, int) and n > 0 else DEFAULT_MAX_CHARACTERS

    def _upload(self, path: Path, alt: str) -> str:
        if not path.is_file():
            raise HudongError(f"image {path} not found")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        m = self.api("POST", "/api/v2/media", files={"file": (path.name, path.read_bytes(), mime)},
                     data={"description": alt})
        media_id = str(m.get("id"))
        deadline = time.monotonic() + 60
        while not m.get("url") and time.monotonic() < deadline:  # 202: the server is still processing it
            time.sleep(1)
            m = self.api("GET", f"/api/v1/media/{media_id}")
        return media_id

    def _account(self, target: str) -> str:
        if target.isdigit():
            return target
        found = self.request("GET", "/api/v1/accounts/lookup", params={"acct": target.lstrip("@")})
        if found.status_code != 200:
            raise HudongError(f"connector {self.name}: no Mastodon account {target!r}")
        return str(found.json().get("id"))


def _next_max_id(r: httpx.Response) -> str | None:
    """max_id of the Link header's rel=next (the server's own paging cursor, e.g. for followers)."""
    nxt = r.links.get("next", {}).get("url")
    if not nxt:
        return None
    ids = parse_qs(urlparse(nxt).query).get("max_id")
    return ids[0] if ids else None


__all__ = ["MastodonConnector", "MastodonError", "plain_text"]
