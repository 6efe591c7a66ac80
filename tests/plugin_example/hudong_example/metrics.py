"""A metric: the share of posts that ask a question."""

import ibis.expr.types as ir

from hudong.metrics.common import Query, Tables, filter_obs, group, post_columns, ratio
from hudong.metrics.registry import metric


@metric(name="question_share", label_en="Question share", label_zh="提问占比",
        formula="posts whose text has ? or ？ / posts with text", source="hudong_example (a test plugin)",
        unit="ratio", grain="post", dimensions=("day", "week", "month", "platform"), higher_is_better=None,
        filters=("platform",), tables=("posts",))
def question_share(t: Tables, q: Query) -> ir.Table:
    """Share of the posts with text that ask a question (a ? or ？ in the text)."""
    p = filter_obs(post_columns(t), q)
    p = p.filter(p.text.notnull())
    p = p.mutate(asks=(p.text.contains("?") | p.text.contains("？")).cast("int64"))
    g = group(p, q.dims, asking=p.asks.sum(), posts=p.post_id.count())
    return g.mutate(value=ratio(g.asking, g.posts))
