"""Privacy: keyed pseudonyms, PII redaction, raw-id opt-in and `forget`."""

from __future__ import annotations

import pyarrow as pa
import pytest

from hudong.ingest import import_file
from hudong.ingest.erasure import forget as erase
from hudong.ingest.privacy import pseudonymise, pseudonymise_array, redact_text
from hudong.store.workspace import Workspace
from hudong.text import pii


def forget(ws, user, platform=None):
    return erase(ws, user, platform).tables


def test_pseudonyms_are_keyed_deterministic_and_platform_scoped():
    k1, k2 = b"\x01" * 32, b"\x02" * 32
    p = pseudonymise(k1, "weibo", "12345")
    assert p.startswith("u_") and len(p) == 18
    assert p == pseudonymise(k1, "weibo", "12345")
    assert p != pseudonymise(k2, "weibo", "12345")
    assert p != pseudonymise(k1, "twitter", "12345")
    arr = pseudonymise_array(k1, "weibo", pa.array(["12345", None, "12345", "9"]))
    assert arr.to_pylist() == [p, None, p, pseudonymise(k1, "weibo", "9")]
    per_row = pseudonymise_array(k1, pa.array(["weibo", "twitter"]), pa.array(["12345", "12345"]))
    assert per_row.to_pylist() == [p, pseudonymise(k1, "twitter", "12345")]


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("电话13812345678找我", "电话[PHONE]找我", "phone"),
        ("call +86 138-1234-5678 now", "call [PHONE] now", "phone"),
        ("手机 +8613812345678", "手机 [PHONE]", "phone"),
        ("138 1234 5678", "[PHONE]", "phone"),
        ("US: (415) 555-2671.", "US: [PHONE].", "phone"),
        ("ring 415-555-2671", "ring [PHONE]", "phone"),
        ("intl +44 20 7946 0958 ok", "intl [PHONE] ok", "phone"),
        ("mail me: fan.one+x@example.com.cn!", "mail me: [EMAIL]!", "email"),
        ("身份证11010519491231002X", "身份证[ID]", "id_card"),
        ("id 440304199003074561 end", "id [ID] end", "id_card"),
    ],
)
def test_redaction_replaces_pii_with_tokens(text, expected, kind):
    out, counts = redact_text(pa.array([text]))
    assert out.to_pylist() == [expected]
    assert counts == {kind: 1}


def test_redaction_leaves_ordinary_numbers_and_counts_per_kind():
    keep = ["订单号 2024060112345", "价格 12800 元", "第3期", "2024-06-01 12:00:00", "@brand 好评", "转发 1.2万", None]
    out, counts = redact_text(pa.array(keep))
    assert out.to_pylist() == keep and counts == {}
    # An 18-digit number with a wrong check digit is not an ID card (and not a phone either).
    assert pii.id_check_digit_valid("11010519491231002X")
    assert not pii.id_check_digit_valid("440304199003074562")
    assert redact_text(pa.array(["no 440304199003074562"]))[0].to_pylist() == ["no 440304199003074562"]
    out, counts = redact_text(pa.array(["a@b.co 13912345678 13912345679", "11010519491231002X"]))
    assert out.to_pylist() == ["[EMAIL] [PHONE] [PHONE]", "[ID]"]
    assert counts == {"email": 1, "phone": 2, "id_card": 1}


def _write_posts(path, rows):
    path.write_text("platform,post_id,author_id,created_at,text\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_import_pseudonymises_and_redacts_and_records_counts(workspace, tmp_path):
    f = tmp_path / "posts.csv"
    _write_posts(
        f, ["weibo,p1,alice,2024-06-01 12:00:00,联系 13812345678 或 a@b.com", "weibo,p2,bob,2024-06-01 13:00:00,hi"]
    )
    s = import_file(workspace, f, "generic-posts")
    assert s.redactions == {"phone": 1, "email": 1}
    rows = dict(workspace.con.execute("SELECT post_id, author_id FROM posts").fetchall())
    assert rows["p1"] == pseudonymise(workspace.key, "weibo", "alice")
    assert "alice" not in str(workspace.con.execute("SELECT * FROM posts").fetchall())
    text = workspace.con.execute("SELECT text FROM posts WHERE post_id = 'p1'").fetchone()[0]
    assert text == "联系 [PHONE] 或 [EMAIL]"
    red = workspace.con.execute("SELECT redactions FROM import_batches").fetchone()[0]
    assert '"phone": 1' in red and '"email": 1' in red


def test_raw_ids_opt_in_keeps_platform_ids(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    cfg = ws.path / "hudong.toml"
    cfg.write_text(cfg.read_text().replace("raw_ids = false", "raw_ids = true"))
    ws.close()
    ws = Workspace.open(tmp_path / "w")
    f = tmp_path / "posts.csv"
    _write_posts(f, ["weibo,p1,alice,2024-06-01 12:00:00,hi"])
    import_file(ws, f, "generic-posts")
    assert ws.con.execute("SELECT author_id FROM posts").fetchone()[0] == "alice"
    assert forget(ws, "alice", platform="weibo")["posts"] == 1
    ws.close()


def test_forget_erases_a_user_everywhere_by_raw_id_or_pseudonym(workspace, tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text(
        "platform,post_id,author_id,created_at,parent_id\n"
        "weibo,p1,alice,2024-06-01 12:00:00,\n"
        "weibo,p2,bob,2024-06-01 13:00:00,p1\n"
        "weibo,p3,carol,2024-06-01 14:00:00,\n",
        encoding="utf-8",
    )
    inter = tmp_path / "interactions.csv"
    inter.write_text(
        "platform,interaction_id,type,actor_id,target_post_id,target_user_id,created_at\n"
        "weibo,i1,like,alice,p3,,2024-06-02 10:00:00\n"
        "weibo,i2,mention,bob,p3,alice,2024-06-02 11:00:00\n"
        "weibo,i3,like,carol,p2,,2024-06-02 12:00:00\n",
        encoding="utf-8",
    )
    users = tmp_path / "users.csv"
    users.write_text("platform,user_id,followers\nweibo,alice,10\nweibo,bob,5\n", encoding="utf-8")
    follows = tmp_path / "follows.csv"
    follows.write_text("platform,follower_id,followee_id\nweibo,alice,bob\nweibo,bob,carol\n", encoding="utf-8")
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "platform,order_id,user_id,created_at,amount\nshop,o1,alice,2024-06-03 09:00:00,99\n", encoding="utf-8"
    )
    surveys = tmp_path / "survey.csv"
    surveys.write_text(
        "platform,response_id,survey_id,user_id,created_at,nps_score\nsurvey,r1,s1,alice,2024-06-04,9\n",
        encoding="utf-8",
    )
    for f, fmt in [
        (posts, "generic-posts"),
        (inter, "generic-interactions"),
        (users, "generic-users"),
        (follows, "generic-follows"),
        (orders, "generic-orders"),
        (surveys, "generic-survey_responses"),
    ]:
        import_file(workspace, f, fmt)
    counts = forget(workspace, "alice")  # raw id, every platform
    assert counts["posts"] == 2  # p1 deleted, p2 no longer points at it
    assert counts["users"] == 1 and counts["follows"] == 1
    assert counts["orders"] == 1 and counts["survey_responses"] == 1
    assert counts["interactions"] == 2  # one deleted (her like), one target nulled (the mention)
    con = workspace.con
    alice = pseudonymise(workspace.key, "weibo", "alice")
    for table, col in [
        ("posts", "author_id"),
        ("users", "user_id"),
        ("interactions", "actor_id"),
        ("interactions", "target_user_id"),
    ]:
        assert con.execute(f"SELECT count(*) FROM {table} WHERE {col} = ?", [alice]).fetchone()[0] == 0
    assert con.execute("SELECT parent_id FROM posts WHERE post_id = 'p2'").fetchone()[0] is None
    assert con.execute("SELECT count(*) FROM interactions").fetchone()[0] == 2
    # By pseudonym: bob.
    bob = pseudonymise(workspace.key, "weibo", "bob")
    counts = forget(workspace, bob)
    # p2 deleted; i2 (his mention) deleted and carol's like on p2 unlinked.
    assert counts["posts"] == 1 and counts["users"] == 1 and counts["follows"] == 1 and counts["interactions"] == 2
    assert con.execute("SELECT target_post_id FROM interactions WHERE interaction_id = 'i3'").fetchone() == (None,)
    assert forget(workspace, "nobody", platform="weibo") == {
        k: 0 for k in ("posts", "interactions", "users", "follows", "contacts", "orders", "survey_responses",
                       "chat_messages")
    }


def test_watched_account_ids_are_not_pseudonymised(workspace, tmp_path):
    acc = tmp_path / "accounts.csv"
    acc.write_text("platform,account_id,name,is_own\nweibo,brand_official,山茶社,true\nweibo,rival,对手,false\n")
    import_file(workspace, acc, "generic-accounts")
    inter = tmp_path / "interactions.csv"
    inter.write_text(
        "platform,interaction_id,type,actor_id,target_user_id,created_at\n"
        "weibo,i1,follow,fan1,brand_official,2024-06-01 10:00:00\n"
        "weibo,i2,dm,brand_official,fan1,2024-06-01 11:00:00\n"
        "twitter,i3,follow,fan1,brand_official,2024-06-01 12:00:00\n"
    )
    import_file(workspace, inter, "generic-interactions")
    rows = workspace.con.execute(
        "SELECT interaction_id, actor_id, target_user_id FROM interactions ORDER BY 1"
    ).fetchall()
    fan = pseudonymise(workspace.key, "weibo", "fan1")
    assert rows[0] == ("i1", fan, "brand_official")
    assert rows[1] == ("i2", "brand_official", fan)
    # Only on the platform where the account is watched.
    assert rows[2][2] == pseudonymise(workspace.key, "twitter", "brand_official")


def test_forget_takes_the_scores_labels_and_drafts_of_their_texts(workspace, tmp_path):
    """What hudong derived from a user's texts goes with them, in the same transaction: text scores (both kinds),
    inbox labels, draft notes on their messages; everyone else's stay, and the next incremental scoring has
    nothing of theirs left to remove."""
    from hudong.analyses.scoring import score_workspace
    from hudong.inbox import items as inbox
    from hudong.inbox import labels

    posts = tmp_path / "posts.csv"
    posts.write_text("platform,post_id,author_id,created_at,text\n"
                     "weibo,p1,alice,2024-06-01 12:00:00,山茶社的新茶太好喝了\n"
                     "weibo,p2,bob,2024-06-01 13:00:00,物流太慢了，很失望\n", encoding="utf-8")  # fmt: skip
    inter = tmp_path / "interactions.csv"
    inter.write_text("platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound\n"
                     "weibo,c1,comment,alice,p2,2024-06-02 10:00:00,我也等了一周,true\n"
                     "weibo,c2,comment,bob,p1,2024-06-02 11:00:00,同意，很好喝,true\n", encoding="utf-8")  # fmt: skip
    import_file(workspace, posts, "generic-posts")
    import_file(workspace, inter, "generic-interactions")
    assert score_workspace(workspace, workers=1).rows == 4
    con = workspace.con
    for ddl in (*inbox.DDL, *labels.DDL):
        con.execute(ddl)
    labels.set_label(workspace, "weibo:c1", "sentiment", "negative", "rita")
    labels.set_label(workspace, "weibo:c2", "sentiment", "positive", "rita")
    con.execute("INSERT INTO inbox_actions VALUES ('weibo', 'c1', 'draft', NULL, '您好 alice，抱歉久等', 'rita', now()), "
                "('weibo', 'c2', 'draft', NULL, '谢谢 bob', 'rita', now())")  # fmt: skip

    counts = forget(workspace, "alice", platform="weibo")
    assert counts["text_sentiment"] == 2 and counts["text_signals"] == 2  # p1 and c1
    assert counts["text_labels"] == 1 and counts["inbox_actions"] == 1
    for table in ("text_sentiment", "text_signals"):
        assert sorted(con.execute(f"SELECT id FROM {table}").fetchall()) == [("c2",), ("p2",)]
    assert con.execute("SELECT interaction_id FROM text_labels").fetchall() == [("c2",)]
    assert sorted(con.execute("SELECT interaction_id, action, note FROM inbox_actions "
                              "WHERE action = 'draft'").fetchall()) == [("c1", "draft", None), ("c2", "draft", "谢谢 bob")]  # fmt: skip
    assert con.execute("SELECT count(*) FROM inbox_actions WHERE action = 'label' AND note IS NOT NULL").fetchone()[0] == 2
    again = score_workspace(workspace, workers=1)
    assert again.removed == 0 and again.rows == 0 and again.unchanged == 2
