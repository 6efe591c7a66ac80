"""Alerts to the team where it already talks: a group robot's webhook — 企业微信 (WeCom), 钉钉 (DingTalk), 飞书
(Feishu/Lark) — or any URL that takes JSON. What needs a person now (a post the platform refused, a slot that
passed unpublished) is sent there as well as shown in hudong.

The webhook URL carries the robot's key, so it is a secret: ``HUDONG_NOTIFY_WEBHOOK`` in the environment or
``[notify] webhook = "…"`` in the workspace's ``secrets.toml`` (mode 0600); several URLs separated by commas.
The body follows the URL's host: WeCom and DingTalk take ``{"msgtype": "text", "text": {"content": …}}`` (their
robots' documented text message), Feishu ``{"msg_type": "text", "content": {"text": …}}``, anything else
``{"text": …}`` (Slack's incoming webhooks, Mattermost, a script of yours). An alert that cannot be delivered is
reported back, never raised: publishing goes on, and the failure is kept with the item.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx

from hudong.connectors.base import Retry, Secrets
from hudong.connectors.http import Http

HOSTS = {"qyapi.weixin.qq.com": "wecom", "oapi.dingtalk.com": "dingtalk", "open.feishu.cn": "feishu",
         "open.larksuite.com": "feishu"}  # fmt: skip


def kind(url: str) -> str:
    return HOSTS.get(urlsplit(url).hostname or "", "json")


def body(url: str, text: str) -> dict:
    k = kind(url)
    if k in ("wecom", "dingtalk"):
        return {"msgtype": "text", "text": {"content": text}}
    if k == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    return {"text": text}


def webhooks(ws_dir: str | Path) -> list[str]:
    value = Secrets(Path(ws_dir), "notify").get("webhook") or ""
    return [u.strip() for u in str(value).split(",") if u.strip()]


def _refused(r: httpx.Response) -> str | None:
    """The robot's own refusal in a 200 answer (``errcode`` / ``code`` ≠ 0), else None."""
    if r.status_code >= 400:
        return f"HTTP {r.status_code}"
    try:
        data = r.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        code = data.get("errcode", data.get("code", 0))
        if code not in (0, "0", None):
            return f"{code} {data.get('errmsg') or data.get('msg') or ''}".strip()
    return None


def send(ws_dir: str | Path, text: str, *, transport: httpx.BaseTransport | None = None) -> tuple[int, list[str]]:
    """Send ``text`` to every configured webhook: (delivered, problems). The problems name the robot by its host
    only: the URL's key is never written anywhere."""
    delivered, problems = 0, []
    for url in webhooks(ws_dir):
        host = urlsplit(url).hostname or "webhook"
        http = Http("", who=f"notify {host}", tries=3, max_wait=10, transport=transport)
        try:
            refused = _refused(http.request("POST", url, json=body(url, text)))
        except (Retry, httpx.HTTPError) as e:
            refused = type(e).__name__ if not isinstance(e, Retry) else "no answer after 3 tries"
        finally:
            http.close()
        if refused:
            problems.append(f"{host}: {refused}")
        else:
            delivered += 1
    return delivered, problems
