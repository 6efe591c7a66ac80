"""A stand-in Reddit API server for the Reddit connector's tests (no Reddit server can be installed or reached here).

It serves, on loopback, the part of the documented API (https://www.reddit.com/dev/api/) the connector uses, in
Reddit's response shapes: the OAuth "script app" token (``POST /api/v1/access_token``, HTTP basic auth, password
grant), ``/api/v1/me``, listings (``{"kind": "Listing", "data": {"after", "children": [{"kind": "t3"|"t1"|"t4",
"data": …}]}}``, newest first, ``limit``/``after``) of ``/r/SUB/new``, ``/r/SUB/comments``, ``/search``,
``/user/NAME/submitted|comments``, ``/message/inbox|sent``, ``/api/info``, and the actions ``/api/comment``,
``/api/compose``, ``/api/submit``, ``/api/del`` with Reddit's ``{"json": {"errors": [[CODE, message, field]]}}``.
Every response carries ``x-ratelimit-used/remaining/reset`` (seconds). Test hooks: ``fail(path, status, n,
headers)``, ``revoke(user)``, ``block(blocker, blocked)``, ``delete(fullname)`` and the people's own actions
(``post``, ``comment``, ``message``). The shapes follow the documentation and PRAW's parsers; it is a stand-in,
not a recording (docs/connectors.md says so).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from conftest import LoopbackHTTP

CLIENT = ("hudong-client", "hudong-secret")
_ids = itertools.count(1_000_000)


def _b36(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n, 36)
        s = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + s
    return s or "0"


class Reddit(LoopbackHTTP):
    def __init__(self, users: dict[str, str]):
        self.users = {u: {"password": p, "id": _b36(next(_ids))} for u, p in users.items()}
        self.tokens: dict[str, str] = {}
        self.things: dict[str, dict[str, Any]] = {}  # fullname → {"kind", "data"}
        self.blocks: set[tuple[str, str]] = set()
        self.faults: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.serve(self._handler())

    # ---- what people do on Reddit ----------------------------------------------------------------------------
    def _new(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        tid = _b36(next(_ids))
        base = {"id": tid, "name": f"{kind}_{tid}", "created_utc": time.time(), "score": 1}
        thing = {"kind": kind, "data": base | data}
        with self.lock:
            self.things[thing["data"]["name"]] = thing
        return thing["data"]

    def _author(self, who: str) -> dict[str, Any]:
        return {"author": who, "author_fullname": f"t2_{self.users[who]['id']}"}

    def post(self, who: str, sub: str, title: str, text: str = "") -> dict[str, Any]:
        made = self._new("t3", {**self._author(who), "subreddit": sub, "title": title, "selftext": text,
                                "num_comments": 0, "locked": False, "is_self": True})
        made["permalink"] = f"/r/{sub}/comments/{made['id']}/"
        return made

    def comment(self, who: str, parent: str, body: str) -> dict[str, Any]:
        p = self.things[parent]["data"]
        if (p.get("author"), who) in self.blocks:
            raise PermissionError("blocked")
        link = parent if parent.startswith("t3_") else p["link_id"]
        c = self._new("t1", {**self._author(who), "body": body, "parent_id": parent, "link_id": link,
                             "subreddit": p.get("subreddit"), "permalink": f"/r/{p.get('subreddit')}/comments/x/"})
        self.things[link]["data"]["num_comments"] += 1
        return c

    def message(self, who: str, to: str, subject: str, body: str, parent: str | None = None) -> dict[str, Any]:
        first = self.things[parent]["data"].get("first_message_name") or parent if parent else None
        return self._new("t4", {**self._author(who), "dest": to, "subject": subject, "body": body,
                                "parent_id": parent, "first_message_name": first, "was_comment": False})

    def delete(self, fullname: str) -> None:
        d = self.things[fullname]["data"]
        d.update(author="[deleted]", author_fullname=None, body="[deleted]", selftext="[deleted]")

    def block(self, blocker: str, blocked: str) -> None:
        self.blocks.add((blocker, blocked))

    def revoke(self, user: str) -> None:
        with self.lock:
            self.tokens = {t: u for t, u in self.tokens.items() if u != user}
            self.users[user]["password"] = "changed"

    def fail(self, path: str, status: int, n: int = 1, headers: dict[str, str] | None = None,
             body: Any = None) -> None:
        """The next ``n`` requests whose path starts with ``path`` answer ``status`` (``body``, ``headers``)."""
        self.faults.append({"path": path, "status": status, "n": n, "headers": headers or {}, "body": body})

    # ---- what the API shows ----------------------------------------------------------------------------------
    def _listing(self, items: list[dict[str, Any]], q: dict[str, str]) -> dict[str, Any]:
        items = sorted(items, key=lambda t: t["data"]["created_utc"], reverse=True)
        if q.get("after"):
            names = [t["data"]["name"] for t in items]
            items = items[names.index(q["after"]) + 1:] if q["after"] in names else []
        limit = min(int(q.get("limit", 25)), 100)
        page = items[:limit]
        after = page[-1]["data"]["name"] if len(items) > limit else None
        return {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(page), "children": page}}

    def _inbox_item(self, t: dict[str, Any], me: str) -> dict[str, Any]:
        if t["kind"] == "t4":
            return t
        d = t["data"]
        parent = self.things[d["parent_id"]]["data"]
        kind = "post_reply" if d["parent_id"].startswith("t3_") else "comment_reply"
        if parent.get("author") != me:
            kind = "username_mention"
        link = self.things[d["link_id"]]["data"]
        return {"kind": "t1", "data": d | {"type": kind, "was_comment": True, "link_title": link["title"],
                                          "context": f"/r/{d['subreddit']}/comments/{link['id']}/x/{d['id']}/"}}

    def get(self, path: str, q: dict[str, str], me: str) -> Any:
        things = list(self.things.values())
        if path == "/api/v1/me":
            return {"name": me, "id": self.users[me]["id"], "created_utc": 1.6e9, "link_karma": 1,
                    "subreddit": {"display_name": f"u_{me}", "subscribers": 3}}
        if path.startswith("/r/") and path.endswith("/new"):
            sub = path.split("/")[2]
            return self._listing([t for t in things if t["kind"] == "t3" and t["data"]["subreddit"] == sub], q)
        if path.startswith("/r/") and path.endswith("/comments"):
            sub = path.split("/")[2]
            return self._listing([t for t in things if t["kind"] == "t1" and t["data"]["subreddit"] == sub], q)
        if path == "/search":
            term = q.get("q", "").lower()
            return self._listing([t for t in things if t["kind"] == "t3" and term in
                                  (t["data"]["title"] + " " + t["data"]["selftext"]).lower()], q)
        if path.startswith("/user/"):
            _, _, name, what = path.split("/")[:4]
            kind = {"submitted": "t3", "comments": "t1"}[what]
            return self._listing([t for t in things if t["kind"] == kind and t["data"]["author"] == name], q)
        if path == "/message/inbox":
            mine = []
            for t in things:
                d = t["data"]
                if t["kind"] == "t4" and d["dest"] == me:
                    mine.append(t)
                elif t["kind"] == "t1" and d["author"] != me and (
                        self.things[d["parent_id"]]["data"].get("author") == me or f"u/{me}" in d["body"]):
                    mine.append(self._inbox_item(t, me))
            return self._listing(mine, q)
        if path == "/message/sent":
            return self._listing([t for t in things if t["kind"] == "t4" and t["data"]["author"] == me], q)
        if path == "/api/info":
            ids = q.get("id", "").split(",")
            return {"kind": "Listing", "data": {"after": None, "children": [self.things[i] for i in ids
                                                                             if i in self.things]}}
        return None

    def post_action(self, path: str, form: dict[str, str], me: str) -> Any:
        def errors(*e: tuple[str, str, str]) -> dict[str, Any]:
            return {"json": {"errors": [list(x) for x in e]}}

        if path == "/api/comment":
            parent = self.things.get(form.get("thing_id", ""))
            text = form.get("text", "")
            if parent is None:
                return errors(("INVALID_ID", "that thing does not exist", "thing_id"))
            if parent["data"].get("author") == "[deleted]":
                return errors(("DELETED_COMMENT", "that comment has been deleted", "parent"))
            if self.things.get(parent["data"].get("link_id") or "", {}).get("data", {}).get("locked"):
                return errors(("THREAD_LOCKED", "that thread is locked", "parent"))
            if len(text) > 10000:
                return errors(("TOO_LONG", "this is too long (max: 10000)", "text"))
            try:
                if parent["kind"] == "t4":
                    p = parent["data"]
                    other = p["author"] if p["author"] != me else p["dest"]
                    made = self.message(me, other, "re: " + p["subject"], text, parent=p["name"])
                else:
                    made = self.comment(me, parent["data"]["name"], text)
            except PermissionError:
                return errors(("USER_BLOCKED", "you can't reply to this user", "parent"))
            return {"json": {"errors": [], "data": {"things": [self.things[made["name"]]]}}}
        if path == "/api/compose":
            if form.get("to") not in self.users:
                return errors(("USER_DOESNT_EXIST", "that user doesn't exist", "to"))
            self.message(me, form["to"], form.get("subject", ""), form.get("text", ""))
            return {"json": {"errors": []}}
        if path == "/api/submit":
            made = self.post(me, form.get("sr", ""), form.get("title", ""), form.get("text", ""))
            return {"json": {"errors": [], "data": {"name": made["name"], "id": made["id"],
                                                    "url": f"https://www.reddit.com/r/{form.get('sr')}/comments/"
                                                           f"{made['id']}/"}}}
        if path == "/api/del":
            if form.get("id") in self.things:
                self.delete(form["id"])
            return {}
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("x-ratelimit-used", "1")
                self.send_header("x-ratelimit-remaining", "599.0")
                self.send_header("x-ratelimit-reset", "300")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _route(self, method: str) -> None:
                u = urlparse(self.path)
                path = u.path.removesuffix(".json").rstrip("/") or "/"
                q = {k: v[-1] for k, v in parse_qs(u.query).items()}
                length = int(self.headers.get("content-length") or 0)
                form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()} if length else {}
                server.requests.append(f"{method} {path}")
                for f in server.faults:
                    if f["n"] > 0 and path.startswith(f["path"]):
                        f["n"] -= 1
                        return self._send(f["status"], f["body"] if f["body"] is not None else
                                          {"message": "Internal Server Error", "error": f["status"]}, f["headers"])
                if path == "/api/v1/access_token":
                    auth = base64.b64decode(self.headers.get("authorization", "Basic ").split()[-1] or b"").decode()
                    if tuple(auth.split(":", 1)) != CLIENT:
                        return self._send(401, {"message": "Unauthorized", "error": 401})
                    user = server.users.get(form.get("username", ""))
                    if form.get("grant_type") != "password" or not user or user["password"] != form.get("password"):
                        return self._send(200, {"error": "invalid_grant"})  # sic: Reddit answers 200
                    token = f"tok-{_b36(next(_ids))}"
                    server.tokens[token] = form["username"]
                    return self._send(200, {"access_token": token, "token_type": "bearer", "expires_in": 86400,
                                            "scope": "*"})
                me = server.tokens.get(self.headers.get("authorization", "").removeprefix("bearer ").strip())
                if me is None:
                    return self._send(401, {"message": "Unauthorized", "error": 401})
                body = server.get(path, q, me) if method == "GET" else server.post_action(path, form, me)
                if body is None:
                    return self._send(404, {"message": "Not Found", "error": 404})
                return self._send(200, body)

            def do_GET(self) -> None:  # noqa: N802
                self._route("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._route("POST")

        return Handler
