"""Backfill from the Platform's own database against the ways a bare program reads it.

In one run, against a real PostgreSQL server (Debian's, started here like the
tests' one) holding the real Platform server's tables:

- ``ingest postgresql://...`` of ``--rows`` activity rows (1M) into a new store,
  against ``psql``'s bare ``COPY activity_logs TO STDOUT`` of the same table,
  a bare ADBC read of it into Arrow, and a bare ADBC read into a DuckDB table
  (the ingest's floor: the same read and the same write, with no rule applied);
  each the best of ``--repeat`` runs in a fresh process, timed alternately;
- an increment: ``--new`` rows added, the same ingest again (reads only those),
  and then an API sync of the same store (after a database load it asks one
  page per workspace);
- the growth table of issue 23: a full API sync of ``--sizes`` rows (one
  workspace) against the database ingest of the same rows, on the server
  running on PostgreSQL and on SQLite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import activity_analytics as aa
from activity_analytics import SyncOptions

from ._common import OUT, machine, run_child, save

OURS = """
import sys, activity_analytics as aa
r = aa.ingest([sys.argv[1]], sys.argv[2], progress=False)
print(r.total.stored)
"""

BARE_ARROW = """
import sys
from adbc_driver_postgresql import dbapi
with dbapi.connect(sys.argv[1]) as con, con.cursor() as cur:
    cur.execute("SELECT * FROM activity_logs")
    print(cur.fetch_arrow_table().num_rows)
"""

BARE_DUCKDB = """
import sys, duckdb
from adbc_driver_postgresql import dbapi
from activity_analytics._defaults import DEFAULT_STORAGE_VERSION
out = duckdb.connect(sys.argv[2], config={"storage_compatibility_version": DEFAULT_STORAGE_VERSION})
with dbapi.connect(sys.argv[1]) as con, con.cursor() as cur:
    cur.execute("SELECT * FROM activity_logs")
    rows = cur.fetch_record_batch()
    out.execute("CREATE TABLE t AS SELECT * FROM rows")
print(out.execute("SELECT count(*) FROM t").fetchall()[0][0])
"""


def _cluster():
    from tests.pg_server import Cluster, bindir
    from tests.platform_server import free_port

    found = bindir()
    if found is None:
        raise SystemExit("no PostgreSQL server: install Debian's postgresql (apt-get install postgresql)")
    return Cluster(Path(tempfile.mkdtemp(prefix="aa-bench-pg-")), free_port()).start(found)


def _server(root: Path, postgres=None):
    from tests.platform_server import PlatformServer, platform_python

    python = platform_python()
    if python is None:
        raise SystemExit("no .venv-platform: run ./run test once to install the real server")
    return PlatformServer(root / "platform.db", postgres=postgres).start(python)


def _seed(server, rows: int, name: str = "Bench") -> tuple[str, str]:
    """A workspace of ``rows`` events written into the server's table, one a
    second, as the server writes them; returns (token, workspace id)."""
    client = server.register(name)
    token = client.headers["Authorization"].split()[1]
    ws = client.post("/workspaces/", json={"name": name}).raise_for_status().json()["id"]
    start = dt.datetime(2026, 1, 1)
    if server.postgres is not None:
        cluster, database = server.postgres
        cluster.sql(database, f"""
            INSERT INTO activity_logs (id, workspace_id, entity_type, entity_id, action, actor_type,
                                       actor_id, issue_id, details, created_at)
            SELECT gen_random_uuid()::text, '{ws}', 'issue', 'i' || (g % 5000),
                   CASE WHEN g % 10 = 0 THEN 'issue.created' ELSE 'issue.updated' END,
                   CASE WHEN g % 4 = 0 THEN 'agent' ELSE 'member' END, 'u' || (g % 300), NULL,
                   CASE WHEN g % 10 = 0
                        THEN json_build_object('title', 'Issue ' || g, 'identifier', 'BEN-' || g)
                        ELSE json_build_object('fields', json_build_object('status', 'in_progress')) END,
                   timestamptz '{start.isoformat()}+00' + g * interval '1 second'
            FROM generate_series(1, {rows}) AS g""")
    else:
        import json
        import uuid

        server.insert_activity([
            (str(uuid.uuid4()), ws, "issue", f"i{i % 5000}", "issue.updated",
             "agent" if i % 4 == 0 else "member", f"u{i % 300}", None,
             json.dumps({"fields": {"status": "in_progress"}}), start + dt.timedelta(seconds=i))
            for i in range(rows)])
    return token, ws


def _timed(step) -> float:
    begin = time.perf_counter()
    step()
    return time.perf_counter() - begin


def _backfill(cluster, database: str, rows: int, repeat: int, work: Path) -> dict:
    url = cluster.url(database)
    env = {**os.environ}
    psql = shutil.which("psql")

    def copy() -> None:
        with open(os.devnull, "wb") as sink:
            subprocess.run([psql, "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-X",
                            "-c", "COPY activity_logs TO STDOUT", database], stdout=sink, env=env,
                           check=True)

    def child(code: str, store: str) -> float:
        (work / store).unlink(missing_ok=True)
        return run_child(code, url, str(work / store)).seconds

    best = {"psql_copy": [], "bare_adbc_arrow": [], "bare_adbc_duckdb": [], "ours": []}
    for _ in range(repeat):  # alternately, so drift hits every reader alike
        best["psql_copy"].append(_timed(copy))
        best["bare_adbc_arrow"].append(child(BARE_ARROW, "bare-arrow.duckdb"))
        best["bare_adbc_duckdb"].append(child(BARE_DUCKDB, "bare.duckdb"))
        best["ours"].append(child(OURS, "ours.duckdb"))
    seconds = {k: round(min(v), 3) for k, v in best.items()}
    stored = aa.sql(work / "ours.duckdb", "SELECT count(*) FROM activity").item()
    return {
        "rows": rows, "stored": stored, "seconds": seconds,
        "ratio_to_psql_copy": round(seconds["ours"] / seconds["psql_copy"], 2),
        "ratio_to_bare_adbc_arrow": round(seconds["ours"] / seconds["bare_adbc_arrow"], 2),
        "ratio_to_bare_adbc_duckdb": round(seconds["ours"] / seconds["bare_adbc_duckdb"], 2),
        "store_mb": round((work / "ours.duckdb").stat().st_size / 2**20, 1),
    }


def _increment(server, token: str, ws: str, new: int, work: Path) -> dict:
    """``new`` rows more, then the database ingest again, then an API sync of the store."""
    import json
    import uuid

    server.insert_activity([
        (str(uuid.uuid4()), ws, "agent", "runner", "agent.ran", "agent", "runner", None,
         json.dumps({"run": i}), dt.datetime.now(dt.UTC).replace(tzinfo=None)) for i in range(new)])
    db = work / "ours.duckdb"
    again = run_child(OURS, server.database, str(db))
    os.environ["ACTIVITY_API_TOKEN"] = token
    started = time.perf_counter()
    result = aa.sync(server.url, db, options=SyncOptions(progress=False))
    sync_seconds = time.perf_counter() - started
    return {
        "new_rows": new, "ingest_seconds": round(again.seconds, 3),
        "ingest_stored": int(again.output.strip()),
        "sync_after_seconds": round(sync_seconds, 3),
        "sync_after_new_rows": sum(s.new_rows for s in result.scopes),
        "sync_after_activity_pages": {s.workspace_id[:8]: s.pages for s in result.scopes},
    }


def _growth(sizes: list[int], cluster, work: Path) -> list[dict]:
    rows = []
    for backend in ("postgresql", "sqlite"):
        for size in sizes:
            root = Path(tempfile.mkdtemp(dir=work))
            pg = (cluster, cluster.create_database()) if backend == "postgresql" else None
            server = _server(root, pg)
            try:
                token, _ = _seed(server, size, name=f"G{size}")
                os.environ["ACTIVITY_API_TOKEN"] = token
                synced = root / "sync.duckdb"
                api = _timed(lambda: aa.sync(server.url, synced, options=SyncOptions(progress=False)))
                n = aa.sql(synced, "SELECT count(*) FROM activity").item()
                database = run_child(OURS, server.database, str(root / "db.duckdb"))
            finally:
                server.stop()
            rows.append({"backend": backend, "rows": size, "api_sync_seconds": round(api, 1),
                         "api_rows": n, "database_ingest_seconds": round(database.seconds, 2),
                         "ratio_api_to_database": round(api / database.seconds, 1)})
            print(f"growth {backend} {size}: {rows[-1]}", flush=True)
            shutil.rmtree(root, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench backfill", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--sizes", default="30000,60000,120000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("PGPASSWORD", __import__("tests.pg_server").pg_server.PASSWORD)
    work = Path(tempfile.mkdtemp(prefix="aa-bench-backfill-"))
    cluster = _cluster()
    result: dict = {"machine": machine(), "rows": args.rows}
    try:
        database = cluster.create_database()
        server = _server(work, (cluster, database))
        try:
            token, ws = _seed(server, args.rows)
            result["backfill"] = _backfill(cluster, database, args.rows, args.repeat, work)
            print(f"backfill: {result['backfill']}", flush=True)
            result["increment"] = _increment(server, token, ws, args.new, work)
            print(f"increment: {result['increment']}", flush=True)
        finally:
            server.stop()
        sizes = [int(s) for s in args.sizes.split(",") if s]
        result["growth"] = _growth(sizes, cluster, work) if sizes else []
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    save(f"backfill-{args.rows}", result)
    return result
