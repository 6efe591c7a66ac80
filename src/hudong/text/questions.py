"""Questions in what people write to an organization: "能开发票吗?", "请问门诊几点开门", "How do I renew my permit?".

A transparent cue rule, in Chinese and English, as ``text.feedback`` is: a text is a question when it has a question
mark, or a question word or pattern (``CUES``); the matching phrase is the evidence shown. Bare punctuation ("??",
a nudge in a conversation) and greetings alone ("在吗?") ask nothing and are not questions. Precision and recall on
hand-labelled messages are in docs/public-service.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CUES: dict[str, tuple[str, ...]] = {
    "zh": (r"[?？]", r"请问", r"(怎么|怎样|如何)(办|弄|用|走|去|查|申请|办理|预约|联系|找|处理|退|换|开|买|领)",
           r"(什么|啥|哪)(时候|时间|地方|里|儿|些|个|天)", r"几(点|号|天|时|月)", r"多(久|少钱|长时间)",
           r"(能|可以|可|会|有|是|要|用)不(能|可以|会|有|是|要|用)", r"(能否|可否|是否|有没有|能不能|可不可以)",
           r"[\u4e00-\u9fff](吗|么|嘛)$", r"为(什么|啥)", r"咨询", r"(要|需要|得|该)(带|准备|交|提供|办)?(什么|啥|哪些)"),
    "en": (r"\?", r"^(how|what|when|where|why|which|who|is|are|can|could|do|does|did|will|would|should|may)\b",
           r"\b(how (do|can|long|much|to)|what (is|are|time)|when (is|are|will|does|do)|where (is|are|can|do))\b",
           r"\b(is there|are there|can i|could i|do you|does it|i('d| would) like to know|wondering)\b"),
}
_COMPILED = {lang: re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE) for lang, pats in CUES.items()}
# A nudge or a greeting asks nothing: "??", "在吗?", "hello?", "还在吗"
_EMPTY = re.compile(r"^[\s?？!！.。,，~～]*((在吗|还在吗|在不在|有人吗|hello|hi|anyone there|喂|亲)[\s?？!！.。,，~～]*)*$",
                    re.IGNORECASE)
_GREETING = re.compile(r"^\s*(在吗|您好|你好|客服你好|hello|hi|hey)[\s?？!！.。,，~～]*", re.IGNORECASE)
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Question:
    is_question: bool
    cue: str  # the phrase that made it one ("" when not)


def classify_one(text: str | None) -> Question:
    t = (text or "").strip()
    if not t or _EMPTY.match(t):
        return Question(False, "")
    body = _GREETING.sub("", t).strip() or t
    lang = "zh" if _HAN.search(body) else "en"
    m = _COMPILED[lang].search(body.strip("。.!！~～ "))
    return Question(bool(m), m.group(0) if m else "")


def classify(texts: Iterable[str | None]) -> list[Question]:
    return [classify_one(t) for t in texts]


def is_question(texts: Iterable[str | None]) -> list[bool]:
    return [q.is_question for q in classify(texts)]
