"""The demo brand's experiments on its own posts, with effects known in advance (docs/experiments.md, "The demo").

Four post experiments, one per ``Trial``: a clear win (a question at the end of a Weibo post, +30 % engagements per
impression), a null (小红书 at 21:00 instead of noon, no effect), one stopped early by the sequential rule (subtitles
on Douyin videos, +60 %) and one still running (numbers in Weibo titles, +15 %). Each day's posts are randomised
into the arms by ``hudong.plan.experiments.randomise`` with a seed of that trial and day; the generator draws their
engagement from the arm (``posts``), and ``register`` replays the experiment in the workspace at the times it
happened — created, started, each day's posts assigned by ``assign`` with the same seed (checked to give the same
arms), stopped when the sequential rule says so, concluded with a decision — so hudong's own analysis has to recover
the effects the data were drawn with.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from hudong.demo.brand import ACCOUNTS, DOUYIN, OWN_ACCOUNT, WEIBO, XHS
from hudong.demo.tables import PLATFORM_NAMES, URL_PREFIX, _str, _table, _ts
from hudong.errors import HudongError
from hudong.plan import clock
from hudong.plan import experiments as E

SHARES = {"likes": 0.62, "comments": 0.12, "reposts": 0.1, "saves": 0.1, "clicks": 0.06}  # of a post's engagements
PLANNER, MANAGER = "运营-小林", "市场部-王经理"


@dataclass(frozen=True)
class Trial:
    key: str
    name: str
    hypothesis: str
    platform: int
    arms: tuple[str, str]  # control first
    effect: float  # the true relative change in engagements per impression, variant vs control
    start: str  # first day
    days: int
    per_day: int  # posts a day (both arms)
    stop_rule: str
    planned_n: int  # per arm
    mde: float
    base_rate: float  # engagements per impression of control
    hours: tuple[int, int] | None = None  # (control, variant) publishing hour when time is the treatment
    decision: str | None = None  # what was decided (None: still running)
    action: str | None = None  # what the decision does: ship, keep, iterate, abandon
    text: tuple[str, str] = ("", "")  # what the variant adds to the control's text (control, variant)


TRIALS = (
    Trial("question", "微博文案以提问结尾", "以提问结尾的微博比陈述结尾的互动率(互动/曝光)高,评论区更活跃", WEIBO,
          ("control", "question"), 0.30, "2026-02-02", 46, 6, "fixed", 138, 0.2, 0.032,
          decision="从4月起微博文案默认以提问结尾;继续观察评论质量", action="ship",
          text=("欢迎收藏。", "你平时怎么喝?评论区告诉我们~")),
    Trial("evening", "小红书晚间9点发布", "晚上9点发布的笔记比中午12点发布的互动率高", XHS, ("noon", "evening"), 0.0,
          "2026-03-09", 46, 6, "fixed", 138, 0.2, 0.045, hours=(12, 21),
          decision="两个时段没有可检测的差异:保持中午发布,不再为晚间时段加班", action="keep"),
    Trial("subtitles", "抖音视频加字幕", "带中文字幕的视频互动率更高(很多人静音刷视频)", DOUYIN,
          ("control", "subtitles"), 0.60, "2026-04-06", 50, 4, "sequential", 100, 0.2, 0.028,
          decision="序贯检验提前停止:所有视频加字幕,字幕模板交给剪辑同事", action="ship", text=("", "【字幕版】")),
    Trial("numbers", "微博标题含数字", "标题里带具体数字(3个技巧、85℃)的微博互动率更高", WEIBO,
          ("control", "numbers"), 0.15, "2026-06-08", 23, 4, "fixed", 150, 0.15, 0.032,
          text=("冲泡有讲究", "记住3个数字:85℃、3克、10秒")),
)  # fmt: skip


def _day0(trial: Trial) -> dt.datetime:
    return dt.datetime.fromisoformat(trial.start)


def day_seed(seed: int, trial: Trial, day: int) -> int:
    return zlib.crc32(f"{seed}:{trial.key}:{day}".encode())


def unit_id(trial: Trial, post_id: str) -> str:
    return f"{PLATFORM_NAMES[trial.platform]}:{post_id}"


def plan(seed: int, trial: Trial) -> list[dict[str, Any]]:
    """The trial's posts, one dict per post: day, unit, block, arm (from ``randomise``), time planned and posted."""
    rng = np.random.default_rng([seed, zlib.crc32(f"experiment-{trial.key}".encode())])
    first = 5_299_000_000_000_000 + zlib.crc32(trial.key.encode()) % 1000 * 10**6
    out: list[dict[str, Any]] = []
    for day in range(trial.days):
        date = _day0(trial) + dt.timedelta(days=day)
        ids = [str(first + day * 100 + i) for i in range(trial.per_day)]
        units = [(unit_id(trial, p), f"{date.strftime('%a')}") for p in ids]
        arms = E.randomise(units, trial.arms, (1.0, 1.0), day_seed(seed, trial, day))
        for (u, block), pid in zip(units, ids, strict=True):
            arm = arms[u]
            if trial.hours:
                hour = trial.hours[trial.arms.index(arm)]
                minute = int(rng.integers(0, 20))
            else:
                hour, minute = int(rng.integers(10, 21)), int(rng.integers(0, 60))
            out.append({"day": day, "unit": u, "post_id": pid, "block": block, "arm": arm,
                        "planned": date.replace(hour=9), "posted": date.replace(hour=hour, minute=minute)})  # fmt: skip
    return out


def posts(seed: int) -> pa.Table:
    """Rows of the ``posts`` table for every trial's posts; engagement drawn with the arm's true rate: per post a
    rate from a Beta around the arm's mean (posts differ), impressions log-normal, engagements binomial."""
    cols: dict[str, list[Any]] = {k: [] for k in ("platform", "post_id", "account", "time", "text", "media",
                                                  "impressions", *SHARES)}  # fmt: skip
    for trial in TRIALS:
        rng = np.random.default_rng([seed, zlib.crc32(f"engagement-{trial.key}".encode())])
        rows = plan(seed, trial)
        n = len(rows)
        variant = np.array([r["arm"] != trial.arms[0] for r in rows])
        mean = trial.base_rate * np.where(variant, 1 + trial.effect, 1.0)
        rate = rng.beta(mean * 150, (1 - mean) * 150)
        imp = np.ceil(rng.lognormal(np.log(4000), 0.7, n)).astype(np.int64)
        eng = rng.binomial(imp, rate)
        split = np.array([rng.multinomial(e, list(SHARES.values())) for e in eng]).reshape(n, len(SHARES))
        account = OWN_ACCOUNT[trial.platform]
        for i, r in enumerate(rows):
            arm_text = trial.text[trial.arms.index(r["arm"])]
            body = f"今天的{['明前龙井', '白桃乌龙', '桂花乌龙', '普洱熟茶'][i % 4]}第{r['day'] + 1}期。"
            text = f"{arm_text}{body}" if trial.key in ("numbers", "subtitles") else f"{body}{arm_text}"
            cols["platform"].append(trial.platform)
            cols["post_id"].append(r["post_id"])
            cols["account"].append(account)
            cols["time"].append(int(np.datetime64(r["posted"], "s").astype(np.int64)))
            cols["text"].append(text)
            cols["media"].append("video" if trial.platform == DOUYIN else "image")
            cols["impressions"].append(int(imp[i]))
            for j, k in enumerate(SHARES):
                cols[k].append(int(split[i, j]))
    n = len(cols["post_id"])
    platform = np.array(cols["platform"])
    imp = np.array(cols["impressions"], dtype=np.int64)
    ids = np.array(cols["post_id"], dtype=object)
    prefix = np.array([URL_PREFIX[p] for p in cols["platform"]], dtype=object)
    none = np.full(n, None, dtype=object)
    return _table("posts", {
        "platform": _str(PLATFORM_NAMES[platform]), "post_id": _str(ids),
        "author_id": _str(np.array([ACCOUNTS[a].account_id for a in cols["account"]], dtype=object)),
        "account_id": _str(np.array([ACCOUNTS[a].account_id for a in cols["account"]], dtype=object)),
        "created_at": _ts(np.array(cols["time"])), "text": _str(np.array(cols["text"], dtype=object)),
        "media_type": _str(np.array(cols["media"], dtype=object)), "topics": _str(np.full(n, "[]", dtype=object), empty_is_null=False),
        "campaign_id": _str(none), "parent_id": _str(none), "root_id": _str(none), "is_ugc": pa.array(np.zeros(n, bool)),
        **{k: pa.array(np.array(cols[k], dtype=np.int64)) for k in SHARES},
        "impressions": pa.array(imp), "reach": pa.array((imp * 0.7).astype(np.int64)),
        "author_followers": pa.array(np.array([ACCOUNTS[a].followers for a in cols["account"]], dtype=np.int64)),
        "url": _str(prefix + ids),
    })  # fmt: skip


def register(ws: Any, seed: int) -> list[dict[str, Any]]:
    """Replay the trials in ``ws`` (module doc); the experiments, as ``get`` returns them."""
    done = []
    for trial in TRIALS:
        rows = plan(seed, trial)
        day0 = _day0(trial)
        with clock.at(day0 - dt.timedelta(days=6, hours=-10)):
            exp = E.create(ws, name=trial.name, hypothesis=trial.hypothesis, design="posts",
                           primary_metric="engagement_rate", guardrails=["comments"], by=PLANNER, arms=trial.arms,
                           mde=trial.mde, planned_n=trial.planned_n, stop_rule=trial.stop_rule)  # fmt: skip
        eid = exp["experiment_id"]
        with clock.at(day0.replace(hour=8)):
            E.start(ws, eid, PLANNER)
        last = day0
        for day in range(trial.days):
            today = [r for r in rows if r["day"] == day]
            got = E.assign(ws, eid, [(r["unit"], r["block"]) for r in today], at={r["unit"]: r["planned"] for r in today},
                           seed=day_seed(seed, trial, day))  # fmt: skip
            if got != {r["unit"]: r["arm"] for r in today}:
                raise HudongError(f"demo experiment {trial.key}: hudong's assignment differs from the generator's")
            last = day0 + dt.timedelta(days=day, hours=23)
            if trial.stop_rule == "sequential" and E.analyze(ws, eid, now=last)["verdict"].startswith("stop"):
                break
        if trial.decision is None:
            done.append(E.get(ws, eid))
            continue
        with clock.at(last):
            E.stop(ws, eid, PLANNER)
        with clock.at(last + dt.timedelta(days=2 if trial.stop_rule == "fixed" else 1, hours=1)):
            done.append(E.conclude(ws, eid, MANAGER, trial.decision, action=trial.action))
    return done
