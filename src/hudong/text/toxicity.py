"""Toxicity (offensive, abusive or hateful language) of Chinese and English posts and comments.

    from hudong.text.toxicity import predict
    predict(["你就是个傻逼", "Thanks for the quick reply"])
    # [Toxicity(lang='zh', probability=0.9, toxic=True, model_version='zh-toxicity-lr-1'), …]

``probability`` = the model's P(toxic); ``toxic`` = probability ≥ the model's ``threshold`` (0.5, fixed a
priori). Models ship in ``hudong/text/models/toxicity-{zh,en}.npz`` (``TextClassifier``, classes
``ok``/``toxic``), trained by ``scripts/train_text_models.py`` on licence-permitted data only:
zh on COLD train (Apache-2.0; Weibo/Zhihu comments on race, gender, region), en on Davidson et al. 2017
(MIT; hate + offensive → toxic, a held-out fifth kept for evaluation). See docs/text.md for the evaluation.
Text in other languages gets no probability.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hudong.text.classifier import LANGS, TextClassifier, load_shipped, per_language

__all__ = ["Toxicity", "ToxicityModel", "load_model", "model_versions", "predict"]


@dataclass(frozen=True)
class Toxicity:
    lang: str
    probability: float | None
    toxic: bool | None
    model_version: str | None


class ToxicityModel(TextClassifier):
    """A binary ``TextClassifier`` with classes ``ok`` and ``toxic``; flag at ``meta["threshold"]`` (0.5)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if set(self.classes) != {"ok", "toxic"}:
            raise ValueError(f"a toxicity model has classes ok and toxic, not {self.classes}")
        self.threshold = float(self.meta.get("threshold", 0.5))
        self._toxic = self.classes.index("toxic")

    def probability(self, texts: Sequence[str]) -> list[float]:
        return [float(x) for x in self.proba(texts)[:, self._toxic]]

    def predict(self, texts: Sequence[str]) -> list[str]:
        return ["toxic" if p >= self.threshold else "ok" for p in self.probability(texts)]


def load_model(lang: str) -> ToxicityModel:
    """The shipped toxicity model for ``lang`` (zh or en), loaded once."""
    return load_shipped("toxicity", lang, ToxicityModel)


def model_versions() -> dict[str, str]:
    return {lang: load_model(lang).version for lang in LANGS}


def predict(
    texts: Iterable[str | None], lang: str | None = None, *, langs: Sequence[str] | None = None
) -> list[Toxicity]:
    """Toxicity of each text; ``lang`` forces the model, ``langs`` gives each text's language, else detected."""

    def run(lg: str, xs: list[str]) -> list[Toxicity]:
        model = load_model(lg)
        return [Toxicity(lg, p, p >= model.threshold, model.version) for p in model.probability(xs)]

    return per_language(texts, lang, langs, run, lambda lg: Toxicity(lg, None, None, None))
