"""Read a self-assessment file (a filled-in copy of ``self_assessment_template.toml``).

Only ``answer`` is read from the user's file; question texts, dimensions and weights always come from
the packaged template so an edited copy cannot change the scoring. Errors name the file and the key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from hudong.errors import HudongError

from .rules import Question, load_rules

MAX_ANSWER = 4


def read_answers(path: Path, questions: tuple[Question, ...] | None = None) -> dict[str, int]:
    """Answers by question key (only answered questions). Raises HudongError naming the file and key."""
    questions = questions if questions is not None else load_rules().questions
    known = {q.key for q in questions}
    path = Path(path)
    if not path.is_file():
        raise HudongError(f"self-assessment file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise HudongError(f"{path}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise HudongError(f"{path}: not UTF-8 text") from None
    answers: dict[str, int] = {}
    for key, section in data.items():
        if not isinstance(section, dict):
            continue  # top-level scalars (comments turned into keys, version …) are ignored
        if key not in known:
            raise HudongError(f"{path}: unknown question [{key}]; known questions: {', '.join(sorted(known))}")
        if "answer" not in section:
            continue
        a = section["answer"]
        if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a <= MAX_ANSWER:
            raise HudongError(f"{path}: [{key}] answer must be a whole number from 0 to {MAX_ANSWER}, got {a!r}")
        answers[key] = a
    return answers


def resolve_path(ws_path: Path, configured: str | None, passed: Path | None) -> Path | None:
    """The file to read: the one passed in, else ``scorecard.self_assessment`` (relative to the workspace)."""
    if passed is not None:
        return Path(passed)
    if configured:
        p = Path(configured).expanduser()
        return p if p.is_absolute() else ws_path / p
    return None
