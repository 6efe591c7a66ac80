"""PII detection: precision/recall thresholds on a seeded generated set, Luhn/ID checks, per-kind redaction counts."""

from __future__ import annotations

import pyarrow as pa
import pytest

from conftest import SHARED_DATA, shared_data
from hudong.ingest.privacy import redact_text
from hudong.text import pii
from hudong.text import pii_testset as T

# Used when the shared data is absent: ordinary post text (written for this test), so the check always runs.
BUILTIN_HOSTS = [
    "今天的奶茶太甜了，下次换一家试试",
    "#新品上市# 这款真的好喝[哈哈] 推荐给大家",
    "快递三天才到，客服说是天气原因",
    "周末去爬山，风景很美，就是人太多了",
    "有没有人知道这个活动什么时候结束？",
    "I love this tea, best purchase this year!",
    "Worst customer service ever. Never again.",
    "The package finally arrived on Tuesday morning",
    "@user not bad at all, would buy again #happy",
    "Why is the app so slow today?? ugh",
]


def _check(scores: dict[str, T.KindScore]) -> None:
    for kind in ("phone", "email", "id_card"):
        assert scores[kind].recall >= 0.99, (kind, scores[kind])
    assert scores["bank_card"].recall >= 0.85, scores["bank_card"]  # unseparated non-UnionPay numbers need a cue
    assert scores["address"].recall >= 0.9, scores["address"]
    for s in scores.values():
        assert s.precision >= 0.98, s


def test_thresholds_on_generated_set_in_builtin_posts():
    cases = T.generate(BUILTIN_HOSTS, 3000, seed=11)
    assert {c.kind for c in cases if not c.kind.startswith("neg:")} == set(T.KINDS)
    assert sum(c.kind.startswith("neg:") for c in cases) > 600
    scores, forms, _ = T.evaluate(cases)
    _check(scores)
    negatives = {k: v for k, v in forms.items() if k.startswith("neg:")}
    assert len(negatives) >= 12 and all(err == 0 for err, _ in negatives.values()), negatives


def test_thresholds_on_generated_set_in_real_posts():
    shared_data("covid19_weibo_emotion")
    shared_data("tweeteval")
    hosts = T.shared_posts(SHARED_DATA, "zh", 3000) + T.shared_posts(SHARED_DATA, "en", 3000)
    assert len(T.clean_hosts(hosts)) > 4000
    scores, _, _ = T.evaluate(T.generate(hosts, 4000, seed=3))
    _check(scores)


def test_generated_ids_and_cards_carry_valid_check_digits():
    import random

    r = random.Random(1)
    for _ in range(200):
        assert pii.id_check_digit_valid(T.id_number(r).upper())
        assert not pii.id_check_digit_valid(T.id_number(r, valid=False).upper())
        card, _ = T.bank_card(r, "zh")
        assert pii.luhn_valid(card)
    assert pii.luhn_valid("4111 1111 1111 1111") and not pii.luhn_valid("4111 1111 1111 1112")


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("卡号 6222 0212 3456 7894 请转账", "卡号 [CARD] 请转账", "bank_card"),
        ("visa 4111111111111111 ok", "visa [CARD] ok", "bank_card"),
        ("地址：广东省深圳市南山区科技园南路18号3栋502室，谢谢", "地址：[ADDRESS]，谢谢", "address"),
        ("ship to 221 Baker Street, London NW1 6XE please", "ship to [ADDRESS] please", "address"),
        ("总机 010-62751234 转", "总机 [PHONE] 转", "phone"),
        ("UK mobile 07700 900123.", "UK mobile [PHONE].", "phone"),
        ("邮箱：客服@例子.中国", "邮箱：[EMAIL]", "email"),
    ],
)
def test_new_kinds_are_redacted_at_ingest_and_counted(text, expected, kind):
    out, counts = redact_text(pa.array([text]))
    assert out.to_pylist() == [expected]
    assert counts == {kind: 1}


def test_hard_negatives_stay():
    keep = [
        "Weibo post 4477634925817623 was deleted",
        "运单号 SF1234567890123 已签收",
        "order 20240601123456789 shipped",
        "v2.13.104 released 2024-06-01 12:00:00",
        "价格 ¥12,800.00",
    ]
    out, counts = redact_text(pa.array(keep))
    assert out.to_pylist() == keep and counts == {}


def test_detect_positions_and_order():
    text = "a@b.co 11010519491231002X 13912345678"
    assert [(f.kind, text[f.start : f.end]) for f in pii.detect(text)] == [
        ("email", "a@b.co"),
        ("id_card", "11010519491231002X"),
        ("phone", "13912345678"),
    ]
