"""The Platform's own database as a source: its SQLite file, or PostgreSQL.

Both are read the same way (``_load`` orchestrates, ``_core`` stores):

* ``activity_logs``, from the last load's high-water mark less an overlap
  (:data:`OVERLAP`: a row can commit after a newer one was read), so a second
  load reads only what is new. Rows of the overlap stored already are read
  again and dropped, not counted. The mark is the newest ``created_at`` before
  the read starts, and advances in the same transaction as the load's last
  rows (``sync_state``, api_url = the source's name, scope ``database``).
* Its workspaces, members, agents and issues tables, whole, replacing what a
  sync or an earlier load stored for those workspaces.
* Every record through the same rules as a file's. PostgreSQL is read with
  ADBC's driver straight into Arrow; a whole clean read is one statement (the
  fast path), anything else goes the careful way, batch by batch, from each
  row as JSON text made by the database itself (``row_to_json``, SQLite's
  ``json_object``).

Credentials follow libpq (``$PGPASSWORD``, ``~/.pgpass``, ``PGSERVICE``,
``sslmode`` in the URL): a URL that holds a password is refused, so none
reaches a command line, the store, a log or an error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._errors import InputError, one_line
from .._lazy import lazy_module
from .._time import parse_ts
from ._files import BATCH_ROWS
from ._types import RawBatch, cancelled, raw_schema

if TYPE_CHECKING:
    import pyarrow as pa
else:
    pa = lazy_module("pyarrow")


PG_SCHEMES = ("postgresql", "postgres")
#: the dimension tables and the columns kept of each, as the sync keeps them
DIMENSIONS = {
    "members": ("workspace_id", "user_id", "role"),
    "agents": ("workspace_id", "id", "name", "owner_id"),
    "issues": ("workspace_id", "id", "identifier", "title", "status", "priority"),
}


def is_url(given: object) -> bool:
    """Whether a path argument is a PostgreSQL URL rather than a file."""
    return isinstance(given, str) and given.split("://", 1)[0].lower() in PG_SCHEMES and "://" in given


@dataclass(frozen=True)
class Database:
    """A Platform database to load: ``kind`` is ``sqlite`` or ``postgresql``."""

    kind: str
    #: what is shown and recorded (the absolute path; the URL, which holds no password)
    name: str
    target: str

    @classmethod
    def from_url(cls, url: str) -> Database:
        """A PostgreSQL URL, checked: one without a password (libpq finds it)."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if parts.password is not None or any(k == "password" for k, _ in query):
            host = parts.hostname or "localhost"
            raise InputError(
                f"{parts.scheme}://...@{host}: the URL holds a password; give it in $PGPASSWORD "
                "or ~/.pgpass instead (a command line, a notebook and a log all show URLs)")
        if not parts.path.strip("/") and not parts.netloc and not query:
            raise InputError(f"{url}: a PostgreSQL URL needs at least a host or a database, "
                             "e.g. postgresql://platform@db.example.com/platform")
        name = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
        return cls("postgresql", name, url)

    @classmethod
    def sqlite_file(cls, path: Path) -> Database:
        return cls("sqlite", os.path.abspath(path), str(path))

    @contextlib.contextmanager
    def reader(self) -> Iterator[_PostgresReader | _SqliteReader]:
        reader = _PostgresReader(self) if self.kind == "postgresql" else _SqliteReader(self)
        try:
            reader.check()
            yield reader
        finally:
            reader.close()


class _PostgresReader:
    """``activity_logs`` and the dimension tables through ADBC, as Arrow."""

    loc_label = "row"

    def __init__(self, db: Database):
        self.db = db
        try:
            from adbc_driver_postgresql import dbapi
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise InputError("reading PostgreSQL needs adbc-driver-postgresql: "
                             "pip install adbc-driver-postgresql") from exc
        self._errors = (dbapi.Error,)
        try:
            self.con = dbapi.connect(db.target)
        except dbapi.Error as exc:
            raise InputError(f"{db.name}: cannot connect: {self._message(exc)}") from exc
        # a column of naive timestamps holds UTC, as everywhere in the store
        self._query("SET TIME ZONE 'UTC'").close()

    def _message(self, exc: BaseException) -> str:
        text = one_line(exc).replace("IO: [libpq] ", "").replace("Failed to connect: ", "")
        return text.split(". SQLSTATE")[0].split("Query was:")[0].strip()

    def _query(self, sql: str, params: tuple = ()):
        cursor = self.con.cursor()
        try:
            cursor.execute(sql, parameters=params or None)
        except self._errors as exc:
            cursor.close()
            raise InputError(f"{self.db.name}: {self._message(exc)}") from exc
        return cursor

    def columns(self, table: str) -> tuple[str, ...]:
        """The columns of ``table`` in the connection's schema (none: no such table)."""
        if not hasattr(self, "_columns"):
            cursor = self._query(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY ordinal_position")
            with contextlib.closing(cursor):
                self._columns: dict[str, list[str]] = {}
                for name, column in cursor.fetchall():
                    self._columns.setdefault(name, []).append(column)
        return tuple(self._columns.get(table, ()))

    def check(self) -> None:
        if "created_at" not in self.columns("activity_logs"):
            raise InputError(f"{self.db.name}: not a Platform database (no activity_logs table "
                             "with a created_at column in its schema)")

    @staticmethod
    def _where(since: dt.datetime | None) -> tuple[str, tuple]:
        return ("WHERE created_at >= $1::timestamptz", (since.isoformat(),)) if since else ("", ())

    def newest(self, since: dt.datetime | None) -> tuple[int, dt.datetime | None]:
        """(rows from ``since``, the newest created_at) before the read starts."""
        where, params = self._where(since)
        with contextlib.closing(self._query(
                f"SELECT count(*), max(created_at) FROM activity_logs {where}", params)) as cursor:
            count, newest = cursor.fetchone()
        return count, parse_ts(newest)

    @contextlib.contextmanager
    def typed(self, since: dt.datetime | None) -> Iterator[pa.RecordBatchReader]:
        """The rows from ``since`` as typed columns, streamed (the fast path)."""
        where, params = self._where(since)
        with contextlib.closing(self._query(f"SELECT * FROM activity_logs {where}", params)) as cursor:
            yield cursor.fetch_record_batch()

    def raw(self, since: dt.datetime | None) -> Iterator[tuple[pa.Array, RawBatch]]:
        """(ids, raw batch) of the rows from ``since``: each row as JSON text made by
        PostgreSQL, numbered in the read's order (the careful path)."""
        where, params = self._where(since)
        cursor = self._query(
            f"SELECT a.id::text AS id, row_to_json(a)::text AS text FROM activity_logs AS a {where} "
            "ORDER BY a.created_at, a.id", params)
        with contextlib.closing(cursor):
            first = 1
            reader = cursor.fetch_record_batch()
            pending: list[pa.RecordBatch] = []
            size = 0
            for batch in self._batches(reader):
                pending.append(batch)
                size += batch.num_rows
                if size >= BATCH_ROWS:
                    yield _raw_batch(pending, first)
                    first += size
                    pending, size = [], 0
            if pending:
                yield _raw_batch(pending, first)

    def _batches(self, reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
        """The reader's batches; a read cut short is one line, and Ctrl-C (which
        the driver turns into a cancelled query) is Ctrl-C again."""
        try:
            yield from reader
        except (OSError, pa.ArrowException) as exc:
            if cancelled(exc):
                raise KeyboardInterrupt from exc
            raise InputError(f"{self.db.name}: reading activity_logs failed: "
                             f"{self._message(exc)}") from exc

    def table(self, name: str, columns: tuple[str, ...]) -> list[tuple]:
        if not set(columns) <= set(self.columns(name)):
            return []
        with contextlib.closing(self._query(f"SELECT {', '.join(columns)} FROM {name}")) as cursor:
            return [tuple(r) for r in cursor.fetchall()]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.close()


class _SqliteReader:
    """The Platform's SQLite file, read-only."""

    loc_label = "rowid"

    def __init__(self, db: Database):
        self.db = db
        try:
            self.con = sqlite3.connect(f"file:{Path(db.target).resolve()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise InputError(f"{db.name}: cannot open SQLite database: {exc}") from exc

    def _query(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        try:
            return self.con.execute(sql, params)
        except sqlite3.Error as exc:
            raise InputError(f"{self.db.name}: cannot read SQLite database: {exc}") from exc

    def columns(self, table: str) -> tuple[str, ...]:
        return tuple(r[1] for r in self._query(f"PRAGMA table_info({table})"))

    def check(self) -> None:
        if not self.columns("activity_logs"):
            raise InputError(f"{self.db.name}: SQLite database has no activity_logs table")

    @staticmethod
    def _where(since: dt.datetime | None) -> tuple[str, tuple]:
        # the Platform writes naive UTC text; a row in another form is read every time
        if since is None:
            return "", ()
        naive = since.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        return "WHERE NOT (typeof(created_at) = 'text' AND created_at < ?)", (naive,)

    def newest(self, since: dt.datetime | None) -> tuple[int, dt.datetime | None]:
        where, params = self._where(since)
        count, newest = self._query(
            f"SELECT count(*), max(CASE WHEN typeof(created_at) = 'text' THEN created_at END) "
            f"FROM activity_logs {where}", params).fetchone()
        return count, parse_ts(newest)

    def raw(self, since: dt.datetime | None) -> Iterator[tuple[pa.Array, RawBatch]]:
        columns = self.columns("activity_logs")
        parts = []
        for col in columns:
            quoted = '"' + col.replace('"', '""') + '"'
            value = (f"CASE WHEN json_valid({quoted}) THEN json({quoted}) ELSE {quoted} END"
                     if col == "details" else quoted)
            parts.append(f"'{col.replace(chr(39), chr(39) * 2)}', {value}")
        where, params = self._where(since)
        cursor = self._query(
            f"SELECT CAST(id AS TEXT), rowid, json_object({', '.join(parts)}) FROM activity_logs "
            f"{where} ORDER BY rowid", params)
        try:
            while rows := cursor.fetchmany(BATCH_ROWS):
                ids, locs, texts = zip(*rows, strict=True)
                table = pa.Table.from_arrays(
                    [pa.array(locs, pa.int64()), pa.array(texts, pa.string()),
                     pa.array([False] * len(locs))], schema=raw_schema())
                yield pa.array(ids, pa.string()), RawBatch(table)
        except sqlite3.Error as exc:
            raise InputError(f"{self.db.name}: cannot read activity_logs: {exc}") from exc

    def table(self, name: str, columns: tuple[str, ...]) -> list[tuple]:
        if not set(columns) <= set(self.columns(name)):
            return []
        return [tuple(r) for r in self._query(f"SELECT {', '.join(columns)} FROM {name}")]

    def close(self) -> None:
        self.con.close()


def _raw_batch(batches: list[pa.RecordBatch], first: int) -> tuple[pa.Array, RawBatch]:
    table = pa.Table.from_batches(batches)
    n = table.num_rows
    raw = pa.Table.from_arrays(
        [pa.array(range(first, first + n), pa.int64()), table.column("text").combine_chunks(),
         pa.array([False] * n)], schema=raw_schema())
    return table.column("id").combine_chunks(), RawBatch(raw)
