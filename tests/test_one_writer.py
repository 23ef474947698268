"""One module writes loaded data (issue 35): every input path is run through a
recording connection that names the package module behind each statement that
changes a table of loaded data; all of them must be ``ingest._core``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import duckdb
import httpx
import pytest

import activity_analytics as aa
from activity_analytics import SampleSpec, generate_events
from activity_analytics._sample import write_jsonl, write_platform_sqlite
from activity_analytics._sample_agents import agent_runs, write_traces

from .holders import hold

CORE = "activity_analytics.ingest._core"
#: the tables an ingest or a sync fills
LOADED = ("activity", "rejects", "loads", "sync_state", "workspaces", "members", "agents", "issues",
          "agent_events")
WRITE = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE)\s+(\w+)",
    re.IGNORECASE)


class Recording:
    """A DuckDB connection that notes (module, table) for each write to a loaded table."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: list[tuple[str, str]]):
        self._con, self._log = con, log

    def _note(self, statement: object) -> None:
        match = WRITE.match(str(statement))
        if match and match.group(1).lower() in LOADED:
            frame = sys._getframe(2)
            while frame is not None and not frame.f_globals.get("__name__", "").startswith("activity_analytics"):
                frame = frame.f_back
            module = frame.f_globals["__name__"] if frame is not None else "?"
            self._log.append((module, match.group(1).lower()))

    def execute(self, statement, *args, **kwargs):
        self._note(statement)
        self._con.execute(statement, *args, **kwargs)
        return self

    def executemany(self, statement, *args, **kwargs):
        self._note(statement)
        self._con.executemany(statement, *args, **kwargs)
        return self

    def sql(self, statement, *args, **kwargs):
        self._note(statement)
        return self._con.sql(statement, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._con.close()


@pytest.fixture
def writes(monkeypatch):
    log: list[tuple[str, str]] = []
    real = duckdb.connect

    def connect(*args, **kwargs):
        return Recording(real(*args, **kwargs), log)

    monkeypatch.setattr(duckdb, "connect", connect)
    return log


def _inputs(tmp: Path) -> list[Path]:
    """One input of every kind, clean and not: files (JSON lines, a JSON array,
    with bad and repeated records), an audit log of calls the traces hold too,
    trace folders (a clean group and one with a bad line), and the Platform's
    SQLite file."""
    events = generate_events(SampleSpec(days=2, workspaces=1, scale=0.2))
    write_jsonl(events, tmp / "clean.jsonl")
    lines = (tmp / "clean.jsonl").read_text().splitlines()
    (tmp / "bad.jsonl").write_text("\n".join(lines[:50] + ['{"id": "x1"}', "{oops"] + lines[:10]) + "\n")
    (tmp / "array.json").write_text(json.dumps([json.loads(line) for line in lines[50:80]]))
    write_platform_sqlite(events.head(300), tmp / "platform.db")
    runs, audit = agent_runs(SampleSpec(days=2, workspaces=1))
    assert len(runs) >= 5
    (tmp / "audit.jsonl").write_text("".join(json.dumps(r) + "\n" for r in audit))
    write_traces(dict(list(runs.items())[:3]), tmp / "traces")
    bad_traces = tmp / "bad-traces"
    write_traces(dict(list(runs.items())[3:5]), bad_traces)
    first = sorted(bad_traces.glob("*.jsonl"))[0]
    first.write_text(first.read_text() + "{not json\n")
    return [tmp / "clean.jsonl", tmp / "bad.jsonl", tmp / "array.json", tmp / "platform.db",
            tmp / "audit.jsonl", tmp / "traces", bad_traces]


def _feed(workspaces: int = 2, rows: int = 30):
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/workspaces/"):
            return httpx.Response(200, json=[{"id": f"ws-{w}", "name": f"W{w}", "slug": f"w{w}"}
                                             for w in range(workspaces)])
        if path.endswith("/members"):
            return httpx.Response(200, json=[{"user_id": "u1", "role": "owner"}])
        if path.endswith("/activity"):
            ws = path.split("/")[-2]
            records = [{"id": f"{ws}-{i}", "workspace_id": ws, "actor_type": "member", "actor_id": "u1",
                        "action": "issue.updated" if i != 3 else "", "entity_type": "issue",
                        "entity_id": "i1", "details": {},
                        "created_at": f"2026-11-26T10:{59 - i:02d}:00"} for i in range(rows)]
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            return httpx.Response(200, json=records[offset:offset + limit])
        return httpx.Response(200, json=[])

    return aa.SyncOptions(progress=False, page_size=10,
                          client=aa.ClientOptions(transport=httpx.MockTransport(handler)))


def test_every_write_of_loaded_data_comes_from_the_load_stage(tmp_path, writes):
    db = tmp_path / "s.duckdb"
    inputs = _inputs(tmp_path)
    first = aa.ingest(inputs, db, progress=False)
    assert {load.kind for load in first.loads} >= {"jsonl", "json-array", "sqlite", "audit", "trace"}
    assert first.total.rejected >= 3 and first.total.stored > 0
    again = aa.ingest(inputs, db, progress=False)  # all duplicates: the careful road
    assert again.total.stored == 0 and again.total.duplicates > 0
    synced = aa.sync("http://127.0.0.1:9", db, credentials=aa.Credentials(token="t"), options=_feed())
    assert sum(s.new_rows for s in synced.scopes) == 2 * 29
    # a sync while another process reads the store keeps its pages in the spool ...
    holder = hold(db, 30, read_only=True)  # as `duckdb -readonly` does
    try:
        with pytest.raises(aa.StoreLockedError):
            aa.sync("http://127.0.0.1:9", db, credentials=aa.Credentials(token="t"),
                    options=_feed(workspaces=3, rows=12), lock_timeout=0.2)
    finally:
        holder.kill()
        holder.wait()
    assert list(Path(f"{db}.spool").glob("*.jsonl"))
    # ... and the next ingest stores them first: the new workspace's 12 records
    assert aa.ingest([tmp_path / "clean.jsonl"], db, progress=False).from_spool == 12
    assert aa.sql(db, "SELECT count(*) FROM activity WHERE workspace_id = 'ws-2'").item() == 11
    tables = {table for _, table in writes}
    assert set(LOADED) <= tables, set(LOADED) - tables  # every table was written ...
    assert {module for module, _ in writes} == {CORE}  # ... and only by the load stage
