"""Read-only SQL over the store, and the output formats the CLI shares."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

import duckdb
import polars as pl

from ._defaults import FORMATS
from ._errors import ActivityAnalyticsError, QueryError, one_line
from ._store import DEFAULT_LOCK_TIMEOUT, connect


def sql(
    db: str | os.PathLike[str],
    query: str,
    params: list[Any] | dict[str, Any] | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """Run one read-only SQL query against the store and return the result.

    The file is opened read-only for the duration of the call, so the query
    can neither change the store nor hold it against a writer afterwards.
    Tables: ``activity``, ``rejects``, ``actor_marks``, ``loads``,
    ``sync_state``; the view ``events`` is ``activity`` with actor marks applied.

    >>> import tempfile, pathlib
    >>> from activity_analytics import migrate
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "s.duckdb"
    >>> _ = migrate(db)
    >>> sql(db, "SELECT count(*) AS n FROM events")["n"].to_list()
    [0]
    """
    with connect(db, read_only=True, lock_timeout=lock_timeout) as con:
        try:
            relation = con.sql(query, params=params)
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {one_line(exc)}") from exc
        if relation is None:
            return pl.DataFrame()
        try:
            return relation.pl()
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {one_line(exc)}") from exc


def render(df: pl.DataFrame, fmt: str = "table", *, max_rows: int | None = 50) -> str:
    """Render a DataFrame as an aligned table, CSV or a JSON array of objects."""
    if fmt == "csv":
        return df.write_csv()
    if fmt == "json":
        buf = io.StringIO()
        df.write_json(buf)
        return buf.getvalue() + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rows = -1 if max_rows is None else max_rows
    with pl.Config(
        tbl_rows=rows, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200,
        tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
    ):
        text = str(df)
    if max_rows is not None and df.height > max_rows:
        text += f"\n({df.height} rows; showing {max_rows}: use --format csv for all)"
    return text + "\n"


PROMPT_HELP = """Statements end with ';' and run one at a time, each opening the store
read-only only while it runs: a sync or ingest started meanwhile goes ahead.
  .tables     the store's tables, views and aa_* macros
  .help       this text
  .quit       leave (also Ctrl-D)"""

_TABLES = """SELECT table_name AS name, lower(table_type) AS kind FROM information_schema.tables
WHERE table_schema = 'main' UNION ALL SELECT DISTINCT function_name, 'macro'
FROM duckdb_functions() WHERE database_name = current_database() AND function_name LIKE 'aa_%'
ORDER BY kind, name"""


def _statements(lines: IO[str], interactive: bool) -> Iterator[str]:
    """Complete statements (ending in ';') and dot-commands read from ``lines``
    (at a terminal through ``input()``, for line editing and history)."""
    buffer: list[str] = []
    while True:
        if interactive:
            try:
                line = input("   ...> " if buffer else "aa-sql> ") + "\n"
            except EOFError:
                line = ""
        else:
            line = lines.readline()
        if not line:
            if "".join(buffer).strip():
                yield "\n".join(buffer)  # the last statement may lack its ';'
            return
        if not buffer and line.strip().startswith("."):
            yield line.strip()
            continue
        buffer.append(line.rstrip("\n"))
        if line.rstrip().endswith(";"):
            statement = "\n".join(buffer).strip()
            buffer = []
            if statement.strip(";").strip():
                yield statement


def sql_prompt(
    db: str | os.PathLike[str],
    *,
    lines: IO[str] | None = None,
    out: IO[str] | None = None,
    fmt: str = "table",
    max_rows: int | None = 50,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> int:
    """An interactive SQL prompt over the store that never holds it between statements.

    Reads statements from ``lines`` (default: stdin; a prompt is shown when it
    is a terminal), runs each with :func:`sql` (the file is open read-only only
    while a statement runs) and writes its result to ``out``. A failing
    statement prints its one-line error and the prompt goes on. Returns the
    number of statements that failed.

    >>> import io, tempfile, pathlib
    >>> from activity_analytics import migrate
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "s.duckdb"
    >>> _ = migrate(db)
    >>> sql_prompt(db, lines=io.StringIO("SELECT count(*) AS n\\nFROM events;\\nSELECT nope;"),
    ...            out=io.StringIO())
    1
    """
    lines = lines if lines is not None else sys.stdin
    out = out if out is not None else sys.stdout
    interactive = lines is sys.stdin and lines.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        out.write(f"{os.fspath(db)}: read-only SQL. .help for help, .quit to leave.\n")
    failed = 0
    for statement in _statements(lines, interactive):
        command = statement.split()[0].lower()
        if command in (".quit", ".exit", ".q"):
            break
        if command == ".help":
            out.write(PROMPT_HELP + "\n")
            continue
        try:
            frame = sql(db, _TABLES if command == ".tables" else statement,
                        lock_timeout=lock_timeout)
        except ActivityAnalyticsError as exc:
            failed += 1
            out.write(f"error: {exc}\n")
            continue
        out.write(render(frame, fmt, max_rows=max_rows))
        out.flush()
    return failed
