"""Every label of the report in Chinese and English (the Chinese report is entirely in Chinese)."""

from __future__ import annotations

LANGS = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    # document
    "title": ("社会化媒体运营报告", "Social media report"),
    "subtitle": ("成熟度评分、趋势与行动建议", "Maturity scorecard, trends and recommendations"),
    "period": ("统计期间", "Period"),
    "all_data": ("全部数据", "All data"),
    "generated": ("生成时间", "Generated"),
    "workspace": ("工作区", "Workspace"),
    "generated_by": ("由 互动 hudong 生成 · 离线自托管分析", "Made with 互动 hudong · self-hosted analytics"),
    "contents": ("目录", "Contents"),
    # sections
    "summary": ("概览", "Summary"),
    "scorecard": ("成熟度评分", "Maturity scorecard"),
    "trends": ("趋势", "Trends"),
    "top_posts": ("热门帖子", "Top posts"),
    "ugc": ("用户生成内容（UGC）", "User-generated content (UGC)"),
    "community": ("社群与留存", "Community and retention"),
    "nps": ("净推荐值（NPS）", "Net Promoter Score (NPS)"),
    "response": ("回复速度", "Response times"),
    "best_hours": ("最佳发布时段", "Best posting hours"),
    "recommendations": ("行动建议", "Recommendations"),
    "missing": ("缺失的证据", "Missing evidence"),
    "method": ("评分方法", "How the scores are computed"),
    # summary
    "overall": ("综合得分", "Overall score"),
    "level": ("成熟度等级", "Maturity level"),
    "coverage": ("证据覆盖率", "Evidence coverage"),
    "not_scorable": ("证据不足，无法评分", "Not enough evidence to score"),
    "kpi_posts": ("自有帖子", "Own posts"),
    "kpi_engagements": ("互动总量", "Engagements"),
    "kpi_er": ("互动率（按触达）", "Engagement rate (reach)"),
    "kpi_ugc": ("UGC 数量", "UGC posts"),
    "kpi_mau": ("月活跃用户（最近一月）", "Monthly active users (latest)"),
    "kpi_nps": ("NPS", "NPS"),
    "kpi_response": ("首次回复中位数", "Median first response"),
    "top_recs": ("最优先的行动", "Top actions"),
    # scorecard table
    "dimension": ("维度", "Dimension"),
    "score": ("得分", "Score"),
    "evidence": ("证据", "Evidence"),
    "value": ("数值", "Value"),
    "benchmark": ("对比基准", "Benchmark"),
    "points": ("分数", "Points"),
    "weight": ("权重", "Weight"),
    "mapping": ("换算", "Mapping"),
    "source": ("来源", "Source"),
    "assumption": ("本项目假设", "hudong assumption"),
    "reason": ("原因", "Reason"),
    "no_evidence": ("暂无可计算的证据。", "No evidence could be computed."),
    "per_platform": ("分平台", "By platform"),
    # charts
    "week": ("周", "Week"),
    "day": ("日期", "Day"),
    "month": ("月份", "Month"),
    "platform": ("平台", "Platform"),
    "er_followers": ("互动率（按粉丝）", "Engagement rate (followers)"),
    "er_trend": (
        "各平台每周互动率（按粉丝，每帖平均）",
        "Weekly engagement rate by platform (by followers, mean per post)",
    ),
    "active_users": ("日活跃用户（DAU）与月活跃用户（MAU）", "Daily (DAU) and monthly (MAU) active users"),
    "dau": ("日活", "DAU"),
    "mau": ("月活", "MAU"),
    "users": ("用户数", "Users"),
    "stickiness": ("粘性（日活/月活）", "Stickiness (DAU/MAU)"),
    "ugc_weekly": ("每周 UGC 数量与占比", "Weekly UGC volume and share"),
    "ugc_volume": ("UGC 数量", "UGC posts"),
    "ugc_share": ("UGC 占比", "UGC share"),
    "orbit": ("社群轨道层级（Orbit 模型）", "Community orbit levels (Orbit model)"),
    "orbit_level": ("层级", "Level"),
    "members": ("成员数", "Members"),
    "orbit_1": ("1 引领者", "1 Leading"),
    "orbit_2": ("2 贡献者", "2 Contributing"),
    "orbit_3": ("3 参与者", "3 Participating"),
    "orbit_4": ("4 探索者", "4 Exploring"),
    "retention": ("留存队列热力图", "Retention cohorts"),
    "cohort": ("首次互动队列", "Cohort (first activity)"),
    "period_n": ("之后第 N 期", "Periods later"),
    "retained": ("留存率", "Retained"),
    "nps_interval": ("NPS 及其 95% 置信区间", "NPS with its 95% confidence interval"),
    "nps_counts": (
        "推荐者 {p} · 被动者 {pa} · 贬损者 {d} · 共 {n} 份",
        "Promoters {p} · passives {pa} · detractors {d} · {n} answers",
    ),
    "nps_bands": (
        "参考分档：0 以上良好，30 以上很好，50 以上优秀",
        "Reference bands: above 0 good, above 30 great, above 50 excellent",
    ),
    "first_response": ("首次回复时长中位数（工作时间，分钟）", "Median first-response time (business hours, minutes)"),
    "minutes": ("分钟", "Minutes"),
    "response_rate": ("回复率", "Response rate"),
    "sla_line": ("4 小时期望（Sprout）", "4 h expectation (Sprout)"),
    "best_hours_heat": ("各时段互动率（星期 × 小时）", "Engagement rate by weekday × hour"),
    "hour": ("小时", "Hour"),
    "weekday": ("星期", "Weekday"),
    "wd_1": ("周一", "Mon"),
    "wd_2": ("周二", "Tue"),
    "wd_3": ("周三", "Wed"),
    "wd_4": ("周四", "Thu"),
    "wd_5": ("周五", "Fri"),
    "wd_6": ("周六", "Sat"),
    "wd_7": ("周日", "Sun"),
    "no_data": ("暂无数据", "No data"),
    "share_of_voice": ("声量份额", "Share of voice"),
    "brand": ("品牌", "Brand"),
    # top posts
    "posted": ("发布时间", "Posted"),
    "text": ("内容", "Text"),
    "format": ("形式", "Format"),
    "engagements": ("互动", "Engagements"),
    "impressions": ("曝光", "Impressions"),
    "er": ("互动率", "ER"),
    "er_post": ("互动率（按粉丝；抖音按播放）", "ER (followers; Douyin: views)"),
    "likes": ("点赞", "Likes"),
    "comments": ("评论", "Comments"),
    "reposts": ("转发", "Reposts"),
    # recommendations
    "priority": ("优先级", "Priority"),
    "priority_1": ("高", "High"),
    "priority_2": ("中", "Medium"),
    "priority_3": ("低", "Low"),
    "because": ("依据", "Because"),
    "no_recs": ("没有触发的建议。", "No recommendation was triggered."),
    "is_missing": ("缺失", "missing"),
    "threshold": ("阈值", "threshold"),
    "missing_intro": (
        "以下证据无法从现有数据计算，因此没有计入评分（不做估计）。补齐这些数据可以让评分更完整。",
        "The evidence below could not be computed from the data, so it is not scored (nothing is estimated). "
        "Adding this data makes the scorecard more complete.",
    ),
    "method_intro": (
        "每项证据按分段线性规则换算为 0–100 分；维度得分是已计算证据的加权平均；覆盖率 = 已计算证据的权重 ÷ 全部证据的权重；"
        "覆盖率低于 {min_cov} 的维度不评分。综合得分是可评分维度的平均。完整规则见 docs/scorecard.md。",
        "Each evidence value maps to 0–100 points along a piecewise-linear curve; a dimension's score is the weighted mean "
        "of its computed evidence; coverage = weight of computed evidence ÷ weight of all evidence; a dimension below "
        "{min_cov} coverage is not scored. The overall score is the mean of the scorable dimensions. Full rules: docs/scorecard.md.",
    ),
    "self_assessment": ("自评问卷", "Self-assessment"),
    "none": ("无", "none"),
    # punctuation differs between the languages
    "colon": ("：", ": "),
    "semi": ("；", "; "),
    "stop": ("。", ". "),
    "lparen": ("（", " ("),
    "rparen": ("）", ")"),
}

PLATFORM_NAMES: dict[str, tuple[str, str]] = {
    "weibo": ("微博", "Weibo"),
    "wechat": ("微信", "WeChat"),
    "xiaohongshu": ("小红书", "Xiaohongshu"),
    "douyin": ("抖音", "Douyin"),
    "twitter": ("X/Twitter", "X/Twitter"),
    "mastodon": ("Mastodon", "Mastodon"),
    "bluesky": ("Bluesky", "Bluesky"),
    "reddit": ("Reddit", "Reddit"),
    "shop": ("网店", "Shop"),
    "survey": ("问卷", "Survey"),
    "other": ("其他", "Other"),
}

MEDIA_NAMES: dict[str, tuple[str, str]] = {
    "text": ("文字", "Text"),
    "image": ("图片", "Image"),
    "video": ("视频", "Video"),
    "link": ("链接", "Link"),
    "live": ("直播", "Live"),
    "article": ("文章", "Article"),
    "audio": ("音频", "Audio"),
    "other": ("其他", "Other"),
}


def check_lang(lang: str) -> str:
    from hudong.errors import HudongError

    if lang not in LANGS:
        raise HudongError(f"unknown report language {lang!r}: use zh or en")
    return lang


def t(key: str, lang: str, **kw: object) -> str:
    zh, en = TEXT[key]
    s = zh if lang == "zh" else en
    return s.format(**kw) if kw else s


def platform_name(p: str, lang: str) -> str:
    zh, en = PLATFORM_NAMES.get(str(p), (str(p), str(p)))
    return zh if lang == "zh" else en


def media_name(m: str | None, lang: str) -> str:
    if m is None:
        return ""
    zh, en = MEDIA_NAMES.get(str(m), (str(m), str(m)))
    return zh if lang == "zh" else en


def labels(lang: str) -> dict[str, str]:
    """All labels for one language (handy in templates)."""
    return {k: (v[0] if lang == "zh" else v[1]) for k, v in TEXT.items()}
