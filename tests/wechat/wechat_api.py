"""A stand-in for the WeChat Official Account API (api.weixin.qq.com) for the WeChat connector's tests: no WeChat
server can be installed or reached here.

It serves, on loopback, the documented calls the connector makes (developers.weixin.qq.com/doc/offiaccount):
``POST /cgi-bin/stable_token`` (``{"grant_type": "client_credential", "appid", "secret", "force_refresh"}`` →
``{"access_token", "expires_in"}``; the same token until it expires unless ``force_refresh``) and
``POST /cgi-bin/message/custom/send?access_token=…`` (客服消息: ``{"touser", "msgtype": "text", "text": {"content"}}``),
with WeChat's error bodies ``{"errcode", "errmsg"}`` on HTTP 200: 40001 invalid credential, 42001 access_token
expired, 40013 invalid appid, 40125 invalid appsecret, 40164 IP not in whitelist, 45015 response out of time limit
(the 48-hour window since the person's last message), 45047 out of response count limit, 45009 reach max api daily
quota limit, -1 system busy. Test hooks: ``wrote(openid, at)`` (a person's message, which opens the window),
``fail(path, errcode, n)``, ``expire_tokens()``, ``whitelist(False)``; ``sent`` lists what was delivered.
Statistics (数据统计): ``POST /datacube/getusercumulate`` (at most 7 days, ending yesterday, Beijing time →
``{"list": [{"ref_date", "user_source", "cumulate_user"}]}``) and ``POST /datacube/getarticletotal`` (exactly one
day → ``{"list": [{"ref_date", "msgid", "title", "details": [{"stat_date", "target_user", "int_page_read_user",
"int_page_read_count", "share_user", "share_count", "add_to_fav_user", "add_to_fav_count", …}]}]}``), 61501 for
a range WeChat refuses; ``getusersummary`` (≤ 7 days: ``{"ref_date", "user_source", "new_user", "cancel_user"}`` per
day and source) and ``getupstreammsg`` (≤ 7 days: ``{"ref_date", "msg_type", "msg_user", "msg_count"}``); hooks
``followers_on(day, n)``, ``follow_changes[(day, source)] = (new, cancelled)``, ``upstream[day] = (people,
messages)`` and ``article(day, msgid, title, reads_by_day)``.
Comments (留言管理): ``POST /cgi-bin/comment/list`` (``{msg_data_id, index, begin, count ≤ 50, type}`` →
``{"total", "comment": [{"user_comment_id", "openid", "create_time", "content", "comment_type", "reply"?}]}``) and
``/cgi-bin/comment/reply/add`` (one reply per comment: 88005 for a second, 88008 for an unknown comment, 88004 for
one the commenter deleted), ``/cgi-bin/comment/markelect`` (精选: ``comment_type`` 1) and ``/cgi-bin/comment/delete``;
hooks ``comment(msgid, openid, text)`` and ``delete_comment(msgid, id)``.
Publishing (发布能力): ``/cgi-bin/material/add_material?type=image`` (multipart ``media`` → ``{"media_id", "url"}``),
``/cgi-bin/draft/add`` (``{"articles": [{"title" ≤ 64, "content", "thumb_media_id", …}]}`` → ``{"media_id"}``;
45003 title too long, 40007 unknown media), ``/cgi-bin/freepublish/submit`` (``{"media_id"}`` → ``{"publish_id"}``)
and ``/cgi-bin/freepublish/get`` (``publish_status`` 1 while publishing, then 0 with ``article_id`` and
``article_detail.item[].article_url``, or 2–4 with ``fail_idx``); hooks ``publish_polls``, ``publish_verdict``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from conftest import LoopbackHTTP

WINDOW = 48 * 3600
PER_WINDOW = 5  # the real limit is 20 messages per window; smaller keeps the test short
ERRORS = {-1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
          42001: "access_token expired", 40013: "invalid appid", 40125: "invalid appsecret",
          40164: "invalid ip 127.0.0.1, not in whitelist", 45015: "response out of time limit or subscription is canceled",
          45047: "out of response count limit", 45009: "reach max api daily quota limit",
          40003: "invalid openid", 61501: "date range error", 88001: "msg data is not exists",
          88004: "comment was deleted by user", 88005: "already reply", 88008: "comment is not exists"}  # fmt: skip


class WeChatAPI(LoopbackHTTP):
    def __init__(self, app_id: str, secret: str, expires_in: int = 7200):
        self.app_id, self.secret, self.expires_in = app_id, secret, expires_in
        self.token: tuple[str, float] | None = None
        self.tokens_issued = 0
        self.last_message: dict[str, float] = {}
        self.answers: dict[str, int] = {}
        self.sent: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.whitelisted = True
        self.followers: dict[str, int] = {}  # ref_date → cumulate_user
        self.articles: list[dict[str, Any]] = []
        self.datacube_calls: list[tuple[str, str, str]] = []
        self.follow_changes: dict[tuple[str, int], tuple[int, int]] = {}  # (day, source) → (new, cancelled)
        self.upstream: dict[str, tuple[int, int]] = {}  # day → (people, messages)
        self.comments: dict[tuple[int, int], list[dict[str, Any]]] = {}  # (msg_data_id, index) → comments
        self.materials: dict[str, int] = {}  # permanent image material → its size
        self.drafts: dict[str, list[dict[str, Any]]] = {}  # draft media_id → articles
        self.jobs: dict[str, dict[str, Any]] = {}  # publish_id → {"draft", "polls_left", "status"}
        self.publish_polls = 0  # how many freepublish/get answers say "publishing" before the job ends
        self.publish_verdict = 0  # how a job ends: 0 published, 4 refused by review …
        self.published: list[dict[str, Any]] = []  # the articles that went out
        self.lock = threading.Lock()
        self.serve(self._handler())

    # ---- test hooks ---------------------------------------------------------------------------------------
    def wrote(self, openid: str, at: float | None = None) -> None:
        with self.lock:
            self.last_message[openid] = time.time() if at is None else at
            self.answers[openid] = 0

    def fail(self, path: str, errcode: int, n: int = 1) -> None:
        with self.lock:
            self.faults.append({"path": path, "errcode": errcode, "left": n})

    def expire_tokens(self) -> None:
        with self.lock:
            if self.token:
                self.token = (self.token[0], time.time() - 1)

    def whitelist(self, ok: bool) -> None:
        self.whitelisted = ok

    def followers_on(self, day: dt.date, n: int) -> None:
        self.followers[day.isoformat()] = n

    def article(self, day: dt.date, msgid: str, title: str, reads_by_day: list[int]) -> None:
        """An article sent on ``day``, read ``reads_by_day[k]`` times on day ``k`` after (cumulative details)."""
        details, total = [], 0
        for k, reads in enumerate(reads_by_day):
            total += reads
            details.append({"stat_date": (day + dt.timedelta(days=k)).isoformat(), "target_user": 5000,
                            "int_page_read_user": int(total * 0.8), "int_page_read_count": total,
                            "ori_page_read_user": 0, "ori_page_read_count": 0, "share_user": total // 20,
                            "share_count": total // 15, "add_to_fav_user": total // 50, "add_to_fav_count": total // 40})
        self.articles.append({"ref_date": day.isoformat(), "msgid": msgid, "title": title, "details": details})

    def comment(self, msgid: str, openid: str, text: str, at: float | None = None) -> int:
        data_id, _, n = msgid.partition("_")
        key = (int(data_id), int(n) - 1)
        with self.lock:
            items = self.comments.setdefault(key, [])
            items.append({"user_comment_id": len(items) + 1, "openid": openid, "create_time": int(at or time.time()),
                          "content": text, "comment_type": 0})
            return len(items)

    def delete_comment(self, msgid: str, comment_id: int) -> None:
        data_id, _, n = msgid.partition("_")
        for c in self.comments.get((int(data_id), int(n) - 1), []):
            if c["user_comment_id"] == comment_id:
                c["deleted"] = True

    def _comments(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        key = (int(body.get("msg_data_id") or 0), int(body.get("index") or 0))
        known = {(int(a["msgid"].split("_")[0]), int(a["msgid"].split("_")[1]) - 1) for a in self.articles}
        if key not in known and key not in self.comments:
            return self._error(88001)
        items = [c for c in self.comments.get(key, []) if not c.get("deleted")]
        if path == "/cgi-bin/comment/list":
            begin, count = int(body.get("begin") or 0), int(body.get("count") or 0)
            if not 1 <= count <= 50:
                return {"errcode": 88010, "errmsg": "count range error"}
            return {"errcode": 0, "errmsg": "ok", "total": len(items), "comment": items[begin:begin + count]}
        found = [c for c in self.comments.get(key, []) if c["user_comment_id"] == body.get("user_comment_id")]
        if not found:
            return self._error(88008)
        if found[0].get("deleted"):
            return self._error(88004)
        if path == "/cgi-bin/comment/markelect":
            found[0]["comment_type"] = 1
            return {"errcode": 0, "errmsg": "ok"}
        if path == "/cgi-bin/comment/delete":
            found[0]["deleted"] = True
            return {"errcode": 0, "errmsg": "ok"}
        if found[0].get("reply"):
            return self._error(88005)
        found[0]["reply"] = {"content": body.get("content"), "create_time": int(time.time())}
        return {"errcode": 0, "errmsg": "ok"}

    def _datacube(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            begin, end = dt.date.fromisoformat(body["begin_date"]), dt.date.fromisoformat(body["end_date"])
        except (KeyError, ValueError):
            return {"errcode": 61500, "errmsg": "date format error"}
        yesterday = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() - dt.timedelta(days=1)
        span = {"/datacube/getusercumulate": 7, "/datacube/getarticletotal": 1, "/datacube/getusersummary": 7,
                "/datacube/getupstreammsg": 7}[path]
        if end > yesterday or begin > end or (end - begin).days + 1 > span:
            return self._error(61501)
        self.datacube_calls.append((path, body["begin_date"], body["end_date"]))
        days = {(begin + dt.timedelta(days=k)).isoformat() for k in range((end - begin).days + 1)}
        if path == "/datacube/getusercumulate":
            return {"list": [{"ref_date": d, "user_source": 0, "cumulate_user": n}
                             for d, n in sorted(self.followers.items()) if d in days]}
        if path == "/datacube/getusersummary":  # one row per day and source (0 other, 1 search, 30 QR code …)
            return {"list": [{"ref_date": d, "user_source": src, "new_user": new, "cancel_user": lost}
                             for (d, src), (new, lost) in sorted(self.follow_changes.items()) if d in days]}
        if path == "/datacube/getupstreammsg":
            return {"list": [{"ref_date": d, "msg_type": 1, "msg_user": u, "msg_count": n}
                             for d, (u, n) in sorted(self.upstream.items()) if d in days]}
        out = []
        for a in self.articles:
            if a["ref_date"] in days:  # the details up to yesterday: what WeChat has counted so far
                out.append(a | {"details": [x for x in a["details"] if x["stat_date"] <= yesterday.isoformat()]})
        return {"list": out}

    def _publishing(self, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        """发布能力: a cover uploaded as permanent material, an article saved as a draft, the draft submitted and
        its job polled (``publish_polls`` answers of 1 = 发布中, then ``publish_verdict``)."""
        if path == "/cgi-bin/material/add_material":
            if query.get("type") != "image" or not body.get("_media"):
                return {"errcode": 40004, "errmsg": "invalid media type"}
            media_id = f"mat_{secrets.token_hex(6)}"
            self.materials[media_id] = int(body["_media"])
            return {"media_id": media_id, "url": f"http://mmbiz.qpic.cn/{media_id}/0"}
        if path == "/cgi-bin/draft/add":
            articles = body.get("articles") or []
            for a in articles:
                if not a.get("title") or len(a["title"]) > 64:
                    return {"errcode": 45003, "errmsg": "title size out of limit"}
                if a.get("thumb_media_id") not in self.materials:
                    return {"errcode": 40007, "errmsg": "invalid media_id"}
                if not a.get("content"):
                    return {"errcode": 44004, "errmsg": "empty content"}
            if not articles:
                return {"errcode": 44003, "errmsg": "empty news data"}
            media_id = f"draft_{secrets.token_hex(6)}"
            self.drafts[media_id] = articles
            return {"media_id": media_id}
        if path == "/cgi-bin/freepublish/submit":
            if body.get("media_id") not in self.drafts:
                return {"errcode": 40007, "errmsg": "invalid media_id"}
            publish_id = str(2_247_483_000 + len(self.jobs))
            self.jobs[publish_id] = {"draft": body["media_id"], "polls_left": self.publish_polls,
                                     "status": self.publish_verdict}
            return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": publish_id}
        if path == "/cgi-bin/freepublish/get":
            job = self.jobs.get(str(body.get("publish_id")))
            if job is None:
                return {"errcode": 53600, "errmsg": "invalid article id"}
            if job["polls_left"] > 0:
                job["polls_left"] -= 1
                return {"publish_id": body["publish_id"], "publish_status": 1, "fail_idx": []}
            if job["status"] != 0:
                return {"publish_id": body["publish_id"], "publish_status": job["status"], "fail_idx": [1]}
            if "article_id" not in job:  # goes out once
                job["article_id"] = f"art_{secrets.token_hex(6)}"
                for a in self.drafts[job["draft"]]:
                    self.published.append(a | {"article_id": job["article_id"]})
            url = f"https://mp.weixin.qq.com/s/{job['article_id']}"
            return {"publish_id": body["publish_id"], "publish_status": 0, "article_id": job["article_id"],
                    "article_detail": {"count": 1, "item": [{"idx": 1, "article_url": url}]}, "fail_idx": []}
        return {"errcode": 48001, "errmsg": "api unauthorized"}

    # ---- the API ------------------------------------------------------------------------------------------
    def _error(self, code: int) -> dict[str, Any]:
        return {"errcode": code, "errmsg": f"{ERRORS[code]} rid: {secrets.token_hex(4)}"}

    def _fault(self, path: str) -> dict[str, Any] | None:
        for f in self.faults:
            if f["left"] > 0 and path.startswith(f["path"]):
                f["left"] -= 1
                return self._error(f["errcode"])
        return None

    def handle(self, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if (fault := self._fault(path)) is not None:
                return fault
            if not self.whitelisted:
                return self._error(40164)
            if path == "/cgi-bin/stable_token":
                if body.get("appid") != self.app_id:
                    return self._error(40013)
                if body.get("secret") != self.secret:
                    return self._error(40125)
                now = time.time()
                if self.token is None or self.token[1] <= now or body.get("force_refresh"):
                    self.token = (secrets.token_hex(16), now + self.expires_in)
                    self.tokens_issued += 1
                return {"access_token": self.token[0], "expires_in": int(self.token[1] - now)}
            token = query.get("access_token", "")
            if self.token is None or token != self.token[0]:
                return self._error(40001)
            if self.token[1] <= time.time():
                return self._error(42001)
            if path.startswith("/datacube/"):
                return self._datacube(path, body)
            if path in ("/cgi-bin/comment/list", "/cgi-bin/comment/reply/add", "/cgi-bin/comment/markelect",
                        "/cgi-bin/comment/delete"):
                return self._comments(path, body)
            if path.startswith(("/cgi-bin/material/", "/cgi-bin/draft/", "/cgi-bin/freepublish/")):
                return self._publishing(path, query, body)
            if path == "/cgi-bin/message/custom/send":
                who = str(body.get("touser") or "")
                if who not in self.last_message:
                    return self._error(40003)
                if time.time() - self.last_message[who] > WINDOW:
                    return self._error(45015)
                if self.answers[who] >= PER_WINDOW:
                    return self._error(45047)
                self.answers[who] += 1
                self.sent.append(body)
                return {"errcode": 0, "errmsg": "ok"}
            return {"errcode": 48001, "errmsg": "api unauthorized"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                u = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(u.query).items()}
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if (self.headers.get("content-type") or "").startswith("multipart/form-data"):
                    body = {"_media": len(raw)} if b'name="media"' in raw else {}  # an upload: its size is enough
                else:
                    try:
                        body = json.loads(raw or b"{}")
                    except ValueError:
                        body = {}
                out = json.dumps(api.handle(u.path, query, body), ensure_ascii=False).encode()
                self.send_response(200)  # WeChat answers errors on HTTP 200 with an errcode
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        return Handler
