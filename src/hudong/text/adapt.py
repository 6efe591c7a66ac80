"""Domain adaptation: re-train a text model on a workspace's own labelled comments, evaluate before/after.

    hudong text train --labels labels.csv [--task sentiment] [--lang zh]   # CSV columns: text, label[, lang]
    hudong text train --from-inbox [--task sentiment|emotion|toxicity]     # labels set in the web inbox
    hudong text train --reset [--task sentiment]                          # back to the shipped models

    from hudong.text import adapt
    report = adapt.train(directory, texts, labels, task="sentiment")  # one AdaptResult per language
    with adapt.workspace_models(directory):                      # predict() uses the adapted models
        predict(texts)

``directory`` is where a workspace keeps its models (``hudong.analyses.context.models_dir(ws)``: WORKSPACE/models);
every analysis of a workspace runs with its adapted models (``hudong.analyses.context.workspace_text``).

Method (chosen by measurement, docs/text.md "Domain adaptation"): the workspace labels are split (seeded,
stratified by label) into a training part and a held-out part (``holdout``, default 20%); a new model of the
same kind (n-gram softmax regression, ``TextClassifier.fit``) is trained on the training part alone — optionally
together with the shipped model's training data (``base``), the workspace rows weighted so that they carry
``own_share`` of the total weight. Both the shipped model ("before") and the new model ("after") are scored on
the held-out part: accuracy, macro-F1 (unweighted mean of per-class F1 over the held-out classes), per-class F1.
The adapted model is saved as ``<directory>/{task}-{lang}.npz`` with version
``{shipped version}+ws{k}`` (k counts the adaptations of that model) and recorded in ``<directory>/adapted.json``.

Emotion: the Chinese shipped "model" is a hand-written cue lexicon (``hudong.text.emotion``); its adapted model
is an ``EmotionModel`` trained on the workspace's labels together with the lexicon's cues as rows
(``cue_rows``; the labels carry half of the weight), so it keeps every class and the cues' knowledge while it
learns the workspace's words. Labels must be among the language's classes (``label_set("emotion", lang)``: en
has no fear or surprise).
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import json
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hudong.errors import HudongError
from hudong.stats.evaluation import classification_scores, per_class_f1
from hudong.text import classifier, onnx_model
from hudong.text.emotion import EMOTIONS
from hudong.text.tokenize import detect_lang

TASKS = ("sentiment", "emotion", "toxicity")
MANIFEST = "adapted.json"
MIN_LABELS = 20  # per language: fewer cannot be split into a training and a held-out part


def _task_module(task: str) -> Any:
    if task not in TASKS:
        raise HudongError(f"unknown text task {task!r}; tasks: {', '.join(TASKS)}")
    return importlib.import_module(f"hudong.text.{task}")


def _label_sets() -> dict[str, tuple[str, ...]]:
    return {"sentiment": ("negative", "neutral", "positive"), "emotion": EMOTIONS, "toxicity": ("ok", "toxic")}


def label_set(task: str, lang: str | None = None) -> tuple[str, ...]:
    """The labels ``train`` accepts for ``task`` (sentiment: negative, neutral, positive; toxicity: ok, toxic).

    Emotion depends on the language: its classes are those the shipped emotion model of ``lang`` can output
    (``EmotionModel.outputs``) — zh (the Weibo scheme of SMP2020-EWECT) and en (TweetEval's anger, joy/optimism,
    sadness + neutral + the fear/surprise cue list): all six of ``EMOTIONS``. Without ``lang`` (or for a language
    without models) it is all of ``EMOTIONS``."""
    _task_module(task)
    if task == "emotion" and lang in classifier.LANGS:
        return shipped_model(task, lang).outputs
    return _label_sets()[task]


def shipped_model(task: str, lang: str) -> classifier.TextClassifier:
    """The shipped (not adapted) model of ``task`` for ``lang``, whatever models are in use."""
    return _task_module(task).shipped_model(lang)


# ---- labelled input ----------------------------------------------------------------------------
def read_labels(path: str | Path) -> tuple[list[str], list[str], list[str | None]]:
    """(texts, labels, langs) from a CSV with columns ``text``, ``label`` and optionally ``lang``; a row with an
    empty text or label is an error naming the row (nothing is silently dropped)."""
    p = Path(path)
    with open(p, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        cols = [c.strip().lower() for c in reader.fieldnames or []]
        missing = [c for c in ("text", "label") if c not in cols]
        if missing:
            raise HudongError(f"{p}: missing column(s) {', '.join(missing)} (columns: {', '.join(cols) or 'none'})")
        names = dict(zip(cols, reader.fieldnames or [], strict=True))
        texts, labels, langs = [], [], []
        for i, row in enumerate(reader, start=2):
            t, lb = (row.get(names["text"]) or "").strip(), (row.get(names["label"]) or "").strip()
            if not t or not lb:
                raise HudongError(f"{p} row {i}: empty {'text' if not t else 'label'}")
            texts.append(t)
            labels.append(lb)
            langs.append((row.get(names["lang"]) or "").strip() or None if "lang" in names else None)
    if not texts:
        raise HudongError(f"{p}: no labelled rows")
    return texts, labels, langs


# ---- evaluation ----------------------------------------------------------------------------------
def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 over the gold classes and per-class F1 ({class: F1}; ``hudong.stats.evaluation``)."""
    s = classification_scores(gold, pred)
    return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "f1": per_class_f1(s)}


def split(labels: Sequence[str], holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, held-out) row indices, stratified by label, seeded."""
    r = random.Random(seed)
    train: list[int] = []
    test: list[int] = []
    for c in sorted(set(labels)):
        idx = [i for i, lb in enumerate(labels) if lb == c]
        r.shuffle(idx)
        cut = max(1, round(len(idx) * holdout)) if len(idx) > 1 else 0
        test += idx[:cut]
        train += idx[cut:]
    return sorted(train), sorted(test)


@dataclass
class AdaptResult:
    task: str
    lang: str
    n_train: int
    n_heldout: int
    base_version: str
    version: str
    before: dict[str, Any]
    after: dict[str, Any]
    path: str
    skipped: dict[str, str] = field(default_factory=dict)  # languages not adapted in this run → why
    method: str = "labels"  # or "unlabeled" (hudong.text.adapt_unlabeled)
    details: dict[str, Any] = field(default_factory=dict)  # the method's own figures (counts, checks)


# ---- training ----------------------------------------------------------------------------------
def manifest(directory: Path) -> dict[str, dict[str, Any]]:
    """``{"task-lang": {version, path, before, after, …}}`` of the adapted models in use from ``directory``."""
    p = Path(directory) / MANIFEST
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def cue_rows(model: classifier.TextClassifier) -> tuple[list[str], list[str]]:
    """A cue-lexicon model as training rows: each feature with a positive weight (a cue such as ``[怒]``, 气死),
    labelled with the class it weighs most for. Measured on SMP2020-EWECT (docs/text.md, "Emotion on real Weibo posts"):
    training on a workspace's labels plus these rows beats the labels alone and the lexicon alone."""
    vocab = model.vocabulary
    w = model.weights[: len(vocab)]
    keep = [i for i in range(len(vocab)) if w[i].max() > 0]
    return [vocab[i] for i in keep], [model.classes[int(w[i].argmax())] for i in keep]


def fit_adapted(
    task: str,
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    base: tuple[Sequence[str], Sequence[str]] | None = None,
    own_share: float = 0.5,
    version: str = "adapted",
) -> classifier.TextClassifier:
    """A model of the shipped model's class trained on ``texts``/``labels`` (plus ``base`` data, weighted so the own
    rows carry ``own_share`` of the weight); the shipped model's meta (neutral band, lexicon) is kept. When the
    shipped model is a hand-written cue lexicon (no training data: the zh emotion model) and no ``base`` is given,
    its cues are the base (``cue_rows``): the labels add to the lexicon instead of replacing it."""
    shipped = shipped_model(task, lang)
    if base is None and not shipped.meta.get("n_train", 1):
        base = cue_rows(shipped)
    x, y, w = list(texts), list(labels), [1.0] * len(texts)
    if base is not None and len(base[0]):
        bw = len(texts) * (1 - own_share) / (own_share * len(base[0]))
        x += list(base[0])
        y += list(base[1])
        w += [bw] * len(base[0])
    classes = sorted(set(y) | ({"negative", "positive"} if task == "sentiment" else set()))
    data = f"{len(texts)} workspace labels (hudong text train)"
    if base is not None and len(base[0]):
        data += f" + {len(base[0])} rows of the shipped model's data or cues, weighted to {1 - own_share:.0%}"
    meta = {**shipped.meta, "version": version, "adapted_from": shipped.version, "train_data": data}
    l2 = 1e-3 if len(x) >= 2000 else 3e-3  # stronger prior on few labels (fixed a priori, not tuned on held-out)
    return type(shipped)(
        lang,
        classes=classes,
        min_df=1 if len(x) < 2000 else 2,
        l2=l2,
        meta=meta,
        lexicon=shipped.lexicon or None,
    ).fit(x, y, sample_weight=w)


def train(
    directory: Path,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    task: str = "sentiment",
    lang: str | None = None,
    langs: Sequence[str | None] | None = None,
    holdout: float = 0.2,
    seed: int = 0,
) -> list[AdaptResult]:
    """Adapt ``task``'s model of each language present in the labels (see the module docstring). A language with
    too few labels (< ``MIN_LABELS`` or one class) is not adapted and listed in each result's ``skipped``; an
    error when no language can be adapted."""
    if not 0 < holdout < 1:
        raise HudongError(f"holdout must be between 0 and 1, got {holdout}")
    allowed = label_set(task)
    bad = sorted(set(labels) - set(allowed))
    if bad:
        raise HudongError(f"{task} labels must be among {', '.join(allowed)}; got {', '.join(bad)}")
    row_langs = [lang or (langs[i] if langs and langs[i] else detect_lang(t)) for i, t in enumerate(texts)]
    groups: dict[str, list[int]] = {}
    for i, lg in enumerate(row_langs):
        groups.setdefault(lg, []).append(i)
    for lg, idx in sorted(groups.items()):  # emotion: each language's own classes (en has no fear, surprise)
        own = label_set(task, lg)
        bad = sorted({labels[i] for i in idx} - set(own))
        if bad:
            raise HudongError(
                f"{task} labels of {lg} texts must be among {', '.join(own)} (the {lg} model's classes); "
                f"got {', '.join(bad)} in {sum(labels[i] in bad for i in idx)} row(s)"
            )
    skipped = {
        lg: f"{len(ix)} rows in a language without models" for lg, ix in groups.items() if lg not in classifier.LANGS
    }
    out: list[AdaptResult] = []
    directory = Path(directory)
    state = manifest(directory)
    for lg, idx in sorted(groups.items()):
        if lg not in classifier.LANGS:
            continue
        xs, ys = [texts[i] for i in idx], [labels[i] for i in idx]
        if len(xs) < MIN_LABELS or len(set(ys)) < 2:
            skipped[lg] = f"{len(xs)} labelled rows in {len(set(ys))} class(es); need ≥ {MIN_LABELS} and ≥ 2"
            continue
        tr, te = split(ys, holdout, seed)
        shipped = shipped_model(task, lg)
        version = next_version(state, task, lg)
        model = fit_adapted(task, lg, [xs[i] for i in tr], [ys[i] for i in tr], version=version)
        gold = [ys[i] for i in te]
        held = [xs[i] for i in te]
        before, after = scores(gold, shipped.predict(held)), scores(gold, model.predict(held))
        res = AdaptResult(task, lg, len(tr), len(te), shipped.version, version, before, after, "")
        out.append(record(directory, state, model, res))
    if not out:
        raise HudongError("nothing to train: " + "; ".join(f"{lg}: {why}" for lg, why in sorted(skipped.items())))
    for r in out:
        r.skipped = dict(skipped)
    return out


def next_version(state: dict[str, dict[str, Any]], task: str, lang: str) -> str:
    """``{shipped version}+ws{k}``: k counts the adaptations of that model in the manifest ``state``."""
    k = int(state.get(f"{task}-{lang}", {}).get("adaptations", 0)) + 1
    return f"{shipped_model(task, lang).version}+ws{k}"


def record(
    directory: Path, state: dict[str, dict[str, Any]], model: classifier.TextClassifier, result: AdaptResult
) -> AdaptResult:
    """Save ``model`` as the workspace's model of its task and language and record ``result`` in the manifest
    (written at once: the model is in use from now on). Returns ``result`` with its path set."""
    key = f"{result.task}-{result.lang}"
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    kind = "npz"
    if isinstance(model, onnx_model.OnnxClassifier):  # the user's own directory, used where it is
        result.path, kind = model.meta["onnx_path"], "onnx"
    else:
        path = directory / f"{key}.npz"
        model.save(path)
        result.path = str(path)
    k = int(state.get(key, {}).get("adaptations", 0)) + 1
    state[key] = {**asdict(result), "adaptations": k, "kind": kind}
    (directory / MANIFEST).write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def reset(directory: Path, task: str | None = None) -> list[str]:
    """Remove the adapted models in ``directory`` (of ``task``, or all); returns the removed ``task-lang`` keys.
    The adaptation counter is kept, so a later adaptation gets a new version."""
    state = manifest(directory)
    removed = []
    for key, entry in state.items():
        if (task is None or entry["task"] == task) and entry.get("path"):
            if entry.get("kind") != "onnx":  # an ONNX model is the user's own directory: only no longer used
                Path(entry["path"]).unlink(missing_ok=True)
            entry["path"] = None
            removed.append(key)
    if state:
        (Path(directory) / MANIFEST).write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    return removed


def load_onnx(
    path: str | Path, task: str, lang: str, labels: dict[str, str] | None = None
) -> onnx_model.OnnxClassifier:
    """The ONNX model directory ``path`` as ``task``'s model for ``lang`` (``hudong.text.onnx_model``)."""
    return onnx_model.load(path, lang, type(shipped_model(task, lang)), label_set(task, lang), labels)


# ---- using the adapted models ----------------------------------------------------------------------
_LOADED: dict[tuple[str, int], classifier.TextClassifier] = {}  # adapted model files, by (path, mtime)
_LOADING = threading.Lock()


def workspace_model(directory: Path, task: str, lang: str) -> classifier.TextClassifier:
    """The model ``task`` uses for ``lang`` with the models of ``directory``: the adapted one (``adapted.json``),
    else the shipped one. Each adapted file is loaded once per version on disk, so this is cheap to call per request
    (the web inbox shows its predictions)."""
    entry = manifest(directory).get(f"{task}-{lang}") or {}
    path = Path(entry["path"]) if entry.get("path") else None
    if path is None or not path.exists():
        return shipped_model(task, lang)
    onnx = entry.get("kind") == "onnx"
    key = (str(path), (path / "model.onnx" if onnx else path).stat().st_mtime_ns)
    with _LOADING:
        if key not in _LOADED:
            if onnx:
                model = load_onnx(path, task, lang, entry.get("details", {}).get("labels"))
            else:
                model = type(shipped_model(task, lang)).load(path, lang)
            for old in [k for k in _LOADED if k[0] == key[0]]:
                del _LOADED[old]
            _LOADED[key] = model
        return _LOADED[key]


@contextlib.contextmanager
def workspace_models(directory: Path) -> Iterator[dict[str, str]]:
    """Within the block, ``predict`` of every task uses the adapted models of ``directory`` (those in its
    ``adapted.json``); yields ``{"task-lang": version}``. Scoped to this thread or task
    (``classifier.using_models``): another thread, e.g. a web request, still predicts with what it had."""
    active: dict[str, str] = {}
    models: dict[tuple[str, str], classifier.TextClassifier] = {}
    for key, entry in manifest(directory).items():
        if not entry.get("path") or not Path(entry["path"]).exists():
            continue
        models[(entry["task"], entry["lang"])] = workspace_model(directory, entry["task"], entry["lang"])
        active[key] = entry["version"]
    with classifier.using_models(models):
        yield active
