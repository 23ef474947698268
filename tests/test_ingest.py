"""Ingest from files: formats, idempotency, conflicts, bad input, locks, schema."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sqlite3
import subprocess
import sys
import textwrap

import duckdb
import polars as pl
import pytest

from activity_analytics import (
    InputError,
    RejectedRecordsError,
    SampleSpec,
    SchemaError,
    StoreLockedError,
    _store,
    connect,
    ingest,
    migrate,
    sql,
    status,
)
from activity_analytics.ingest import _files

from .conftest import record, write_lines


def ids(db) -> list[str]:
    return sql(db, "SELECT id FROM activity ORDER BY id")["id"].to_list()


# ------------------------------------------------------------------ formats


def test_jsonl_gzip_array_and_directory_give_the_same_rows(tmp_path, db):
    recs = [record(i, created_at=f"2026-11-2{i}T10:00:00Z") for i in range(1, 6)]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "deep").mkdir()
    write_lines(tmp_path / "a" / "one.jsonl", recs[:2])
    with gzip.open(tmp_path / "a" / "deep" / "two.jsonl.gz", "wt") as fh:
        fh.write("\n".join(json.dumps(r) for r in recs[2:4]) + "\n")
    (tmp_path / "a" / "deep" / "page.json").write_text(json.dumps(recs[4:], indent=2))
    (tmp_path / "a" / "notes.txt").write_text("not activity")
    result = ingest([tmp_path / "a"], db, progress=False)
    assert ids(db) == [f"act-{i}" for i in range(1, 6)]
    assert sorted(load.kind for load in result.loads) == ["json-array", "jsonl", "jsonl"]
    assert result.skipped == [str(tmp_path / "a" / "notes.txt")]


def test_gzipped_json_array(tmp_path, db):
    with gzip.open(tmp_path / "page.json.gz", "wt") as fh:
        json.dump([record(1), record(2), 17, {"no": "id"}], fh)
    result = ingest([tmp_path / "page.json.gz"], db, progress=False)
    assert result.total.stored == 2 and result.total.rejected == 2
    rows = sql(db, "SELECT location, reason FROM rejects ORDER BY location").rows()
    assert rows == [("element 3", "not a JSON object (ubigint)"), ("element 4", "missing id")]


def test_platform_sqlite_database(tmp_path, db):
    path = tmp_path / "platform.db"
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE activity_logs (id VARCHAR PRIMARY KEY, workspace_id VARCHAR, entity_type VARCHAR, "
        "entity_id VARCHAR, issue_id VARCHAR, actor_type VARCHAR, actor_id VARCHAR, action VARCHAR, "
        "details JSON, created_at DATETIME)"
    )
    con.executemany(
        "INSERT INTO activity_logs VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            ("a1", "ws", "issue", "i1", "i1", "member", "u1", "issue.created",
             '{"title": "T", "identifier": "ISS-1"}', "2026-11-26 23:22:03.681330"),
            ("a2", "ws", "issue", "i1", "i1", "agent", "bot", "issue.updated", None,
             "2026-11-26 23:23:00.000000"),
            ("a3", "ws", "issue", "i1", "i1", None, None, "issue.updated", "not json", "never"),
        ],
    )
    con.commit()
    con.close()
    result = ingest([path], db, progress=False)
    assert (result.loads[0].kind, result.total.stored, result.total.rejected) == ("sqlite", 2, 1)
    rows = sql(db, "SELECT id, actor_type, details->>'$.identifier' AS ident FROM activity ORDER BY id").rows()
    assert rows == [("a1", "user", "ISS-1"), ("a2", "agent", None)]
    assert sql(db, "SELECT location FROM rejects")["location"].to_list() == ["rowid 3"]


def test_platform_sqlite_database_loads_incrementally_ties_and_late_commits_included(tmp_path, db):
    path = tmp_path / "platform.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE activity_logs (id VARCHAR PRIMARY KEY, workspace_id VARCHAR, entity_type VARCHAR, "
                "entity_id VARCHAR, action VARCHAR, actor_type VARCHAR, actor_id VARCHAR, issue_id VARCHAR, "
                "details JSON, created_at DATETIME)")
    con.execute("CREATE TABLE workspaces (id VARCHAR, name VARCHAR, slug VARCHAR)")
    con.execute("INSERT INTO workspaces VALUES ('ws', 'Alpha', 'alpha')")
    t0 = dt.datetime(2026, 11, 2, 9)

    def add(prefix: str, n: int, at) -> None:
        con.executemany("INSERT INTO activity_logs VALUES (?,?,?,?,?,?,?,?,?,?)",
                        [(f"{prefix}{i}", "ws", "issue", "i1", "issue.updated", "member", "u1", "i1", "{}",
                          at(i).strftime("%Y-%m-%d %H:%M:%S.%f")) for i in range(n)])
        con.commit()

    add("e", 2000, lambda i: t0 + dt.timedelta(minutes=i))
    first = ingest([path], db, progress=False)
    assert first.total.stored == 2000
    assert sql(db, "SELECT name FROM workspaces WHERE id = 'ws'").item() == "Alpha"
    mark = t0 + dt.timedelta(minutes=1999)
    add("tie", 30, lambda i: mark)  # the mark's own time: a tie across the boundary
    add("late", 7, lambda i: mark - dt.timedelta(minutes=3))  # committed after the load read
    add("new", 11, lambda i: mark + dt.timedelta(seconds=i + 1))
    second = ingest([path], db, progress=False)
    assert (second.total.records, second.total.stored, second.total.duplicates) == (48, 48, 0)
    assert sql(db, "SELECT count(*), count(DISTINCT id) FROM activity").row(0) == (2048, 2048)
    assert ingest([path], db, progress=False).total.records == 0
    con.close()


def test_sqlite_without_activity_logs_is_a_clear_error(tmp_path, db):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE x (a)").connection.close()
    with pytest.raises(InputError, match="no activity_logs table"):
        ingest([path], db, progress=False)


def test_audit_log_becomes_agent_tool_calls_with_stable_ids(tmp_path, db):
    lines = [
        {"timestamp": "2026-11-26T10:00:00.5+00:00", "session_id": "s1", "agent_name": "researcher",
         "tool_name": "web_search", "tool_input": {"q": "duckdb", "api_key": "[REDACTED]"},
         "execution_time_ms": 812.5, "error": None, "tool_output": "3 results"},
        {"timestamp": "2026-11-26T10:00:02+00:00", "session_id": "s1", "agent_name": "researcher",
         "tool_name": "read_file", "tool_input": {"path": "a.txt"}, "execution_time_ms": 3,
         "error": "FileNotFoundError"},
    ]
    write_lines(tmp_path / "audit.jsonl", lines)
    result = ingest([tmp_path / "audit.jsonl"], db, workspace="ws-7", progress=False)
    assert result.loads[0].kind == "audit" and result.total.stored == 2
    frame = sql(db, "SELECT * FROM activity ORDER BY created_at")
    assert frame["action"].to_list() == ["agent.tool_call"] * 2
    assert frame["actor_type"].to_list() == ["agent"] * 2
    assert frame["actor_id"].to_list() == ["researcher"] * 2
    assert frame["workspace_id"].to_list() == ["ws-7"] * 2
    details = json.loads(frame["details"][0])
    assert details == {"tool": "web_search", "input": {"q": "duckdb", "api_key": "[REDACTED]"},
                       "duration_ms": 812.5, "error": None, "session_id": "s1", "output": "3 results"}
    assert json.loads(frame["details"][1])["error"] == "FileNotFoundError"
    first_ids = ids(db)
    assert all(i.startswith("audit:") for i in first_ids)
    # the same content in another file (other whitespace) has the same ids
    (tmp_path / "copy.jsonl").write_text("\n".join(json.dumps(r, indent=None, separators=(",", ":")) for r in lines) + "\n")
    again = ingest([tmp_path / "copy.jsonl"], db, workspace="ws-7", progress=False)
    assert again.total.stored == 0 and again.total.duplicates == 2
    assert ids(db) == first_ids


def test_tool_calls_milliseconds_apart_in_both_logs_count_once(tmp_path):
    """Two calls of one tool 2.6 ms apart, each audit line 1.5 ms after its trace event (a
    busy machine: PraisonAI's own run on CI): the first audit line is nearer the second call
    than its own, and must still pair with a call of the trace, in either load order."""
    import datetime as dt

    from activity_analytics._sample_agents import _event

    t0 = 1_796_487_149.0
    ends = (t0, t0 + 0.0026)
    trace = [_event("run-1", 0, "agent_start", t0 - 1, "weather", {})]
    trace += [_event("run-1", 1 + i, "tool_call_end", end, "weather",
                     {"tool_name": "get_weather", "result": "sunny", "duration_ms": 0.5, "error": None})
              for i, end in enumerate(ends)]
    (tmp_path / "traces").mkdir()
    write_lines(tmp_path / "traces" / "run-1.jsonl", trace)
    write_lines(tmp_path / "audit.jsonl", [
        {"timestamp": dt.datetime.fromtimestamp(end + 0.0015, dt.UTC).isoformat(), "session_id": None,
         "agent_name": "weather", "tool_name": "get_weather", "tool_input": {"city": city},
         "execution_time_ms": 0.5, "error": None} for city, end in zip(("Oslo", "Rome"), ends)])
    for name, order in (("a", ["traces", "audit.jsonl"]), ("b", ["audit.jsonl", "traces"])):
        db = tmp_path / f"{name}.duckdb"
        for path in order:
            ingest([tmp_path / path], db, progress=False)
        calls = sql(db, "SELECT id FROM activity WHERE action = 'agent.tool_call' ORDER BY id")["id"].to_list()
        assert calls == ["trace:run-1:1", "trace:run-1:2"], (order, calls)


def test_stdin(tmp_path, db, monkeypatch):
    import io
    data = ("\n".join(json.dumps(record(i)) for i in range(3)) + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = ingest(["-"], db, progress=False)
    assert result.total.stored == 3
    assert sql(db, "SELECT DISTINCT source FROM activity")["source"].to_list() == ["stdin"]


def test_sample_lands_exactly(sample_dir, db):
    from activity_analytics._anomalies import inject

    result = ingest([sample_dir], db, progress=False)
    events = inject(SampleSpec(days=7, workspaces=2), per_kind=2, seed=7).events  # as generate_sample
    audit_lines = (sample_dir / "audit.jsonl").read_text().count("\n")
    trace_events = [json.loads(line) for path in (sample_dir / "traces").iterdir()
                    for line in path.read_text().splitlines()]
    # every tool call of a trace that did not raise is in the audit log too: stored once
    in_both = sum(e["event_type"] == "tool_call_end" and e["data"]["error"] is None for e in trace_events)
    assert result.total.rejected == 0 and result.total.conflicts == 0
    assert result.total.duplicates == in_both + 200 and in_both > 10  # api-page.json: 200 repeated
    assert result.total.stored == events.height + audit_lines + len(trace_events) - in_both
    stored = sql(db, "SELECT id, epoch_us(created_at) AS t FROM activity WHERE action NOT LIKE 'agent.%'")
    expected = events.select("id", pl.col("t_us").alias("t"))
    assert stored.sort("id").equals(expected.sort("id"))


# ------------------------------------------------------------------ idempotency and conflicts


def test_ingesting_twice_stores_nothing_new(sample_dir, db):
    first = ingest([sample_dir], db, progress=False)
    before = sql(db, "SELECT * EXCLUDE (ingested_at) FROM activity ORDER BY id")
    second = ingest([sample_dir], db, progress=False)
    assert second.total.stored == 0
    # files are read again (duplicates); the Platform's database only from its mark on
    database = [load for load in first.loads if load.kind == "sqlite"]
    assert len(database) == 1 and database[0].stored > 0
    assert [load.records for load in second.loads if load.kind == "sqlite"] == [0]
    assert second.total.duplicates == first.total.records - database[0].records
    assert sql(db, "SELECT * EXCLUDE (ingested_at) FROM activity ORDER BY id").equals(before)


def test_same_id_other_content_is_a_conflict_first_stored_wins(tmp_path, db):
    write_lines(tmp_path / "a.jsonl", [record(1, action="issue.created")])
    write_lines(tmp_path / "b.jsonl", [record(2), record(1, action="issue.deleted"), record(1, action="issue.created")])
    ingest([tmp_path / "a.jsonl"], db, progress=False)
    result = ingest([tmp_path / "b.jsonl"], db, progress=False)
    t = result.total
    assert (t.stored, t.duplicates, t.conflicts, t.rejected) == (1, 1, 1, 0)
    assert sql(db, "SELECT action FROM activity WHERE id = 'act-1'")["action"].to_list() == ["issue.created"]
    rows = sql(db, "SELECT source, location, reason FROM rejects").rows()
    assert rows == [(str(tmp_path / "b.jsonl"), "line 2",
                     "conflict: id act-1 is already stored with different content")]


def test_conflict_inside_one_batch(tmp_path, db):
    write_lines(tmp_path / "a.jsonl", [record(1), record(1), record(1, actor_id="someone-else")])
    result = ingest([tmp_path / "a.jsonl"], db, progress=False)
    t = result.total
    assert (t.stored, t.duplicates, t.conflicts) == (1, 1, 1)
    assert sql(db, "SELECT location FROM rejects")["location"].to_list() == ["line 3"]


def test_rejects_are_not_duplicated_by_reruns(tmp_path, db):
    write_lines(tmp_path / "a.jsonl", [record(1), "{oops", record(2, created_at="soon")])
    ingest([tmp_path / "a.jsonl"], db, progress=False)
    again = ingest([tmp_path / "a.jsonl"], db, progress=False)
    assert again.total.rejected == 2  # reported again ...
    assert sql(db, "SELECT count(*) AS n FROM rejects")["n"][0] == 2  # ... but stored once


# ------------------------------------------------------------------ bad input


def test_bad_lines_go_to_rejects_and_the_rest_lands(tmp_path, db):
    lines = [
        record(1),
        "{not json",
        b"\xff\xfe{\"id\": \"x\"}",
        "[1, 2, 3]",
        "",
        "   ",
        record(2),
        "x" * (_files.MAX_LINE_BYTES + 10),
        record(3),
    ]
    write_lines(tmp_path / "a.jsonl", lines)
    result = ingest([tmp_path / "a.jsonl"], db, progress=False)
    assert ids(db) == ["act-1", "act-2", "act-3"]
    assert (result.total.stored, result.total.rejected) == (3, 4)
    rejects = sql(db, "SELECT location, reason, length(raw) AS n FROM rejects ORDER BY location").rows()
    assert rejects == [
        ("line 2", "invalid JSON", 9),
        ("line 3", "invalid UTF-8", 13),
        ("line 4", "not a JSON object (array)", 9),
        ("line 8", f"line longer than {_files.MAX_LINE_BYTES} bytes", _files.RAW_KEEP),
    ]


def test_over_long_line_spanning_blocks_is_skipped_in_bounded_memory(tmp_path, db, monkeypatch):
    monkeypatch.setattr(_files, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(_files, "MAX_LINE_BYTES", 10_000)
    write_lines(tmp_path / "a.jsonl", [record(1), '{"id": "' + "y" * 50_000 + '"}', record(2)])
    result = ingest([tmp_path / "a.jsonl"], db, progress=False)
    assert ids(db) == ["act-1", "act-2"]
    assert sql(db, "SELECT location FROM rejects")["location"].to_list() == ["line 2"]
    assert result.total.rejected == 1


def test_crlf_bom_and_no_final_newline(tmp_path, db):
    body = "\r\n".join(json.dumps(record(i)) for i in range(3))
    (tmp_path / "a.jsonl").write_bytes(b"\xef\xbb\xbf" + body.encode())
    result = ingest([tmp_path / "a.jsonl"], db, progress=False)
    assert result.total.stored == 3 and result.total.rejected == 0


def test_line_numbers_survive_block_boundaries(tmp_path, db, monkeypatch):
    monkeypatch.setattr(_files, "BLOCK_BYTES", 1000)
    lines = [record(i) if i % 7 else "{broken" for i in range(1, 200)]
    write_lines(tmp_path / "a.jsonl", lines)
    ingest([tmp_path / "a.jsonl"], db, progress=False)
    locations = sql(db, "SELECT location FROM rejects")["location"].to_list()
    assert sorted(locations, key=lambda s: int(s.split()[1])) == [f"line {i}" for i in range(7, 200, 7)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,action\n1,x\n", "not JSON, JSON lines or a SQLite database"),
        (b"\x00\x01\x02binary", "not JSON"),
        (b'{\n  "id": "pretty"\n}\n', "line 1 is not a complete JSON object"),
    ],
)
def test_a_file_that_is_not_json_is_a_one_line_error(tmp_path, db, content, message):
    (tmp_path / "bad.jsonl").write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        ingest([tmp_path / "bad.jsonl"], db, progress=False)
    assert "\n" not in str(info.value) and str(tmp_path / "bad.jsonl") in str(info.value)


def test_broken_json_array_is_a_clear_error(tmp_path, db):
    (tmp_path / "page.json").write_text('[{"id": "a", "action": "x"}, {"id": ')
    with pytest.raises(InputError, match="page.json: not a valid JSON array"):
        ingest([tmp_path / "page.json"], db, progress=False)


def test_missing_path_fails_before_anything_is_stored(tmp_path, db):
    write_lines(tmp_path / "good.jsonl", [record(1)])
    ingest([tmp_path / "good.jsonl"], db, progress=False)
    write_lines(tmp_path / "more.jsonl", [record(2)])
    with pytest.raises(InputError, match="nope.jsonl: no such file"):
        ingest([tmp_path / "more.jsonl", tmp_path / "nope.jsonl"], db, progress=False)
    assert ids(db) == ["act-1"]


def test_truncated_gzip_keeps_whole_batches_and_says_where(tmp_path, db, monkeypatch):
    monkeypatch.setattr(_files, "BLOCK_BYTES", 2000)
    payload = gzip.compress(("\n".join(json.dumps(record(i)) for i in range(100)) + "\n").encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(payload[: len(payload) * 2 // 3])
    with pytest.raises(InputError, match=r"cut.jsonl.gz: cannot read past line \d+"):
        ingest([tmp_path / "cut.jsonl.gz"], db, progress=False)
    stored = ids(db)
    assert 0 < len(stored) < 100
    # whole batches only: the stored rows are exactly a prefix of the file
    assert sorted(stored) == sorted(f"act-{i}" for i in range(len(stored)))


def test_strict_raises_after_storing_the_good_records(tmp_path, db):
    write_lines(tmp_path / "a.jsonl", [record(1), "{bad"])
    with pytest.raises(RejectedRecordsError) as info:
        ingest([tmp_path / "a.jsonl"], db, strict=True, progress=False)
    assert info.value.result.total.stored == 1
    assert ids(db) == ["act-1"]


def test_empty_file_is_fine(tmp_path, db):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert ingest([tmp_path / "empty.jsonl"], db, progress=False).total.records == 0


# ------------------------------------------------------------------ store: schema and locks


def test_newer_schema_is_refused(db):
    migrate(db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaError, match="schema version 99, newer than"):
        migrate(db)


def test_foreign_duckdb_file_is_refused(db):
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE something_else (a INT)")
    con.close()
    with pytest.raises(SchemaError, match="not an activity-analytics store"):
        status(db)


def test_migration_path_upgrades_and_read_only_asks_for_it(db, monkeypatch):
    migrate(db)
    future = _store.SCHEMA_VERSION + 1
    monkeypatch.setattr(_store, "SCHEMA_VERSION", future)
    monkeypatch.setattr(_store, "MIGRATIONS",
                        (*_store.MIGRATIONS, "ALTER TABLE activity ADD COLUMN note VARCHAR"))
    with pytest.raises(SchemaError, match="run `activity-analytics migrate"):
        status(db)
    assert migrate(db) == future
    with connect(db) as con:
        cols = [r[0] for r in con.execute("DESCRIBE activity").fetchall()]
    assert "note" in cols


def test_a_version_1_store_is_upgraded_on_a_write_open(db):
    con = duckdb.connect(str(db))
    con.execute(_store.MIGRATIONS[0])
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.close()
    with pytest.raises(SchemaError, match=f"schema version 1, this package uses {_store.SCHEMA_VERSION}"):
        status(db)
    assert migrate(db) == _store.SCHEMA_VERSION
    assert sql(db, "SELECT count(*) AS n FROM workspaces")["n"][0] == 0


def test_failed_migration_leaves_the_old_version(db, monkeypatch):
    migrate(db)

    broken = "ALTER TABLE activity ADD COLUMN half_done VARCHAR; SELECT error('boom');"
    current = _store.SCHEMA_VERSION
    monkeypatch.setattr(_store, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(_store, "MIGRATIONS", (*_store.MIGRATIONS, broken))
    with pytest.raises(SchemaError, match=f"migration to schema version {current + 1} failed: boom"):
        migrate(db)
    monkeypatch.setattr(_store, "SCHEMA_VERSION", current)
    with connect(db) as con:
        assert _store.schema_version(con) == current
        cols = [r[0] for r in con.execute("DESCRIBE activity").fetchall()]
    assert "half_done" not in cols


def _hold_lock(db, seconds: float, read_only: bool = False) -> subprocess.Popen:
    script = textwrap.dedent(
        f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r}, read_only={read_only})
        print("locked", flush=True)
        time.sleep({seconds})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_locked_store_waits_then_fails_with_advice(tmp_path, db):
    migrate(db)
    write_lines(tmp_path / "a.jsonl", [record(1)])
    holder = _hold_lock(db, 30)
    try:
        with pytest.raises(StoreLockedError) as info:
            ingest([tmp_path / "a.jsonl"], db, lock_timeout=0.5, progress=False)
        message = str(info.value)
        assert f"process {holder.pid}" in message and "waited 0.5s" in message
        assert "one writer per file" in message and "\n" not in message
    finally:
        holder.kill()
        holder.wait()


def test_waiting_for_the_store_is_said_after_a_second_naming_the_holder(tmp_path, db, capfd):
    migrate(db)
    holder = _hold_lock(db, 30)  # a writer: readers wait too
    try:
        with pytest.raises(StoreLockedError) as info:
            status(db, lock_timeout=1.6)
        err = capfd.readouterr().err
        assert err.count("waiting for the store:") == 1, err
        assert f"in use by process {holder.pid} (python -c" in err and "up to 1.6s" in err
        assert f"process {holder.pid} (python -c" in str(info.value)
        assert "import duckdb" not in err + str(info.value)  # another program's arguments: never shown
        capfd.readouterr()
        with pytest.raises(StoreLockedError):
            status(db, lock_timeout=0.5)  # gave up before a second: nothing said
        assert "waiting" not in capfd.readouterr().err
    finally:
        holder.kill()
        holder.wait()


def test_ingest_proceeds_once_the_lock_is_released(tmp_path, db):
    migrate(db)
    write_lines(tmp_path / "a.jsonl", [record(1)])
    holder = _hold_lock(db, 1.0)
    try:
        result = ingest([tmp_path / "a.jsonl"], db, lock_timeout=20, progress=False)
    finally:
        holder.wait()
    assert result.total.stored == 1


def test_read_paths_open_read_only(db):
    migrate(db)
    with connect(db) as con, pytest.raises(duckdb.Error, match="read-only"):
        con.execute("CREATE TABLE t (a INT)")


def test_read_only_open_of_missing_store_is_clear(tmp_path):
    from activity_analytics import StoreError

    with pytest.raises(StoreError, match="no such store"):
        status(tmp_path / "missing.duckdb")


def test_the_bundled_sample_is_what_the_generator_makes(tmp_path):
    """data/sample is reproducible: the generator with its default seed makes the same bytes."""
    import filecmp
    from pathlib import Path

    from activity_analytics import generate_sample

    bundled = Path(__file__).resolve().parent.parent / "data" / "sample"
    generate_sample(tmp_path / "sample")
    traces = sorted(p.name for p in (bundled / "traces").iterdir())
    assert len(traces) > 100 and traces == sorted(p.name for p in (tmp_path / "sample" / "traces").iterdir())
    for name in ("activity.jsonl.gz", "api-page.json", "audit.jsonl", *(f"traces/{t}" for t in traces)):
        assert filecmp.cmp(tmp_path / "sample" / name, bundled / name, shallow=False), name
    rows = "SELECT * FROM activity_logs ORDER BY id"
    fresh = sqlite3.connect(tmp_path / "sample" / "platform.db").execute(rows).fetchall()
    assert fresh == sqlite3.connect(bundled / "platform.db").execute(rows).fetchall()
    assert (tmp_path / "sample-actors.csv").read_text() == (bundled.parent / "sample-actors.csv").read_text()
