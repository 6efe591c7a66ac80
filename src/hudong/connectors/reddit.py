"""The Reddit connector: one Reddit account (a "script" app of the account), its inbox and the subreddits it watches.

    [connectors.rd]
    type = "reddit"
    username = "acme_official"           # the account
    subreddits = ["acmecoffee"]          # watched: new submissions and comments (optional)
    search = ["acme"]                    # Reddit-wide search of submissions, newest first (optional)
    publish_to = "acmecoffee"            # the subreddit `publish` posts to (optional)
    backfill_days = 30                   # first run: how far back (default 30); `hudong sync --since` overrides
    refresh_days = 7                     # own submissions this recent are re-read each run for fresh scores

    # secrets (environment HUDONG_RD_CLIENT_ID …, or [rd] in secrets.toml, mode 0600): client_id and
    # client_secret of the app made at reddit.com/prefs/apps (type "script"), and the account's password.

What each run fetches, one import batch per stream: the account (accounts: its profile's subscribers), its
submissions (posts), its comments (the staff replies that stop the response clock) and sent messages (staff DMs),
the inbox (post replies → comments, comment replies → replies in a thread, username mentions, private messages →
DMs), the watched subreddits' new submissions and comments (UGC posts, comments with their parent and thread, so
the discussion trees are cascades) and the search results. Every list is read newest first until an item at or
before the stream's mark (the newest ``created_utc`` stored); what is re-read is upserted by key. People are
identified by their user name (Reddit's messages name the recipient only by it).

Actions: reply (to a submission, comment or private message), message (a reply to a private message, or a new
one to a user name), publish (a text post: the first line is the title), delete. Reddit has no idempotency key:
before a resend, ``confirm`` looks for the reply among the account's own comments or sent messages.

Why httpx and not PRAW: the same request policy as every connector (``connectors/http.py``; Reddit's
``x-ratelimit-remaining/reset`` headers, ``Retry`` handed to the outbox), each item's raw JSON kept for the
quarantine, and a dozen plain calls; PRAW adds its own rate-limit sleeping and lazy objects that fetch on
attribute access.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

from hudong.connectors.base import Batch, Connector, CredentialsRefused, Retry
from hudong.connectors.http import Http
from hudong.connectors.payload import dig, json_object
from hudong.errors import HudongError

API = "https://oauth.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
PAGE = 100
_FULLNAME = re.compile(r"^t[1-6]_[0-9a-z]+$")  # t1_ comment, t3_ submission, t4_ message …


class RedditError(HudongError):
    pass


def _time(value: Any) -> str | None:
    """created_utc (epoch seconds) as ISO 8601 UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC).isoformat()
    return None


class RedditConnector(Connector):
    kind = "reddit"
    platform = "reddit"
    capabilities = frozenset({"read_posts", "read_comments", "read_mentions", "read_dms", "reply", "message",
                              "publish", "delete"})
    idempotent_actions = frozenset({"delete"})  # replies and messages: confirm() looks before a resend
    undoable = frozenset({"reply", "publish"})  # delete takes them back

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._http: Http | None = None
        self._auth: Http | None = None
        self._token: str | None = None

    @property
    def username(self) -> str:
        return str(self.setting("username", required=True)).removeprefix("u/").removeprefix("/u/")

    def _client(self, base: str) -> Http:
        ua = str(self.setting("user_agent", f"hudong:{self.name}:1.0 (by /u/{self.username})"))
        return Http(base, who=f"connector {self.name} (Reddit)", timeout=float(self.setting("timeout_seconds", 20)),
                    max_wait=float(self.setting("max_wait_seconds", 60)), headers={"user-agent": ua})

    @property
    def http(self) -> Http:
        if self._http is None:
            self._http = self._client(str(self.setting("api", API)).rstrip("/"))
        return self._http

    @property
    def auth_http(self) -> Http:
        if self._auth is None:
            self._auth = self._client(str(self.setting("token_url", TOKEN_URL)).rsplit("/api/", 1)[0])
        return self._auth

    # ---- requests -------------------------------------------------------------------------------------------
    def _login(self) -> str:
        cid, secret = self.secrets.require("client_id"), self.secrets.require("client_secret")
        r = self.auth_http.request("POST", "/api/v1/access_token", auth=(str(cid), str(secret)),
                                   data={"grant_type": "password", "username": self.username,
                                         "password": str(self.secrets.require("password"))})
        body = json_object(r)
        if r.status_code == 401 or body.get("error") or not body.get("access_token"):
            why = "the app's client id or secret" if r.status_code == 401 else "the user name or password"
            raise CredentialsRefused(f"connector {self.name}: Reddit refused {why} for u/{self.username} "
                                     f"({body.get('error') or body.get('message') or r.status_code}); fix the "
                                     f"secrets, then run `hudong connect {self.name}`")
        self._token = str(body["access_token"])
        return self._token

    def request(self, method: str, path: str, **kw: Any) -> Any:
        for attempt in (1, 2):
            token = self._token or self._login()
            r = self.http.request(method, path, headers={"authorization": f"bearer {token}"}, **kw)
            if r.status_code == 401 and attempt == 1:  # the hour-long token expired: sign in again
                self._token = None
                continue
            if r.status_code == 401:
                raise CredentialsRefused(f"connector {self.name}: Reddit refused u/{self.username}; run "
                                         f"`hudong connect {self.name}`")
            if r.status_code >= 300:
                raise RedditError(f"Reddit {path}: HTTP {r.status_code}: {r.text[:200]}")
            try:
                return r.json()
            except ValueError:
                raise RedditError(f"Reddit {path}: not JSON: {r.text[:200]!r}") from None
        raise AssertionError("unreachable")

    def reset(self) -> None:
        self._token = None

    def check(self) -> str:
        me = self.request("GET", "/api/v1/me")
        return (f"Reddit u/{me.get('name')} ({me.get('id')}): {dig(me, 'subreddit', 'subscribers') or 0} "
                f"followers; watching {', '.join('r/' + s for s in self._list('subreddits')) or 'no subreddit'}")

    def _list(self, key: str) -> list[str]:
        v = self.setting(key, []) or []
        return [v] if isinstance(v, str) else [str(x) for x in v]

    # ---- fetch ----------------------------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        marks: dict[str, Any] = json.loads(cursor) if cursor else {}
        now = dt.datetime.now(dt.UTC).timestamp()
        start = self.since.timestamp() if self.since else now - 86400 * float(self.setting("backfill_days", 30))
        refresh = now - 86400 * float(self.setting("refresh_days", 7))
        me = self.request("GET", "/api/v1/me")
        name = str(me.get("name") or self.username)
        yield self.lines_batch("profile", [{"as_account": True, "account_id": name, "account_name": f"u/{name}",
                                       "followers": dig(me, "subreddit", "subscribers"),
                                       "account_created": _time(me.get("created_utc")), "raw": me}], marks,
                          f"u/{name}: profile")

        def mark(key: str) -> float:
            m = marks.get(key)
            return start if self.since or not isinstance(m, int | float) else float(m)

        streams: list[tuple[str, str, dict[str, Any], float, Any]] = [
            ("submitted", f"/user/{name}/submitted", {}, min(mark("submitted"), refresh),
             lambda d, k: [self._post_line(d, own=True)]),
            ("comments", f"/user/{name}/comments", {}, mark("comments"), lambda d, k: [self._staff_reply(d, name)]),
            ("sent", "/message/sent", {}, mark("sent"), lambda d, k: [self._dm_line(d, name)]),
            ("inbox", "/message/inbox", {}, mark("inbox"), lambda d, k: self._inbox_lines(d, k, name)),
        ]
        for sub in self._list("subreddits"):
            sub = sub.removeprefix("r/")
            streams.append((f"r/{sub}/new", f"/r/{sub}/new", {}, mark(f"r/{sub}/new"),
                            lambda d, k: [self._post_line(d, own=False)]))
            streams.append((f"r/{sub}/comments", f"/r/{sub}/comments", {}, mark(f"r/{sub}/comments"),
                            lambda d, k: [self._comment_post(d)]))
        for term in self._list("search"):
            streams.append((f"search:{term}", "/search", {"q": term, "sort": "new", "type": "link"},
                            mark(f"search:{term}"), lambda d, k: [self._post_line(d, own=False)]))
        for key, path, params, stop, to_lines in streams:
            lines, newest = [], None
            for kind, d in self._pages(path, params, stop):
                newest = max(newest or 0.0, float(d.get("created_utc") or 0))
                if key.startswith(("r/", "search:")) and d.get("author") == name:
                    continue  # the account's own posts and comments come from its own streams
                lines.extend(to_lines(d, kind))
            marks[key] = newest or marks.get(key)
            yield self.lines_batch(key.replace("/", "_").replace(":", "_"), lines, marks, f"{key}: {len(lines)} items")

    def _pages(self, path: str, params: dict[str, Any], stop: float) -> Iterator[tuple[str, dict[str, Any]]]:
        after, pages = None, 0
        while pages < int(self.setting("max_pages", 50)):
            data = self.request("GET", path, params={**params, "limit": PAGE, "raw_json": 1,
                                                     **({"after": after} if after else {})})
            children = dig(data, "data", "children")
            if not isinstance(children, list):
                raise RedditError(f"Reddit {path}: the response is not a listing")
            pages += 1
            for child in children:
                d = dig(child, "data")
                if not isinstance(d, dict):
                    d = {"raw_item": child}
                t = d.get("created_utc")
                if isinstance(t, int | float) and t <= stop:
                    return
                yield str(dig(child, "kind")), d
            after = dig(data, "data", "after")
            if not after or not children:
                return

    # ---- lines ----------------------------------------------------------------------------------------------
    def _url(self, d: dict[str, Any]) -> str | None:
        link = d.get("permalink") or d.get("context")
        return f"https://www.reddit.com{link}" if isinstance(link, str) and link.startswith("/") else None

    def _person(self, who: Any) -> dict[str, Any]:
        ok = isinstance(who, str) and who and who != "[deleted]"
        return {"as_user": True if ok else None, "user_id": who if ok else None,
                "handle": who if ok else None, "profile_url": f"https://www.reddit.com/user/{who}" if ok else None}

    def _post_line(self, d: dict[str, Any], own: bool) -> dict[str, Any]:
        text = "\n\n".join(x for x in (d.get("title"), d.get("selftext")) if isinstance(x, str) and x)
        return {"as_post": True, "post_id": d.get("name"), "author_id": d.get("author"), "created_at":
                _time(d.get("created_utc")), "text": text or None, "likes": d.get("score"),
                "comments": d.get("num_comments"), "reposts": d.get("num_crossposts"), "url": self._url(d),
                "media_type": "text" if d.get("is_self", True) else "link", "is_ugc": not own,
                **({"account_id": d.get("author")} if own else self._person(d.get("author"))),
                "raw": d}  # fmt: skip

    def _comment_post(self, d: dict[str, Any]) -> dict[str, Any]:
        """A comment in a watched subreddit: a UGC post in its discussion tree (parent, thread root)."""
        return {"as_post": True, "post_id": d.get("name"), "author_id": d.get("author"),
                "created_at": _time(d.get("created_utc")), "text": d.get("body"), "parent_id": d.get("parent_id"),
                "root_id": d.get("link_id"), "likes": d.get("score"), "url": self._url(d), "media_type": "text",
                "is_ugc": True, **self._person(d.get("author")), "raw": d}

    def _staff_reply(self, d: dict[str, Any], me: str) -> dict[str, Any]:
        parent = d.get("parent_id")
        return {"as_interaction": True, "interaction_id": d.get("name"), "type": "reply", "actor_id": me,
                "target_post_id": d.get("link_id"), "created_at": _time(d.get("created_utc")), "text": d.get("body"),
                "parent_id": parent, "is_inbound": False, "by_staff": True, "url": self._url(d), "raw": d}

    def _dm_line(self, d: dict[str, Any], me: str) -> dict[str, Any]:
        mine = d.get("author") == me
        return {"as_interaction": True, "interaction_id": d.get("name"), "type": "dm",
                "actor_id": d.get("author") if d.get("author") != "[deleted]" else None,
                "target_user_id": d.get("dest") if mine else me, "created_at": _time(d.get("created_utc")),
                "text": "\n\n".join(x for x in (None if d.get("parent_id") else d.get("subject"), d.get("body"))
                                    if isinstance(x, str) and x) or None,
                "parent_id": d.get("parent_id"), "is_inbound": not mine, "by_staff": mine, "raw": d,
                **({} if mine else self._person(d.get("author")))}

    def _inbox_lines(self, d: dict[str, Any], kind_of_thing: str, me: str) -> list[dict[str, Any]]:
        if kind_of_thing == "t4" or d.get("was_comment") is False:
            return [self._dm_line(d, me)]
        kind = d.get("type")
        author = d.get("author") if d.get("author") != "[deleted]" else None
        line = {"as_interaction": True, "interaction_id": d.get("name"), "actor_id": author,
                "created_at": _time(d.get("created_utc")), "text": d.get("body"), "is_inbound": True,
                "by_staff": False, "target_user_id": me, "target_post_id": d.get("link_id"), "url": self._url(d),
                "raw": d, **self._person(d.get("author"))}
        if kind == "post_reply":  # straight under the account's submission: a conversation starts
            return [line | {"type": "comment", "parent_id": None}]
        if kind == "comment_reply":
            return [line | {"type": "reply", "parent_id": d.get("parent_id")}]
        # a username mention: also a post about the brand, in its discussion tree
        return [line | {"type": "mention", "parent_id": None}, self._comment_post(d)]

    # ---- act ------------------------------------------------------------------------------------------------
    def act(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
            **params: Any) -> dict[str, Any]:
        if action not in self.capabilities or action.startswith("read_"):
            return super().act(action, idempotency_key=idempotency_key, target=target, text=text, **params)
        text = (text or "").strip()
        if action == "delete":
            self.request("POST", "/api/del", data={"id": target})
            return {"platform_id": target, "url": None}
        if action == "publish":
            sr = params.get("subreddit") or self.setting("publish_to")
            if not sr:
                raise HudongError(f"connector {self.name}: publishing needs a subreddit (publish_to in hudong.toml)")
            title, _, body = text.partition("\n")
            out = self._result("/api/submit", self.request("POST", "/api/submit", data={
                "sr": str(sr).removeprefix("r/"), "kind": "self", "title": title.strip(), "text": body.strip(),
                "api_type": "json"}))
            return {"platform_id": dig(out, "name"), "url": dig(out, "url")}
        if not text:
            raise HudongError(f"a Reddit {action} needs a text")
        if action == "message" and target and not _FULLNAME.match(target):  # a new message to a user name
            self._result("/api/compose", self.request("POST", "/api/compose", data={
                "to": target.removeprefix("u/"), "subject": str(params.get("subject") or "Message"), "text": text,
                "api_type": "json"}))
            return {"platform_id": None, "url": None}
        self._subject(target)
        out = self._result("/api/comment", self.request("POST", "/api/comment", data={
            "thing_id": target, "text": text, "api_type": "json"}))
        made = dig(out, "things", 0, "data") or {}
        return {"platform_id": made.get("name"), "url": self._url(made)}

    def _result(self, path: str, body: Any) -> Any:
        """Reddit's ``{"json": {"errors": [[CODE, message, field]], "data": …}}``: the data, or the errors said."""
        errors = dig(body, "json", "errors") or []
        if errors:
            said = "; ".join(f"{e[0]}: {e[1]}" if isinstance(e, list) and len(e) > 1 else str(e) for e in errors)
            if any(isinstance(e, list) and e and e[0] == "RATELIMIT" for e in errors):
                raise Retry(f"Reddit {path}: {said}", after=60)
            raise HudongError(f"Reddit refused it: {said}")
        return dig(body, "json", "data")

    def _subject(self, fullname: str | None) -> dict[str, Any]:
        """What is answered, as Reddit shows it now: refused clearly when deleted or removed or its thread locked."""
        if not fullname or "_" not in fullname:
            raise HudongError(f"connector {self.name}: the action needs a Reddit fullname (t1_…, t3_…, t4_…)")
        if fullname.startswith("t4_"):
            return {}
        found = dig(self.request("GET", "/api/info", params={"id": fullname, "raw_json": 1}), "data", "children") or []
        d = dig(found, 0, "data")
        if not isinstance(d, dict) or d.get("author") == "[deleted]" or d.get("body") in ("[deleted]", "[removed]"):
            raise HudongError(f"the message {fullname} was deleted or removed on Reddit")
        if d.get("locked"):
            raise HudongError(f"the thread of {fullname} is locked on Reddit: replies are closed")
        return d

    def confirm(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
                **params: Any) -> dict[str, Any] | None:
        """Whether a reply or message went out: the account's own comments or sent messages, newest first."""
        if action not in ("reply", "message"):
            return None
        want = (text or "").strip()
        path = "/message/sent" if action == "message" or (target or "").startswith("t4_") else \
            f"/user/{self.username}/comments"
        listing = self.request("GET", path, params={"limit": PAGE, "raw_json": 1})
        new_message_to = None if _FULLNAME.match(target or "") else (target or "").removeprefix("u/")
        for child in dig(listing, "data", "children") or []:
            d = dig(child, "data") or {}
            answers = d.get("dest") == new_message_to if new_message_to else d.get("parent_id") == target
            if (d.get("body") or "").strip() == want and answers:
                return {"platform_id": d.get("name"), "url": self._url(d)}
        return None
