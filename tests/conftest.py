"""Shared test helpers: where the third-party datasets live, and a fresh workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))
# No background cache warming in web tests (it competes for the CPU): a test asks with create_app(warm=True).
# Set in the environment so `hudong serve` subprocesses (browser tests) inherit it.
os.environ.setdefault("HUDONG_WEB_WARM", "0")


def shared_data(*parts: str) -> Path:
    """Path to a shared dataset, or skip the test with the reason when it is absent (a user's machine)."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared dataset {p} is not present (set HUDONG_SHARED_DATA to the shared/data folder)")
    return p


@pytest.fixture
def workspace(tmp_path):
    from hudong.store.workspace import Workspace

    ws = Workspace.init(tmp_path / "ws")
    yield ws
    ws.close()
