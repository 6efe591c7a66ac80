"""Errors a user can act on. The CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from typing import Any


class HudongError(Exception):
    """A clear, user-facing error (bad input, missing workspace, unknown metric …).

    An error a report or a web page may show is made by ``hudong.i18n.translated_error(key, **params)``: it
    carries ``key`` and ``params``, so ``hudong.i18n.error_text(err, lang)`` gives it in Chinese or English. Other
    errors have their English text only; ``error_text`` says so in Chinese instead of showing English.
    """

    def __init__(self, message: str = "", *, key: str | None = None, params: dict[str, Any] | None = None):
        super().__init__(message)
        self.key = key
        self.params = params or {}
