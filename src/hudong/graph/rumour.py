"""Rumour / misinformation risk flag for a cascade from its structure, timing, participants and source text.

Model (docs/propagation.md, "Rumour risk flag"): logistic regression (scikit-learn liblinear, one-vs-rest for 4 classes) over
- text: TF-IDF of the source text's n-grams (``hudong.text.features``: English words 1–2-grams with negation
  marks, Chinese character 1–3-grams);
- structure and timing: ``hudong.graph.forecast.early_features`` (size, depth, breadth, structural virality,
  growth times, root-user counts) — signed log1p, median-imputed, standardised;
- participants: TF-IDF of the ids of the root user and of the users who joined (within ``minutes`` when set) —
  who spreads a story is a propagation signal (accounts that repeatedly spread rumours).

Trained on shared data only (Twitter15/16 4 classes, CED rumour vs non-rumour) at run time from the user's copy
(the data carry no redistribution licence) and evaluated with an event-grouped split; ``PUBLISHED`` holds the
reference table of random-split results (DTC, SVM-TS, RvNN, BiGCN) to print next to ours.

``risk`` = the summed probability of the risk classes (false and unverified; rumor for CED); the flag is set
when the most probable class is a risk class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hudong.errors import HudongError
from hudong.graph.forecast import (
    LabelledCascades,
    classification_scores,
    early_features,
    final_sizes,
    grouped_folds,
)
from hudong.stats.estimator import Estimator
from hudong.text.features import en_features, zh_features

TWITTER_CLASSES = ("non-rumor", "false", "true", "unverified")
CED_CLASSES = ("non-rumor", "rumor")
RISK_CLASSES = frozenset({"false", "unverified", "rumor"})
PARTS = ("text", "structure", "users")

# Bian et al., AAAI 2020 (BiGCN) Table, Twitter15, random 5-fold splits (metrics-reference §6).
PUBLISHED = pd.DataFrame(
    [
        ("DTC", 0.454, 0.733, 0.355, 0.317, 0.415),
        ("SVM-TS", 0.544, 0.796, 0.472, 0.404, 0.483),
        ("SVM-TK", 0.667, 0.619, 0.669, 0.772, 0.645),
        ("RvNN (TD)", 0.723, 0.682, 0.758, 0.821, 0.654),
        ("BiGCN", 0.886, 0.891, 0.860, 0.930, 0.864),
    ],
    columns=["model", "accuracy", "f1_non-rumor", "f1_false", "f1_true", "f1_unverified"],
)
PUBLISHED_TWITTER16_ACCURACY = {"DTC": 0.465, "SVM-TS": 0.574, "RvNN (TD)": 0.737, "BiGCN": 0.880}

# Source texts that deny or debunk a claim (the rebuttal side of an event).
REBUTTAL = re.compile(
    r"\b(hoax(es)?|fake|debunk\w*|not true|isn'?t true|false (claim|report|rumou?r)s?|rumou?rs? (is|are) (false|untrue)"
    r"|fact[- ]?check\w*|myth|misleading|satire|no evidence|denies|denied)\b"
    r"|辟谣|谣言|不实|假消息|假新闻|系谣传|并非|纯属捏造|造谣",
    re.IGNORECASE,
)


def _signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def _split_ids(s: str) -> list[str]:
    return s.split()


def participants(data: LabelledCascades, minutes: float | None) -> list[str]:
    """Per cascade, the space-joined ids of its root user (``root:<id>``) and of the users who joined within
    ``minutes`` (all when None)."""
    f = data.forest
    rel = f.time - f.time[f.roots][f.cascade]
    keep = f.kept & ((rel <= minutes) if minutes is not None else True)
    keep[f.roots] = False
    ids = pd.Series(data.node_user[keep].astype(str))
    joined = ids.groupby(f.cascade[keep]).agg(" ".join).reindex(range(f.n_cascades), fill_value="")
    root = "root:" + pd.Series(data.node_user[f.roots].astype(str))
    return (root + " " + joined.to_numpy()).tolist()


def rumour_frame(data: LabelledCascades, minutes: float | None = None) -> pd.DataFrame:
    """The model's input: text, users and the early (structure/timing) features, one row per cascade."""
    x = early_features(data, minutes)
    x.insert(0, "users", participants(data, minutes))
    x.insert(0, "text", data.info["text"].fillna("").to_numpy())
    return x


@dataclass
class RumourFlagger(Estimator):
    """Veracity classes of cascades. ``lang`` picks the text features (en/zh); ``parts`` the feature groups;
    ``minutes`` observes only the first minutes of each cascade (early detection; None = the whole cascade).
    Learned: ``model`` (a scikit-learn pipeline) and ``numeric`` (its structure columns)."""

    learned: ClassVar[tuple[str, ...]] = ("model", "numeric")
    how_to_train: ClassVar[str] = "fit it, or run `hudong rumour train`"

    lang: str = "en"
    classes: tuple[str, ...] = TWITTER_CLASSES
    parts: tuple[str, ...] = PARTS
    minutes: float | None = None
    C: float = 2.0
    model: Any = None
    trained_on: str = ""
    numeric: list[str] | None = None

    def _pipeline(self, numeric: list[str]):
        from sklearn.compose import ColumnTransformer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        if set(self.parts) - set(PARTS) or not self.parts:
            raise HudongError(f"parts must be some of {', '.join(PARTS)}, not {self.parts!r}")
        if self.lang not in ("en", "zh"):
            raise HudongError(f"lang must be en or zh, not {self.lang!r}")
        analyzer = en_features if self.lang == "en" else zh_features
        steps = []
        if "text" in self.parts:
            steps.append(("text", TfidfVectorizer(analyzer=analyzer, min_df=2, sublinear_tf=True), "text"))
        if "users" in self.parts:
            steps.append(("users", TfidfVectorizer(analyzer=_split_ids, min_df=2, sublinear_tf=True), "users"))
        if "structure" in self.parts:
            num = make_pipeline(FunctionTransformer(_signed_log1p), SimpleImputer(strategy="median"), StandardScaler())
            steps.append(("structure", num, numeric))
        # one-vs-rest liblinear: several times faster than multinomial lbfgs here, same accuracy within noise
        lr = LogisticRegression(C=self.C, solver="liblinear")
        return make_pipeline(ColumnTransformer(steps), lr if len(self.classes) == 2 else OneVsRestClassifier(lr))

    def fit_frame(self, x: pd.DataFrame, labels: Sequence[str]) -> RumourFlagger:
        y = _codes(labels, self.classes)
        self.numeric = [c for c in x.columns if c not in ("text", "users") and x[c].notna().any()]
        self.model = self._pipeline(self.numeric).fit(x, y)
        return self

    def fit(self, data: LabelledCascades) -> RumourFlagger:
        self.fit_frame(rumour_frame(data, self.minutes), data.info["label"].tolist())
        self.trained_on = ",".join(sorted(set(data.info["dataset"])))
        return self

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Probabilities per class (columns in ``classes`` order) for a ``rumour_frame``."""
        self.check_fitted()
        p = np.zeros((len(x), len(self.classes)))
        p[:, self.model.classes_] = self.model.predict_proba(x)
        return p

    def score(self, data: LabelledCascades) -> pd.DataFrame:
        """Per cascade: cascade_id, predicted class, risk (summed probability of the risk classes), flag, and
        the probability of each class."""
        return self.score_frame(rumour_frame(data, self.minutes), data.info["cascade_id"].to_numpy())

    def score_frame(self, x: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
        p = self.predict_proba(x)
        risky = np.array([c in RISK_CLASSES for c in self.classes])
        pred = np.asarray(self.classes, dtype=object)[p.argmax(axis=1)]
        out = pd.DataFrame({"cascade_id": ids, "predicted": pred, "risk": p[:, risky].sum(axis=1),
                            "flag": risky[p.argmax(axis=1)]})  # fmt: skip
        for i, c in enumerate(self.classes):
            out[f"p_{c}"] = p[:, i]
        return out.sort_values("risk", ascending=False, kind="stable").reset_index(drop=True)


def _codes(labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    bad = [lab for lab in labels if lab not in index]
    if bad:
        raise HudongError(f"label {bad[0]!r} is not one of {', '.join(classes)} ({len(bad)} such cascades)")
    return np.array([index[lab] for lab in labels], dtype=np.int64)


def classes_of(data: LabelledCascades) -> tuple[str, ...]:
    """The class list of a corpus: Twitter15/16 four veracity classes, CED rumour vs non-rumour."""
    return CED_CLASSES if set(data.info["dataset"]) == {"ced"} else TWITTER_CLASSES


def evaluate_rumour(data: LabelledCascades, variants: dict[str, tuple[str, ...]] | None = None, k: int = 5,
                    seed: int = 0, minutes: float | None = None) -> pd.DataFrame:  # fmt: skip
    """Event-grouped stratified k-fold (``forecast.grouped_folds``): accuracy, macro-F1 and one-vs-rest F1 per
    class over the pooled out-of-fold predictions, for a majority-class baseline and each feature variant."""
    classes = classes_of(data)
    lang = str(data.info["lang"].iloc[0])
    variants = variants or {"text": ("text",), "structure": ("structure",), "users": ("users",), "all": PARTS}
    y = _codes(data.info["label"].tolist(), classes)
    groups = data.info["group"].to_numpy()
    folds = grouped_folds(groups, y, k=k, seed=seed)
    x = rumour_frame(data, minutes)
    order = np.concatenate([te for _, te in folds])
    rows = [
        {
            "model": "majority class",
            **classification_scores(
                y[order], np.concatenate([np.full(len(te), np.bincount(y[tr]).argmax()) for tr, te in folds]), classes
            ),
        }
    ]
    for name, parts in variants.items():
        pred = np.concatenate([
            RumourFlagger(lang=lang, classes=classes, parts=parts, minutes=minutes)
            .fit_frame(x.iloc[tr], [classes[i] for i in y[tr]]).predict_proba(x.iloc[te]).argmax(axis=1)
            for tr, te in folds
        ])  # fmt: skip
        rows.append({"model": f"hudong: {name}", **classification_scores(y[order], pred, classes)})
    out = pd.DataFrame(rows)
    out.insert(0, "split", f"event-grouped {k}-fold")
    return out


def rumour_vs_rebuttal(
    data: LabelledCascades,
    rumour_labels: Sequence[str] = ("false", "rumor", "unverified"),
    rebuttal_labels: Sequence[str] = (),
) -> pd.DataFrame:
    """Reach of rumour cascades next to rebuttal cascades of the same event (``info.group``).

    A rebuttal cascade is one whose source text denies or debunks (``REBUTTAL`` cues: hoax, fake, debunked, not
    true, 辟谣, 谣言, 不实 …) or, when given, one labelled with ``rebuttal_labels`` (e.g. Twitter15 ``true`` next to
    ``false`` of the same event); a rumour cascade is labelled with one of ``rumour_labels`` and is not a rebuttal.
    One row per event having both: counts, total and median reach (users) of each side, and rebuttal reach ÷
    rumour reach."""
    size = final_sizes(data)
    info = data.info
    # a fresh (writable) array: `|=`-style ufunc outputs fail on pandas' read-only copy-on-write views
    cue = np.array(info["text"].fillna("").map(lambda t: bool(REBUTTAL.search(t))), dtype=bool)
    rebut = cue | info["label"].isin(list(rebuttal_labels)).to_numpy(dtype=bool)
    rumour = info["label"].isin(list(rumour_labels)).to_numpy() & ~rebut
    df = pd.DataFrame({"group": info["group"].to_numpy(), "size": size, "rumour": rumour, "rebuttal": rebut,
                       "text": info["text"].fillna("").to_numpy()})  # fmt: skip
    rows = []
    for g, e in df[df["rumour"] | df["rebuttal"]].groupby("group", sort=True):
        r, b = e[e["rumour"]], e[e["rebuttal"]]
        if len(r) and len(b):
            rows.append({"group": g, "example_rumour": r["text"].iloc[int(r["size"].argmax())][:80],
                         "example_rebuttal": b["text"].iloc[int(b["size"].argmax())][:80],
                         "rumour_cascades": len(r), "rumour_reach": int(r["size"].sum()),
                         "rumour_median": float(r["size"].median()), "rebuttal_cascades": len(b),
                         "rebuttal_reach": int(b["size"].sum()), "rebuttal_median": float(b["size"].median()),
                         "rebuttal_to_rumour": b["size"].sum() / r["size"].sum()})  # fmt: skip
    cols = [
        "group",
        "example_rumour",
        "example_rebuttal",
        "rumour_cascades",
        "rumour_reach",
        "rumour_median",
        "rebuttal_cascades",
        "rebuttal_reach",
        "rebuttal_median",
        "rebuttal_to_rumour",
    ]
    return pd.DataFrame(rows, columns=cols).sort_values("rumour_reach", ascending=False, kind="stable"
                                                        ).reset_index(drop=True)  # fmt: skip
