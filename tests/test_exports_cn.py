"""Chinese back-office exports of issue #15.3: Douyin's creator-center work data and WeChat article comments."""

from __future__ import annotations

from hudong.ingest import import_file
from hudong.metrics import compute
from hudong.metrics import testing as T

DOUYIN = """作品名称,发布时间,体裁,播放量,完播率,点赞量,评论量,分享量,收藏量,主页访问量
春茶开箱 #山茶社# #春茶#,2026-03-01 20:00,视频,1.2万,32%,856,120,45,230,88
冷泡教程,2026/03/05 12:30,图文,3.4w,18%,1200,80,30,400,50
"""

COMMENTS = """文章标题,文章链接,留言时间,留言用户,留言内容,点赞数,作者回复,回复时间
春茶上新,https://mp.weixin.qq.com/s/abc,2026-03-02 09:00:00,茶友小李,什么时候发货？电话13812345678,5,明天发货,2026-03-02 10:30:00
春茶上新,https://mp.weixin.qq.com/s/abc,2026-03-02 11:00:00,茶友小王,好喝,2,,
春茶上新,https://mp.weixin.qq.com/s/abc,2026-03-02 12:00:00,茶友小赵,能开发票吗,0,可以的,
"""


def test_douyin_creator_export_counts_units_and_stable_ids(tmp_path):
    ws = T.workspace(tmp_path / "ws")
    try:
        p = tmp_path / "作品数据.csv"
        p.write_text(DOUYIN, encoding="utf-8-sig")
        s = import_file(ws, p, "douyin-creator-export")
        assert s.tables["posts"].stored == 2 and s.quarantined == 0
        rows = ws.con.execute("SELECT media_type, impressions, likes, comments, reposts, saves, clicks, topics "
                              "FROM posts WHERE platform = 'douyin' ORDER BY created_at").fetchall()
        assert rows[0] == ("video", 12_000, 856, 120, 45, 230, 88, ["山茶社", "春茶"])
        assert rows[1][:2] == ("image", 34_000)
        # a later export of the same works with new counts updates them (the id is a hash of account, time, title)
        p.write_text(DOUYIN.replace("856", "900"), encoding="utf-8-sig")
        again = import_file(ws, p, "douyin-creator-export")
        assert again.tables["posts"].stored == 0 and again.tables["posts"].updated == 1
    finally:
        ws.close()


def test_wechat_comment_export_threads_replies_and_keeps_names_out_of_ids(tmp_path):
    ws = T.workspace(tmp_path / "ws")
    try:
        p = tmp_path / "留言.csv"
        p.write_text(COMMENTS, encoding="utf-8")
        s = import_file(ws, p, "wechat-comment-export")
        assert s.tables["interactions"].stored == 4
        # the reply without its time is quarantined with the column, not dropped silently
        assert ws.con.execute("SELECT row_number, column_name FROM quarantine").fetchall() == [(3, "created_at")]
        ids = [r[0] for r in ws.con.execute("SELECT interaction_id || coalesce(parent_id, '') FROM interactions")
               .fetchall()]
        assert not any("茶友" in i for i in ids) and all("k_" in i for i in ids)
        text = ws.con.execute("SELECT text FROM interactions WHERE type = 'comment' ORDER BY created_at").fetchone()[0]
        assert "13812345678" not in text
        # the author's reply answers the first comment 90 minutes later (all-hours clock); one of three answered
        assert compute(ws, "first_response_minutes_all_hours").to_pylist()[0]["value"] == 90.0
        assert compute(ws, "response_rate").to_pylist()[0]["value"] == 1 / 3
        assert import_file(ws, p, "wechat-comment-export").tables["interactions"].unchanged == 4
    finally:
        ws.close()

