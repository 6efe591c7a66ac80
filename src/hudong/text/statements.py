"""What an organization's own post is: an **announcement** (通知、公告、温馨提示, a notice, an update) or a
**rebuttal** (辟谣、澄清、网传…的说明, a correction of a false claim), or neither. A transparent cue rule in Chinese and
English, as ``text.feedback`` is; a rebuttal is checked first ("关于网传…的说明" is a statement that answers a rumour).
The matching phrase is returned as the evidence shown."""

from __future__ import annotations

import re
from collections.abc import Iterable

KINDS = ("rebuttal", "announcement")
CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "rebuttal": {
        "zh": (r"辟谣", r"不实", r"谣言", r"澄清", r"网传", r"假消息", r"严正声明", r"并非", r"纯属", r"说法不(属实|准确)"),
        "en": (r"false claims?", r"rumou?rs?", r"misinformation", r"fact[- ]check", r"debunk", r"not true", r"clarif(y|ication)",
               r"setting the record straight"),
    },
    "announcement": {
        "zh": (r"通知", r"公告", r"通告", r"温馨提示", r"提醒", r"告知", r"须知", r"公示", r"(安排|调整|变更)[:：]?",
               r"(停|恢复)(诊|业|运|水|电|发货)", r"即日起", r"自\d+月\d+日起"),
        "en": (r"notice", r"announce(ment|s|d)?", r"update", r"reminder", r"advisory", r"(will be|is) closed",
               r"(opening|service) hours", r"effective (from|on|immediately)"),
    },
}
_HAN = re.compile(r"[\u4e00-\u9fff]")
_COMPILED = {kind: {lang: re.compile("|".join(f"(?:{p})" for p in pats) if lang == "zh"
                                     else r"\b(?:" + "|".join(pats) + r")\b", re.IGNORECASE)
                    for lang, pats in by_lang.items()} for kind, by_lang in CUES.items()}  # fmt: skip


def classify_one(text: str | None) -> tuple[str | None, str]:
    """(kind or None, the phrase that made it one)."""
    t = text or ""
    lang = "zh" if _HAN.search(t) else "en"
    for kind in KINDS:
        m = _COMPILED[kind][lang].search(t)
        if m:
            return kind, m.group(0)
    return None, ""


def classify(texts: Iterable[str | None]) -> list[tuple[str | None, str]]:
    return [classify_one(t) for t in texts]
