"""Generate docs/scorecard.md from the rules, so the documentation cannot drift from the scoring.

python -m hudong.decide.docs > docs/scorecard.md
"""

from __future__ import annotations

from .recommendations import load_recommendation_rules
from .rules import EvidenceRule, Rules, load_rules

INTRO = """\
# 成熟度评分与行动建议 · Maturity scorecard and recommendations

> Generated from `src/hudong/decide/rules.toml`, `recommendations.toml` and `self_assessment_template.toml`
> by `python -m hudong.decide.docs > docs/scorecard.md`. Edit the TOML files, not this page.

hudong judges an organization on the five dimensions of the seed text (FAQ 1: 企业如何判断自己是否成功运用了社会化媒体思维):
用户参与度 user engagement, 用户关系质量 relationship quality, 数据驱动的决策能力 data-driven decisions,
品牌影响力 brand influence and 战略融合 strategic integration.

```python
from hudong.decide import build_scorecard, recommend_for
card = build_scorecard(ws, self_assessment=None, start=None, end=None)   # or ws.scorecard()
card.to_json()                 # dimensions → score, coverage, evidence (value, benchmark, points), missing
recommend_for(card)            # recommendations, each citing the evidence that fired it
```

## 计分规则 · How a score is computed

1. **Evidence → points.** Each evidence item is a number from the workspace's metrics (or a self-assessment
   answer). It maps to 0–100 points along a piecewise-linear curve: the points `[[x, y], …]` below are the knots;
   between knots the mapping is linear, outside them it is clamped to the first/last y.
   证据值按分段线性规则换算为 0–100 分（节点之间线性插值，超出两端取端点分）。
2. **Dimension = weighted mean of the evidence that exists.** `score = Σ pointsᵢ·wᵢ / Σ wᵢ` over the items that
   could be computed. 维度得分 = 已计算证据的加权平均。
3. **Missing evidence is never faked.** An item that cannot be computed (no orders imported, no survey, sentiment
   not available yet, a sample too small, no self-assessment …) is listed as *missing* with its reason and is left
   out of the mean. 无法计算的证据列为“缺失”并说明原因，不做估计。 Each item declares what it **needs**
   ([requirements](#前提条件--what-the-evidence-needs) below: own accounts, their posts, orders, a brand name …);
   an unmet requirement is checked first, so the item is missing with *what* is missing and *how to supply it*
   instead of a degenerate number (a UGC share of 100% because no own post was found, a rate of 0 of 0).
   `hudong status` and the web page `/status` list the same. 每项证据声明其前提条件；不满足时说明缺什么、如何补齐。
4. **Coverage** = Σ weights of computed items / Σ weights of all items of the dimension. A dimension with coverage
   below **{min_cov}** gets no score ("not scorable"). 覆盖率低于 {min_cov} 的维度不评分。
5. **Overall** = mean of the scorable dimensions (each dimension counts equally); overall coverage = mean of the
   five coverages. **Level** by overall score: {levels}.
6. **Insufficient evidence.** When the overall coverage is below **{min_overall}**, there is no overall score and
   no level: the CLI, JSON (`insufficient_evidence: true`, `overall: null`), web and report say "证据不足 /
   insufficient evidence" with the coverage. A grade from a fraction of the evidence would read as a verdict it
   is not. 总覆盖率低于 {min_overall} 时不给综合得分与等级，显示“证据不足”。

Benchmarks cite their source. Where no published benchmark exists, the value is **hudong's assumption** and is
marked so here and in the report (本项目假设). Platform benchmarks for Chinese platforms are mapped to Rival IQ's
(an assumption, see below).
"""

READING = """\
## 证据如何取数 · How the evidence is read

Every item is computed over the report period with `ws.metric(...)` (see docs/metrics.md for the metric
definitions); `hudong.decide.evidence` holds one small function per item. Items other than these use the metric's
single overall value:

- **er_followers_index** — for each platform, its engagement rate divided by the Rival IQ 2023 median of the
  platform it is compared with (weibo, mastodon, bluesky, twitter → X 0.035%; xiaohongshu → Instagram 0.47%;
  wechat → Facebook 0.06% by followers; douyin → TikTok 5.69% by *views*, i.e. `engagement_rate_impressions`,
  as Rival IQ measures TikTok). The item is the mean of these ratios weighted by each platform's own posts.
  Platforms with no match (reddit …) are left out. 1.0 = at the median.
- **posting_alignment** — the top quarter of weekday×hour slots by `best_posting_hours` (mean ER by impressions
  of own posts) are the "best hours"; the item is the share of own posts (`posts` by hour, weekday) published in
  them. Posting at random lands ≈25% there. Needs at least 4 slots with data.
- **campaign_tracking** — share of own posts (`posts` by campaign) that carry a campaign id.
- **share_of_voice / share_of_engagement** — the own brand's share divided by an equal share (1 / number of
  brands watched). Own brand = `accounts.brand` of own accounts, else `brand.name`, else the account name (the same
  rule as the metric). Missing when only one brand is watched.
- **nps** — missing when fewer than 30 answers (`min_n`); the report shows the 95% interval.
- **repurchase_rate** — missing with "no orders imported", or, when orders exist but none has been observed for a
  full `metrics.repurchase_window_days` window after the first order, with that reason (right-censoring).
- **net_sentiment** — net sentiment of word of mouth scored by `hudong text score`; missing until texts are scored.
- **self.\\*** — self-assessment answers (below).

"""

REQUIREMENTS = """\
## 前提条件 · What the evidence needs

Checked on the workspace by `hudong.decide.evidence.REQUIREMENT_CHECKS` (a count; 0 = missing) before an item is
computed; `after` = a requirement that must be met first, whose message is then the one shown (no "no own posts"
before there are own accounts). `hudong status` (`--json`, `--quick`) and the web page `/status` list every
requirement with its count and every item with its state; an empty measure (`hudong metrics`, the web pages, the
report's charts) names the first unmet requirement of the metric the same way.

| requirement | 名称 | missing | how to supply it 补齐方法 | needed by |
|---|---|---|---|---|
"""

SELF_ASSESSMENT = """\
## 自评问卷 · Self-assessment

Strategy and organization cannot be read from exports, so the scorecard asks. Copy
`src/hudong/decide/self_assessment_template.toml`, remove the `#` in front of `answer` and give a whole number
0–4 (0 = not at all 完全没有, 1 = occasionally 偶尔, 2 = partly 部分做到, 3 = mostly, as a routine 大部分做到,
4 = fully and consistently 全面且持续). Point the workspace at it in `hudong.toml`:

```toml
[scorecard]
self_assessment = "self-assessment.toml"   # relative to the workspace directory
```

or pass `build_scorecard(ws, self_assessment=Path(...))`. An answer maps to `answer × 25` points. Only `answer`
is read from your copy; dimensions and weights always come from the packaged template. Errors name the file and
the question, e.g. `sa.toml: [agile_iteration] answer must be a whole number from 0 to 4, got 5`.
Unanswered questions are missing evidence. Without a file, 战略融合 is not scorable.

| question | dimension | weight | 问题 | question (en) |
|---|---|---|---|---|
"""

RECS = """\
## 行动建议 · Recommendations

Drawn from the seed's FAQ 2 (six low-cost practices for small organizations) and its text ("及时回应用户的评论和私信").
A recommendation fires when any of its conditions holds (all of them for `all` rules) on the scorecard's evidence,
and it cites each condition that fired: evidence, metric, value, threshold and the benchmark with its source.
Comparisons never fire on missing evidence; `missing` conditions fire exactly then. Priority 1 = high.

| id | priority | fires when | 建议 | recommendation |
|---|---|---|---|---|
"""


def _fmt_x(x: float, unit: str) -> str:
    if unit == "percent":
        return f"{x * 100:g}%"
    if unit == "index":
        return f"{x:g}×"
    if unit == "minutes":
        return f"{x:g} min"
    return f"{x:g}"


def _mapping(e: EvidenceRule) -> str:
    return " · ".join(f"{_fmt_x(x, e.unit)}→{y:g}" for x, y in e.points)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _profiles(brand: Rules) -> list[str]:
    """The public profile against the default (brand): what it drops and what it calls differently."""
    public = load_rules("public")
    keys = {e.key for d in public.dimensions for e in d.evidence}
    dropped = [e.key for d in brand.dimensions for e in d.evidence if e.key not in keys]
    out = ["## Profiles · 机构类型\n",
           "hudong.toml `profile = \"public\"` (政府部门、医疗机构; docs/public-service.md) scores the same dimensions "
           f"for citizens: it drops {', '.join(f'`{k}`' for k in dropped)} (no commerce; its weight leaves the "
           "dimension) and words these differently (`[profiles.public]` in rules.toml):\n",
           "| item | brand (default) | public |", "|---|---|---|"]
    for d in brand.dimensions:
        p = public.dimension(d.key)
        if (p.zh, p.en) != (d.zh, d.en):
            out.append(f"| dimension `{d.key}` | {_cell(d.zh)} {_cell(d.en)} | {_cell(p.zh)} {_cell(p.en)} |")
        for e in p.evidence:
            b = brand.evidence_rule(e.key)
            if (b.zh, b.en) != (e.zh, e.en):
                out.append(f"| `{e.key.removeprefix('self.')}` | {_cell(b.en)} | {_cell(e.zh)}<br>{_cell(e.en)} |")
    out.append("")
    return out


def markdown() -> str:
    rules = load_rules()
    levels = ", ".join(
        f"≥{b:g} {zh} {en}" for b, zh, en in zip(rules.level_bounds, rules.level_zh, rules.level_en, strict=True)
    )
    cov = f"{rules.min_coverage:.0%}"
    out = [INTRO.format(min_cov=cov, levels=levels, min_overall=f"{rules.min_overall_coverage:.0%}")]
    for d in rules.dimensions:
        data = [e for e in d.evidence if e.unit != "answer"]
        answers = [e for e in d.evidence if e.unit == "answer"]
        total = sum(e.weight for e in d.evidence if not e.replaces)  # one of an item and what it replaces counts
        out.append(f"## {d.zh} · {d.en}\n")
        out.append(f"{d.what_zh}。{d.what_en}.\n")
        if data:
            out.append("| evidence 证据 | metric | needs | weight | mapping (value→points) | benchmark 基准 | source |")
            out.append("|---|---|---|---|---|---|---|")
            for e in data:
                tag = " *(hudong assumption 本项目假设)*" if e.assumption else ""
                note = f" {e.note_en}" if e.note_en else ""
                if e.replaces:
                    note += f" Replaces the answer `{e.replaces.removeprefix('self.')}` when it can be computed."
                needs = ", ".join(f"`{n}`" for n in e.needs) or "—"
                out.append(
                    f"| {_cell(e.zh)}<br>{_cell(e.en)} | `{e.metric}` | {needs} | {e.weight:g} | {_mapping(e)} | "
                    f"{_cell(e.benchmark_en)}{tag}{_cell(note)} | {_cell(e.source)} |"
                )
            out.append("")
        if answers:
            w = sum(e.weight for e in answers)
            out.append(
                f"Self-assessment questions (weight {w:g} of {total:g}): "
                + ", ".join(f"`{e.key.removeprefix('self.')}`" for e in answers)
                + ".\n"
            )
        if not data:
            out.append("Scored from the self-assessment only: the data cannot show strategy or organization.\n")
    out.extend(_profiles(rules))
    out.append(REQUIREMENTS.rstrip("\n"))
    for r in rules.requirements.values():
        used = [e.key for d in rules.dimensions for e in d.evidence
                if any(r.key in rules.chain(n) for n in e.needs)]  # fmt: skip
        used_text = ", ".join(f"`{k}`" for k in used if not k.startswith("self.")) or ""
        if any(k.startswith("self.") for k in used):
            used_text = ", ".join(filter(None, [used_text, "every self-assessment question"]))
        after = f" (after `{r.after}`)" if r.after else ""
        out.append(f"| `{r.key}`{after} | {_cell(r.zh)} {_cell(r.en)} | {_cell(r.missing_en)} | {_cell(r.how_en)}<br>"
                   f"{_cell(r.how_zh)} | {used_text} |")
    out.append("")
    out.append(READING)
    out.append(SELF_ASSESSMENT.rstrip("\n"))
    for q in rules.questions:
        dim = rules.dimension(q.dimension)
        out.append(f"| `{q.key}` | {dim.zh} {dim.en} | {q.weight:g} | {_cell(q.zh)} | {_cell(q.en)} |")
    out.append("")
    out.append(RECS.rstrip("\n"))
    for r in load_recommendation_rules():
        joiner = " and " if r.require_all else " or "
        conds = joiner.join(
            f"`{c.evidence}` missing" if c.op == "missing" else f"`{c.evidence}` {c.op} {c.value:g}"
            for c in r.conditions
        )
        out.append(f"| `{r.id}` | {r.priority} | {conds} | {_cell(r.zh)} | {_cell(r.en)} |")
    out.append("")
    out.append(
        "`active_platforms` = platforms with own posts in the period. `{top_platforms}` in a text = the two "
        "platforms with the highest engagement index; `{best_hours}` = the hours of the best weekday×hour slots.\n"
    )
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(), end="")
