"""The DuckDB activity store: connection, schema and migrations.

Everything lives in one DuckDB file. Writers take the file's single write
lock for as short a time as they can; readers open it read-only. When another
process holds the lock we wait a bounded time, then fail with a message that
says who holds it and what to do.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ._defaults import DEFAULT_LOCK_TIMEOUT, DEFAULT_STORAGE_VERSION, STORAGE_VERSIONS
from . import _terms
from ._errors import SchemaError, StoreError, StoreLockedError, one_line
from ._jupyter import status_line
from ._lazy import lazy_module
from ._sql import storage
from ._sql.schema import ACTOR_TYPES, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import duckdb
else:
    duckdb = lazy_module("duckdb")

__all__ = ["ACTOR_TYPES", "DEFAULT_LOCK_TIMEOUT", "SCHEMA_VERSION", "connect", "file_storage_version",
           "find_store", "migrate", "schema_version", "storage_setting", "transaction"]

#: DuckDB memory limit of a writing connection (``$ACTIVITY_MEMORY_LIMIT``):
#: keeps a multi-GB ingest's peak RSS under 1 GB; DuckDB spills beyond it
WRITER_MEMORY_LIMIT = "600MB"


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` ... ``COMMIT``; on any exception (cancellation and Ctrl-C
    included) ``ROLLBACK`` and re-raise, so nothing half-done is kept.

    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE t (x INT)")
    >>> try:
    ...     with transaction(con):
    ...         _ = con.execute("INSERT INTO t VALUES (1)")
    ...         raise KeyboardInterrupt
    ... except KeyboardInterrupt:
    ...     pass
    >>> con.execute("SELECT count(*) FROM t").fetchall()
    [(0,)]
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        # a connection closed meanwhile (a second Ctrl-C during the unwinding)
        # has discarded the transaction already
        with contextlib.suppress(duckdb.ConnectionException):
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


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


def limit_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Hold DuckDB to ``$ACTIVITY_MEMORY_LIMIT`` (default :data:`WRITER_MEMORY_LIMIT`): a writer's
    limit, and that of a read-only run judging a large store in steps (it spills past it)."""
    limit = os.environ.get("ACTIVITY_MEMORY_LIMIT", WRITER_MEMORY_LIMIT)
    try:
        con.execute(f"SET memory_limit = '{limit}'")
    except duckdb.Error as exc:
        raise StoreError(f"bad ACTIVITY_MEMORY_LIMIT {limit!r}: use e.g. 600MB or 2GB") from exc


def storage_setting(storage_version: str | None = None) -> str:
    """The storage version new stores are written in: ``storage_version``, else
    ``$ACTIVITY_STORAGE_VERSION``, else :data:`DEFAULT_STORAGE_VERSION`.

    >>> storage_setting()
    'v1.4.0'
    >>> storage_setting("2.0")
    Traceback (most recent call last):
    ...
    activity_analytics._errors.StoreError: unknown storage version '2.0': choose one of v1.4.0, v1.5.0, v2.0.0
    """
    chosen = storage_version or os.environ.get("ACTIVITY_STORAGE_VERSION") or DEFAULT_STORAGE_VERSION
    if chosen not in STORAGE_VERSIONS:
        raise StoreError(f"unknown storage version {chosen!r}: choose one of "
                         + ", ".join(STORAGE_VERSIONS))
    return chosen


def _open(path: str, read_only: bool, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    if not read_only and not Path(path).exists():
        # A new file takes the storage version when it is made, and keeps it. The
        # store is then opened without that config: DuckDB refuses a connection
        # whose config differs from another of the process's to the same file
        # (an analyst's own duckdb.connect in the notebook).
        storage = {"storage_compatibility_version": storage_setting()}
        _connect(path, False, lock_timeout, storage).close()
    return _connect(path, read_only, lock_timeout, {})


#: seconds of waiting for the store before a command says so on stderr
SAY_WAITING_AFTER = 1.0


_MODULE_RE = re.compile(r"[A-Za-z_][\w.]{0,40}")
_COMMAND_RE = re.compile(r"[a-z][a-z-]{0,19}")


def _holder(text: str) -> str:
    """Who holds the store, from DuckDB's lock error: ``process 123 (python -m
    activity_analytics sync)``. Only the program, a ``-m`` module and a
    command word are shown: another program's arguments may hold a secret."""
    pid = _PID_RE.search(text)
    if not pid:
        return "another process"
    try:
        argv = [a.decode(errors="replace") for a in
                Path(f"/proc/{pid.group(1)}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        argv = []
    if not argv:
        return f"process {pid.group(1)}"
    words, rest = [Path(argv[0]).name], argv[1:]
    if rest[:1] == ["-m"] and len(rest) > 1 and _MODULE_RE.fullmatch(rest[1]):
        words, rest = [*words, "-m", rest[1]], rest[2:]
    elif rest[:1] == ["-c"]:
        words, rest = [*words, "-c ..."], []
    if rest and _COMMAND_RE.fullmatch(rest[0]):
        words.append(rest[0])
    if "ipykernel_launcher" in words or "ipykernel" in words:  # the usual holder, named as such
        return (f"a Jupyter kernel, process {pid.group(1)} ({' '.join(words)}): a notebook's own "
                "duckdb.connect holds the file until closed")
    return f"process {pid.group(1)} ({' '.join(words)})"


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _connect(path: str, read_only: bool, lock_timeout: float,
             config: dict[str, str]) -> duckdb.DuckDBPyConnection:
    start = time.monotonic()
    deadline = start + max(lock_timeout, 0.0)
    delay, clear = 0.05, None
    try:
        while True:
            try:
                return duckdb.connect(path, read_only=read_only, config=config)
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" not in text.lower():
                    raise StoreError(f"{path}: cannot open: {one_line(text)}") from exc
                now = time.monotonic()
                if now >= deadline:
                    holder = _holder(text)
                    raise StoreLockedError(
                        f"{path} is in use by {holder} (waited {lock_timeout:g}s). "
                        + ("" if read_only else "Nothing was written: running the same command "
                           "again is safe. ")
                        + "DuckDB allows one writer per file, and no reader beside it: close the "
                        "other connection (a DuckDB CLI or a duckdb.connect in a notebook holds the "
                        "file while open; aa.sql and `activity-analytics sql` open it per query) "
                        f"or raise {_terms.option('lock_timeout')}.", holder
                    ) from exc
                if clear is None and now - start >= SAY_WAITING_AFTER:
                    clear = _say_waiting(path, _holder(text), lock_timeout)
                time.sleep(delay)
                delay = min(delay * 2, 0.1)  # under a sync's pause between its write windows
            except duckdb.ConnectionException as exc:
                if _SAME_FILE_OTHER_CONFIG in str(exc):
                    raise StoreError(_terms.held_here(
                        path, writing=not read_only, read_write=read_only and _held_read_write(path)
                    )) from exc
                raise StoreError(f"{path}: cannot open: {one_line(exc)}") from exc
            except duckdb.Error as exc:
                raise StoreError(f"{path}: cannot open: {one_line(exc)}") from exc
    finally:
        if clear is not None:
            clear()


#: DuckDB's words when this process has the file open another way already
_SAME_FILE_OTHER_CONFIG = "same database file with a different configuration"


def _held_read_write(path: str) -> bool:
    """Whether this process's own connection to ``path`` is read-write with
    DuckDB's default settings (a plain ``duckdb.connect(path)``)."""
    try:
        duckdb.connect(path).close()  # shares that connection's database, or fails
    except duckdb.Error:
        return False
    return True


#: (store, holder) -> when this process last said it waits for them
_SAID: dict[tuple[str, str], float] = {}
#: seconds in which the same wait for the same holder is not said again
SAY_AGAIN_AFTER = 60.0


def _say_waiting(path: str, holder: str, lock_timeout: float):
    """Say once that we wait (a sync opens the store many times: one line is
    enough); returns what takes the line away again in Jupyter."""
    key, now = (os.path.abspath(path), holder), time.monotonic()
    if now - _SAID.get(key, -SAY_AGAIN_AFTER) < SAY_AGAIN_AFTER:
        return lambda: None
    _SAID[key] = now
    return status_line(f"waiting for the store: {path} is in use by {holder} (up to "
                       f"{lock_timeout:g}s; {_terms.option('lock_timeout')} sets how long)")


#: where :func:`find_store` looks, in order, after ``$ACTIVITY_DB``: the CLI's
#: default, ``activity-analytics demo``'s, and ``./run demo``'s from the repository
#: and from its ``notebooks/`` folder
STORE_CANDIDATES = ("activity.duckdb", "activity-demo.duckdb", "data/demo.duckdb", "../data/demo.duckdb")


def find_store(db: str | os.PathLike[str] | None = None) -> str:
    """The store a notebook or script should read: ``db`` when given, else
    ``$ACTIVITY_DB``, else the first of :data:`STORE_CANDIDATES` that exists
    (relative to the current folder). Raises a one-line :class:`StoreError`
    naming the ways to make one when there is none.

    >>> import os, tempfile
    >>> here = os.getcwd(); os.chdir(tempfile.mkdtemp())
    >>> find_store()
    Traceback (most recent call last):
    ...
    activity_analytics._errors.StoreError: no store found here (...): set db to a store's path, or make one with aa.demo(db) (the bundled sample), aa.ingest(paths, db) or aa.sync(api, db) (from a terminal: activity-analytics demo, ingest or sync)
    >>> _ = migrate("activity-demo.duckdb"); find_store()
    'activity-demo.duckdb'
    >>> os.chdir(here)
    """
    if db is not None:
        path = os.fspath(db)
        if not Path(path).exists():
            raise StoreError(f"{path}: no such store; make one with {_terms.make_store()}")
        return path
    env = os.environ.get("ACTIVITY_DB")
    if env:
        return find_store(env)
    for candidate in STORE_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    looked = ", ".join(STORE_CANDIDATES)
    raise StoreError(f"no store found here ({os.getcwd()}: looked for $ACTIVITY_DB, {looked}): set "
                     f"db to a store's path, or make one with {_terms.make_store()}")


def file_storage_version(con: duckdb.DuckDBPyConnection) -> str:
    """The storage version of the open store's file (``v1.4.0``: DuckDB 1.4 and later open it)."""
    return _attached_storage(con, con.execute("SELECT current_database()").fetchall()[0][0])


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of an open store (0 for an empty file)."""
    try:  # a store's in one small query; the catalog is read only for a file that is not one
        rows = con.execute("SELECT value FROM main.meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        rows = []
    if rows:
        return int(rows[0][0])
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
    """Bring the schema to :data:`SCHEMA_VERSION`, and the file's ``aa_*``
    macros to this package's text (they are part of the schema SQL users see)."""
    version = schema_version(con)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"{path} has schema version {version}, newer than this activity-analytics "
            f"understands ({SCHEMA_VERSION}); upgrade the package"
        )
    from ._sql import macros  # here: a reader (the CLI's small questions) has no use for it

    # Every step, its version bump and the macros commit together: a crash (a
    # new store killed while it is made, too) leaves the old version whole.
    with transaction(con):
        for step in range(version, SCHEMA_VERSION):
            try:
                con.execute(MIGRATIONS[step])
                con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                            [str(step + 1)])
            except duckdb.Error as exc:
                raise SchemaError(f"{path}: migration to schema version {step + 1} failed: "
                                  f"{one_line(exc)}") from exc
        rows = con.execute("SELECT value FROM meta WHERE key = 'macros_version'").fetchall()
        if not rows or rows[0][0] != macros.MACROS_VERSION:
            macros.install(con, temporary=False)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('macros_version', ?)",
                        [macros.MACROS_VERSION])


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
    missing and upgrades an older schema (its only work beyond opening). A
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
        raise StoreError(f"{path}: no such store; make one with {_terms.make_store()}")
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
            limit_memory(con)
            _migrate(con, path)
        yield con
    finally:
        con.close()


def migrate(
    db: str | os.PathLike[str],
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    storage_version: str | None = None,
) -> int:
    """Create or upgrade the store at ``db``; return its schema version afterwards.

    A store whose file is in another storage version than ``storage_version``
    (default: :func:`storage_setting`) is converted to it: copied into a new
    file, checked table by table, and swapped in atomically. Interrupted at any
    point, the old file stays as it was; a copy left behind is removed by the
    next ``migrate``.
    """
    target = storage_setting(storage_version)
    with connect(db, read_only=False, lock_timeout=lock_timeout) as con:
        version = schema_version(con)
        if file_storage_version(con) != target:
            _convert(con, os.fspath(db), target)
        return version


def _convert(con: duckdb.DuckDBPyConnection, path: str, target: str) -> None:
    """Rewrite the store ``con`` holds (with the write lock) in storage ``target``.

    The copy is made and checked while the lock is held, so no writer can slip
    a change into the old file; it replaces the old file by one rename.
    """
    for stale in Path(path).parent.glob(glob.escape(Path(path).name) + ".convert-*"):
        stale.unlink(missing_ok=True)  # an interrupted conversion's copy: we hold the lock
    tmp = f"{path}.convert-{os.getpid()}.tmp"
    source = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute("CHECKPOINT")  # the old file complete without its WAL: nothing left to replay
    try:
        con.execute(storage.attach(tmp, "aa_convert", storage_version=target))
        try:
            con.execute(storage.copy_database(source, "aa_convert"))
        finally:
            con.execute(storage.detach("aa_convert"))  # checkpoints the copy: no WAL beside it
        con.execute(storage.attach(tmp, "aa_check", read_only=True))
        try:
            _check_copy(con, source, "aa_check", path, target)
        finally:
            con.execute(storage.detach("aa_check"))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(Path(path).parent)
    except duckdb.Error as exc:
        raise StoreError(f"{path}: conversion to storage {target} failed, the store is "
                         f"unchanged: {one_line(exc)}") from exc
    finally:
        for leftover in (tmp, f"{tmp}.wal"):
            Path(leftover).unlink(missing_ok=True)


def _attached_storage(con: duckdb.DuckDBPyConnection, database: str) -> str:
    tags = con.execute(storage.STORAGE_TAGS, [database]).fetchall()[0][0]
    return str((tags or {}).get("storage_version", "unknown")).rstrip("+")


def _check_copy(con: duckdb.DuckDBPyConnection, source: str, copy: str, path: str,
                target: str) -> None:
    """Raise :class:`StoreError` unless ``copy`` holds what ``source`` does: the
    same tables with the same rows, the same views, macros and constraints, in
    storage ``target``."""
    def catalog(db: str) -> list[tuple]:
        return con.execute(storage.CATALOG, {"db": db}).fetchall()

    problems = []
    if catalog(source) != catalog(copy):
        problems.append("the copy's tables, views, macros or constraints differ")
    for kind, table in catalog(source):
        if kind == "table" and (con.execute(storage.table_digest(source, table)).fetchall()
                                != con.execute(storage.table_digest(copy, table)).fetchall()):
            problems.append(f"table {table} differs in the copy")
    written = _attached_storage(con, copy)
    if written != target:
        problems.append(f"the copy was written in storage {written}")
    if problems:
        raise StoreError(f"{path}: conversion to storage {target} failed its check, the store "
                         f"is unchanged: {'; '.join(problems)}")
