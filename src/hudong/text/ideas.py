"""Ideas: feedback messages that ask for the same thing, grouped.

Texts are compared by TF-IDF (``Vectorizer``: Chinese by characters and their pairs, English by words and
their pairs), after removing what every message shares and
says nothing of the idea (links, @mentions, hashtag marks, emoji, the cue words of ``text.feedback`` such as
"希望" or "please"). Grouping is a leader pass: messages in time order join the idea whose centroid is most similar
if the cosine similarity reaches ``threshold``, otherwise they start a new idea. It is linear in the messages
times the ideas, deterministic, and lets stored ideas absorb new messages later (``assign``) without regrouping.
An idea's title is its most central message (the medoid), cleaned and cut to ``TITLE_CHARS``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

THRESHOLD = 0.2
TITLE_CHARS = 40
_NOISE = re.compile(r"https?://\S+|@\S+|#|\[[^\]]{1,8}\]|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]")
_CUE_WORDS = re.compile(r"希望|建议|能不能|可不可以|能否|什么时候|啥时候|求|期待|麻烦|请问|拜托|就好了|一下|"
                        r"\b(please|pls|could you|can you|would love|wish|should|hope)\b", re.IGNORECASE)


def clean(text: str | None) -> str:
    """The text without links, mentions, emoji and the cue words every request shares."""
    t = _NOISE.sub(" ", text or "")
    return re.sub(r"\s+", " ", _CUE_WORDS.sub(" ", t)).strip()


class Vectorizer:
    """Chinese by its characters and character pairs (``char_wb`` 1–2-grams of the Han runs: paraphrases such as
    "出个无糖的冷泡茶" and "无糖款冷泡茶" share most of them, while jieba cuts them differently), English by its words
    and word pairs (stop words out); TF-IDF each, side by side, each row l2-normalised. A Chinese and an English
    text share nothing."""

    def __init__(self) -> None:
        self.zh = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True)
        self.en = TfidfVectorizer(ngram_range=(1, 2), stop_words="english", sublinear_tf=True,
                                  token_pattern=r"(?u)\b[a-z][a-z]+\b")  # fmt: skip
        self._zh_ok = self._en_ok = False

    def fit(self, texts: Sequence[str]) -> Vectorizer:
        han, latin = [_han_runs(t) for t in texts], [t.lower() for t in texts]
        self._zh_ok = any(h.strip() for h in han)
        self._en_ok = any(re.search(r"[a-z]{2}", t) for t in latin)
        if self._zh_ok:
            self.zh.fit(han)
        if self._en_ok:
            try:
                self.en.fit(latin)
            except ValueError:  # only stop words
                self._en_ok = False
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        parts = []
        if self._zh_ok:
            parts.append(self.zh.transform([_han_runs(t) for t in texts]))
        if self._en_ok:
            parts.append(self.en.transform([t.lower() for t in texts]))
        if not parts:
            return sparse.csr_matrix((len(texts), 1))
        m = sparse.hstack(parts).tocsr()
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        return sparse.diags(1 / np.where(norms > 0, norms, 1)) @ m


def _han_runs(text: str) -> str:
    """Only the Chinese characters, runs apart."""
    return re.sub(r"[^\u4e00-\u9fff]+", " ", text)


def vectorizer() -> Vectorizer:
    return Vectorizer()


@dataclass
class Grouping:
    labels: np.ndarray  # idea number per text (-1: nothing left after cleaning)
    titles: list[str]  # per idea: its medoid's cleaned text
    medoids: list[int]  # per idea: the index of its medoid text


def group(texts: Sequence[str | None], threshold: float = THRESHOLD, *, seeds: Sequence[Sequence[str]] = ()
          ) -> Grouping:  # fmt: skip
    """Group ``texts`` (in the order given: oldest first) into ideas. ``seeds``: the texts of existing ideas, one
    list each; they keep their numbers 0 … len(seeds) − 1 and new ideas are numbered after them."""
    cleaned = [clean(t) for t in texts]
    seed_texts = [[clean(t) for t in s] for s in seeds]
    corpus = [t for t in cleaned if t] + [t for s in seed_texts for t in s if t]
    labels = np.full(len(texts), -1, dtype=np.int64)
    if not corpus:
        return Grouping(labels, [s[0] if s else "" for s in seed_texts], [-1] * len(seed_texts))
    vec = vectorizer().fit(corpus)
    x = vec.transform([t or " " for t in cleaned]).tocsr()
    sums: list[np.ndarray] = []
    counts: list[int] = []
    for s in seed_texts:
        m = vec.transform([t for t in s if t] or [" "])
        sums.append(np.asarray(m.sum(axis=0)).ravel())
        counts.append(m.shape[0])
    for i, t in enumerate(cleaned):
        if not t:
            continue
        row = x[i].toarray().ravel()
        if sums:
            cents = np.vstack(sums)
            norms = np.linalg.norm(cents, axis=1)
            sims = cents @ row / np.where(norms > 0, norms, 1)
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                labels[i] = best
                sums[best] = sums[best] + row
                counts[best] += 1
                continue
        labels[i] = len(sums)
        sums.append(row.copy())
        counts.append(1)
    titles, medoids = [], []
    for k in range(len(sums)):
        members = np.flatnonzero(labels == k)
        if len(members) == 0:  # a seed idea that took nothing new: its own first text names it
            titles.append(seed_texts[k][0][:TITLE_CHARS] if k < len(seed_texts) and seed_texts[k] else "")
            medoids.append(-1)
            continue
        sub = x[members]
        cent = np.asarray(sub.mean(axis=0)).ravel()
        best = int(members[int(np.argmax(sub @ cent))])
        titles.append(re.sub(r"\s+", " ", _NOISE.sub(" ", str(texts[best] or ""))).strip()[:TITLE_CHARS])
        medoids.append(best)
    return Grouping(labels, titles, medoids)
