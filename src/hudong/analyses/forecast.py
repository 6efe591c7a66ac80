"""Early size forecast and rumour risk of the workspace's cascades, with the models trained into the workspace
(``hudong forecast train`` / ``hudong rumour train``; ``hudong.graph.forecast``, ``hudong.graph.rumour``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hudong.analyses import reads
from hudong.analyses.base import Result, analysis
from hudong.analyses.context import models_dir
from hudong.graph.forecast import SizeForecaster
from hudong.graph.rumour import RumourFlagger


def model_path(ws: Any, name: str) -> Path:
    """Where the workspace keeps a trained model (``models/<name>``)."""
    return models_dir(ws) / name


def forecast_model_name(minutes: float) -> str:
    return f"forecast-{minutes:g}.pkl"


RUMOUR_MODEL = "rumour.pkl"


@dataclass(frozen=True)
class ForecastParams:
    minutes: float = 60.0  # the observation window of the trained model to use
    platform: list[str] | None = None


@analysis("forecast", "早期规模预测", "Early size forecast", tables=("posts",), params=ForecastParams,
          engines=("duckdb", "spark"))  # fmt: skip
def forecast(ws: Any, p: ForecastParams, step: Any) -> Result:
    """Frame ``forecast``: each cascade's probability of each final size class from its first ``minutes``,
    most likely large first. Needs ``hudong forecast train`` with the same window."""
    model = SizeForecaster.load(model_path(ws, forecast_model_name(p.minutes)))
    step("reading the cascades")
    df = model.predict(reads.labelled_cascades(ws, p.platform))
    df = df.sort_values(f"p_{model.classes[-1]}", ascending=False, kind="stable").reset_index(drop=True)
    return Result({"forecast": df}, {"trained_on": model.trained_on, "classes": list(model.classes)})


@dataclass(frozen=True)
class RumourParams:
    platform: list[str] | None = None


@analysis("rumour", "谣言风险", "Rumour risk", tables=("posts",), params=RumourParams, engines=("duckdb", "spark"))
def rumour(ws: Any, p: RumourParams, step: Any) -> Result:
    """Frame ``risk``: each cascade's risk (summed probability of the false/unverified/rumour classes), riskiest
    first. Needs ``hudong rumour train``."""
    model = RumourFlagger.load(model_path(ws, RUMOUR_MODEL))
    step("reading the cascades")
    return Result({"risk": model.score(reads.labelled_cascades(ws, p.platform))}, {"trained_on": model.trained_on})
