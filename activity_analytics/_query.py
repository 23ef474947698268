"""Read-only SQL over the store, and the output formats the CLI shares."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from . import _table
from ._defaults import FORMATS
from ._errors import ActivityAnalyticsError, QueryError, one_line
from ._lazy import lazy_module
from ._interrupt import interruptible
from ._store import DEFAULT_LOCK_TIMEOUT, connect

if TYPE_CHECKING:
    import duckdb
    import polars as pl  # loaded when a result is made: the CLI prints tables without it (_table)
else:
    duckdb = lazy_module("duckdb")


def sql(
    db: str | os.PathLike[str],
    query: str,
    params: list[Any] | dict[str, Any] | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """Run one read-only SQL statement against the store and return the result.

    The file is opened read-only for the duration of the call, so the query
    can neither change the store nor hold it against a writer afterwards.
    Tables: ``activity``, ``rejects``, ``actor_marks``, ``loads``,
    ``sync_state``; the view ``events`` is ``activity`` with actor marks applied.
    Several statements raise :class:`QueryError` (DuckDB would return only the
    last one's result): :func:`sql_each` runs them and returns each result.

    >>> import tempfile, pathlib
    >>> from activity_analytics import migrate
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "s.duckdb"
    >>> _ = migrate(db)
    >>> sql(db, "SELECT count(*) AS n FROM events")["n"].to_list()
    [0]
    """
    with connect(db, read_only=True, lock_timeout=lock_timeout) as con:
        statements = _parse(query, con)
        if len(statements) > 1:
            raise QueryError(f"sql runs one statement; this has {len(statements)}: run them one at a time")
        return interruptible(con, lambda: _frame(con, statements[0], params,
                                                 rows=isinstance(db, _table.ForPrinting)))


def sql_each(
    db: str | os.PathLike[str],
    query: str,
    params: list[Any] | dict[str, Any] | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> list[pl.DataFrame]:
    """Run each read-only SQL statement of ``query`` in turn; return one
    DataFrame per statement (an empty one for a statement without a result).

    The store is opened read-only once, for all of them, and closed when the
    last one returns, so a ``SET`` applies to the statements after it.
    ``params`` go to each statement that has parameters (of a dict, the names
    it uses). The first statement that fails raises :class:`QueryError`.

    >>> import tempfile, pathlib
    >>> from activity_analytics import migrate
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "s.duckdb"
    >>> _ = migrate(db)
    >>> [f.rows() for f in sql_each(db, "SET threads = 1; SELECT count(*) FROM events; SELECT $x", {"x": 7})]
    [[], [(0,)], [(7,)]]
    """
    statements = _parse(query)
    with connect(db, read_only=True, lock_timeout=lock_timeout) as con:
        return interruptible(con, lambda: [_frame(con, statement, params, each=True)
                                           for statement in statements])


def _parse(query: str, con: duckdb.DuckDBPyConnection | None = None) -> list[duckdb.Statement]:
    """The statements of ``query``; a syntax error, or none, is a :class:`QueryError`.
    (With the store's connection ``con``: DuckDB's own makes a database, 15 ms.)"""
    try:
        statements = (duckdb if con is None else con).extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {one_line(exc)}") from exc
    if not statements:
        raise QueryError("no SQL statement given")
    return statements


def _frame(
    con: duckdb.DuckDBPyConnection,
    statement: duckdb.Statement,
    params: list[Any] | dict[str, Any] | None,
    *,
    each: bool = False,
    rows: bool = False,
) -> pl.DataFrame | _table.Rows:
    """One statement's result (``each``: ``params`` only if it takes any, of a
    dict the names it uses; ``rows``: as :class:`_table.Rows` where it can be);
    an empty DataFrame when it has no result."""
    if each:
        names = statement.named_parameters
        if not names:
            params = None
        elif isinstance(params, dict):
            params = {name: value for name, value in params.items() if name in names}
    try:
        if statement.expected_result_type == [duckdb.ExpectedResultType.NOTHING]:  # SET, LOAD, ...
            con.execute(statement.query, params)
            relation = None
        else:
            relation = con.sql(statement.query, params=params)
        if relation is None:
            import polars as pl

            return pl.DataFrame()
        return _table.fetch(relation) if rows else relation.pl()
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {one_line(exc)}") from exc


def render(df: pl.DataFrame | _table.Rows, fmt: str = "table", *, max_rows: int | None = 50) -> str:
    """Render a DataFrame as an aligned table, CSV or a JSON array of objects
    (:class:`_table.Rows` as the DataFrame they stand for)."""
    text = _table.text(df, max_rows) if fmt == "table" and isinstance(df, _table.Rows) else None
    if text is None:
        import polars as pl

        df = _table.to_polars(df)
    if fmt == "csv":
        return df.write_csv()
    if fmt == "json":
        buf = io.StringIO()
        df.write_json(buf)
        return buf.getvalue() + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rows = -1 if max_rows is None else max_rows
    if text is None:
        with pl.Config(
            tbl_rows=rows, tbl_cols=-1, fmt_str_lengths=_table.STR_LEN, tbl_width_chars=_table.WIDTH,
            tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
        ):
            text = str(df)
    if max_rows is not None and df.height > max_rows:
        text += f"\n({df.height} rows; showing {max_rows}: use --format csv for all)"
    return text + "\n"


PROMPT_HELP = """Statements end with ';' and run one at a time, each opening the store
read-only only while it runs: a sync or ingest started meanwhile goes ahead.
Ctrl-C cancels the running statement, or discards the one being typed.
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
            except KeyboardInterrupt:  # as psql: Ctrl-C discards what was typed
                buffer = []
                print(flush=True)
                continue
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
    is a terminal), runs each with :func:`sql_each` (the file is open read-only
    only while a statement runs) and writes its results to ``out``. A failing
    statement prints its one-line error and the prompt goes on. At a terminal,
    Ctrl-C cancels the running statement (DuckDB's ``interrupt()``) or discards
    the one being typed, and the prompt goes on; Ctrl-D leaves. Returns the
    number of statements that failed or were cancelled.

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
    while True:
        try:
            for statement in _statements(lines, interactive):
                command = statement.split()[0].lower()
                if command in (".quit", ".exit", ".q"):
                    return failed
                if command == ".help":
                    out.write(PROMPT_HELP + "\n")
                    continue
                try:
                    frames = sql_each(db, _TABLES if command == ".tables" else statement,
                                      lock_timeout=lock_timeout)
                except ActivityAnalyticsError as exc:
                    failed += 1
                    out.write(f"error: {exc}\n")
                    continue
                for frame in frames:
                    if frame.width:  # a statement without a result (SET ...) shows nothing
                        out.write(render(frame, fmt, max_rows=max_rows))
                out.flush()
            return failed
        except KeyboardInterrupt:  # Ctrl-C: the statement was cancelled, the prompt goes on
            if not interactive:
                raise
            failed += 1
            out.write("\rcancelled\n")  # over the terminal's "^C"
            out.flush()
