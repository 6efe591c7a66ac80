"""A generated, labelled PII test set embedded in real post text, and precision/recall of ``hudong.text.pii``.

    hosts = shared_posts(root, "zh", 2000) + shared_posts(root, "en", 2000)   # real Weibo / Twitter posts
    cases = generate(hosts, n=5000, seed=7)
    table = evaluate(cases)                                                 # per kind: tp, fp, fn, P, R

Each case is a real post with one inserted item at a token boundary, optionally after a cue word
("电话：", "email me at"): a positive of one kind (phone, email, id_card, bank_card, address) or a hard negative
(order number, timestamp, tracking number, price, long digit run, 18-digit ID with a wrong check digit,
Luhn-invalid card number, version number, Weibo/Twitter post id), which must not be detected. Host posts that
already contain something PII-like (a run of ≥ 7 digits, ``x@y.z``, ``号`` after a digit, a street-type word
after a number) are left out, so a detection outside the inserted span is a false positive of the detector, not an
unlabelled item of the host. Scoring: a detection counts as a true positive when it overlaps a gold span of the
same kind; every other detection is a false positive of its kind; an undetected gold span is a false negative.
Recall = tp / (tp + fn), precision = tp / (tp + fp) (per kind, over the whole set).
"""

from __future__ import annotations

import csv
import gzip
import json
import lzma
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hudong.text import pii
from hudong.text.tokenize import detect_lang

KINDS = ("phone", "email", "id_card", "bank_card", "address")


@dataclass(frozen=True)
class Case:
    text: str
    kind: str  # a PII kind, or "neg:<what>" for a hard negative
    start: int
    end: int
    lang: str
    fmt: str  # the spelling used (e.g. "cn_mobile_+86_dash")


# ---- host posts ------------------------------------------------------------------------------------
def _zh_posts(root: Path) -> Iterator[str]:
    with gzip.open(root / "covid19_weibo_emotion" / "unlabeled_daily_sample.csv.gz", "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            yield r["text"]
    with gzip.open(root / "weibo_ced_rumor_cascades" / "ced_original_microblogs.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]
    with lzma.open(root / "weibo_ced_rumor_cascades" / "ced_reposts.tsv.xz", "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            yield line.rstrip("\n").split("\t")[-1]


def _en_posts(root: Path) -> Iterator[str]:
    te = root / "tweeteval"
    for task in ("sentiment", "emotion", "hate", "irony", "offensive"):
        for split in ("train", "val"):
            p = te / task / f"{split}_text.txt"
            if p.exists():
                yield from p.read_text(encoding="utf-8").splitlines()
    with open(root / "davidson_hate_offensive_tweets" / "labeled_data.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            yield r["tweet"]
    with gzip.open(root / "pheme_source_tweets" / "pheme_source_tweets.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]
    for name in ("twitter15_source_tweets.tsv", "twitter16_source_tweets.tsv"):
        with open(root / "twitter15_16_propagation" / name, encoding="utf-8") as f:
            for line in f:
                yield line.rstrip("\n").split("\t", 1)[-1]


def shared_posts(root: Path, lang: str, limit: int | None = None, *, distinct: bool = True) -> list[str]:
    """Real posts from the shared data sets: ``zh`` Weibo (COVID-19 stream sample, CED originals and reposts),
    ``en`` Twitter (TweetEval, Davidson, PHEME, Twitter15/16). Empty texts dropped; first ``limit`` (distinct) ones."""
    out: list[str] = []
    seen: set[str] = set()
    for t in _zh_posts(root) if lang == "zh" else _en_posts(root):
        t = t.strip()
        if not t or (distinct and t in seen):
            continue
        seen.add(t)
        out.append(t)
        if limit is not None and len(out) >= limit:
            break
    return out


_PII_LIKE = re.compile(
    r"\d{7}|\d[\s\-]\d{3}[\s\-]\d{4}|@[^\s@]+\.[A-Za-z]|\d[号號]|\d{1,5}\s+[A-Z][a-z]+\s+(?:[A-Z]\w+\s+)?(?:"
    + pii._STREET_TYPES
    + r")\b"
)


def clean_hosts(texts: Sequence[str]) -> list[str]:
    """Posts without anything PII-like of their own (see the module docstring)."""
    return [t for t in texts if 4 <= len(t) <= 400 and not _PII_LIKE.search(t)]


# ---- generators ------------------------------------------------------------------------------------
def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(n))


def _luhn_complete(r: random.Random, prefix: str, length: int) -> str:
    body = prefix + _digits(r, length - len(prefix) - 1)
    for d in "0123456789":
        if pii.luhn_valid(body + d):
            return body + d
    raise AssertionError("unreachable")


def id_number(r: random.Random, valid: bool = True) -> str:
    region = r.choice(["110105", "310104", "440304", "440106", "320102", "510107", "330106", "420111", "610113"])
    year = r.randint(1940, 2008)
    body = f"{region}{year}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{_digits(r, 3)}"
    total = sum(int(d) * w for d, w in zip(body, pii._ID_WEIGHTS, strict=True))
    check = pii._ID_CHECK[total % 11]
    if not valid:
        check = r.choice([c for c in "0123456789X" if c != check])
    return body + (check.lower() if check == "X" and r.random() < 0.2 else check)


def _mobile(r: random.Random) -> str:
    return "1" + r.choice("3456789") + _digits(r, 9)


def phone(r: random.Random, lang: str) -> tuple[str, str]:
    m = _mobile(r)
    a, b, c = m[:3], m[3:7], m[7:]
    area2, area3 = (
        r.choice(["10", "20", "21", "22", "23", "24", "25", "27", "28", "29"]),
        r.choice(["755", "571", "512", "532", "731", "851"]),
    )
    local8 = str(r.randint(2, 8)) + _digits(r, 7)
    us = (str(r.randint(2, 9)) + _digits(r, 2), str(r.randint(2, 9)) + _digits(r, 2), _digits(r, 4))
    zh = {
        "cn_mobile_plain": m,
        "cn_mobile_+86": f"+86{m}",
        "cn_mobile_+86_space": f"+86 {a} {b} {c}",
        "cn_mobile_+86_dash": f"+86-{a}-{b}-{c}",
        "cn_mobile_0086": f"0086 {m}",
        "cn_mobile_(+86)": f"(+86){m}",
        "cn_mobile_space": f"{a} {b} {c}",
        "cn_mobile_dash": f"{a}-{b}-{c}",
        "cn_landline_dash": f"0{area2}-{local8}",
        "cn_landline_paren": f"(0{area3}){local8[:7]}",
        "cn_landline_3": f"0{area3}-{local8}",
        "cn_landline_+86": f"+86 {area2} {local8[:4]} {local8[4:]}",
    }
    en = {
        "us_paren": f"({us[0]}) {us[1]}-{us[2]}",
        "us_dash": f"{us[0]}-{us[1]}-{us[2]}",
        "us_dot": f"{us[0]}.{us[1]}.{us[2]}",
        "us_+1": f"+1 {us[0]} {us[1]} {us[2]}",
        "us_+1_dash": f"+1-{us[0]}-{us[1]}-{us[2]}",
        "us_1-800": f"1-800-{us[1]}-{us[2]}",
        "uk_london": f"020 7{_digits(r, 3)} {_digits(r, 4)}",
        "uk_mobile": f"07{_digits(r, 3)} {_digits(r, 6)}",
        "uk_+44_mobile": f"+44 7{_digits(r, 3)} {_digits(r, 6)}",
        "uk_+44_london": f"+44 20 7{_digits(r, 3)} {_digits(r, 4)}",
        "cn_mobile_+86_space": zh["cn_mobile_+86_space"],
    }
    fmt = r.choice(sorted(zh if lang == "zh" else en))
    return (zh if lang == "zh" else en)[fmt], fmt


def email(r: random.Random, lang: str) -> tuple[str, str]:
    first = r.choice(
        ["li.wei", "zhang_san", "wang.fang88", "chen", "amy", "j.smith", "tom_b", "kate.o", "xiaoming2020"]
    )
    dom = r.choice(
        [
            "qq.com",
            "163.com",
            "gmail.com",
            "outlook.com",
            "sina.com.cn",
            "mail.example.co.uk",
            "corp.example.org",
            "student.pku.edu.cn",
        ]
    )
    forms = {
        "ascii": f"{first}@{dom}",
        "plus": f"{first}+{r.choice(['weibo', 'news', 'shop'])}@{dom}",
        "subdomain": f"{first}@{r.choice(['mail', 'hr', 'service'])}.{r.choice(['acme', 'tea-shop', 'brand'])}.com",
        "digits_qq": f"{r.randint(10000, 3999999999)}@qq.com",
        "upper": f"{first.upper()}@{dom.upper()}",
        "unicode_local": f"{r.choice(['josé', 'zoë.müller', 'renée', 'çelik'])}@{dom}",
        "idn_domain": f"{first}@{r.choice(['例子', '茶社', '公司邮箱'])}.{r.choice(['中国', '公司', 'cn', 'com'])}",
        "cjk_local": f"{r.choice(['客服', '张三', '投诉'])}@{dom}",
    }
    fmt = r.choice(sorted(forms))
    return forms[fmt], fmt


def bank_card(r: random.Random, lang: str) -> tuple[str, str]:
    prefix, length = r.choice(
        [
            ("62", 16),
            ("62", 19),
            ("622848", 19),
            ("4", 16),
            ("51", 16),
            ("2221", 16),
            ("6011", 16),
            ("62", 17),
            ("62", 18),
        ]
    )
    n = _luhn_complete(r, prefix, length)
    fmt = r.choice(["plain", "space4", "dash4"] if length in (16, 19) else ["plain"])
    if fmt == "plain":
        return n, f"{fmt}_{length}"
    sep = " " if fmt == "space4" else "-"
    return sep.join(n[i : i + 4] for i in range(0, len(n), 4)), f"{fmt}_{length}"


_ZH_PLACES = [
    ("广东省", "深圳市", "南山区"),
    ("", "北京市", "朝阳区"),
    ("", "上海市", "浦东新区"),
    ("浙江省", "杭州市", "西湖区"),
    ("四川省", "成都市", "武侯区"),
    ("湖北省", "武汉市", "洪山区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("", "", "海淀区"),
]
_ZH_ROADS = [
    "科技园南路",
    "建国路",
    "世纪大道",
    "文三路",
    "人民南路",
    "珞喻路",
    "中山北路",
    "学院路",
    "解放大街",
    "南京西路",
]
_EN_STREETS = ["Main", "Baker", "Oak", "Fifth", "Amphitheatre", "Elm", "Market", "King", "Queen", "Sunset", "Park"]
_EN_TYPES = ["Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Lane", "Drive", "Parkway", "Way"]


def address(r: random.Random, lang: str) -> tuple[str, str]:
    if lang == "zh":
        prov, city, dist = r.choice(_ZH_PLACES)
        s = f"{prov}{city}{dist}{r.choice(_ZH_ROADS)}{r.randint(1, 999)}号"
        fmt = "zh_full"
        if r.random() < 0.5:
            s += r.choice(
                [f"{r.randint(1, 20)}栋{r.randint(101, 2505)}室", f"{r.randint(1, 6)}单元{r.randint(101, 905)}", "院"]
            )
            fmt = "zh_full_unit"
        if r.random() < 0.3:
            s, fmt = f"{r.choice(_ZH_ROADS)}{r.randint(1, 300)}号", "zh_road_only"
        return s, fmt
    s = f"{r.randint(1, 9999)} {r.choice(_EN_STREETS)} {r.choice(_EN_TYPES)}"
    kind = r.choice(["street_only", "us_full", "uk_full", "apt"])
    if kind == "us_full":
        s += f", {r.choice(['Mountain View', 'Austin', 'Boston', 'Seattle'])}, {r.choice(['CA', 'TX', 'MA', 'WA'])} {_digits(r, 5)}"
    elif kind == "uk_full":
        s += f", London {r.choice(['NW1', 'SW1A', 'EC2A', 'E1'])} {r.randint(1, 9)}{r.choice('ABDEFGHJ')}{r.choice('LNPQRSTU')}"
    elif kind == "apt":
        s += f", Apt {r.randint(1, 40)}{r.choice('ABC')}"
    return s, f"en_{kind}"


def hard_negative(r: random.Random, lang: str) -> tuple[str, str]:
    y, mo, d = r.randint(2015, 2025), r.randint(1, 12), r.randint(1, 28)
    forms = {
        "order_number": f"{y}{mo:02d}{d:02d}{_digits(r, r.randint(8, 11))}",
        "timestamp": f"{y}-{mo:02d}-{d:02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
        "timestamp_compact": f"{y}{mo:02d}{d:02d}{r.randint(0, 23):02d}{r.randint(0, 59):02d}{r.randint(0, 59):02d}",
        "tracking_sf": f"SF{_digits(r, 13)}",
        "tracking_ups": f"1Z{_digits(r, 3)}AB{_digits(r, 10)}",
        "price_cny": f"¥{r.randint(1, 99)},{_digits(r, 3)}.{_digits(r, 2)}",
        "price_usd": f"${r.randint(1, 999):,}.{_digits(r, 2)}",
        "digit_run_12": str(r.randint(1, 9)) + _digits(r, 11),
        "id_bad_check": id_number(r, valid=False),
        "card_bad_luhn": _bad_luhn(r),
        "version": f"v{r.randint(1, 20)}.{r.randint(0, 30)}.{r.randint(0, 300)}",
        "ip_address": f"192.168.{r.randint(0, 255)}.{r.randint(0, 255)}",
        "post_id_twitter": str(r.randint(5, 9)) + _digits(r, 17),
        "count_wan": f"{r.randint(1, 999)}.{r.randint(1, 9)}万",
        "date_cn": f"{y}年{mo}月{d}号",
    }
    fmt = r.choice(sorted(forms))
    return forms[fmt], fmt


def _bad_luhn(r: random.Random) -> str:
    n = _luhn_complete(r, "62", 16)
    return n[:-1] + str((int(n[-1]) + r.randint(1, 9)) % 10)


_CUES = {
    ("zh", "phone"): ["电话：", "手机号", "联系方式 ", "打", "call "],
    ("zh", "email"): ["邮箱：", "发简历到", "email: ", "联系"],
    ("zh", "id_card"): ["身份证号：", "身份证", "证件号 "],
    ("zh", "bank_card"): ["卡号：", "银行卡", "转账到 ", "账号"],
    ("zh", "address"): ["地址：", "寄到", "住在", "收货地址 "],
    ("en", "phone"): ["call ", "Tel: ", "text me at ", "ph "],
    ("en", "email"): ["email me at ", "Contact: ", "DM or mail ", "send to "],
    ("en", "id_card"): ["ID ", "id no. "],
    ("en", "bank_card"): ["card ", "Visa ", "acct "],
    ("en", "address"): ["I live at ", "ship to ", "located at ", "Address: "],
}
_GENERATORS = {"phone": phone, "email": email, "bank_card": bank_card, "address": address}


def _boundaries(text: str, lang: str) -> list[int]:
    """Insertion points where the item cannot fuse with a neighbouring word, number or e-mail."""
    glue = re.compile(r"[A-Za-z0-9@.+\-_#%$¥,]")
    pts = [
        i
        for i in range(len(text) + 1)
        if (i == 0 or not glue.match(text[i - 1])) and (i == len(text) or not glue.match(text[i]))
    ]
    if lang == "en":
        pts = [i for i in pts if i == 0 or i == len(text) or text[i - 1].isspace()]
    return pts or [len(text)]


def generate(hosts: Sequence[str], n: int, seed: int = 7, negative_share: float = 0.3) -> list[Case]:
    """``n`` cases: each a clean host post (``clean_hosts``) with one positive or hard-negative item inserted."""
    r = random.Random(seed)
    pool = [(t, "zh" if detect_lang(t) == "zh" else "en") for t in clean_hosts(hosts)]
    if not pool:
        raise ValueError("no usable host posts")
    cases: list[Case] = []
    for _ in range(n):
        host, lang = r.choice(pool)
        if r.random() < negative_share:
            item, fmt = hard_negative(r, lang)
            kind = "neg:" + fmt
            cue = ""
        else:
            kind = r.choice(KINDS)
            if kind == "id_card":
                item = id_number(r)
                fmt = "id18_X" if item[-1] in "Xx" else "id18"
            else:
                item, fmt = _GENERATORS[kind](r, lang)
            cue = r.choice(_CUES[(lang, kind)]) if r.random() < 0.5 else ""
        pos = r.choice(_boundaries(host, lang))
        pad = " " if lang == "en" else ""
        before = host[:pos] + (pad if pos and not host[pos - 1].isspace() else "") + cue
        after = (pad if pos < len(host) and not host[pos].isspace() else "") + host[pos:]
        text = before + item + after
        cases.append(Case(text, kind, len(before), len(before) + len(item), lang, fmt))
    return cases


# ---- scoring ---------------------------------------------------------------------------------------
@dataclass
class KindScore:
    kind: str
    gold: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")


def evaluate(
    cases: Sequence[Case],
) -> tuple[dict[str, KindScore], dict[str, tuple[int, int]], list[tuple[Case, list[pii.Found]]]]:
    """(scores per kind, per negative form (flagged, total), per positive format misses) — see the module docstring.

    Returns (per-kind scores, {"neg:<form>" or "<kind>:<fmt>": (errors, total)}, the cases with an error).
    """
    scores = {k: KindScore(k) for k in KINDS}
    forms: dict[str, list[int]] = {}
    errors: list[tuple[Case, list[pii.Found]]] = []
    for c in cases:
        found = pii.detect(c.text)
        key = c.kind if c.kind.startswith("neg:") else f"{c.kind}:{c.fmt}"
        stat = forms.setdefault(key, [0, 0])
        stat[1] += 1
        hit = False
        wrong = False
        for f in found:
            overlaps = f.start < c.end and c.start < f.end
            if overlaps and f.kind == c.kind:
                if not hit:
                    scores[c.kind].tp += 1
                hit = True
            else:
                scores[f.kind].fp += 1
                wrong = True
        if not c.kind.startswith("neg:"):
            scores[c.kind].gold += 1
            if not hit:
                scores[c.kind].fn += 1
        if (not hit and not c.kind.startswith("neg:")) or wrong:
            stat[0] += 1
            errors.append((c, found))
    return scores, {k: (v[0], v[1]) for k, v in sorted(forms.items())}, errors


def markdown(scores: dict[str, KindScore]) -> str:
    lines = [
        "| kind | gold items | detected (tp) | missed (fn) | false alarms (fp) | recall | precision |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores.values():
        lines.append(f"| {s.kind} | {s.gold:,} | {s.tp:,} | {s.fn:,} | {s.fp:,} | {s.recall:.3f} | {s.precision:.3f} |")
    return "\n".join(lines)
