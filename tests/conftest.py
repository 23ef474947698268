from __future__ import annotations

import json
from pathlib import Path

import pytest

from activity_analytics import SampleSpec, generate_sample


def record(i: int | str = 1, **overrides) -> dict:
    """A record shaped like the real API's."""
    base = {
        "id": f"act-{i}",
        "workspace_id": "ws-1",
        "entity_type": "issue",
        "entity_id": "iss-1",
        "issue_id": "iss-1",
        "actor_type": "member",
        "actor_id": "user-1",
        "action": "issue.updated",
        "details": {"fields": {"status": "in_progress"}},
        "created_at": "2026-11-26T23:22:03.681330",
    }
    base.update(overrides)
    return base


def write_lines(path: Path, lines: list, *, newline: str = "\n") -> Path:
    """Write records (dicts are JSON-encoded, str/bytes written as they are)."""
    chunks = []
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line)
        if isinstance(line, str):
            line = line.encode()
        chunks.append(line + newline.encode())
    path.write_bytes(b"".join(chunks))
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """A small generated sample (same generator as data/sample)."""
    out = tmp_path_factory.mktemp("sample") / "sample"
    generate_sample(out, spec=SampleSpec(days=7, workspaces=2))
    return out
