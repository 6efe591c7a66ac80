"""A stand-in Douyin open-platform server for the Douyin connector's tests (no Douyin server can be installed or
reached here).

It serves, on loopback, the documented endpoints the connector uses (developer.open-douyin.com), in Douyin's
response shapes ``{"data": {…, "error_code", "description"}, "extra": {"error_code", "logid", "now", …}}``: OAuth
2.0 (``/oauth/access_token/`` with a single-use code, ``/oauth/refresh_token/``, ``/oauth/renew_refresh_token/``,
``/oauth/userinfo/``), ``/data/external/user/fans/`` (``result_list`` per day), the video list
``/api/douyin/v1/video/video_list/`` (``list``, ``cursor``, ``has_more``; ``statistics``), the enterprise comment
management ``/video/comment/list/``, ``/video/comment/reply/list/`` and ``POST /video/comment/reply/``. The
``access-token`` header is checked on every API call. Error codes: 2190008 expired access token, 10010 expired
refresh token, 2100004 busy, 28003017 quota used up, 28001018 capability not granted. Test hooks: ``expire()``,
``expire_refresh()``, ``busy(n)``, ``quota()``, ``no_comment_scope()``, and what people do (``video``,
``comment``). A stand-in, not a recording (docs/connectors.md says so).
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from conftest import LoopbackHTTP

APP = ("awhudong000000001", "douyin-client-secret")
_ids = itertools.count(7_300_000_000_000_000_000)


def _item_id() -> str:  # Douyin's item ids are opaque, url-unsafe strings
    return "@" + base64.b64encode(str(next(_ids)).encode()).decode()


class Douyin(LoopbackHTTP):
    def __init__(self, users: dict[str, str]):
        """``users``: open_id → nickname (the first is the enterprise account)."""
        self.users = users
        self.codes: dict[str, str] = {}
        self.tokens: dict[str, dict[str, Any]] = {}  # access token → {"open_id", "expires_at"}
        self.refresh: dict[str, dict[str, Any]] = {}  # refresh token → {"open_id", "expires_at"}
        self.videos: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}  # comment_id → comment (+ "item_id", "parent")
        self.fans = 1234
        self.busy_left = 0
        self.quota_used = False
        self.comment_scope = True
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.clock = time.time() - 7200
        self.serve(self._handler())

    # ---- what people do on Douyin -----------------------------------------------------------------------------
    def _now(self) -> int:
        self.clock += 61
        return int(self.clock)

    def authorize(self, open_id: str) -> str:
        code = secrets.token_hex(8)
        self.codes[code] = open_id
        return code

    def video(self, open_id: str, title: str, *, plays: int = 1000) -> dict[str, Any]:
        v = {"item_id": _item_id(), "title": title, "create_time": self._now(), "media_type": 4,
             "share_url": f"https://www.iesdouyin.com/share/video/{len(self.videos) + 1}/", "is_top": False,
             "statistics": {"digg_count": 10, "comment_count": 0, "share_count": 2, "forward_count": 1,
                            "play_count": plays, "download_count": 0}, "_by": open_id}
        self.videos[v["item_id"]] = v
        return v

    def comment(self, open_id: str, item: str, text: str, parent: str | None = None) -> dict[str, Any]:
        if parent and self.comments[parent]["parent"]:  # Douyin keeps two levels: a reply to a reply sits under
            parent = self.comments[parent]["parent"]     # the top comment
        cid = _item_id()
        c = {"comment_id": cid, "comment_user_id": open_id, "content": text, "create_time": self._now(),
             "digg_count": 0, "reply_comment_total": 0, "top": False, "item_id": item, "parent": parent}
        self.comments[cid] = c
        if parent:
            self.comments[parent]["reply_comment_total"] += 1
        else:
            self.videos[item]["statistics"]["comment_count"] += 1
        return c

    # ---- test hooks -------------------------------------------------------------------------------------------
    def expire(self) -> None:
        for t in self.tokens.values():
            t["expires_at"] = 0

    def expire_refresh(self) -> None:
        self.expire()
        for t in self.refresh.values():
            t["expires_at"] = 0

    def busy(self, n: int) -> None:
        self.busy_left = n

    # ---- the API ----------------------------------------------------------------------------------------------
    def _tokens(self, open_id: str) -> dict[str, Any]:
        access, refresh = "act." + secrets.token_hex(12), "rft." + secrets.token_hex(12)
        self.tokens[access] = {"open_id": open_id, "expires_at": time.time() + 1296000}
        self.refresh[refresh] = {"open_id": open_id, "expires_at": time.time() + 2592000}
        return {"access_token": access, "expires_in": 1296000, "open_id": open_id, "refresh_token": refresh,
                "refresh_expires_in": 2592000, "scope": "user_info,video.list.bind,video.comment",
                "error_code": 0, "description": ""}

    def oauth(self, path: str, f: dict[str, str]) -> dict[str, Any]:
        if path == "/oauth/access_token/":
            if (f.get("client_key"), f.get("client_secret")) != APP:
                return {"error_code": 10013, "description": "client_key或client_secret错误"}
            who = self.codes.pop(f.get("code", ""), None)
            return self._tokens(who) if who else {"error_code": 10007, "description": "授权码过期"}
        if path == "/oauth/refresh_token/":
            r = self.refresh.get(f.get("refresh_token", ""))
            if r is None or r["expires_at"] < time.time():
                return {"error_code": 10010, "description": "refresh_token过期"}
            out = self._tokens(r["open_id"])
            del self.refresh[out["refresh_token"]]  # the refresh token stays the same on a refresh
            return out | {"refresh_token": f["refresh_token"], "refresh_expires_in": None}
        if path == "/oauth/renew_refresh_token/":
            r = self.refresh.pop(f.get("refresh_token", ""), None)
            if r is None:
                return {"error_code": 10010, "description": "refresh_token过期"}
            new = "rft." + secrets.token_hex(12)
            self.refresh[new] = {"open_id": r["open_id"], "expires_at": time.time() + 2592000}
            return {"refresh_token": new, "expires_in": 2592000, "error_code": 0, "description": ""}
        if path == "/oauth/userinfo/":
            t = self.tokens.get(f.get("access_token", ""))
            if t is None or t["expires_at"] < time.time():
                return {"error_code": 2190008, "description": "access_token过期"}
            return {"open_id": t["open_id"], "nickname": self.users[t["open_id"]], "e_account_role": "EAccountM",
                    "avatar": "", "union_id": "u-" + t["open_id"], "error_code": 0, "description": ""}
        return {"error_code": 2100005, "description": "参数不合法"}

    def api(self, method: str, path: str, q: dict[str, str], body: dict[str, Any], token: str) -> dict[str, Any]:
        t = self.tokens.get(token)
        if t is None or t["expires_at"] < time.time():
            return {"error_code": 2190008, "description": "access_token过期,请刷新或重新授权"}
        if t["open_id"] != q.get("open_id"):
            return {"error_code": 28001015, "description": "access_token和openId不匹配"}
        if self.busy_left > 0:
            self.busy_left -= 1
            return {"error_code": 2100004, "description": "系统繁忙,此时请开发者稍候再试"}
        if self.quota_used:
            return {"error_code": 28003017, "description": "quota 已用完"}
        me = t["open_id"]
        if path == "/data/external/user/fans/":
            return {"result_list": [{"date": f"2026-12-0{d}", "new_fans": 3, "total_fans": self.fans - 5 + d}
                                    for d in range(1, 6)], "error_code": 0, "description": ""}
        if path == "/api/douyin/v1/video/video_list/":
            mine = sorted((v for v in self.videos.values() if v["_by"] == me), key=lambda v: -v["create_time"])
            return self._page(mine, q, strip=("_by",))
        if path.startswith("/video/comment") and not self.comment_scope:
            return {"error_code": 28001018, "description": "应用未获得该能力"}
        if path == "/video/comment/list/":
            hits = [c for c in self.comments.values() if c["item_id"] == q.get("item_id") and not c["parent"]]
            return self._page(sorted(hits, key=lambda c: -c["create_time"]), q, strip=("item_id", "parent"))
        if path == "/video/comment/reply/list/":
            hits = [c for c in self.comments.values() if c["parent"] == q.get("comment_id")]
            return self._page(sorted(hits, key=lambda c: -c["create_time"]), q, strip=("item_id", "parent"))
        if path == "/video/comment/reply/" and method == "POST":
            item = body.get("item_id")
            if item not in self.videos or (body.get("comment_id") and body["comment_id"] not in self.comments):
                return {"error_code": 2100005, "description": "参数不合法: 视频或评论不存在"}
            c = self.comment(me, item, str(body.get("content")), parent=body.get("comment_id"))
            return {"comment_id": c["comment_id"], "error_code": 0, "description": ""}
        return {"error_code": 28001017, "description": "未知URI"}

    @staticmethod
    def _page(items: list[dict[str, Any]], q: dict[str, str], strip: tuple[str, ...]) -> dict[str, Any]:
        cursor, count = int(q.get("cursor") or 0), min(int(q.get("count") or 10), 50)
        page = [{k: v for k, v in x.items() if k not in strip} for x in items[cursor: cursor + count]]
        return {"list": page, "cursor": cursor + len(page), "has_more": cursor + len(page) < len(items),
                "error_code": 0, "description": ""}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def _answer(self, method: str) -> None:
                u = urlparse(self.path)
                q = {k: v[-1] for k, v in parse_qs(u.query).items()}
                raw = self.rfile.read(int(self.headers.get("content-length") or 0)).decode() if method == "POST" else ""
                with api.lock:
                    api.requests.append(f"{method} {u.path}")
                    if u.path.startswith("/oauth/"):
                        data = api.oauth(u.path, {k: v[-1] for k, v in parse_qs(raw).items()})
                    else:
                        body = json.loads(raw) if raw.strip().startswith("{") else {}
                        data = api.api(method, u.path, q, body, self.headers.get("access-token") or "")
                code = data.get("error_code") or 0
                out = json.dumps({"data": data, "extra": {"error_code": code, "description": data.get("description", ""),
                                                          "sub_error_code": 0, "logid": "2026120612000001",
                                                          "now": int(time.time() * 1000)}}, ensure_ascii=False).encode()
                self.send_response(200)  # Douyin answers errors with HTTP 200 and an error_code
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

        return H
