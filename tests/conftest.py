from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest

from activity_analytics import SampleSpec, generate_sample


def merge_bot_rows() -> list[dict]:
    """A merge bot making 3-8 merges an hour, 06:00-20:00, from Mon 2 Nov 2026 to Mon 16
    Nov; that day, 148 events in 25 minutes from 07:17 (about 6x its busiest 25 minutes)
    and 700 merges from 09:00 to 12:00 (psf/requests' case, issue 34)."""
    rng = random.Random(5)
    rows: list[dict] = []

    def add(at: dt.datetime, n: int, minutes: int) -> None:
        rows.extend(record(id=f"e{len(rows) + i}", actor_type="agent", actor_id="merge-bot",
                           created_at=(at + dt.timedelta(seconds=rng.uniform(0, minutes * 60))).isoformat())
                    for i in range(n))

    t0 = dt.datetime(2026, 11, 2)
    for day in range(15):
        for hour in range(6, 20):
            add(t0 + dt.timedelta(days=day, hours=hour), rng.randint(3, 8), 60)
    add(dt.datetime(2026, 11, 16, 7, 17), 148, 25)
    add(dt.datetime(2026, 11, 16, 9), 700, 180)
    return rows


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
