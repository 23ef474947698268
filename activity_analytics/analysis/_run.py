"""Run an analysis macro on a read-only connection and return a Polars DataFrame."""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from .._store import DEFAULT_LOCK_TIMEOUT, connect
from . import _macros


def run_macro(
    db: str | os.PathLike[str],
    call: str,
    params: dict[str, Any],
    *,
    columns: list[str] | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """``SELECT * FROM <call>`` with this package's macros, as a DataFrame.

    The macros are (re)created as temporary macros of the connection, so the
    Python functions always run the code of the installed package, and SQL
    users of the file run the same text (installed by the last writer).
    """
    with connect(db, read_only=True, lock_timeout=lock_timeout) as con:
        _macros.install(con, temporary=True)
        frame = con.sql(f"SELECT * FROM {call}", params=params).pl()
    return frame.select(columns) if columns is not None else frame
