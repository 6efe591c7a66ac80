"""Sparse n-gram features shared by training (scripts/train_text_models.py) and inference — one definition.

- Chinese: units = Han characters, Latin words (lower-cased), digits folded to ``0``, punctuation kept;
  features = unit unigrams, bigrams and trigrams. No segmentation: character n-grams are as accurate for
  polarity and several times faster than jieba.
- English: lower-cased words, ``!``/``?`` runs and emoji; words after a negation (not, no, never, …n't) up to
  the next punctuation get a ``NOT_`` prefix; features = unigrams and bigrams, plus (when the model carries a
  lexicon) two dense features: log1p of the summed positive and of the summed negative valence of the tokens
  (``lexicon_features``).

URLs and @mentions are removed; Weibo emoticon codes stay as one unit (``[泪]``) and emoji as one unit each,
so a model can learn them where its training data has them. Features are binary (presence). Like every
analysis they read ``tokenize.analysed(text)``: the first ``max_chars()`` characters, runs of one character
cut to three (which keeps a Chinese text's unit n-grams up to trigrams as they were).
"""

from __future__ import annotations

import math
import re

from hudong.text.tokenize import EMOJI, EMOTICON, MENTION, URL, analysed

_ZH_UNITS = re.compile(
    r"\[[\u4e00-\u9fffA-Za-z0-9_]{1,8}\]"  # emoticon code
    + "|"
    + EMOJI.pattern
    + r"|[A-Za-z]+|[0-9]+(?:\.[0-9]+)?|[^\sA-Za-z0-9]"
)
_EN_TOKENS = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[!?]+|" + EMOJI.pattern + r"|[.,;:]")
_NEGATORS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "cannot", "without"})
_CLAUSE_END = frozenset({".", ",", ";", ":", "!", "?"})
_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _prep(text: str) -> str:
    return MENTION.sub(" ", URL.sub(" ", analysed(text)))


def zh_units(text: str) -> list[str]:
    """The units the Chinese features are n-grams of (see the module docstring)."""
    units = [u.lower() if u[0].isascii() else u for u in _ZH_UNITS.findall(_prep(text))]
    return ["0" if u[0].isdigit() else u for u in units]


def zh_features(text: str) -> set[str]:
    units = zh_units(text)
    feats = set(units)
    feats.update(a + "\x1f" + b for a, b in zip(units, units[1:], strict=False))
    feats.update(a + "\x1f" + b + "\x1f" + c for a, b, c in zip(units, units[1:], units[2:], strict=False))
    return feats


def en_tokens(text: str) -> list[str]:
    """Lower-cased tokens; words after a negation (up to the next punctuation) carry a ``NOT_`` prefix."""
    s = EMOTICON.sub(lambda m: " " + m.group(0) + " ", _prep(text).lower().replace("&amp;", "&"))
    toks: list[str] = []
    negate = False
    for t in _EN_TOKENS.findall(s):
        if t[0] in _CLAUSE_END or t[0] == "!" or t[0] == "?":
            negate = False
            toks.append(t[:1])
            continue
        t = _DIGITS.sub("0", t) if t[0].isdigit() else t
        toks.append("NOT_" + t if negate else t)
        if t in _NEGATORS or t.endswith("n't") or t.endswith("n’t"):
            negate = True
    return toks


def en_ngrams(toks: list[str]) -> set[str]:
    feats = set(toks)
    feats.update(a + "\x1f" + b for a, b in zip(toks, toks[1:], strict=False))
    return feats


def en_features(text: str) -> set[str]:
    return en_ngrams(en_tokens(text))


NEGATION_SCALAR = -0.74  # VADER's factor for a negated lexicon word


def lexicon_features(tokens: list[str], lexicon: dict[str, float]) -> tuple[float, float]:
    """(log1p Σ positive valence, log1p Σ |negative valence|) of the tokens; negated words flip (× −0.74)."""
    pos = neg = 0.0
    get = lexicon.get
    for t in tokens:
        if t.startswith("NOT_"):
            v = get(t[4:])
            v = v * NEGATION_SCALAR if v is not None else None
        else:
            v = get(t)
        if v is not None:
            if v > 0:
                pos += v
            else:
                neg -= v
    return math.log1p(pos), math.log1p(neg)


FEATURES = {"zh": zh_features, "en": en_features}
# Languages whose models may add lexicon features: (tokens of a text, n-gram features of those tokens).
TOKENS = {"en": (en_tokens, en_ngrams)}
