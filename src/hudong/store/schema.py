"""The unified schema: the single source of truth for hudong's tables.

Everything else derives from these declarations: the DuckDB DDL (``ddl()``), the Ibis
schemas used by metrics (``ibis_schema()``), the Arrow schemas the importer casts to
(``arrow_schema()``), the mapping-file validator and the schema section of the docs
(``markdown()``).

Conventions
- Every row is keyed by ``(platform, <native id>)``; re-importing the same row is a no-op.
- Every row carries provenance: ``source_file``, ``importer`` (the format name) and ``batch_id``.
- User identifiers (``user_id``, ``actor_id``, ``author_id`` …) hold pseudonyms (keyed hashes)
  unless the workspace opts in to raw ids; see ``hudong.ingest.privacy``.
- Timestamps are ``TIMESTAMP`` in UTC-naive local time of the workspace (``timezone`` in the config);
  importers convert offsets they see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hudong import platforms as P

SCHEMA_VERSION = 16

# Allowed values of enumerated columns (validated at import, documented once here).
DECISION_ACTIONS = ("ship", "keep", "iterate", "abandon")
INTERACTION_TYPES = (
    "like",
    "comment",
    "repost",
    "share",
    "click",
    "view",
    "impression",
    "follow",
    "unfollow",
    "mention",
    "dm",
    "save",
    "reply",
)
PLATFORMS = tuple(P.PLATFORMS)  # declared in hudong/platforms.py
MEDIA_TYPES = ("text", "image", "video", "link", "live", "article", "audio", "other")
# What a group-chat line is: a message (by its content type) or an event the chat tool wrote as a system line.
MESSAGE_KINDS = ("text", "image", "voice", "video", "emoji", "file", "link", "location", "other",
                 "join", "leave", "recalled", "system")
REPLY_HOW = ("quote", "mention", "adjacent")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB/Ibis-compatible SQL type: VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, VARCHAR[]
    en: str
    zh: str
    nullable: bool = True
    user_id: bool = False  # holds a user identifier: pseudonymised at ingest, erased by `forget`
    free_text: bool = False  # user-written text: PII-redacted at ingest
    enum: tuple[str, ...] | None = None
    # For user ids: the column naming the platform the id belongs to (its pseudonym is keyed by it).
    # Orders and surveys set it so a buyer known by a WeChat/Douyin id links to the same fan.
    id_platform: str = "platform"
    default: str | None = None  # SQL default expression
    # Timestamps: may lie in the future (a campaign's planned end). Others are event times: an import quarantines
    # values after the import time (+ [import] latest_days_ahead) or before [import] earliest_date.
    future: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    en: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    provenance: bool = True  # adds source_file/importer/batch_id
    lake: bool = True  # exported to the Parquet lake (analytics); False keeps it in the workspace file only

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + (PROVENANCE if self.provenance else ())

    def column(self, name: str) -> Column:
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.all_columns]

    @property
    def user_id_columns(self) -> list[str]:
        return [c.name for c in self.all_columns if c.user_id]

    @property
    def text_columns(self) -> list[str]:
        return [c.name for c in self.all_columns if c.free_text]


def _c(name: str, type_: str, en: str, zh: str, **kw) -> Column:
    return Column(name, type_, en, zh, **kw)


PLATFORM = _c("platform", "VARCHAR", "Platform", "平台", nullable=False, enum=PLATFORMS)

PROVENANCE = (
    _c("source_file", "VARCHAR", "File the row was imported from", "来源文件", nullable=False),
    _c("importer", "VARCHAR", "Import format (mapping) used", "导入格式", nullable=False),
    _c("batch_id", "VARCHAR", "Import batch", "导入批次", nullable=False),
)

# Where the shop or survey tool knows the person's social account, the platform of that id;
# empty means the id belongs to the row's own platform (a shop-only customer).
_USER_PLATFORM = _c(
    "user_platform", "VARCHAR", "Platform of user_id when it is a social account id (links orders to fans)",
    "用户ID所属平台(用于关联粉丝与订单)", enum=PLATFORMS,
)

TABLES: dict[str, Table] = {}  # the data: analysed by metrics, exported to the lake
APP_TABLES: dict[str, Table] = {}  # the web application's own state: stays in the workspace file


def _table(t: Table, registry: dict[str, Table] = TABLES) -> Table:
    registry[t.name] = t
    return t


ACCOUNTS = _table(
    Table(
        "accounts",
        "Accounts the organization watches: its own and competitors'",
        "监测的账号(自有与竞品)",
        (
            PLATFORM,
            _c("account_id", "VARCHAR", "Platform account id", "账号ID", nullable=False),
            _c("name", "VARCHAR", "Display name", "账号名称"),
            _c("brand", "VARCHAR", "Brand the account speaks for", "所属品牌"),
            _c("is_own", "BOOLEAN", "Owned by the organization", "是否自有账号", nullable=False),
            _c("aliases", "VARCHAR[]", "Names and keywords that mention the brand", "品牌别名/关键词"),
            _c("followers", "BIGINT", "Followers at the latest snapshot", "最新粉丝数"),
            _c("created_at", "TIMESTAMP", "Account creation time", "注册时间"),
        ),
        key=("platform", "account_id"),
    )
)

USERS = _table(
    Table(
        "users",
        "People seen on the platforms (fans, customers, commenters), pseudonymised",
        "平台用户(粉丝、顾客、评论者),已假名化",
        (
            PLATFORM,
            _c("user_id", "VARCHAR", "User id (pseudonym)", "用户ID(假名)", nullable=False, user_id=True),
            _c("name", "VARCHAR", "Display name (pseudonymised unless opted in)", "昵称", user_id=True),
            _c("followers", "BIGINT", "Followers", "粉丝数"),
            _c("following", "BIGINT", "Accounts followed", "关注数"),
            _c("posts_count", "BIGINT", "Posts written", "发帖数"),
            _c("verified", "BOOLEAN", "Verified by the platform", "是否认证"),
            _c("gender", "VARCHAR", "Gender as given by the platform", "性别"),
            _c("location", "VARCHAR", "Location as given by the platform", "地区"),
            _c("created_at", "TIMESTAMP", "Account creation time", "注册时间"),
            _c("is_staff", "BOOLEAN", "Works for the organization (excluded from community measures)", "是否员工"),
            _c("description", "VARCHAR", "Profile text", "简介", free_text=True),
        ),
        key=("platform", "user_id"),
    )
)

POSTS = _table(
    Table(
        "posts",
        "Posts: the organization's, users' (UGC), competitors', with reposts and replies",
        "帖子:自有、用户原创(UGC)、竞品,含转发与回复",
        (
            PLATFORM,
            _c("post_id", "VARCHAR", "Platform post id", "帖子ID", nullable=False),
            _c("author_id", "VARCHAR", "Author (pseudonym, or account id for owned accounts)", "作者", user_id=True),
            _c("account_id", "VARCHAR", "Watched account that published it, if any", "发布账号"),
            _c("created_at", "TIMESTAMP", "Publication time", "发布时间", nullable=False),
            _c("text", "VARCHAR", "Text (PII redacted)", "正文(已脱敏)", free_text=True),
            _c("media_type", "VARCHAR", "Format", "内容形式", enum=MEDIA_TYPES),
            _c("topics", "VARCHAR[]", "Topic tags and hashtags", "话题标签"),
            _c("campaign_id", "VARCHAR", "Campaign it belongs to", "所属活动"),
            _c("parent_id", "VARCHAR", "Post it reposts or replies to", "转发/回复的上级帖子"),
            _c("root_id", "VARCHAR", "Original post at the root of its cascade", "传播链根帖子"),
            _c("is_ugc", "BOOLEAN", "Written by a user about the brand (user-generated content)", "是否用户原创内容"),
            _c("likes", "BIGINT", "Like count reported by the platform", "点赞数"),
            _c("comments", "BIGINT", "Comment count reported by the platform", "评论数"),
            _c("reposts", "BIGINT", "Repost/share count reported by the platform", "转发数"),
            _c("saves", "BIGINT", "Save/collect count", "收藏数"),
            _c("clicks", "BIGINT", "Link clicks", "点击数"),
            _c("impressions", "BIGINT", "Impressions/views", "曝光/阅读数"),
            _c("reach", "BIGINT", "Unique accounts reached", "触达人数"),
            _c("author_followers", "BIGINT", "Author's followers when posted", "发布时作者粉丝数"),
            _c("url", "VARCHAR", "Link to the post", "链接"),
        ),
        key=("platform", "post_id"),
    )
)

INTERACTIONS = _table(
    Table(
        "interactions",
        "Individual interactions: likes, comments, reposts, clicks, views, follows, mentions, DMs, saves",
        "单条互动:点赞、评论、转发、点击、浏览、关注、提及、私信、收藏",
        (
            PLATFORM,
            _c("interaction_id", "VARCHAR", "Platform id, or a content hash when none", "互动ID", nullable=False),
            _c("type", "VARCHAR", "Kind of interaction", "互动类型", nullable=False, enum=INTERACTION_TYPES),
            _c("actor_id", "VARCHAR", "Who acted (pseudonym)", "行为人", nullable=False, user_id=True),
            _c("target_post_id", "VARCHAR", "Post acted on", "目标帖子"),
            _c("target_user_id", "VARCHAR", "User or account acted on (follow, mention, dm)", "目标用户", user_id=True),
            _c("created_at", "TIMESTAMP", "When", "时间", nullable=False),
            _c("dwell_seconds", "DOUBLE", "Time spent (views, clicks)", "停留时长(秒)"),
            _c("text", "VARCHAR", "Comment/DM text (PII redacted)", "评论/私信内容(已脱敏)", free_text=True),
            _c("parent_id", "VARCHAR", "Interaction it replies to (comment threads, DM replies)", "回复的上级互动"),
            _c("is_inbound", "BOOLEAN", "Addressed to the organization (needs an answer)", "是否需回复的来信"),
            _c("by_staff", "BOOLEAN", "Written by the organization's staff (a reply)", "是否官方回复"),
            _c("is_automated", "BOOLEAN", "Automatic reply (excluded from response time)", "是否自动回复"),
            _c("url", "VARCHAR", "Link to the message on the platform (shown to the roles that answer people)",
               "平台上的消息链接(回复人员可见)"),
        ),
        key=("platform", "interaction_id"),
    )
)

FOLLOWS = _table(
    Table(
        "follows",
        "Follow relationships (snapshot edges)",
        "关注关系",
        (
            PLATFORM,
            _c("follower_id", "VARCHAR", "Follower (pseudonym)", "关注者", nullable=False, user_id=True),
            _c("followee_id", "VARCHAR", "Followed user or account", "被关注者", nullable=False, user_id=True),
            _c("created_at", "TIMESTAMP", "Since", "关注时间"),
        ),
        key=("platform", "follower_id", "followee_id"),
    )
)

CONTACTS = _table(
    Table(
        "contacts",
        "How to reach a person: public handle, display name and profile link, keyed by their pseudonym. Only the "
        "reply inbox shows them, to the roles in [privacy] show_contacts_to; analytics never read this table; it "
        "stays out of the lake; `forget` deletes it ([privacy] contacts = false: not imported)",
        "联系方式:公开账号名、昵称与主页链接(以假名为键)。仅回复收件箱向 [privacy] show_contacts_to 中的角色显示;"
        "分析不读取,不导出到数据湖;`forget` 时删除",
        (
            PLATFORM,
            _c("user_id", "VARCHAR", "User id (pseudonym, as in the other tables)", "用户ID(假名)", nullable=False,
               user_id=True),
            _c("handle", "VARCHAR", "Public handle (@name, screen name)", "公开账号名"),
            _c("display_name", "VARCHAR", "Display name", "昵称"),
            _c("profile_url", "VARCHAR", "Link to the profile", "主页链接"),
        ),
        key=("platform", "user_id"),
        lake=False,
    )
)

ORDERS = _table(
    Table(
        "orders",
        "Orders, linked to users where the shop knows their social identity",
        "订单(可关联社交身份)",
        (
            PLATFORM,
            _c("order_id", "VARCHAR", "Order id", "订单号", nullable=False),
            _c("user_id", "VARCHAR", "Customer (pseudonym)", "顾客", nullable=False, user_id=True,
               id_platform="user_platform"),
            _USER_PLATFORM,
            _c("created_at", "TIMESTAMP", "Order time", "下单时间", nullable=False),
            _c("amount", "DOUBLE", "Amount", "金额"),
            _c("currency", "VARCHAR", "Currency", "币种"),
            _c("product", "VARCHAR", "Product", "商品"),
            _c("campaign_id", "VARCHAR", "Attributed campaign", "归因活动"),
        ),
        key=("platform", "order_id"),
    )
)

SURVEY_RESPONSES = _table(
    Table(
        "survey_responses",
        "Survey answers, including Net Promoter Score",
        "问卷回答(含净推荐值NPS)",
        (
            PLATFORM,
            _c("response_id", "VARCHAR", "Response id", "答卷ID", nullable=False),
            _c("survey_id", "VARCHAR", "Survey", "问卷", nullable=False),
            _c("user_id", "VARCHAR", "Respondent (pseudonym)", "答题人", user_id=True, id_platform="user_platform"),
            _USER_PLATFORM,
            _c("created_at", "TIMESTAMP", "Answered at", "答题时间", nullable=False),
            _c("nps_score", "BIGINT", "How likely to recommend, 0–10", "推荐意愿(0–10)"),
            _c("comment", "VARCHAR", "Free-text answer (PII redacted)", "开放回答(已脱敏)", free_text=True),
        ),
        key=("platform", "response_id"),
    )
)

CAMPAIGNS = _table(
    Table(
        "campaigns",
        "Campaigns (activities, challenges, launches) with budget for ROI",
        "营销活动(含预算,用于ROI)",
        (
            PLATFORM,
            _c("campaign_id", "VARCHAR", "Campaign id", "活动ID", nullable=False),
            _c("name", "VARCHAR", "Name", "活动名称"),
            _c("start_at", "TIMESTAMP", "Start", "开始时间", future=True),
            _c("end_at", "TIMESTAMP", "End", "结束时间", future=True),
            _c("budget", "DOUBLE", "Budget", "预算"),
            _c("goal", "VARCHAR", "Goal (awareness, UGC, sales …)", "目标"),
        ),
        key=("platform", "campaign_id"),
    )
)

ACCOUNT_STATS = _table(
    Table(
        "account_stats",
        "Daily statistics of the organization's accounts as the platform reports them: follower total, followers "
        "gained and lost, people who messaged (WeChat 数据统计, Douyin fans data, back-office exports)",
        "自有账号每日统计(平台口径):粉丝总数、新增与取关、发消息人数",
        (
            PLATFORM,
            _c("account_id", "VARCHAR", "Account", "账号ID", nullable=False),
            _c("day", "TIMESTAMP", "Day (midnight, the platform's calendar day)", "日期", nullable=False),
            _c("followers", "BIGINT", "Followers at the end of the day", "当日粉丝总数"),
            _c("new_followers", "BIGINT", "Followers gained that day", "新增粉丝"),
            _c("lost_followers", "BIGINT", "Followers lost (unfollows) that day", "取消关注"),
            _c("message_users", "BIGINT", "People who sent the account a message that day", "发消息人数"),
            _c("messages", "BIGINT", "Messages received that day", "收到消息数"),
        ),
        key=("platform", "account_id", "day"),
    )
)

CHAT_GROUPS = _table(
    Table(
        "chat_groups",
        "Group chats (WeChat/QQ groups, or any thread-shaped community): one row per group",
        "社群(微信群、QQ群等):每个群一行",
        (
            PLATFORM,
            _c("group_id", "VARCHAR", "Group id (the export's, or its name)", "群ID", nullable=False),
            _c("name", "VARCHAR", "Group name", "群名称"),
            _c("is_own", "BOOLEAN", "Run by the organization", "是否自有社群"),
            _c("members", "BIGINT", "Member count stated by the export", "导出时成员数"),
        ),
        key=("platform", "group_id"),
    )
)

CHAT_MESSAGES = _table(
    Table(
        "chat_messages",
        "Messages and member events of group chats; replies between members are inferred at import "
        "(docs/communities.md: quote, @mention, or the next answer to a question)",
        "群聊消息与成员事件;成员间的回复在导入时推断(引用、@、或对提问的紧接回答)",
        (
            PLATFORM,
            _c("message_id", "VARCHAR", "Message id (the export's, or a content hash)", "消息ID", nullable=False),
            _c("group_id", "VARCHAR", "Group", "群ID", nullable=False),
            _c("sender_id", "VARCHAR", "Sender; for join/leave the member who joined or left (pseudonym)",
               "发送者;入群/退群事件为该成员(假名)", nullable=False, user_id=True),
            _c("created_at", "TIMESTAMP", "When", "时间", nullable=False),
            _c("kind", "VARCHAR", "Content type, or the member event", "消息类型或成员事件", nullable=False,
               enum=MESSAGE_KINDS),
            _c("text", "VARCHAR", "Text (PII redacted)", "内容(已脱敏)", free_text=True),
            _c("is_question", "BOOLEAN", "Asks something (question mark or a question word)", "是否提问"),
            _c("reply_to_id", "VARCHAR", "Message it answers", "所回复的消息"),
            _c("reply_to_user_id", "VARCHAR", "Member it answers (pseudonym)", "所回复的成员(假名)", user_id=True),
            _c("reply_how", "VARCHAR", "How the reply was recognised", "回复的识别方式", enum=REPLY_HOW),
            _c("by_staff", "BOOLEAN", "Sent by the organization (group owner/admin, or a staff user)",
               "是否官方(群主/管理员或员工)发送"),
        ),
        key=("platform", "message_id"),
    )
)

IMPORT_BATCHES = _table(
    Table(
        "import_batches",
        "One row per import: what was read, stored, updated and quarantined",
        "导入批次记录",
        (
            _c("batch_id", "VARCHAR", "Batch id", "批次ID", nullable=False),
            _c("source_file", "VARCHAR", "File imported", "文件", nullable=False),
            _c("file_sha256", "VARCHAR", "Content hash of the file", "文件哈希"),
            _c("importer", "VARCHAR", "Format (mapping) used", "导入格式", nullable=False),
            _c("started_at", "TIMESTAMP", "Start", "开始时间", nullable=False),
            _c("finished_at", "TIMESTAMP", "End", "结束时间"),
            _c("status", "VARCHAR", "ok or failed", "状态", nullable=False),
            _c("rows_read", "BIGINT", "Rows read", "读取行数"),
            _c("rows_stored", "BIGINT", "New rows stored", "新增行数"),
            _c("rows_updated", "BIGINT", "Existing rows changed", "更新行数"),
            _c("rows_unchanged", "BIGINT", "Rows already present unchanged", "未变化行数"),
            _c("rows_quarantined", "BIGINT", "Rows quarantined", "隔离行数"),
            _c("redactions", "VARCHAR", "PII redaction counts (JSON)", "脱敏计数(JSON)"),
            _c("message", "VARCHAR", "Error or note", "说明"),
        ),
        key=("batch_id",),
        provenance=False,
    )
)

QUARANTINE = _table(
    Table(
        "quarantine",
        "Rows that failed validation, with where and why",
        "未通过校验的隔离行",
        (
            _c("batch_id", "VARCHAR", "Batch", "批次", nullable=False),
            _c("source_file", "VARCHAR", "File", "文件", nullable=False),
            _c("row_number", "BIGINT", "Row in the file (1 = first data row)", "行号", nullable=False),
            _c("column_name", "VARCHAR", "Column at fault", "出错列"),
            _c("reason", "VARCHAR", "Why it was rejected", "原因", nullable=False),
            _c("raw", "VARCHAR", "The row as read (JSON; user ids pseudonymised, personal data redacted; admins only)",
               "原始内容(JSON;用户ID已假名化、个人信息已脱敏;仅管理员可见)"),
            _c("target_table", "VARCHAR", "Table it was meant for", "目标表"),
            _c("row_key", "VARCHAR", "The row's key when it could be read (a later import storing it resolves the entry)",
               "可读出的行主键(之后导入成功即移出隔离区)"),
            _c("fingerprint", "VARCHAR", "Hash of table and raw row (the same bad row imported again replaces it)",
               "表与原始行的指纹(重复导入同一坏行时替换而不重复)"),
            _c("category", "VARCHAR", "The reason without the offending value (what summaries count)", "原因类别"),
        ),
        key=("batch_id", "row_number", "target_table"),
        provenance=False,
    )
)

TEXT_SENTIMENT = _table(
    Table(
        "text_sentiment",
        "Sentiment of each post and comment/DM, with the model that scored it (written by `hudong text sentiment`)",
        "每条帖子与评论/私信的情感(含模型版本)",
        (
            PLATFORM,
            _c("kind", "VARCHAR", "What was scored", "文本类别", nullable=False, enum=("post", "interaction")),
            _c("id", "VARCHAR", "posts.post_id or interactions.interaction_id", "帖子或互动ID", nullable=False),
            _c("lang", "VARCHAR", "Language detected", "语言", enum=("zh", "en", "other")),
            _c("polarity", "VARCHAR", "positive, neutral or negative (null: language not scored)", "情感极性",
               enum=("positive", "neutral", "negative")),
            _c("score", "DOUBLE", "P(positive) − P(negative), in [−1, 1]", "情感分值"),
            _c("coverage", "DOUBLE", "Share of the text's words (en) or character bigrams and trigrams (zh) the model "
               "knows; below 0.5 (en) or 0.3 (zh) the text is outside the model's domain and the score means little "
               "(null: too short to judge)", "模型认识的词/字组占比(英文低于0.5、中文低于0.3即超出模型领域,分值仅供参考)"),
            _c("model_version", "VARCHAR", "Model that produced the score", "模型版本"),
            _c("text_hash", "BIGINT", "Fingerprint of the text scored (DuckDB hash): an edited text is rescored",
               "所评文本的指纹(编辑后重新评分)"),
        ),
        key=("platform", "kind", "id"),
        provenance=False,
    )
)

TEXT_SIGNALS = _table(
    Table(
        "text_signals",
        "Emotion and toxicity of each post and comment/DM, with the models that scored them (written with "
        "text_sentiment by `hudong text score`)",
        "每条帖子与评论/私信的情绪与攻击性(含模型版本)",
        (
            PLATFORM,
            _c("kind", "VARCHAR", "What was scored", "文本类别", nullable=False, enum=("post", "interaction")),
            _c("id", "VARCHAR", "posts.post_id or interactions.interaction_id", "帖子或互动ID", nullable=False),
            _c("lang", "VARCHAR", "Language detected", "语言", enum=("zh", "en", "other")),
            _c("emotion", "VARCHAR", "Emotion, SMP2020-EWECT scheme (null: language not scored)", "情绪",
               enum=("neutral", "happy", "angry", "sad", "fear", "surprise")),
            _c("emotion_score", "DOUBLE", "Probability of that emotion", "情绪概率"),
            _c("emotion_model_version", "VARCHAR", "Model that produced the emotion", "情绪模型版本"),
            _c("toxicity", "DOUBLE", "P(toxic): offensive, abusive or hateful language", "攻击性概率"),
            _c("toxic", "BOOLEAN", "toxicity ≥ the model's threshold (0.5)", "是否攻击性"),
            _c("toxicity_model_version", "VARCHAR", "Model that produced the toxicity", "攻击性模型版本"),
            _c("text_hash", "BIGINT", "Fingerprint of the text scored (DuckDB hash): an edited text is rescored",
               "所评文本的指纹(编辑后重新评分)"),
        ),
        key=("platform", "kind", "id"),
        provenance=False,
    )
)

WEB_USERS = _table(
    Table(
        "web_users",
        "People who sign in to the web workspace (argon2 password hashes; never exported)",
        "网页工作台用户(argon2 密码哈希,不导出)",
        (
            _c("name", "VARCHAR", "Sign-in name", "登录名", nullable=False),
            _c("role", "VARCHAR", "Role", "角色", nullable=False, enum=("admin", "analyst", "responder", "viewer")),
            _c("password_hash", "VARCHAR", "argon2 hash of the password", "密码哈希", nullable=False),
            _c("token_hash", "VARCHAR", "Hash of the API token, if one was issued", "API 令牌哈希"),
            _c("created_at", "TIMESTAMP", "Created", "创建时间", nullable=False),
            _c("disabled", "BOOLEAN", "Cannot sign in", "已停用", nullable=False, default="FALSE"),
        ),
        key=("name",),
        provenance=False,
    ),
    APP_TABLES,
)

WEB_SESSIONS = _table(
    Table(
        "web_sessions",
        "Signed-in browser sessions (server side: the cookie holds a random id, only its SHA-256 is stored; "
        "signing out, a password change, disabling or removing the user deletes them)",
        "网页登录会话(服务器端:Cookie 只含随机 ID,这里只存其 SHA-256;退出、改密码、停用或删除用户即删除)",
        (
            _c("session_hash", "VARCHAR", "SHA-256 of the session id in the cookie", "会话 ID 哈希", nullable=False),
            _c("user_name", "VARCHAR", "Web user signed in", "用户", nullable=False),
            _c("csrf", "VARCHAR", "The session's CSRF token", "CSRF 令牌", nullable=False),
            _c("created_at", "TIMESTAMP", "Signed in (UTC)", "登录时间(UTC)", nullable=False),
            _c("last_seen", "TIMESTAMP", "Last request (UTC; for the idle timeout)", "最近活动(UTC)", nullable=False),
            _c("expires_at", "TIMESTAMP", "Absolute end (UTC)", "过期时间(UTC)", nullable=False),
            _c("client", "VARCHAR", "Client address at sign-in", "登录地址"),
        ),
        key=("session_hash",),
        provenance=False,
    ),
    APP_TABLES,
)

WEB_LOGIN_THROTTLE = _table(
    Table(
        "web_login_throttle",
        "Failed sign-ins per user name and per client address: counts in the current window and lockouts",
        "按用户名和客户端地址统计的登录失败次数与锁定状态",
        (
            _c("kind", "VARCHAR", "What is counted", "类别", nullable=False, enum=("user", "client")),
            _c("subject", "VARCHAR", "The user name tried, or the client address", "用户名或地址", nullable=False),
            _c("failures", "BIGINT", "Failures in the current window", "窗口内失败次数", nullable=False),
            _c("window_start", "TIMESTAMP", "Start of the current window (UTC)", "窗口开始(UTC)", nullable=False),
            _c("locked_until", "TIMESTAMP", "Locked until (UTC)", "锁定至(UTC)"),
            _c("lockouts", "BIGINT", "Lockouts in a row (each one doubles the next)", "连续锁定次数",
               nullable=False),
            _c("last_failure", "TIMESTAMP", "Last failure (UTC)", "最近失败(UTC)", nullable=False),
        ),
        key=("kind", "subject"),
        provenance=False,
    ),
    APP_TABLES,
)

SECURITY_EVENTS = _table(
    Table(
        "security_events",
        "Audit log of security events: sign-ins (ok, failed, lockout), sign-outs, password changes and resets, "
        "users added, disabled, enabled, removed, role changes, API tokens issued (append-only; no secrets)",
        "安全事件审计日志:登录(成功、失败、锁定)、退出、改密与重置、用户增删停启、角色变更、签发 API 令牌(只追加,不含密码)",
        (
            _c("occurred_at", "TIMESTAMP", "When (UTC)", "时间(UTC)", nullable=False),
            _c("event", "VARCHAR", "What happened", "事件", nullable=False),
            _c("user_name", "VARCHAR", "The user it concerns (the name tried, for a failed sign-in)", "相关用户"),
            _c("actor", "VARCHAR", "Who did it: a web user, `cli`, or empty for an unknown person", "操作人"),
            _c("client", "VARCHAR", "Client address (web) or empty (CLI)", "客户端地址"),
            _c("detail", "VARCHAR", "More about it", "详情"),
        ),
        key=(),
        provenance=False,
    ),
    APP_TABLES,
)

CONNECTOR_STATE = _table(
    Table(
        "connector_state",
        "Where each connector ([connectors.NAME] in hudong.toml) has got to: its cursor, last run and error",
        "各数据连接器([connectors.NAME])的同步进度：游标、最近运行与错误",
        (
            _c("name", "VARCHAR", "The connector's name in hudong.toml", "连接器名称", nullable=False),
            _c("kind", "VARCHAR", "Its type (folder, …)", "类型", nullable=False),
            _c("cursor", "VARCHAR", "Position after the last imported batch (the connector's own format)", "游标"),
            _c("last_run", "TIMESTAMP", "Last run (UTC)", "最近运行(UTC)"),
            _c("last_ok", "TIMESTAMP", "Last run without error (UTC)", "最近成功(UTC)"),
            _c("last_error", "VARCHAR", "The last run's error, if any", "最近错误"),
            _c("batches", "BIGINT", "Batches imported so far", "已导入批次", nullable=False),
            _c("rows_read", "BIGINT", "Rows read so far", "已读取行数", nullable=False),
            _c("paused", "VARCHAR", "Why syncing stopped until someone acts (credentials refused); null: running",
               "暂停原因(凭据被拒,需人工处理);空:正常运行"),
        ),
        key=("name",),
        provenance=False,
    ),
    APP_TABLES,
)

PLAN_STATES = ("idea", "draft", "in_review", "approved", "scheduled", "published", "missed", "failed")
PLAN_ITEMS = _table(
    Table(
        "plan_items",
        "The content calendar: what is planned, for which platform and account, by whom, when (hudong/plan)",
        "内容日历：计划发布的内容、平台与账号、负责人、时间",
        (
            _c("item_id", "VARCHAR", "Plan item id", "计划ID", nullable=False),
            PLATFORM,
            _c("account_id", "VARCHAR", "Own account it is for", "发布账号"),
            _c("title", "VARCHAR", "Title (小红书, WeChat articles, Reddit) or working title", "标题"),
            _c("text", "VARCHAR", "The post's text", "正文"),
            _c("images", "BIGINT", "Images attached", "图片数", nullable=False, default="0"),
            _c("state", "VARCHAR", "Where it is: idea → draft → in review → approved → scheduled → published / "
               "missed / failed", "状态", nullable=False, enum=PLAN_STATES),
            _c("owner", "VARCHAR", "Who is responsible", "负责人"),
            _c("campaign_id", "VARCHAR", "Campaign it belongs to", "所属活动"),
            _c("content_type", "VARCHAR", "Format", "内容形式", enum=MEDIA_TYPES),
            _c("topics", "VARCHAR[]", "Topic tags", "话题标签"),
            _c("segment", "VARCHAR", "Target segment", "目标人群"),
            _c("scheduled_at", "TIMESTAMP", "When it goes out (workspace time)", "计划发布时间"),
            _c("published_at", "TIMESTAMP", "When it went out", "实际发布时间"),
            _c("url", "VARCHAR", "Link to the published post", "发布链接"),
            _c("post_id", "VARCHAR", "The published post (posts.post_id), once reconciled", "对应帖子ID"),
            _c("outbox_id", "VARCHAR", "The outbox action publishing it (platforms with a publishing connector)",
               "发布它的发件箱操作"),
            _c("recurrence", "VARCHAR", "Repeats: weekly or monthly (a slot)", "重复", enum=("weekly", "monthly")),
            _c("created_by", "VARCHAR", "Who planned it", "创建人", nullable=False),
            _c("created_at", "TIMESTAMP", "When", "创建时间", nullable=False),
            _c("updated_at", "TIMESTAMP", "Last change", "更新时间", nullable=False),
        ),
        key=("item_id",),
        provenance=False,
    ),
    APP_TABLES,
)

PLAN_EVENTS = _table(
    Table(
        "plan_events",
        "The content calendar's log: every change, comment, submission and approval of a plan item",
        "内容日历日志：每次修改、评论、送审与审批",
        (
            _c("item_id", "VARCHAR", "Plan item", "计划ID", nullable=False),
            _c("happened_at", "TIMESTAMP", "When", "时间", nullable=False),
            _c("actor", "VARCHAR", "Who", "操作人", nullable=False),
            _c("action", "VARCHAR", "What happened", "操作", nullable=False),
            _c("from_state", "VARCHAR", "State before", "原状态"),
            _c("to_state", "VARCHAR", "State after", "新状态"),
            _c("note", "VARCHAR", "Comment or what changed", "说明"),
        ),
        key=(),
        provenance=False,
    ),
    APP_TABLES,
)

EXPERIMENT_STATES = ("draft", "running", "stopped", "concluded")
EXPERIMENTS = _table(
    Table(
        "experiments",
        "Experiments on organic content, pre-registered (hypothesis, primary metric, MDE, planned size, stop rule: "
        "locked once it runs) and concluded with the result and the decision — the learning log (hudong/plan)",
        "内容实验：预先登记（假设、主要指标、最小可检测效应、计划样本量、停止规则，启动后锁定），结束时记录结果与决策——学习日志",
        (
            _c("experiment_id", "VARCHAR", "Experiment id (one per version)", "实验ID", nullable=False),
            _c("name", "VARCHAR", "Name (shared by its versions)", "名称", nullable=False),
            _c("version", "BIGINT", "Version: a change to a locked field after launch makes a new one", "版本",
               nullable=False),
            _c("supersedes", "VARCHAR", "The version it replaces", "替代的版本"),
            _c("hypothesis", "VARCHAR", "What is expected and why", "假设", nullable=False),
            _c("design", "VARCHAR", "posts (variants of posts), replies (per conversation, unit = the person), "
               "switchback (alternating time windows, unit = a window)", "实验设计", nullable=False,
               enum=("posts", "replies", "switchback")),
            _c("arms", "VARCHAR[]", "Arms, control first", "实验组(第一个为对照组)", nullable=False),
            _c("weights", "VARCHAR", "Planned split (JSON list, one per arm)", "计划分配比例", nullable=False),
            _c("primary_metric", "VARCHAR", "The decision metric", "主要指标", nullable=False),
            _c("guardrails", "VARCHAR[]", "Metrics that must not get worse", "护栏指标"),
            _c("mde", "DOUBLE", "Minimal detectable effect (relative)", "最小可检测效应(相对)", nullable=False),
            _c("planned_n", "BIGINT", "Planned units per arm", "计划每组样本量", nullable=False),
            _c("alpha", "DOUBLE", "Significance level", "显著性水平", nullable=False),
            _c("stop_rule", "VARCHAR", "fixed (read at the planned size) or sequential (always-valid, look daily)",
               "停止规则", nullable=False, enum=("fixed", "sequential")),
            _c("state", "VARCHAR", "draft → running → stopped → concluded", "状态", nullable=False,
               enum=EXPERIMENT_STATES),
            _c("created_by", "VARCHAR", "Who registered it", "登记人", nullable=False),
            _c("created_at", "TIMESTAMP", "When", "登记时间", nullable=False),
            _c("started_at", "TIMESTAMP", "Launched (its registration locked)", "启动时间"),
            _c("ended_at", "TIMESTAMP", "Stopped", "停止时间"),
            _c("result", "VARCHAR", "The analysis at conclusion (JSON)", "结论时的分析结果(JSON)"),
            _c("decision", "VARCHAR", "What was decided", "决策"),
            _c("decided_by", "VARCHAR", "Who decided", "决策人"),
            _c("decided_at", "TIMESTAMP", "When", "决策时间"),
            _c("decision_action", "VARCHAR", "What the decision does: ship the variant, keep control, iterate (test "
               "again), abandon", "决策行动", enum=DECISION_ACTIONS),
            _c("followed_result", "BOOLEAN", "Whether the decision's action followed the result at conclusion (a "
               "winner shipped, no difference kept …; null: no action given)", "决策是否遵循实验结果"),
            _c("window_days", "BIGINT", "Replies design: every outcome counted within this many days of the reply "
               "(null: 7 for answers, messages, tone and toxic messages; 30 for orders and unfollows)",
               "结果观察窗口(天)"),
        ),
        key=("experiment_id",),
        provenance=False,
    ),
    APP_TABLES,
)

EXPERIMENT_UNITS = _table(
    Table(
        "experiment_units",
        "Which unit (a post, a person) is in which arm of which experiment, assigned at random within its block",
        "实验单元分组：每个单元（帖子或用户）在区组内随机分到的组",
        (
            _c("experiment_id", "VARCHAR", "Experiment", "实验ID", nullable=False),
            _c("unit_id", "VARCHAR", "posts: platform:post_id; replies: platform:user (pseudonym)", "单元",
               nullable=False),
            _c("arm", "VARCHAR", "Arm", "组别", nullable=False),
            _c("block", "VARCHAR", "Randomisation block (platform, weekday, hour …)", "区组"),
            _c("assigned_at", "TIMESTAMP", "When it entered the experiment", "入组时间", nullable=False),
        ),
        key=("experiment_id", "unit_id"),
        provenance=False,
    ),
    APP_TABLES,
)

SEGMENT_RUNS = _table(
    Table(
        "segment_runs",
        "Segmentations of the audience, one per run, with their definition: learned (k-means on behaviour) or "
        "rules (RFM), kept so runs can be compared over time (hudong/analyses/segments.py)",
        "受众分群：每次运行一条，含定义(行为聚类或RFM规则)，便于跨时间比较",
        (
            _c("run_id", "VARCHAR", "Run id", "运行ID", nullable=False),
            _c("kind", "VARCHAR", "learned (clusters of behaviour) or rules (RFM)", "类型", nullable=False,
               enum=("learned", "rules")),
            _c("created_at", "TIMESTAMP", "When it ran", "运行时间", nullable=False),
            _c("created_by", "VARCHAR", "Who ran it", "运行人"),
            _c("as_of", "TIMESTAMP", "The last interaction it saw (recency is counted from it)", "数据截止时间"),
            _c("people", "BIGINT", "People segmented", "分群人数", nullable=False),
            _c("k", "BIGINT", "Segments", "人群数", nullable=False),
            _c("criterion", "VARCHAR", "How k was chosen, with its score", "选择人群数的准则"),
            _c("definition", "VARCHAR", "JSON: parameters, features, and per segment its names (zh, en), size and "
               "top traits", "定义(JSON)", nullable=False),
        ),
        key=("run_id",),
        provenance=False,
    ),
    APP_TABLES,
)

SEGMENT_MEMBERS = _table(
    Table(
        "segment_members",
        "Who is in which segment of which run", "各次分群中每个人所属的人群",
        (
            _c("run_id", "VARCHAR", "Run", "运行ID", nullable=False),
            PLATFORM,
            _c("user_id", "VARCHAR", "Person (pseudonym)", "用户(假名)", nullable=False, user_id=True),
            _c("segment", "VARCHAR", "Segment (its number, or the rule's name)", "人群", nullable=False),
        ),
        key=("run_id", "platform", "user_id"),
        provenance=False,
    ),
    APP_TABLES,
)

IDEA_STATUSES = ("new", "considering", "planned", "shipped", "declined")

IDEAS = _table(
    Table(
        "ideas",
        "The co-creation board: suggestions, requests, complaints and bug reports grouped into ideas, with their "
        "status (hudong/analyses/ideas.py)",
        "共创看板：把建议、需求、抱怨与故障反馈归并为“想法”,并记录处理状态",
        (
            _c("idea_id", "VARCHAR", "Idea id", "想法ID", nullable=False),
            _c("kind", "VARCHAR", "What most of its messages are", "类型", nullable=False,
               enum=("bug", "request", "suggestion", "complaint")),
            _c("title", "VARCHAR", "Its most central message, cleaned (an operator may rename it)", "标题",
               nullable=False),
            _c("title_source", "VARCHAR", "The message the title was taken from (platform:source:message_id; null "
               "once renamed): erasing its author blanks the title", "标题来源消息"),
            _c("status", "VARCHAR", "new → considering → planned → shipped / declined", "状态", nullable=False,
               enum=IDEA_STATUSES),
            _c("created_at", "TIMESTAMP", "When hudong first grouped it", "创建时间", nullable=False),
            _c("updated_at", "TIMESTAMP", "Last change of status or title", "更新时间"),
            _c("updated_by", "VARCHAR", "Who changed it last", "更新人"),
            _c("note", "VARCHAR", "The team's note (why declined, when planned …)", "备注"),
            _c("answered_at", "TIMESTAMP", "When its supporters were first answered (replies drafted or sent)", "答复时间"),
        ),
        key=("idea_id",),
        provenance=False,
    ),
    APP_TABLES,
)

IDEA_MESSAGES = _table(
    Table(
        "idea_messages",
        "Which message supports which idea: a comment or DM (interactions), a post, a group-chat message or a "
        "survey answer, with its author",
        "想法与支持它的原始消息(评论/私信、帖子、群聊消息、问卷回答)",
        (
            _c("idea_id", "VARCHAR", "Idea", "想法", nullable=False),
            PLATFORM,
            _c("source", "VARCHAR", "Which table the message is in", "来源", nullable=False,
               enum=("interaction", "post", "chat", "survey")),
            _c("message_id", "VARCHAR", "interaction_id, post_id, message_id or response_id", "消息ID", nullable=False),
            _c("user_id", "VARCHAR", "Its author (pseudonym)", "作者(假名)", user_id=True),
            _c("created_at", "TIMESTAMP", "When it was written", "时间"),
            _c("label", "VARCHAR", "What it is (text.feedback)", "反馈类型", enum=("bug", "request", "suggestion",
               "complaint")),
            _c("cue", "VARCHAR", "The phrase that made it feedback", "判定依据"),
        ),
        key=("platform", "source", "message_id"),
        provenance=False,
    ),
    APP_TABLES,
)

OUTBOX = _table(
    Table(
        "outbox",
        "Every action hudong takes on a platform (reply, post, like …): a row first, then sent by the outbox worker",
        "发往平台的每个操作(回复、发帖、点赞等)：先记录为一行，再由发件箱发送",
        (
            _c("action_id", "VARCHAR", "Action id (also its idempotency key)", "操作ID(幂等键)", nullable=False),
            _c("connector", "VARCHAR", "Connector that performs it ([connectors.NAME])", "连接器", nullable=False),
            PLATFORM,
            _c("action", "VARCHAR", "What to do: a platform capability (reply, publish, like, …)", "操作",
               nullable=False, enum=tuple(c for c in P.CAPABILITIES if not c.startswith("read_"))),
            _c("target", "VARCHAR", "What it acts on: the platform's id of the message/post/account", "目标"),
            _c("text", "VARCHAR", "The text it sends", "正文"),
            _c("payload", "VARCHAR", "Further parameters (JSON: images, visibility …)", "其他参数(JSON)"),
            _c("item", "VARCHAR", "Inbox item it answers (platform:interaction_id), if any", "收件箱条目"),
            _c("state", "VARCHAR", "draft, approved, sending, sent, failed, unknown, cancelled", "状态",
               nullable=False, enum=("draft", "approved", "sending", "sent", "failed", "unknown", "cancelled")),
            _c("attempts", "BIGINT", "Send attempts so far", "已尝试次数", nullable=False),
            _c("next_attempt", "TIMESTAMP", "Not sent before (retries back off)", "下次尝试时间"),
            _c("error", "VARCHAR", "The platform's last error", "最近错误"),
            _c("platform_id", "VARCHAR", "Id of what the platform made (the reply, the post)", "平台返回ID"),
            _c("url", "VARCHAR", "Link to it on the platform", "链接"),
            _c("created_by", "VARCHAR", "Who queued it", "创建人", nullable=False),
            _c("created_at", "TIMESTAMP", "When it was queued", "创建时间", nullable=False),
            _c("approved_by", "VARCHAR", "Who approved it", "批准人"),
            _c("sent_at", "TIMESTAMP", "When the platform accepted it", "发送时间"),
        ),
        key=("action_id",),
        provenance=False,
    ),
    APP_TABLES,
)

OUTBOX_EVENTS = _table(
    Table(
        "outbox_events",
        "The outbox's audit log: every change of every action (queued, approved, sending, sent, failed …)",
        "发件箱审计日志：每个操作的每次状态变化",
        (
            _c("action_id", "VARCHAR", "Action", "操作ID", nullable=False),
            _c("event", "VARCHAR", "What happened", "事件", nullable=False),
            _c("actor", "VARCHAR", "Who (a user, or the worker)", "执行者", nullable=False),
            _c("detail", "VARCHAR", "The error, the platform id …", "详情"),
            _c("happened_at", "TIMESTAMP", "When", "时间", nullable=False),
        ),
        key=(),
        provenance=False,
    ),
    APP_TABLES,
)

INBOX_ACTIONS = _table(
    Table(
        "inbox_actions",
        "Every action taken in the reply inbox: who did what to which message, when (append-only log)",
        "回复收件箱的操作记录(谁、何时、对哪条消息做了什么)",
        (
            PLATFORM,
            _c("interaction_id", "VARCHAR", "Message acted on", "消息", nullable=False),
            _c("action", "VARCHAR",
               "assign, replied, ignore, escalate, reopen, draft (the note is the draft), label (note: task=label)",
               "操作", nullable=False),
            _c("assignee", "VARCHAR", "Teammate assigned", "指派给"),
            _c("note", "VARCHAR", "Note", "备注"),
            _c("by_user", "VARCHAR", "Web user who acted", "操作人", nullable=False),
            _c("acted_at", "TIMESTAMP", "When", "时间", nullable=False),
        ),
        key=(),
        provenance=False,
    ),
    APP_TABLES,
)

REPLY_TEMPLATES = _table(
    Table(
        "reply_templates",
        "Reply templates for the inbox: a body with placeholders {user}, {brand}, {platform}",
        "回复模板(正文可含占位符 {user}、{brand}、{platform})",
        (
            _c("name", "VARCHAR", "Template name", "模板名称", nullable=False),
            _c("lang", "VARCHAR", "Language of the body", "语言", nullable=False, enum=("zh", "en")),
            _c("body", "VARCHAR", "Text with placeholders", "正文", nullable=False),
            _c("updated_by", "VARCHAR", "Web user who last saved it", "最后修改人", nullable=False),
            _c("updated_at", "TIMESTAMP", "When", "修改时间", nullable=False),
        ),
        key=("name", "lang"),
        provenance=False,
    ),
    APP_TABLES,
)

INBOX_DRAFTS = _table(
    Table(
        "inbox_drafts",
        "Reply drafts saved as an operator types in the inbox composer (one per message and operator; cleared "
        "when the reply goes out)",
        "收件箱回复编辑框中自动保存的草稿(每条消息每位运营一份;回复发出后清除)",
        (
            PLATFORM,
            _c("interaction_id", "VARCHAR", "Message answered", "消息", nullable=False),
            _c("by_user", "VARCHAR", "Web user writing it", "撰写人", nullable=False),
            _c("text", "VARCHAR", "The draft as last saved", "草稿正文", nullable=False),
            _c("saved_at", "TIMESTAMP", "When", "保存时间", nullable=False),
        ),
        key=("platform", "interaction_id", "by_user"),
        provenance=False,
    ),
    APP_TABLES,
)

WEB_UPLOADS = _table(
    Table(
        "web_uploads",
        "Files uploaded through the web workspace (stored under uploads/; the import batches name the stored path)",
        "通过网页上传的文件(保存在 uploads/ 目录;导入批次记录保存路径)",
        (
            _c("upload_id", "VARCHAR", "Upload id", "上传ID", nullable=False),
            _c("original_name", "VARCHAR", "File name as sent by the browser (display only)", "原文件名",
               nullable=False),
            _c("stored_path", "VARCHAR", "Where it is stored (the batches' source_file)", "保存路径",
               nullable=False),
            _c("size_bytes", "BIGINT", "Size", "大小", nullable=False),
            _c("file_sha256", "VARCHAR", "Content hash", "文件哈希", nullable=False),
            _c("uploaded_by", "VARCHAR", "Web user", "上传人", nullable=False),
            _c("uploaded_at", "TIMESTAMP", "When", "上传时间", nullable=False),
            _c("erased_at", "TIMESTAMP", "When `hudong forget` deleted the stored copy (it held a forgotten person's rows)",
               "因删除某人数据而删除存档文件的时间"),
        ),
        key=("upload_id",),
        provenance=False,
    ),
    APP_TABLES,
)

TEXT_LABELS = _table(
    Table(
        "text_labels",
        "Operators' labels on inbox messages (the current one per message and task; each labelling is also in "
        "inbox_actions): training data for `hudong text train --from-inbox`",
        "运营人员在收件箱中给消息打的标签(每条消息每个任务保留当前标签;每次标注也记入 inbox_actions),"
        "供 `hudong text train --from-inbox` 训练",
        (
            PLATFORM,
            _c("interaction_id", "VARCHAR", "Message labelled", "消息", nullable=False),
            _c("task", "VARCHAR", "Text task the label is for", "任务", nullable=False,
               enum=("sentiment", "emotion", "toxicity")),
            _c("label", "VARCHAR", "sentiment: positive, neutral, negative; toxicity: ok, toxic; emotion: the "
               "classes of the text language's emotion model (zh: neutral, happy, angry, sad, fear, surprise; "
               "en: neutral, happy, angry, sad)", "标签", nullable=False),
            _c("text", "VARCHAR", "The message text when labelled (as imported, PII-redacted; erased by `forget`)",
               "标注时的消息文本(导入时已脱敏;`forget` 时删除)", nullable=False),
            _c("lang", "VARCHAR", "Language of the text (detected)", "语言", nullable=False),
            _c("by_user", "VARCHAR", "Web user who labelled", "标注人", nullable=False),
            _c("labelled_at", "TIMESTAMP", "When", "标注时间", nullable=False),
        ),
        key=("platform", "interaction_id", "task"),
        provenance=False,
    ),
    APP_TABLES,
)

# Tables that hold imported facts (not bookkeeping).
FACT_TABLES = (
    "accounts", "users", "contacts", "posts", "interactions", "follows", "orders", "survey_responses", "campaigns",
    "chat_groups", "chat_messages", "account_stats",
)


def ddl(table: Table) -> str:
    cols = []
    for c in table.all_columns:
        default = f" DEFAULT {c.default}" if c.default is not None else ""
        cols.append(f'"{c.name}" {c.type}' + ("" if c.nullable else " NOT NULL") + default)
    if table.key:  # append-only logs have none
        cols.append("PRIMARY KEY (" + ", ".join(f'"{k}"' for k in table.key) + ")")
    return f'CREATE TABLE IF NOT EXISTS "{table.name}" (\n  ' + ",\n  ".join(cols) + "\n)"


_ARROW_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "int64",
    "DOUBLE": "float64",
    "BOOLEAN": "bool",
    "TIMESTAMP": "timestamp_us",
    "VARCHAR[]": "list_string",
}


def arrow_schema(table: Table):
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "timestamp_us": pa.timestamp("us"),
        "list_string": pa.list_(pa.string()),
    }
    return pa.schema(
        [pa.field(c.name, types[_ARROW_TYPES[c.type]], nullable=c.nullable) for c in table.all_columns]
    )


def ibis_schema(table: Table):
    import ibis

    types = {
        "VARCHAR": "string",
        "BIGINT": "int64",
        "DOUBLE": "float64",
        "BOOLEAN": "boolean",
        "TIMESTAMP": "timestamp",
        "VARCHAR[]": "array<string>",
    }
    return ibis.schema({c.name: types[c.type] for c in table.all_columns})


def markdown(lang: str = "en") -> str:
    """The schema as Markdown tables (used by docs/schema.md, regenerated by `hudong schema --markdown`)."""
    out = [f"# hudong schema (version {SCHEMA_VERSION})\n"]
    for t in [*TABLES.values(), *APP_TABLES.values()]:
        out.append(f"## `{t.name}` — {t.en if lang == 'en' else t.zh}\n")
        out.append(f"Key: ({', '.join(t.key)})\n" if t.key else "Key: none (append-only log)\n")
        out.append("| column | type | required | meaning | 含义 |")
        out.append("|---|---|---|---|---|")
        for c in t.all_columns:
            notes = []
            if c.user_id:
                notes.append("pseudonymised")
            if c.free_text:
                notes.append("PII-redacted")
            if c.enum:
                notes.append("one of: " + ", ".join(c.enum))
            extra = f" ({'; '.join(notes)})" if notes else ""
            out.append(f"| `{c.name}` | {c.type} | {'yes' if not c.nullable else ''} | {c.en}{extra} | {c.zh} |")
        out.append("")
    return "\n".join(out)


@dataclass
class Migration:
    """A schema change from ``version - 1`` to ``version``: SQL statements run in one transaction."""

    version: int
    description: str
    statements: list[str] = field(default_factory=list)


# Append a Migration here whenever SCHEMA_VERSION is bumped; `hudong.store.workspace` applies them in order.
MIGRATIONS: list[Migration] = [
    Migration(2, "text_signals: emotion and toxicity per post/comment (issue #4)", [ddl(TEXT_SIGNALS)]),
    # Rows scored before have no fingerprint: the next `hudong text score` rescores them (once).
    Migration(3, "text_hash on the score tables: incremental text scoring", [
        f'ALTER TABLE IF EXISTS "{t}" ADD COLUMN IF NOT EXISTS text_hash BIGINT' for t in ("text_sentiment", "text_signals")
    ]),
    # Quarantine rows written before held raw ids and unredacted text: their raw rows are dropped (the file, row,
    # column and reason stay; re-importing the file shows the sanitised raw rows again).
    Migration(4, "quarantine: sanitised raw rows, row key, fingerprint and category; contacts and interactions.url "
                 "for responders; web_uploads.erased_at (issue #19)", [
        "ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS row_key VARCHAR",
        "ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS fingerprint VARCHAR",
        "ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS category VARCHAR",
        "UPDATE quarantine SET raw = NULL",
        "ALTER TABLE IF EXISTS web_uploads ADD COLUMN IF NOT EXISTS erased_at TIMESTAMP",
        "ALTER TABLE interactions ADD COLUMN IF NOT EXISTS url VARCHAR",
        ddl(CONTACTS),
    ]),
    Migration(5, "connector_state: cursors of the connectors (issue #13)", [ddl(CONNECTOR_STATE)]),
    Migration(6, "outbox and its audit log: actions sent to the platforms (issue #14)",
              [ddl(OUTBOX), ddl(OUTBOX_EVENTS)]),
    Migration(7, "connector_state.paused: a connector whose credentials were refused stops retrying (issue #14)",
              ["ALTER TABLE connector_state ADD COLUMN IF NOT EXISTS paused VARCHAR"]),
    Migration(8, "chat_groups and chat_messages: group-chat communities (issue #15)",
              [ddl(CHAT_GROUPS), ddl(CHAT_MESSAGES)]),
    Migration(9, "account_stats: daily follower and message statistics of own accounts (issue #15)",
              [ddl(ACCOUNT_STATS)]),
    Migration(10, "plan_items and plan_events: the content calendar (issue #16)", [ddl(PLAN_ITEMS), ddl(PLAN_EVENTS)]),
    Migration(11, "experiments and experiment_units: pre-registered experiments and the learning log (issue #16)",
              [ddl(EXPERIMENTS), ddl(EXPERIMENT_UNITS)]),
    Migration(12, "experiments.decision_action, followed_result: whether a decision followed its result (issue #16)",
              ["ALTER TABLE experiments ADD COLUMN IF NOT EXISTS decision_action VARCHAR",
               "ALTER TABLE experiments ADD COLUMN IF NOT EXISTS followed_result BOOLEAN"]),
    Migration(13, "segment_runs and segment_members: audience segments kept per run (issue #17)",
              [ddl(SEGMENT_RUNS), ddl(SEGMENT_MEMBERS)]),
    Migration(14, "experiments.window_days: a replies experiment's outcome window, registered (issue #16)",
              ["ALTER TABLE experiments ADD COLUMN IF NOT EXISTS window_days BIGINT"]),
    Migration(15, "ideas and idea_messages: the co-creation board (issue #17)", [ddl(IDEAS), ddl(IDEA_MESSAGES)]),
    # Rows scored before keep a null coverage (not judged) until the next rescoring.
    Migration(16, "text_sentiment.coverage: whether each scored text is in the model's domain (issue #18)",
              ['ALTER TABLE IF EXISTS text_sentiment ADD COLUMN IF NOT EXISTS coverage DOUBLE']),
]
