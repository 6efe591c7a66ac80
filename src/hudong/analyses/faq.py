"""Recurring questions and the organization's best answers: the FAQ a public service (政务、医疗) or a brand can
publish, built from what people really ask (issue #17.6).

- A question is an inbound message (comment, reply, DM or mention addressed to the organization, staff and
  automated rows out) that ``text.questions`` reads as one.
- Questions are grouped like ideas (``text.ideas``: TF-IDF of characters / words, a leader pass oldest first,
  the cue words every question shares removed). A group asked at least ``min_count`` times is a recurring question.
- The official answer to a question is the first human staff reply in its conversation at or after it (the
  conversation rule of ``metrics.responsiveness.messages``, as the response-time measures use). A group's best
  answer is the most central of its answers (the medoid of their TF-IDF vectors): the answer the team converged on,
  robust to a one-off reply. Its agreement is the share of the answers that say much the same (TF-IDF cosine ≥
  ``SAME_ANSWER``); below ``AGREED`` (or fewer than ``AGREED_N`` answers agreeing) the team answers the question
  in different ways and there is no official answer yet. A group without answers has none either: both are gaps to fill.
- Per group: how often asked and by how many people, the share answered, the median minutes to the answer (wall
  clock), first and last asked, an example question and the messages' ids (to open them in the inbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hudong.analyses.base import Filters, Result, analysis
from hudong.metrics import tables_of
from hudong.metrics.common import Query, filter_obs
from hudong.metrics.responsiveness import messages
from hudong.text import ideas as I
from hudong.text import questions as Q

THRESHOLD = 0.3  # questions are short: a higher similarity than ideas' keeps "能开发票吗" apart from "能退货吗"
SAME_ANSWER = 0.5  # two answers this similar (cosine of TF-IDF) say much the same
AGREED = 0.5  # a best answer at least this share of the answers agree with is the team's answer …
AGREED_N = 3  # … when at least this many do (two random replies that happen to match are no consensus)


@dataclass(frozen=True)
class FaqParams(Filters):
    min_count: int = 3  # asked at least this often to be a recurring question
    threshold: float = THRESHOLD
    limit: int = 50_000  # the most recent questions grouped (grouping is linear in questions × groups)


def _conversations(ws: Any, p: FaqParams) -> pd.DataFrame:
    """Inbound questions with the first staff answer in their conversation: platform, interaction_id, actor_id,
    text, ts, cue, answer, answered_at, minutes; oldest first."""
    t = tables_of(ws)  # the workspace file (the analysis runs on DuckDB)
    m = messages(t)
    staff = m.filter(m.staff).select(a_platform=m.platform, a_conv=m.conv, a_ts=m.ts, answer=m.text)
    inbound = m.filter(~m.staff, m.text.notnull())
    q = Query.make((), p.start, p.end, p.platform, None, None, None)
    inbound = filter_obs(inbound, q)
    j = inbound.left_join(staff, [inbound.platform == staff.a_platform, inbound.conv == staff.a_conv,
                                  inbound.answered_at == staff.a_ts])  # fmt: skip
    j = j.select("platform", "interaction_id", "actor_id", "text", "ts", "answered_at", "answer")
    df = ws.ibis.to_pyarrow(j).to_pandas()
    df = df.drop_duplicates("interaction_id").sort_values(["ts", "interaction_id"])
    cues = Q.classify(df["text"])
    df["cue"] = [c.cue for c in cues]
    df = df[np.array([c.is_question for c in cues], dtype=bool)].tail(p.limit).reset_index(drop=True)
    df["minutes"] = (df["answered_at"] - df["ts"]).dt.total_seconds() / 60
    return df


def _best_answer(answers: list[str]) -> tuple[str, float]:
    """The most central answer (TF-IDF medoid) and the agreement: the share of the answers that say much the same
    (cosine similarity to it ≥ SAME_ANSWER). Low agreement: the team answers this question in different ways."""
    if len(answers) == 1:
        return answers[0], 1.0
    vec = I.vectorizer().fit(answers)
    x = vec.transform(answers)
    centre = np.asarray(x.mean(axis=0)).ravel()
    best = int(np.argmax(x @ centre))
    sims = np.asarray((x @ x[best].T).todense()).ravel()
    return answers[best], float((sims >= SAME_ANSWER).mean())


@analysis("faq", "常见问题", "Recurring questions (FAQ)", tables=("interactions", "accounts"), params=FaqParams,
          steps=2)  # fmt: skip
def faq(ws: Any, p: FaqParams, step: Any) -> Result:
    """Frames ``faq`` (one row per recurring question: question, asked, askers, answered, median_minutes,
    best_answer, agreement, answers, official — the best answer is the team's: agreement ≥ AGREED by at least
    AGREED_N answers —, first_asked, last_asked, ids, latest: the inbox item of the latest; most asked first) and
    ``questions`` (every question: its group, cue and answer); values ``questions``, ``recurring``, ``covered`` (share of questions that a recurring
    question is), ``answered`` (share of all questions answered) and ``median_minutes``."""
    step("finding questions")
    qs = _conversations(ws, p)
    step("grouping")
    groups = I.group(qs["text"].tolist(), p.threshold) if len(qs) else I.Grouping(np.zeros(0, np.int64), [], [])
    qs["group"] = groups.labels
    rows = []
    for g, part in qs[qs["group"] >= 0].groupby("group"):
        if len(part) < p.min_count:
            continue
        answers = part["answer"].dropna().tolist()
        best, agreement = _best_answer(answers) if answers else (None, None)
        rows.append({
            "question": groups.titles[int(g)], "asked": len(part),
            "askers": part[["platform", "actor_id"]].drop_duplicates().shape[0],
            "answered": float(part["answer"].notna().mean()), "median_minutes": part["minutes"].median(),
            "best_answer": best, "agreement": agreement, "answers": len(answers),
            "official": bool(answers) and agreement >= AGREED and round(agreement * len(answers)) >= AGREED_N,
            "first_asked": part["ts"].min(), "last_asked": part["ts"].max(),
            "ids": part["interaction_id"].tolist(),
            "latest": f"{part['platform'].iloc[-1]}:{part['interaction_id'].iloc[-1]}",  # the inbox item to open
        })  # fmt: skip
    cols = ["question", "asked", "askers", "answered", "median_minutes", "best_answer", "agreement", "answers",
            "official", "first_asked", "last_asked", "ids", "latest"]  # fmt: skip
    table = pd.DataFrame(rows, columns=cols).sort_values(["asked", "first_asked"], ascending=[False, True])
    n = len(qs)
    values = {"questions": n, "recurring": len(table), "covered": float(table["asked"].sum() / n) if n else None,
              "answered": float(qs["answer"].notna().mean()) if n else None,
              "median_minutes": float(qs["minutes"].median()) if qs["minutes"].notna().any() else None}  # fmt: skip
    notes = [] if n else ["no questions in the messages addressed to the organization"]
    return Result({"faq": table.reset_index(drop=True), "questions": qs}, values, notes)
