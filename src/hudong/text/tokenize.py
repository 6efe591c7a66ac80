"""Language detection, social-media entities and word segmentation for Chinese and English posts.

- ``detect_lang`` — ``"zh"`` / ``"en"`` / ``"other"`` from character classes (Han vs Latin vs the rest),
  after removing URLs, @mentions and Weibo emoticon codes; cheap enough to run on every row.
- ``extract`` — Weibo emoticon codes (``[泪]``), emoji, hashtags (Weibo ``#话题#`` and ``#tag``),
  @mentions and URLs, plus the text with them stripped (``TextParts.clean``).
- ``strip_entities`` — the text without the chosen entity kinds (e.g. emoticons, which leak the label in
  emoticon-labelled Weibo corpora).
- ``segment`` — jieba for Chinese (its 9 MB dictionary cache goes to ``cache_dir()``, not /tmp), a regex
  word splitter for everything else.
- ``analysed`` — the bounded part of a text that every analysis reads (see below).

Bounded analysis. Imports accept texts of any length (a 5 MB cell is stored as it is), but every analysis —
language detection, entities, segmentation, keywords, topics, bursts, sentiment/emotion/toxicity features,
brand mentions, alerts, model training — reads ``analysed(text)``: the first ``max_chars()`` characters
(``[text] max_chars`` in hudong.toml, in force inside ``analysed_length``: ``hudong.analyses.context.workspace_text(ws)``; default ``DEFAULT_MAX_CHARS``), with every run of one repeated character
cut to ``MAX_RUN``. And jieba never sees more than ``JIEBA_PIECE`` characters of one unbroken run of the
characters it segments: its HMM (``jieba.finalseg.viterbi``) copies its path list at each character, so its time
grows with the square of a run of characters it does not know (``'测' * 50_000`` 9.6 s, ``* 200_000`` ≈ 190 s;
docs/text.md "Bounded analysis").
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from hudong.errors import HudongError

__all__ = [
    "DEFAULT_MAX_CHARS",
    "JIEBA_PIECE",
    "MAX_RUN",
    "TextParts",
    "analysed",
    "analysed_length",
    "cache_dir",
    "checked_max_chars",
    "detect_lang",
    "extract",
    "max_chars",
    "segment",
    "set_max_chars_in_worker",
    "strip_entities",
    "user_words",
]

# ---- bounded analysis ---------------------------------------------------------------------------
DEFAULT_MAX_CHARS = 5_000  # characters of a text that are analysed (a long Weibo post is ≤ 2,000; a review ~500)
MAX_CHARS_RANGE = (100, 1_000_000)  # accepted values of [text] max_chars
MAX_RUN = 3  # a run of one repeated character keeps 3 (哈哈哈哈哈 → 哈哈哈: the same character n-grams up to trigrams)
JIEBA_PIECE = 200  # jieba gets unbroken runs of Han/alphanumerics in pieces of at most this many characters
_RUN = re.compile(rf"(.)\1{{{MAX_RUN},}}", re.DOTALL)
# The analysed length in force: the default, or a workspace's [text] max_chars inside ``analysed_length``. A context
# variable, not a module global, so two workspaces in one process (the web app's threads, tests) cannot see
# each other's setting.
_MAX_CHARS: ContextVar[int] = ContextVar("hudong_text_max_chars", default=DEFAULT_MAX_CHARS)
# Words segment() keeps whole (a workspace's brand names) inside ``user_words``: scoped like the length, and
# jieba's dictionary is never changed, so one workspace's brands cannot alter another's words.
_USER_WORDS: ContextVar[re.Pattern[str] | None] = ContextVar("hudong_text_user_words", default=None)


def max_chars() -> int:
    """How many characters of a text are analysed here (``analysed_length``; default ``DEFAULT_MAX_CHARS``)."""
    return _MAX_CHARS.get()


def checked_max_chars(setting: object) -> int:
    """A ``[text] max_chars`` setting as a length (None: the default), or a HudongError saying what is allowed."""
    if setting is None:
        return DEFAULT_MAX_CHARS
    lo, hi = MAX_CHARS_RANGE
    if isinstance(setting, bool) or not isinstance(setting, int) or not lo <= setting <= hi:
        raise HudongError(f"hudong.toml: [text] max_chars must be a whole number from {lo:,} to {hi:,}, got {setting!r}")
    return setting


@contextmanager
def analysed_length(setting: object) -> Iterator[int]:
    """Analyse at most ``setting`` characters of each text inside the block (this thread or task only)."""
    token = _MAX_CHARS.set(checked_max_chars(setting))
    try:
        yield _MAX_CHARS.get()
    finally:
        _MAX_CHARS.reset(token)


def set_max_chars_in_worker(setting: object) -> None:
    """Set the analysed length for the rest of this context: for a pool worker's initializer, whose tasks all
    run in the thread it ran in (elsewhere use ``analysed_length``)."""
    _MAX_CHARS.set(checked_max_chars(setting))


def analysed(text: str | None) -> str:
    """The part of ``text`` the analyses read: its first ``max_chars()`` characters, every run of one repeated
    character cut to ``MAX_RUN`` (``'测' * 200_000`` → ``'测测测'``). Idempotent; "" for None and non-strings."""
    if not isinstance(text, str) or not text:
        return ""
    s = text[: _MAX_CHARS.get()]
    return _RUN.sub(r"\1" * MAX_RUN, s) if _RUN.search(s) else s


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
    s = analysed(text)
    if not s:
        return ""
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
    text = analysed(text)
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
    """All entities of ``analysed(text)`` in order of appearance, the cleaned prose and its language."""
    text = analysed(text)
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


# What jieba segments as one block (jieba's re_han_default); longer runs go to it in JIEBA_PIECE pieces.
_JIEBA_BLOCK = re.compile(rf"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]{{{JIEBA_PIECE + 1},}}")


def jieba_pieces(text: str) -> list[str]:
    """``text`` split so that no piece holds an unbroken block of more than ``JIEBA_PIECE`` characters jieba
    segments together (cut where such a block is longer; everything else is left whole)."""
    if not _JIEBA_BLOCK.search(text):
        return [text]
    out, pos = [], 0
    for m in _JIEBA_BLOCK.finditer(text):
        if m.start() > pos:
            out.append(text[pos : m.start()])
        block = m.group(0)
        out.extend(block[i : i + JIEBA_PIECE] for i in range(0, len(block), JIEBA_PIECE))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


@contextmanager
def user_words(words: Iterable[str]) -> Iterator[list[str]]:
    """Inside the block (this thread or task only), ``segment`` keeps each of ``words`` — e.g. a workspace's
    Chinese brand names and aliases — as one word (else 山茶社 splits into 山 / 茶社). Words with spaces are
    left out; the longest match wins. Yields the words in force."""
    kept = sorted({w.strip() for w in words if w and w.strip() and " " not in w.strip()}, key=lambda w: (-len(w), w))
    token = _USER_WORDS.set(re.compile("|".join(map(re.escape, kept))) if kept else None)
    try:
        yield kept
    finally:
        _USER_WORDS.reset(token)


def _jieba_words(text: str) -> list[str]:
    tk = _jieba()
    return [w for piece in jieba_pieces(text) for w in tk.lcut(piece) if w.strip()]


def segment(text: str, lang: str | None = None) -> list[str]:
    """Words of ``analysed(text)``: jieba (precise mode, in ``jieba_pieces``) for Chinese, a regex splitter
    otherwise; whitespace dropped. Inside ``user_words`` those words are kept whole."""
    text = analysed(text)
    if not text:
        return []
    lang = lang or detect_lang(text)
    if lang != "zh":
        return _WORD.findall(text)
    pattern = _USER_WORDS.get()
    if pattern is None:
        return _jieba_words(text)
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        out += _jieba_words(text[pos : m.start()]) + [m.group(0)]
        pos = m.end()
    return out + _jieba_words(text[pos:])
