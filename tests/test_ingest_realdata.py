"""Real data: CED (Weibo rumour cascades) and PHEME (Twitter v1.1 statuses), counts checked independently.

Every expected number is computed here from the raw file with plain gzip/lzma/json/pandas, never hard-coded.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from conftest import shared_data
from hudong.ingest import import_file
from hudong.ingest.privacy import pseudonymise
from hudong.store.workspace import Workspace

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _jsonl(path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ---- CED source posts -----------------------------------------------------------------------------------


def test_ced_source_posts(workspace):
    path = shared_data("weibo_ced_rumor_cascades", "ced_original_microblogs.jsonl.gz")
    records = _jsonl(path)
    mids = [r["event_id"].split("_")[1] for r in records]
    with_profile = [r for r in records if isinstance(r["user"], dict)]
    authors_with_profile = {r["event_id"].split("_")[2] for r in with_profile}
    string_times = [r for r in records if isinstance(r["time"], str)]
    assert string_times  # the file mixes epoch ints and Twitter-style strings

    s = import_file(workspace, path, "weibo-ced-posts")
    assert s.rows_read == len(records)
    assert s.tables["posts"].stored == len(set(mids))
    assert s.duplicates_in_file == len(mids) - len(set(mids))
    assert s.quarantined == 0 and s.yearless_dates == 0
    assert s.tables["users"].stored == len(authors_with_profile)
    assert s.skipped["users"] == len(records) - len(with_profile)
    assert s.rows_read == sum(vars(s.tables["posts"]).values()) + s.quarantined + s.duplicates_in_file

    con = workspace.con
    epoch = next(r for r in records if isinstance(r["time"], int))
    mid = epoch["event_id"].split("_")[1]
    row = con.execute(
        "SELECT created_at, likes, comments, reposts, author_id, root_id FROM posts WHERE post_id = ?", [mid]
    ).fetchone()
    assert row[0] == dt.datetime.fromtimestamp(epoch["time"], SHANGHAI).replace(tzinfo=None)
    assert row[1:4] == (epoch["likes"], epoch["comments"], epoch["reposts"])
    assert row[4] == pseudonymise(workspace.key, "weibo", epoch["event_id"].split("_")[2])
    assert row[5] == mid
    tw = string_times[0]
    got = con.execute("SELECT created_at FROM posts WHERE post_id = ?", [tw["event_id"].split("_")[1]]).fetchone()[0]
    expected = dt.datetime.strptime(tw["time"], "%a %b %d %H:%M:%S %z %Y").astimezone(SHANGHAI).replace(tzinfo=None)
    assert got == expected
    # Weibo-style #话题# or Twitter-style #tag.
    n_tagged = sum(1 for r in records if re.search(r"#[^#\s]{1,60}#|(?<![\w&#])#\w", r["text"] or ""))
    assert con.execute("SELECT count(*) FROM posts WHERE len(topics) > 0").fetchone()[0] == n_tagged

    again = import_file(workspace, path, "weibo-ced-posts")
    assert again.tables["posts"].stored == 0 and again.tables["posts"].updated == 0
    assert again.tables["posts"].unchanged == len(set(mids))


# ---- CED reposts (1M+ rows: imported once, shared by the assertions) -----------------------------------------


@pytest.fixture(scope="module")
def ced_reposts(tmp_path_factory):
    path = shared_data("weibo_ced_rumor_cascades", "ced_reposts.tsv.xz")
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)
    ws = Workspace.init(tmp_path_factory.mktemp("ced") / "ws")
    summary = import_file(ws, path, "weibo-ced-reposts")
    yield df, ws, summary
    ws.close()


def test_ced_reposts_counts(ced_reposts):
    df, ws, s = ced_reposts
    n_unique = df["mid"].nunique()
    dup_rows = int(df.duplicated("mid").sum())
    identical = int(df.duplicated().sum())  # same mid and same content: kept once, not an error
    yearless = int((~df["date"].str.match(r"^\d{4}-")).sum())
    assert s.rows_read == len(df)
    assert s.tables["posts"].stored == n_unique
    assert s.tables["interactions"].stored == n_unique
    assert s.duplicates_in_file == identical
    assert s.quarantined == dup_rows - identical  # conflicting duplicates: last kept, earlier quarantined
    assert set(s.reasons) == ({"post_id: duplicate key with different content"} if dup_rows > identical else set())
    assert s.yearless_dates == yearless and yearless > 0
    assert s.rows_read == s.tables["posts"].stored + s.quarantined + s.duplicates_in_file
    assert ws.count("posts") == n_unique and ws.count("quarantine") == s.quarantined


def test_ced_reposts_cascade_structure(ced_reposts):
    df, ws, s = ced_reposts
    con = ws.con
    last = df.drop_duplicates("mid", keep="last").set_index("mid")
    direct = last[last["parent"] == ""]
    sample = direct.index[:200].tolist()
    got = dict(
        con.execute("SELECT post_id, parent_id FROM posts WHERE post_id IN (SELECT unnest(?))", [sample]).fetchall()
    )
    assert got == {m: direct.loc[m, "event_id"].split("_")[1] for m in sample}
    nested = last[last["parent"] != ""].index[:200].tolist()
    got = dict(
        con.execute("SELECT post_id, parent_id FROM posts WHERE post_id IN (SELECT unnest(?))", [nested]).fetchall()
    )
    assert got == {m: last.loc[m, "parent"] for m in nested}
    roots = Counter(r[0] for r in con.execute("SELECT root_id FROM posts").fetchall())
    expected_roots = Counter(last["event_id"].str.split("_").str[1])
    assert roots == expected_roots
    types = con.execute("SELECT type, count(*) FROM interactions GROUP BY type").fetchall()
    assert types == [("repost", last.shape[0])]
    # Interactions point at the same parent as the repost post row.
    mismatched = con.execute(
        "SELECT count(*) FROM interactions i JOIN posts p ON p.post_id = i.interaction_id WHERE p.parent_id <> i.target_post_id"
    ).fetchone()[0]
    assert mismatched == 0


def test_ced_reposts_yearless_dates_resolved_inside_their_cascade(ced_reposts):
    df, ws, _ = ced_reposts
    last = df.drop_duplicates("mid", keep="last")
    yl = last[~last["date"].str.match(r"^\d{4}-")]
    full = last[last["date"].str.match(r"^\d{4}-")].copy()
    full["t"] = pd.to_datetime(full["date"])
    span = full.groupby("event_id")["t"].agg(["min", "max"])
    got = dict(
        ws.con.execute(
            "SELECT post_id, created_at FROM posts WHERE post_id IN (SELECT unnest(?))", [yl["mid"].tolist()]
        ).fetchall()
    )
    assert len(got) == len(yl)
    for mid, ev, text in zip(yl["mid"], yl["event_id"], yl["date"], strict=True):
        m, d, hh, mm = map(int, re.match(r"(\d+)月(\d+)日 (\d+):(\d+)", text).groups())
        value = got[mid]
        assert (value.month, value.day, value.hour, value.minute) == (m, d, hh, mm)
        lo, hi = span.loc[ev, "min"], span.loc[ev, "max"]
        # Never before the cascade began; after its latest full date only by less than a year.
        assert value >= lo - pd.Timedelta(days=1)
        assert value <= hi + pd.Timedelta(days=366)


# ---- PHEME ----------------------------------------------------------------------------------------------------


def test_pheme_twitter_statuses(workspace):
    path = shared_data("pheme_source_tweets", "pheme_source_tweets.jsonl.gz")
    tweets = _jsonl(path)
    ids = {t["id_str"] for t in tweets}
    users = {t["user"]["id_str"] for t in tweets}
    tagged = sum(1 for t in tweets if t["entities"]["hashtags"])
    replies = sum(1 for t in tweets if t.get("in_reply_to_status_id_str"))

    s = import_file(workspace, path, "twitter-json")
    assert s.rows_read == len(tweets)
    assert s.tables["posts"].stored == len(ids)
    assert s.tables["users"].stored == len(users)
    assert s.quarantined == 0 and s.duplicates_in_file == len(tweets) - len(ids)

    con = workspace.con
    assert con.execute("SELECT count(*) FROM posts WHERE len(topics) > 0").fetchone()[0] == tagged
    assert con.execute("SELECT count(*) FROM posts WHERE parent_id IS NOT NULL").fetchone()[0] == replies
    t = tweets[0]
    row = con.execute(
        "SELECT created_at, likes, reposts, author_followers, author_id, topics FROM posts WHERE post_id = ?",
        [t["id_str"]],
    ).fetchone()
    created = dt.datetime.strptime(t["created_at"], "%a %b %d %H:%M:%S %z %Y").astimezone(SHANGHAI).replace(tzinfo=None)
    assert row[0] == created
    assert row[1:4] == (t["favorite_count"], t["retweet_count"], t["user"]["followers_count"])
    assert row[4] == pseudonymise(workspace.key, "twitter", t["user"]["id_str"])
    assert (row[5] or []) == [h["text"] for h in t["entities"]["hashtags"]]
    # The users row holds the last-seen profile of each author.
    last_profile = {tw["user"]["id_str"]: tw["user"] for tw in tweets}
    uid, prof = next(iter(last_profile.items()))
    got = con.execute(
        "SELECT followers, following, posts_count, verified FROM users WHERE user_id = ?",
        [pseudonymise(workspace.key, "twitter", uid)],
    ).fetchone()
    assert got == (prof["followers_count"], prof["friends_count"], prof["statuses_count"], prof["verified"])
