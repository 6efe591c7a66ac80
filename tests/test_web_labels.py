"""Operator labels in the inbox (web/labels.py) feeding domain adaptation (`hudong text train --from-inbox`).

Real workspace (DuckDB), real app through FastAPI's TestClient, real training — no mocks. The messages are
comments in a small synthetic slang domain (the one tests/test_text_adapt.py uses) the shipped model was never
taught, so the inbox-trained model measurably beats it.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import warnings

import pyarrow as pa
import pytest
from click.testing import CliRunner

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

from fastapi.testclient import TestClient  # noqa: E402

from hudong.cli import cli  # noqa: E402
from hudong.errors import HudongError  # noqa: E402
from hudong.store.workspace import Workspace  # noqa: E402
from hudong.text import adapt  # noqa: E402
from hudong.web import auth, labels  # noqa: E402
from hudong.web.app import create_app  # noqa: E402

NOW = dt.datetime(2026, 6, 10, 12, 0)
PASSWORD = "correct horse battery"
POS = ["yyds", "绝绝子", "封神", "狠狠爱了", "冲冲冲", "神仙操作"]
NEG = ["踩雷", "翻车", "拉胯", "避雷", "血亏", "智商税"]
SUBJ = ["这次联名", "新出的皮肤", "主播的新品", "这家的直播", "今晚的返场", "品牌的活动"]
N = 80  # slang comments c0 … c79: even = positive, odd = negative


def slang(i: int) -> tuple[str, str]:
    r = random.Random(i)
    pos = i % 2 == 0
    text = f"{SUBJ[i % 6]}{r.choice(['真的', '属实', '简直', ''])}{r.choice(POS if pos else NEG)}{i}"
    return text, "positive" if pos else "negative"


def _row(iid: str, text: str, ts: dt.datetime, *, actor: str = "u1", inbound: bool = True, staff: bool = False):
    return dict(
        platform="weibo",
        interaction_id=iid,
        type="comment",
        actor_id=actor,
        target_post_id="p1",
        target_user_id=None,
        created_at=ts,
        dwell_seconds=None,
        text=text,
        parent_id=None,
        is_inbound=inbound,
        by_staff=staff,
        is_automated=False,
        source_file="test",
        importer="test",
        batch_id="b1",
    )


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("labelws") / "ws"
    ws = Workspace.init(d)
    t0 = dt.datetime(2026, 6, 1, 9, 0)
    rows = [_row(f"c{i}", slang(i)[0], t0 + dt.timedelta(minutes=i), actor=f"u{i}") for i in range(N)]
    rows.append(_row("e1", "Worst customer service ever, still no refund", t0, actor="alice"))
    rows.append(_row("b1", "", t0, actor="u2"))  # a message without text
    rows.append(_row("r1", "您好", t0, actor="brand", inbound=False, staff=True))  # a staff reply: not inbound
    ws.con.execute("BEGIN")
    ws.upsert("interactions", pa.Table.from_pylist(rows))
    ws.con.execute("COMMIT")
    for name, role in (("ana", "analyst"), ("rita", "responder"), ("vic", "viewer")):
        auth.add_user(ws.con, name, role, PASSWORD)
    ws.close()
    return d


@pytest.fixture
def ws_dir(template_dir, tmp_path):
    d = tmp_path / "ws"
    shutil.copytree(template_dir, d)
    return d


@pytest.fixture
def app(ws_dir):
    a = create_app(ws_dir, now=NOW)
    yield a
    a.state.web.ws.close()


def login(app, name: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver")
    tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf": tok}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def page_csrf(c: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/inbox").text).group(1)


def label_rows(app) -> list[tuple]:
    return app.state.web.ws.con.execute(
        "SELECT platform, interaction_id, task, label, text, lang, by_user FROM text_labels ORDER BY task"
    ).fetchall()


def history(c: TestClient, item: str) -> list[tuple]:
    return [(h["action"], h["note"], h["by"]) for h in c.get(f"/api/inbox/{item}/history").json()]


def test_form_shows_the_prediction_sets_replaces_and_records_labels(app):
    c = login(app, "rita")
    html = c.get("/inbox", params={"limit": 100}).text
    form = re.search(r'<form[^>]*action="/inbox/label"[^>]*data-task="sentiment".*?</form>', html, re.S).group(0)
    assert "模型判断" in form and 'name="label"' in form and 'name="csrf"' in form
    for lb in ("positive", "neutral", "negative"):
        assert f'value="{lb}"' in form
    assert 'data-task="toxicity"' in html and 'value="toxic"' in html
    tok = page_csrf(c)
    # Escalate first: labelling must not change the item's status.
    assert c.post("/inbox/action", data={"item": "weibo:c1", "action": "escalate", "csrf": tok}).status_code == 200
    for lb in ("positive", "negative"):  # relabel: the label is replaced, both actions are in the history
        r = c.post(
            "/inbox/label",
            data={"item": "weibo:c1", "task": "sentiment", "label": lb, "csrf": tok, "back": "/inbox"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/inbox?saved=label"
    r = c.post("/inbox/label", data={"item": "weibo:c1", "task": "toxicity", "label": "ok", "csrf": tok})
    assert r.status_code == 200 and "已记录：标注" in r.text
    text = labels._message_text(app.state.web.ws, "weibo:c1")[2]
    assert label_rows(app) == [
        ("weibo", "c1", "sentiment", "negative", text, "zh", "rita"),
        ("weibo", "c1", "toxicity", "ok", text, "zh", "rita"),
    ]
    assert history(c, "weibo:c1") == [
        ("escalate", None, "rita"),
        ("label", "sentiment=positive", "rita"),
        ("label", "sentiment=negative", "rita"),
        ("label", "toxicity=ok", "rita"),
    ]
    item = next(i for i in c.get("/api/inbox", params={"limit": 500}).json()["items"] if i["id"] == "weibo:c1")
    assert item["status"] == "escalated"
    # The page shows the current label (selected) and who set it; in English too.
    html = c.get("/inbox", params={"lang": "en"}).text
    row = re.search(r'<tr class="item[^"]*" data-id="weibo:c1".*?</tr>', html, re.S).group(0)
    sent = re.search(r'data-task="sentiment".*?</form>', row, re.S).group(0)
    assert re.search(r'value="negative"\s+selected', sent) and "labelled by rita" in sent and "model says" in sent
    # Bad input: clear errors, nothing recorded.
    for data, status in (
        ({"item": "weibo:c2", "task": "sentiment", "label": "angry"}, 400),
        ({"item": "weibo:c2", "task": "emotion", "label": "happy"}, 400),
        ({"item": "weibo:b1", "task": "sentiment", "label": "neutral"}, 400),  # no text
        ({"item": "weibo:r1", "task": "sentiment", "label": "neutral"}, 404),  # a staff reply
        ({"item": "weibo:nope", "task": "sentiment", "label": "neutral"}, 404),
    ):
        assert c.post("/inbox/label", data={**data, "csrf": tok}).status_code == status, data
    assert len(label_rows(app)) == 2


def test_labels_need_csrf_and_a_role_that_may_act(app):
    c = login(app, "rita")
    for extra in ({}, {"csrf": "forged"}):
        r = c.post("/inbox/label", data={"item": "weibo:c2", "label": "positive", **extra}, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/api/inbox/weibo:c2/label", json={"label": "positive"})
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    v = login(app, "vic")
    html = v.get("/inbox").text
    assert "/inbox/label" not in html and "act-label" not in html
    tok = page_csrf(v)
    r = v.post("/inbox/label", data={"item": "weibo:c2", "label": "positive", "csrf": tok}, follow_redirects=False)
    assert r.status_code == 403
    r = v.post("/api/inbox/weibo:c2/label", json={"label": "positive"}, headers={"X-CSRF-Token": tok})
    assert r.status_code == 403 and "viewer" in r.json()["error"]
    assert label_rows(app) == []
    assert app.state.web.ws.con.execute("SELECT count(*) FROM inbox_actions").fetchone()[0] == 0


def test_label_api_json_errors_and_openapi(app):
    token = auth.new_token(app.state.web.ws.con, "ana")
    c = TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    r = c.post("/api/inbox/weibo:e1/label", json={"task": "sentiment", "label": "neutral"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["id"], out["task"], out["label"], out["previous"], out["lang"], out["by"]) == (
        "weibo:e1", "sentiment", "neutral", None, "en", "ana",
    )  # fmt: skip
    r = c.post("/api/inbox/weibo:e1/label", json={"label": "negative"})  # task defaults to sentiment
    assert r.status_code == 200 and r.json()["previous"] == "neutral"
    assert c.post("/api/inbox/weibo:e1/label", json={"task": "toxicity", "label": "ok"}).status_code == 200
    got = c.get("/api/inbox/weibo:e1/labels").json()
    assert {k: v["label"] for k, v in got["labels"].items()} == {"sentiment": "negative", "toxicity": "ok"}
    assert got["labels"]["sentiment"]["by"] == "ana"
    pred = got["predicted"]
    assert pred["sentiment"]["label"] in ("positive", "neutral", "negative")
    assert pred["toxicity"]["label"] in ("ok", "toxic")
    assert "+ws" not in pred["sentiment"]["model_version"]  # the shipped model: nothing adapted yet
    assert [h["action"] for h in c.get("/api/inbox/weibo:e1/history").json()] == ["label"] * 3
    for body, status, words in (
        ({"task": "sentiment", "label": "great"}, 400, "positive, neutral, negative"),
        ({"task": "toxicity", "label": "negative"}, 400, "ok, toxic"),
        ({"task": "spam", "label": "ok"}, 400, "sentiment, toxicity"),
        ({"task": "sentiment"}, 422, "invalid request"),
    ):
        r = c.post("/api/inbox/weibo:e1/label", json=body)
        assert r.status_code == status and words in r.json()["error"], (body, r.text)
    r = c.post("/api/inbox/weibo:ghost/label", json={"label": "neutral"})
    assert r.status_code == 404 and "no inbound message" in r.json()["error"]
    assert c.get("/api/inbox/weibo:ghost/labels").status_code == 404
    # The generic action endpoint does not take "label" (it would record a label without setting one).
    r = c.post("/api/inbox/weibo:e1/action", json={"action": "label", "note": "sentiment=positive"})
    assert r.status_code == 400 and "/label" in r.json()["error"]
    spec = c.get("/openapi.json").json()["paths"]
    assert "post" in spec["/api/inbox/{item_id}/label"] and "get" in spec["/api/inbox/{item_id}/labels"]


def _label_in_python(ws_dir, ids, by="rita") -> None:
    ws = Workspace.open(ws_dir)
    try:
        for i in ids:
            labels.set_label(ws, f"weibo:c{i}", "sentiment", slang(i)[1], by)
    finally:
        ws.close()


def test_train_from_inbox_evaluates_and_the_workspace_uses_the_model(ws_dir, tmp_path):
    _label_in_python(ws_dir, range(70))  # c70 … c79 stay unlabelled: a probe
    run = CliRunner().invoke
    r = run(cli, ["-w", str(ws_dir), "text", "train", "--from-inbox"])
    assert r.exit_code == 0, r.output
    assert "70 from the inbox" in r.output and "zh 70 (negative 35, positive 35)" in r.output
    m = re.search(r"trained on (\d+), held out (\d+); (\S+) → (\S+\+ws1)", r.output)
    assert m and (int(m[1]), int(m[2])) == (56, 14), r.output
    acc = {k: float(v) for k, v in re.findall(r"(before|after) *: accuracy ([0-9.]+)", r.output)}
    assert acc["after"] >= 0.9 and acc["after"] > acc["before"] + 0.2, r.output
    version = m[4]
    ws = Workspace.open(ws_dir)
    try:
        entry = adapt.manifest(ws)["sentiment-zh"]
        assert entry["version"] == version and entry["n_train"] == 56
        probe = [slang(i) for i in range(70, N)]
        model = adapt.workspace_model(ws, "sentiment", "zh")
        assert model.version == version
        assert sum(p == g for p, (_, g) in zip(model.scores([t for t, _ in probe])[1], probe, strict=True)) >= 9
    finally:
        ws.close()
    # `hudong text score` rescores with it; the inbox's suggestions come from it.
    r = run(cli, ["-w", str(ws_dir), "text", "score"])
    assert r.exit_code == 0, r.output
    a = create_app(ws_dir, now=NOW)
    try:
        versions = a.state.web.ws.con.execute(
            "SELECT DISTINCT model_version FROM text_sentiment WHERE lang = 'zh' AND polarity IS NOT NULL"
        ).fetchall()
        assert versions == [(version,)]
        token = auth.new_token(a.state.web.ws.con, "ana")
        c = TestClient(a, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
        got = c.get("/api/inbox/weibo:c71/labels").json()
        assert got["labels"] == {} and got["predicted"]["sentiment"] == {"label": "negative", "model_version": version}
    finally:
        a.state.web.ws.close()
    # Combined with a CSV of labels: both are trained on, a new version.
    csv = tmp_path / "more.csv"
    csv.write_text("text,label\n" + "".join(f"{t},{lb}\n" for t, lb in map(slang, range(100, 130))), encoding="utf-8")
    r = run(cli, ["-w", str(ws_dir), "text", "train", "--from-inbox", "--labels", str(csv)])
    assert r.exit_code == 0, r.output
    assert "70 from the inbox + 30 from" in r.output and "trained on 80, held out 20" in r.output
    assert version.replace("+ws1", "+ws2") in r.output


def test_too_few_inbox_labels_is_a_clear_error(ws_dir):
    run = CliRunner().invoke
    r = run(cli, ["-w", str(ws_dir), "text", "train", "--from-inbox"])
    assert isinstance(r.exception, HudongError) and "0 from the inbox (none)" in str(r.exception)
    _label_in_python(ws_dir, range(12))
    r = run(cli, ["-w", str(ws_dir), "text", "train", "--from-inbox"])
    assert r.exit_code != 0 and isinstance(r.exception, HudongError)
    msg = str(r.exception)
    assert "too few sentiment labels to train: 12 from the inbox" in msg and "at least 20" in msg, msg
    r = run(cli, ["-w", str(ws_dir), "text", "train", "--from-inbox", "--task", "emotion"])
    assert isinstance(r.exception, HudongError) and "--labels" in str(r.exception)
    r = run(cli, ["-w", str(ws_dir), "text", "train"])
    assert r.exit_code == 2 and "--from-inbox" in r.output
    ws = Workspace.open(ws_dir)
    try:
        assert adapt.manifest(ws) == {}  # nothing was trained
    finally:
        ws.close()


def test_forget_erases_the_labels_with_the_message(ws_dir):
    from hudong.ingest.privacy import forget, pseudonymise

    _label_in_python(ws_dir, [3, 4])
    ws = Workspace.open(ws_dir)
    try:
        ws.con.execute(  # the fixture's actor ids are raw; an import would have stored the pseudonym
            "UPDATE interactions SET actor_id = ? WHERE interaction_id = 'c3'", [pseudonymise(ws.key, "weibo", "u3")]
        )
        counts = forget(ws, "u3", platform="weibo")
        assert counts["interactions"] == 1 and counts["text_labels"] == 1
        assert ws.con.execute("SELECT interaction_id FROM text_labels").fetchall() == [("c4",)]
    finally:
        ws.close()


def test_a_toxicity_label_moves_a_message_between_inbox_and_triage(app):
    from hudong.web import inbox

    ws = app.state.web.ws
    ws.con.execute("BEGIN")
    ws.upsert("interactions", pa.Table.from_pylist([_row("x1", "你就是个傻逼", NOW - dt.timedelta(hours=1), actor="troll")]))
    ws.con.execute("COMMIT")

    def queue(which: str) -> set[str]:
        q = inbox.InboxQuery(toxicity=which, limit=500)
        return {r["id"] for r in inbox.list_items(ws, q, now=NOW)["items"]}

    assert "weibo:x1" in queue("abusive") and "weibo:c1" in queue("clean")  # the word rule; a clean comment
    labels.set_label(ws, "weibo:c1", "toxicity", "toxic", "rita")  # the operator sees abuse the model missed
    labels.set_label(ws, "weibo:x1", "toxicity", "ok", "rita")  # …and a false alarm
    assert "weibo:c1" in queue("abusive") and "weibo:c1" not in queue("clean")
    assert "weibo:x1" in queue("clean") and "weibo:x1" not in queue("abusive")
    labels.set_label(ws, "weibo:c1", "sentiment", "negative", "rita")  # a sentiment label changes no queue
    assert "weibo:c1" in queue("abusive")
    def api_ids(user: str, **params: str) -> set[str]:
        return {r["id"] for r in login(app, user).get("/api/inbox", params={"limit": 500, **params}).json()["items"]}

    assert "weibo:c1" in api_ids("ana", toxicity="abusive")  # the triage queue: analysts and admins
    assert "weibo:c1" not in api_ids("rita") and "weibo:x1" in api_ids("rita")  # the responder's inbox
