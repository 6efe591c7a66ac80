"""The REST API under /api (OpenAPI at /openapi.json). Every endpoint needs a user; errors are JSON
``{"error": "..."}`` with the HTTP status (401 no/bad token, 403 role, 404 unknown, 400/422 bad input)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hudong import analyses
from hudong.inbox import items as inbox
from hudong.inbox import labels, replies, sending
from hudong.metrics import REGISTRY, list_metrics
from hudong.metrics import frame as metric_frame
from hudong.report.charts import records

from . import sync
from .auth import User
from .filters import Filters, cached_choices, parse_filters
from .state import Forbidden, check_csrf, errors, require, state_of

router = APIRouter(prefix="/api", tags=["api"])
Reader = Annotated[User, Depends(require("read"))]
Responder = Annotated[User, Depends(require("inbox"))]


class ActionIn(BaseModel):
    action: str = Field(description="assign | replied | ignore | escalate | reopen | draft")
    assignee: str | None = Field(default=None, description="user name, for assign")
    note: str | None = Field(default=None, max_length=2000, description="a note; for draft, the draft text")


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="the reply")
    force: bool = Field(default=False, description="reply even though a colleague's reply is already queued or sent")


class LabelIn(BaseModel):
    task: str = Field(default="sentiment", description="sentiment | emotion | toxicity")
    label: str = Field(
        description="sentiment: positive | neutral | negative; toxicity: ok | toxic; emotion: the classes of the "
        "message language's model — zh: neutral | happy | angry | sad | fear | surprise, en: neutral | happy | "
        "angry | sad (GET …/labels lists them as `choices`)"
    )


def request_filters(request: Request) -> Filters:
    """The analytics pages' filters (``web/filters.py``: platform, account, campaign, start, end), validated
    against the workspace's values: unknown ones raise ``HudongError`` (400 naming the known values)."""
    return parse_filters(request.query_params, cached_choices(state_of(request)))


def split_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@router.get("/me", summary="The authenticated user", responses=errors(401))
def me(user: Reader) -> dict[str, str]:
    return {"name": user.name, "role": user.role}


@router.get("/metrics", summary="Every registered metric with its definition", responses=errors(401))
def metrics_list(user: Reader) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "label_zh": m.label_zh,
            "label_en": m.label_en,
            "unit": m.unit,
            "formula": m.formula,
            "source": m.source,
            "dimensions": list(m.dimensions),
            "filters": ["start", "end", *m.filters],
            "higher_is_better": m.higher_is_better,
        }
        for m in list_metrics()
    ]


@router.get(
    "/metrics/{name}", summary="Compute one metric, grouped by dimensions", responses=errors(400, 401, 404, 422)
)
def metric_values(
    request: Request,
    name: str,
    user: Reader,
    by: Annotated[str | None, Query(description="comma-separated dimensions, e.g. platform,week")] = None,
    start: Annotated[str | None, Query(description="from this date (inclusive)")] = None,
    end: Annotated[str | None, Query(description="up to this date (inclusive)")] = None,
    platform: Annotated[str | None, Query(description="only these platforms (comma-separated)")] = None,
    account: Annotated[str | None, Query(description="only these account_ids (comma-separated)")] = None,
    campaign: Annotated[str | None, Query(description="only these campaign_ids (comma-separated)")] = None,
) -> Any:
    if name not in REGISTRY:
        return JSONResponse({"error": f"unknown metric {name!r}", "metrics": sorted(REGISTRY)}, status_code=404)
    dims = split_list(by)
    f = request_filters(request)  # the filter parameters above are declared for OpenAPI; parsed here, validated
    kw = f.metric_kwargs(name)
    key = ("api-metric", name, tuple(dims), f.key())  # kw follows from (name, filters)
    df = state_of(request).cached(key, lambda ws: metric_frame(ws, name, by=dims, **kw))  # see web/cache.py
    m = REGISTRY[name]
    return {
        "metric": name,
        "label_zh": m.label_zh,
        "label_en": m.label_en,
        "unit": m.unit,
        "by": dims,
        "filters": f.params(),
        "filters_not_applied": f.unsupported(name),
        "rows": records(df),
    }


@router.get("/scorecard", summary="The maturity scorecard with its evidence", responses=errors(401))
def scorecard(request: Request, user: Reader) -> dict[str, Any]:
    return state_of(request).scorecard().to_dict()


@router.get(
    "/groups",
    summary="Group chats as communities: measures per group, weekly activity, community KOCs, who answers whom",
    responses=errors(400, 401, 422),
)
def groups(
    request: Request,
    user: Reader,
    start: Annotated[str | None, Query(description="from this date (inclusive)")] = None,
    end: Annotated[str | None, Query(description="up to this date (inclusive)")] = None,
    platform: Annotated[str | None, Query(description="only these platforms (comma-separated: wechat, qq)")] = None,
    group: Annotated[str | None, Query(description="only these groups (comma-separated)")] = None,
    top: Annotated[int, Query(ge=1, le=100, description="KOCs and answer pairs per group")] = 10,
) -> dict[str, Any]:
    """The ``groups`` analysis (docs/communities.md). Members are pseudonyms; the roles of [privacy]
    show_contacts_to also get each KOC's display name, to thank them."""
    kw = {k: v for k, v in request_filters(request).kwargs().items() if k in ("platform", "start", "end")}
    with state_of(request).db() as ws:
        res = analyses.run(ws, "groups", **kw, top=top, group=split_list(group) or None)
        answerers = records(res.frame("answerers"))
        if answerers and inbox.may_see_contacts(ws, user.role):
            names = dict(ws.con.execute("SELECT platform || ':' || user_id, display_name FROM contacts").fetchall())
            for a in answerers:
                a["display_name"] = names.get(f"{a['platform']}:{a['member']}")
    return {"groups": records(res.frame("groups")), "weekly": records(res.frame("weekly")),
            "answerers": answerers, "pairs": records(res.frame("pairs")), "notes": res.notes}


@router.get(
    "/text/domain",
    summary="Do the sentiment models fit this workspace's texts? Share of a sample they cover poorly, per language",
    responses=errors(401),
)
def text_domain(request: Request, user: Reader) -> dict[str, Any]:
    """The ``text_domain`` analysis (docs/text.md, "Know when not to trust the score"): ``warn`` when 25% or
    more of a language's texts are unlike what its model learnt from; ``hudong text adapt`` is the remedy."""
    res = state_of(request).text_domain()
    return {"languages": records(res.frame("languages")), **res.values}


@router.get(
    "/status",
    summary="What the workspace has and what each scorecard item still needs (hudong status)",
    responses=errors(401, 403),
)
def status(request: Request, user: Reader) -> dict[str, Any]:
    return state_of(request).status().to_dict()


@router.get(
    "/inbox",
    summary="Inbound messages waiting for a staff reply (oldest or newest first)",
    responses=errors(400, 401, 403, 422),
)
def inbox_list(
    request: Request,
    user: Reader,
    platform: str | None = None,
    over_sla: Annotated[bool, Query(description="only items past the SLA (business minutes)")] = False,
    status: Annotated[str, Query(description=" | ".join(inbox.STATUSES))] = "open",
    order: Annotated[str, Query(description="oldest (unanswered first) | newest")] = "oldest",
    sentiment: Annotated[str | None, Query(description=" | ".join(inbox.SENTIMENTS))] = None,
    toxicity: Annotated[str, Query(description="clean | abusive | any (abusive: analyst, admin)")] = "clean",
    mine: Annotated[bool, Query(description="only items assigned to me")] = False,
    limit: Annotated[int, Query(ge=1, le=inbox.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=inbox.MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    if toxicity != "clean" and not user.can("triage"):
        raise Forbidden(f"role {user.role!r} may not read abusive messages (the triage queue: analyst, admin)")
    st = state_of(request)
    q = inbox.InboxQuery(
        platform=platform or None,
        over_sla=over_sla,
        status=status,
        order=order,
        sentiment=sentiment or None,
        toxicity=toxicity,
        assignee=user.name if mine else None,
        limit=limit,
        offset=offset,
    )
    with st.db() as ws:
        out = dict(analyses.run(ws, "inbox", at=st.now(), **asdict(q)).values)
        if inbox.may_see_contacts(ws, user.role):  # whom the message is from: [privacy] show_contacts_to
            inbox.with_contacts(ws, out["items"])
    out["now"] = out["now"].isoformat()
    for r in out["items"]:
        for k in ("ts", "first_ts", "draft_at"):
            r[k] = r[k].isoformat() if r[k] is not None else None
    return out


@router.get(
    "/templates",
    summary="Reply templates (name, lang, body with {user} {brand} {platform})",
    responses=errors(401, 422),
)
def templates_list(request: Request, user: Reader, lang: str | None = None) -> list[dict[str, Any]]:
    with state_of(request).db() as ws:
        rows = replies.list_templates(ws.con, lang or None)
    return [dict(r, updated_at=r["updated_at"].isoformat()) for r in rows]


@router.get(
    "/inbox/{item_id:path}/history", summary="Actions recorded on one inbox item", responses=errors(400, 401, 422)
)
def inbox_history(request: Request, item_id: str, user: Reader) -> list[dict[str, Any]]:
    with state_of(request).db() as ws:
        return inbox.history(ws, item_id)


@router.post(
    "/inbox/{item_id:path}/action",
    summary="Assign, draft, mark replied, ignore, escalate or reopen an item",
    responses=errors(400, 401, 403, 404, 422),
)
def inbox_action(
    request: Request,
    item_id: str,
    body: ActionIn,
    user: Responder,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    check_csrf(request, x_csrf_token)
    with state_of(request).db() as ws:
        return inbox.record_action(ws, item_id, body.action, user.name, assignee=body.assignee, note=body.note)


@router.post(
    "/inbox/{item_id:path}/reply",
    summary="Send a reply to an item on its platform (through its connector's outbox)",
    responses=errors(400, 401, 403, 404, 422),
)
def inbox_reply(
    request: Request,
    item_id: str,
    body: ReplyIn,
    user: Responder,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """``state``: sent (the item is closed as replied), draft (waits for an approver), retry (the platform asked to
    wait; the worker resends) or failed (``error``: the platform's reason, e.g. the message was deleted)."""
    check_csrf(request, x_csrf_token)
    with sync.worker(state_of(request)) as ws:
        return sending.send_reply(ws, item_id, body.text, by=user.name, role=user.role, force=body.force)


@router.get(
    "/inbox/{item_id:path}/labels",
    summary="An item's operator labels, the model's current predictions and the labels offered per task",
    responses=errors(400, 401, 404, 422),
)
def inbox_labels(request: Request, item_id: str, user: Reader) -> dict[str, Any]:
    with state_of(request).db() as ws:
        return labels.item_labels(ws, item_id)


@router.post(
    "/inbox/{item_id:path}/label",
    summary="Label an item's sentiment, emotion or toxicity (replaces its label of that task; in its history)",
    responses=errors(400, 401, 403, 404, 422),
)
def inbox_label(
    request: Request,
    item_id: str,
    body: LabelIn,
    user: Responder,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    check_csrf(request, x_csrf_token)
    with state_of(request).db() as ws:
        return labels.set_label(ws, item_id, body.task, body.label, user.name)


class DraftIn(BaseModel):
    text: str = Field(max_length=2000, description="the composer's text (empty: forget the draft)")


class PresenceIn(BaseModel):
    typing: bool = Field(default=False, description="the composer holds unsent text")


class ItemActIn(BaseModel):
    action: str = Field(description=" | ".join(sending.ITEM_ACTIONS))


@router.get(
    "/inbox/{item_id:path}/conversation",
    summary="One inbox item opened: its thread, the person behind it, its inbox row and history",
    responses=errors(400, 401, 404, 422),
)
def inbox_conversation(request: Request, item_id: str, user: Reader) -> dict[str, Any]:
    """The ``conversation`` analysis (what the inbox's right-hand pane shows): ``item`` (null once answered),
    ``thread`` (messages, post, outbox), ``person`` (activity, orders, segment, sentiment by month, their
    messages, our replies), ``history``; ``contact`` (handle, name, links) for the roles that may see it."""
    st = state_of(request)
    with st.db() as ws:
        out = dict(analyses.run(ws, "conversation", item=item_id, at=st.now()).values)
        out["contact"] = {}
        if inbox.may_see_contacts(ws, user.role):
            rows = [{"platform": out["platform"], "interaction_id": out["interaction_id"],
                     "actor_id": out["person"]["actor_id"]}]  # fmt: skip
            inbox.with_contacts(ws, rows)
            out["contact"] = {k: rows[0][k] for k in ("handle", "display_name", "profile_url", "url")}
    out["others"] = st.presence.others(item_id, user.name)
    return out


@router.put(
    "/inbox/{item_id:path}/draft",
    summary="Save the reply being written (the composer's autosave; one per message and user)",
    responses=errors(400, 401, 403, 404, 422),
)
def inbox_autosave(
    request: Request, item_id: str, body: DraftIn, user: Responder,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    with state_of(request).db() as ws:
        return replies.save_autosave(ws, item_id, user.name, body.text)


@router.post(
    "/inbox/{item_id:path}/presence",
    summary="I have this conversation open (typing: writing a reply); who else has it open",
    responses=errors(400, 401, 403, 404, 422),
)
def inbox_presence(
    request: Request, item_id: str, body: PresenceIn, user: Responder,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    st = state_of(request)
    with st.db() as ws:
        inbox.message(ws, item_id)  # LookupError (404) for an unknown item: presence is not a free-form store
    return {"others": st.presence.ping(item_id, user.name, typing=body.typing)}


@router.post(
    "/inbox/{item_id:path}/act",
    summary="Like the message or follow its author back on the platform (through its connector's outbox)",
    responses=errors(400, 401, 403, 404, 422),
)
def inbox_act(
    request: Request, item_id: str, body: ItemActIn, user: Responder,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    with sync.worker(state_of(request)) as ws:
        return sending.act_on_item(ws, item_id, body.action, by=user.name, role=user.role)
