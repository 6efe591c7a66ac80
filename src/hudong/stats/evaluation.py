"""How well a classifier did: accuracy, per-class F1 and macro-F1 — written once for every model hudong trains
(text models, the cascade size forecaster, the rumour flagger) and its evaluation scripts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def classification_scores(
    gold: Sequence[Any] | np.ndarray, pred: Sequence[Any] | np.ndarray, classes: Sequence[Any] | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, float]:  # fmt: skip
    """``accuracy``, ``macro_f1`` and ``f1_<name>`` per class.

    F1 = 2PR / (P + R) per class, one-vs-rest, 0 where P + R = 0 (as scikit-learn's ``zero_division=0``);
    macro-F1 = the mean over ``classes`` (default: the classes present in ``gold``, sorted), so a class that is
    never predicted counts as 0 and one absent from ``gold`` and ``pred`` only when listed. ``names``: the keys
    for ``classes`` (default: the classes themselves), e.g. class names for integer codes.
    """
    g, p = np.asarray(gold), np.asarray(pred)
    if g.shape != p.shape:
        raise ValueError(f"gold and pred differ in length: {g.shape} vs {p.shape}")
    classes = sorted(set(g.tolist())) if classes is None else list(classes)
    names = [str(c) for c in classes] if names is None else list(names)
    if len(names) != len(classes):
        raise ValueError(f"{len(names)} names for {len(classes)} classes")
    out: dict[str, float] = {"accuracy": float((g == p).mean()) if len(g) else float("nan")}
    f1s = []
    for c, name in zip(classes, names, strict=True):
        tp = float(((p == c) & (g == c)).sum())
        precision = tp / max(int((p == c).sum()), 1)
        recall = tp / max(int((g == c).sum()), 1)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[f"f1_{name}"] = f1
        f1s.append(f1)
    out["macro_f1"] = float(np.mean(f1s)) if f1s else float("nan")
    return out


def per_class_f1(scores: dict[str, float]) -> dict[str, float]:
    """The ``f1_<name>`` entries of ``classification_scores`` as {name: F1}."""
    return {k[3:]: v for k, v in scores.items() if k.startswith("f1_")}


def expected_calibration_error(confidence: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray,
                               bins: int = 10) -> float:  # fmt: skip
    """ECE = Σ_b (n_b / n) · |accuracy_b − mean confidence_b| over ``bins`` equal-width confidence bins (Guo et
    al. 2017, "On calibration of modern neural networks"); ``confidence`` = the probability of the predicted
    class, ``correct`` whether it was right. 0 = perfectly calibrated."""
    c, ok = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    if c.shape != ok.shape:
        raise ValueError(f"confidence and correct differ in length: {c.shape} vs {ok.shape}")
    if not len(c):
        return float("nan")
    b = np.minimum((c * bins).astype(int), bins - 1)
    return float(sum(abs(ok[b == k].mean() - c[b == k].mean()) * (b == k).mean() for k in range(bins) if (b == k).any()))
