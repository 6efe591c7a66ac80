"""A stand-in Weibo open-platform server for the Weibo connector's tests (no Weibo server can be installed or reached).

It serves, on loopback, the part of the documented API v2 (open.weibo.com/wiki/微博API) the connector uses, in
Weibo's response shapes: OAuth 2.0 (``POST /oauth2/access_token`` with the authorization code, a code working
once; ``POST /oauth2/get_token_info``), ``/2/users/show.json``, the lists ``statuses/user_timeline``,
``statuses/mentions``, ``statuses/repost_timeline`` (``{"statuses"|"reposts": [...], "total_number"}``) and
``comments/to_me|by_me|mentions`` (``{"comments": [...]}``), newest first, ``count``/``page``;
``comments/show_batch`` (a list), and the actions ``comments/create``, ``comments/reply`` (the reply's text
prefixed ``回复@name:`` as Weibo shows it), ``statuses/repost`` and ``statuses/share`` (open.weibo.com/wiki/2/statuses/share:
``status`` must hold a link under the app's safe domain, at most 140 characters with a half-width one ½, no
``#话题#``; ``rip`` required — 10016 missing parameter, 10017 invalid value, 20012 too long, 20019 repeated). Objects carry ``id``/``idstr``,
``created_at`` as ``Tue May 31 17:46:55 +0800 2011``, ``user`` objects with ``screen_name`` and counts. Errors
are ``{"error", "error_code", "request"}`` with HTTP 400/403 and the documented codes: 21327 expired token, 21332
invalid token, 10023 user rate limit, 20101 post deleted, 20206 comments for followers only, 20019 repeated text.
Test hooks: ``expire(token)``, ``limit(n)``, ``only_followers(uid)``, ``delete(id)``, and what people do
(``post``, ``comment``, ``repost``). A stand-in, not a recording (docs/connectors.md says so).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from conftest import LoopbackHTTP

APP = ("2790000001", "weibo-app-secret")
REDIRECT = "https://brand.example/weibo/callback"
CST = dt.timezone(dt.timedelta(hours=8))
_ids = itertools.count(4_980_000_000_000_000)


def weibo_time(t: dt.datetime) -> str:
    return t.astimezone(CST).strftime("%a %b %d %H:%M:%S %z %Y")


class Weibo(LoopbackHTTP):
    def __init__(self, users: dict[str, str]):
        """``users``: uid → screen name."""
        self.users = {uid: {"id": int(uid), "idstr": uid, "screen_name": name, "followers_count": 100,
                            "friends_count": 10, "statuses_count": 0, "description": f"{name}的微博",
                            "created_at": weibo_time(dt.datetime(2015, 1, 1, tzinfo=CST))}
                      for uid, name in users.items()}
        self.codes: dict[str, str] = {}  # authorization code → uid (a code works once)
        self.tokens: dict[str, dict[str, Any]] = {}  # token → {"uid", "expires_at"}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.restricted: set[str] = set()
        self.safe_domain = "brand.example"  # the app's 安全域名 (statuses/share links must be under it)
        self.rate_left: int | None = None
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.clock = dt.datetime.now(CST) - dt.timedelta(hours=2)
        self.serve(self._handler())

    # ---- what people do on Weibo ------------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        self.clock += dt.timedelta(seconds=61)  # each thing a minute after the last: distinct, ordered times
        return self.clock

    def _new_id(self) -> str:
        return str(next(_ids))

    def authorize(self, uid: str) -> str:
        """The code Weibo appends to the redirect URI once ``uid`` signs in at the authorize URL."""
        code = secrets.token_hex(8)
        self.codes[code] = uid
        return code

    def post(self, uid: str, text: str, *, pics: bool = False) -> dict[str, Any]:
        sid = self._new_id()
        s = {"id": int(sid), "idstr": sid, "mid": sid, "created_at": weibo_time(self._now()), "text": text,
             "user": self.users[uid], "reposts_count": 0, "comments_count": 0, "attitudes_count": 0,
             "pic_ids": ["p1"] if pics else []}
        self.statuses[sid] = s
        self.users[uid]["statuses_count"] += 1
        return s

    def repost(self, uid: str, of: str, text: str = "转发微博") -> dict[str, Any]:
        orig = self.statuses[of]
        root = self.statuses[orig["retweeted_status"]["idstr"]] if orig.get("retweeted_status") else orig
        s = self.post(uid, text)
        s["retweeted_status"] = {k: v for k, v in root.items() if k != "retweeted_status"}
        root["reposts_count"] += 1
        return s

    def comment(self, uid: str, on: str, text: str, reply_to: str | None = None) -> dict[str, Any]:
        status = self.statuses[on]
        cid = self._new_id()
        c = {"id": int(cid), "idstr": cid, "created_at": weibo_time(self._now()), "text": text,
             "user": self.users[uid], "status": status}
        if reply_to:
            parent = self.comments[reply_to]
            c["reply_comment"] = {k: parent[k] for k in ("id", "idstr", "text", "user", "created_at")}
            c["text"] = f"回复@{parent['user']['screen_name']}:{text}"
        self.comments[cid] = c
        status["comments_count"] += 1
        return c

    def delete(self, any_id: str) -> None:
        self.statuses.pop(any_id, None)
        self.comments.pop(any_id, None)

    # ---- the API ----------------------------------------------------------------------------------------------
    def _me(self, token: str | None) -> str | tuple[int, int, str]:
        t = self.tokens.get(token or "")
        if t is None:
            return 400, 21332, "invalid_access_token"
        if t["expires_at"] < dt.datetime.now(dt.UTC).timestamp():
            return 400, 21327, "expired_token"
        return t["uid"]

    def _newest(self, items: list[dict[str, Any]], q: dict[str, str]) -> list[dict[str, Any]]:
        items = sorted(items, key=lambda x: int(x["idstr"]), reverse=True)
        count, page = min(int(q.get("count", 20)), 200), int(q.get("page", 1))
        return items[(page - 1) * count: page * count]

    def get(self, path: str, q: dict[str, str], me: str) -> Any:
        name = self.users[me]["screen_name"]
        if path == "users/show.json":
            return self.users.get(q.get("uid") or me) or (400, 20003, "User does not exists!")
        if path == "statuses/user_timeline.json":
            mine = [s for s in self.statuses.values() if s["user"]["idstr"] == me]
            return {"statuses": self._newest(mine, q), "total_number": len(mine)}
        if path == "statuses/mentions.json":
            hits = [s for s in self.statuses.values() if f"@{name}" in s["text"] and s["user"]["idstr"] != me]
            return {"statuses": self._newest(hits, q), "total_number": len(hits)}
        if path == "statuses/repost_timeline.json":
            of = q.get("id", "")
            if of not in self.statuses:
                return 400, 20101, "Target weibo does not exist!"
            hits = [s for s in self.statuses.values() if (s.get("retweeted_status") or {}).get("idstr") == of]
            return {"reposts": self._newest(hits, q), "total_number": len(hits)}
        if path == "comments/to_me.json":
            hits = [c for c in self.comments.values() if c["user"]["idstr"] != me and (
                c["status"]["user"]["idstr"] == me or (c.get("reply_comment") or {}).get("user", {}).get("idstr") == me)]
            return {"comments": self._newest(hits, q), "total_number": len(hits)}
        if path == "comments/by_me.json":
            hits = [c for c in self.comments.values() if c["user"]["idstr"] == me]
            return {"comments": self._newest(hits, q), "total_number": len(hits)}
        if path == "comments/mentions.json":
            hits = [c for c in self.comments.values() if f"@{name}" in c["text"] and c["user"]["idstr"] != me
                    and (c.get("reply_comment") or {}).get("user", {}).get("idstr") != me]
            return {"comments": self._newest(hits, q), "total_number": len(hits)}
        if path == "comments/show_batch.json":
            return [self.comments[c] for c in q.get("cids", "").split(",") if c in self.comments]
        return 404, 10001, f"no such API {path}"

    def post_api(self, path: str, f: dict[str, str], me: str) -> Any:
        text = f.get("comment") or f.get("status") or ""
        if path in ("comments/create.json", "comments/reply.json"):
            status = self.statuses.get(f.get("id", ""))
            if status is None:
                return 400, 20101, "Target weibo does not exist!"
            if status["user"]["idstr"] in self.restricted and status["user"]["idstr"] != me:
                return 403, 20206, "作者只允许关注用户评论"
            if any(c["text"].endswith(text) and c["user"]["idstr"] == me for c in self.comments.values()
                   if c["status"]["idstr"] == status["idstr"] and (c.get("reply_comment") or {}).get("idstr")
                   == f.get("cid")):
                return 400, 20019, "Repeated weibo text!"
            if path == "comments/reply.json" and f.get("cid") not in self.comments:
                return 400, 20201, "Target comment does not exist!"
            return self.comment(me, status["idstr"], text, reply_to=f.get("cid"))
        if path == "statuses/share.json":  # the app's only way to post: a safe-domain link, ≤ 140, no #话题#
            if not f.get("rip"):
                return 400, 10016, "Miss required parameter (rip) , see doc for more info."
            hosts = [urlparse(u).hostname or "" for u in re.findall(r"https?://\S+", text)]
            if not any(h == self.safe_domain or h.endswith("." + self.safe_domain) for h in hosts):
                return 400, 10017, "Parameter (status)'s value invalid, expect (must contain a safe-domain url)"
            if re.search(r"#[^#\s][^#\n]*#", text):
                return 400, 10017, "Parameter (status)'s value invalid, expect (no #topic#)"
            if sum(0.5 if ord(ch) < 0x100 else 1 for ch in text) > 140:
                return 400, 20012, "Text too long, please input text less than 140 characters!"
            if any(st["text"] == text and st["user"]["idstr"] == me for st in self.statuses.values()):
                return 400, 20019, "Repeated weibo text!"
            return self.post(me, text)
        if path == "statuses/repost.json":
            if f.get("id") not in self.statuses:
                return 400, 20101, "Target weibo does not exist!"
            return self.repost(me, f["id"], text or "转发微博")
        return 404, 10001, f"no such API {path}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                raw = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json;charset=UTF-8")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _error(self, status: int, code: int, msg: str, path: str) -> None:
                self._send(status, {"error": msg, "error_code": code, "request": path})

            def _answer(self, method: str) -> None:
                u = urlparse(self.path)
                q = {k: v[-1] for k, v in parse_qs(u.query).items()}
                if method == "POST":
                    n = int(self.headers.get("content-length") or 0)
                    q |= {k: v[-1] for k, v in parse_qs(self.rfile.read(n).decode()).items()}
                with api.lock:
                    api.requests.append(f"{method} {u.path}")
                    if u.path == "/oauth2/access_token":
                        if (q.get("client_id"), q.get("client_secret")) != APP:
                            return self._error(400, 21323, "invalid_client", u.path)
                        uid = api.codes.pop(q.get("code", ""), None)
                        if uid is None or q.get("redirect_uri") != REDIRECT:
                            return self._error(400, 21325, "invalid_grant", u.path)
                        token = secrets.token_hex(12)
                        api.tokens[token] = {"uid": uid, "expires_at": dt.datetime.now(dt.UTC).timestamp() + 157679999}
                        return self._send(200, {"access_token": token, "remind_in": "157679999",
                                                "expires_in": 157679999, "uid": uid, "isRealName": "true"})
                    if u.path == "/oauth2/get_token_info":
                        me = api._me(q.get("access_token"))
                        if isinstance(me, tuple):
                            return self._error(*me, u.path)
                        t = api.tokens[q["access_token"]]
                        left = int(t["expires_at"] - dt.datetime.now(dt.UTC).timestamp())
                        return self._send(200, {"uid": int(me), "appkey": APP[0], "scope": "all",
                                                "create_at": 1700000000, "expire_in": left})
                    if not u.path.startswith("/2/"):
                        return self._error(404, 10001, "not found", u.path)
                    me = api._me(q.get("access_token"))
                    if isinstance(me, tuple):
                        return self._error(*me, u.path)
                    if api.rate_left is not None:
                        if api.rate_left <= 0:
                            return self._error(403, 10023, "User requests out of rate limit!", u.path)
                        api.rate_left -= 1
                    path = u.path.removeprefix("/2/")
                    out = api.get(path, q, me) if method == "GET" else api.post_api(path, q, me)
                if isinstance(out, tuple):
                    return self._error(out[0], out[1], out[2], u.path)
                return self._send(200, out)

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

        return H

    # ---- test hooks -------------------------------------------------------------------------------------------
    def expire(self, token: str | None = None) -> None:
        for t, v in self.tokens.items():
            if token in (None, t):
                v["expires_at"] = 0

    def limit(self, n: int | None) -> None:
        self.rate_left = n

    def only_followers(self, uid: str) -> None:
        self.restricted.add(uid)
