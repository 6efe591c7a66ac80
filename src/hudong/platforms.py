"""The platforms hudong knows, each declared once: its id, names, benchmark peer, links and what its API allows.

Everything else derives from ``PLATFORMS``: the schema's ``platform`` enum (``store.schema``), the names in
reports and pages (``i18n.platform_name``), the engagement benchmark each platform is compared with
(``decide.evidence``), the platform table in docs/platforms.md (``markdown()``, ``make docs``) and, for the live
connectors, which actions a platform's API permits at all. Adding a platform starts here (docs/architecture.md,
"Add a platform").

``capabilities`` are what the platform's documented open API allows an ordinary organization account (not what
hudong implements: a connector declares that); a platform without ``publish`` gets reminders instead of publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# What a platform's API may allow. read_*: hudong can listen; the rest are actions taken from the inbox or calendar.
CAPABILITIES = (
    "read_posts",  # own posts/statuses and their counts
    "read_comments",  # comments/replies on own posts
    "read_mentions",  # mentions of the account or brand terms (search)
    "read_dms",  # direct messages / private letters
    "read_followers",  # follower list or follower counts over time
    "read_metrics",  # account or post analytics (reads, impressions)
    "reply",  # reply to a comment or mention
    "message",  # answer a direct message
    "publish",  # create a post
    "delete",  # delete own post or reply
    "like",  # like / favourite
    "repost",  # repost / boost
    "follow",  # follow an account
    "hide",  # hide a reply in a thread the account started (Bluesky threadgate, X hidden replies, WeChat: delete)
    "elect",  # feature a comment (WeChat 精选留言: shown to every reader)
)

COUNTS = ("chars", "weibo", "twitter", "graphemes", "mastodon")  # how a platform counts a post's length

# Rival IQ 2023 median engagement rates per post (by followers; TikTok by views): docs/scorecard.md, rules.toml.
RIVAL_IQ_MEDIAN = {"facebook": 0.0006, "instagram": 0.0047, "x": 0.00035, "tiktok": 0.0569}


@dataclass(frozen=True)
class Platform:
    """One platform. ``benchmark``: the Rival IQ platform its engagement rate is compared with and on which metric
    (hudong's assumption, marked as such in reports); None where no published benchmark fits. ``profile_url`` /
    ``message_url``: link templates (``{uid}``, ``{handle}``, ``{post}``, ``{id}``) where the platform has stable
    public links. ``social``: False for the order and survey sources that share the tables. ``reply_window_hours``:
    how long after a person's last direct message the account may still answer it (None: no limit)."""

    id: str
    name_zh: str
    name_en: str
    social: bool = True
    benchmark: tuple[str, str] | None = None
    profile_url: str = ""
    message_url: str = ""
    capabilities: frozenset[str] = field(default_factory=frozenset)
    api_docs: str = ""
    reply_window_hours: float | None = None
    # What a post may hold (plan/rules.py checks drafts against it): length and how the platform counts it —
    # chars (code points), weibo (half-width characters count ½), twitter (twitter-text weights: CJK 2, links 23),
    # graphemes (what a reader sees as one character), mastodon (links 23, @user@host as @user); title length,
    # images per post, and the hashtag form ("#tag" or Weibo's "#tag#").
    max_chars: int | None = None
    count: str = "chars"
    max_title: int | None = None
    max_images: int | None = None
    hashtag: str = "#tag"

    def __post_init__(self) -> None:
        if self.count not in COUNTS:
            raise ValueError(f"platform {self.id}: count {self.count!r} is not one of {', '.join(COUNTS)}")
        unknown = set(self.capabilities) - set(CAPABILITIES)
        if unknown:
            raise ValueError(f"platform {self.id}: unknown capabilities {sorted(unknown)}")
        if self.benchmark is not None and self.benchmark[0] not in RIVAL_IQ_MEDIAN:
            raise ValueError(f"platform {self.id}: no Rival IQ median for {self.benchmark[0]!r}")

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en



def weibo_length(text: str) -> float:
    """Weibo's length: a full-width character (汉字, full-width punctuation) counts 1, a half-width one ½ (the
    platform rounds the sum up)."""
    return sum(0.5 if ord(ch) < 0x100 or 0xFF61 <= ord(ch) <= 0xFFDC else 1 for ch in text)

def _caps(*names: str) -> frozenset[str]:
    return frozenset(names)


_ALL = _caps(*CAPABILITIES)
ER_FOLLOWERS, ER_VIEWS = "engagement_rate_followers", "engagement_rate_impressions"

PLATFORMS: dict[str, Platform] = {
    p.id: p
    for p in (
        Platform(
            "weibo", "微博", "Weibo", benchmark=("x", ER_FOLLOWERS),
            profile_url="https://weibo.com/u/{uid}", message_url="https://m.weibo.cn/detail/{post}#comment-{id}",
            capabilities=_caps("read_posts", "read_comments", "read_mentions", "read_followers", "reply", "repost",
                               "publish"),
            api_docs="https://open.weibo.com/wiki/API", max_chars=2000, count="weibo", max_images=18, hashtag="#tag#",
        ),
        Platform(
            "wechat", "微信", "WeChat", benchmark=("facebook", ER_FOLLOWERS),
            capabilities=_caps("read_posts", "read_comments", "read_dms", "read_followers", "read_metrics", "reply",
                               "message", "publish", "delete", "hide", "elect"),
            api_docs="https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Overview.html",
            reply_window_hours=48,  # 客服消息: within 48 hours of the follower's last message
            max_title=64, max_chars=20000,  # an article: title ≤ 64 characters, body ≤ 20,000
        ),
        Platform(
            "xiaohongshu", "小红书", "Xiaohongshu", benchmark=("instagram", ER_FOLLOWERS),
            profile_url="https://www.xiaohongshu.com/user/profile/{uid}",
            message_url="https://www.xiaohongshu.com/explore/{post}?comment={id}",
            capabilities=_caps(),  # no open API for brand accounts: exports and reminders
            max_title=20, max_chars=1000, max_images=18,
        ),
        Platform(
            "douyin", "抖音", "Douyin", benchmark=("tiktok", ER_VIEWS),
            profile_url="https://www.douyin.com/user/{uid}", message_url="https://www.douyin.com/video/{post}?comment={id}",
            capabilities=_caps("read_posts", "read_comments", "read_dms", "read_followers", "read_metrics", "reply",
                               "message"),
            api_docs="https://developer.open-douyin.com/docs/resource/zh-CN/dop/overview/",
            max_title=55, max_chars=1000, max_images=35,
        ),
        Platform(
            "twitter", "X/Twitter", "X/Twitter", benchmark=("x", ER_FOLLOWERS),
            profile_url="https://twitter.com/{handle}", message_url="https://twitter.com/i/web/status/{id}",
            capabilities=_ALL - {"elect"}, api_docs="https://docs.x.com/x-api", max_chars=280, count="twitter",
            max_images=4,
        ),
        Platform(
            "mastodon", "Mastodon", "Mastodon", benchmark=("x", ER_FOLLOWERS),
            capabilities=_ALL - {"read_metrics", "hide", "elect"},  # replies to one's post cannot be hidden there
            api_docs="https://docs.joinmastodon.org/api/", max_chars=500, count="mastodon", max_images=4,
        ),
        Platform(
            "bluesky", "Bluesky", "Bluesky", benchmark=("x", ER_FOLLOWERS),
            profile_url="https://bsky.app/profile/{handle}", capabilities=_ALL - {"read_metrics", "elect"},
            api_docs="https://docs.bsky.app/", max_chars=300, count="graphemes", max_images=4,
        ),
        Platform(
            "reddit", "Reddit", "Reddit", profile_url="https://www.reddit.com/user/{handle}",
            capabilities=_caps("read_posts", "read_comments", "read_mentions", "read_dms", "reply", "message",
                               "publish", "delete"),
            api_docs="https://www.reddit.com/dev/api/", max_title=300, max_chars=40000, max_images=20,
        ),
        Platform("qq", "QQ", "QQ", capabilities=_caps()),  # QQ groups: exports from the PC client only
        Platform("shop", "网店", "Shop", social=False),
        Platform("survey", "问卷", "Survey", social=False),
        Platform("other", "其他", "Other"),
    )
}  # fmt: skip


def platform(pid: str) -> Platform | None:
    """The declared platform ``pid``, or None."""
    return PLATFORMS.get(pid)


def benchmarks() -> dict[str, tuple[str, str]]:
    """Platform id → (Rival IQ platform, metric) for the platforms with a benchmark."""
    return {p.id: p.benchmark for p in PLATFORMS.values() if p.benchmark is not None}


def markdown() -> str:
    """docs/platforms.md: the declared platforms and their API capabilities."""
    head = "| id | 中文 | English | benchmark (Rival IQ) | " + " | ".join(CAPABILITIES) + " |"
    lines = [
        "# Platforms",
        "",
        "Generated from `src/hudong/platforms.py` (`make docs`); each platform is declared there once. "
        "Capabilities are what the platform's open API allows an organization account, not what hudong's "
        "connectors implement yet.",
        "",
        head,
        "|" + "---|" * (4 + len(CAPABILITIES)),
    ]
    for p in PLATFORMS.values():
        bench = f"{p.benchmark[0]} ({p.benchmark[1]})" if p.benchmark else "—"
        caps = " | ".join("✓" if p.can(c) else "" for c in CAPABILITIES)
        lines.append(f"| `{p.id}` | {p.name_zh} | {p.name_en} | {bench} | {caps} |")
    lines += ["", "## What a post may hold", "",
              "What the content calendar checks a draft against (`hudong/plan/rules.py`); `count` says how the "
              "platform counts the length.", "", "| id | max length | count | title | images | hashtag |",
              "|---|---|---|---|---|---|"]
    for p in PLATFORMS.values():
        if p.social and p.max_chars:
            lines.append(f"| `{p.id}` | {p.max_chars:,} | {p.count} | {p.max_title or '—'} | {p.max_images or '—'} | "
                         f"`{p.hashtag}` |")
    return "\n".join(lines) + "\n"
