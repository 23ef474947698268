"""The DuckDB activity store: connection, schema and migrations.

Everything lives in one DuckDB file. Writers take the file's single write
lock for as short a time as they can; readers open it read-only. When another
process holds the lock we wait a bounded time, then fail with a message that
says who holds it and what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from ._errors import SchemaError, StoreError, StoreLockedError

#: version of the schema this code writes; stored in ``meta.schema_version``
SCHEMA_VERSION = 3

#: seconds a command waits for another process to release the file
DEFAULT_LOCK_TIMEOUT = 30.0

#: DuckDB memory limit of a writing connection (``$ACTIVITY_MEMORY_LIMIT``):
#: keeps a multi-GB ingest's peak RSS under 1 GB; DuckDB spills beyond it
WRITER_MEMORY_LIMIT = "600MB"

ACTOR_TYPES = ("user", "agent", "unknown")

#: The ``events`` view: activity with actor marks applied. Also used, with
#: other table names, on the Spark lake.
EVENTS_SELECT = """SELECT a.id, a.workspace_id, a.issue_id, a.entity_type, a.entity_id,
       coalesce(m.actor_type, a.actor_type) AS actor_type,
       a.actor_type AS actor_type_recorded,
       a.actor_type_raw, a.actor_id, a.action, a.details, a.extra,
       a.created_at, a.source, a.ingested_at
FROM {activity} AS a
LEFT JOIN {marks} AS m ON m.actor_id = a.actor_id"""

_SCHEMA_V1 = """
CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE activity (
    id             VARCHAR NOT NULL,  -- the key: unique, kept so by the loader
    workspace_id   VARCHAR,
    issue_id       VARCHAR,
    entity_type    VARCHAR,
    entity_id      VARCHAR,
    actor_type     VARCHAR NOT NULL CHECK (actor_type IN ('user', 'agent', 'unknown')),
    actor_type_raw VARCHAR,
    actor_id       VARCHAR,
    action         VARCHAR NOT NULL,
    details        JSON,
    extra          JSON,
    created_at     TIMESTAMPTZ NOT NULL,
    source         VARCHAR NOT NULL,
    ingested_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE rejects (
    source      VARCHAR NOT NULL,
    location    VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    raw         VARCHAR,
    rejected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, location, reason)
);

CREATE TABLE actor_marks (
    actor_id   VARCHAR PRIMARY KEY,
    actor_type VARCHAR NOT NULL CHECK (actor_type IN ('user', 'agent')),
    note       VARCHAR,
    marked_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE loads (
    load_id     VARCHAR PRIMARY KEY,
    source      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    records     BIGINT NOT NULL DEFAULT 0,
    stored      BIGINT NOT NULL DEFAULT 0,
    duplicates  BIGINT NOT NULL DEFAULT 0,
    conflicts   BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sync_state (
    api_url    VARCHAR NOT NULL,
    scope      VARCHAR NOT NULL,
    state      JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_url, scope)
);

CREATE VIEW events AS
""" + EVENTS_SELECT.format(activity="activity", marks="actor_marks") + ";\n"

# Version 2: the small dimension tables a sync keeps beside the activity, so
# reports can show names instead of ids. Replaced per workspace at each sync.
_SCHEMA_V2 = """
CREATE TABLE workspaces (
    id VARCHAR PRIMARY KEY, name VARCHAR, slug VARCHAR, api_url VARCHAR, synced_at TIMESTAMPTZ
);
CREATE TABLE members (
    workspace_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, role VARCHAR, synced_at TIMESTAMPTZ,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE TABLE agents (
    workspace_id VARCHAR NOT NULL, id VARCHAR NOT NULL, name VARCHAR, owner_id VARCHAR,
    synced_at TIMESTAMPTZ, PRIMARY KEY (workspace_id, id)
);
CREATE TABLE issues (
    workspace_id VARCHAR NOT NULL, id VARCHAR NOT NULL, identifier VARCHAR, title VARCHAR,
    status VARCHAR, priority VARCHAR, synced_at TIMESTAMPTZ, PRIMARY KEY (workspace_id, id)
);
"""

# Version 3: bursts' counts per actor and 5 minutes, kept by every write (see
# ``analysis/_slots.py``); the first write after the upgrade counts the store.
_SCHEMA_V3 = """
CREATE TABLE slot_counts (
    workspace_id VARCHAR, actor_id VARCHAR NOT NULL, actor_type VARCHAR NOT NULL,
    slot_us BIGINT NOT NULL, n BIGINT NOT NULL, first_us BIGINT NOT NULL, last_us BIGINT NOT NULL
);
"""

#: ``_MIGRATIONS[n]`` turns a version-``n`` store into version ``n + 1``.
#: Version 0 is an empty file.
_MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    0: lambda con: con.execute(_SCHEMA_V1),
    1: lambda con: con.execute(_SCHEMA_V2),
    2: lambda con: con.execute(_SCHEMA_V3),
}

_PID_RE = re.compile(r"PID (\d+)")


def _session_settings(con: duckdb.DuckDBPyConnection) -> None:
    # Naive timestamps mean UTC everywhere in this package, and results show UTC.
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    try:  # tracked (not printed) for our own progress bars; in Jupyter it needs ipywidgets
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
    except duckdb.Error:
        pass


def _open(path: str, read_only: bool, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + max(lock_timeout, 0.0)
    delay = 0.05
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise StoreError(f"{path}: cannot open: {text.splitlines()[0]}") from exc
            if time.monotonic() >= deadline:
                pid = _PID_RE.search(text)
                holder = f"process {pid.group(1)}" if pid else "another process"
                raise StoreLockedError(
                    f"{path} is in use by {holder} (waited {lock_timeout:g}s). "
                    "DuckDB allows one writer per file: close the other connection "
                    "(in a notebook, use the package's functions, which open and close "
                    "the file per call) or raise --lock-timeout."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            raise StoreError(f"{path}: cannot open: {str(exc).splitlines()[0]}") from exc


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of an open store (0 for an empty file)."""
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    if not tables:
        return 0
    if "meta" not in tables:
        raise SchemaError(
            "not an activity-analytics store (it has tables but no 'meta' table): "
            + ", ".join(sorted(tables)[:5])
        )
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    row = rows[0] if rows else None
    if row is None:
        raise SchemaError("store has a 'meta' table without a schema_version")
    return int(row[0])


def _migrate(con: duckdb.DuckDBPyConnection, path: str) -> None:
    version = schema_version(con)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"{path} has schema version {version}, newer than this activity-analytics "
            f"understands ({SCHEMA_VERSION}); upgrade the package"
        )
    while version < SCHEMA_VERSION:
        step = _MIGRATIONS.get(version)
        if step is None:
            raise SchemaError(f"{path}: no migration from schema version {version}")
        # Each step and its version bump commit together: a crash leaves the old version.
        con.execute("BEGIN TRANSACTION")
        try:
            step(con)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version + 1)]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        version += 1


@contextlib.contextmanager
def connect(
    db: str | os.PathLike[str],
    *,
    read_only: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store, yield a DuckDB connection, and close it afterwards.

    Read-only by default, so an analyst's session never blocks an ingest for
    longer than one call. Opening read-write creates the file and schema when
    missing and upgrades an older schema; when the block ends without error,
    the events it stored are counted for bursts (``analysis/_slots.py``). A
    read-only open of a missing file or an out-of-date schema raises
    :class:`SchemaError` saying what to run.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "store.duckdb"
    >>> with connect(path, read_only=False) as con:
    ...     con.execute("SELECT count(*) FROM activity").fetchall()[0][0]
    0
    """
    path = os.fspath(db)
    if read_only and not Path(path).exists():
        raise StoreError(f"{path}: no such store; create it with `activity-analytics ingest`")
    if not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only, lock_timeout)
    try:
        _session_settings(con)
        if read_only:
            version = schema_version(con)
            if version != SCHEMA_VERSION:
                raise SchemaError(
                    f"{path} has schema version {version}, this package uses "
                    f"{SCHEMA_VERSION}: run `activity-analytics migrate --db {path}`"
                )
        else:
            limit = os.environ.get("ACTIVITY_MEMORY_LIMIT", WRITER_MEMORY_LIMIT)
            try:
                con.execute(f"SET memory_limit = '{limit}'")
            except duckdb.Error as exc:
                raise StoreError(f"bad ACTIVITY_MEMORY_LIMIT {limit!r}: use e.g. 600MB or 2GB") from exc
            _migrate(con, path)
            _refresh_macros(con)
        yield con
        if not read_only:  # a write that ended well: count what it stored for bursts
            _refresh_counts(con)
    finally:
        con.close()


def _refresh_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Install the analysis macros in the file when they are missing or older."""
    from .analysis import (
        _macros,  # the macros are part of the store, defined with the analyses
    )

    rows = con.execute("SELECT value FROM meta WHERE key = 'macros_version'").fetchall()
    if rows and rows[0][0] == _macros.MACROS_VERSION:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        _macros.install(con, temporary=False)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('macros_version', ?)", [_macros.MACROS_VERSION]
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _refresh_counts(con: duckdb.DuckDBPyConnection) -> None:
    from .analysis import _slots  # bursts' counts, defined with the analysis

    _slots.refresh(con)


def migrate(db: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
    """Create or upgrade the store at ``db``; return its schema version afterwards."""
    with connect(db, read_only=False, lock_timeout=lock_timeout) as con:
        return schema_version(con)
