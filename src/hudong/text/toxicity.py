"""Toxicity (offensive, abusive or hateful language) of Chinese and English posts and comments.

    from hudong.text.toxicity import predict
    predict(["你就是个傻逼", "Thanks for the quick reply"])
    # [Toxicity(lang='zh', probability=0.9, toxic=True, model_version='zh-toxicity-lr-2'), …]

``probability`` = the model's P(toxic); ``toxic`` = probability ≥ the model's ``threshold`` (0.5, fixed a
priori). Models ship in ``hudong/text/models/toxicity-{zh,en}.npz`` (``TextClassifier``, classes
``ok``/``toxic``), trained by ``scripts/train_text_models.py`` on licence-permitted data only:
zh on COLD train (Apache-2.0; Weibo/Zhihu comments on race, gender, region), en on Davidson et al. 2017
(MIT; hate + offensive → toxic, a held-out fifth kept for evaluation). See docs/text.md for the evaluation.
Text in other languages gets no probability.

Chinese personal insults: COLD's offensive class is group-directed (race, gender, region), so the zh model
under-flags insults aimed at a person ("你就是个傻逼" P = 0.39, "智障客服" 0.25). A model whose meta names an
``insult_lexicon`` (the shipped zh model, ``zh-toxicity-lr-2``, and models adapted from it) raises P to at least
``INSULT_FLOOR`` for a text containing one of ``INSULTS_ZH`` — unambiguous insults and slurs only; exclamations
that COLD labels either way (妈的, 你妈, 神经病, sb) are left to the model. On COLD dev this moves macro-F1 from
0.906 to 0.907 (docs/text.md).

English profanity and insults: Davidson's tweets teach slurs and profanity in one community's usage, and the en
model under-flags the offence of other tweets (TweetEval offensive val: toxic F1 0.47). ``INSULTS_EN`` (hand-written;
kept where ≥ 90% of the Davidson *train* tweets containing them are hate or offensive, or no tweet does; words
people use for complaints about things — sucks, crap, damn, wtf, sick — left out before measuring) works the same
way for a model whose meta names the lexicon (``en-toxicity-lr-2``, the same weights as ``en-toxicity-lr-1``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hudong.text.classifier import LANGS, TextClassifier, load_shipped, model_in_use, per_language
from hudong.text.tokenize import analysed

__all__ = ["Toxicity", "ToxicityModel", "load_model", "model_versions", "predict"]


# Hand-written (hudong's own list): insults and slurs that are abuse in any context a brand sees.
INSULTS_ZH = (
    "傻逼", "傻b", "煞笔", "沙比", "傻叉", "傻屌", "脑残", "智障", "白痴", "贱人", "婊子", "贱货", "骚货", "狗东西", "废物",
    "去死", "死全家", "操你", "草泥马", "尼玛", "nmsl", "滚蛋", "垃圾人", "畜生", "畜牲", "人渣", "杂种", "狗娘养",
    "王八蛋", "蠢货", "蠢猪", "狗日",
)  # fmt: skip
# Hand-written (hudong's own list), word-bounded regular expressions over the lower-cased text.
INSULTS_EN = (
    r"fuck\w*", r"f\*+k\w*", r"shit\w*", "bullshit", r"bitch\w*", r"bastards?", r"assholes?", "ass", "dicks?",
    r"dickheads?", r"cunts?", r"piss(?:ed|ing)?", "goddamn", "stfu", r"stupid\w*", "dumb", "dumber", "dumbest",
    "dumbass", r"retard(?:s|ed)?", r"imbeciles?", r"losers?", r"twats?", r"whores?", r"sluts?", "hoe", "hoes",
    r"hypocrites?", "shut up", "go to hell", "screw you", "kill yourself", r"cowards?", r"cowardly", r"nazis?",
)  # fmt: skip
INSULT_FLOOR = 0.9


def _insult_pattern(lang: str) -> re.Pattern[str]:
    if lang == "en":
        return re.compile(r"(?<!\w)(?:" + "|".join(INSULTS_EN) + r")(?!\w)")
    return re.compile("|".join(map(re.escape, INSULTS_ZH)))


@dataclass(frozen=True)
class Toxicity:
    lang: str
    probability: float | None
    toxic: bool | None
    model_version: str | None


class ToxicityModel(TextClassifier):
    """A binary ``TextClassifier`` with classes ``ok`` and ``toxic``; flag at ``meta["threshold"]`` (0.5)."""

    def _ready(self) -> None:
        if set(self.classes) != {"ok", "toxic"}:
            raise ValueError(f"a toxicity model has classes ok and toxic, not {self.classes}")
        self.threshold = float(self.meta.get("threshold", 0.5))
        self._toxic = self.classes.index("toxic")
        self._insults = _insult_pattern(self.lang) if self.meta.get("insult_lexicon") else None

    def probability(self, texts: Sequence[str]) -> list[float]:
        p = [float(x) for x in self.proba(texts)[:, self._toxic]]
        if self._insults is not None:
            p = [max(x, INSULT_FLOOR) if self._insults.search(analysed(t).lower()) else x for x, t in zip(p, texts,
                                                                                                    strict=True)]
        return p

    def predict(self, texts: Sequence[str]) -> list[str]:
        return ["toxic" if p >= self.threshold else "ok" for p in self.probability(texts)]


def load_model(lang: str) -> ToxicityModel:
    """The toxicity model in use for ``lang`` (zh or en): shipped, or adapted inside ``using_models``."""
    return model_in_use("toxicity", lang, ToxicityModel)


def shipped_model(lang: str) -> ToxicityModel:
    """The model shipped with hudong for ``lang``, whatever is in use."""
    return load_shipped("toxicity", lang, ToxicityModel)


def model_versions() -> dict[str, str]:
    return {lang: load_model(lang).version for lang in LANGS}


def predict(
    texts: Iterable[str | None], lang: str | None = None, *, langs: Sequence[str] | None = None
) -> list[Toxicity]:
    """Toxicity of each text; ``lang`` forces the model, ``langs`` gives each text's language, else detected."""

    def run(lg: str, xs: list[str], _at: list[int]) -> list[Toxicity]:
        model = load_model(lg)
        return [Toxicity(lg, p, p >= model.threshold, model.version) for p in model.probability(xs)]

    return per_language(texts, lang, langs, run, lambda lg: Toxicity(lg, None, None, None))
