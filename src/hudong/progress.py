"""Progress of long commands: a rich bar on a terminal, nothing when the output is piped.

    from hudong.progress import progress

    with progress("text bursts", total=3) as step:     # enabled=None: only when stderr is a terminal
        step("reading posts")                          # step i of 3 is running: the bar shows it
        ...
        step("segmenting", total=n_posts)             # a step with a size of its own: advance within it
        for batch in batches:
            step(advance=len(batch))
        step("Kleinberg bursts")

Analyses take an optional ``progress`` callable with the same signature (``step(description=None, *,
advance=0, total=None)``) and call it at the start of each stage (``progress("stage")``) and, inside a long
stage, with ``advance=k``; they never import rich or know where it is drawn (``NO_PROGRESS`` is the no-op). The
bar goes to stderr, so a command's output on stdout stays clean; it is transient (erased when done).

Semantics of ``step``: with a description, a new stage starts (the stage counter goes up by one and, with
``total``, the stage's own units restart at 0 of ``total``); ``advance=k`` adds k units to the current stage.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["NO_PROGRESS", "Step", "callback", "progress", "show_progress"]


class Step(Protocol):
    def __call__(self, description: str | None = None, *, advance: int = 0, total: int | None = None) -> None: ...


def _noop(description: str | None = None, *, advance: int = 0, total: int | None = None) -> None:
    return None


NO_PROGRESS: Step = _noop


def show_progress(enabled: bool | None = None) -> bool:
    """``enabled`` when given (``--progress/--no-progress``), else whether stderr is a terminal."""
    if enabled is not None:
        return enabled
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced stderr
        return False


@contextmanager
def progress(
    description: str, total: int | None = None, *, enabled: bool | None = None, console: Any = None
) -> Iterator[Step]:
    """A ``Step`` callback for ``description`` (a command) of ``total`` stages, drawn as a rich progress bar on
    stderr when ``show_progress(enabled)`` — or on ``console`` (a ``rich.console.Console``; tests force a
    terminal with ``Console(force_terminal=True, file=…)``) — else a no-op. The bar is removed at the end."""
    if console is None and not show_progress(enabled):
        yield NO_PROGRESS
        return
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    if not console.is_terminal and enabled is not True:
        yield NO_PROGRESS
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    stages = total
    state = {"stage": 0, "label": ""}
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[units]}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=None, units="")

        def title() -> str:
            n = f"{state['stage']}/{stages}" if stages else f"{state['stage']}"
            return f"{description} [{n}] {state['label']}".rstrip()

        def step(desc: str | None = None, *, advance: int = 0, total: int | None = None) -> None:
            if desc is not None:
                state["stage"] += 1
                state["label"] = desc
                bar.reset(task, total=total, description=title(), units="")
                if total is None and stages:  # a stage without units: the bar shows the stages done
                    bar.update(task, total=stages, completed=state["stage"] - 1)
            if advance:
                bar.advance(task, advance)
            t = bar.tasks[0]
            if t.total is not None and (desc is None or total is not None):
                bar.update(task, units=f"{int(t.completed):,}/{int(t.total):,}")
            bar.refresh()

        yield step


def callback(step: Step | None) -> Step:
    """``step`` or the no-op: what an analysis calls when its caller gave no progress callback."""
    return step if step is not None else NO_PROGRESS


def peak_rss_mb() -> int:
    """Peak resident memory of this process in MB, as the benchmarks and the import fuzzing report it (VmHWM:
    unlike ru_maxrss it starts afresh at exec, so a child started by a large parent does not report the
    parent's memory)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    import resource  # not on Windows; /proc is the usual source

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

