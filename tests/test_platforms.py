"""Issue #13.4: each platform is declared once (hudong/platforms.py); schema, names, benchmarks and docs derive."""

from __future__ import annotations

from pathlib import Path

import pytest

from hudong import i18n
from hudong import platforms as P
from hudong.decide import evidence
from hudong.store import schema as S


def test_everything_derives_from_the_declarations():
    assert tuple(P.PLATFORMS) == S.PLATFORMS
    assert S.PLATFORM.enum == S.PLATFORMS
    for p in P.PLATFORMS.values():
        assert i18n.platform_name(p.id, "zh") == p.name_zh and i18n.platform_name(p.id, "en") == p.name_en
    assert {p.id: p.benchmark for p in P.PLATFORMS.values() if p.benchmark} == evidence.PLATFORM_BENCHMARK
    assert evidence.PLATFORM_BENCHMARK["douyin"] == ("tiktok", "engagement_rate_impressions")
    assert "reddit" not in evidence.PLATFORM_BENCHMARK  # no published benchmark fits: left out, not guessed


def test_a_declaration_is_checked():
    with pytest.raises(ValueError, match="unknown capabilities"):
        P.Platform("x2", "X2", "X2", capabilities=frozenset({"teleport"}))
    with pytest.raises(ValueError, match="no Rival IQ median"):
        P.Platform("x2", "X2", "X2", benchmark=("myspace", "engagement_rate_followers"))
    assert P.PLATFORMS["mastodon"].can("reply") and not P.PLATFORMS["xiaohongshu"].can("publish")


def test_docs_platforms_md_is_generated():
    doc = Path(__file__).resolve().parents[1] / "docs" / "platforms.md"
    assert doc.read_text(encoding="utf-8") == P.markdown(), "run `make docs` to regenerate docs/platforms.md"
