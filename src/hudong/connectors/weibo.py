"""The Weibo connector: one Weibo account through the Weibo open platform (open.weibo.com, API v2, OAuth 2.0).

    [connectors.wb]
    type = "weibo"
    app_key = "1234567890"                              # the app's App Key (open.weibo.com → 我的应用)
    redirect_uri = "https://example.com/weibo/callback" # the app's 授权回调页, exactly as registered
    backfill_days = 30                                  # first run: how far back (`hudong sync --since` overrides)
    refresh_days = 7                                    # own posts this recent are re-read for fresh counts …
    repost_posts = 20                                   # … and the reposts of at most this many of them are read

    # secrets (environment HUDONG_WB_APP_SECRET …, or [wb] in secrets.toml, mode 0600): app_secret; and once,
    # the authorization `code` Weibo appends to the redirect URI after the account owner signs in at the URL
    # `hudong connect wb` prints. hudong exchanges it for the access token (kept in the connector's state
    # directory, 0600) and says when the token expires: Weibo web apps get no refresh token, so the owner signs
    # in again then (`hudong connect wb` prints the URL; an expired token pauses the connector with that advice).

What each run fetches, one import batch per stream (``/2/…`` of the API v2): the account (``users/show``:
followers), its own timeline (``statuses/user_timeline``: posts with their counts), comments to it
(``comments/to_me``: on its posts, or answering its comments — the reply inbox), its own comments
(``comments/by_me``: the staff replies that stop the response clock), mentions in posts (``statuses/mentions``:
a UGC post and a mention to answer) and in comments (``comments/mentions``), and the reposts of its recent posts
(``statuses/repost_timeline``: posts in the cascade with their parent and root, and a repost interaction). Every
list is read newest first, page by page, until an item at or before the stream's mark (the newest time stored).

Actions: reply — to a comment (``comments/reply``; hudong looks the comment up first with ``comments/show_batch``:
a deleted comment is refused clearly) or to a post, a mention or a repost (``comments/create`` on it: target
``post:ID``, ``mention:ID``, ``repost:ID``); repost (``statuses/repost``, target a post id); publish (``statuses/share``, Weibo's only
way for an app to post). Its rules go beyond Weibo's own: every post carries a link under the app's registered
safe domain (安全域名), at most 140 characters (a half-width one counts ½) and no ``#话题#``; the operator's real IP
(``rip``) is reported. So publishing is on only with ``share_link`` (a page under the safe domain, appended when
the text has no link there) and ``rip`` set; a planned post that breaks the API's rules goes out by hand (the
calendar reminds its owner with the reason) rather than failing.

Weibo's errors (``{"error", "error_code", "request"}``) are mapped: a refused, expired or revoked token pauses the
connector with how to sign in again; the rate limits (10022–10024: per IP, per user, per user per API, counted per
hour) are retried after the hour turns; a comment the author restricted to followers (20206, 20207), a deleted
post or comment (20101, 20201) and a repeated text (20019) are clear refusals.

Why httpx and not a Weibo SDK: the maintained Python SDKs are unmaintained for years (``sinaweibopy``); the API is
a dozen form-encoded calls, and every connector shares ``connectors/http.py``'s request policy.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from hudong.connectors.base import Batch, Connector, CredentialsRefused, Retry
from hudong.connectors.http import Http
from hudong.connectors.payload import dig, json_object, json_object_file, parse_time, write_private_json
from hudong.errors import HudongError
from hudong.platforms import weibo_length

API = "https://api.weibo.com"
PAGE = 100
SHARE_CHARS = 140  # statuses/share: 不超过140个汉字
TOPIC = re.compile(r"#[^#\s][^#\n]*#")  # a Weibo #话题#, which statuses/share refuses
LINK = re.compile(r"https?://[^\s<>\"'，。！？）】]+")
TOKEN_CODES = frozenset({21301, 21314, 21315, 21316, 21317, 21319, 21327, 21332, 21501})
RATE_CODES = frozenset({10022, 10023, 10024})
MEANINGS = {
    10014: "the app has no permission for this API (apply for it at open.weibo.com → 接口管理)",
    10022: "too many requests from this IP this hour",
    10023: "too many requests by this account this hour",
    10024: "too many requests by this account to this API this hour",
    20016: "posting too fast",
    20019: "Weibo refuses a text it has just seen (repeated content): change the wording",
    20101: "the post was deleted",
    20201: "the comment was deleted",
    20206: "the author lets only their followers comment",
    20207: "the author lets only mutual followers comment",
    21327: "the access token expired",
    21332: "the access token is not valid",
}


class WeiboError(HudongError):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def weibo_time(value: Any) -> dt.datetime | None:
    """Weibo's ``Tue May 31 17:46:55 +0800 2011`` as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


def _iso(value: Any) -> str | None:
    t = weibo_time(value)
    return t.isoformat() if t else None


def _epoch(value: Any) -> float:
    t = weibo_time(value)
    return t.timestamp() if t else 0.0


class WeiboConnector(Connector):
    kind = "weibo"
    platform = "weibo"
    capabilities = frozenset({"read_posts", "read_comments", "read_mentions", "read_followers", "reply", "repost",
                              "publish"})

    @classmethod
    def can(cls, action: str, settings: Any) -> bool:
        if action == "publish":  # statuses/share: a safe-domain link and the operator's IP are required
            return bool(settings.get("share_link")) and bool(settings.get("rip"))
        return action in cls.capabilities

    def _share_text(self, text: str) -> str:
        """The text as ``statuses/share`` takes it: with a link under the safe domain (``share_link`` appended
        when none is there)."""
        text = (text or "").strip()
        link = str(self.setting("share_link", required=True)).strip()
        host = (urlsplit(link).hostname or "").lower()
        for url in LINK.findall(text):
            found = (urlsplit(url).hostname or "").lower()
            if host and (found == host or found.endswith("." + host)):
                return text
        return f"{text} {link}".strip()

    def publish_problems(self, text: str, title: str | None = None) -> list[tuple[str, str]]:
        out = []
        if TOPIC.search(text or ""):
            out.append(("微博分享接口(statuses/share)不接受 #话题#:请手动发布,或去掉话题",
                        "Weibo's share API (statuses/share) refuses #topics#: publish it by hand, or drop them"))
        n = math.ceil(weibo_length(self._share_text(text)))
        if n > SHARE_CHARS:
            out.append((f"微博分享接口最多 {SHARE_CHARS} 字(含链接),这条 {n} 字:请手动发布,或缩短",
                        f"Weibo's share API takes at most {SHARE_CHARS} characters with the link; this has {n}"))
        return out

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._http: Http | None = None

    @property
    def http(self) -> Http:
        if self._http is None:
            self._http = Http(str(self.setting("api", API)).rstrip("/"), who=f"connector {self.name} (Weibo)",
                              timeout=float(self.setting("timeout_seconds", 20)),
                              max_wait=float(self.setting("max_wait_seconds", 60)))
        return self._http

    # ---- OAuth 2.0 --------------------------------------------------------------------------------------------
    def authorize_url(self) -> str:
        q = urlencode({"client_id": self.setting("app_key", required=True),
                       "redirect_uri": self.setting("redirect_uri", required=True), "response_type": "code"})
        return f"{str(self.setting('api', API)).rstrip('/')}/oauth2/authorize?{q}"

    def _token_file(self) -> dict[str, Any]:
        return json_object_file(self.state_dir / "token.json")

    def _save_token(self, data: dict[str, Any]) -> None:
        write_private_json(self.state_dir / "token.json", data)

    def token(self) -> tuple[str, str]:
        """(access token, uid): the one kept from the last sign-in, else one exchanged for the ``code`` secret."""
        given = self.secrets.get("access_token")
        if given:
            uid = str(self.setting("uid") or self._token_info(str(given)).get("uid") or "")
            return str(given), uid
        kept = self._token_file()
        if kept.get("access_token") and float(kept.get("expires_at", 0)) > time.time():
            return str(kept["access_token"]), str(kept.get("uid") or "")
        code = self.secrets.get("code")
        if not code or kept.get("used_code") == str(code):
            why = "expired" if kept else "not signed in yet"
            raise CredentialsRefused(
                f"connector {self.name}: Weibo access {why}. The account owner signs in at {self.authorize_url()} "
                f"; Weibo then opens the redirect URI with ?code=…: set that code as the secret `code` "
                f"(HUDONG_{self.name.upper()}_CODE, or [{self.name}] code in secrets.toml) and run "
                f"`hudong connect {self.name}`")
        r = self.http.request("POST", "/oauth2/access_token", data={
            "client_id": self.setting("app_key", required=True), "client_secret": str(self.secrets.require("app_secret")),
            "grant_type": "authorization_code", "code": str(code), "redirect_uri": self.setting("redirect_uri")})
        body = json_object(r)
        if r.status_code >= 300 or not body.get("access_token"):
            raise CredentialsRefused(f"connector {self.name}: Weibo refused the sign-in code ({self._said(body, r)}); "
                                     f"sign in again at {self.authorize_url()} and set the new code")
        data = {"access_token": body["access_token"], "uid": str(body.get("uid") or ""), "used_code": str(code),
                "expires_at": time.time() + float(body.get("expires_in") or 86400)}
        self._save_token(data)
        return str(data["access_token"]), str(data["uid"])

    def _token_info(self, token: str) -> dict[str, Any]:
        r = self.http.request("POST", "/oauth2/get_token_info", data={"access_token": token})
        body = json_object(r)
        if r.status_code >= 300:
            self._raise(body, r, "/oauth2/get_token_info")
        return body

    @staticmethod
    def _said(body: dict[str, Any], r: Any) -> str:
        return f"{body.get('error_code', r.status_code)} {body.get('error', '')}".strip()

    def _raise(self, body: dict[str, Any], r: Any, path: str) -> None:
        code = int(body.get("error_code") or 0)
        said = f"Weibo {path}: {self._said(body, r)}"
        if code in MEANINGS:
            said += f" ({MEANINGS[code]})"
        if code in TOKEN_CODES or r.status_code == 401:
            self.reset()
            raise CredentialsRefused(f"connector {self.name}: {said}; the account owner signs in again at "
                                     f"{self.authorize_url()} (then `hudong connect {self.name}` with the new code)")
        if code in RATE_CODES or code == 20016:
            now = time.time()
            raise Retry(said, after=60.0 if code == 20016 else max(60.0, 3600 - now % 3600 + 5))
        if r.status_code >= 500:
            raise Retry(said)
        raise WeiboError(said, code)

    def request(self, method: str, path: str, **kw: Any) -> Any:
        token, _ = self.token()
        key = "params" if method == "GET" else "data"
        kw[key] = {**(kw.get(key) or {}), "access_token": token}
        r = self.http.request(method, f"/2/{path}", **kw)
        try:
            body = r.json()
        except ValueError:
            raise WeiboError(f"Weibo /2/{path}: HTTP {r.status_code}, not JSON: {r.text[:200]!r}", -1) from None
        if r.status_code >= 300 or (isinstance(body, dict) and body.get("error_code")):
            self._raise(body if isinstance(body, dict) else {}, r, f"/2/{path}")
        return body

    def reset(self) -> None:
        """Forget the kept token (Weibo refused it), remembering which code it came from: a code works once."""
        kept = self._token_file()
        if kept.get("access_token"):
            self._save_token({"used_code": kept.get("used_code")})

    def check(self) -> str:
        token, uid = self.token()
        info = self._token_info(token)
        uid = uid or str(info.get("uid") or "")
        me = self.request("GET", "users/show.json", params={"uid": uid})
        days = float(info.get("expire_in") or 0) / 86400
        publishing = (f"publishes from the calendar with {self.setting('share_link')}" if self.can("publish", self.settings)
                      else "does not publish (set share_link and rip to publish from the calendar)")
        return (f"Weibo @{me.get('screen_name')} ({uid}): {me.get('followers_count') or 0} followers; the sign-in is "
                f"valid for {days:.0f} more day(s); {publishing}")

    # ---- fetch ------------------------------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        marks: dict[str, Any] = json.loads(cursor) if cursor else {}
        now = time.time()
        start = self.since.timestamp() if self.since else now - 86400 * float(self.setting("backfill_days", 30))
        refresh = now - 86400 * float(self.setting("refresh_days", 7))
        _, uid = self.token()
        me = self.request("GET", "users/show.json", params={"uid": uid})
        uid = str(me.get("idstr") or me.get("id") or uid)
        yield self.lines_batch("profile", [{"as_account": True, "account_id": uid, "account_name": me.get("screen_name"),
                                            "followers": me.get("followers_count"),
                                            "account_created": _iso(me.get("created_at")), "raw": me}], marks,
                               f"@{me.get('screen_name')}: profile")

        def mark(key: str) -> float:
            m = marks.get(key)
            return start if self.since or not isinstance(m, int | float) else float(m)

        own: list[dict[str, Any]] = []

        def own_post(d: dict[str, Any]) -> list[dict[str, Any]]:
            own.append(d)  # its reposts are read below
            return [self._post_line(d, uid)]

        streams = [
            ("timeline", "statuses/user_timeline.json", {"uid": uid}, "statuses", min(mark("timeline"), refresh),
             own_post),
            ("comments_to_me", "comments/to_me.json", {}, "comments", mark("comments_to_me"),
             lambda d: [] if dig(d, "user", "idstr") == uid else [self._comment_line(d, uid, inbound=True)]),
            ("comments_by_me", "comments/by_me.json", {}, "comments", mark("comments_by_me"),
             lambda d: [self._comment_line(d, uid, inbound=False)]),
            ("mentions", "statuses/mentions.json", {}, "statuses", mark("mentions"),
             lambda d: [] if dig(d, "user", "idstr") == uid else self._mention_lines(d, uid)),
            ("comment_mentions", "comments/mentions.json", {}, "comments", mark("comment_mentions"),
             lambda d: [] if dig(d, "user", "idstr") == uid else [self._comment_line(d, uid, inbound=True,
                                                                                      kind="mention")]),
        ]
        for key, path, params, field, stop, to_lines in streams:
            lines, newest = [], None
            for d in self._pages(path, params, field, stop):
                newest = max(newest or 0.0, _epoch(d.get("created_at")))
                lines.extend(to_lines(d))
            marks[key] = newest or marks.get(key)
            yield self.lines_batch(key, lines, marks, f"{key}: {len(lines)} items")
        recent = [d for d in own if _epoch(d.get("created_at")) >= refresh and (d.get("reposts_count") or 0) > 0]
        lines, newest = [], None
        for post in recent[: int(self.setting("repost_posts", 20))]:
            for d in self._pages("statuses/repost_timeline.json", {"id": post.get("idstr")}, "reposts",
                                 mark("reposts")):
                newest = max(newest or 0.0, _epoch(d.get("created_at")))
                lines.extend(self._repost_lines(d, uid))
        marks["reposts"] = newest or marks.get("reposts")
        yield self.lines_batch("reposts", lines, marks, f"reposts of {len(recent)} recent posts: {len(lines)} items")

    def _pages(self, path: str, params: dict[str, Any], field: str, stop: float) -> Iterator[dict[str, Any]]:
        for page in range(1, int(self.setting("max_pages", 50)) + 1):
            body = self.request("GET", path, params={**params, "count": PAGE, "page": page})
            items = body.get(field) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise WeiboError(f"Weibo /2/{path}: the response has no list {field!r}", -1)
            for d in items:
                if not isinstance(d, dict):
                    continue
                if _epoch(d.get("created_at")) <= stop:
                    return
                yield d
            if len(items) < PAGE:
                return

    # ---- lines ------------------------------------------------------------------------------------------------
    @staticmethod
    def _person(user: Any) -> dict[str, Any]:
        if not isinstance(user, dict) or not (user.get("idstr") or user.get("id")):
            return {}
        uid = str(user.get("idstr") or user.get("id"))
        return {"as_user": True, "user_id": uid, "user_name": user.get("screen_name"), "handle":
                user.get("screen_name"), "profile_url": f"https://weibo.com/u/{uid}",
                "user_followers": user.get("followers_count"), "user_following": user.get("friends_count"),
                "user_posts": user.get("statuses_count"), "user_description": user.get("description")}

    @staticmethod
    def _media(d: dict[str, Any]) -> str:
        if dig(d, "page_info", "type") == "video":
            return "video"
        return "image" if d.get("pic_ids") or d.get("pic_urls") else "text"

    def _post_line(self, d: dict[str, Any], me: str) -> dict[str, Any]:
        own = dig(d, "user", "idstr") in (me, None)
        parent = dig(d, "retweeted_status", "idstr")
        sid = d.get("idstr") or (str(d["id"]) if d.get("id") else None)
        return {"as_post": True, "post_id": sid, "author_id": dig(d, "user", "idstr") or me,
                "account_id": me if own else None, "created_at": _iso(d.get("created_at")), "text": d.get("text"),
                "likes": d.get("attitudes_count"), "comments": d.get("comments_count"),
                "reposts": d.get("reposts_count"), "media_type": self._media(d), "parent_id": parent,
                "root_id": parent, "is_ugc": not own, "url": f"https://m.weibo.cn/detail/{sid}" if sid else None,
                **({} if own else self._person(d.get("user"))), "raw": d}

    def _comment_line(self, d: dict[str, Any], me: str, *, inbound: bool, kind: str | None = None) -> dict[str, Any]:
        parent = dig(d, "reply_comment", "idstr")
        status = dig(d, "status", "idstr")
        if not inbound and not parent and dig(d, "status", "user", "idstr") not in (me, None):
            parent = f"mention:{status}"  # the account's comment under someone's post answers that post's mention
        return {"as_interaction": True, "interaction_id": d.get("idstr"), "actor_id": dig(d, "user", "idstr"),
                "type": kind or ("reply" if parent else "comment"), "target_post_id": status,
                "target_user_id": me if inbound else dig(d, "reply_comment", "user", "idstr"),
                "created_at": _iso(d.get("created_at")), "text": d.get("text"),
                "parent_id": None if kind == "mention" else parent, "is_inbound": inbound, "by_staff": not inbound,
                "url": f"https://m.weibo.cn/detail/{status}" if status else None,
                **(self._person(d.get("user")) if inbound else {}), "raw": d}

    def _mention_lines(self, d: dict[str, Any], me: str) -> list[dict[str, Any]]:
        """A post mentioning the account: the post (UGC, in its cascade) and a mention to answer in the inbox."""
        sid = d.get("idstr")
        return [self._post_line(d, me), {
            "as_interaction": True, "interaction_id": f"mention:{sid}", "type": "mention",
            "actor_id": dig(d, "user", "idstr"), "target_post_id": sid, "target_user_id": me,
            "created_at": _iso(d.get("created_at")), "text": d.get("text"), "is_inbound": True, "by_staff": False,
            "url": f"https://m.weibo.cn/detail/{sid}", "raw": d}]

    def _repost_lines(self, d: dict[str, Any], me: str) -> list[dict[str, Any]]:
        """A repost of an own post: a post in the cascade (parent = what it reposted, root = the own post) and a
        repost interaction on the own post."""
        line = self._post_line(d, me)
        root = dig(d, "retweeted_status", "idstr")
        sid = d.get("idstr")
        return [line | {"root_id": root}, {
            "as_interaction": True, "interaction_id": f"repost:{sid}", "type": "repost",
            "actor_id": dig(d, "user", "idstr"), "target_post_id": root, "created_at": _iso(d.get("created_at")),
            "is_inbound": False, "by_staff": dig(d, "user", "idstr") == me, "raw": d}]

    # ---- act --------------------------------------------------------------------------------------------------
    def act(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
            **params: Any) -> dict[str, Any]:
        if action == "publish":
            problems = self.publish_problems(text or "")
            if problems:
                raise HudongError("; ".join(en for _, en in problems))
            made = self.request("POST", "statuses/share.json", data={
                "status": self._share_text(text or ""), "rip": str(self.setting("rip", required=True))})
            return {"platform_id": made.get("idstr"), "url": f"https://m.weibo.cn/detail/{made.get('idstr')}"}
        if action not in ("reply", "repost"):
            return super().act(action, idempotency_key=idempotency_key, target=target, text=text, **params)
        target = str(target or "")
        kind, _, sid = target.rpartition(":")
        if action == "repost":
            made = self.request("POST", "statuses/repost.json", data={"id": sid, "status": (text or "").strip()})
            return {"platform_id": made.get("idstr"), "url": f"https://m.weibo.cn/detail/{made.get('idstr')}"}
        text = (text or "").strip()
        if not text:
            raise HudongError("a Weibo reply needs a text")
        if kind in ("post", "mention", "repost"):  # a comment on the post itself
            made = self.request("POST", "comments/create.json", data={"id": sid, "comment": text})
        elif not kind and sid.isdigit():
            comment = self._comment(sid)
            made = self.request("POST", "comments/reply.json", data={
                "cid": sid, "id": dig(comment, "status", "idstr"), "comment": text, "comment_ori": 0})
        else:
            raise HudongError(f"connector {self.name}: {target!r} is not a Weibo comment id or post:ID / mention:ID")
        status = dig(made, "status", "idstr") or sid
        return {"platform_id": made.get("idstr"), "url": f"https://m.weibo.cn/detail/{status}"}

    def _comment(self, cid: str) -> dict[str, Any]:
        """The comment answered, as Weibo shows it now: refused clearly when it was deleted."""
        found = self.request("GET", "comments/show_batch.json", params={"cids": cid})
        found = found if isinstance(found, list) else (found.get("comments") if isinstance(found, dict) else None)
        hit = next((c for c in found or [] if isinstance(c, dict) and str(c.get("idstr")) == cid), None)
        if hit is None or not dig(hit, "status", "idstr"):
            raise WeiboError(f"the comment {cid} was deleted on Weibo (or its post was)", 20201)
        return hit

    def confirm(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
                **params: Any) -> dict[str, Any] | None:
        """Whether a reply went out: the account's own latest comments (``comments/by_me``); a post: its own
        timeline, a post with the text made after the action was queued."""
        if action == "publish":
            want = (text or "").strip()
            queued = parse_time(params.get("queued_at"))
            for st in self.request("GET", "statuses/user_timeline.json", params={"count": PAGE}).get("statuses") or []:
                t = weibo_time(st.get("created_at"))
                after = queued is None or t is None or t.timestamp() >= queued.timestamp() - 60
                if after and want and want in (st.get("text") or ""):
                    return {"platform_id": st.get("idstr"), "url": f"https://m.weibo.cn/detail/{st.get('idstr')}"}
            return None
        if action != "reply":
            return None
        want, target = (text or "").strip(), str(target or "")
        kind, _, sid = target.rpartition(":")
        for c in self.request("GET", "comments/by_me.json", params={"count": PAGE}).get("comments") or []:
            answers = dig(c, "reply_comment", "idstr") == sid if not kind else dig(c, "status", "idstr") == sid
            if answers and (c.get("text") or "").strip().endswith(want):
                return {"platform_id": c.get("idstr"), "url": f"https://m.weibo.cn/detail/{dig(c, 'status', 'idstr')}"}
        return None
