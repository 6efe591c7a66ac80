"""WeChat Official Account (微信公众号): the message server — what followers send reaches hudong as WeChat pushes it.

WeChat calls the account's server URL (公众平台 → 设置与开发 → 基本配置 → 服务器配置) for every message and event:

- **URL verification**: ``GET ?signature&timestamp&nonce&echostr``; ``signature`` = SHA-1 of the sorted
  ``token``, ``timestamp``, ``nonce``; the answer is ``echostr`` (decrypted first in safe mode).
- **Messages** (``POST``, XML): plaintext (明文), compatible (兼容: both) or safe mode (安全模式:
  ``encrypt_type=aes``; ``<Encrypt>`` is AES-256-CBC with the key ``base64(EncodingAESKey + "=")`` and its first
  16 bytes as IV, over ``random(16) · len(4, big-endian) · xml · AppID``, PKCS#7-padded to 32 bytes, and
  ``msg_signature`` = SHA-1 of the sorted token, timestamp, nonce and ``Encrypt``). The reply must come within 5 s:
  a passive reply message where a rule applies (a keyword, the welcome for a new follower), else ``success``.

``hudong serve`` answers at ``/hooks/wechat/NAME`` (``web/wechat_hook.py``): it checks the signature, writes each
message as a ``live-jsonl`` line under the connector's ``received/`` folder (0600) and asks the server to sync the
connector at once; ``fetch`` then imports those files through the import path like any batch (pseudonymisation,
quarantine, the keyed upsert: WeChat's retries of an unanswered message are stored once). Message → interaction:
text, image, voice, video, location and link → ``dm`` (inbound: they wait in the reply inbox); subscribe →
``follow`` (also ``follows``; the QR scene in the text), unsubscribe → ``unfollow``; menu clicks, link views and
QR scans → ``click``; a template message's delivery receipt → ``impression``; the passive reply → an automated
staff ``dm`` (it does not stop the response clock). Protocol: developers.weixin.qq.com/doc/offiaccount
("接入概述", "接收普通消息", "接收事件推送", "被动回复用户消息", "消息加解密说明").

Tested against a stand-in that plays WeChat's servers by the documented protocol (tests/test_wechat.py), and the
crypto against the known-answer sample of Tencent's WXBizMsgCrypt.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import html
import json
import mimetypes
import os
import secrets
import struct
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree

from hudong.connectors.base import LIVE_FORMAT, Batch, Connector, CredentialsRefused, Retry
from hudong.connectors.http import Http
from hudong.connectors.payload import dig, json_object, json_object_file, write_private_json
from hudong.errors import HudongError

BLOCK = 32  # WeChat pads to 32 bytes (PKCS#7 with a 32-byte block), not AES's 16
MAX_AGE = 300  # seconds a signed timestamp stays valid (WeChat retries within 15 s): older is a replay
MAX_BODY = 64 * 1024
DM_TYPES = {"text": "", "image": "[图片]", "voice": "[语音]", "video": "[视频]", "shortvideo": "[小视频]",
            "location": "[位置]", "link": "[链接]", "file": "[文件]"}  # fmt: skip


SHANGHAI = ZoneInfo("Asia/Shanghai")  # WeChat's statistics days are Beijing days
TOKEN_MARGIN = 300  # seconds before its expiry an access_token is replaced
TOKEN_CODES = {40001, 40014, 42001}  # the token is stale (another process refreshed it, or it expired): get it again
REFUSED = {40013: "the AppID is not valid", 40125: "the AppSecret is not valid",
           40164: "this server's IP address is not in the account's IP whitelist (基本配置 → IP白名单)",
           41004: "the AppSecret is missing"}  # fmt: skip
BUSY = {-1: ("WeChat is busy", 30.0), 45009: ("the API's daily quota is used up", 3600.0),
        45011: ("the API is called too often", 60.0)}  # fmt: skip
MEANINGS = {45015: "WeChat lets an account answer a person only within 48 hours of their last message (or after "
                   "they unfollowed, not at all): this window has closed",
            45047: "WeChat allows 20 answers per 48-hour window: this person's are used up until they write again",
            40003: "the person is not a follower of this account (invalid openid)",
            48001: "the account may not use this API (an unverified account?)",
            45002: "the message is too long",
            61500: "WeChat refused the date (its format)", 61501: "WeChat refused the date range",
            88000: "comments are not open on this article (or the account may not manage them)",
            88001: "the article does not exist", 88004: "the commenter deleted the comment",
            88005: "this comment already has a reply: WeChat allows one", 88007: "the reply is empty or too long",
            88008: "the comment does not exist"}  # fmt: skip


DIGEST_CHARS = 120  # 图文消息的摘要: WeChat cuts it at 120
AUTHOR_CHARS = 16  # 作者 (8 汉字 in the documentation; characters here)
PUBLISH_STATUS = {2: "原创声明失败 (the originality claim failed)", 3: "常规失败 (WeChat's ordinary failure)",
                  4: "平台审核不通过 (refused by WeChat's review)", 5: "the account deleted every article after it went out",
                  6: "WeChat blocked every article after it went out"}  # fmt: skip


class WechatError(HudongError):
    def __init__(self, message: str, errcode: int):
        super().__init__(message)
        self.errcode = errcode


class SignatureError(HudongError):
    """A request that WeChat did not sign (bad or stale signature): answered 403, never stored."""


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 over the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(expected: str, *parts: str, timestamp: str, now: float | None = None) -> None:
    if not hmac.compare_digest(signature(*parts), expected or ""):
        raise SignatureError("the request is not signed with this account's token")
    try:
        age = abs((now or time.time()) - int(timestamp))
    except ValueError:
        raise SignatureError(f"bad timestamp {timestamp!r}") from None
    if age > MAX_AGE:
        raise SignatureError(f"the signed timestamp is {age:.0f} s old: a replay, or this server's clock is wrong")


def _key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except ValueError:
        key = b""
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise HudongError("the EncodingAESKey must be the 43 characters the WeChat console shows")
    return key


def decrypt(encoding_aes_key: str, encrypted: str, app_id: str) -> str:
    """The message inside ``<Encrypt>`` (or a safe-mode ``echostr``); SignatureError when it is not for ``app_id``."""
    key = _key(encoding_aes_key)
    try:
        d = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        plain = d.update(base64.b64decode(encrypted, validate=True)) + d.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK:
            raise ValueError("bad padding")
        plain = plain[:-pad]
        (n,) = struct.unpack(">I", plain[16:20])
        msg, receiver = plain[20:20 + n], plain[20 + n:]
    except (ValueError, IndexError, struct.error) as e:
        raise SignatureError(f"the encrypted message cannot be read with this EncodingAESKey ({e})") from None
    if receiver.decode(errors="replace") != app_id:
        raise SignatureError(f"the message is for {receiver.decode(errors='replace')!r}, not this account ({app_id})")
    return msg.decode()


def encrypt(encoding_aes_key: str, message: str, app_id: str, random16: bytes | None = None) -> str:
    """What WeChat (and a safe-mode reply) puts in ``<Encrypt>``."""
    key = _key(encoding_aes_key)
    body = message.encode()
    plain = (random16 or secrets.token_bytes(16)) + struct.pack(">I", len(body)) + body + app_id.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    e = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(e.update(plain) + e.finalize()).decode()


def parse_xml(body: bytes | str) -> dict[str, str]:
    """A WeChat XML message as a flat dict of its child elements (defusedxml: no entities, no external DTDs)."""
    if len(body) > MAX_BODY:
        raise HudongError(f"the message is larger than {MAX_BODY} bytes")
    try:
        root = ElementTree.fromstring(body)
    except Exception as e:  # noqa: BLE001 - ParseError and defusedxml's refusals alike
        raise HudongError(f"the body is not a WeChat XML message: {e}") from None
    return {child.tag: (child.text or "") for child in root}


def reply_xml(to_user: str, from_user: str, text: str, now: int | None = None) -> str:
    """A passive text reply (被动回复): CDATA, with ``]]>`` split so a text cannot end the section."""
    def cdata(s: str) -> str:
        return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"

    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{now or int(time.time())}</CreateTime><MsgType>{cdata('text')}</MsgType>"
            f"<Content>{cdata(text)}</Content></xml>")


def article_line(art: Any, account: str) -> dict[str, Any]:
    """A ``getarticletotal`` entry as a ``posts`` line: its latest ``details`` row holds the counts to date."""
    details = [d for d in (art.get("details") or []) if isinstance(d, dict)] if isinstance(art, dict) else []
    last = max(details, key=lambda d: str(d.get("stat_date")), default={})
    ref = art.get("ref_date") if isinstance(art, dict) else None
    return {"as_post": True, "post_id": art.get("msgid") if isinstance(art, dict) else None,
            "account_id": account, "author_id": account, "created_at": f"{ref}T00:00:00" if ref else None,
            "text": art.get("title") if isinstance(art, dict) else None, "media_type": "article", "is_ugc": False,
            "impressions": last.get("int_page_read_count"), "reach": last.get("int_page_read_user"),
            "reposts": last.get("share_count"), "saves": last.get("add_to_fav_count"), "raw": art}  # fmt: skip


def _published(got: dict[str, Any]) -> dict[str, Any]:
    """A finished publishing job as the outbox keeps it: the article's id and its permanent link."""
    items = dig(got, "article_detail", "item") or []
    url = next((i.get("article_url") for i in items if isinstance(i, dict) and i.get("article_url")), None)
    return {"platform_id": str(got.get("article_id") or got.get("publish_id")), "url": url}


def _article_ref(msgid: str) -> tuple[int, int]:
    """The statistics' article id ``MSGDATAID_N`` (N from 1 in a multi-article message) as the comment API's
    ``msg_data_id`` and ``index`` (from 0)."""
    data_id, _, n = str(msgid).partition("_")
    if not data_id.isdigit():
        raise HudongError(f"not a WeChat article id: {msgid!r}")
    return int(data_id), max(int(n) - 1, 0) if n.isdigit() else 0


def comment_lines(c: Mapping[str, Any], msgid: str, account: str) -> list[dict[str, Any]]:
    """A ``comment/list`` entry as an inbound ``comment`` (and the account's reply to it as a staff ``reply``)."""
    def at(v: Any) -> str | None:
        try:
            return dt.datetime.fromtimestamp(int(v), dt.UTC).replace(tzinfo=None).isoformat()
        except (TypeError, ValueError):
            return None

    cid, who = f"{msgid}:{c.get('user_comment_id')}", c.get("openid") or None
    out = [{"as_interaction": True, "interaction_id": cid, "type": "comment", "actor_id": who, "user_id": who,
            "as_user": bool(who) or None, "handle": who, "target_post_id": msgid, "created_at": at(c.get("create_time")),
            "text": c.get("content"), "is_inbound": True, "by_staff": False, "raw": dict(c)}]  # fmt: skip
    reply = c.get("reply")
    if isinstance(reply, dict) and reply.get("content"):
        out.append({"as_interaction": True, "interaction_id": f"{cid}:reply", "type": "reply", "actor_id": account,
                    "target_post_id": msgid, "target_user_id": who, "parent_id": cid,
                    "created_at": at(reply.get("create_time")), "text": reply.get("content"), "is_inbound": False,
                    "by_staff": True, "raw": dict(reply)})  # fmt: skip
    return out


def interaction_line(msg: Mapping[str, str]) -> dict[str, Any]:
    """The ``live-jsonl`` line of one message or event (the module doc's table), the XML kept under ``raw``."""
    kind, event = msg.get("MsgType", ""), msg.get("Event", "")
    who, account = msg.get("FromUserName") or None, msg.get("ToUserName") or None
    try:
        at = dt.datetime.fromtimestamp(int(msg.get("CreateTime", "")), dt.UTC).replace(tzinfo=None).isoformat()
    except ValueError:
        at = msg.get("CreateTime") or None  # quarantined by the import with the reason
    # The openid is also the person's contact (table contacts): what an answer from the inbox is addressed to.
    line: dict[str, Any] = {"as_interaction": True, "as_user": bool(who) or None, "user_id": who, "actor_id": who,
                            "handle": who,
                            "target_user_id": account, "created_at": at, "is_inbound": False, "by_staff": False,
                            "raw": dict(msg)}  # fmt: skip
    if kind in DM_TYPES:
        text = {"text": msg.get("Content", ""),
                "voice": f"[语音] {msg.get('Recognition', '')}".strip(),
                "location": f"[位置] {msg.get('Label', '')} ({msg.get('Location_X', '')}, {msg.get('Location_Y', '')})",
                "link": f"[链接] {msg.get('Title', '')} {msg.get('Url', '')}".strip()}.get(kind, DM_TYPES[kind])  # fmt: skip
        return line | {"interaction_id": msg.get("MsgId") or f"{who}:{msg.get('CreateTime')}", "type": "dm",
                       "text": text, "is_inbound": True}
    key = f"{event}:{who}:{msg.get('CreateTime')}"  # events carry no MsgId: WeChat dedupes them by sender + time
    scene = msg.get("EventKey", "")
    if event == "subscribe":
        return line | {"interaction_id": key, "type": "follow", "text": scene.removeprefix("qrscene_") or None,
                       "as_follow": True, "follower_id": who, "followee_id": account, "follow_created": at}
    if event == "unsubscribe":
        return line | {"interaction_id": key, "type": "unfollow", "text": None}
    if event in ("CLICK", "VIEW", "SCAN", "scancode_push", "scancode_waitmsg", "view_miniprogram"):
        return line | {"interaction_id": key, "type": "click", "text": f"{event.lower()}: {scene}"}
    if event == "TEMPLATESENDJOBFINISH":
        return line | {"interaction_id": f"template:{msg.get('MsgID') or key}", "type": "impression",
                       "text": f"template message {msg.get('MsgID', '')}: {msg.get('Status', '')}"}
    # Anything else (location reports, card events …): kept with its type, quarantined by the import as unknown.
    return line | {"interaction_id": key, "type": (event or kind or "unknown").lower(), "text": None}


class WechatConnector(Connector):
    """The account's message server (see the module doc) and its API for answers from the inbox (客服消息 within
    WeChat's 48-hour window). Settings: ``app_id``, ``auto_reply`` (a table: ``welcome`` for new followers,
    ``keywords`` = {word: reply}), ``api`` (default https://api.weixin.qq.com), ``cover`` (an image file) or
    ``cover_media_id`` (a permanent image material) — the cover of the articles the calendar publishes, which
    turns publishing on — and ``author``; secrets: ``token``, ``encoding_aes_key`` (safe and compatible mode),
    ``app_secret`` (answers, publishing)."""

    kind = "wechat"
    platform = "wechat"
    capabilities = frozenset({"read_dms", "read_comments", "read_metrics", "message", "reply", "hide", "elect",
                              "publish"})
    idempotent_actions = frozenset({"publish"})  # its job is kept per action: sending again continues it

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self._http: Http | None = None

    @property
    def http(self) -> Http:
        if self._http is None:
            api = str(self.setting("api", "https://api.weixin.qq.com")).rstrip("/")
            self._http = Http(api, who=f"connector {self.name} (WeChat {api})",
                              timeout=float(self.setting("timeout_seconds", 10)),
                              max_wait=float(self.setting("max_wait_seconds", 60)))
        return self._http

    # ---- the API: access_token, errors ---------------------------------------------------------------------
    def access_token(self, *, fresh: bool = False) -> str:
        """The account's access_token from the stable-token endpoint, kept in ``state_dir/token.json`` (0600) and
        replaced ``TOKEN_MARGIN`` seconds before it expires. A file lock makes one process at a time refresh it;
        the stable endpoint hands every caller the same token until it expires, so workers never invalidate each
        other's (the old ``/cgi-bin/token`` did). ``fresh``: ask again (WeChat said the kept one is stale)."""
        path = self.state_dir / "token.json"
        with _locked(self.state_dir / "token.lock"):
            kept = json_object_file(path)
            if (not fresh and kept.get("app_id") == self.app_id and kept.get("access_token")
                    and float(kept.get("expires_at", 0)) - TOKEN_MARGIN > time.time()):
                return str(kept["access_token"])
            got = self.call("/cgi-bin/stable_token", {"grant_type": "client_credential", "appid": self.app_id,
                                                      "secret": str(self.secrets.require("app_secret")),
                                                      "force_refresh": False}, token=False)  # fmt: skip
            token = str(got.get("access_token") or "")
            if not token:
                raise WechatError(f"connector {self.name}: WeChat gave no access_token ({got})", -1)
            write_private_json(path, {"app_id": self.app_id, "access_token": token,
                                      "expires_at": time.time() + float(got.get("expires_in") or 7200)})
            return token

    def call(self, path: str, body: dict[str, Any], *, token: bool = True, files: dict[str, Any] | None = None,
             query: dict[str, str] | None = None, _again: bool = False) -> dict[str, Any]:
        """POST one API call (JSON, or multipart with ``files``); WeChat's ``errcode`` (on HTTP 200) as a clear
        error: refused credentials pause the connector, a busy platform is retried by the outbox, a stale token
        is fetched again once."""
        params = {**(query or {}), **({"access_token": self.access_token(fresh=_again)} if token else {})}
        sent = {"files": files} if files is not None else {"json": body}
        r = self.http.request("POST", path, params=params, **sent)
        if r.status_code >= 300:
            raise Retry(f"WeChat {path}: HTTP {r.status_code}") if r.status_code >= 500 else WechatError(
                f"WeChat {path}: HTTP {r.status_code}", r.status_code)
        data = json_object(r)
        code = int(data.get("errcode") or 0)
        if code == 0:
            return data
        said = f"WeChat {path}: errcode {code}: {data.get('errmsg', '')}"
        if code in TOKEN_CODES and token and not _again:
            return self.call(path, body, files=files, query=query, _again=True)
        if code in REFUSED:
            raise CredentialsRefused(f"connector {self.name}: {REFUSED[code]} ({said}); fix it, then run "
                                     f"`hudong connect {self.name}`")
        if code in BUSY:
            raise Retry(f"{BUSY[code][0]} ({said})", after=BUSY[code][1])
        raise WechatError(f"{MEANINGS.get(code, 'WeChat refused the call')} ({said})", code)

    def act(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
            **params: Any) -> dict[str, Any]:
        """``message``: answer a person (客服消息, text) — ``author`` is their openid (the inbox passes the
        contact); WeChat refuses it after the 48-hour window, which the inbox checks first."""
        if action in ("reply", "hide", "elect"):  # on an article comment: target "MSGID:USER_COMMENT_ID"
            msgid, _, comment_id = str(target or "").rpartition(":")
            if not msgid or not comment_id.isdigit():
                raise HudongError(f"connector {self.name}: {target!r} is not a WeChat article comment")
            data_id, index = _article_ref(msgid)
            ref = {"msg_data_id": data_id, "index": index, "user_comment_id": int(comment_id)}
            if action != "reply":  # hide: WeChat deletes it from the article; elect: 精选, shown to every reader
                self.call("/cgi-bin/comment/delete" if action == "hide" else "/cgi-bin/comment/markelect", ref)
                return {"platform_id": str(target), "url": None}
            text = (text or "").strip()
            if not text:
                raise HudongError("a WeChat reply needs a text")
            self.call("/cgi-bin/comment/reply/add", {**ref, "content": text})
            return {"platform_id": f"{target}:reply", "url": None}
        if action == "publish":
            return self._publish(idempotency_key, text or "", params.get("title"))
        if action != "message":
            return super().act(action, idempotency_key=idempotency_key, target=target, text=text, **params)
        to, text = params.get("author"), (text or "").strip()
        if not to:
            raise HudongError(f"connector {self.name}: an answer on WeChat needs the person's openid (the contact "
                              "of the message's sender; [privacy] contacts must be on)")
        if not text:
            raise HudongError("a WeChat answer needs a text")
        self.call("/cgi-bin/message/custom/send", {"touser": to, "msgtype": "text", "text": {"content": text}})
        return {"platform_id": None, "url": None}

    # ---- publishing an article (发布能力: draft/add → freepublish/submit → freepublish/get) -------------------
    @classmethod
    def can(cls, action: str, settings: Any) -> bool:
        if action == "publish":  # an article needs a cover image: publishing is on once one is set
            return bool(settings.get("cover") or settings.get("cover_media_id"))
        return action in cls.capabilities

    def publish_problems(self, text: str, title: str | None = None) -> list[tuple[str, str]]:
        if not (title or "").strip():
            return [("公众号文章需要标题:请填写标题", "a WeChat article needs a title")]
        return []

    def confirm(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
                **params: Any) -> dict[str, Any] | None:
        """An article: what its publishing job says (the job is kept per action, so asking again never publishes
        twice)."""
        if action != "publish":
            return None
        job = json_object_file(self._job_path(idempotency_key))
        if not job.get("publish_id"):
            return None
        got = self.call("/cgi-bin/freepublish/get", {"publish_id": job["publish_id"]})
        return _published(got) if int(got.get("publish_status", -1)) == 0 else None

    def _job_path(self, key: str) -> Any:
        d = self.state_dir / "publishing"
        d.mkdir(exist_ok=True, mode=0o700)
        return d / f"{''.join(ch for ch in key if ch.isalnum() or ch in '-_')}.json"

    def _cover(self) -> str:
        """The permanent image material used as every article's cover: ``cover_media_id``, else the ``cover``
        image uploaded once (``material/add_material``) and its id kept."""
        given = self.setting("cover_media_id")
        if given:
            return str(given)
        path = Path(str(self.setting("cover", required=True))).expanduser()
        if not path.is_absolute():
            path = self.workspace_dir / path
        if not path.is_file():
            raise HudongError(f"hudong.toml [connectors.{self.name}] cover: {path} not found")
        kept_path = self.state_dir / "cover.json"
        kept = json_object_file(kept_path)
        stamp = f"{path}:{path.stat().st_mtime_ns}:{path.stat().st_size}"
        if kept.get("stamp") == stamp and kept.get("media_id"):
            return str(kept["media_id"])
        mime = mimetypes.guess_type(path.name)[0] or "image/jpeg"
        got = self.call("/cgi-bin/material/add_material", {}, query={"type": "image"},
                        files={"media": (path.name, path.read_bytes(), mime)})
        media_id = str(got.get("media_id") or "")
        if not media_id:
            raise WechatError(f"WeChat gave no media_id for the cover {path.name} ({got})", -1)
        write_private_json(kept_path, {"stamp": stamp, "media_id": media_id})
        return media_id

    def _publish(self, key: str, text: str, title: str | None) -> dict[str, Any]:
        """One article: saved as a draft, submitted, its job polled. Each step's id is kept under the action's
        key before the next, so a retry (the outbox's, after a "still publishing") continues the same job and
        never publishes the article twice. WeChat's verdicts (原创/审核 failures) are refused with the reason."""
        problems = self.publish_problems(text, title)
        if problems:
            raise HudongError(problems[0][1])
        path = self._job_path(key)
        job = json_object_file(path)
        if not job.get("media_id"):
            body = "".join(f"<p>{html.escape(line)}</p>" for line in text.strip().splitlines() if line.strip())
            article = {"title": str(title).strip(), "content": body or "<p></p>", "thumb_media_id": self._cover(),
                       "digest": text.strip()[:DIGEST_CHARS], "need_open_comment": 1,
                       "author": str(self.setting("author", "") or "")[:AUTHOR_CHARS]}  # fmt: skip
            job["media_id"] = str(self.call("/cgi-bin/draft/add", {"articles": [article]}).get("media_id") or "")
            write_private_json(path, job)
        if not job.get("publish_id"):
            job["publish_id"] = str(self.call("/cgi-bin/freepublish/submit", {"media_id": job["media_id"]})
                                    .get("publish_id") or "")
            write_private_json(path, job)
        deadline = time.monotonic() + float(self.setting("publish_wait_seconds", 20))
        pause = 0.5
        while True:
            got = self.call("/cgi-bin/freepublish/get", {"publish_id": job["publish_id"]})
            status = int(got.get("publish_status", -1))
            if status == 0:
                return _published(got)
            if status != 1:
                path.unlink(missing_ok=True)  # a new attempt (the operator re-schedules) starts a new draft
                raise WechatError(f"WeChat did not publish the article: {PUBLISH_STATUS.get(status, status)} "
                                  f"(publish_id {job['publish_id']}, failed articles {got.get('fail_idx') or []})",
                                  status)  # fmt: skip
            if time.monotonic() >= deadline:
                raise Retry(f"WeChat is still publishing the article (publish_id {job['publish_id']}); asking again "
                            "later", after=60.0)
            time.sleep(pause)
            pause = min(pause * 2, 4.0)

    @property
    def app_id(self) -> str:
        return str(self.setting("app_id", required=True))

    @property
    def received(self) -> Any:
        d = self.state_dir / "received"
        d.mkdir(exist_ok=True, mode=0o700)
        return d

    def check(self) -> str:
        token = str(self.secrets.require("token"))
        if not 3 <= len(token) <= 32 or not token.isalnum():
            raise HudongError(f"connector {self.name}: the WeChat token must be 3–32 letters or digits")
        aes = self.secrets.get("encoding_aes_key")
        if aes:
            _key(str(aes))
        api = "no app_secret: answers from the inbox are off"
        if self.secrets.get("app_secret"):
            self.access_token(fresh=True)
            api = "the API accepts the AppSecret (answers from the inbox are on" + (
                "; articles are published from the calendar)" if self.can("publish", self.settings)
                else "; set cover to publish articles from the calendar)")
        return (f"WeChat account {self.app_id}: message server at /hooks/wechat/{self.name} "
                f"({'safe or compatible' if aes else 'plaintext'} mode; set that URL and the token in 公众平台 → "
                f"设置与开发 → 基本配置 → 服务器配置); {api}")

    # ---- what WeChat sends ---------------------------------------------------------------------------------
    def verify(self, params: Mapping[str, str], now: float | None = None) -> str:
        """The answer to WeChat's URL verification: ``echostr`` (decrypted in safe mode)."""
        token = str(self.secrets.require("token"))
        ts, nonce, echo = params.get("timestamp", ""), params.get("nonce", ""), params.get("echostr", "")
        if params.get("msg_signature"):
            check_signature(params["msg_signature"], token, ts, nonce, echo, timestamp=ts, now=now)
            return decrypt(str(self.secrets.require("encoding_aes_key")), echo, self.app_id)
        check_signature(params.get("signature", ""), token, ts, nonce, timestamp=ts, now=now)
        return echo

    def receive(self, params: Mapping[str, str], body: bytes, now: float | None = None) -> tuple[dict[str, str], str]:
        """Check and read one pushed message, keep it for the next sync; (the message, the answer to send)."""
        token = str(self.secrets.require("token"))
        ts, nonce = params.get("timestamp", ""), params.get("nonce", "")
        check_signature(params.get("signature", ""), token, ts, nonce, timestamp=ts, now=now)
        outer = parse_xml(body)
        safe = params.get("encrypt_type") == "aes"
        if safe:
            check_signature(params.get("msg_signature", ""), token, ts, nonce, outer.get("Encrypt", ""),
                            timestamp=ts, now=now)
            aes = str(self.secrets.require("encoding_aes_key"))
            msg = parse_xml(decrypt(aes, outer.get("Encrypt", ""), self.app_id))
        else:
            msg = outer
        lines = [interaction_line(msg)]
        text = self.auto_reply(msg)
        answer = "success"
        if text:
            created = int(now or time.time())
            answer = reply_xml(msg.get("FromUserName", ""), msg.get("ToUserName", ""), text, created)
            lines.append({"as_interaction": True, "interaction_id": f"auto:{lines[0]['interaction_id']}",
                          "type": "dm", "actor_id": msg.get("ToUserName"), "target_user_id": msg.get("FromUserName"),
                          "created_at": dt.datetime.fromtimestamp(created, dt.UTC).replace(tzinfo=None).isoformat(),
                          "text": text, "parent_id": lines[0]["interaction_id"], "is_inbound": False,
                          "by_staff": True, "is_automated": True, "raw": {"auto_reply": text}})  # fmt: skip
            if safe:
                enc = encrypt(aes, answer, self.app_id)
                reply_nonce = secrets.token_hex(5)
                answer = (f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt><MsgSignature><![CDATA["
                          f"{signature(token, str(created), reply_nonce, enc)}]]></MsgSignature>"
                          f"<TimeStamp>{created}</TimeStamp><Nonce><![CDATA[{reply_nonce}]]></Nonce></xml>")
        self._keep(lines)
        return msg, answer

    def auto_reply(self, msg: Mapping[str, str]) -> str | None:
        """The passive reply a rule gives: the welcome for a new follower, a keyword's answer to a text."""
        rules = self.setting("auto_reply", {}) or {}
        if not isinstance(rules, dict):
            raise HudongError(f"hudong.toml: [connectors.{self.name}.auto_reply] must be a table")
        if msg.get("MsgType") == "event" and msg.get("Event") == "subscribe":
            return str(rules["welcome"]) if rules.get("welcome") else None
        if msg.get("MsgType") == "text":
            content = msg.get("Content", "")
            for word, answer in (rules.get("keywords") or {}).items():
                if word and word in content:
                    return str(answer)
        return None

    def _keep(self, lines: list[dict[str, Any]]) -> None:
        """One owner-only file per pushed message (written whole, then renamed: a sync never reads half of it)."""
        stamp = f"{time.time_ns():020d}-{secrets.token_hex(3)}"
        tmp = self.received / f".{stamp}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(json.dumps({"platform": self.platform, **line}, ensure_ascii=False) + "\n")
        tmp.rename(self.received / f"{stamp}.jsonl")

    # ---- the sync ------------------------------------------------------------------------------------------
    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        """The messages received since the last sync, oldest first, one batch each (deleted once imported); then,
        once a day with ``app_secret``, the analytics (``analytics``)."""
        marks: dict[str, Any] = json.loads(cursor) if cursor and cursor.startswith("{") else {}
        for path in sorted(self.received.glob("*.jsonl")):
            marks["received"] = path.stem
            yield Batch(path, LIVE_FORMAT, json.dumps(marks, sort_keys=True), label=f"WeChat message {path.stem}",
                        temporary=True)  # fmt: skip
        if self.secrets.get("app_secret") and self.setting("analytics", True):
            yield from self.analytics(marks)
        if self.secrets.get("app_secret") and self.setting("comments", True) and marks.get("articles"):
            yield from self.comments(marks)

    def comments(self, marks: dict[str, Any]) -> Iterator[Batch]:
        """The comments (留言) on the articles of the last ``comments_days`` (30) days that the statistics found,
        with the account's replies (``/cgi-bin/comment/list``, 50 a page): each comment an inbound ``comment`` on
        its article (it waits in the reply inbox), each reply a staff ``reply`` under it (it answers it). Read
        whole each time: WeChat lists no changes since a time, and the keyed upsert stores what is new."""
        cutoff = (dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=int(self.setting("comments_days", 30))))
        articles = {m: d for m, d in marks["articles"].items() if dt.date.fromisoformat(d) >= cutoff}
        marks["articles"] = articles
        account = str(self.setting("account", self.app_id))
        lines: list[dict[str, Any]] = []
        closed: list[str] = []
        for msgid in sorted(articles):
            data_id, index = _article_ref(msgid)
            begin = 0
            while True:
                try:
                    page = self.call("/cgi-bin/comment/list", {"msg_data_id": data_id, "index": index,
                                                               "begin": begin, "count": 50, "type": 0})  # fmt: skip
                except WechatError as e:
                    if e.errcode not in (88000, 88001):  # comments closed, or the article gone: skip it
                        raise
                    closed.append(msgid)
                    break
                got = [c for c in page.get("comment") or [] if isinstance(c, dict)]
                for c in got:
                    lines.extend(comment_lines(c, msgid, account))
                begin += len(got)
                if not got or begin >= int(page.get("total") or 0):
                    break
        note = f" ({len(closed)} without comments open: {', '.join(closed)})" if closed else ""
        yield self.lines_batch("comments", lines, marks, f"WeChat comments on {len(articles)} articles{note}")

    def analytics(self, marks: dict[str, Any]) -> Iterator[Batch]:
        """The account's statistics (数据统计 API, ``/datacube/…``), once per day for the days not yet read:
        the follower total (``getusercumulate`` → ``accounts.followers``), the daily followers gained and lost
        (``getusersummary``, summed over the sources) and the people and messages received (``getupstreammsg``)
        → ``account_stats`` one row per day, and each article published in the last
        ``analytics_days`` (7) days with its reads, readers, shares and saves to date (``getarticletotal``, one day
        per call as WeChat requires → ``posts``, media type article, keyed by msgid: the counts are updated as
        they grow). WeChat publishes a day's figures the next morning (Beijing time), so the last day read is
        yesterday."""
        yesterday = dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=1)
        last = marks.get("analytics")
        if last and dt.date.fromisoformat(last) >= yesterday:
            return
        days = max(1, min(int(self.setting("analytics_days", 7)), 7))  # getusercumulate spans 7 days at most
        first = yesterday - dt.timedelta(days=days - 1)
        account = str(self.setting("account", self.app_id))
        lines: list[dict[str, Any]] = []
        cumulate = self.call("/datacube/getusercumulate", {"begin_date": first.isoformat(),
                                                           "end_date": yesterday.isoformat()}).get("list") or []
        latest = max((r for r in cumulate if isinstance(r, dict)), key=lambda r: str(r.get("ref_date")), default=None)
        if latest is not None:
            lines.append({"as_account": True, "account_id": account, "account_name": self.setting("name", account),
                          "followers": latest.get("cumulate_user"), "raw": latest})  # fmt: skip
        span = {"begin_date": first.isoformat(), "end_date": yesterday.isoformat()}
        summary = self.call("/datacube/getusersummary", span).get("list") or []
        upstream = self.call("/datacube/getupstreammsg", span).get("list") or []
        lines += daily_stats(account, cumulate, summary, upstream)
        for k in range(days):
            day = (first + dt.timedelta(days=k)).isoformat()
            for art in self.call("/datacube/getarticletotal", {"begin_date": day, "end_date": day}).get("list") or []:
                lines.append(article_line(art, account))
                if isinstance(art, dict) and art.get("msgid"):  # its comments are read from now on
                    marks.setdefault("articles", {})[str(art["msgid"])] = str(art.get("ref_date") or day)
        marks["analytics"] = yesterday.isoformat()
        yield self.lines_batch("analytics", lines, marks, f"WeChat analytics to {yesterday}: {len(lines)} rows")


def daily_stats(account: str, cumulate: list[Any], summary: list[Any], upstream: list[Any]) -> list[dict[str, Any]]:
    """``account_stats`` lines, one per day: the follower total (``getusercumulate``), followers gained and lost
    summed over their sources (``getusersummary`` lists a row per source: search, QR code, article …) and the
    people and messages received summed over message types (``getupstreammsg``)."""
    days: dict[str, dict[str, Any]] = {}

    def row(r: Any) -> dict[str, Any] | None:
        if not isinstance(r, dict) or not r.get("ref_date"):
            return None
        return days.setdefault(str(r["ref_date"]), {"as_stats": True, "account_id": account,
                                                    "stat_day": str(r["ref_date"]), "raw": {}})

    for name, rows, fields in (("cumulate", cumulate, {"cumulate_user": "followers"}),
                               ("summary", summary, {"new_user": "new_followers", "cancel_user": "lost_followers"}),
                               ("upstream", upstream, {"msg_user": "message_users", "msg_count": "messages"})):
        for r in rows:
            d = row(r)
            if d is None:
                continue
            d["raw"].setdefault(name, []).append(r)
            for src, col in fields.items():
                if isinstance(r.get(src), int) and not isinstance(r.get(src), bool):
                    d[col] = (d.get(col) or 0) + r[src] if col != "followers" else r[src]
    return [days[k] for k in sorted(days)]


@contextlib.contextmanager
def _locked(path: Any) -> Iterator[None]:
    """An exclusive lock on ``path`` across processes (fcntl), released on exit."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
