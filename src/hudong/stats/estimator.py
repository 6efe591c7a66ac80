"""One contract for the models hudong learns (scikit-learn's conventions), and their files.

- Parameters are the constructor's arguments (dataclass fields); ``get_params()`` returns them.
- ``fit(...)`` learns and returns ``self``; what it learned is in the attributes named by ``learned`` (None until
  then), so ``is_fitted()`` can tell and ``predict`` refuses an untrained model with a clear message.
- ``predict(...)`` gives labels, ``predict_proba(...)`` probabilities per class (columns in ``classes`` order).
- ``save(path)`` writes the model with its format version and the hudong version that wrote it; ``load(path)``
  refuses a file of another format version, of another model kind, or from before this contract, saying to
  retrain it (``how_to_train``).

Pickled files are trusted local files (the workspace's ``models/`` folder), never downloaded ones.
"""

from __future__ import annotations

import dataclasses
import pickle
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, ClassVar, Self

from hudong.errors import HudongError

MAGIC = "hudong-model"


def hudong_version() -> str:
    try:
        return version("hudong")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        return "unknown"


class Estimator:
    """The base of hudong's learned models (see the module doc)."""

    learned: ClassVar[tuple[str, ...]] = ()
    format_version: ClassVar[int] = 1
    how_to_train: ClassVar[str] = "fit it"

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters (not what was learned)."""
        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in self.learned}
        return {k: v for k, v in vars(self).items() if k not in self.learned and not k.startswith("_")}

    def is_fitted(self) -> bool:
        return all(getattr(self, name, None) is not None for name in self.learned)

    def check_fitted(self) -> None:
        if not self.is_fitted():
            raise HudongError(f"the {type(self).__name__} is not trained ({self.how_to_train})")

    def save(self, path: str | Path) -> Path:
        """Write the model with its format version and the hudong version."""
        self.check_fitted()
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        envelope = {"magic": MAGIC, "kind": type(self).__name__, "format_version": self.format_version,
                    "hudong_version": hudong_version(), "model": self}  # fmt: skip
        p.write_bytes(pickle.dumps(envelope, protocol=pickle.HIGHEST_PROTOCOL))
        return p

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model ``save`` wrote; a clear error for anything else."""
        p = Path(path)
        if not p.exists():
            raise HudongError(f"no model at {p}; {cls.how_to_train} first")
        retrain = f"{cls.how_to_train} again"
        try:
            envelope = pickle.loads(p.read_bytes())  # noqa: S301 - a file this workspace wrote (module doc)
        except Exception as e:  # noqa: BLE001 - an unreadable or foreign file is one clear error
            raise HudongError(f"{p} is not a model hudong can read ({type(e).__name__}); {retrain}") from None
        if not isinstance(envelope, dict) or envelope.get("magic") != MAGIC:
            raise HudongError(f"{p} was saved by an earlier hudong without a model format version; {retrain}")
        if envelope.get("kind") != cls.__name__:
            raise HudongError(f"{p} holds a {envelope.get('kind')}, not a {cls.__name__}")
        if envelope.get("format_version") != cls.format_version:
            raise HudongError(
                f"{p} is a {cls.__name__} in format {envelope.get('format_version')} (saved by hudong "
                f"{envelope.get('hudong_version')}); this hudong ({hudong_version()}) reads format "
                f"{cls.format_version}: {retrain}"
            )
        return envelope["model"]
