"""Run an analysis macro on a read-only connection and return a Polars DataFrame."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import _table
from .._errors import AnalysisError, one_line
from .._interrupt import interruptible
from .._jupyter import note
from .._lazy import lazy_module
from .._sql import macros as _macros
from .._store import DEFAULT_LOCK_TIMEOUT, connect
from ._filters import Filters
from ._why import why_empty_macro

if TYPE_CHECKING:  # Polars, PyArrow and Spark load when used: the CLI prints tables without them
    import duckdb
    import polars as pl

    from ._spark import SparkLake
else:
    duckdb = lazy_module("duckdb")


def run_macro(
    db: str | os.PathLike[str] | SparkLake,
    macro: str,
    args: dict[str, Any] | None = None,
    *,
    filters: Filters | None = None,
    positional: tuple[Any, ...] = (),
    columns: list[str] | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    prepare: Callable[[duckdb.DuckDBPyConnection], contextlib.AbstractContextManager] | None = None,
) -> pl.DataFrame | _table.Rows:
    """``SELECT * FROM macro(...)`` with this package's macros, as a DataFrame
    (as :class:`_table.Rows` for a store passed as :class:`_table.ForPrinting`).

    ``args`` are passed by name (``every := $every``), ``filters`` as the
    macros' common filters, every value as a query parameter, never pasted
    into the SQL. On a :class:`SparkLake`, Spark runs the scan and DuckDB the
    rest (see ``_stages``). The macro (and those it calls) is (re)created as a
    temporary macro of the connection, so the Python functions always run the
    code of the installed package, and SQL users of the file run the same text
    (installed by the last writer). ``prepare(con)``, a context manager, holds
    the query on the same connection (``bursts``' steps on a large store). A DuckDB error becomes a
    :class:`AnalysisError` naming the file.
    """
    args = dict(args or {})
    spark = sys.modules.get(f"{__package__}._spark")  # a SparkLake was made by that module
    if spark is not None and isinstance(db, spark.SparkLake):
        return spark.run_on_spark(db, macro.removeprefix("aa_"), args, filters or Filters())
    params: dict[str, Any] = {f"p{i}": v for i, v in enumerate(positional)}
    call = [f"$p{i}" for i in range(len(positional))] + [f"{k} := ${k}" for k in args]
    params.update(args)
    if filters is not None:
        call.append(filters.macro_args())
        params.update(filters.params())
    with connect(db, read_only=True, lock_timeout=lock_timeout) as con:
        try:
            _macros.install(con, temporary=True, names=_macros.needed(macro))
            with prepare(con) if prepare is not None else contextlib.nullcontext():
                def work() -> pl.DataFrame | _table.Rows:
                    relation = con.sql(f"SELECT * FROM {macro}({', '.join(call)})", params=params)
                    return _table.fetch(relation) if isinstance(db, _table.ForPrinting) else relation.pl()

                frame = interruptible(con, work)
            if not frame.height:  # say why, beside the (unchanged) empty frame
                note(why_empty_macro(con, macro, filters, positional))
        except duckdb.Error as exc:
            reason = one_line(exc)
            raise AnalysisError(f"{os.fspath(db)}: {macro.removeprefix('aa_')} failed: {reason}") from exc
    return frame.select(columns) if columns is not None else frame
