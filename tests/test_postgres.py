"""The Platform's PostgreSQL as a source: backfill, increments, ties, errors,
credentials the libpq way, and the API sync before or after it, against a real
PostgreSQL server (and the real Platform server running on it)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import activity_analytics as aa
from activity_analytics import SyncOptions
from activity_analytics._errors import InputError
from activity_analytics.cli import cli
from activity_analytics.ingest import _core
from activity_analytics.ingest._load import ingest_paths

from .pg_server import PASSWORD, pg, pg_cluster  # noqa: F401 - the fixtures
from .platform_server import platform_pg  # noqa: F401 - the fixture
from .test_sync import assert_store_equals_server, insert_rows, seed_workspace

# The Platform's tables as its server creates them on PostgreSQL (foreign keys left out)
SCHEMA = (
    "CREATE TABLE workspaces (id varchar PRIMARY KEY, name varchar NOT NULL, slug varchar NOT NULL)",
    "CREATE TABLE members (id varchar PRIMARY KEY, user_id varchar NOT NULL, "
    "workspace_id varchar NOT NULL, role varchar NOT NULL)",
    "CREATE TABLE agents (id varchar PRIMARY KEY, workspace_id varchar NOT NULL, name varchar NOT NULL, "
    "owner_id varchar)",
    "CREATE TABLE issues (id varchar PRIMARY KEY, workspace_id varchar NOT NULL, title varchar NOT NULL, "
    "status varchar NOT NULL, priority varchar NOT NULL, identifier varchar)",
    "CREATE TABLE activity_logs (id varchar PRIMARY KEY, workspace_id varchar NOT NULL, "
    "entity_type varchar NOT NULL, entity_id varchar NOT NULL, action varchar NOT NULL, "
    "actor_type varchar, actor_id varchar, issue_id varchar, details json, "
    "created_at timestamptz NOT NULL)",
    "INSERT INTO workspaces VALUES ('w1', 'Alpha', 'alpha')",
)
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def platform_db(pg_pair, rows: int = 0) -> str:  # noqa: F811
    """A database with the Platform's tables and ``rows`` events, one a minute from T0."""
    cluster, database = pg_pair
    cluster.sql(database, *SCHEMA)
    if rows:
        add_rows(pg_pair, f"SELECT 'e' || g, 'w1', 'issue', 'i' || (g % 40), "
                          f"CASE WHEN g % 5 = 0 THEN 'issue.created' ELSE 'issue.updated' END, "
                          f"CASE WHEN g % 3 = 0 THEN 'agent' ELSE 'member' END, 'u' || (g % 7), "
                          f"'i' || (g % 40), json_build_object('fields', json_build_object('n', g)), "
                          f"timestamptz '{T0.isoformat()}' + g * interval '1 minute' "
                          f"FROM generate_series(1, {rows}) AS g")
    return cluster.url(database)


def add_rows(pg_pair, select: str) -> None:  # noqa: F811
    cluster, database = pg_pair
    cluster.sql(database, f"INSERT INTO activity_logs {select}")


def stored(db, column: str = "count(*)"):
    return aa.sql(db, f"SELECT {column} FROM activity").item()


# ------------------------------------------------------------------ backfill and increments


def test_a_backfill_then_an_increment_reads_only_what_is_new_ties_and_late_commits_included(pg, tmp_path):
    url = platform_db(pg, rows=3000)
    db = tmp_path / "s.duckdb"
    first = aa.ingest([url], db, progress=False)
    assert (first.total.records, first.total.stored, first.total.rejected) == (3000, 3000, 0)
    mark = T0 + dt.timedelta(minutes=3000)
    # at the mark itself (a tie across the boundary), committed late (older than the
    # mark, inside the overlap), and newer
    add_rows(pg, f"SELECT 'tie' || g, 'w1', 'issue', 'i1', 'issue.updated', 'member', 'u1', NULL, "
                 f"'{{}}', timestamptz '{mark.isoformat()}' FROM generate_series(1, 50) AS g")
    add_rows(pg, f"SELECT 'late' || g, 'w1', 'issue', 'i1', 'issue.updated', 'member', 'u1', NULL, "
                 f"'{{}}', timestamptz '{mark.isoformat()}' - interval '2 minutes' "
                 f"FROM generate_series(1, 10) AS g")
    add_rows(pg, f"SELECT 'new' || g, 'w1', 'issue', 'i1', 'issue.updated', 'agent', 'a1', NULL, "
                 f"'{{}}', timestamptz '{mark.isoformat()}' + g * interval '1 second' "
                 f"FROM generate_series(1, 20) AS g")
    second = aa.ingest([url], db, progress=False)
    # only the 80 new rows are counted: the overlap's stored rows are read again, silently
    assert (second.total.records, second.total.stored, second.total.duplicates) == (80, 80, 0)
    assert stored(db) == 3080 and stored(db, "count(DISTINCT id)") == 3080
    third = aa.ingest([url], db, progress=False)
    assert third.total.records == 0
    assert aa.sql(db, "SELECT count(*) FROM loads WHERE kind = 'postgresql' AND finished_at IS NOT NULL"
                  ).item() == 3
    # a bad row at the newest time is rejected once, not again by each load whose overlap holds it
    add_rows(pg, f"VALUES ('bad', 'w1', 'issue', 'i1', '', 'member', 'u1', NULL, '{{}}', "
                 f"timestamptz '{mark.isoformat()}' + interval '1 minute')")
    assert aa.ingest([url], db, progress=False).total.rejected == 1
    assert aa.ingest([url], db, progress=False).total.records == 0
    assert aa.sql(db, "SELECT count(*) FROM rejects").item() == 1


def test_the_fast_and_the_careful_path_and_a_file_store_the_same_rows(pg, tmp_path, monkeypatch):
    url = platform_db(pg, rows=500)
    add_rows(pg, "SELECT 'z' || g, 'w1', 'agent', 'r1', 'agent.ran', "
                 "(ARRAY['agent', 'Agent', NULL, 'bot'])[1 + g % 4], 'r1', NULL, "
                 "(ARRAY['{\"a\": [1, 2]}', NULL, '{}', '{\"k\" : \"v\"}'])[1 + g % 4]::json, "
                 "timestamptz '2026-11-20 10:00:00.123456+05:30' + g * interval '1 microsecond' "
                 "FROM generate_series(1, 40) AS g")
    fast, careful, via_file = (tmp_path / f"{n}.duckdb" for n in ("fast", "careful", "file"))
    with monkeypatch.context() as patch:  # the fast path, and only it, takes a clean table
        patch.setattr(_core, "store_raw", lambda *a, **k: pytest.fail("went the careful way"))
        ingest_paths([url], fast, progress=False)
    ingest_paths([url], careful, progress=False, fast=False)
    cluster, database = pg
    rows = cluster.sql(database, "SELECT row_to_json(a)::text FROM activity_logs AS a")
    (tmp_path / "export.jsonl").write_text("".join(r[0] + "\n" for r in rows))
    aa.ingest([tmp_path / "export.jsonl"], via_file, progress=False)
    columns = ("id, workspace_id, issue_id, entity_type, entity_id, actor_type, actor_type_raw, actor_id, "
               "action, details::VARCHAR, extra::VARCHAR, created_at")
    frames = [aa.sql(db, f"SELECT {columns} FROM activity ORDER BY id") for db in (fast, careful, via_file)]
    assert frames[0].height == 540
    assert frames[0].equals(frames[1]) and frames[0].equals(frames[2])


def test_bad_rows_are_rejected_with_their_row_and_the_rest_stored(pg, tmp_path):
    url = platform_db(pg, rows=100)
    add_rows(pg, "VALUES ('bad1', 'w1', 'issue', 'i1', '  ', 'member', 'u1', NULL, '{}', now()), "
                 "('bad2', 'w1', 'issue', 'i1', 'issue.updated', 'member', 'u1', NULL, '[1, 2]', now())")
    db = tmp_path / "s.duckdb"
    result = aa.ingest([url], db, progress=False)
    assert (result.total.stored, result.total.rejected) == (100, 2)
    rejects = aa.sql(db, "SELECT source, location, reason FROM rejects ORDER BY reason").rows()
    assert [r[2] for r in rejects] == ["action is empty", "details is not an object"]
    assert all(r[0] == url and r[1].startswith("row ") for r in rejects)


# ------------------------------------------------------------------ the real server on PostgreSQL


@pytest.fixture
def seeded(platform_pg, monkeypatch):  # noqa: F811
    client = platform_pg.register("Ann")
    monkeypatch.setenv("ACTIVITY_API_TOKEN", client.headers["Authorization"].split()[1])
    ws_a = seed_workspace(client, "Alpha", 4)
    ws_b = seed_workspace(client, "Beta", 2)
    insert_rows(platform_pg, ws_a, 450, at=dt.datetime(2026, 1, 1))  # three pages of history, one tie
    return platform_pg, client, (ws_a, ws_b)


@pytest.mark.platform
def test_database_then_api_asks_at_most_two_pages_per_workspace(seeded, tmp_path):
    server, client, (ws_a, ws_b) = seeded
    db = tmp_path / "s.duckdb"
    backfill = aa.ingest([server.database], db, progress=False)
    assert backfill.total.stored == len(server.activity_logs()) and backfill.total.rejected == 0
    assert_store_equals_server(db, server)
    assert dict(aa.sql(db, "SELECT id, name FROM workspaces").rows()) == {ws_a: "Alpha", ws_b: "Beta"}
    assert aa.sql(db, "SELECT count(*), count(identifier) FROM issues").row(0) == (6, 6)
    assert aa.sql(db, "SELECT count(*) FROM members").item() == 2
    # a member who joined shows with the next load, and is gone with the load after leaving
    cluster, database = server.postgres
    server.register("Bob")
    cluster.sql(database, f"INSERT INTO members SELECT 'm-x', id, '{ws_b}', 'member', created_at, "
                          "updated_at FROM users WHERE name = 'Bob'")
    aa.ingest([server.database], db, progress=False)
    assert aa.sql(db, "SELECT count(*) FROM members").item() == 3
    cluster.sql(database, "DELETE FROM members WHERE id = 'm-x'")
    aa.ingest([server.database], db, progress=False)
    assert aa.sql(db, "SELECT count(*) FROM members").item() == 2
    synced = aa.sync(server.url, db, options=SyncOptions(progress=False))
    assert synced.ok and sum(s.new_rows for s in synced.scopes) == 0
    assert all(s.pages <= 2 for s in synced.scopes), [s.pages for s in synced.scopes]
    newer = insert_rows(server, ws_b, 5)
    again = aa.sync(server.url, db, options=SyncOptions(progress=False))
    assert sum(s.new_rows for s in again.scopes) == 5 and all(s.pages <= 2 for s in again.scopes)
    assert set(newer) <= set(aa.sql(db, "SELECT id FROM activity")["id"].to_list())
    # and a database load after the sync stores nothing twice
    after = aa.ingest([server.database], db, progress=False)
    assert after.total.stored == 0 and after.total.conflicts == 0
    assert_store_equals_server(db, server)


@pytest.mark.platform
def test_api_then_database_stores_nothing_twice_and_finds_no_conflict(seeded, tmp_path):
    server, client, _ = seeded
    db = tmp_path / "s.duckdb"
    aa.sync(server.url, db, options=SyncOptions(progress=False))
    n = stored(db)
    loaded = aa.ingest([server.database], db, progress=False)
    # the API's records and the table's rows are the same rows: duplicates, not conflicts
    assert (loaded.total.stored, loaded.total.conflicts, loaded.total.rejected) == (
        len(server.activity_logs()) - n, 0, 0)
    assert loaded.total.duplicates == n
    assert_store_equals_server(db, server)


# ------------------------------------------------------------------ credentials and errors


def test_libpq_finds_the_password_in_pgpass_and_a_service_file(pg, tmp_path, monkeypatch):
    cluster, database = pg
    platform_db(pg, rows=10)
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("HOME", str(tmp_path))
    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{cluster.port}:*:postgres:{PASSWORD}\n")
    pgpass.chmod(0o600)
    db = tmp_path / "s.duckdb"
    assert aa.ingest([cluster.url(database)], db, progress=False).total.stored == 10
    services = tmp_path / "services.conf"
    services.write_text(f"[platform]\nhost=127.0.0.1\nport={cluster.port}\nuser=postgres\n"
                        f"dbname={database}\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    other = tmp_path / "o.duckdb"
    assert aa.ingest(["postgresql://?service=platform"], other, progress=False).total.stored == 10


def test_errors_are_one_line_name_the_server_and_never_the_password(pg, tmp_path, monkeypatch):
    cluster, database = pg
    url = platform_db(pg, rows=5)
    db = tmp_path / "s.duckdb"
    aa.ingest([url], db, progress=False)
    empty = cluster.create_database()
    monkeypatch.setenv("PGPASSWORD", "wrong-" + PASSWORD)
    cases = {
        url: "password authentication failed",
        f"postgresql://postgres@127.0.0.1:{cluster.port - 1 or 1}/x": "cannot connect",
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:{cluster.port}/{database}": "holds a password",
    }
    for source, expected in cases.items():
        with pytest.raises(InputError) as info:
            aa.ingest([source], db, progress=False)
        message = str(info.value)
        assert expected in message and "\n" not in message and PASSWORD not in message, message
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with pytest.raises(InputError, match="not a Platform database"):
        aa.ingest([cluster.url(empty)], db, progress=False)
    # the CLI: exit 2, one line on stderr, and what was stored is still there
    runner = CliRunner()
    monkeypatch.setenv("PGPASSWORD", "wrong")
    out = runner.invoke(cli, ["ingest", url, "--db", str(db), "--quiet"])
    assert out.exit_code == 2 and out.output.count("\n") == 1 and "password authentication" in out.output
    assert stored(db) == 5
    assert PASSWORD.encode() not in db.read_bytes()


# every update of a bar drawn, so a test sees each batch whatever the machine's speed
# (tqdm reads these when it is imported: they go to a process of its own)
EVERY_UPDATE = {"TQDM_MININTERVAL": "0", "TQDM_MINITERS": "1"}


def load_in_process(url: str, db, *, stop_at: float | None = None, sig: int = signal.SIGKILL
                    ) -> subprocess.Popen:
    """Load ``url`` into ``db`` in a process of its own, its bar shown, as a user's
    script would; with ``stop_at``, send ``sig`` once the bar shows that fraction of
    the rows read (the point is the load's, not the clock's). The process is
    returned waited for, with its stderr in ``stderr_text``."""
    code = f"import activity_analytics as aa; aa.ingest([{str(url)!r}], {str(db)!r}, progress=True)"
    env = {**os.environ, "PGPASSWORD": PASSWORD, **EVERY_UPDATE}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)
    seen = b""
    while stop_at is not None and (chunk := os.read(proc.stderr.fileno(), 4096)):
        seen += chunk
        shown = [int(p) for p in re.findall(rb"(\d+)%\|", seen)]
        if shown and shown[-1] >= 100 * stop_at:
            proc.send_signal(sig)
            break
    proc.stderr_text = (seen + proc.stderr.read()).decode(errors="replace")
    proc.wait()
    return proc


def test_a_load_killed_at_any_point_leaves_whole_batches_and_the_next_completes(pg, tmp_path):
    url = platform_db(pg, rows=300_000)
    # one bad row sends the load the careful way (batches) on every other run
    db = tmp_path / "s.duckdb"
    rng = random.Random(5)
    interrupted = 0
    late = T0 + dt.timedelta(minutes=400_000)  # after every other row: a later load reads it
    for attempt in range(4):
        if attempt == 2:
            add_rows(pg, f"VALUES ('bad', 'w1', 'issue', 'i1', '', 'member', 'u1', NULL, '{{}}', "
                         f"timestamptz '{late.isoformat()}')")
        proc = load_in_process(url, db, stop_at=rng.uniform(0.05, 0.9))
        interrupted += proc.returncode == -signal.SIGKILL
        if db.exists():
            assert stored(db) == stored(db, "count(DISTINCT id)")
    # the fast path (one statement) and the careful one (batches), each cut short
    assert interrupted >= 3, interrupted
    # Ctrl-C: the command says it was interrupted, exits 130, and keeps whole batches
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    proc = subprocess.Popen([sys.executable, "-m", "activity_analytics", "ingest", url, "--db",
                             str(db), "--quiet"], env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(1.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), err
    if proc.returncode == 130:
        assert err.count("\n") == 1 and "interrupted" in err, err
    assert stored(db) == stored(db, "count(DISTINCT id)")
    done = aa.ingest([url], db, progress=False)
    assert stored(db) == 300_000 == stored(db, "count(DISTINCT id)")
    assert done.total.rejected in (0, 1)
    assert aa.sql(db, "SELECT count(*) FROM rejects WHERE reason = 'action is empty'").item() == 1
    assert json.loads(aa.sql(db, "SELECT state FROM sync_state WHERE scope = 'database'").item())[
        "high_water"].startswith("20")


def test_a_table_of_other_types_goes_the_careful_way_and_says_why(pg, tmp_path):
    cluster, database = pg
    cluster.sql(database,
                "CREATE TABLE activity_logs (id integer, workspace_id text, action text, actor_type text, "
                "actor_id text, details jsonb, created_at timestamp, severity text)",
                "INSERT INTO activity_logs VALUES (1, 'w1', 'issue.created', 'member', 'u1', "
                "'{\"b\": 1, \"a\": 2}', '2026-11-02 09:00:00', 'high')")
    db = tmp_path / "s.duckdb"
    result = aa.ingest([cluster.url(database)], db, progress=False)
    assert result.total.rejected == 1
    assert aa.sql(db, "SELECT reason FROM rejects").item() == "id is not a string"
    cluster.sql(database, "ALTER TABLE activity_logs ALTER COLUMN id TYPE text",
                "UPDATE activity_logs SET created_at = created_at + interval '1 hour'")
    aa.ingest([cluster.url(database)], db, progress=False)
    row = aa.sql(db, "SELECT id, created_at, extra::VARCHAR AS extra FROM activity").row(0, named=True)
    # a naive timestamp is UTC; a column the Platform does not have is kept in extra
    assert row["id"] == "1" and row["created_at"] == dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    assert json.loads(row["extra"]) == {"severity": "high"}


ROW = st.fixed_dictionaries({
    "id": st.sampled_from(["a", "b", "c", "d", "e", "f", "", None]),
    "workspace_id": st.sampled_from(["w1", "w1", "w2", None]),
    "action": st.sampled_from(["issue.created", "issue.updated", "agent.ran", " ", None]),
    "actor_type": st.sampled_from(["member", "agent", "Agent", "bot", None]),
    "actor_id": st.sampled_from(["u1", "u2", None]),
    "details": st.sampled_from([None, "{}", '{"fields": {"status": "done"}}', '{"b" : 1, "a": [1, 2]}',
                                "[1]", '"text"', "3"]),
})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=12))
def test_a_table_a_careful_read_and_its_export_agree_row_for_row(pg_cluster, tmp_path_factory, monkeypatch, rows):
    """Whatever the rows, the fast path (when it takes them), the careful path and
    the same rows as a JSON-lines export store the same rows and reject the same
    records for the same reasons."""
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    database = pg_cluster.create_database()
    pg_cluster.sql(database, "CREATE TABLE activity_logs (id text, workspace_id text, entity_type text, "
                             "entity_id text, action text, actor_type text, actor_id text, issue_id text, "
                             "details json, created_at timestamptz)")

    def text(value):
        return "NULL" if value is None else "'" + value.replace("'", "''") + "'"

    values = ", ".join(
        f"({text(r['id'])}, {text(r['workspace_id'])}, 'issue', 'i1', {text(r['action'])}, "
        f"{text(r['actor_type'])}, {text(r['actor_id'])}, 'i1', {text(r['details'])}::json, "
        f"timestamptz '2026-11-02 09:00:00+00' + interval '{i} minutes')" for i, r in enumerate(rows))
    pg_cluster.sql(database, f"INSERT INTO activity_logs VALUES {values}")
    url, tmp = pg_cluster.url(database), tmp_path_factory.mktemp("agree")
    export = pg_cluster.sql(database, "SELECT row_to_json(a)::text FROM activity_logs AS a "
                                      "ORDER BY created_at, id")
    (tmp / "export.jsonl").write_text("".join(r[0] + "\n" for r in export))
    stores = {"fast": tmp / "fast.duckdb", "careful": tmp / "careful.duckdb", "file": tmp / "file.duckdb"}
    results = {"fast": ingest_paths([url], stores["fast"], progress=False),
               "careful": ingest_paths([url], stores["careful"], progress=False, fast=False),
               "file": aa.ingest([tmp / "export.jsonl"], stores["file"], progress=False)}
    columns = ("id, workspace_id, actor_type, actor_type_raw, actor_id, action, details::VARCHAR AS d, "
               "extra::VARCHAR AS x, created_at")
    stored = {k: aa.sql(db, f"SELECT {columns} FROM activity ORDER BY id") for k, db in stores.items()}
    reasons = {k: sorted(aa.sql(db, "SELECT reason FROM rejects")["reason"].to_list())
               for k, db in stores.items()}
    assert stored["fast"].equals(stored["careful"]) and stored["fast"].equals(stored["file"])
    assert reasons["fast"] == reasons["careful"] == reasons["file"]
    counts = {k: (r.total.stored, r.total.duplicates, r.total.conflicts, r.total.rejected)
              for k, r in results.items()}
    assert counts["fast"] == counts["careful"] == counts["file"], counts


def test_a_load_shows_its_progress_in_rows(pg, tmp_path):
    url = platform_db(pg, rows=250_000)
    db = tmp_path / "s.duckdb"
    proc = load_in_process(url, db)
    assert proc.returncode == 0, proc.stderr_text
    assert stored(db) == 250_000
    bar = proc.stderr_text.replace("\r", "\n")
    done = [int(m.group(1)) for m in re.finditer(r"(\d+)%\|", bar)]
    # the bar moves as DuckDB reads the stream, batch by batch, and ends full
    assert any(0 < d < 100 for d in done) and done[-1] == 100, done
