"""The `hudong` command line: a thin layer over the Python API and the analyses.

One module per area, each adding its commands to the group in ``base`` when imported:

- ``base``: the group, the workspace opener (which sends a command to a running `hudong serve`), shared options
  and ``run`` / ``main``;
- ``setup``: init, status, import, formats, quarantine, imports, export, schema, forget;
- ``sync``: sync, connect, connectors, outbox;
- ``measure``: metrics, cascades, KOC, coordination, groups, communities, forecast, rumour, scorecard, report;
- ``plan``: the content calendar and experiments;
- ``audience``: segments and campaigns;
- ``text``: text scoring, training, topics, bursts, mentions, alerts;
- ``serve``: demo, serve, users.

A command imports what it runs inside its own function: importing every analysis (pandas, igraph, jieba,
scikit-learn, FastAPI …) takes about 2 s, which `hudong --help` and a quick `hudong imports` should not pay. These
are the only function-local imports that cross packages; there is no import cycle to dodge (`lint-imports`).
"""

from __future__ import annotations

from hudong.cli import audience, measure, plan, serve, setup, sync, text  # noqa: F401 - each registers its commands
from hudong.cli.base import cli, main, run
from hudong.cli.serve import demo_admin

__all__ = ["cli", "demo_admin", "main", "run"]
