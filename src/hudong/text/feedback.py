"""Feedback in what people write: is a comment, message or survey answer a **bug** report, a **request** for
something new, a **suggestion** to change something, a **complaint**, or none of these (``other``)?

A transparent cue classifier, in Chinese and English: each label has patterns (``CUES``). A text takes the first
label, in the order bug → request → suggestion → complaint, one of whose patterns it matches, and the matching
phrase is returned as the evidence an operator sees. The order settles texts with several aspects the way a
product team reads them: "the app crashes, please fix" is a bug; "太咸了,建议少放盐" proposes a change, so it is a
suggestion, not a mere complaint.

Why cues and not a trained model: no licence-clean labelled corpus of Chinese product feedback exists to train
on, and an operator must see why a message landed on the board. Precision and recall, measured on texts
hand-labelled for this (reviews, Weibo comments and tweets from the shared research data, never used to write the
cues' test half), are in docs/cocreation.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LABELS = ("bug", "request", "suggestion", "complaint", "other")
FEEDBACK = LABELS[:-1]

# Each pattern is searched case-insensitively; Chinese ones as substrings, English ones with word boundaries.
CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "bug": {
        "zh": (r"闪退", r"打不开", r"登不上", r"登录不了", r"无法(登录|打开|支付|使用|下单|连接)", r"报错", r"崩溃", r"卡死",
               r"(送|发|寄)错", r"漏(送|发|了)", r"少(送|发|给)了?", r"没(收到|送到|到货)", r"(还|一直)没(到|送)",
               r"坏(了|掉)", r"(不能|无法)(充电|开机|用)", r"故障", r"(bug|BUG)", r"失灵", r"不显示", r"付不了款",
               r"订单.{0,6}(取消|消失|异常|弄丢)", r"空调.{0,4}(坏|不制冷)", r"(热水|网络|wifi|WiFi).{0,6}(没有|不行|坏|不通)",
               r"(拿|送|发|做)(错|成)了?", r"少(一|两|二|三|几)(个|瓶|份|样|件|盒|袋)", r"漏(出来|了)", r"洒(了|没|出)",
               r"(死机|自动关机|白屏|黑屏|蓝屏|不灵敏?|失灵|没反应)", r"变成(了)?.{0,4}(款|码|号)", r"(空白|缺页|掉页)",
               r"(备注|说了|要求).{0,12}(还|结果|却|都)", r"没(给|有)(我)?(放|送|带|配)", r"(丢|弄丢)了",
               r"(马桶|门|灯|电梯|淋浴|莲蓬头).{0,6}(坏|不亮|打不开|没水|不灵)"),
        "en": (r"(app|site|website|page|checkout|payment|account|login|update|phone|device|it) "
               r"(keeps |just |always )?(crash(es|ed|ing)?|freez(es|ing)|froze)",
               r"(doesn'?t|does not|won'?t|can'?t|cannot|isn'?t) (work|load|open|log ?in|connect|charge|working)",
               r"(app|site|link|order|package|item|product|charger|screen) (is |was |arrived |came )?(broken|damaged)",
               r"bug(gy|s)?\b(?! me)", r"error (message|code)", r"glitch(es|y)?", r"not working",
               r"(never|still (haven'?t|have not)) (arrived|received|got)", r"wrong (item|order|size)",
               r"missing (item|part)"),
    },
    "request": {
        "zh": (r"希望(能|可以)?(出|推出|上架|增加|有|做|开)", r"(什么时候|啥时候|何时)(出|上|开|有|推出|补货)",
               r"(能不能|可不可以|能否)(出|推出|上架|做|增加|加(?!急|快|一下))(个|一个|款|些|点)?", r"求(出|上新|补货|返场)",
               r"(出|推出|上架?)(个|一款|一个).{0,8}(就好了|吧(?![\u4e00-\u9fff]))", r"(期待|盼)(出|推出|新|.{0,6}(款|版本|口味|新品))", r"补货", r"返场",
               r"(要是|如果)(有|能有).{0,12}(就好了|就好)"),
        "en": (r"please (add|make|bring back|release|launch|sell|stock|restock) (a|an|the|more|some|it|them|your|dark)",
               r"bring (back )?(the|your) [a-z ]{2,30} back", r"bring back (the|your)",
               r"(when|will) (will )?(you|u) (release|launch|add|bring|make|sell|restock)",
               r"(wish|hope) (you|u) (guys )?(would|'d|could|will) (add|make|bring|release|sell|open|stock)",
               r"(can|could) (you|u) (please )?(add|make|release|bring back)", r"feature request", r"restock",
               r"need(s)? (a|an) .{0,20} (option|version|mode|feature)"),
    },
    "suggestion": {
        "zh": (r"建议(?!.{0,2}(大家|买|选|购买|不要|别|慎|谨慎|亲们|各位|入手))",
               r"(最好|应该|希望|可以)(再)?(改|换|加|减|增加|减少|提高|降低|改进|改善|优化)(一下|成|进|大|小|些|点)",
               r"(能不能|可不可以|能否).{0,6}(小|大|多|少|快|便宜|结实)(一点|一些|些|点)",
               r"(再|更)(多|少|大|小|快|便宜|结实|好)(一点|一些|些|点)", r"改进", r"改善", r"优化",
               r"(如果|要是).{0,16}(就更好了|会更好|就好了|较好)"),
        "en": (r"you (guys )?(should|could|might want to) (add|make|offer|consider|try|bring|open|change|improve|fix)",
               r"suggest(ion)?", r"would be (nice|great|better|good) if", r"it'?d be (nice|great|better) if",
               r"(make|made) it (bigger|smaller|faster|cheaper|easier)", r"consider (adding|making|offering)"),
    },
    "complaint": {
        "zh": (r"(太|很|非常|真|特别|超级?|极)(差|难吃|难喝|慢|贵|咸|淡|油|烂|坑|失望|恶心|脏|吵|旧|小|少|霸道|腥)",
               r"差评", r"投诉", r"失望", r"退款.{0,8}(拖|不给|没到|还没|太慢|麻烦)", r"(要求|申请)退(款|货)", r"垃圾", r"不好吃", r"不新鲜", r"态度(差|恶劣|不好|蛮横)",
               r"(再也|以后|绝对)不(会)?(再)?(买|来|点|定|订|住)", r"不会再(买|来|点|定|订|住)", r"上当", r"坑人", r"不值",
               r"难吃", r"难喝", r"变味", r"冷了", r"凉了", r"等了.{0,6}(小时|分钟)", r"不咋(地|样)", r"不怎么样",
               r"越来越(少|差|贵|小)", r"不干净", r"(长毛|发霉|霉味|烂了|坏的|异物|头发|小强|蟑螂)", r"(隔音|噪音).{0,4}(差|大|不好)",
               r"(陈旧|老化|破旧|破败)", r"差(很多|太多|远了)", r"(一点|根本)(也|都)?不", r"(服务|质量|性价比|卫生).{0,3}(一般|差|低|极低)",
               r"(慢|晚)了?(一|两|半|几|[0-9]).{0,3}(个)?(小时|天)", r"有点(无语|郁闷|失望)", r"(郁闷|生气|无语|气死)"),
        "en": (r"(terrible|worst|awful|horrible|dreadful) (service|experience|product|quality|customer service|food|app)",
               r"disappointed (with|in|by)", r"complain(t|ing)? (to|about)", r"refund", r"rip(ping|ped)?[- ]?(me )?off",
               r"overpriced", r"(poor|bad|rude|slow) (service|quality|customer|staff|delivery)", r"never (again|buying)",
               r"waste of (money|time)", r"customer service (is|was|sucks)", r"(put|hung) the phone down"),
    },
}
_COMPILED = {label: {lang: re.compile(("{}" if lang == "zh" else r"\b(?:{})\b").format(
                         "|".join(f"(?:{p})" for p in pats)), re.IGNORECASE)
                     for lang, pats in by_lang.items()} for label, by_lang in CUES.items()}  # fmt: skip
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Feedback:
    label: str  # one of LABELS
    cue: str  # the phrase that decided it ("" for other)


def _lang(text: str) -> str:
    return "zh" if _HAN.search(text) else "en"


def classify_one(text: str | None, lang: str | None = None) -> Feedback:
    """The text's label and the phrase that decided it (module doc)."""
    t = (text or "").strip()
    if not t:
        return Feedback("other", "")
    langs = [lang] if lang in ("zh", "en") else [_lang(t)]
    if langs[0] == "zh" and re.search(r"[A-Za-z]{3}", t):
        langs.append("en")  # mixed text: English cues too
    for label in FEEDBACK:
        for lg in langs:
            m = _COMPILED[label][lg].search(t)
            if m:
                return Feedback(label, m.group(0).strip())
    return Feedback("other", "")


def classify(texts: Iterable[str | None], langs: Iterable[str | None] | None = None) -> list[Feedback]:
    """``classify_one`` for each text (``langs``: a language per text, else detected from its script)."""
    texts = list(texts)
    langs_l = list(langs) if langs is not None else [None] * len(texts)
    return [classify_one(t, lg) for t, lg in zip(texts, langs_l, strict=True)]
