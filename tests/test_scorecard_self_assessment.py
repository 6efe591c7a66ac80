"""The self-assessment file: template, answers, and errors that name the file and the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hudong.decide.rules import load_rules, template_text
from hudong.decide.scorecard import build_scorecard
from hudong.decide.self_assessment import read_answers, resolve_path
from hudong.errors import HudongError


def _answered(tmp_path: Path, answers: dict[str, object], name: str = "sa.toml") -> Path:
    """A filled-in copy of the template: uncomment `answer` of the given questions."""
    text = template_text()
    out = []
    current = None
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
        if line.strip() == "# answer = 0" and current in answers:
            value = answers[current]
            toml_value = str(value).lower() if isinstance(value, bool) else repr(value).replace("'", '"')
            line = f"answer = {toml_value}"
        out.append(line)
    p = tmp_path / name
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return p


def test_template_is_valid_toml_bilingual_and_unanswered(tmp_path):
    data = tomllib.loads(template_text())
    dims = {d.key for d in load_rules().dimensions}
    assert len(data) >= 10
    for key, q in data.items():
        assert q["dimension"] in dims, key
        assert q["zh"] and q["en"] and q["weight"] > 0, key
        assert "answer" not in q, key  # shipped unanswered
    p = tmp_path / "copy.toml"
    p.write_text(template_text(), encoding="utf-8")
    assert read_answers(p) == {}


def test_answers_are_read(tmp_path):
    p = _answered(tmp_path, {"strategy_in_plan": 3, "data_review": 0})
    assert read_answers(p) == {"strategy_in_plan": 3, "data_review": 0}


@pytest.mark.parametrize("bad", [5, -1, 2.5, "3", True])
def test_answer_out_of_range_names_file_and_key(tmp_path, bad):
    p = _answered(tmp_path, {"agile_iteration": bad})
    with pytest.raises(HudongError) as e:
        read_answers(p)
    msg = str(e.value)
    assert str(p) in msg and "[agile_iteration]" in msg and "0 to 4" in msg
    assert "\n" not in msg


def test_unknown_question_names_file_and_key(tmp_path):
    p = tmp_path / "sa.toml"
    p.write_text("[strategy_in_plna]\nanswer = 2\n", encoding="utf-8")
    with pytest.raises(HudongError, match=r"sa\.toml: unknown question \[strategy_in_plna\]"):
        read_answers(p)


def test_invalid_toml_names_file(tmp_path):
    p = tmp_path / "broken.toml"
    p.write_text("[strategy_in_plan\nanswer = 2\n", encoding="utf-8")
    with pytest.raises(HudongError, match=r"broken\.toml: not valid TOML"):
        read_answers(p)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(HudongError, match="self-assessment file not found: .*nope.toml"):
        read_answers(tmp_path / "nope.toml")


def test_edited_weights_in_a_copy_do_not_change_scoring(tmp_path):
    p = _answered(tmp_path, {"strategy_in_plan": 4})
    p.write_text(p.read_text(encoding="utf-8").replace("weight = 1.0", "weight = 100.0", 1), encoding="utf-8")
    assert read_answers(p) == {"strategy_in_plan": 4}
    assert {q.key: q.weight for q in load_rules().questions}["strategy_in_plan"] == 1.0


def test_config_path_is_relative_to_the_workspace(tmp_path):
    assert resolve_path(tmp_path, "sa.toml", None) == tmp_path / "sa.toml"
    assert resolve_path(tmp_path, "", None) is None
    assert resolve_path(tmp_path, "sa.toml", Path("/x/other.toml")) == Path("/x/other.toml")


def test_workspace_scorecard_uses_the_configured_self_assessment(workspace):
    p = _answered(
        Path(workspace.path),
        {q.key: 4 for q in load_rules().questions if q.dimension == "strategic_integration"},
        name="self-assessment.toml",
    )
    workspace.config.setdefault("scorecard", {})["self_assessment"] = p.name
    card = build_scorecard(workspace)
    d = card.dimension("strategic_integration")
    assert d.score == 100 and d.coverage == 1.0
    assert card.self_assessment == str(p)
    # An empty workspace: data evidence is missing with reasons, never invented.
    eng = card.dimension("engagement")
    assert eng.score is None and eng.evidence == []
    assert all(m.reason_en for m in eng.missing)


def test_workspace_scorecard_with_a_bad_file_fails_clearly(workspace, tmp_path):
    p = _answered(tmp_path, {"strategy_in_plan": 9})
    with pytest.raises(HudongError, match=r"\[strategy_in_plan\] answer must be"):
        build_scorecard(workspace, self_assessment=p)
