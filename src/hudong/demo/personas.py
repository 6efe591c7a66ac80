"""Planted audience segments: each person has a taste for one content format, or none, and it shapes what they
like, comment on, save and share — the truth hudong's segmentation and preference tables should recover
(tests/test_segments.py).

After the usual draw of who reacted to which post (``activity.post_engagement``), a share ``STEER`` of the
engagements of a person with a taste is moved to a post of their format on the same platform, one of the
``RECENT`` latest before the moment (so the engagement still follows the post). The draws use a stream of their own,
so every other part of the demo is drawn as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hudong.demo.brand import PLATFORMS
from hudong.demo.draw import stage_rng
from hudong.demo.people import People, make_people

PERSONAS = ("video", "image", "article", "none")  # the format each prefers ("none": no preference)
PERSONA_SHARES = (0.25, 0.25, 0.2, 0.3)
FORMATS = {"video": ("video", "live"), "image": ("image",), "article": ("article", "text", "link")}
STEER = 0.7
RECENT = 20
TASTE_TYPES = ("like", "comment", "save", "share")


def assign(rng: np.random.Generator, n: int) -> np.ndarray:
    """Persona index per person."""
    return rng.choice(len(PERSONAS), size=n, p=PERSONA_SHARES)


@dataclass
class Tastes:
    """Each person's persona and a generator of its own for the planted preferences."""

    persona: np.ndarray
    rng: np.random.Generator

    @classmethod
    def make(cls, people: People, rng: np.random.Generator) -> Tastes:
        return cls(assign(rng, len(people.uid)), rng)

    def steer(self, pool: np.ndarray, media: np.ndarray, times: np.ndarray, rows: np.ndarray, t: np.ndarray,
              who: np.ndarray) -> np.ndarray:  # fmt: skip
        """``rows`` (posts, indices into the platform's ``pool`` arrays' source) with a share ``STEER`` of each
        tasteful person's engagements moved to one of the ``RECENT`` latest posts of their format before ``t``."""
        out = rows.copy()
        persona = self.persona[who]
        move = self.rng.random(len(rows)) < STEER
        for k, name in enumerate(PERSONAS):
            if name not in FORMATS:
                continue
            of = np.isin(media, FORMATS[name])
            cand, cand_t = pool[of], times[of]
            order = np.argsort(cand_t, kind="stable")
            cand, cand_t = cand[order], cand_t[order]
            sel = np.flatnonzero(move & (persona == k))
            if not len(cand) or not len(sel):
                continue
            before = np.searchsorted(cand_t, t[sel], side="right")
            ok = before > 0
            back = (self.rng.random(len(sel)) * np.minimum(before, RECENT)).astype(np.int64)
            out[sel[ok]] = cand[np.maximum(before[ok] - 1 - back[ok], 0)]
        return out


def planted(seed: int = 7, scale: float = 1.0) -> dict[tuple[str, str], str]:
    """Ground truth of ``hudong.demo.simulate(seed, scale)``: (platform, raw user id) → persona."""
    people: People = make_people(stage_rng(seed, "people"), scale)
    persona = Tastes.make(people, stage_rng(seed, "personas")).persona
    return {(PLATFORMS[people.platform[r]], str(people.uid[r])): PERSONAS[persona[r]] for r in range(len(people.uid))}
