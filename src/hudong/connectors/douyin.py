"""The Douyin connector: one Douyin enterprise account (企业号) through the Douyin open platform (open.douyin.com).

    [connectors.dy]
    type = "douyin"
    client_key = "awxxxxxxxxxxxxxx"                     # 控制台 → 应用 → Client Key
    redirect_uri = "https://brand.example/douyin/callback"
    comments = true                                     # comment management (scope video.comment, enterprise accounts)
    refresh_days = 7                                    # videos this recent: counts re-read, comments read
    backfill_days = 30                                  # first run: how far back the video list goes

    # secrets: client_secret; and once, the authorization `code` (from the authorize URL `hudong connect dy` prints)

Sign-in is OAuth 2.0 with an authorization code (``/platform/oauth/connect/`` → ``/oauth/access_token/``). The access
token lasts 15 days and is refreshed with the refresh token (``/oauth/refresh_token/``, 30 days), which is itself
renewed before it runs out (``/oauth/renew_refresh_token/``); all kept in the connector's ``token.json`` (0600).
When Douyin refuses the refresh token the connector pauses with the authorize URL.

What each run fetches: the account (``/oauth/userinfo/``) and its followers by day (``/data/external/user/fans/``:
the last day's ``total_fans`` on the account, each day's total, new and — from consecutive totals — lost
followers in ``account_stats``), its videos newest first (``/api/douyin/v1/video/video_list/``: plays, likes,
comments, shares, forwards → ``posts``, re-read for ``refresh_days``), and — with ``comments`` on — the comments on
the videos of the last ``refresh_days`` (``/video/comment/list/``, newest first) and the replies under them
(``/video/comment/reply/list/``): a comment is an inbound ``comment`` on its video, a reply an inbound ``reply``
under it, or a staff reply when the account wrote it. Interaction ids are ``ITEM_ID:COMMENT_ID`` (a reply needs
both). Commenters' open_ids are pseudonymised.

Actions: reply to a comment (``/video/comment/reply/`` with the item and comment ids), or comment on a video
(target ``post:ITEM_ID``). Private messages: Douyin's IM capability (``im.direct_message``, webhook events and a send
API) admits no new applications and is for lead-generating advertisers only, so hudong does not offer it; the
inbox answers comments.

Douyin's errors (``data.error_code``, old and new code tables) are mapped: an expired or invalid access token is
refreshed once; a refused refresh token pauses; busy (2100004, 28001005/6) and too frequent (28003018) retry in a
minute; a used-up quota (2190001, 28003017) retries after midnight, Beijing time; missing capabilities (2100007,
28001012, 28001018) say which scope to apply for.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from hudong.connectors.base import Batch, Connector, CredentialsRefused, Retry
from hudong.connectors.http import Http
from hudong.connectors.payload import dig, json_object, json_object_file, write_private_json
from hudong.errors import HudongError

API = "https://open.douyin.com"
SCOPES = "user_info,video.list.bind,video.data.bind,video.comment,data.external.user"
TOKEN_CODES = frozenset({2190002, 2190008, 28001008, 28001003})
BUSY_CODES = frozenset({2100004, 28001005, 28001006, 28003018, 28001052})
QUOTA_CODES = frozenset({2190001, 28003017})
SCOPE_CODES = frozenset({2100007, 28001012, 28001014, 28001018})
RENEW_BEFORE = 5 * 86400  # renew the refresh token when it has fewer days left than this
BEIJING = dt.timezone(dt.timedelta(hours=8))


class DouyinError(HudongError):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _iso(epoch: Any) -> str | None:
    if isinstance(epoch, int | float) and not isinstance(epoch, bool) and epoch > 0:
        return dt.datetime.fromtimestamp(epoch / 1000 if epoch > 1e11 else epoch, dt.UTC).isoformat()
    return None


def _secs(epoch: Any) -> float:
    if isinstance(epoch, int | float) and not isinstance(epoch, bool):
        return float(epoch / 1000 if epoch > 1e11 else epoch)
    return 0.0


def fan_days(account: str, days: list[Any]) -> list[dict[str, Any]]:
    """``account_stats`` lines from the fans data (``date``, ``new_fans``, ``total_fans``): Douyin reports no
    unfollows, so a day's lost followers are what its total fell short of the day before plus its new fans."""
    out, prev = [], None
    for d in sorted((d for d in days if isinstance(d, dict) and d.get("date")), key=lambda d: str(d["date"])):
        total, new = d.get("total_fans"), d.get("new_fans")
        lost = max(0, prev + new - total) if all(isinstance(x, int) for x in (prev, new, total)) else None
        out.append({"as_stats": True, "account_id": account, "stat_day": str(d["date"]), "followers": total,
                    "new_followers": new, "lost_followers": lost, "raw": d})
        prev = total
    return out


class DouyinConnector(Connector):
    kind = "douyin"
    platform = "douyin"
    capabilities = frozenset({"read_posts", "read_comments", "read_followers", "read_metrics", "reply"})

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._http: Http | None = None

    @property
    def http(self) -> Http:
        if self._http is None:
            self._http = Http(str(self.setting("api", API)).rstrip("/"), who=f"connector {self.name} (Douyin)",
                              timeout=float(self.setting("timeout_seconds", 20)),
                              max_wait=float(self.setting("max_wait_seconds", 60)))
        return self._http

    # ---- OAuth 2.0 --------------------------------------------------------------------------------------------
    def authorize_url(self) -> str:
        q = urlencode({"client_key": self.setting("client_key", required=True), "response_type": "code",
                       "scope": self.setting("scope", SCOPES), "redirect_uri": self.setting("redirect_uri", required=True)})
        return f"{str(self.setting('api', API)).rstrip('/')}/platform/oauth/connect/?{q}"

    def _sign_in_again(self, why: str) -> CredentialsRefused:
        return CredentialsRefused(
            f"connector {self.name}: {why}. The account owner signs in at {self.authorize_url()} ; Douyin then opens "
            f"the redirect URI with ?code=…: set that code as the secret `code` (HUDONG_{self.name.upper()}_CODE, or "
            f"[{self.name}] code in secrets.toml) and run `hudong connect {self.name}`")

    def _oauth(self, path: str, form: dict[str, Any]) -> dict[str, Any]:
        r = self.http.request("POST", path, data=form)
        data = json_object(r).get("data")
        data = data if isinstance(data, dict) else {}
        if r.status_code >= 500:
            raise Retry(f"Douyin {path}: HTTP {r.status_code}")
        if r.status_code >= 300 or int(data.get("error_code") or 0):
            raise self._sign_in_again(f"Douyin {path} refused: {data.get('error_code') or r.status_code} "
                                      f"{data.get('description', '')}".rstrip())
        return data

    def token(self) -> tuple[str, str]:
        """(access token, open_id): kept, refreshed, or exchanged for the ``code`` secret (see the module doc)."""
        path = self.state_dir / "token.json"
        kept = json_object_file(path)
        now = time.time()
        if kept.get("access_token") and float(kept.get("expires_at", 0)) - 300 > now:
            if float(kept.get("refresh_expires_at", 0)) - RENEW_BEFORE < now and kept.get("refresh_token"):
                got = self._oauth("/oauth/renew_refresh_token/", {"client_key": self.setting("client_key"),
                                                                  "refresh_token": kept["refresh_token"]})
                kept |= {"refresh_token": got.get("refresh_token") or kept["refresh_token"],
                         "refresh_expires_at": now + float(got.get("expires_in") or 2592000)}
                write_private_json(path, kept)
            return str(kept["access_token"]), str(kept.get("open_id") or "")
        code = self.secrets.get("code")
        fresh_code = bool(code) and kept.get("used_code") != str(code)
        if kept.get("refresh_token") and float(kept.get("refresh_expires_at", 0)) > now:
            try:
                got = self._oauth("/oauth/refresh_token/", {"client_key": self.setting("client_key"), "grant_type":
                                                             "refresh_token", "refresh_token": kept["refresh_token"]})
                return self._keep(got, kept.get("used_code"), kept)
            except CredentialsRefused:
                if not fresh_code:  # the owner signed in again: the new code below
                    raise
        if not fresh_code:
            raise self._sign_in_again("Douyin access expired" if kept else "not signed in to Douyin yet")
        got = self._oauth("/oauth/access_token/", {
            "client_key": self.setting("client_key", required=True), "client_secret": str(self.secrets.require(
                "client_secret")), "code": str(code), "grant_type": "authorization_code"})
        return self._keep(got, str(code), {})

    def _keep(self, got: dict[str, Any], code: Any, kept: dict[str, Any]) -> tuple[str, str]:
        if not got.get("access_token"):
            raise self._sign_in_again(f"Douyin gave no access token ({got.get('description', '')})")
        now = time.time()
        data = {"access_token": got["access_token"], "open_id": got.get("open_id") or kept.get("open_id"),
                "expires_at": now + float(got.get("expires_in") or 1296000),
                "refresh_token": got.get("refresh_token") or kept.get("refresh_token"),
                "refresh_expires_at": now + float(got["refresh_expires_in"]) if got.get("refresh_expires_in")
                else kept.get("refresh_expires_at", now + 2592000), "used_code": code}
        write_private_json(self.state_dir / "token.json", data)
        return str(data["access_token"]), str(data["open_id"] or "")

    def reset(self) -> None:
        """Forget the access token (Douyin refused it): the next call refreshes it."""
        kept = json_object_file(self.state_dir / "token.json")
        if kept.get("access_token"):
            write_private_json(self.state_dir / "token.json", kept | {"expires_at": 0})

    # ---- requests ---------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                _again: bool = False) -> dict[str, Any]:
        token, open_id = self.token()
        r = self.http.request(method, path, params={"open_id": open_id, **(params or {})}, json=body,
                              headers={"access-token": token})
        payload = json_object(r)
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        code = int(data.get("error_code") or dig(payload, "extra", "error_code") or payload.get("err_no") or 0)
        if r.status_code < 300 and code == 0:
            return data
        said = f"Douyin {path}: {code or r.status_code} {data.get('description') or payload.get('err_msg') or ''}".rstrip()
        if code in TOKEN_CODES or r.status_code == 401:
            if _again:
                raise self._sign_in_again(said)
            self.reset()
            return self.request(method, path, params=params, body=body, _again=True)
        if code in BUSY_CODES or r.status_code >= 500:
            raise Retry(said, after=60.0)
        if code in QUOTA_CODES:
            now = dt.datetime.now(BEIJING)
            midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
            raise Retry(f"{said} (today's quota is used up)", after=(midnight - now).total_seconds())
        if code in SCOPE_CODES:
            raise DouyinError(f"{said}: the app or the account has not granted this capability (apply for it in the "
                              f"Douyin console → 能力管理, and sign in again with scope {self.setting('scope', SCOPES)})",
                              code)
        raise DouyinError(said, code)

    def check(self) -> str:
        _, open_id = self.token()
        me = self._me(open_id)
        return f"Douyin {me.get('nickname')} ({open_id}, role {me.get('e_account_role') or 'personal'}): signed in"

    def _me(self, open_id: str) -> dict[str, Any]:
        for again in (False, True):
            token, _ = self.token()
            try:
                return self._oauth("/oauth/userinfo/", {"access_token": token, "open_id": open_id})
            except CredentialsRefused as e:
                if again or not any(str(c) in str(e) for c in TOKEN_CODES):
                    raise
                self.reset()  # Douyin calls the kept access token stale: refresh it once
        raise AssertionError("unreachable")

    # ---- fetch ------------------------------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        marks: dict[str, Any] = json.loads(cursor) if cursor else {}
        now = time.time()
        start = self.since.timestamp() if self.since else now - 86400 * float(self.setting("backfill_days", 30))
        refresh = now - 86400 * float(self.setting("refresh_days", 7))
        _, open_id = self.token()
        me = self._me(open_id)
        fans = self.request("GET", "/data/external/user/fans/", params={"date_type": 7}).get("result_list") or []
        total = next((d.get("total_fans") for d in sorted(fans, key=lambda d: str(d.get("date")), reverse=True)
                      if isinstance(d, dict) and d.get("total_fans") is not None), None)
        profile = [{"as_account": True, "account_id": open_id, "account_name": me.get("nickname"), "followers": total,
                    "raw": me}, *fan_days(open_id, fans)]
        yield self.lines_batch("profile", profile, marks, f"{me.get('nickname')}: profile, {len(profile) - 1} days")
        mark = marks.get("videos")
        stop = min(start if self.since or not isinstance(mark, int | float) else float(mark), refresh)
        videos, newest = [], None
        for v in self._pages("/api/douyin/v1/video/video_list/", {}, stop, when="create_time", size=20):
            newest = max(newest or 0.0, _secs(v.get("create_time")))
            videos.append(v)
        marks["videos"] = newest or mark
        yield self.lines_batch("videos", [self._video_line(v, open_id) for v in videos], marks,
                               f"videos: {len(videos)}")
        if not self.setting("comments", True):
            return
        lines: list[dict[str, Any]] = []
        recent = [v for v in videos if _secs(v.get("create_time")) >= refresh and dig(v, "statistics", "comment_count")]
        for v in recent:
            item = str(v.get("item_id"))
            for c in self._pages("/video/comment/list/", {"item_id": item, "sort_type": "time"}, 0, size=50):
                lines.append(self._comment_line(c, item, open_id, parent=None))
                if c.get("reply_comment_total"):
                    for rep in self._pages("/video/comment/reply/list/", {"item_id": item, "comment_id":
                                           c.get("comment_id"), "sort_type": "time"}, 0, size=50):
                        lines.append(self._comment_line(rep, item, open_id, parent=str(c.get("comment_id"))))
        yield self.lines_batch("comments", lines, marks, f"comments on {len(recent)} recent videos: {len(lines)}")

    def _pages(self, path: str, params: dict[str, Any], stop: float, *, when: str = "create_time", size: int
               ) -> Iterator[dict[str, Any]]:  # fmt: skip
        cursor = 0
        for _ in range(int(self.setting("max_pages", 50))):
            data = self.request("GET", path, params={**params, "cursor": cursor, "count": size})
            items = data.get("list")
            if not isinstance(items, list):
                raise DouyinError(f"Douyin {path}: the response has no list", -1)
            for d in items:
                if isinstance(d, dict) and stop and _secs(d.get(when)) <= stop:
                    return
                if isinstance(d, dict):
                    yield d
            if not data.get("has_more") or not items:
                return
            cursor = data.get("cursor") or 0

    # ---- lines ------------------------------------------------------------------------------------------------
    @staticmethod
    def _video_line(v: dict[str, Any], me: str) -> dict[str, Any]:
        s = v.get("statistics") if isinstance(v.get("statistics"), dict) else {}
        shares = sum(int(s.get(k) or 0) for k in ("share_count", "forward_count")) if s else None
        return {"as_post": True, "post_id": v.get("item_id"), "author_id": me, "account_id": me,
                "created_at": _iso(v.get("create_time")), "text": v.get("title"),
                "media_type": "image" if v.get("media_type") == 2 else "video", "likes": s.get("digg_count"),
                "comments": s.get("comment_count"), "reposts": shares, "impressions": s.get("play_count"),
                "url": v.get("share_url"), "is_ugc": False, "raw": v}

    @staticmethod
    def _comment_line(c: dict[str, Any], item: str, me: str, *, parent: str | None) -> dict[str, Any]:
        who = c.get("comment_user_id")
        staff = bool(who) and who == me
        cid = c.get("comment_id")
        return {"as_interaction": True, "interaction_id": f"{item}:{cid}" if cid else None,
                "type": "reply" if parent else "comment", "actor_id": who, "target_post_id": item,
                "target_user_id": None if staff else me, "created_at": _iso(c.get("create_time")),
                "text": c.get("content"), "parent_id": f"{item}:{parent}" if parent else None,
                "is_inbound": not staff, "by_staff": staff, "as_user": True if who and not staff else None,
                "user_id": who if not staff else None, "raw": c}

    # ---- act --------------------------------------------------------------------------------------------------
    def act(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
            **params: Any) -> dict[str, Any]:
        if action != "reply":
            return super().act(action, idempotency_key=idempotency_key, target=target, text=text, **params)
        text = (text or "").strip()
        if not text:
            raise HudongError("a Douyin reply needs a text")
        head, _, tail = str(target or "").partition(":")
        if head == "post" and tail:
            body = {"item_id": tail, "content": text}
        elif head and tail:
            body = {"item_id": head, "comment_id": tail, "content": text}
        else:
            raise HudongError(f"connector {self.name}: {target!r} is not ITEM_ID:COMMENT_ID or post:ITEM_ID")
        made = self.request("POST", "/video/comment/reply/", body=body)
        cid = made.get("comment_id")
        return {"platform_id": f"{body['item_id']}:{cid}" if cid else None, "url": None}
