"""DuckDB vs local Spark over the same lake: every registered metric, timed side by side.

    python benchmarks/bench_engines.py                 # 1M interactions
    python benchmarks/bench_engines.py --rows 1M,10M   # both sizes, with the growth factor per 10x data
    python benchmarks/bench_engines.py --rows 10M --json bench.json --keep /tmp/lake10m

The data is a seeded synthetic brand (``synth_tables``: every fact table, ~1 post per 100 interactions),
written straight to a lake with ``LakeWriter`` (the demo generator goes through the import path, which
is not what is measured here). Each metric is computed with ``by=()`` and collected as Arrow on the
driver; the Spark session is started once and its start-up is reported separately.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hudong.store import schema as S

PLATFORMS = ("weibo", "wechat", "xiaohongshu", "douyin")
TYPES = ("like", "comment", "repost", "share", "click", "view", "impression", "follow", "mention", "dm", "save")
TYPE_P = (0.30, 0.12, 0.06, 0.03, 0.08, 0.20, 0.10, 0.03, 0.03, 0.02, 0.03)
EPOCH = np.datetime64("2024-01-01T00:00:00", "us")
YEAR_US = 366 * 86400 * 10**6


def _ids(prefix: str, n: int, start: int = 0) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(np.arange(start, start + n)), pa.string()), "")


def _ts(us: np.ndarray) -> pa.Array:
    """Timestamps with whole seconds, as platform exports give them."""
    us = np.asarray(us, dtype=np.int64)
    return pa.array(EPOCH + (us - us % 10**6).astype("timedelta64[us]"), pa.timestamp("us"))


def _masked(values: pa.Array | np.ndarray, keep: np.ndarray, type_: pa.DataType | None = None) -> pa.Array:
    arr = values if isinstance(values, pa.Array) else pa.array(values, type_)
    return pc.if_else(pa.array(keep), arr, pa.nulls(len(arr), arr.type))


def _table(name: str, cols: dict[str, pa.Array | np.ndarray | list]) -> pa.Table:
    t = S.TABLES[name]
    n = len(next(iter(cols.values())))
    full: dict[str, pa.Array] = {}
    schema = S.arrow_schema(t)
    for f in schema:
        if f.name in cols:
            v = cols[f.name]
            full[f.name] = v if isinstance(v, pa.Array) else pa.array(v, f.type)
        elif f.name == "source_file":
            full[f.name] = pa.array(["synthetic.parquet"] * n)
        elif f.name == "importer":
            full[f.name] = pa.array(["synthetic"] * n)
        elif f.name == "batch_id":
            full[f.name] = pa.array(["b-synth"] * n)
        else:
            full[f.name] = pa.nulls(n, f.type)
    return pa.table(full).cast(schema)


def synth_tables(n_interactions: int, seed: int = 7) -> dict[str, pa.Table]:
    """A seeded brand on 4 platforms: accounts, users, posts, interactions (with staff replies), follows,
    orders, survey answers and campaigns, all typed by the schema. Interactions: exactly ``n_interactions``."""
    rng = np.random.default_rng(seed)
    n_plat = len(PLATFORMS)
    plats = np.array(PLATFORMS)

    # accounts: one own and two competitors per platform
    acc_plat = np.repeat(np.arange(n_plat), 3)
    acc_own = np.tile([True, False, False], n_plat)
    acc_id = np.array([f"{PLATFORMS[p]}_acc{i % 3}" for i, p in enumerate(acc_plat)])
    accounts = _table(
        "accounts",
        {
            "platform": plats[acc_plat],
            "account_id": acc_id,
            "name": np.char.add("Brand ", acc_id),
            "brand": np.where(acc_own, "山茶社", np.char.add("rival", (np.arange(len(acc_id)) % 3).astype(str))),
            "is_own": acc_own,
            "aliases": [["山茶社", "shanchashe"] if o else [] for o in acc_own],
            "followers": rng.integers(10_000, 2_000_000, len(acc_id)),
            "created_at": _ts(-rng.integers(0, 3 * YEAR_US, len(acc_id))),
        },
    )

    # users, grouped by platform so an interaction's actor is on the post's platform
    n_users = max(2_000, n_interactions // 25)
    user_plat = np.sort(rng.integers(0, n_plat, n_users))
    plat_start = np.searchsorted(user_plat, np.arange(n_plat))
    plat_count = np.bincount(user_plat, minlength=n_plat)
    user_id = _ids("u", n_users)
    users = _table(
        "users",
        {
            "platform": plats[user_plat],
            "user_id": user_id,
            "name": _ids("name", n_users),
            "followers": rng.pareto(1.5, n_users).astype(np.int64) * 10,
            "following": rng.integers(0, 500, n_users),
            "posts_count": rng.integers(0, 300, n_users),
            "verified": rng.random(n_users) < 0.02,
            "gender": rng.choice(np.array(["f", "m", "u"]), n_users),
            "created_at": _ts(-rng.integers(0, 4 * YEAR_US, n_users)),
            "is_staff": rng.random(n_users) < 0.002,
        },
    )

    # campaigns: two per platform
    camp_plat = np.repeat(np.arange(n_plat), 2)
    camp_id = np.array([f"c{i}" for i in range(len(camp_plat))])
    camp_start = rng.integers(0, YEAR_US - 60 * 86400 * 10**6, len(camp_id))
    campaigns = _table(
        "campaigns",
        {
            "platform": plats[camp_plat],
            "campaign_id": camp_id,
            "name": np.char.add("Campaign ", camp_id),
            "start_at": _ts(camp_start),
            "end_at": _ts(camp_start + 30 * 86400 * 10**6),
            "budget": rng.integers(5, 200, len(camp_id)) * 1000.0,
            "goal": rng.choice(np.array(["awareness", "ugc", "sales"]), len(camp_id)),
        },
    )

    # posts: 45% own, 15% competitors', 40% UGC
    n_posts = max(300, n_interactions // 100)
    post_plat = rng.integers(0, n_plat, n_posts)
    kind = rng.choice(3, n_posts, p=[0.45, 0.15, 0.40])
    own_acc = acc_id[post_plat * 3]
    rival_acc = acc_id[post_plat * 3 + rng.integers(1, 3, n_posts)]
    ugc_author = user_id.take(
        pa.array(plat_start[post_plat] + (rng.random(n_posts) * plat_count[post_plat]).astype(np.int64))
    )
    account = np.where(kind == 0, own_acc, np.where(kind == 1, rival_acc, None))
    author = np.where(kind == 2, np.asarray(ugc_author), account)
    post_us = rng.integers(0, YEAR_US, n_posts)
    post_id = _ids("p", n_posts)
    in_campaign = (kind == 0) & (rng.random(n_posts) < 0.3)
    campaign = camp_id[post_plat * 2 + rng.integers(0, 2, n_posts)]
    is_repost = rng.random(n_posts) < 0.08
    parent = post_id.take(pa.array((rng.random(n_posts) * np.arange(n_posts)).astype(np.int64)))
    impressions = rng.integers(100, 200_000, n_posts)
    posts = _table(
        "posts",
        {
            "platform": plats[post_plat],
            "post_id": post_id,
            "author_id": author.astype(object),
            "account_id": account,
            "created_at": _ts(post_us),
            "text": _ids("post text about tea #", n_posts),
            "media_type": rng.choice(np.array(["text", "image", "video", "live"]), n_posts, p=[0.3, 0.4, 0.25, 0.05]),
            "topics": [["tea"], ["tea", "spring"], [], ["launch"]] * (n_posts // 4) + [[]] * (n_posts % 4),
            "campaign_id": _masked(campaign, in_campaign),
            "parent_id": _masked(parent, is_repost),
            "root_id": _masked(parent, is_repost),
            "is_ugc": kind == 2,
            "likes": rng.integers(0, 5_000, n_posts),
            "comments": rng.integers(0, 800, n_posts),
            "reposts": rng.integers(0, 400, n_posts),
            "saves": rng.integers(0, 300, n_posts),
            "clicks": rng.integers(0, 2_000, n_posts),
            "impressions": impressions,
            "reach": (impressions * rng.uniform(0.3, 0.9, n_posts)).astype(np.int64),
            "author_followers": rng.integers(100, 2_000_000, n_posts),
        },
    )

    # interactions on posts; a share of inbound comments/mentions/DMs get a staff reply (parent_id → it)
    n_replies = n_interactions // 25
    n_base = n_interactions - n_replies
    target = (rng.pareto(1.2, n_base) * n_posts / 20).astype(np.int64) % n_posts
    tplat = post_plat[target]
    itype = rng.choice(np.array(TYPES), n_base, p=TYPE_P)
    actor = user_id.take(pa.array(plat_start[tplat] + (rng.random(n_base) * plat_count[tplat]).astype(np.int64)))
    delay = np.minimum(rng.exponential(3 * 86400 * 10**6, n_base).astype(np.int64), 60 * 86400 * 10**6)
    when = post_us[target] + delay
    inbound = np.isin(itype, ["comment", "mention", "dm"]) & (kind[target] == 0) & (rng.random(n_base) < 0.6)
    has_dwell = np.isin(itype, ["view", "click"])
    has_text = np.isin(itype, ["comment", "mention", "dm"])
    # replies: answer the first n_replies inbound turns (those exist at these sizes; else fewer replies)
    asked = np.flatnonzero(inbound)[:n_replies]
    n_replies = len(asked)
    reply_delay = rng.lognormal(np.log(90 * 60e6), 1.2, n_replies).astype(np.int64)
    base_id = _ids("i", n_base)
    interactions = _table(
        "interactions",
        {
            "platform": np.concatenate([plats[tplat], plats[tplat[asked]]]),
            "interaction_id": pa.concat_arrays([base_id, _ids("r", n_replies)]),
            "type": np.concatenate([itype, np.where(itype[asked] == "dm", "dm", "reply")]),
            "actor_id": pa.concat_arrays([actor, pa.array(own_acc[target[asked]], pa.string())]),
            "target_post_id": pa.concat_arrays([post_id.take(pa.array(target)), post_id.take(pa.array(target[asked]))]),
            "target_user_id": pa.concat_arrays(
                [_masked(pa.array(own_acc[target], pa.string()), itype == "follow"), actor.take(pa.array(asked))]
            ),
            "created_at": _ts(np.concatenate([when, when[asked] + reply_delay])),
            "dwell_seconds": _masked(
                np.concatenate([rng.exponential(20, n_base), np.zeros(n_replies)]),
                np.concatenate([has_dwell, np.zeros(n_replies, bool)]),
                pa.float64(),
            ),
            "text": _masked(
                pa.concat_arrays([_ids("comment ", n_base), _ids("thanks ", n_replies)]),
                np.concatenate([has_text, np.ones(n_replies, bool)]),
            ),
            "parent_id": _masked(
                pa.concat_arrays([base_id, base_id.take(pa.array(asked))]),
                np.concatenate([np.zeros(n_base, bool), np.ones(n_replies, bool)]),
            ),
            "is_inbound": np.concatenate([inbound, np.zeros(n_replies, bool)]),
            "by_staff": np.concatenate([np.zeros(n_base, bool), np.ones(n_replies, bool)]),
            "is_automated": np.concatenate([np.zeros(n_base, bool), rng.random(n_replies) < 0.05]),
        },
    )

    n_follows = max(500, n_interactions // 50)
    f_plat = rng.integers(0, n_plat, n_follows)
    follower = plat_start[f_plat] + (rng.random(n_follows) * plat_count[f_plat]).astype(np.int64)
    followee = acc_id[f_plat * 3 + rng.integers(0, 3, n_follows)]
    follows = _table(
        "follows",
        {
            "platform": plats[f_plat],
            "follower_id": user_id.take(pa.array(follower)),
            "followee_id": followee,
            "created_at": _ts(rng.integers(-YEAR_US, YEAR_US, n_follows)),
        },
    )
    follows = follows.group_by(["platform", "follower_id", "followee_id"]).aggregate([("created_at", "min")])
    follows = _table("follows", {c.removesuffix("_min"): follows[c] for c in follows.column_names})

    n_orders = max(200, n_interactions // 60)
    buyer = rng.integers(0, n_users // 5, n_orders)  # a fifth of users buy, many more than once
    orders = _table(
        "orders",
        {
            "platform": np.full(n_orders, "shop"),
            "order_id": _ids("o", n_orders),
            "user_id": user_id.take(pa.array(buyer)),
            "created_at": _ts(rng.integers(0, YEAR_US, n_orders)),
            "amount": rng.gamma(2.0, 80.0, n_orders).round(2),
            "currency": np.full(n_orders, "CNY"),
            "product": rng.choice(np.array(["green", "black", "oolong"]), n_orders),
            "campaign_id": _masked(camp_id[rng.integers(0, len(camp_id), n_orders)], rng.random(n_orders) < 0.2),
        },
    )

    n_survey = max(100, n_interactions // 200)
    survey = _table(
        "survey_responses",
        {
            "platform": np.full(n_survey, "survey"),
            "response_id": _ids("s", n_survey),
            "survey_id": rng.choice(np.array(["nps-q1", "nps-q3"]), n_survey),
            "user_id": user_id.take(pa.array(rng.integers(0, n_users, n_survey))),
            "created_at": _ts(rng.integers(0, YEAR_US, n_survey)),
            "nps_score": rng.choice(11, n_survey, p=[0.03, 0.02, 0.03, 0.04, 0.05, 0.08, 0.1, 0.15, 0.2, 0.15, 0.15]),
        },
    )

    batches = _table(
        "import_batches",
        {
            "batch_id": ["b-synth"],
            "source_file": ["synthetic.parquet"],
            "importer": ["synthetic"],
            "started_at": _ts(np.array([0])),
            "status": ["ok"],
            "rows_read": [n_interactions],
        },
    )
    return {
        "accounts": accounts,
        "users": users,
        "campaigns": campaigns,
        "posts": posts,
        "interactions": interactions,
        "follows": follows,
        "orders": orders,
        "survey_responses": survey,
        "import_batches": batches,
    }


def write_lake(path: Path, tables: dict[str, pa.Table]) -> dict[str, int]:
    from hudong.store.lake import LakeWriter

    with LakeWriter(path) as lake, lake.transaction():
        for name, data in tables.items():
            lake.append(name, data)
    return {name: t.num_rows for name, t in tables.items()}


# ---- the benchmark ----------------------------------------------------------------------------------
def _rows(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 10**3, "M": 10**6, "G": 10**9}.get(text[-1], 1)
    return int(float(text.rstrip("KMG")) * mult)


def run_suite(tables, names: list[str]) -> dict[str, float | str]:
    from hudong import metrics

    out: dict[str, float | str] = {}
    for name in names:
        t0 = time.perf_counter()
        try:
            metrics.compute(tables, name)
            out[name] = time.perf_counter() - t0
        except Exception as e:  # a metric the engine cannot run is reported, not fatal to the benchmark
            out[name] = f"error: {type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''}"
        shown = f"{out[name]:.2f} s" if isinstance(out[name], float) else out[name]
        print(f"  {tables.engine:6} {name}: {shown}", file=sys.stderr, flush=True)  # partial figures survive a kill
    return out


def bench(n: int, workdir: Path, names: list[str], seed: int) -> dict:
    from hudong.store.engines import connect, spark_session

    lake = workdir / f"lake-{n}"
    t0 = time.perf_counter()
    if not lake.exists():
        write_lake(lake, synth_tables(n, seed))
    t_build = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in lake.rglob("*.parquet"))
    result: dict = {"rows": n, "build_s": t_build, "lake_mb": size / 1e6}
    with connect("duckdb", lake=lake) as tables:
        result["duckdb"] = run_suite(tables, names)
    t0 = time.perf_counter()
    spark_session()
    result["spark_start_s"] = time.perf_counter() - t0
    with connect("spark", lake=lake) as tables:
        run_suite(tables, names[:1])  # warm-up: JIT and first file listing, not part of the figures
        result["spark"] = run_suite(tables, names)
    return result


def _fmt(v: float | str | None) -> str:
    return f"{v:8.2f}" if isinstance(v, float) else ("       —" if v is None else "   error")


def report(results: list[dict], names: list[str]) -> str:
    lines = []
    head = "metric".ljust(36) + "".join(
        f"{'duckdb ' + _label(r['rows']):>14}{'spark ' + _label(r['rows']):>14}" for r in results
    )
    if len(results) > 1:
        head += f"{'duckdb x':>10}{'spark x':>10}"
    lines.append(head)
    for name in [*names, "TOTAL"]:
        row = name.ljust(36)
        for r in results:
            for eng in ("duckdb", "spark"):
                row += f"{_fmt(_value(r, eng, name)):>14}"
        if len(results) > 1:
            for eng in ("duckdb", "spark"):
                a, b = _value(results[0], eng, name), _value(results[-1], eng, name)
                row += f"{b / a:10.1f}" if isinstance(a, float) and isinstance(b, float) and a > 0 else f"{'—':>10}"
        lines.append(row)
    for r in results:
        lines.append(
            f"{_label(r['rows'])}: lake {r['lake_mb']:.0f} MB built in {r['build_s']:.1f} s; "
            f"Spark session start {r['spark_start_s']:.1f} s"
        )
    errors = [
        (r["rows"], e, n, v)
        for r in results
        for e in ("duckdb", "spark")
        for n, v in r[e].items()
        if isinstance(v, str)
    ]
    lines += [f"{_label(n)} {e} {name}: {v}" for n, e, name, v in errors]
    return "\n".join(lines)


def _value(r: dict, engine: str, name: str) -> float | str | None:
    if name == "TOTAL":
        vals = [v for v in r[engine].values() if isinstance(v, float)]
        return sum(vals) if vals else None
    return r[engine].get(name)


def _label(n: int) -> str:
    return f"{n // 10**6}M" if n % 10**6 == 0 else f"{n // 1000}k"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="1M", help="interaction counts, comma-separated (e.g. 1M,10M)")
    ap.add_argument("--metrics", default="", help="only these metrics (comma-separated); default: all registered")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the lakes in this directory (reused when present)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument(
        "--baseline", type=Path, help="JSON of an earlier run (e.g. 1M) to show beside, with growth factors"
    )
    args = ap.parse_args(argv)

    from hudong.metrics import REGISTRY

    names = [m for m in args.metrics.split(",") if m] or list(REGISTRY)
    sizes = [_rows(r) for r in args.rows.split(",")]
    with tempfile.TemporaryDirectory(prefix="hudong-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results = json.loads(args.baseline.read_text()) if args.baseline else []
        for n in sizes:
            print(f"… {_label(n)} interactions", file=sys.stderr, flush=True)
            results.append(bench(n, workdir, names, args.seed))
    text = report(results, names)
    print(f"hudong engines benchmark — {os.cpu_count()} cores, Spark local[2]\n{text}")
    if args.json:
        args.json.write_text(json.dumps(results[-len(sizes) :], indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
