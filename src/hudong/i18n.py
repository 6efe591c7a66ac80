"""Every label of the report in Chinese and English (the Chinese report is entirely in Chinese)."""

from __future__ import annotations

from hudong.errors import HudongError
from hudong.platforms import PLATFORMS

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
    "groups_title": ("社群（微信群/QQ群）", "Group chats (WeChat/QQ groups)"),
    "groups_intro": ("活跃 = 每周发言的成员（不含官方）；前10% = 最活跃的十分之一成员的发言占比；成员互答 = 成员得到的回答中来自其他成员的比例；"
                     "新人首问 = 新人第一个问题到首个回答的分钟数（中位数）；留存 = 新人第4周仍发言的比例；沉睡 = 30天未发言的成员。",
                     "Active = members who spoke in a week (staff excluded); top 10% = share of messages by the most active tenth; "
                     "peer answers = share of the answers members get that come from other members; newcomer 1st question = "
                     "median minutes to its first answer; retention = newcomers still speaking in week 4; dormant = silent 30 days."),
    "groups_group": ("群", "Group"),
    "groups_members": ("成员", "Members"),
    "groups_active": ("周活跃", "Active/week"),
    "groups_top10": ("前10%发言占比", "Top 10% share"),
    "groups_peer": ("成员互答", "Peer answers"),
    "groups_newcomer_minutes": ("新人首问(分钟)", "Newcomer 1st answer (min)"),
    "groups_answered": ("已答/提问", "Answered/asked"),
    "groups_retention": ("新人4周留存", "Newcomer week-4"),
    "groups_dormant": ("沉睡成员", "Dormant"),
    "groups_kocs": ("社群KOC：最常回答他人的成员", "Community KOCs: members who answer others most"),
    "groups_member": ("成员(假名)", "Member (pseudonym)"),
    "groups_answers": ("回答次数", "Answers"),
    "groups_helped": ("帮助过的成员", "Members helped"),
    "audience": ("受众分群与内容偏好", "Audience segments and what they respond to"),
    "audience_intro": ("按行为把互动过的人分群,以最突出的特征命名;“偏好”列出该人群比其他人群明显更爱互动的内容形式(倍数及90%区间,区间整体高于1才列出)。",
                       "People who interacted, grouped by behaviour and named from what sets each group apart; "
                       "\"responds to\" lists the content types a segment engages with distinctly more than the others "
                       "(lift with its 90% interval, listed only when the interval lies above 1)."),
    "audience_summary": ("{people} 人分为 {k} 个人群({criterion})。", "{people} people in {k} segments ({criterion})."),
    "aud_segment": ("人群", "Segment"), "aud_size": ("人数", "People"), "aud_share": ("占比", "Share"),
    "aud_traits": ("主要特征", "Top traits"), "aud_likes": ("偏好", "Responds to"),
    "ideas": ("用户共创:大家提出的想法", "Co-creation: what people asked for"),
    "ideas_intro": ("评论、私信、群聊与问卷中的建议、需求、抱怨和故障反馈,按内容归并为想法;至少两人提出才列出。“趋势”是近30天相对此前30天的消息数变化;"
                    "“情感”是这些消息的平均情感分(−1 到 1)。",
                    "Suggestions, requests, complaints and bug reports from comments, DMs, group chats and survey answers, "
                    "grouped into ideas; listed once two people have raised one. \"Trend\" is the change in messages, last "
                    "30 days against the 30 before; \"sentiment\" the mean score of its messages (−1 to 1)."),
    "ideas_summary": ("看板上 {ideas} 个想法:已处理 {acted},已上线 {shipped},已答复 {answered}。",
                      "{ideas} ideas on the board: {acted} acted on, {shipped} shipped, {answered} answered."),
    "idea_title": ("想法", "Idea"), "idea_kind": ("类别", "Kind"), "idea_status": ("状态", "Status"),
    "idea_supporters": ("提出人数", "People"), "idea_trend": ("趋势", "Trend"), "idea_sentiment": ("情感", "Sentiment"),
    "idea_segments": ("主要人群", "Segments"), "idea_last": ("最近一次", "Last seen"),
    "st_new": ("新", "new"), "st_considering": ("考虑中", "considering"), "st_planned": ("已计划", "planned"),
    "st_shipped": ("已上线", "shipped"), "st_declined": ("不采纳", "declined"),
    "k_bug": ("故障", "bug"), "k_request": ("需求", "request"), "k_suggestion": ("建议", "suggestion"),
    "k_complaint": ("抱怨", "complaint"),
    "faq": ("常见问题与官方答复", "Recurring questions and the official answers"),
    "faq_public": ("群众常问的问题与官方答复", "What citizens ask most, and the official answers"),
    "faq_intro": ("发给机构的评论、私信与提及中的提问,按内容归并;至少被问 {min} 次才列出。“最佳答复”是同类问题的人工答复中最具代表性的一条"
                  "(团队最常给出的说法);没有答复的问题是待补的空白。答复时长为自然时间中位数。",
                  "Questions in the comments, DMs and mentions addressed to the organization, grouped by what they ask; "
                  "listed once asked {min} times. The \"best answer\" is the most representative of the staff answers "
                  "to the group (what the team says most); a question without one is a gap to fill. Time to answer is "
                  "the wall-clock median."),
    "faq_summary": ("{questions} 个提问中 {covered} 属于 {recurring} 个反复出现的问题;{answered} 得到答复,答复时长中位数 {minutes}。",
                    "{covered} of {questions} questions are one of {recurring} recurring questions; {answered} were "
                    "answered, in a median {minutes}."),
    "faq_question": ("问题", "Question"), "faq_asked": ("被问次数", "Asked"), "faq_askers": ("提问人数", "People"),
    "faq_answered": ("答复率", "Answered"), "faq_minutes": ("答复时长", "Time to answer"),
    "faq_best": ("最佳答复", "Best answer"), "faq_none": ("(尚无答复)", "(no answer yet)"),
    "faq_differ": ("(答复口径不一:最接近的说法只占 {share},建议统一官方答复)",
                   "(answers differ: the closest wording is only {share} of them; agree on an official answer)"),
    "campaigns_public": ("宣传活动与增量", "Public campaigns and their lift"),
    "statements": ("公告反响与辟谣", "Announcements and rebuttals: how the public took them"),
    "statements_intro": ("机构自己发布的通知、公告(公告)与辟谣、澄清(辟谣),以及评论区的反响:净情感 =(正面 − 负面)/ 已评分评论,方括号内为95%区间。"
                         "辟谣“回应”的是此前 {days} 天内同平台上与它同话题或内容相近的他人帖子;“触达比”= 辟谣的互动 / 这些帖子的互动,≥1 即辟谣传得和它回应的一样远。",
                         "Notices and announcements (announcement) and corrections (rebuttal) the organization published, and "
                         "the response in their comments: net sentiment = (positive − negative) / scored comments, 95% "
                         "interval in brackets. A rebuttal \"answers\" others' posts on its platform in the {days} days "
                         "before it that share its hashtag or are similar to it; \"reach ratio\" = the rebuttal's "
                         "engagements / theirs (≥ 1: the correction went as far as what it corrects)."),
    "st_kind_announcement": ("公告", "announcement"), "st_kind_rebuttal": ("辟谣", "rebuttal"),
    "st_date": ("日期", "Date"), "st_kind": ("类型", "Kind"), "st_text": ("内容", "Post"),
    "st_responses": ("评论", "Comments"), "st_net": ("净情感", "Net sentiment"),
    "st_answers": ("回应的帖子(作者)", "Answers posts (authors)"), "st_ratio": ("触达比", "Reach ratio"),
    "campaigns_intro_public": ("花费为活动预算;“增量”是活动期实际值相对结构时间序列反事实(活动前基线)的增加,方括号内为95%区间。"
                               "公共服务不计订单与投入产出。",
                               "Spend is the campaign's budget; \"lift\" is what the campaign period added over a "
                               "structural time-series counterfactual fitted to the days before it, 95% interval in "
                               "brackets. A public service has no orders or return on spend to count."),
    "campaigns": ("活动投入产出与增量", "Campaigns: return and lift"),
    "campaigns_intro": ("花费为活动预算;“触达者订单”是互动过该活动的人在回溯期内的订单;“归因”按所选模型把订单分给各触点"
                        "(默认马尔可夫移除效应);ROI =(归因收入 − 花费)/ 花费;“增量”是活动期实际值相对结构时间序列反事实"
                        "(活动前基线)的增加,方括号内为95%区间。只有能关联社交身份的订单可以归因。",
                        "Spend is the campaign's budget; \"orders (touched)\" are orders of people who engaged with it within "
                        "the lookback; \"attributed\" shares orders among the touches by the chosen model (default: the "
                        "Markov removal effect); ROI = (attributed revenue − spend) / spend; \"lift\" is what the campaign "
                        "period added over a structural time-series counterfactual fitted to the days before it, 95% "
                        "interval in brackets. Only orders linked to a social identity can be attributed."),
    "campaigns_summary": ("{orders} 笔订单中 {linked} 笔可关联社交身份,{touched} 笔此前有触点(回溯 {days} 天,模型:{model})。",
                          "{linked} of {orders} orders are linked to a social identity, {touched} had a touch before them "
                          "(lookback {days} days, model: {model})."),
    "cmp_campaign": ("活动", "Campaign"), "cmp_spend": ("花费", "Spend"), "cmp_engagement": ("互动", "Engagement"),
    "cmp_followers": ("新粉丝", "New followers"), "cmp_ugc": ("UGC", "UGC"), "cmp_touched": ("触达者订单", "Orders (touched)"),
    "cmp_attributed": ("归因订单", "Orders (attributed)"), "cmp_revenue": ("归因收入", "Revenue (attributed)"),
    "cmp_cpe": ("单次互动成本", "Cost per engagement"), "cmp_cpo": ("单笔订单成本", "Cost per order"), "cmp_roi": ("ROI", "ROI"),
    "cmp_lift": ("增量", "Lift"), "cmp_actual": ("实际", "Actual"), "cmp_expected": ("无活动时的预期", "Expected without it"),
    "cmp_lift_title": ("{name}:{metric} 的实际值与反事实", "{name}: {metric}, actual and counterfactual"),
    "cmp_metric_orders": ("订单数", "orders"), "cmp_metric_revenue": ("收入", "revenue"),
    "cmp_metric_engagement": ("自有内容互动", "engagement with own posts"), "cmp_metric_followers": ("新关注", "new follows"),
    "cmp_metric_ugc": ("UGC 帖子", "UGC posts"),
    "ugc_funnel": ("话题挑战漏斗", "UGC challenge funnel"), "ugc_people": ("人数", "People"),
    "ugc_engaged": ("与活动内容互动", "engaged with its posts"), "ugc_participants": ("参与创作", "created UGC"),
    "ugc_first_time": ("首次创作", "first-time creators"), "ugc_repeat_creators": ("之后再次创作", "created again after"),
    "ugc_buyers": ("之后购买", "bought after"),
    "ugc_title": ("话题挑战:{name}", "UGC challenge: {name}"),
    "ugc_summary": ("{posts} 条 UGC(之前同期 {before}),{people} 位参与者,其中 {first} 位首次创作、{repeat} 位之后再次创作、"
                    "{buyers} 位之后购买;UGC 触达 {reach},引发 {reposts} 次转发;正面 {pos} / 负面 {neg};声量份额 {sov}。",
                    "{posts} UGC posts ({before} in the same span before), {people} participants: {first} first-time "
                    "creators, {repeat} created again after, {buyers} bought after; the UGC reached {reach} and started "
                    "{reposts} reposts; positive {pos} / negative {neg}; share of voice {sov}."),
    "learning": ("实验与学习日志", "Experiments and the learning log"),
    "learning_intro": ("每个实验在开始前登记假设、主要指标和计划样本量(开始后锁定),结束时记录结果、决定和决策人。效应为相对对照组的变化,方括号内为95%置信区间。",
                       "Every experiment registers its hypothesis, primary metric and planned size before it starts (locked "
                       "from then on), and ends with its result, the decision and who took it. Effects are relative to "
                       "control, 95% interval in brackets."),
    "learning_summary": ("共运行 {ran} 个实验:{concluded} 个已得出结论,{running} 个进行中;从结束到决策的中位天数 {days};"
                         "记录了行动的决策中 {followed}/{judged} 与实验结果一致。",
                         "{ran} experiments ran: {concluded} concluded, {running} running; median days from end to "
                         "decision {days}; {followed} of {judged} decisions with an action followed their result."),
    "exp_followed": ("(与结果一致)", " (follows the result)"), "exp_against": ("(与结果相悖)", " (against the result)"),
    "exp_name": ("实验", "Experiment"), "exp_hypothesis": ("假设", "Hypothesis"), "exp_state": ("状态", "State"),
    "exp_effect": ("效应 [95%区间]", "Effect [95% interval]"), "exp_verdict": ("结果", "Result"),
    "exp_decision": ("决定", "Decision"), "exp_days": ("决策用时(天)", "Days to decide"),
    "exp_draft": ("草稿", "draft"), "exp_running": ("进行中", "running"), "exp_stopped": ("已停止", "stopped"),
    "exp_concluded": ("已结论", "concluded"),
    "response": ("回复速度", "Response times"),
    "best_hours": ("最佳发布时段", "Best posting hours"),
    "word_of_mouth": ("口碑与情绪", "Word of mouth and emotion"),
    "emotion_mix": ("口碑情绪构成", "Emotion mix of word of mouth"),
    "emotion_share": ("占已评分文本的比例", "Share of scored texts"),
    "sentiment_trend": ("口碑情感走势(每周)", "Sentiment of word of mouth over time (weekly)"),
    "pol_positive": ("正面", "Positive"),
    "pol_neutral": ("中性", "Neutral"),
    "pol_negative": ("负面", "Negative"),
    "keyword_bars": ("近30天关键词(TF-IDF)", "Keywords of the last 30 days (TF-IDF)"),
    "tfidf": ("TF-IDF 得分", "TF-IDF score"),
    "rising_topics": ("上升话题(最近一周对比此前4周)", "Rising topics (last week vs the 4 before)"),
    "rising_ratio": ("相对基线的倍数", "Times its own baseline"),
    "crisis_alerts": ("危机预警", "Crisis alerts"),
    "text_domain_warning": (
        "情感模型可能不适用:{language}文本中 {share} 与模型的训练语料差异较大(抽样 {texts} 条),情感得分可能不可靠。"
        "运行 hudong text adapt(无需标注)或 hudong text train(用已有标注)让模型适应本空间的文本。",
        "The sentiment model may not fit these texts: {share} of the {language} texts (sample of {texts}) are unlike "
        "what it learnt from, so their scores may be unreliable. Run hudong text adapt (no labels needed) or "
        "hudong text train (with labels) to adapt it to this workspace.",
    ),
    "lang_zh": ("中文", "Chinese"),
    "lang_en": ("英文", "English"),
    "crisis_none": (
        "期间内品牌负面/有害言论未超出自身基线。",
        "Negative or toxic talk about the brand stayed within its own baseline.",
    ),
    "crisis_line": (
        "{signal}:{start} 至 {end},品牌相关帖子 {texts} 条中 {flagged} 条;峰值占比 {share}(基线 {base}),z = {z}",
        "{signal}: {start} to {end}, {flagged} of {texts} brand posts; peak share {share} (baseline {base}), z = {z}",
    ),
    "crisis_negative": ("负面情感", "Negative sentiment"),
    "crisis_toxic": ("有害言论", "Toxic language"),
    "crisis_posts": ("主要推动帖子(按触达)", "Posts that drove it (by reach)"),
    "crisis_reach": ("触达人数", "Reach"),
    "emo_neutral": ("中性", "Neutral"),
    "emo_happy": ("喜悦", "Happy"),
    "emo_angry": ("愤怒", "Angry"),
    "emo_sad": ("悲伤", "Sad"),
    "emo_fear": ("恐惧", "Fear"),
    "emo_surprise": ("惊讶", "Surprise"),
    "recommendations": ("行动建议", "Recommendations"),
    "missing": ("缺失的证据", "Missing evidence"),
    "method": ("评分方法", "How the scores are computed"),
    # summary
    "overall": ("综合得分", "Overall score"),
    "level": ("成熟度等级", "Maturity level"),
    "coverage": ("证据覆盖率", "Evidence coverage"),
    "not_scorable": ("证据不足，无法评分", "Not enough evidence to score"),
    "insufficient": ("证据不足", "Insufficient evidence"),
    "insufficient_note": (
        "证据覆盖率 {cov}，低于给出综合得分与等级所需的 {min}；请先补齐缺失的证据（`hudong status`）",
        "evidence coverage {cov} is below the {min} an overall score and level need; add the missing evidence first "
        "(`hudong status`)",
    ),
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
    "how_to_supply": ("补齐方法", "How to supply it"),
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
    "ci95": ("95% 置信区间", "95% CI"),
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
    "aud_heat": ("各人群的内容偏好(相对其他人群的倍数,★ 为 90% 区间高于 1)",
                 "What each segment responds to (lift against the other segments; ★: 90% interval above 1)"),
    "aud_lift": ("倍数", "Lift"),
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
        "覆盖率低于 {min_cov} 的维度不评分。综合得分是可评分维度的平均；总覆盖率低于 {min_overall} 时不给综合得分与等级，"
        "显示“证据不足”。完整规则见 docs/scorecard.md。",
        "Each evidence value maps to 0–100 points along a piecewise-linear curve; a dimension's score is the weighted mean "
        "of its computed evidence; coverage = weight of computed evidence ÷ weight of all evidence; a dimension below "
        "{min_cov} coverage is not scored. The overall score is the mean of the scorable dimensions; below {min_overall} "
        "overall coverage there is no overall score and no level (\"insufficient evidence\"). Full rules: docs/scorecard.md.",
    ),
    "self_assessment": ("自评问卷", "Self-assessment"),
    "none": ("无", "none"),
    # web analytics pages (hudong.web.analytics)
    "wa_content": ("内容分析", "Content"),
    "wa_community": ("社群", "Community"),
    "wa_relationships": ("客户关系", "Relationships"),
    "wa_people": ("人群与 KOC", "People"),
    "wa_propagation": ("传播", "Propagation"),
    "wa_account": ("账号", "Account"),
    "wa_campaign": ("活动", "Campaign"),
    "wa_all_accounts": ("全部账号", "All accounts"),
    "wa_all_campaigns": ("全部活动", "All campaigns"),
    "wa_segment": ("人群", "Segment"),
    "wa_all_people": ("全部人群", "Everyone"),
    "wa_reset": ("清除筛选", "Clear filters"),
    "wa_filter_not_applied": ("此项不支持按{filters}筛选，显示的是未按其筛选的结果", "not filtered by {filters}: not supported here"),
    "wa_formats": ("内容形式", "Formats"),
    "wa_posts": ("帖子数", "Posts"),
    "wa_topics_na": ("话题分析尚不可用（等待 hudong.text.keywords）。", "Topics are not available yet (needs hudong.text.keywords)."),
    "wa_topics": ("话题", "Topics"),
    "wa_topic": ("话题", "Topic"),
    "wa_terms": ("关键词", "Terms"),
    "wa_coherence": ("一致性（NPMI）", "Coherence (NPMI)"),
    "wa_topics_how": (
        "话题 = 话题标签与关键词的共现聚类（Louvain，NPMI 加权）；帖子数 = 归入该话题的帖子（含 UGC）。",
        "Topics = hashtag and keyword co-occurrence clusters (Louvain on NPMI); posts = posts assigned to the topic (UGC included).",
    ),
    "wa_topics_sample": (
        "话题基于最近的 {n} 条帖子（共 {total} 条；分词成本随帖子数线性增长）。",
        "Topics of the {n} most recent posts (of {total}; word segmentation costs grow with every post).",
    ),
    "wa_churned": ("流失用户（月均）", "Churned users (monthly mean)"),
    "wa_churned_n": ("流失用户", "Churned users"),
    "wa_churn_table": ("每月流失", "Churn by month"),
    "wa_prev_active": ("上月活跃", "Active the month before"),
    "wa_churn_rate": ("流失率", "Churn rate"),
    "wa_repurchase": ("复购率", "Repurchase rate"),
    "wa_repeat_customers": ("复购客户", "Repeat customers"),
    "wa_customers": ("客户", "Customers"),
    "wa_loyalty": ("粉丝忠诚度", "Fan loyalty"),
    "wa_by_month": ("按首单月份", "By month"),
    "wa_segments": ("社群分层（Orbit，最近一月）", "Segments (Orbit levels, latest month)"),
    "wa_kocs": ("KOC 候选人及证据", "KOC candidates with their evidence"),
    "wa_name": ("名称", "Name"),
    "wa_tier": ("粉丝层级", "Tier"),
    "wa_followers": ("粉丝", "Followers"),
    "wa_peer_er": ("同层级互动率中位数", "Peer median ER"),
    "wa_cascades": ("参与传播数", "Cascades"),
    "wa_reshares": ("带来转发", "Reshares"),
    "wa_orders": ("订单", "Orders"),
    "wa_koc_score": ("KOC 分", "KOC score"),
    "wa_communities_na": ("社群发现尚不可用（等待 hudong.graph.communities）。", "Communities are not available yet (needs hudong.graph.communities)."),
    "wa_communities": ("互动社群（Leiden）", "Interaction communities (Leiden)"),
    "wa_community_id": ("社群编号", "Community #"),
    "wa_share": ("用户占比", "Share of users"),
    "wa_key_members": ("核心成员", "Key members"),
    "wa_bridges": ("桥接用户", "Bridges"),
    "wa_modularity": ("模块度", "Modularity"),
    "wa_communities_how": (
        "每个平台的互动图（转发、评论、提及，无向、按次数加权）上的 Leiden 社群（模块度，γ = 1）；核心成员 = 社群内 PageRank 最高者；桥接用户 = 与其他社群互动最多者；模块度按平台计算。显示最大的 {n} 个，共 {total} 个。",
        "Leiden communities (modularity, γ = 1) of each platform's interaction graph (reposts, comments, mentions; undirected, weighted by count); key members = highest PageRank inside the community; bridges = most interaction with other communities; modularity is per platform. The {n} largest of {total}.",
    ),
    "wa_coordination": ("协同转发群组（CooRnet 规则）", "Coordinated co-sharing groups (CooRnet rule)"),
    "wa_coordination_na": ("协同检测尚不可用（等待 hudong.graph.coordination）。", "Coordination is not available yet (needs hudong.graph.coordination)."),
    "wa_coordination_none": ("未发现协同转发群组。", "No coordinated group found."),
    "wa_accounts": ("账号数", "Accounts"),
    "wa_edges": ("协同关系", "Links"),
    "wa_max_co": ("最多共同转发", "Max co-shares"),
    "wa_items": ("共同转发内容", "Items"),
    "wa_largest_cascades": ("最大的传播级联", "Largest cascades"),
    "wa_n_cascades": ("共 {n} 个级联", "{n} cascades"),
    "wa_root": ("源帖", "Root post"),
    "wa_started": ("开始时间", "Started"),
    "wa_size": ("规模（用户）", "Size (users)"),
    "wa_depth": ("深度", "Depth"),
    "wa_breadth": ("最大宽度", "Max breadth"),
    "wa_sv": ("结构病毒性", "Structural virality"),
    "wa_t100": ("达到 100 人用时", "Time to 100 users"),
    "wa_half_life": ("半衰期", "Half-life"),
    "wa_evidence": ("证据", "Evidence"),
    # punctuation differs between the languages
    "colon": ("：", ": "),
    "semi": ("；", "; "),
    "stop": ("。", ". "),
    # propagation (issue #3)
    "propagation": ("传播", "Propagation"),
    "prop_intro": ("转发级联：谁把内容传了出去、传得多深多广；协同与机器人信号及剔除后的指标。",
                   "Repost cascades: who carried posts, how deep and how wide; coordination and bot signals, and KPIs without them."),
    "prop_tree": ("最大转发级联（树状图）", "Largest repost cascade (tree)"),
    "prop_tree_note": ("{platform} · 根帖 {root} · {n} 位用户（图中显示下游最多的 {shown} 位）· 深度 {depth} · 结构病毒性 {sv}",
                       "{platform} · root post {root} · {n} users (the {shown} with the most users below them drawn) · depth {depth} · structural virality {sv}"),
    "prop_depth": ("层级", "Depth"),
    "prop_minutes": ("距原帖分钟数", "Minutes since the root post"),
    "prop_minutes_log": ("距原帖分钟数（对数）", "Minutes since the root post (log)"),
    "prop_arrived": ("加入时间", "Joined"),
    "prop_arrived_0": ("10 分钟内", "within 10 min"),
    "prop_arrived_1": ("1 小时内", "within 1 h"),
    "prop_arrived_2": ("6 小时内", "within 6 h"),
    "prop_arrived_3": ("1 天内", "within 1 day"),
    "prop_arrived_4": ("1 天后", "after 1 day"),
    "prop_users": ("累计用户数", "Users so far"),
    "prop_growth": ("最大级联的增长曲线", "Growth of the largest cascades"),
    "prop_sv_title": ("结构病毒性分布（广播式 ≈ 2，病毒式更高）", "Structural virality (broadcast ≈ 2, viral higher)"),
    "prop_sv": ("结构病毒性", "Structural virality"),
    "prop_size": ("级联规模（用户数，对数）", "Cascade size (users, log)"),
    "prop_cascades": ("级联数", "Cascades"),
    "prop_koc": ("KOC 候选人", "KOC candidates"),
    "prop_koc_intro": ("粉丝层级为 nano/micro、互动率高于同层中位数、有购买或 UGC 证据；按带来的转发数排序。",
                       "Nano/micro tier, engagement above the tier median, order or UGC evidence; ranked by reshares triggered."),
    "prop_user": ("用户", "User"),
    "prop_tier": ("层级", "Tier"),
    "prop_followers": ("粉丝", "Followers"),
    "prop_reshares": ("带来转发", "Reshares"),
    "prop_reach": ("下游触达", "Reach"),
    "prop_orders": ("订单", "Orders"),
    "prop_coord": ("协同与机器人信号", "Coordination and bot signals"),
    "prop_coord_intro": ("协同转发（CooRnet 方法，协同间隔 {interval}）：{groups} 个群组，共 {accounts} 个账号；机器人式时间规律：{bots} 个账号。下表为剔除这些账号前后的指标。",
                         "Coordinated co-sharing (CooRnet method, interval {interval}): {groups} groups, {accounts} accounts; bot-like timing: {bots} accounts. KPIs with and without them:"),
    "prop_group": ("群组", "Group"),
    "prop_group_evidence": ("{n} 个账号在协同间隔内共同转发 {items} 条内容（{kinds}）；最紧密的一对共同转发 {pair} 次；中位在首次转发后 {delay} 秒；{first} 至 {last}",
                            "{n} accounts co-shared {items} items ({kinds}) within the interval; strongest pair {pair} times; median {delay} s after the item's first share; {first} … {last}"),
    "prop_kind_post": ("帖子", "posts"),
    "prop_kind_url": ("链接", "links"),
    "prop_kind_hashtag": ("话题", "hashtags"),
    "prop_accounts": ("账号数", "Accounts"),
    "prop_items": ("共同转发内容", "Items co-shared"),
    "prop_metric": ("指标", "Metric"),
    "prop_raw": ("原始", "Raw"),
    "prop_adjusted": ("剔除后", "Adjusted"),
    "prop_diff": ("差异", "Difference"),
    "prop_none": ("没有转发级联数据。", "No repost cascades in the data."),
    # workspace status (hudong status, the web page /status)
    "st_title": ("工作区", "Workspace"),
    "st_tables": ("数据表行数", "Rows per table"),
    "st_config": ("设置", "Configured"),
    "st_not_set": ("未设置", "not set"),
    "st_brand": ("品牌", "Brand"),
    "st_aliases": ("别名", "aliases"),
    "st_own_accounts": ("自有账号", "Own accounts"),
    "st_competitors": ("竞品", "Competitors"),
    "st_competitor_counts": ("竞品账号 {accounts} 个，hudong.toml 中竞品名称 {names} 个",
                             "{accounts} competitor accounts, {names} competitor names in hudong.toml"),
    "st_business_hours": ("工作时间", "Business hours"),
    "st_default": ("默认值，可在 hudong.toml 的 [business_hours] 中修改", "default; change it in [business_hours] of hudong.toml"),
    "st_file_missing": ("文件不存在", "file not found"),
    "st_requirements": ("数据与设置（评分证据所需）", "Data and settings the evidence needs"),
    "st_quick": ("未计算（--quick：只检查前提条件）", "not computed (--quick: requirements only)"),
    "st_ready": ("前提条件已满足", "requirements met"),
    "st_next": ("下一步", "Next steps"),
    "st_after": ("需先满足“{first}”", "needs “{first}” first"),
    "st_see": ("补齐方法见“{what}”", "how to supply it: see “{what}”"),
    "st_computed": ("已计算", "computed"),
    "st_missing": ("缺失", "missing"),
    "st_needed_by": ("用于", "Needed by"),
    "st_count": ("现有", "Found"),
    # errors a report or page may show (translated_error)
    "err_no_own_brand": (
        "未设置自有品牌：请用 `hudong init --brand 名称 --alias 别名` 或在 hudong.toml 的 [brand] 中填写 name 和 aliases",
        "no own brand: set [brand] name (and aliases) in hudong.toml, or run `hudong init --brand NAME --alias ALIAS`",
    ),
    "err_no_sentiment": (
        "尚未计算情感：请先运行 `hudong text score`",
        "no sentiment scores: run `hudong text score` first",
    ),
    "err_no_brands": (
        "没有要查找的品牌：请在 hudong.toml 中设置 [brand] 的 name/aliases（以及 [[competitors]]）",
        "no brands to look for: set [brand] name/aliases (and [[competitors]]) in hudong.toml",
    ),
    "err_failed": ("此项无法计算（详情见英文界面或日志）", "this part could not be computed: {detail}"),
    "metric_unavailable": ("指标「{label}」暂不可用{detail}", "metric {name} is not available: {detail}"),
    "seconds_short": ("{n} 秒", "{n} s"),
    "tier_none": ("不足千粉", "under 1k"),
    "tier_nano": ("纳米级", "nano"),
    "tier_micro": ("微型", "micro"),
    "tier_mid": ("腰部", "mid"),
    "tier_macro": ("头部", "macro"),
    "tier_mega": ("超头部", "mega"),
    "koc_evidence": (
        "{tier}（{followers} 粉丝）；互动率 {er} 高于同层中位数 {peer}；订单 {orders} 笔（金额 {amount}）；UGC {ugc} 篇；"
        "带来转发 {reshares} 次，触达 {reach}",
        "{tier} tier ({followers} followers); ER {er} > peer median {peer}; {orders} orders ({amount}); {ugc} UGC "
        "posts; triggered {reshares} reshares, reach {reach}",
    ),
    "engine_note": ("其余在 {engine} 上计算；{sections} 读取的是工作区的 DuckDB 文件（docs/spark.md）",
                    "The rest was computed on {engine}; {sections} read the workspace's DuckDB file (docs/spark.md)"),
    "engine_all": ("全部章节在 {engine} 上计算", "Every section was computed on {engine}"),
    "section_propagation": ("传播分析章节", "the propagation section"),
    "section_text": ("文本分析章节", "the text section"),
    "list_sep": ("、", " and "),
    "lparen": ("（", " ("),
    "rparen": ("）", ")"),
}

PLATFORM_NAMES: dict[str, tuple[str, str]] = {p.id: (p.name_zh, p.name_en) for p in PLATFORMS.values()}

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
    if lang not in LANGS:
        raise HudongError(f"unknown report language {lang!r}: use zh or en")
    return lang


def t(key: str, lang: str, **kw: object) -> str:
    zh, en = TEXT[key]
    s = zh if lang == "zh" else en
    return s.format(**kw) if kw else s


def translated_error(key: str, **params: object) -> HudongError:
    """An error whose text is ``TEXT[key]``: English in its message, either language through ``error_text``."""
    return HudongError(t(key, "en", **params), key=key, params=dict(params))


def error_text(err: BaseException, lang: str) -> str:
    """What a report or page shows for an error: its i18n text (``translated_error``) in ``lang``; an error with
    English text only is shown as it is in English and as a Chinese sentence saying it failed in Chinese."""
    key = getattr(err, "key", None)
    if key in TEXT:
        return t(key, lang, **getattr(err, "params", {}))
    detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return t("err_failed", lang, detail=detail[:200])


def tier_name(tier: object, lang: str) -> str:
    """A follower tier (hudong.stats.tiers.DEFAULT_TIERS names) in ``lang``; other names as they are."""
    key = f"tier_{tier}"
    return t(key, lang) if key in TEXT else ("—" if tier is None or tier != tier else str(tier))


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
