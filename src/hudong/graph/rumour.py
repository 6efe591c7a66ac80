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
when the most probable class is a risk class. Below ``min_confidence`` (the most probable class's probability) the
answer is ``insufficient evidence`` and no flag: cascades unlike the training data get low, flat probabilities.

Stories never seen before: ``evaluate_rumour(split="time")`` trains on earlier cascades and tests on the latest
share of each class (``time_split``), next to the event-grouped folds, with the accuracy of the answers given and
their coverage when the flag may abstain. ``fit`` calibrates the probabilities for later stories (a temperature
fitted on the training corpus's own later stories) and, with ``choose``, keeps the feature groups that carried
over best to them (``choose_parts``).
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
from hudong.stats.evaluation import expected_calibration_error
from hudong.text.features import en_features, zh_features

TWITTER_CLASSES = ("non-rumor", "false", "true", "unverified")
CED_CLASSES = ("non-rumor", "rumor")
RISK_CLASSES = frozenset({"false", "unverified", "rumor"})
PARTS = ("text", "structure", "users")
# The feature groups ``choose_parts`` compares (``hudong rumour train --parts auto``).
CANDIDATE_PARTS = {"text": ("text",), "structure": ("structure",), "users": ("users",),
                   "text+structure": ("text", "structure"), "structure+users": ("structure", "users"), "all": PARTS}
INSUFFICIENT = "insufficient evidence"
# Fixed before any evaluation: a 4-class answer needs half the probability mass, a 2-class one 0.6.
MIN_CONFIDENCE = {2: 0.6}
DEFAULT_MIN_CONFIDENCE = 0.5

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
    ``minutes`` observes only the first minutes of each cascade (early detection; None = the whole cascade);
    ``min_confidence`` the probability the most probable class needs for an answer (None: 0.6 for two classes,
    0.5 otherwise). Learned: ``model`` (a scikit-learn pipeline) and ``numeric`` (its structure columns)."""

    learned: ClassVar[tuple[str, ...]] = ("model", "numeric")
    how_to_train: ClassVar[str] = "fit it, or run `hudong rumour train`"

    lang: str = "en"
    classes: tuple[str, ...] = TWITTER_CLASSES
    parts: tuple[str, ...] = PARTS
    minutes: float | None = None
    C: float = 2.0
    min_confidence: float | None = None
    chosen: str = ""  # the time-validation accuracy of each candidate, when ``fit(choose=True)`` chose ``parts``
    temperature: float = 1.0  # probabilities ∝ p^(1/T); fitted on later stories by ``fit`` (1 = as the model says)
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

    def fit(self, data: LabelledCascades, choose: bool = False) -> RumourFlagger:
        """Learn from a labelled corpus. When every source post's time is known, the probabilities are calibrated
        for later stories (``temperature`` from ``choose_parts``), and ``choose`` first sets ``parts`` to the
        feature groups that carried over best to the corpus's later stories."""
        x = rumour_frame(data, self.minutes)
        labels = data.info["label"].tolist()
        posted = data.info.get("posted")
        if posted is None or posted.isna().any():
            self.chosen = "not chosen or calibrated: some source posts have no time" if choose else ""
        else:
            candidates = CANDIDATE_PARTS if choose else {"+".join(self.parts): self.parts}
            try:
                table = choose_parts(x, _codes(labels, self.classes), data.info, self.classes, self.lang, candidates)
            except HudongError as e:  # a small corpus: the model is still trained, uncalibrated, on what it has
                self.chosen = f"not chosen or calibrated: {e}"
            else:
                self.parts, self.temperature = candidates[str(table.index[0])], float(table["temperature"].iloc[0])
                self.chosen = "; ".join(f"{k} {v:.3f}" for k, v in table["accuracy"].items()) if choose else ""
        self.fit_frame(x, labels)
        self.trained_on = ",".join(sorted(set(data.info["dataset"])))
        return self

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Probabilities per class (columns in ``classes`` order) for a ``rumour_frame``."""
        self.check_fitted()
        p = np.zeros((len(x), len(self.classes)))
        p[:, self.model.classes_] = self.model.predict_proba(x)
        return with_temperature(p, self.temperature)

    @property
    def threshold(self) -> float:
        """The probability below which the answer is ``insufficient evidence``."""
        if self.min_confidence is not None:
            return self.min_confidence
        return MIN_CONFIDENCE.get(len(self.classes), DEFAULT_MIN_CONFIDENCE)

    def score(self, data: LabelledCascades) -> pd.DataFrame:
        """Per cascade: cascade_id, predicted class (or ``insufficient evidence``), confidence (the most probable
        class's probability), risk (summed probability of the risk classes), flag, and each class's probability."""
        return self.score_frame(rumour_frame(data, self.minutes), data.info["cascade_id"].to_numpy())

    def score_frame(self, x: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
        p = self.predict_proba(x)
        risky = np.array([c in RISK_CLASSES for c in self.classes])
        confidence = p.max(axis=1)
        answered = confidence >= self.threshold
        pred = np.where(answered, np.asarray(self.classes, dtype=object)[p.argmax(axis=1)], INSUFFICIENT)
        out = pd.DataFrame({"cascade_id": ids, "predicted": pred, "confidence": confidence,
                            "risk": p[:, risky].sum(axis=1), "flag": risky[p.argmax(axis=1)] & answered})  # fmt: skip
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


def time_split(info: pd.DataFrame, y: np.ndarray, test_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Train and test positions by time: the latest ``test_share`` of each class (by ``info.posted``) is the test
    set, so every class is tested on stories later than those it learned from; training cascades of an event
    (``info.group``) that has a test cascade are dropped, so no story is on both sides."""
    posted = pd.to_datetime(info["posted"]) if "posted" in info else pd.Series(pd.NaT, index=info.index)
    if posted.isna().any():
        raise HudongError(f"a time split needs every source post's time: {int(posted.isna().sum())} unknown")
    t = posted.to_numpy()
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        idx = idx[np.argsort(t[idx], kind="stable")]
        test[idx[int(len(idx) * (1 - test_share)) :]] = True
    groups = info["group"].to_numpy()
    train = ~test & ~np.isin(groups, groups[test])
    return np.flatnonzero(train), np.flatnonzero(test)


def with_temperature(p: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities rescaled by a temperature: ∝ p^(1/T), rows summing to 1 (Guo et al. 2017, "On calibration
    of modern neural networks"; for two classes, the logit divided by T). T > 1 flattens, T < 1 sharpens."""
    if temperature == 1.0:
        return p
    z = np.log(np.clip(p, 1e-12, 1.0)) / temperature
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def fit_temperature(p: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of the true classes ``y`` under ``p``."""
    from scipy.optimize import minimize_scalar

    def nll(t: float) -> float:
        return float(-np.log(with_temperature(p, t)[np.arange(len(y)), y] + 1e-12).mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def choose_parts(x: pd.DataFrame, y: np.ndarray, info: pd.DataFrame, classes: Sequence[str], lang: str,
                 candidates: dict[str, tuple[str, ...]] | None = None, test_share: float = 0.2
                 ) -> pd.DataFrame:  # fmt: skip
    """Accuracy of each candidate set of feature groups (``CANDIDATE_PARTS``) on the latest ``test_share`` of each
    class of a training corpus, trained on its earlier stories (``time_split``), best first (ties: the simpler
    set), with the temperature that calibrates its probabilities there. Chosen for how the features carry over
    to stories not yet seen, not for how well they fit the ones learned from."""
    tr, te = time_split(info, y, test_share)
    if len(np.unique(y[tr])) < len(np.unique(y)):
        raise HudongError("too few earlier stories of some class to learn from before the later ones")
    rows = {}
    for name, parts in (candidates or CANDIDATE_PARTS).items():
        m = RumourFlagger(lang=lang, classes=tuple(classes), parts=parts)
        p = m.fit_frame(x.iloc[tr], [classes[i] for i in y[tr]]).predict_proba(x.iloc[te])
        rows[name] = {"accuracy": float((p.argmax(axis=1) == y[te]).mean()), "groups": len(parts),
                      "temperature": fit_temperature(p, y[te])}  # fmt: skip
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table.sort_values(["accuracy", "groups"], ascending=[False, True], kind="stable")


def _abstaining(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Coverage and accuracy of the answers given when the flag abstains below ``threshold``, and the expected
    calibration error of the most probable class."""
    ok, answered = p.argmax(axis=1) == y, p.max(axis=1) >= threshold
    return {"answered": float(answered.mean()), "answered_accuracy": float(ok[answered].mean()) if answered.any()
            else float("nan"), "ece": expected_calibration_error(p.max(axis=1), ok)}  # fmt: skip


def evaluate_rumour(data: LabelledCascades, variants: dict[str, tuple[str, ...]] | None = None, k: int = 5,
                    seed: int = 0, minutes: float | None = None, split: str = "event", test_share: float = 0.2,
                    choose: bool = False) -> pd.DataFrame:  # fmt: skip
    """Accuracy, macro-F1 and one-vs-rest F1 per class for a majority-class baseline and each feature variant,
    plus (for the models) the share answered, the accuracy of those answers at the flag's ``min_confidence``
    and the calibration error. ``split="event"``: event-grouped stratified k-fold (``forecast.grouped_folds``),
    pooled out-of-fold predictions; ``split="time"``: one ``time_split`` (train on earlier, test on the latest
    ``test_share`` of each class). ``choose`` adds the model ``fit(choose=True)`` makes: feature groups and
    temperature chosen by ``choose_parts`` inside each training set."""
    classes = classes_of(data)
    lang = str(data.info["lang"].iloc[0])
    variants = variants or {"text": ("text",), "structure": ("structure",), "users": ("users",), "all": PARTS}
    y = _codes(data.info["label"].tolist(), classes)
    if split == "event":
        folds = grouped_folds(data.info["group"].to_numpy(), y, k=k, seed=seed)
        name = f"event-grouped {k}-fold"
    elif split == "time":
        folds = [time_split(data.info, y, test_share)]
        name = f"by time (latest {test_share:.0%} of each class)"
    else:
        raise HudongError(f"split must be event or time, not {split!r}")
    x = rumour_frame(data, minutes)
    if choose:
        variants = {**variants, "chosen by time": ()}
    order = np.concatenate([te for _, te in folds])
    majority = np.concatenate([np.full(len(te), np.bincount(y[tr]).argmax()) for tr, te in folds])
    rows = [{"model": "majority class", **classification_scores(y[order], majority, classes)}]
    for variant, parts in variants.items():
        models = [RumourFlagger(lang=lang, classes=classes, parts=parts, minutes=minutes) for _ in folds]
        if not parts:  # chosen inside each fold's training data, as `rumour train --parts auto` does
            for m, (tr, _) in zip(models, folds, strict=True):
                table = choose_parts(x.iloc[tr], y[tr], data.info.iloc[tr], classes, lang)
                m.parts = CANDIDATE_PARTS[str(table.index[0])]
                m.temperature = float(table["temperature"].iloc[0])
            variant = f"{variant} ({', '.join(sorted({'+'.join(m.parts) for m in models}))})"
        p = np.concatenate([m.fit_frame(x.iloc[tr], [classes[i] for i in y[tr]]).predict_proba(x.iloc[te])
                            for m, (tr, te) in zip(models, folds, strict=True)])  # fmt: skip
        rows.append({"model": f"hudong: {variant}", **classification_scores(y[order], p.argmax(axis=1), classes),
                     **_abstaining(y[order], p, models[0].threshold)})  # fmt: skip
    out = pd.DataFrame(rows)
    out.insert(0, "split", name)
    out.insert(1, "tested", len(order))
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
