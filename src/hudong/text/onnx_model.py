"""The optional accurate tier: a transformer text classifier the user has as an ONNX file, run with onnxruntime.

    hudong text onnx DIR --task sentiment --lang en [--label LABEL_0=negative …]   # use it in this workspace
    from hudong.text.onnx_model import load
    model = load("DIR", "en", SentimentModel, ("negative", "neutral", "positive"))   # .scores(texts), .version

Nothing is downloaded: ``DIR`` holds what a Hugging Face export writes (``optimum-cli export onnx --task
text-classification``):

- ``model.onnx``: inputs ``input_ids`` and ``attention_mask`` (and ``token_type_ids`` if the model has it), int64,
  batch × length; its first output (or the one named ``logits``) is batch × labels;
- ``tokenizer.json``: the model's tokenizer in the ``tokenizers`` format;
- ``config.json``: ``id2label`` (index → label name); optional ``problem_type`` (``multi_label_classification``:
  one sigmoid per label) and ``max_length`` (default: the tokenizer's truncation length, else 512).

The model takes the place of the shipped one through the task's own class (``SentimentModel``, ``EmotionModel``,
``ToxicityModel``: ``load(…, base, …)`` builds ``Onnx<base>``; ``hudong.text.adapt.onnx_model`` picks both by task), so scoring, the inbox, reports and the API use it
unchanged. Each of the model's labels maps to one of the task's classes — by its name (lowercased) or by
``labels`` (e.g. ``LABEL_0 → negative``); several labels may map to one class (a five-star model → negative,
neutral, positive), whose probabilities then add (softmax) or take the largest (sigmoid). With sigmoid outputs
for one class of a two-class task (toxic; positive) the other class gets 1 − p.

Needs the ``onnx`` extra (``pip install 'hudong[onnx]'``: onnxruntime, tokenizers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from hudong.errors import HudongError
from hudong.text.classifier import TextClassifier

__all__ = ["OnnxClassifier", "load", "read_config"]

C = TypeVar("C", bound=TextClassifier)
COMPLEMENT = {"toxic": "ok", "ok": "toxic", "positive": "negative", "negative": "positive"}
DEFAULT_MAX_LENGTH = 512
BATCH = 32  # texts per run; texts are sorted by length first so a batch pads little
INSTALL = "the ONNX tier needs onnxruntime and tokenizers: pip install 'hudong[onnx]'"


def _libs() -> tuple[Any, Any]:
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError:
        raise HudongError(INSTALL) from None
    return onnxruntime, Tokenizer


def read_config(directory: str | Path) -> dict[str, Any]:
    """``config.json`` of a model directory, with a clear error for a missing file or ``id2label``."""
    d = Path(directory)
    for name in ("model.onnx", "tokenizer.json", "config.json"):
        if not (d / name).is_file():
            raise HudongError(f"{d} has no {name}: an ONNX text model is a directory with model.onnx, "
                              "tokenizer.json and config.json (docs/text.md, 'An accurate tier')")  # fmt: skip
    try:
        config = json.loads((d / "config.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise HudongError(f"{d / 'config.json'} is not JSON: {e}") from None
    if not isinstance(config, dict) or not isinstance(config.get("id2label"), dict) or not config["id2label"]:
        raise HudongError(f"{d / 'config.json'} has no id2label (index → label name)")
    return config


class OnnxClassifier(TextClassifier):
    """A ``TextClassifier`` whose probabilities come from an ONNX model (see the module docstring). Not trainable:
    ``fit`` refuses; ``save`` is the directory itself."""

    learned = ("session",)
    how_to_train = "export it to ONNX (docs/text.md, 'An accurate tier')"

    session: Any = None

    def _open(self, directory: Path, labels: Mapping[str, str], allowed: Sequence[str]) -> None:
        ort, Tokenizer = _libs()
        config = read_config(directory)
        try:
            self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        except Exception as e:  # noqa: BLE001 - a foreign file is one clear error
            raise HudongError(f"{directory / 'tokenizer.json'} is not a tokenizers file ({e})") from None
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(directory / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001
            raise HudongError(f"{directory / 'model.onnx'} is not an ONNX model onnxruntime can run ({e})") from None
        names = [i.name for i in session.get_inputs()]
        unknown = [n for n in names if n not in ("input_ids", "attention_mask", "token_type_ids")]
        if "input_ids" not in names or unknown:
            raise HudongError(f"{directory / 'model.onnx'} takes inputs {names}; hudong gives input_ids, "
                              "attention_mask and token_type_ids")  # fmt: skip
        outs = [o.name for o in session.get_outputs()]
        self._output = "logits" if "logits" in outs else outs[0]
        self._inputs = names
        n = len(config["id2label"])
        try:
            names_by_id = [str(config["id2label"][str(i)]) for i in range(n)]
        except KeyError:
            raise HudongError(f"{directory / 'config.json'}: id2label must number its labels 0 … {n - 1}") from None
        stray = sorted(set(labels) - set(names_by_id))
        if stray:
            raise HudongError(f"the model in {directory} has no label {', '.join(stray)}; its labels: "
                              f"{', '.join(names_by_id)}")  # fmt: skip
        mapped = [labels.get(lb, lb.lower()) for lb in names_by_id]
        bad = sorted({f"{lb} → {m}" for lb, m in zip(names_by_id, mapped, strict=True) if m not in allowed})
        if bad:
            raise HudongError(f"labels of {directory} not among the task's classes ({', '.join(allowed)}): "
                              f"{', '.join(bad)}; map them with --label NAME=CLASS")  # fmt: skip
        self._sigmoid = config.get("problem_type") == "multi_label_classification" or n == 1
        classes = sorted(set(mapped))
        if self._sigmoid and len(classes) == 1 and classes[0] in COMPLEMENT and COMPLEMENT[classes[0]] in allowed:
            classes.append(COMPLEMENT[classes[0]])
        self.classes = tuple(sorted(classes))
        self._columns = [[i for i, m in enumerate(mapped) if m == c] for c in self.classes]
        self._n_labels = n
        trunc = self.tokenizer.truncation or {}
        self.max_length = int(config.get("max_length") or trunc.get("max_length") or DEFAULT_MAX_LENGTH)
        self.tokenizer.enable_truncation(self.max_length)
        pad = self.tokenizer.padding or {}
        # the model's own pad id (RoBERTa: 1), from the tokenizer's padding, else from a [PAD] / <pad> token
        found = pad.get("pad_id") if pad else next(
            (i for i in map(self.tokenizer.token_to_id, ("[PAD]", "<pad>")) if i is not None), 0
        )
        self._pad = int(found or 0)
        self.tokenizer.no_padding()  # padded here, per length-sorted batch
        unk = getattr(self.tokenizer.model, "unk_token", None) or config.get("unk_token") or "[UNK]"
        self._unk = self.tokenizer.token_to_id(str(unk))
        self.session = session

    def fit(self, *args: Any, **kwargs: Any) -> OnnxClassifier:  # type: ignore[override]
        raise HudongError("an ONNX model is not trained by hudong; adapt the shipped model instead (hudong text train)")

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, None]:  # type: ignore[override]
        """Nothing to precompute (``SentimentModel.scores`` asks): the tokenizer runs inside ``proba``."""
        return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), None

    def _logits(self, texts: Sequence[str]) -> np.ndarray:
        enc = self.tokenizer.encode_batch([t or "" for t in texts])
        width = max(1, max(len(e.ids) for e in enc))
        ids = np.full((len(enc), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(enc), width), dtype=np.int64)
        types = np.zeros((len(enc), width), dtype=np.int64)
        for i, e in enumerate(enc):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
            types[i, : len(e.ids)] = e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        out = np.asarray(self.session.run([self._output], {k: feed[k] for k in self._inputs})[0], dtype=np.float64)
        if out.ndim != 2 or out.shape != (len(texts), self._n_labels):
            raise HudongError(f"{self.meta['onnx_path']}/model.onnx gave outputs of shape {out.shape}, not "
                              f"texts × {self._n_labels} labels (config.json's id2label)")  # fmt: skip
        return out

    def proba(self, texts: Sequence[str], encoded: tuple | None = None) -> np.ndarray:
        """Class probabilities, one row per text, in ``classes`` order (see the module docstring)."""
        self.check_fitted()
        n = len(texts)
        z = np.zeros((n, self._n_labels))
        order = sorted(range(n), key=lambda i: len(texts[i] or ""))
        for at in range(0, n, BATCH):
            idx = order[at : at + BATCH]
            z[idx] = self._logits([texts[i] for i in idx])
        if self._sigmoid:
            p = 1.0 / (1.0 + np.exp(-z))
            out = np.column_stack([p[:, cols].max(axis=1) if cols else np.zeros(n) for cols in self._columns])
            if any(not cols for cols in self._columns):  # one class and its complement
                have = next(j for j, cols in enumerate(self._columns) if cols)
                out[:, 1 - have] = 1.0 - out[:, have]
            total = out.sum(axis=1, keepdims=True)
            return np.divide(out, total, out=np.full_like(out, 1 / out.shape[1]), where=total > 0)
        z -= z.max(axis=1, keepdims=True) if n else 0
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        return np.column_stack([p[:, cols].sum(axis=1) for cols in self._columns]) if n else np.zeros((0, len(self.classes)))

    def known_share(self, texts: Sequence[str]) -> np.ndarray:
        """Share of each text's tokens the tokenizer knows (not its unknown token); NaN for a text with none. A
        subword tokenizer knows every text: for it this is 1 and says nothing about the domain."""
        out = np.full(len(texts), np.nan)
        for i, e in enumerate(self.tokenizer.encode_batch([t or "" for t in texts], add_special_tokens=False)):
            if e.ids:
                out[i] = sum(t != self._unk for t in e.ids) / len(e.ids)
        return out

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # an onnxruntime session does not pickle: a scoring worker (process pool) opens the directory again
        return load, (self.meta["onnx_path"], self.lang, self._base, self._allowed, self.meta.get("label_map", {}))


_CLASSES: dict[type, type] = {}


def load(directory: str | Path, lang: str, base: type[C], allowed: Sequence[str],
         labels: Mapping[str, str] | None = None) -> C:  # fmt: skip
    """The ONNX model in ``directory`` as a ``base`` (a task's model class, e.g. ``SentimentModel``) for ``lang``,
    its labels mapped into ``allowed`` (the task's classes; ``labels`` maps the model's label names where they
    differ). Its version names the directory and the first 8 hex digits of model.onnx's SHA-256, so a changed
    file is a new version (the workspace's texts are scored again)."""
    directory = Path(directory).expanduser().resolve()
    read_config(directory)
    digest = hashlib.sha256()
    with open(directory / "model.onnx", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    cls = _CLASSES.setdefault(base, type(f"Onnx{base.__name__}", (OnnxClassifier, base), {}))
    meta = {"version": f"onnx-{directory.name}-{digest.hexdigest()[:8]}", "onnx_path": str(directory),
            "label_map": dict(labels or {})}  # fmt: skip
    m = cls(lang, meta=meta)
    m._base, m._allowed = base, tuple(allowed)
    m._open(directory, dict(labels or {}), m._allowed)
    try:
        m._ready()
    except ValueError as e:  # e.g. a sentiment model without a positive or a negative label
        raise HudongError(f"{directory}: {e}; map the model's labels with --label NAME=CLASS") from None
    return m  # type: ignore[return-value]
