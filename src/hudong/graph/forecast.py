"""Early size forecast: from the first N minutes of a cascade, predict its final size class.

Pipeline (docs/propagation.md, "Early size forecast"):

1. Labelled corpora → one forest plus a per-cascade ``info`` frame: ``read_twitter1516`` (Twitter15/16 trees,
   labels and source texts) and ``read_ced`` (CED Weibo cascades). Both are research-use data without a
   redistribution licence, so no model trained on them ships in the package: train at run time from the user's
   copy (``hudong forecast train``) and the model is saved into the workspace.
2. ``event_groups``: cascades about the same event are grouped (connected components of source texts with TF-IDF
   cosine ≥ 0.4), so an evaluation never trains on one tweet of an event and tests on its near-duplicate.
3. ``truncate`` keeps the users who joined within N minutes (each hangs from its nearest kept ancestor);
   ``early_features`` measures that partial tree.
4. ``SizeForecaster``: size classes = training-set quantiles of the final size (tertiles → small/medium/large),
   a histogram gradient-boosting classifier (scikit-learn) on the early features.
5. ``evaluate_forecast``: event-grouped stratified k-fold; accuracy, macro-F1 and per-class F1 next to a
   majority-class baseline and a size-so-far threshold baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hudong.errors import HudongError
from hudong.graph.cascade_metrics import cascade_metrics
from hudong.graph.cascades import StoreCascades, build_cascades
from hudong.graph.forest import Forest, build_forest
from hudong.graph.formats import read_twitter1516_trees, twitter1516_forest
from hudong.stats import evaluation
from hudong.stats.estimator import Estimator
from hudong.text.tokenize import detect_lang

ROOT_USER_COLUMNS = ("root_followers", "root_friends", "root_statuses", "root_verified")
SIZE_CLASSES = ("small", "medium", "large")
GROUP_SIMILARITY = 0.4  # cosine of source texts' TF-IDF vectors at or above which two cascades share an event


@dataclass
class LabelledCascades:
    """Cascades with what is known about each: ``forest`` (times in minutes since the root), ``node_user`` (user
    id per node) and ``info`` (one row per cascade, aligned with the forest's cascade numbers): dataset,
    cascade_id, label, text, lang, group (event), posted (the source post's time, NaT when unknown), root-user
    columns (NaN when unknown)."""

    forest: Forest
    node_user: np.ndarray
    info: pd.DataFrame

    def subset(self, cascades: np.ndarray) -> LabelledCascades:
        """The same data restricted to some cascades (positions), renumbered 0..k-1 in the given order."""
        cascades = np.asarray(cascades, dtype=np.int64)
        new = np.full(self.forest.n_cascades, -1, dtype=np.int64)
        new[cascades] = np.arange(len(cascades))
        keep = (new[self.forest.cascade] >= 0) & self.forest.kept
        forest = _rebuild(self.forest, keep, new)
        return LabelledCascades(forest, self.node_user[keep], self.info.iloc[cascades].reset_index(drop=True))


def _rebuild(forest: Forest, keep: np.ndarray, cascade_map: np.ndarray | None = None) -> Forest:
    """A forest of the ``keep`` nodes; each kept node hangs from its nearest kept ancestor (roots must be kept)."""
    anc = forest.parent.copy()
    # climb past dropped ancestors, one level per step for all nodes at once (at most depth steps)
    while True:
        bad = (anc >= 0) & ~keep[np.maximum(anc, 0)]
        if not bad.any():
            break
        anc[bad] = forest.parent[anc[bad]]
    idx = np.flatnonzero(keep)
    renum = np.full(len(keep), -1, dtype=np.int64)
    renum[idx] = np.arange(len(idx))
    casc = forest.cascade[idx] if cascade_map is None else cascade_map[forest.cascade[idx]]
    n_casc = forest.n_cascades if cascade_map is None else int(cascade_map.max()) + 1
    roots = np.empty(n_casc, dtype=np.int64)
    is_root = forest.parent[idx] < 0
    roots[casc[is_root]] = np.arange(len(idx))[is_root]
    child = np.flatnonzero(anc[idx] >= 0)
    parent = renum[anc[idx[child]]]
    return build_forest(casc, forest.time[idx], roots, child, parent, np.arange(len(child)))


def truncate(forest: Forest, minutes: float) -> Forest:
    """The cascades as seen ``minutes`` after their root: users whose time (since the root) is ≤ minutes. A user
    whose parent joined later (``child_before_parent``) hangs from the nearest earlier ancestor."""
    rel = forest.time - forest.time[forest.roots][forest.cascade]
    keep = forest.kept & (rel <= minutes)
    keep[forest.roots] = True
    return _rebuild(forest, keep)


# ---- corpora ---------------------------------------------------------------------------------------------


def _read_table(path: Path, names: list[str], sep: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, sep=sep, header=None, names=names, dtype=str, quoting=3, keep_default_na=False)
    except OSError as e:
        raise HudongError(f"cannot read {path}: {e.strerror or e}") from None
    bad = df[names[-1]].eq("") | df[names[0]].eq("")
    if bad.any():
        raise HudongError(f"{path}:{int(np.flatnonzero(bad)[0]) + 1}: expected {sep.join(names)!r}")
    return df


def read_twitter1516(folder: str | Path, subsets: Sequence[str] = ("twitter15",), labels: bool = True
                     ) -> LabelledCascades:  # fmt: skip
    """Twitter15/16 as released by Ma et al. 2017: ``trees.tar.gz`` (or ``tree/`` folders), ``<subset>_label.txt``
    (``label:id``) and ``<subset>_source_tweets.tsv`` (``id<TAB>text``) in ``folder``. A tree id present in an
    earlier subset is skipped in a later one (169 ids are in both sets). ``labels=False`` reads the trees
    without labels (label = None), e.g. for the size forecast when a label file is absent."""
    folder = Path(folder)
    trees = folder / "trees.tar.gz" if (folder / "trees.tar.gz").exists() else folder
    parts = []
    seen: set[str] = set()
    for s in subsets:
        texts = _read_table(folder / f"{s}_source_tweets.tsv", ["cascade_id", "text"], "\t")
        if labels:
            lab = _read_table(folder / f"{s}_label.txt", ["label", "cascade_id"], ":")
            texts = texts.merge(lab, on="cascade_id", how="right", validate="one_to_one")
            missing = texts["text"].isna()
            if missing.any():
                raise HudongError(f"{folder}: {int(missing.sum())} labelled {s} trees have no source text")
        else:
            texts["label"] = None
        texts = texts[~texts["cascade_id"].isin(seen)]
        seen.update(texts["cascade_id"])
        texts.insert(0, "dataset", s)
        parts.append(texts)
    info = pd.concat(parts, ignore_index=True)
    edges = read_twitter1516_trees(trees)
    key = edges["subset"] + "/" + edges["tree_id"]
    edges = edges[key.isin(info["dataset"] + "/" + info["cascade_id"])]
    missing = set(info["dataset"] + "/" + info["cascade_id"]) - set(key)
    if missing:
        raise HudongError(f"{trees}: no tree file for {len(missing)} ids, e.g. {sorted(missing)[0]}")
    edges = edges.assign(tree_id=edges["subset"] + "/" + edges["tree_id"])
    forest, nodes = twitter1516_forest(edges)
    order = pd.Index(pd.unique(edges["tree_id"]))  # the forest's cascade numbering
    info = info.set_index(info["dataset"] + "/" + info["cascade_id"]).loc[order].reset_index(drop=True)
    info["lang"] = "en"
    info["posted"] = snowflake_time(info["cascade_id"])
    for c in ROOT_USER_COLUMNS:
        info[c] = np.nan  # the release has user ids only
    info["group"] = event_groups(info["text"].tolist(), "en")
    return LabelledCascades(forest, nodes["uid"].to_numpy(dtype=object), info)


# Twitter's snowflake ids carry their creation time: (id >> 22) ms after this epoch (2010-11-04T01:42:54.657Z).
SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake_time(ids: Sequence[str] | pd.Series) -> pd.Series:
    """Creation time (UTC, naive) of Twitter status ids; NaT for ids that are not snowflakes (before 2010-11, or
    not numbers). Twitter15/16 ship no source-tweet times, and the ids are all they need."""
    n = pd.to_numeric(pd.Series(list(ids), dtype=object), errors="coerce")
    ms = np.floor(n.to_numpy(dtype=float) / 2**22) + SNOWFLAKE_EPOCH_MS
    # pre-snowflake ids were sequential numbers below ~3e10: they decode to the epoch's first day
    ms[~(n.to_numpy(dtype=float) >= 2**22 * 86_400_000)] = np.nan
    return pd.Series(pd.to_datetime(ms, unit="ms"))


def _ced_times(dates: pd.Series, source_time: pd.Series) -> pd.Series:
    """Repost dates (Beijing time ``YYYY-MM-DD HH:MM:SS``; 74 rows ``MM月DD日 HH:MM`` without a year — the year of
    the source post, or the next when that falls before it)."""
    t = pd.to_datetime(dates, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    rel = t.isna() & dates.ne("")
    if rel.any():
        m = dates[rel].str.extract(r"^(\d{1,2})月(\d{1,2})日 (\d{1,2}):(\d{2})$")
        bad = m[0].isna()
        if bad.any():
            i = bad.index[bad.to_numpy()][0]
            raise HudongError(f"ced_reposts row {i + 2}: unreadable date {dates[i]!r}")
        year = source_time[rel].dt.year.astype(str)
        guess = pd.to_datetime(year + "-" + m[0] + "-" + m[1] + " " + m[2] + ":" + m[3], format="%Y-%m-%d %H:%M")
        guess = guess.where(guess >= source_time[rel].dt.floor("D"), guess + pd.DateOffset(years=1))
        t[rel] = guess
    if t.isna().any():
        i = t.index[t.isna().to_numpy()][0]
        raise HudongError(f"ced_reposts row {i + 2}: empty date")
    return t


def _ced_source_time(v: Any) -> pd.Timestamp:
    if isinstance(v, int | float):
        return pd.Timestamp(int(v), unit="s", tz="UTC").tz_convert("Asia/Shanghai").tz_localize(None)
    return pd.to_datetime(v, format="%a %b %d %H:%M:%S %z %Y").tz_convert("Asia/Shanghai").tz_localize(None)


def read_ced(folder: str | Path, max_rows: int | None = None) -> LabelledCascades:
    """CED (Song et al. 2018) from ``ced_original_microblogs.jsonl.gz`` and ``ced_reposts.tsv.xz`` in ``folder``.

    Nodes are users (as ``hudong.graph.build_cascades`` on the store: a repost's parent user is the author of the
    reposted post, the root is the source author); a ``mid`` repeated in an event keeps its first row. Times are
    minutes since the source post (Beijing time). ``max_rows`` reads only the first rows of the repost file (for
    tests; the file is ordered by label, so a prefix holds rumours only); the event cut at that row and events never
    reached are left out."""
    folder = Path(folder)
    try:
        src = pd.read_json(folder / "ced_original_microblogs.jsonl.gz", lines=True, dtype=False)
        reposts = pd.read_csv(
            folder / "ced_reposts.tsv.xz",
            sep="\t",
            dtype=str,
            keep_default_na=False,
            usecols=["event_id", "mid", "parent", "uid", "date"],
            nrows=max_rows,
        )
    except (OSError, ValueError) as e:
        raise HudongError(f"cannot read CED from {folder}: {e}") from None
    if max_rows is not None and len(reposts) == max_rows:
        reposts = reposts[reposts["event_id"] != reposts["event_id"].iloc[-1]]
        src = src[src["event_id"].isin(set(reposts["event_id"]))]
    src = src.reset_index(drop=True)
    src_time = src["time"].map(_ced_source_time)
    author = src["event_id"].str.rsplit("_", n=1).str[1]
    st = pd.Series(src_time.to_numpy(), index=src["event_id"])
    reposts = reposts.drop_duplicates(["event_id", "mid"]).reset_index(drop=True)
    times = _ced_times(reposts["date"], pd.Series(st.reindex(reposts["event_id"]).to_numpy()))
    posts = pd.DataFrame({
        "platform": "ced",
        "post_id": pd.concat([src["event_id"], reposts["event_id"] + "/" + reposts["mid"]], ignore_index=True),
        "author_id": pd.concat([author, reposts["uid"]], ignore_index=True),
        "created_at": pd.concat([src_time, times], ignore_index=True),
        "parent_id": pd.concat([pd.Series([None] * len(src), dtype=object),
                                (reposts["event_id"] + "/" + reposts["parent"]).where(reposts["parent"] != "")],
                               ignore_index=True),
        "root_id": pd.concat([pd.Series([None] * len(src), dtype=object), reposts["event_id"]], ignore_index=True),
    })  # fmt: skip
    sc = build_cascades(posts)
    order = pd.Index(sc.cascades["root_post_id"])
    s = src.set_index("event_id")
    missing = set(s.index) - set(order)
    if missing:
        raise HudongError(f"{folder}: {len(missing)} CED events without reposts, e.g. {sorted(missing)[0]}")
    s = s.loc[order]
    user = pd.DataFrame([u if isinstance(u, dict) else {} for u in s["user"]], index=s.index,
                        columns=["followers", "friends", "messages", "verified"])  # fmt: skip
    info = pd.DataFrame({
        "dataset": "ced", "cascade_id": order, "label": s["label"].to_numpy(), "text": s["text"].fillna("").to_numpy(),
        "lang": "zh", "posted": st.reindex(order).to_numpy(),
        "root_followers": pd.to_numeric(user["followers"]).to_numpy(dtype=float),
        "root_friends": pd.to_numeric(user["friends"]).to_numpy(dtype=float),
        "root_statuses": pd.to_numeric(user["messages"]).to_numpy(dtype=float),
        "root_verified": user["verified"].astype(float).to_numpy(),
    })  # fmt: skip
    info["group"] = event_groups(info["text"].tolist(), "zh")
    return LabelledCascades(sc.forest, sc.nodes["user_id"].to_numpy(dtype=object), info)


def event_groups(texts: Sequence[str], lang: str, threshold: float = GROUP_SIMILARITY) -> np.ndarray:
    """Event id per text: connected components of the graph linking texts whose TF-IDF cosine ≥ ``threshold``
    (single linkage). English: words (URL placeholders, stop words dropped); Chinese: character 1–2-grams.
    Twitter15 at 0.4: 1,490 trees → 923 events (largest 55, the Ottawa shooting)."""
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors

    if len(texts) == 0:
        return np.empty(0, dtype=np.int64)
    if lang == "zh":
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    else:
        vec = TfidfVectorizer(token_pattern=r"[a-z0-9#@][a-z0-9#@']+", stop_words=["url", *_EN_STOP],
                              sublinear_tf=True, lowercase=True)  # fmt: skip
    try:
        x = vec.fit_transform([t or "" for t in texts])
    except ValueError:  # no vocabulary at all: every text is its own event
        return np.arange(len(texts), dtype=np.int64)
    nn = NearestNeighbors(radius=1.0 - threshold, metric="cosine").fit(x)
    graph = nn.radius_neighbors_graph(x, mode="connectivity")
    _, labels = connected_components(graph, directed=False)
    empty = np.asarray(x.sum(axis=1)).ravel() == 0
    labels = labels.astype(np.int64)
    labels[empty] = labels.max() + 1 + np.arange(int(empty.sum()))  # empty texts are not one big event
    return pd.factorize(labels)[0].astype(np.int64)


def _english_stop_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS)


_EN_STOP = _english_stop_words()


# ---- features --------------------------------------------------------------------------------------------

EARLY_FEATURES = (
    "size", "depth", "max_breadth", "structural_virality", "mean_offspring", "root_children", "t_users_10",
    "t_users_50", "half_life", "last_join", "late_share",
)  # fmt: skip


def early_features(data: LabelledCascades, minutes: float | None) -> pd.DataFrame:
    """Per cascade, measured on the users who joined within ``minutes`` of the root (all users when None):
    size so far, depth, max breadth, structural virality, mean offspring, root's direct children, minutes to the
    10th and 50th user (NaN if not reached), half-life, minutes to the last user so far, ``late_share`` = share of
    the users so far who joined in the second half of the window (growth speed-up > 0.5 > slow-down; for
    minutes=None, of the cascade's own duration), plus the root-user columns of ``info``."""
    f = data.forest if minutes is None else truncate(data.forest, minutes)
    m = cascade_metrics(f, users_k=(10, 50), depth_k=(), generations=False)
    children = f.children_count()[f.roots]
    rel = f.time - f.time[f.roots][f.cascade]
    window = m["duration"].to_numpy() if minutes is None else np.full(f.n_cascades, float(minutes))
    late = f.kept & (rel > window[f.cascade] / 2.0)
    late[f.roots] = False
    n_late = np.bincount(f.cascade[late], minlength=f.n_cascades)
    others = np.maximum(m["size"].to_numpy() - 1, 1)
    out = pd.DataFrame({
        "size": m["size"], "depth": m["depth"], "max_breadth": m["max_breadth"],
        "structural_virality": m["structural_virality"], "mean_offspring": m["mean_offspring"],
        "root_children": children, "t_users_10": m["t_users_10"], "t_users_50": m["t_users_50"],
        "half_life": m["half_life"], "last_join": m["duration"], "late_share": n_late / others,
    })  # fmt: skip
    for c in ROOT_USER_COLUMNS:
        out[c] = data.info[c].to_numpy(dtype=float)
    return out


def final_sizes(data: LabelledCascades) -> np.ndarray:
    """Users per cascade in the full (observed) tree."""
    return np.bincount(data.forest.cascade[data.forest.kept], minlength=data.forest.n_cascades)


def size_class_edges(sizes: np.ndarray, quantiles: Sequence[float] = (1 / 3, 2 / 3)) -> np.ndarray:
    """Class boundaries = the given quantiles of the (training) final sizes; class i = edges[i-1] < size ≤ edges[i]."""
    return np.quantile(np.asarray(sizes, dtype=float), quantiles)


def size_class(sizes: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(sizes, dtype=float), side="left")


# ---- splits and scores -----------------------------------------------------------------------------------


def grouped_folds(groups: np.ndarray, y: np.ndarray, k: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold over whole event groups (scikit-learn ``StratifiedGroupKFold``): no event is on both sides."""
    from sklearn.model_selection import StratifiedGroupKFold

    folds = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y, groups))
    for tr, te in folds:
        if np.intersect1d(groups[tr], groups[te]).size:
            raise AssertionError("an event group is on both sides of the split")
    return folds


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 and one-vs-rest F1 per class of integer class codes (``hudong.stats.evaluation``)."""
    return evaluation.classification_scores(y_true, y_pred, range(len(classes)), names=classes)


# ---- model -----------------------------------------------------------------------------------------------


@dataclass
class SizeForecaster(Estimator):
    """Final size class from the first ``minutes`` of a cascade. Learned: ``edges`` = class boundaries
    (training-set quantiles of the final size), ``model`` a fitted scikit-learn classifier, ``columns`` the
    features it uses. ``classes`` names the classes (``hudong.stats.estimator`` contract)."""

    learned: ClassVar[tuple[str, ...]] = ("edges", "model", "columns")
    how_to_train: ClassVar[str] = "fit it, or run `hudong forecast train`"

    minutes: float
    quantiles: tuple[float, ...] = (1 / 3, 2 / 3)
    classes: tuple[str, ...] = SIZE_CLASSES
    edges: np.ndarray | None = None
    model: Any = None
    columns: list[str] | None = None
    trained_on: str = ""

    def fit(self, data: LabelledCascades, sizes: np.ndarray | None = None) -> SizeForecaster:
        sizes = final_sizes(data) if sizes is None else sizes
        self.fit_features(early_features(data, self.minutes), sizes)
        self.trained_on = ",".join(sorted(set(data.info["dataset"])))
        return self

    def fit_features(self, x: pd.DataFrame, sizes: np.ndarray) -> SizeForecaster:
        """Fit on precomputed ``early_features(…, self.minutes)`` and the final sizes."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        if len(self.classes) != len(self.quantiles) + 1:
            raise HudongError(f"{len(self.quantiles)} quantiles make {len(self.quantiles) + 1} classes, "
                              f"not {len(self.classes)}")  # fmt: skip
        self.edges = size_class_edges(sizes, self.quantiles)
        y = size_class(sizes, self.edges)
        self.columns = [c for c in x.columns if x[c].notna().any()]  # all-NaN (unknown) columns carry nothing
        self.model = HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.05, max_leaf_nodes=15, random_state=0
        ).fit(x[self.columns], y)
        return self

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        """Class probabilities (columns in ``classes`` order) from precomputed early features."""
        self.check_fitted()
        return self.model.predict_proba(x[self.columns])

    def predict(self, data: LabelledCascades) -> pd.DataFrame:
        """Per cascade: cascade_id, size so far, predicted class and the class probabilities."""
        x = early_features(data, self.minutes)
        proba = self.predict_proba(x)
        out = pd.DataFrame({"cascade_id": data.info["cascade_id"].to_numpy(), "size_so_far": x["size"].to_numpy(),
                            "predicted": np.asarray(self.classes)[proba.argmax(axis=1)]})  # fmt: skip
        for i, c in enumerate(self.classes):
            out[f"p_{c}"] = proba[:, i]
        return out


class SizeSoFarBaseline:
    """Classify by the size so far alone: thresholds = training quantiles of the size so far at the cumulative
    class shares of the training labels (so the baseline predicts each class as often as it occurs)."""

    def fit(self, size_so_far: np.ndarray, y: np.ndarray) -> SizeSoFarBaseline:
        shares = np.cumsum(np.bincount(y, minlength=int(y.max()) + 1))[:-1] / len(y)
        self.thresholds = np.quantile(np.asarray(size_so_far, dtype=float), shares)
        return self

    def predict(self, size_so_far: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.thresholds, np.asarray(size_so_far, dtype=float), side="left")


def evaluate_forecast(data: LabelledCascades, minutes: Sequence[float] = (30, 60, 180), k: int = 5, seed: int = 0
                      ) -> pd.DataFrame:  # fmt: skip
    """Event-grouped k-fold evaluation, one row per (minutes, model): majority class, size-so-far threshold and the
    gradient-boosting forecaster. Class edges are re-derived from each training fold (no test leakage)."""
    sizes = final_sizes(data)
    groups = data.info["group"].to_numpy()
    strat = size_class(sizes, size_class_edges(sizes))  # only to balance the folds
    folds = grouped_folds(groups, strat, k=k, seed=seed)
    rows = []
    for n in minutes:
        feats = early_features(data, n)
        preds: dict[str, list[np.ndarray]] = {"majority class": [], "size so far": [], "gradient boosting": []}
        truth = []
        for tr, te in folds:
            edges = size_class_edges(sizes[tr])
            ytr, yte = size_class(sizes[tr], edges), size_class(sizes[te], edges)
            truth.append(yte)
            preds["majority class"].append(np.full(len(te), np.bincount(ytr).argmax()))
            base = SizeSoFarBaseline().fit(feats["size"].to_numpy()[tr], ytr)
            preds["size so far"].append(base.predict(feats["size"].to_numpy()[te]))
            fc = SizeForecaster(minutes=n).fit_features(feats.iloc[tr], sizes[tr])
            preds["gradient boosting"].append(fc.predict_proba(feats.iloc[te]).argmax(axis=1))
        y = np.concatenate(truth)
        for name, p in preds.items():
            rows.append({"minutes": n, "model": name, **classification_scores(y, np.concatenate(p), SIZE_CLASSES)})
    out = pd.DataFrame(rows)
    out.insert(0, "dataset", ",".join(sorted(set(data.info["dataset"]))))
    out.insert(1, "cascades", len(sizes))
    out.insert(2, "events", int(len(np.unique(groups))))
    return out


def with_info(data: LabelledCascades, **columns: Any) -> LabelledCascades:
    """A copy with some ``info`` columns replaced (e.g. groups)."""
    return replace(data, info=data.info.assign(**columns))


def unlabelled(sc: StoreCascades, p: pd.DataFrame) -> LabelledCascades:
    """A store's cascades as unlabelled ``LabelledCascades``: cascade_id = ``platform:root_post_id``, the root
    post's text, time and its author's followers when posted (from ``p``: platform, post_id, text, created_at,
    author_followers; other root-user columns unknown), event group = the cascade itself."""
    p = p.set_index(p["platform"].astype(str) + ":" + p["post_id"].astype(str))
    ids = (sc.cascades["platform"].astype(str) + ":" + sc.cascades["root_post_id"].astype(str)).to_numpy()
    root = p.reindex(ids)
    info = pd.DataFrame({"dataset": "workspace", "cascade_id": ids, "label": None,
                         "text": root["text"].fillna("").to_numpy(dtype=object)})  # fmt: skip
    info["lang"] = [detect_lang(t) for t in info["text"]]
    posted = pd.to_datetime(root["created_at"], utc=True) if "created_at" in root else pd.Series(pd.NaT, root.index)
    info["posted"] = posted.dt.tz_localize(None).to_numpy()  # naive, as the corpora's
    for c in ROOT_USER_COLUMNS:
        info[c] = np.nan
    info["root_followers"] = pd.to_numeric(root["author_followers"], errors="coerce").to_numpy(dtype=float)
    info["group"] = np.arange(len(info))
    return LabelledCascades(sc.forest, sc.nodes["user_id"].to_numpy(dtype=object), info)


def read_corpus(data: str | Path, name: str, labels: bool = True) -> LabelledCascades:
    """A training corpus by name from the shared-data folder layout: ``twitter15``/``twitter16`` (in
    ``twitter15_16_propagation/``, or ``data`` itself when it holds the files) or ``ced``
    (``weibo_ced_rumor_cascades/``)."""
    data = Path(data)
    if name == "ced":
        sub = data / "weibo_ced_rumor_cascades"
        return read_ced(sub if sub.is_dir() else data)
    if name in ("twitter15", "twitter16"):
        sub = data / "twitter15_16_propagation"
        return read_twitter1516(sub if sub.is_dir() else data, [name], labels=labels)
    raise HudongError(f"unknown corpus {name!r}: use twitter15, twitter16 or ced")
