"""decide stage: the maturity scorecard (five dimensions of seed FAQ 1) and evidence-backed recommendations."""

from hudong.decide.recommendations import Recommendation, recommend, recommend_for
from hudong.decide.scorecard import Dimension, Scorecard, build_scorecard, score

__all__ = ["Dimension", "Recommendation", "Scorecard", "build_scorecard", "recommend", "recommend_for", "score"]
