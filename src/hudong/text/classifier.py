"""The model class behind every shipped text model (sentiment, emotion, toxicity): n-gram softmax regression.

    from hudong.text.classifier import TextClassifier, load_shipped
    m = TextClassifier("zh", meta={"version": "zh-mine-1"}).fit(texts, labels)   # train (scipy L-BFGS)
    m.predict(["太好吃了"])            # ['positive']     m.predict_proba(texts) → (n × classes) probabilities
    m.save("m.npz"); TextClassifier.load("m.npz")
    load_shipped("emotion", "zh")      # the model shipped in hudong/text/models/emotion-zh.npz, cached

A model is a vocabulary of sparse binary n-gram features (``hudong.text.features``), a weight matrix
(n_features × n_classes) and biases; with a ``lexicon`` (token → valence, English only) the last two weight
rows belong to two dense lexicon features. Inference is pure numpy; training (``fit``) uses scipy.
Files are LZMA-compressed ``.npz`` (weights as float16) with the model format version and the hudong version that
wrote them; ``meta`` is free JSON and carries ``version`` (the model's own).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self, TypeVar

import numpy as np

from hudong.errors import HudongError
from hudong.stats.estimator import Estimator, hudong_version
from hudong.text.features import FEATURES, TOKENS, lexicon_features
from hudong.text.tokenize import detect_lang

__all__ = [
    "LANGS", "Corpus", "TextClassifier", "by_language", "fit_softmax", "load_shipped", "model_in_use", "models_in_use",
    "per_language", "use_models_in_worker", "using_models",
]  # fmt: skip

LANGS = ("zh", "en")
C = TypeVar("C", bound="TextClassifier")


def _save_npz_lzma(path: str | Path, **arrays: np.ndarray) -> None:
    """Like ``np.savez_compressed`` but LZMA-compressed (a third smaller); ``np.load`` reads it as usual."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=False)
            zf.writestr(f"{name}.npy", buf.getvalue())


def _text_array(items: Sequence[str]) -> np.ndarray:
    return np.frombuffer("\n".join(items).encode("utf-8"), dtype=np.uint8)


class Corpus:
    """Texts featurized once — binary n-gram rows over the corpus's own vocabulary (a CSR matrix), plus the dense
    lexicon features when featurized for a model with a lexicon — so that several models can be fitted and applied
    to the same texts without computing their features again (``TextClassifier.fit``, ``proba_corpus``)."""

    def __init__(self, lang: str, vocab: list[str], index: dict[str, int], x: Any, dense: np.ndarray,
                 lexicon: Mapping[str, float] | None) -> None:  # fmt: skip
        self.lang, self.vocab, self.index, self.x, self.dense, self.lexicon = lang, vocab, index, x, dense, lexicon

    @classmethod
    def of(cls, lang: str, texts: Iterable[str], lexicon: Mapping[str, float] | None = None) -> Corpus:
        import scipy.sparse as sp

        if lang not in FEATURES:
            raise HudongError(f"no text features for language {lang!r}; languages: {', '.join(FEATURES)}")
        index: dict[str, int] = {}
        intern = index.setdefault
        indices: list[int] = []
        indptr = [0]
        dense: list[tuple[float, float]] = []
        if lexicon:
            tokens, ngrams = TOKENS[lang]
        for t in texts:
            if lexicon:
                toks = tokens(t or "")
                feats = ngrams(toks)
                dense.append(lexicon_features(toks, lexicon))
            else:
                feats = FEATURES[lang](t or "")
            indices.extend(intern(f, len(index)) for f in feats)
            indptr.append(len(indices))
        n = len(indptr) - 1
        x = sp.csr_matrix((np.ones(len(indices)), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
                          shape=(n, len(index)))  # fmt: skip
        d = np.asarray(dense, dtype=np.float64).reshape(n, 2) if lexicon else np.zeros((n, 0))
        return cls(lang, list(index), index, x, d, dict(lexicon) if lexicon else None)

    def __len__(self) -> int:
        return int(self.x.shape[0])


class TextClassifier(Estimator):
    """One language's multi-class model: vocabulary → row of ``weights`` (n_features × n_classes), ``bias``.

    The estimator contract (``hudong.stats.estimator``): parameters in ``__init__`` (``classes`` fixes their order,
    default sorted), ``fit(texts, labels)`` learns and returns the model, ``predict`` / ``predict_proba``;
    ``save``/``load`` write an ``.npz`` with ``format_version`` and the hudong version (no pickle), and refuse a file
    of another format. Subclasses derive what they need from ``meta`` in ``_ready`` (called once learned)."""

    learned = ("index", "weights", "bias")
    format_version = 1
    how_to_train = "train it (scripts/train_text_models.py; a workspace's: hudong text train)"

    def __init__(
        self,
        lang: str,
        *,
        classes: Sequence[str] | None = None,
        min_df: int = 2,
        l2: float = 1e-3,
        meta: dict[str, Any] | None = None,
        lexicon: dict[str, float] | None = None,
    ):
        if lang not in FEATURES:
            raise HudongError(f"no text features for language {lang!r}; languages: {', '.join(FEATURES)}")
        self.lang = lang
        self.classes: tuple[str, ...] | None = tuple(classes) if classes is not None else None
        self.min_df, self.l2 = min_df, l2
        self.meta = {"version": f"{lang}-custom", **(meta or {})}
        self.version = str(self.meta["version"])
        self.lexicon = dict(lexicon or {})
        if self.lexicon and lang not in TOKENS:
            raise ValueError(f"lexicon features are not defined for {lang}")
        self._features = FEATURES[lang]
        self.index: dict[str, int] | None = None
        self.weights: np.ndarray | None = None
        self.bias: np.ndarray | None = None

    @classmethod
    def from_arrays(cls: type[C], lang: str, vocab: Sequence[str], weights: np.ndarray, bias: np.ndarray,
                    classes: Sequence[str], meta: dict[str, Any], lexicon: dict[str, float] | None = None) -> C:
        """A learned model from its arrays (what ``load`` reads)."""
        m = cls(lang, classes=classes, meta=meta, lexicon=lexicon)
        m._learn(vocab, weights, bias)
        return m

    def _learn(self, vocab: Sequence[str], weights: np.ndarray, bias: np.ndarray) -> None:
        assert self.classes is not None
        self.index = {f: i for i, f in enumerate(vocab)}
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        n_dense = 2 if self.lexicon else 0
        if self.weights.shape != (len(self.index) + n_dense, len(self.classes)):
            raise ValueError("weights do not match the vocabulary and classes")
        if self.bias.shape != (len(self.classes),):
            raise ValueError("bias does not match the classes")
        self._ready()

    def _ready(self) -> None:
        """What a subclass derives from ``classes`` and ``meta`` once the model is learned (or loaded)."""

    @property
    def vocabulary(self) -> list[str]:
        """The features in weight-row order."""
        assert self.index is not None
        return sorted(self.index, key=self.index.__getitem__)

    def with_meta(self, meta: dict[str, Any]) -> Self:
        """The same weights under ``meta``: a model that differs only by a rule its meta switches on (an insult
        lexicon, the emotion back-off) and by its version."""
        self.check_fitted()
        assert self.weights is not None and self.bias is not None and self.classes is not None
        return type(self).from_arrays(self.lang, self.vocabulary, self.weights, self.bias, self.classes, meta,
                                      self.lexicon or None)  # fmt: skip

    # ---- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        self.check_fitted()
        assert self.index is not None and self.weights is not None and self.bias is not None and self.classes
        vocab = self.vocabulary
        lex = sorted(self.lexicon)
        _save_npz_lzma(
            path,
            format_version=np.array(self.format_version),
            hudong_version=np.array(hudong_version()),
            lang=np.array(self.lang),
            vocab=_text_array(vocab),
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            classes=np.array(self.classes),
            meta=np.array(json.dumps(self.meta, ensure_ascii=False)),
            lexicon_words=_text_array(lex),
            lexicon_valence=np.array([self.lexicon[w] for w in lex], dtype=np.float32),
        )
        return Path(path)

    @classmethod
    def load(cls: type[C], path: str | Path, lang: str | None = None) -> C:  # type: ignore[override]
        """Read a model ``save`` wrote (of this format version); ``lang``, when given, must be the model's."""
        p = Path(path)
        if not p.exists():
            raise HudongError(f"no model at {p}; {cls.how_to_train}")
        retrain = f"{cls.how_to_train} again"
        try:
            z = np.load(p, allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - an unreadable or foreign file is one clear error
            raise HudongError(f"{p} is not a text model hudong can read ({type(e).__name__}); {retrain}") from None
        with z:
            if "format_version" not in z.files:
                raise HudongError(f"{p} was saved by an earlier hudong without a model format version; {retrain}")
            if int(z["format_version"]) != cls.format_version:
                raise HudongError(f"{p} is a text model in format {int(z['format_version'])} (saved by hudong "
                                  f"{z['hudong_version']}); this hudong ({hudong_version()}) reads format "
                                  f"{cls.format_version}: {retrain}")  # fmt: skip
            saved_lang = str(z["lang"])
            if lang is not None and lang != saved_lang:
                raise HudongError(f"{p} is a {saved_lang} model, not {lang}")
            vocab = z["vocab"].tobytes().decode("utf-8").split("\n") if z["vocab"].size else []
            lexicon = None
            if z["lexicon_valence"].size:
                words = z["lexicon_words"].tobytes().decode("utf-8").split("\n")
                lexicon = dict(zip(words, z["lexicon_valence"].tolist(), strict=True))
            return cls.from_arrays(saved_lang, vocab, z["weights"].astype(np.float32), z["bias"],
                                   [str(c) for c in z["classes"]], json.loads(str(z["meta"])), lexicon)  # fmt: skip

    # ---- training -----------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str] | Corpus,
        labels: Sequence[str],
        sample_weight: Sequence[float] | None = None,
        *,
        prior: TextClassifier | None = None,
        rows: Sequence[int] | None = None,
    ) -> Self:
        """Multinomial logistic regression on the n-gram features of ``texts`` (features seen in < ``min_df``
        texts dropped; L2 on the weights, not the biases). ``texts`` may be a ``Corpus`` already featurized (with
        the same lexicon), of which ``rows`` are the training texts (default: all).

        With a ``prior`` model (same language, same classes) the weights are pulled toward the prior's instead of
        toward zero (Chelba & Acero 2006, "Adaptation of maximum entropy capitalizer: little data can help a
        lot"), and the prior's whole vocabulary is kept: what the data do not speak to stays as the prior had it.
        This is how a model adapts to new texts without forgetting the old domain."""
        corpus = texts if isinstance(texts, Corpus) else Corpus.of(self.lang, texts, self.lexicon)
        if corpus.lang != self.lang or bool(corpus.lexicon) != bool(self.lexicon):
            raise HudongError("the corpus was featurized for another language or lexicon")
        x = corpus.x if rows is None else corpus.x[np.asarray(rows, dtype=np.int64)]
        dense = corpus.dense if rows is None else corpus.dense[np.asarray(rows, dtype=np.int64)]
        if x.shape[0] != len(labels):
            raise HudongError(f"{x.shape[0]} texts but {len(labels)} labels")
        classes = self.classes if self.classes is not None else tuple(sorted(set(labels)))
        unknown = sorted(set(labels) - set(classes))
        if unknown:
            raise HudongError(f"labels {unknown} are not among the classes {list(classes)}")
        df = np.asarray(x.sum(axis=0)).ravel()
        cols = np.flatnonzero(df >= self.min_df)
        prior_only: list[str] = []  # the prior's features these texts never show: their weights stay the prior's
        center: tuple[np.ndarray, np.ndarray] | None = None
        if prior is not None:
            prior.check_fitted()
            if prior.lang != self.lang or tuple(prior.classes) != tuple(classes) or bool(prior.lexicon) != bool(
                self.lexicon
            ):
                raise HudongError("a prior model must have the same language, classes and lexicon features")
            seen = np.zeros(len(corpus.vocab), dtype=bool)
            seen[cols] = True
            known = [corpus.index.get(f, -1) for f in prior.index]
            extra = [j for j in known if j >= 0 and not seen[j] and df[j] > 0]
            cols = np.union1d(cols, np.asarray(extra, dtype=np.int64))
            in_data = set(cols.tolist())
            prior_only = [f for f, j in zip(prior.index, known, strict=True) if j < 0 or j not in in_data]
        vocab_list = [corpus.vocab[j] for j in cols]
        xs = x[:, cols]
        if dense.shape[1]:
            import scipy.sparse as sp

            xs = sp.hstack([xs, sp.csr_matrix(dense)]).tocsr()
        if prior is not None:
            w0 = np.zeros((len(vocab_list) + dense.shape[1], len(classes)))
            for i, f in enumerate(vocab_list):
                j = prior.index.get(f)
                if j is not None:
                    w0[i] = prior.weights[j]
            w0[len(vocab_list) :] = prior.weights[len(prior.index) :]
            center = (w0, prior.bias.astype(np.float64))
        y = np.array([classes.index(lb) for lb in labels])
        w, b = fit_softmax(xs, y, len(classes), self.l2, sample_weight, center=center)
        v = len(vocab_list)
        keep = np.abs(w[:v]).max(axis=1) >= 1e-3  # drop features the regulariser zeroed out
        vocab_kept = [f for f, k in zip(vocab_list, keep, strict=True) if k]
        weights = w[:v][keep]
        if prior_only:
            vocab_kept += prior_only
            weights = np.vstack([weights, prior.weights[[prior.index[f] for f in prior_only]]])
        self.classes = classes
        self.meta |= {"n_features": len(vocab_kept) + dense.shape[1], "min_df": self.min_df, "l2": self.l2,
                      "n_train": int(x.shape[0])}  # fmt: skip
        self._learn(vocab_kept, np.vstack([weights, w[v:]]), b)
        return self

    def proba_corpus(self, corpus: Corpus, rows: Sequence[int] | None = None) -> np.ndarray:
        """``proba`` of a featurized ``Corpus`` (its ``rows``, default all): one sparse product, no re-featurizing."""
        self.check_fitted()
        at = np.fromiter((corpus.index.get(f, -1) for f in self.index), dtype=np.int64, count=len(self.index))
        w = np.zeros((len(corpus.vocab), len(self.classes)))
        has = at >= 0
        w[at[has]] = self.weights[np.flatnonzero(has)]
        x = corpus.x if rows is None else corpus.x[np.asarray(rows, dtype=np.int64)]
        logits = x @ w + self.bias
        if self.lexicon:
            dense = corpus.dense if rows is None else corpus.dense[np.asarray(rows, dtype=np.int64)]
            logits += dense @ self.weights[len(self.index) :]
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    # ---- inference ----------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Sparse rows (feature indices ``flat`` split by ``indptr``) and the dense lexicon features (or None)."""
        get = self.index.get
        flat: list[int] = []
        indptr = [0]
        dense: list[tuple[float, float]] | None = None
        if self.lexicon:
            tokens, ngrams = TOKENS[self.lang]
            dense = []
            for t in texts:
                toks = tokens(t or "")
                flat.extend(i for i in map(get, ngrams(toks)) if i is not None)
                indptr.append(len(flat))
                dense.append(lexicon_features(toks, self.lexicon))
        else:
            for t in texts:
                flat.extend(i for i in map(get, self._features(t or "")) if i is not None)
                indptr.append(len(flat))
        d = np.asarray(dense, dtype=np.float32).reshape(-1, 2) if dense is not None else None
        return np.asarray(flat, dtype=np.int64), np.asarray(indptr, dtype=np.int64), d

    def proba(self, texts: Sequence[str], encoded: tuple | None = None) -> np.ndarray:
        """Class probabilities, one row per text (rows without known features get the prior); ``encoded`` = the
        texts' ``encode`` when the caller has it already."""
        flat, indptr, dense = self.encode(texts) if encoded is None else encoded
        n, k = len(texts), len(self.classes)
        logits = np.tile(self.bias, (n, 1)).astype(np.float64) if n else np.zeros((0, k))
        if flat.size:
            rows = np.repeat(np.arange(n), np.diff(indptr))
            w = self.weights[flat]
            for c in range(k):
                logits[:, c] += np.bincount(rows, weights=w[:, c], minlength=n)
        if dense is not None and n:
            logits += dense @ self.weights[len(self.index) :]
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (columns in ``classes`` order): ``proba``."""
        self.check_fitted()
        return self.proba(texts)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable class of each text."""
        return [self.classes[i] for i in self.proba(texts).argmax(axis=1)]


def fit_softmax(
    x: Any,
    y: np.ndarray,
    k: int,
    l2: float,
    sample_weight: Sequence[float] | None = None,
    *,
    center: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression on a sparse design ``x``, L2 on the weights (not the bias), L-BFGS. With
    ``center`` = (weights, bias) the L2 pulls toward those weights instead of zero, and the fit starts there."""
    import scipy.optimize

    n, v = x.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    sw = (sw / sw.sum())[:, None]
    xt = x.T.tocsr()

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        wm, b = w[: v * k].reshape(v, k), w[v * k :]
        z = x @ wm + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        d = wm - w0
        loss = -(sw * logp * onehot).sum() + 0.5 * l2 * (d * d).sum()
        g = sw * (np.exp(logp) - onehot)
        return loss, np.concatenate([(xt @ g + l2 * d).ravel(), g.sum(axis=0)])

    w0 = np.zeros((v, k)) if center is None else np.asarray(center[0], dtype=np.float64)
    start = np.zeros(v * k + k) if center is None else np.concatenate([w0.ravel(), center[1]])
    res = scipy.optimize.minimize(f, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x[: v * k].reshape(v, k), res.x[v * k :]


_SHIPPED: dict[tuple[str, str, type], TextClassifier] = {}  # a read-only cache: shipped models, loaded once
_LOCK = threading.Lock()
# The models in use where they are not the shipped ones (a workspace's adapted models, ``using_models``): a context
# variable, so one thread scoring with a workspace's models never changes what another thread predicts with.
_IN_USE: ContextVar[Mapping[tuple[str, str], TextClassifier]] = ContextVar("hudong_models_in_use", default=MappingProxyType({}))


def load_shipped(task: str, lang: str, cls: type[C] = TextClassifier) -> C:  # type: ignore[assignment]
    """The model shipped as ``hudong/text/models/{task}-{lang}.npz``, loaded once per process."""
    if lang not in LANGS:
        raise HudongError(f"no {task} model for language {lang!r}; languages: {', '.join(LANGS)}")
    key = (task, lang, cls)
    if key not in _SHIPPED:
        with _LOCK:
            if key not in _SHIPPED:
                ref = resources.files("hudong.text") / "models" / f"{task}-{lang}.npz"
                if not ref.is_file():
                    raise HudongError(f"{task} model {ref} is missing; run scripts/train_text_models.py")
                with resources.as_file(ref) as p:
                    _SHIPPED[key] = cls.load(p, lang)
    return _SHIPPED[key]  # type: ignore[return-value]


def model_in_use(task: str, lang: str, cls: type[C] = TextClassifier) -> C:  # type: ignore[assignment]
    """The model ``task`` predicts with for ``lang`` here: one given to ``using_models``, else the shipped one."""
    model = _IN_USE.get().get((task, lang))
    return model if model is not None else load_shipped(task, lang, cls)  # type: ignore[return-value]


def models_in_use() -> dict[tuple[str, str], TextClassifier]:
    """The models ``using_models`` set here ((task, lang) → model); empty: the shipped ones."""
    return dict(_IN_USE.get())


@contextlib.contextmanager
def using_models(models: Mapping[tuple[str, str], TextClassifier]) -> Iterator[None]:
    """Predict with ``models`` ((task, lang) → model) instead of the shipped ones inside the block, in this thread
    or task only."""
    token = _IN_USE.set({**_IN_USE.get(), **models})
    try:
        yield
    finally:
        _IN_USE.reset(token)


def use_models_in_worker(models: Mapping[tuple[str, str], TextClassifier]) -> None:
    """``using_models`` for the rest of this context: a pool worker's initializer (its tasks run in its thread)."""
    _IN_USE.set(dict(models))


def by_language(
    texts: Sequence[str | None], lang: str | None = None, langs: Sequence[str] | None = None
) -> tuple[list[str], dict[str, list[int]]]:
    """(texts with None → "", positions of each language): ``lang`` forces one language, ``langs`` gives one per
    text (already detected), otherwise each text's language is detected."""
    clean = [t or "" for t in texts]
    if langs is None:
        langs = [lang] * len(clean) if lang else [detect_lang(t) for t in clean]
    elif len(langs) != len(clean):
        raise ValueError(f"{len(clean)} texts but {len(langs)} languages")
    groups: dict[str, list[int]] = {}
    for i, lg in enumerate(langs):
        groups.setdefault(lg, []).append(i)
    return clean, groups


R = TypeVar("R")


def per_language(
    texts: Iterable[str | None],
    lang: str | None,
    langs: Sequence[str] | None,
    run: Callable[[str, list[str], list[int]], list[R]],
    unscored: Callable[[str], R],
) -> list[R]:
    """``run(lang, texts, positions)`` on each supported language's texts (one batch per language; ``positions``:
    where they stand in the input), ``unscored(lang)`` for the others; results in the input order."""
    clean, groups = by_language(list(texts), lang, langs)
    out: list[Any] = [None] * len(clean)
    for lg, idx in groups.items():
        res = run(lg, [clean[i] for i in idx], idx) if lg in LANGS else [unscored(lg)] * len(idx)
        for i, r in zip(idx, res, strict=True):
            out[i] = r
    return out
