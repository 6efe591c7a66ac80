"""Text fragments the demo assembles into posts, comments, DMs and survey answers.

Texts are built as fragment + fragment + … so a few dozen pieces give thousands of distinct,
plausible sentences without per-row Python formatting.
"""

from __future__ import annotations

import numpy as np

PRODUCTS_SHORT = ["明前龙井", "大红袍", "普洱熟茶", "安吉白茶", "山茶花冷泡茶", "桂花乌龙", "茶样尝鲜装", "新春茶礼盒",
                  "白桃乌龙", "茉莉花茶", "旅行茶具"]  # fmt: skip
EMOJI = ["", "", "🍵", "✨", "😋", "🌿", "❤️", "👍", "🥰", "☕", "🌸", "[赞]", "[爱你]", "[哈哈]"]

# ---- the brand's own posts -----------------------------------------------------------------
OWN_OPENERS = ["【新品上市】", "【茶知识】", "【今日推荐】", "【冲泡小课堂】", "【山茶社日常】", "【福利】", "【茶山手记】",
               "", "", "早安!", "午后一杯茶:", "周末愉快~"]  # fmt: skip
OWN_BODIES = [
    "今年的{p}到店啦,鲜爽回甘,一口就是春天的味道。",
    "{p}怎么泡才好喝?水温85℃、投茶量3克、第一泡10秒,记住这三个数字就够了。",
    "茶农凌晨四点上山采摘的{p},每一片芽叶都来之不易。",
    "办公室必备的{p},冷水也能泡,三分钟出味。",
    "有朋友问{p}和绿茶有什么区别?我们整理了一份小科普,欢迎收藏。",
    "一壶{p},配一本书,就是最好的周末。",
    "感谢大家对{p}的喜爱,补货已经在路上了!",
    "评论区说说你最喜欢怎么喝{p}?抽3位送尝鲜装。",
    "茶山直播间带你看{p}的制作全过程。",
    "我们的茶艺师教你用{p}做一杯简单的奶茶。",
]  # fmt: skip
OWN_CTAS = ["", "点击链接了解更多。", "转发+关注抽奖送茶样!", "小程序下单满99包邮。", "欢迎在评论区交流~", "收藏起来慢慢看。"]
OWN_EN = [
    "New harvest {p} just landed. Fresh, floral and smooth.",
    "How to brew {p}: 85°C water, 3 g of leaves, 10 seconds for the first infusion.",
    "Meet the farmers behind our {p}.",
    "Cold-brew season is here: try {p} over ice.",
    "Tea break? Tell us how you take your {p}.",
    "Our spring picking diary, day 3: {p} from the misty hills of Zhejiang.",
]  # fmt: skip
WECHAT_TITLES = ["一杯{p}里的春天|山茶社", "喝了十年茶,才明白{p}要这样泡", "{p}选购指南:看懂这5点不踩雷",
                 "茶山来信|{p}的采摘季", "给打工人的{p}续命手册", "山茶社年度报告:你最爱的是{p}"]  # fmt: skip
OWN_TAGS = ["山茶社", "喝茶", "茶生活", "春茶", "冷泡茶", "下午茶", "茶知识", "中国茶"]

# ---- users writing about the brand or its competitors (UGC, share of voice) ------------------
UGC_OPENERS = ["今天入手了", "终于喝到了", "朋友推荐的", "回购第三次的", "被种草的", "第一次尝试", "办公室囤了", "路过门店买了"]
UGC_FEELINGS = ["真的好喝,回甘很明显", "香气很足,性价比可以", "包装太好看了,送人很有面子", "一般般吧,有点涩",
                "冷泡超级清爽,夏天必备", "快递有点慢,不过茶不错", "味道比想象中淡", "已经安利给全办公室了",
                "价格有点小贵但是值", "茶叶有碎末,希望改进", "喝完整个人都放松了", "和描述一致,会回购"]  # fmt: skip
UGC_CLOSERS = ["", "", "~", "!", "。", "!强烈推荐", ",大家怎么看?"]
UGC_TAGS = ["好物分享", "喝茶日常", "下午茶", "办公室好物", "茶饮测评", "生活方式", "探店"]
UGC_EN = ["Just tried {p} from {b}. ", "Finally got my hands on {b}'s {p}. ", "Gifted {b} {p} to my parents. ",
          "Hot take: {b} {p} is better than most teas I've had. "]  # fmt: skip
UGC_EN_FEEL = ["Lovely and floral.", "A bit pricey but worth it.", "Shipping took forever.", "10/10 would brew again.", ""]
COMPARISONS = ["{b}和{c}哪个好喝?纠结中", "对比了{b}和{c}的{p},我更喜欢{b}", "{c}的{p}比{b}便宜一点,味道差不多",
               "喝过{c}再喝{b},各有千秋"]  # fmt: skip
SPRING_UGC = ["晒出我的第一杯春茶!{b}的{p}", "参加{b}的#春茶节#,今年的{p}真的鲜", "#春茶节# 打卡,{b}春天的味道",
              "跟着{b}一起过#春茶节#", "春茶节福利收到了,{b}的{p}好香", "晒出我的第一杯春茶!"]  # fmt: skip
COMPETITOR_OWN = ["【{c}】新品{p}限时尝鲜", "{c}门店第100家开业啦", "{c}×设计师联名款上线", "跟着{c}去茶山", "{c}会员日 全场8折"]

# ---- the planted crisis: a batch of mouldy tea, 2026-06-20 … 06-22 (what `hudong text alerts` finds) ------
CRISIS_DAYS = ("2026-06-20", "2026-06-23")  # start, end (exclusive)
CRISIS_ZH = ["买的{b}{p}发霉了,要求退款一直拖着,再也不买了", "{b}的{p}喝出了异物,客服还不理人,太恶心了",
             "我家的{b}{p}也是,一股霉味,太失望了", "{b}回应一下吧?发霉的{p}还卖给我们", "{b}的{p}受潮结块,味道很差,差评",
             "避雷{b},{p}质量太差了,投诉无门"]  # fmt: skip
CRISIS_TAG = "山茶社茶叶发霉"

# ---- reposts ---------------------------------------------------------------------------------
REPOST_ZH = ["转发微博", "转发微博", "转发微博", "马一下", "好想喝", "同款!", "已种草", "冲了冲了", "求链接", "哈哈哈哈",
             "这个好", "@好友 一起喝", "收藏了", "真的好喝", "转"]  # fmt: skip
REPOST_EN = ["", "", "This!", "Need this", "Worth a try", "😍"]

# ---- comments, DMs and replies ---------------------------------------------------------------
COMMENT_PRAISE = ["好喝!", "已下单", "包装好美", "求上新", "回购无数次了", "支持山茶社", "看着就好喝", "收藏了", "学到了",
                  "太实用了", "冷泡yyds", "期待直播", "第一!", "爱了爱了", "上次买的很好喝", "想要抽奖", "坐等补货"]  # fmt: skip
COMMENT_QUESTIONS = ["请问龙井还有货吗?", "什么时候发货呀?", "孕妇可以喝吗?", "能开发票吗?", "小程序怎么找不到了?",
                     "礼盒可以定制贺卡吗?", "冷泡茶保质期多久?", "请问有线下门店吗?", "订单显示已签收但我没收到",
                     "收到的茶叶有点受潮怎么办?", "买错规格了可以换吗?", "618有满减吗?", "会员积分怎么用?"]  # fmt: skip
COMMENT_EN = ["Love this!", "Where can I buy this in the US?", "Do you ship to Canada?", "Looks delicious",
              "Is the cold brew caffeine-free?", "My order hasn't arrived yet", "Beautiful packaging"]  # fmt: skip
COMMENT_REPLIES = ["同问", "+1", "我也想知道", "我买过,很好喝", "哈哈哈同感", "楼上说得对"]
DM_OPENERS = ["你好,", "在吗?", "您好,", "客服你好,", "hello,", ""]
DM_BODIES = ["我的订单三天了还没发货", "想问一下礼盒能不能加急", "收到的茶罐有破损", "可以帮我改一下地址吗",
             "想合作推广,怎么联系?", "请问企业团购有优惠吗", "退款什么时候到账", "茶叶喝起来有点苦是正常的吗",
             "优惠券用不了", "想给爸妈选一款茶,有推荐吗"]  # fmt: skip
DM_FOLLOWUPS = ["??", "还在吗", "麻烦尽快回复一下", "好的谢谢", "那我再等等", "订单号发你了"]
DM_EN = ["Hi, my order hasn't shipped yet.", "Do you offer wholesale?", "Hello? Anyone there?", "Can I change my address?"]
STAFF_REPLIES = ["您好,已为您查询,订单今天会发出哦~", "亲,抱歉给您带来不便,已为您登记补发。", "感谢支持!有问题随时私信小山茶~",
                 "您好,可以开具电子发票,请私信提供抬头。", "亲,冷泡茶建议6个月内饮用完哦。", "您好,已帮您修改地址。",
                 "收到,已转给同事处理,稍后联系您。", "谢谢喜欢!新品下周上架~", "孕期建议咨询医生,可以选择低咖啡因的花茶哦。"]  # fmt: skip
STAFF_REPLIES_EN = ["Thanks for reaching out! We've checked your order and it ships today.",
                    "Sorry about that, we're sending a replacement.", "We ship to the US and Canada via our online store."]
# The official answer the team gives to a recurring question (most of the time; a busy agent sometimes sends a
# generic line): the FAQ's planted truth (hudong.analyses.faq recovers each as its group's best answer).
OFFICIAL_ANSWERS = {
    "开发票": "您好,可以开具电子发票,请在订单页填写抬头后自动发送到邮箱。",
    "孕妇可以喝吗": "孕期建议咨询医生,可以选择低咖啡因的花茶哦。",
    "保质期多久": "冷泡茶未开封保质期18个月,开封后建议一个月内喝完。",
    "线下门店": "目前在杭州西湖区和上海静安区有两家门店,地址见主页置顶。",
    "买错规格了可以换吗": "未拆封7天内可以换规格,请在订单页申请换货。",
    "会员积分怎么用": "会员积分可在小程序结算时抵扣,100积分抵1元。",
    "礼盒可以定制贺卡吗": "可以的,下单时在备注里写上贺卡内容即可。",
    "Do you offer wholesale": "Yes: write to wholesale@camellia.example for our wholesale price list.",
}
OFFICIAL_SHARE = 0.8


def official(texts: np.ndarray, questions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``texts`` with the official answer in place of the drawn one where the question has one (OFFICIAL_SHARE of
    the time; ``rng`` is the caller's own, so the demo's other draws do not move)."""
    out = texts.copy()
    for i, q in enumerate(questions):
        key = next((k for k in OFFICIAL_ANSWERS if k in str(q or "")), None)
        if key is not None and rng.random() < OFFICIAL_SHARE:
            out[i] = OFFICIAL_ANSWERS[key]
    return out


AUTO_REPLY = ["您好,现在是非工作时间(工作日9:00-18:00),客服上线后会第一时间回复您。",
              "感谢您的留言!小山茶正在赶来的路上,请稍候~"]  # fmt: skip

# ---- survey ----------------------------------------------------------------------------------
NPS_PROMOTER = ["茶很好喝,包装用心,会推荐给朋友", "客服回复很快", "回购很多次了,品质稳定", "送礼很有面子", "冷泡茶太方便了", ""]
NPS_PASSIVE = ["还可以,价格稍高", "茶不错但物流慢", "希望多出点小包装", "整体满意", ""]
NPS_DETRACTOR = ["收到的茶叶受潮了", "客服半天不回复", "价格太贵了", "味道和宣传不符", "物流太慢,体验差", "退款流程太麻烦", ""]
