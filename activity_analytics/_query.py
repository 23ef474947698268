"""Read-only SQL over the store, and the output formats the CLI shares."""

from __future__ import annotations

import io
import os
from typing import Any

import duckdb
import polars as pl

from ._defaults import FORMATS
from ._errors import QueryError, one_line
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
