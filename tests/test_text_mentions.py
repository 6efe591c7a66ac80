"""Brand / competitor mention detection: aliases, width, case, separators, word boundaries, exclusions."""

from __future__ import annotations

import pandas as pd
import pytest

from hudong.analyses import context
from hudong.errors import HudongError
from hudong.text.mentions import Brand, BrandMatcher, mention_counts, mentions_frame

BRANDS = [
    Brand("山茶社", ("Camellia Tea", "山茶小社"), is_own=True, accounts=(("weibo", "own1"),)),
    Brand("茶颜小筑", ("茶颜", "Chayan"), exclude=("茶颜悦色",)),
    Brand("Tea Co", ()),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天喝了山茶社的龙井", ["山茶社"]),
        ("#山茶社春茶节# 打卡", ["山茶社"]),
        ("Ｃａｍｅｌｌｉａ　Ｔｅａ is great", ["山茶社"]),  # full-width letters and space
        ("CAMELLIA-TEA and camelliatea", ["山茶社"]),
        ("@camellia_tea hello", ["山茶社"]),
        ("Chayanne sings", []),  # 'Chayan' inside an English word is not a mention
        ("I love chayan's jasmine", ["茶颜小筑"]),
        ("茶颜悦色排队好长", []),  # excluded: a different brand
        ("茶颜悦色和茶颜小筑", ["茶颜小筑"]),
        ("steam cooking", []),  # 'tea co' never inside words
        ("Tea  Co launches", ["Tea Co"]),
        ("山茶小社比茶颜好喝", ["山茶社", "茶颜小筑"]),
    ],
)
def test_brand_matching(text, expected):
    assert BrandMatcher(BRANDS).brands_in(text) == expected


def test_longest_alias_wins_across_brands():
    m = BrandMatcher([Brand("山茶", ()), Brand("山茶社", ())])
    assert m.brands_in("山茶社新品") == ["山茶社"]
    assert m.brands_in("山茶花开了") == ["山茶"]


def test_mentions_frame_skips_own_posts_and_counts_shares():
    posts = pd.DataFrame({
        "platform": ["weibo"] * 4,
        "account_id": ["own1", None, None, None],
        "created_at": pd.to_datetime(["2026-06-01 10:00", "2026-06-01 11:00", "2026-06-01 12:00", "2026-06-02 09:00"]),
        "text": ["山茶社新品上市", "山茶社和茶颜都不错 山茶社", "茶颜yyds", "无关的帖子"],
    })  # fmt: skip
    m = mentions_frame(posts, BRANDS)
    assert sorted(m["brand"]) == ["山茶社", "茶颜小筑", "茶颜小筑"]  # own post dropped, one count per brand
    c = mention_counts(m, "D", BRANDS)
    day1 = c[c["period"] == pd.Timestamp("2026-06-01")].set_index("brand")
    assert day1.loc["茶颜小筑", "mentions"] == 2 and day1.loc["山茶社", "share"] == pytest.approx(1 / 3)
    assert day1.loc["Tea Co", "mentions"] == 0


def test_brands_from_workspace_reads_config_and_accounts(workspace):
    cfg = workspace.path / "hudong.toml"
    text = cfg.read_text(encoding="utf-8").replace('name = ""', 'name = "山茶社"', 1)
    text += '\n[[competitors]]\nname = "茶颜小筑"\naliases = ["茶颜"]\nexclude = ["茶颜悦色"]\n'
    cfg.write_text(text, encoding="utf-8")
    workspace.close()
    from hudong.store.workspace import Workspace

    ws = Workspace.open(workspace.path)
    try:
        ws.con.execute("INSERT INTO accounts (platform, account_id, name, brand, is_own, aliases, source_file, "
                       "importer, batch_id) VALUES ('weibo', '1', '山茶社官方微博', NULL, TRUE, ['山茶小社'], 't', 't', 't')")  # fmt: skip
        brands = {b.name: b for b in context.brands(ws)}
    finally:
        ws.close()
    assert brands["山茶社"].is_own and "山茶社官方微博" in brands["山茶社"].aliases
    assert brands["山茶社"].accounts == (("weibo", "1"),)
    assert brands["茶颜小筑"].exclude == ("茶颜悦色",)
    assert BrandMatcher(brands.values()).brands_in("@山茶社官方微博 茶颜悦色") == ["山茶社"]


def test_bad_config_is_a_clear_error(workspace):
    cfg = workspace.path / "hudong.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + '\n[[competitors]]\naliases = ["x"]\n', encoding="utf-8")
    workspace.close()
    from hudong.store.workspace import Workspace

    ws = Workspace.open(workspace.path)
    try:
        with pytest.raises(HudongError, match=r"\[\[competitors\]\] entry 1 needs a name"):
            context.brands(ws)
    finally:
        ws.close()


SOV_TEXTS = [
    "今天喝了山茶社的龙井", "#山茶社春茶节# 打卡", "Ｃａｍｅｌｌｉａ　Ｔｅａ is great", "CAMELLIA-TEA and camelliatea",
    "@camellia_tea hello", "Chayanne sings", "I love chayan's jasmine", "茶颜悦色排队好长", "茶颜悦色和茶颜小筑",
    "steam cooking", "Tea  Co launches", "山茶小社比茶颜好喝", "山茶花开了", "山茶社新品 山茶社", "tea co.", "(chayan)",
    "a+b 茶颜?", "camellia tea co",
]


def test_share_of_voice_metric_counts_what_the_matcher_finds(tmp_path):
    """The share_of_voice metric (SQL, any engine) and ``hudong text mentions`` (Python) are one definition:
    same brands (config + accounts), same rules — checked post by post on the awkward cases."""
    import datetime as dt

    from hudong.analyses import texts
    from hudong.metrics import compute
    from hudong.metrics import testing as T
    from hudong.store.workspace import Workspace

    competitors = ('[[competitors]]\nname = "茶颜小筑"\naliases = ["茶颜", "Chayan"]\nexclude = ["茶颜悦色"]\n'
                   '[[competitors]]\nname = "Tea Co"\n[[competitors]]\nname = "山茶"\n')  # fmt: skip
    posts = [dict(post_id=f"p{i}", author_id=f"fan{i}", created_at=dt.datetime(2026, 6, 1 + i % 3), text=t)
             for i, t in enumerate(SOV_TEXTS)]
    posts.append(dict(post_id="own", author_id="me", account_id="me", created_at=dt.datetime(2026, 6, 1),
                      text="山茶社 new"))  # the brand's own post: not a mention of it
    accounts = [dict(account_id="me", is_own=True, name="山茶社官方", aliases=["CML"])]
    T.workspace(tmp_path / "ws", accounts=accounts, posts=posts).close()
    cfg = tmp_path / "ws" / "hudong.toml"
    text = cfg.read_text(encoding="utf-8")
    assert 'name = ""' in text and "aliases = []" in text
    text = text.replace('name = ""', 'name = "山茶社"', 1).replace("aliases = []", 'aliases = ["Camellia Tea", "山茶小社"]', 1)
    cfg.write_text(text + "\n" + competitors, encoding="utf-8")
    ws = Workspace.open(tmp_path / "ws")
    try:
        frame = mentions_frame(texts.posts(ws), context.brands(ws))
        metric = compute(ws, "share_of_voice").to_pandas()
        by_day = compute(ws, "share_of_voice", by="day").to_pandas()
    finally:
        ws.close()
    expected = frame.groupby("brand").size()
    assert len(expected) == 4 and expected.sum() >= 15
    assert metric.set_index("brand")["mentions"].sort_index().to_dict() == expected.sort_index().to_dict()
    per_day = frame.assign(day=frame["created_at"].dt.floor("D")).groupby(["day", "brand"]).size()
    got = by_day.assign(day=pd.to_datetime(by_day["day"])).set_index(["day", "brand"])["mentions"]
    assert got.sort_index().to_dict() == per_day.sort_index().to_dict()
