"""Issue #13.6: one estimator contract for the learned models, and evaluation measures written once."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from hudong.errors import HudongError
from hudong.graph.forecast import SizeForecaster
from hudong.graph.rumour import RumourFlagger
from hudong.stats.estimator import Estimator, hudong_version
from hudong.stats.evaluation import classification_scores, per_class_f1


def _rumour_data():
    x = pd.DataFrame({"text": ["fake news here", "real report", "fake claim", "real fact"] * 5,
                      "users": ["a b", "c", "a", "c d"] * 5, "size": [1.0, 2.0, 3.0, 4.0] * 5})  # fmt: skip
    return x, ["rumor", "non-rumor"] * 10


def _forecast_data():
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 500, 300)
    x = pd.DataFrame({"size": sizes / 3 + rng.normal(0, 5, 300), "depth": rng.integers(1, 5, 300).astype(float)})
    return x, sizes


MODELS = {
    "rumour": (lambda: RumourFlagger(classes=("rumor", "non-rumor")), lambda m, d: m.fit_frame(*d), _rumour_data),
    "forecast": (lambda: SizeForecaster(minutes=60), lambda m, d: m.fit_features(*d), _forecast_data),
}


@pytest.mark.parametrize("name", MODELS)
def test_every_model_follows_the_contract(name, tmp_path):
    make, fit, data = MODELS[name]
    model = make()
    assert isinstance(model, Estimator)
    params = model.get_params()
    assert params and not set(params) & set(model.learned)  # parameters, not what is learned
    assert not model.is_fitted()
    with pytest.raises(HudongError, match="not trained"):
        model.predict_proba(data()[0])
    with pytest.raises(HudongError, match="not trained"):
        model.save(tmp_path / "untrained.pkl")
    d = data()
    assert fit(model, d) is model and model.is_fitted()  # fit returns self
    proba = model.predict_proba(d[0])
    assert proba.shape == (len(d[0]), len(model.classes)) and np.allclose(proba.sum(axis=1), 1)
    again = type(model).load(model.save(tmp_path / "m.pkl"))
    assert np.allclose(again.predict_proba(d[0]), proba) and again.get_params() == params


def test_model_files_carry_versions_and_foreign_ones_are_refused(tmp_path):
    model = RumourFlagger(classes=("rumor", "non-rumor")).fit_frame(*_rumour_data())
    path = model.save(tmp_path / "rumour.pkl")
    envelope = pickle.loads(path.read_bytes())
    assert envelope["format_version"] == RumourFlagger.format_version and envelope["hudong_version"] == hudong_version()
    envelope["format_version"] = 99
    path.write_bytes(pickle.dumps(envelope))
    with pytest.raises(HudongError, match=r"in format 99 .* reads format 1: fit it, or run `hudong rumour train` again"):
        RumourFlagger.load(path)
    path.write_bytes(pickle.dumps(model))  # a pickle from before the contract (no envelope)
    with pytest.raises(HudongError, match="earlier hudong without a model format version"):
        RumourFlagger.load(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(HudongError, match="not a model hudong can read"):
        RumourFlagger.load(path)
    with pytest.raises(HudongError, match="no model at .*; fit it, or run `hudong forecast train` first"):
        SizeForecaster.load(tmp_path / "none.pkl")


def test_classification_scores_match_scikit_learn():
    from sklearn.metrics import accuracy_score, f1_score

    rng = np.random.default_rng(1)
    gold = rng.choice(["pos", "neg", "neu"], 500)
    pred = np.where(rng.random(500) < 0.6, gold, rng.choice(["pos", "neg", "neu", "other"], 500))
    s = classification_scores(gold, pred)
    assert s["accuracy"] == pytest.approx(accuracy_score(gold, pred))
    labels = ["neg", "neu", "pos"]
    assert s["macro_f1"] == pytest.approx(f1_score(gold, pred, labels=labels, average="macro", zero_division=0))
    assert list(per_class_f1(s)) == labels
    codes = classification_scores(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), range(3), names=("a", "b", "c"))
    assert codes["f1_c"] == 0.0 and codes["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0) / 3)


def test_expected_calibration_error_by_hand():
    from hudong.stats.evaluation import expected_calibration_error

    # bin 0.9–1.0: confidence 0.95 twice, one right → |0.5 − 0.95| · 2/4; bin 0.6–0.7: 0.65 twice, both right →
    # |1 − 0.65| · 2/4
    ece = expected_calibration_error([0.95, 0.95, 0.65, 0.65], [True, False, True, True])
    assert abs(ece - (0.45 * 0.5 + 0.35 * 0.5)) < 1e-12
    assert expected_calibration_error([0.8] * 10, [True] * 8 + [False] * 2) < 1e-12  # calibrated
    assert expected_calibration_error([1.0], [True]) == 0.0  # confidence 1 falls in the last bin
