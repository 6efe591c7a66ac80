"""Language detection, social-media entities and word segmentation for Chinese and English posts.

- ``detect_lang`` — ``"zh"`` / ``"en"`` / ``"other"`` from character classes (Han vs Latin vs the rest),
  after removing URLs, @mentions and Weibo emoticon codes; cheap enough to run on every row.
- ``extract`` — Weibo emoticon codes (``[泪]``), emoji, hashtags (Weibo ``#话题#`` and ``#tag``),
  @mentions and URLs, plus the text with them stripped (``TextParts.clean``).
- ``strip_entities`` — the text without the chosen entity kinds (e.g. emoticons, which leak the label in
  emoticon-labelled Weibo corpora).
- ``segment`` — jieba for Chinese (its 9 MB dictionary cache goes to ``cache_dir()``, not /tmp), a regex
  word splitter for everything else.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TextParts", "cache_dir", "detect_lang", "extract", "segment", "strip_entities"]

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。！？、；：（）【】《》]+", re.IGNORECASE)
# Weibo / Xiaohongshu / Douyin emoticon codes: [泪] [哈哈] [doge] [微笑R] — short, no spaces or brackets inside.
EMOTICON = re.compile(r"\[([\u4e00-\u9fffA-Za-z0-9_]{1,8})\]")
# Emoji: pictographs, dingbats, symbols, flags, plus joiners/selectors/skin tones glued to them.
_PICTO = "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u3030\u303d\u3297\u3299]"
_MOD = "[\ufe0f\U0001f3fb-\U0001f3ff\u20e3]*"
EMOJI = re.compile(f"[\U0001f1e6-\U0001f1ff]{{2}}|{_PICTO}{_MOD}(?:\u200d{_PICTO}{_MOD})*")
# Weibo topics #话题# (no leading/trailing space inside), then single-hash tags #tag (X, Instagram, Xiaohongshu).
HASHTAG_PAIR = re.compile(r"#([^#\s](?:[^#\n]{0,48}[^#\s])?)#")
HASHTAG = re.compile(r"(?<![\w&#/])#(\w{1,60})")
# @name: Latin, digits, _ and -, or Chinese; not inside an e-mail address.
MENTION = re.compile(r"(?<![\w.@/])@([\w\-]{1,30})")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f0-9]+(?:['’][A-Za-z]+)?|[^\sA-Za-z0-9\u00c0-\u024f]")


@dataclass(frozen=True)
class TextParts:
    """A post's text split into its social-media entities and the remaining prose."""

    text: str
    clean: str  # URLs, mentions, emoticon codes and emoji removed; hashtag text kept without '#'
    lang: str  # zh | en | other
    emoticons: tuple[str, ...]  # names inside the brackets: 泪, 哈哈, doge
    emoji: tuple[str, ...]
    hashtags: tuple[str, ...]  # without the '#'
    mentions: tuple[str, ...]  # without the '@'
    urls: tuple[str, ...]


def _trim_url(u: str) -> str:
    return u.rstrip(".,;:!?)]}'\"")


def strip_entities(
    text: str,
    *,
    urls: bool = True,
    mentions: bool = True,
    emoticons: bool = True,
    emoji: bool = True,
    hashtags: bool = False,
    hashtag_marks: bool = True,
) -> str:
    """``text`` without the chosen entities; ``hashtags=False`` keeps the topic text (dropping the ``#``
    marks when ``hashtag_marks``). Whitespace left behind is collapsed."""
    if not text:
        return ""
    s = text
    if urls:
        s = URL.sub(" ", s)
    if mentions:
        s = MENTION.sub(" ", s)
    if emoticons:
        s = EMOTICON.sub(" ", s)
    if emoji:
        s = EMOJI.sub(" ", s)
    if hashtags:
        s = HASHTAG.sub(" ", HASHTAG_PAIR.sub(" ", s))
    elif hashtag_marks:
        s = HASHTAG.sub(r"\1", HASHTAG_PAIR.sub(r" \1 ", s))
    return " ".join(s.split())


def detect_lang(text: str) -> str:
    """``zh`` when Han characters carry the text, ``en`` when Latin letters do, else ``other``.

    Counted after removing URLs, @mentions and emoticon codes. A Han character weighs as much as three
    Latin letters (≈ one word each way). Text with kana or hangul beyond a trace is ``other`` (Japanese,
    Korean). Empty or symbol-only text is ``other``.
    """
    if not text:
        return "other"
    s = EMOTICON.sub(" ", MENTION.sub(" ", URL.sub(" ", text)))
    han = len(_HAN.findall(s))
    kana = len(_KANA_HANGUL.findall(s))
    latin = len(_LATIN.findall(s))
    letters = len(_LETTER.findall(s))
    rest = max(letters - han - kana - latin, 0)
    if kana > 0 and kana >= 0.2 * (han + kana):
        return "other"
    weight = han + (latin + rest) / 3.0
    if weight == 0:
        return "other"
    if han / weight >= 0.3:
        return "zh"
    if latin >= 0.7 * (latin + rest):
        return "en"
    return "other"


def extract(text: str | None) -> TextParts:
    """All entities of ``text`` in order of appearance, the cleaned prose and its language."""
    text = text or ""
    urls = tuple(_trim_url(m.group(0)) for m in URL.finditer(text))
    no_url = URL.sub(" ", text)
    pair = [m.group(1) for m in HASHTAG_PAIR.finditer(no_url)]
    single = [m.group(1) for m in HASHTAG.finditer(HASHTAG_PAIR.sub(" ", no_url))]
    clean = strip_entities(text)
    return TextParts(
        text=text,
        clean=clean,
        lang=detect_lang(text),
        emoticons=tuple(m.group(1) for m in EMOTICON.finditer(no_url)),
        emoji=tuple(m.group(0) for m in EMOJI.finditer(no_url)),
        hashtags=tuple(pair + single),
        mentions=tuple(m.group(1) for m in MENTION.finditer(no_url)),
        urls=urls,
    )


# ---- segmentation -----------------------------------------------------------------------------
def cache_dir() -> Path:
    """hudong's cache directory: ``$HUDONG_CACHE``, else ``$XDG_CACHE_HOME/hudong``, else ``~/.cache/hudong``."""
    env = os.environ.get("HUDONG_CACHE")
    if env:
        p = Path(env)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        p = Path(base) / "hudong"
    p.mkdir(parents=True, exist_ok=True)
    return p


_JIEBA_LOCK = threading.Lock()
_JIEBA = None


def _jieba():
    """The jieba tokenizer, initialised once with its dictionary cache in ``cache_dir()``."""
    global _JIEBA
    if _JIEBA is None:
        with _JIEBA_LOCK:
            if _JIEBA is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.tmp_dir = str(cache_dir())
                tk.cache_file = "jieba.cache"
                tk.initialize()
                _JIEBA = tk
    return _JIEBA


def segment(text: str, lang: str | None = None) -> list[str]:
    """Words of ``text``: jieba (precise mode) for Chinese, a regex splitter otherwise; whitespace dropped."""
    if not text:
        return []
    lang = lang or detect_lang(text)
    if lang == "zh":
        return [w for w in _jieba().lcut(text) if w.strip()]
    return _WORD.findall(text)
