"""Mapping files: shipped formats load, validation errors are clear, user mappings with every feature work."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hudong.errors import HudongError
from hudong.ingest import import_file, list_formats, load_mapping
from hudong.ingest.privacy import pseudonymise


def test_every_shipped_mapping_loads_and_validates():
    names = list_formats()
    for required in ("weibo-ced-posts", "weibo-ced-reposts", "twitter-json", "twitter-v2-json", "generic-posts"):
        assert required in names
    for name in names:
        m = load_mapping(name)
        assert m.name == name and m.description and m.targets


def _mapping(tmp_path, body: str):
    p = tmp_path / "m.toml"
    p.write_text(body, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('[[targets]]\ntable = "postz"\n', "unknown table 'postz'"),
        (
            'platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = "a"\ncreated_at = "b"\nlikez = "c"\n',
            "has no column 'likez'",
        ),
        (
            'platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = "a"\n',
            "required column\\(s\\) not mapped: created_at",
        ),
        ('platform = "myspace"\n[[targets]]\ntable = "posts"\n', "platform 'myspace' is not one of"),
        (
            'platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = "a"\ncreated_at = { field = "b", parse = "dates" }\n',
            "unknown parser 'dates'",
        ),
        (
            'platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = "a"\ncreated_at = { field = "b", parse = "count" }\n',
            "cannot fill a TIMESTAMP column",
        ),
        ('colour = "red"\n', "unknown key\\(s\\) colour"),
        ("[[targets]\n", "invalid TOML"),
        (
            'platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = { field = "a", value = "b" }\ncreated_at = "b"\n',
            "exactly one of field, value, template",
        ),
        (
            'platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = { field = "a", extract = "nogroup" }\ncreated_at = "b"\n',
            "exactly one \\(group\\)",
        ),
        (
            'platform = "weibo"\n[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = "a"\ncreated_at = "b"\nbatch_id = "c"\n',
            "provenance columns",
        ),
    ],
)
def test_invalid_mappings_fail_with_the_file_and_the_problem(tmp_path, body, match):
    p = _mapping(tmp_path, body)
    with pytest.raises(HudongError, match=match) as e:
        load_mapping(p)
    assert "m.toml" in str(e.value)


def test_unknown_format_lists_the_builtin_ones():
    with pytest.raises(HudongError, match="unknown format 'nope'.*generic-posts"):
        load_mapping("nope")


def test_user_mapping_with_nested_paths_extract_template_map_default_hashtags_and_two_tables(workspace, tmp_path):
    m = _mapping(
        tmp_path,
        """
name = "my-shop-export"
description = "test"
platform = "xiaohongshu"

[reader]
format = "json"
records = "payload.notes"

[options]
timezone = "UTC"

[fields]
note_id = { field = "link", extract = '/note/([0-9a-z]+)' }

[[targets]]
table = "posts"
[targets.columns]
post_id = "note_id"
author_id = "author.id"
created_at = "time"
text = "desc"
topics = { field = "desc", parse = "hashtags" }
media_type = { field = "kind", map = { normal = "image", video = "video" }, default = "text" }
likes = "stats.liked"
saves = "stats.collected"
author_followers = "author.fans"
url = { template = "https://www.xiaohongshu.com/explore/{note_id}" }
is_ugc = { value = true }

[[targets]]
table = "users"
when = "author.id"
[targets.columns]
user_id = "author.id"
followers = "author.fans"
gender = { field = "author.sex", map = { "0" = "female", "1" = "male", "*" = "unknown" } }
""",
    )
    data = {
        "payload": {
            "notes": [
                {
                    "link": "https://x/note/abc123",
                    "author": {"id": "a1", "fans": "1.2万", "sex": 0},
                    "time": "2024-06-01T12:00:00+08:00",
                    "desc": "夏日 #防晒# 推荐",
                    "kind": "video",
                    "stats": {"liked": "3.4k", "collected": "10w+"},
                },
                {
                    "link": "https://x/note/def456",
                    "author": "gone",
                    "time": 1717214400000,
                    "desc": "plain",
                    "stats": {},
                },
            ]
        }
    }
    f = tmp_path / "notes.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    s = import_file(workspace, f, str(m))
    assert s.format == "my-shop-export"
    assert s.tables["posts"].stored == 2 and s.tables["users"].stored == 1 and s.skipped == {"users": 1}
    rows = workspace.con.execute(
        "SELECT post_id, author_id, created_at, topics, media_type, likes, saves, author_followers, url, is_ugc, platform"
        " FROM posts ORDER BY post_id"
    ).fetchall()
    a1 = pseudonymise(workspace.key, "xiaohongshu", "a1")
    # The mapping's timezone (UTC) is how the file's naive times are read; offsets and epochs are instants. Both are
    # stored in the workspace's time zone (Asia/Shanghai): 12:00+08:00 and 04:00 UTC are 12:00 there.
    assert rows[0] == (
        "abc123",
        a1,
        dt.datetime(2024, 6, 1, 12),
        ["防晒"],
        "video",
        3400,
        100000,
        12000,
        "https://www.xiaohongshu.com/explore/abc123",
        True,
        "xiaohongshu",
    )
    assert rows[1][0] == "def456" and rows[1][2] == dt.datetime(2024, 6, 1, 12) and rows[1][4] == "text"
    assert workspace.con.execute("SELECT user_id, followers, gender FROM users").fetchone() == (a1, 12000, "female")


# ---- platform exports and other APIs -------------------------------------------------------------------------


def test_weibo_export_with_chinese_headers_in_gbk(workspace, tmp_path):
    f = tmp_path / "微博数据.csv"
    f.write_bytes(
        (
            "微博ID,发布时间,微博内容,转发数,评论数,点赞数,阅读数\n"
            "M1,2024-06-01 12:00,#新品# 上市啦,1.2万,300,10w+,100万+\n"
            "M2,2024/6/2 8:00,早安,0,1,2,-\n"
        ).encode("gbk")
    )
    s = import_file(workspace, f, "weibo-export")
    assert s.tables["posts"].stored == 2
    row = workspace.con.execute(
        "SELECT reposts, comments, likes, impressions, topics FROM posts WHERE post_id='M1'"
    ).fetchone()
    assert row == (12000, 300, 100000, 1000000, ["新品"])


def test_xiaohongshu_and_wechat_exports_from_xlsx(workspace, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["笔记ID", "笔记标题", "发布时间", "体裁", "曝光", "点赞", "收藏", "评论", "分享"])
    wb.active.append(["n1", "夏日防晒", dt.datetime(2024, 6, 1, 20), "视频", "3.4万", 120, 80, 9, 3])
    f = tmp_path / "xhs.xlsx"
    wb.save(f)
    import_file(workspace, f, "xiaohongshu-export")
    row = workspace.con.execute("SELECT media_type, impressions, likes, saves, created_at FROM posts").fetchone()
    assert row == ("video", 34000, 120, 80, dt.datetime(2024, 6, 1, 20))

    g = tmp_path / "wechat.csv"
    g.write_text(
        "文章标题,发表时间,阅读次数,分享次数,点赞数,留言数\n夏季新品,2024-06-03,1.5万,120,33,4\n", encoding="utf-8-sig"
    )
    s1 = import_file(workspace, g, "wechat-article-export")
    s2 = import_file(workspace, g, "wechat-article-export")  # id-less articles: the content hash is stable
    assert s1.tables["posts"].stored == 1 and s2.tables["posts"].unchanged == 1
    row = workspace.con.execute("SELECT post_id, media_type, impressions FROM posts WHERE platform='wechat'").fetchone()
    assert row[0].startswith("h_") and row[1:] == ("article", 15000)


def test_mastodon_bluesky_reddit(workspace, tmp_path):
    mast = [
        {
            "id": "1101",
            "created_at": "2024-06-01T04:00:00.000Z",
            "content": "<p>hi #brand</p>",
            "tags": [{"name": "brand"}],
            "account": {"id": "7", "followers_count": 12, "display_name": "A"},
            "favourites_count": 3,
            "reblogs_count": 1,
            "replies_count": 0,
            "media_attachments": [{"type": "gifv"}],
            "url": "https://m.example/@a/1101",
        }
    ]
    f = tmp_path / "m.json"
    f.write_text(json.dumps(mast))
    s = import_file(workspace, f, "mastodon-json")
    assert s.tables["posts"].stored == 1 and s.tables["users"].stored == 1
    assert workspace.con.execute(
        "SELECT media_type, topics, likes FROM posts WHERE platform='mastodon'"
    ).fetchone() == (
        "video",
        ["brand"],
        3,
    )
    feed = {
        "feed": [
            {
                "post": {
                    "uri": "at://did:plc:x/app.bsky.feed.post/1",
                    "author": {"did": "did:plc:x"},
                    "record": {"text": "hello #sky", "createdAt": "2024-06-01T00:00:00Z"},
                    "likeCount": 5,
                }
            }
        ]
    }
    g = tmp_path / "b.json"
    g.write_text(json.dumps(feed))
    import_file(workspace, g, "bluesky-json")
    assert workspace.con.execute("SELECT likes, topics, created_at FROM posts WHERE platform='bluesky'").fetchone() == (
        5,
        ["sky"],
        dt.datetime(2024, 6, 1, 8),
    )
    listing = {
        "kind": "Listing",
        "data": {
            "after": None,
            "children": [
                {
                    "kind": "t3",
                    "data": {
                        "name": "t3_abc",
                        "author": "u1",
                        "created_utc": 1717214400.0,
                        "title": "Launch day",
                        "score": 42,
                        "num_comments": 7,
                        "subreddit": "brand",
                        "permalink": "/r/brand/comments/abc/launch_day/",
                    },
                }
            ],
        },
    }
    h = tmp_path / "r.json"
    h.write_text(json.dumps(listing))
    import_file(workspace, h, "reddit-json")
    assert workspace.con.execute(
        "SELECT post_id, likes, comments, url, created_at FROM posts WHERE platform='reddit'"
    ).fetchone() == (
        "t3_abc",
        42,
        7,
        "https://www.reddit.com/r/brand/comments/abc/launch_day/",
        dt.datetime(2024, 6, 1, 12),
    )


def test_twitter_v2_response(workspace, tmp_path):
    response = {
        "data": [
            {
                "id": "1790000000000000001",
                "author_id": "42",
                "created_at": "2024-06-01T00:00:00.000Z",
                "text": "launch #brand",
                "entities": {"hashtags": [{"tag": "brand"}]},
                "referenced_tweets": [{"type": "replied_to", "id": "1790000000000000000"}],
                "public_metrics": {"like_count": 3, "retweet_count": 1, "reply_count": 2, "impression_count": 900},
            }
        ],
        "includes": {"users": [{"id": "42", "username": "fan"}]},
        "meta": {"result_count": 1},
    }
    f = tmp_path / "v2.json"
    f.write_text(json.dumps(response))
    s = import_file(workspace, f, "twitter-v2-json")
    assert s.tables["posts"].stored == 1
    row = workspace.con.execute(
        "SELECT created_at, topics, parent_id, likes, reposts, comments, impressions, author_id FROM posts"
    ).fetchone()
    assert row == (
        dt.datetime(2024, 6, 1, 8),
        ["brand"],
        "1790000000000000000",
        3,
        1,
        2,
        900,
        pseudonymise(workspace.key, "twitter", "42"),
    )


def test_an_id_built_by_a_template_names_its_empty_fields_when_quarantined(workspace, tmp_path):
    """A key built from several fields is empty when one of them is: the reason says which fields to look at."""
    m = _mapping(
        tmp_path,
        """
platform = "weibo"
[fields]
key = { template = "{userid}|{date}|{text}", derive = "digest" }
[[targets]]
table = "posts"
[targets.columns]
post_id = "key"
author_id = "userid"
created_at = "date"
text = "text"
""",
    )
    f = tmp_path / "posts.csv"
    f.write_text("date,userid,text\n2020-01-19,42,武汉加油\n2020-01-19,,没有作者\n", encoding="utf-8")
    s = import_file(workspace, f, m)
    assert s.tables["posts"].stored == 1
    assert s.reasons == {"post_id: missing required value (built from userid, date, text: empty when one of them is)": 1}
