"""A connector: writes one CSV of N posts per run, numbered after its cursor."""

from hudong.connectors import Batch, Connector


class Counter(Connector):
    kind = "counter"
    platform = "mastodon"
    capabilities = frozenset({"read_posts"})

    def fetch(self, cursor):
        start = int(cursor or 0)
        n = int(self.setting("per_run", 2))
        out = self.workspace_dir / f"counter-{start}.csv"
        out.write_text("platform,post_id,author_id,created_at,text\n" + "".join(
            f"mastodon,c{i},a,2024-06-01 12:00:00,post {i}\n" for i in range(start, start + n)))
        yield Batch(out, "generic-posts", str(start + n), label=out.name)
