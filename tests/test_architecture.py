"""Issue #13.1/7: the layers point down (import-linter, also run by `make test`), the algorithms never take a
workspace, and nothing the text analyses depend on is set process-wide."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hudong"
ALGORITHMS = ("graph", "text", "stats")


def test_the_import_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    r = subprocess.run([exe, "--no-cache"], cwd=SRC.parents[1], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:]
    assert "hudong's layers point down KEPT" in r.stdout and "algorithms never open the workspace KEPT" in r.stdout


def test_algorithms_take_frames_not_a_workspace():
    """No function of the algorithm packages has a workspace (or a DuckDB connection to one) as a parameter:
    reading the workspace is the analyses' job (hudong.analyses.reads / texts)."""
    offenders = []
    for pkg in ALGORITHMS:
        for path in sorted((SRC / pkg).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    names = {a.arg for a in (*node.args.args, *node.args.kwonlyargs)}
                    if names & {"ws", "workspace", "source"}:
                        offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert not offenders, "algorithms that take a workspace:\n" + "\n".join(offenders)


def test_no_function_local_import_dodges_a_cycle():
    """Outside the cli package (whose commands import what they run, for start-up time: its docstring), a hudong module is
    imported inside a function only when the line says why it is lazy; an import cycle is fixed, not hidden."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] == "cli":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                internal = (isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("hudong"))
                            or isinstance(node, ast.Import) and any(a.name.startswith("hudong") for a in node.names))  # fmt: skip
                if internal and "lazy" not in lines[node.lineno - 1] and "lazy" not in (fn.body[0].value.value
                        if isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant) else ""):  # fmt: skip
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {lines[node.lineno - 1].strip()}")
    assert not offenders, "function-local imports of hudong modules without a reason:\n" + "\n".join(offenders)


def test_brand_words_are_scoped_and_jieba_is_left_alone():
    """Two threads with different brand words segment the same text each their own way, and neither changes
    jieba's dictionary (another workspace, or code after the block, sees the plain segmentation)."""
    from hudong.text.tokenize import _jieba, segment, user_words

    text = "山茶社的新品好喝"
    plain = segment(text, "zh")
    assert "山茶社" not in plain  # jieba alone splits the brand
    freq_before = _jieba().FREQ.get("山茶社")
    seen: dict[str, list[str]] = {}
    barrier = threading.Barrier(2)

    def run(name: str, words: list[str]) -> None:
        with user_words(words):
            barrier.wait()  # both blocks open at once
            seen[name] = segment(text, "zh")
            barrier.wait()

    threads = [threading.Thread(target=run, args=("brand", ["山茶社"])), threading.Thread(target=run, args=("none", []))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert "山茶社" in seen["brand"] and seen["none"] == plain
    assert segment(text, "zh") == plain and _jieba().FREQ.get("山茶社") == freq_before


def test_web_state_is_declared():
    from hudong.web.app import WebState

    assert "import_jobs" in WebState.__slots__
    st = object.__new__(WebState)
    with pytest.raises(AttributeError):
        st.something_new = 1  # state is declared in WebState, never patched on at run time
