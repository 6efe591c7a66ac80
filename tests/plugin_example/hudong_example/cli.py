"""A CLI command: `hudong hello` runs the plugin's analysis on the workspace."""

import click

from hudong import analyses
from hudong.store.workspace import Workspace


@click.command()
@click.pass_context
def hello(ctx: click.Context) -> None:
    """Say hello with the longest post of the workspace (an example plugin command)."""
    with Workspace.open(ctx.obj["workspace"], read_only=True) as ws:
        top = analyses.run(ws, "longest_posts", top=1).frame("posts")
    click.echo(f"hello: the longest post is {top['post_id'].iloc[0]} ({int(top['length'].iloc[0])} characters)")
