"""The reply inbox: the inbound messages waiting for a human reply (``items``: queues, actions, history) and the
labels operators set on them (``labels``: what ``hudong text train --from-inbox`` learns from). Front ends —
the web inbox, the CLI — render and call these; the ``inbox`` analysis lists a queue."""
