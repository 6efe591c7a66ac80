"""Errors a user can act on. The CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from typing import Any


class HudongError(Exception):
    """A clear, user-facing error (bad input, missing workspace, unknown metric …).

    An error a report or a web page may show is raised with ``HudongError.i18n(key, **params)``: its text comes
    from ``hudong.report.i18n.TEXT[key]``, so ``message(lang)`` gives it in Chinese or English. Other errors have
    their English text only; ``hudong.report.i18n.error_text`` says so in Chinese instead of showing English.
    """

    def __init__(self, message: str = "", *, key: str | None = None, params: dict[str, Any] | None = None):
        super().__init__(message)
        self.key = key
        self.params = params or {}

    @classmethod
    def i18n(cls, key: str, **params: Any) -> HudongError:
        from hudong.report.i18n import t

        return cls(t(key, "en", **params), key=key, params=params)

    def message(self, lang: str) -> str:
        from hudong.report.i18n import error_text

        return error_text(self, lang)
