"""Platform rules checked when a post is drafted: its length counted the platform's way, its title, images and
hashtag form (the limits are declared per platform in ``hudong/platforms.py``; docs/platforms.md lists them).

How each platform counts (``Platform.count``):
- ``weibo``: a full-width character (汉字, full-width punctuation) counts 1, a half-width one (ASCII) ½, rounded up;
- ``twitter``: twitter-text v3 weights — code points in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and
  U+2032–U+2037 count 1, every other one 2 (so 汉字 count 2), an emoji sequence 2, a link 23;
- ``graphemes``: extended grapheme clusters (what a reader sees as one character: 👨‍👩‍👧 is 1) — Bluesky;
- ``mastodon``: code points, a link 23, a mention ``@user@host`` as ``@user``;
- ``chars``: code points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import regex

from hudong.platforms import Platform, platform, weibo_length

URL = regex.compile(r"https?://[^\s<>\"'，。！？、]+")
MENTION = regex.compile(r"@([\w.]+)@[\w.-]+\.\w+")
GRAPHEME = regex.compile(r"\X")
EMOJI = regex.compile(r"\p{Extended_Pictographic}")
_TWITTER_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
LINK_LENGTH = 23
HASHTAG_DOUBLE = regex.compile(r"#([^#\s]{1,64})#")  # Weibo's #话题#
HASHTAG_SINGLE = regex.compile(r"(?<![\w#])#([\p{L}\p{N}_]+)(?!#)")  # #tag


def _twitter(text: str) -> int:
    total, rest = 0, URL.sub("", text)
    total += LINK_LENGTH * len(URL.findall(text))
    for g in GRAPHEME.findall(rest):
        if EMOJI.search(g):
            total += 2
            continue
        total += sum(1 if any(lo <= ord(ch) <= hi for lo, hi in _TWITTER_LIGHT) else 2 for ch in g)
    return total


def length(text: str, p: Platform) -> float:
    """The post's length as platform ``p`` counts it."""
    if p.count == "weibo":
        return math.ceil(weibo_length(text))
    if p.count == "twitter":
        return _twitter(text)
    if p.count == "graphemes":
        return len(GRAPHEME.findall(text))
    if p.count == "mastodon":
        text = MENTION.sub(r"@\1", text)
        return len(URL.sub("", text)) + LINK_LENGTH * len(URL.findall(text))
    return len(text)


@dataclass(frozen=True)
class Problem:
    code: str  # too_long, title_too_long, too_many_images, hashtag_form, empty
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


def check(platform_id: str, text: str, *, title: str | None = None, images: int = 0) -> list[Problem]:
    """What stops the draft from going out as it is on ``platform_id`` (empty: it fits)."""
    p = platform(platform_id)
    if p is None:
        return []
    out: list[Problem] = []
    if not (text or "").strip() and not (title or "").strip() and not images:
        out.append(Problem("empty", "内容为空", "the post is empty"))
    n = length(text or "", p)
    if p.max_chars and n > p.max_chars:
        unit = {"weibo": "字（半角算半个）", "graphemes": "个字符（按字形计）"}.get(p.count, "个字符")
        out.append(Problem("too_long", f"{p.name_zh}正文 {n:g} {unit}，超过上限 {p.max_chars}",
                           f"{p.name_en} counts {n:g} ({p.count}); the limit is {p.max_chars}"))
    if title and p.max_title and len(title) > p.max_title:
        out.append(Problem("title_too_long", f"标题 {len(title)} 字，{p.name_zh}上限 {p.max_title} 字",
                           f"the title has {len(title)} characters; {p.name_en} allows {p.max_title}"))
    if p.max_images is not None and images > p.max_images:
        out.append(Problem("too_many_images", f"{images} 张图片，{p.name_zh}最多 {p.max_images} 张",
                           f"{images} images; {p.name_en} takes at most {p.max_images}"))
    out += _hashtags(text or "", p)
    return out


def _hashtags(text: str, p: Platform) -> list[Problem]:
    if p.hashtag == "#tag#":
        closed = {m.start() for m in HASHTAG_DOUBLE.finditer(text)} | {m.end() - 1 for m in HASHTAG_DOUBLE.finditer(text)}
        open_tags = [m.group(0) for m in HASHTAG_SINGLE.finditer(text) if m.start() not in closed]
        if open_tags:
            fixed = "、".join(f"{t}#" for t in open_tags[:3])
            return [Problem("hashtag_form", f"{p.name_zh}话题要写成 #话题#：{fixed}",
                            f"{p.name_en} topics are written #topic#: {fixed}")]
        return []
    double = [m.group(0) for m in HASHTAG_DOUBLE.finditer(text)]
    if double:
        fixed = ", ".join(t[:-1] for t in double[:3])
        return [Problem("hashtag_form", f"{p.name_zh}的话题不需要结尾的 #：{fixed}",
                        f"{p.name_en} hashtags take no closing #: {fixed}")]
    return []
