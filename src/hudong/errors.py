"""Errors a user can act on. The CLI prints them as one line and exits non-zero."""


class HudongError(Exception):
    """A clear, user-facing error (bad input, missing workspace, unknown metric …)."""
