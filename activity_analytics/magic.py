"""``%sql`` and ``%%sql`` in Jupyter, without holding the store between cells.

::

    %load_ext activity_analytics.magic
    %sql_db activity.duckdb                 # default: $ACTIVITY_DB, else activity.duckdb
    %sql SELECT count(*) AS n FROM events
    %%sql
    SELECT * FROM aa_bursts() ORDER BY score DESC

Each cell runs through :func:`activity_analytics.sql`: the file is opened
read-only for that statement and closed when it returns, so a cron sync or
ingest can write between cells (a ``duckdb.connect`` kept open in a notebook,
or jupysql's connection, holds the file until it is closed). The result is a
Polars DataFrame; ``df = %sql ...`` keeps it, and ``%%sql --db FILE`` names
another store for one cell. Errors are one line, as everywhere in the package.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

__all__ = ["load_ipython_extension"]


_DB = re.compile(r"\s*--db\s+(\"[^\"]*\"|'[^']*'|\S+)\s*(.*)", re.DOTALL)


def _split(line: str, db: str) -> tuple[str, str]:
    """``--db FILE rest`` -> (FILE, rest); anything else -> (db, line).

    >>> _split("--db 'my store.duckdb' SELECT 1", "a.duckdb")
    ('my store.duckdb', 'SELECT 1')
    >>> _split("SELECT '--db'", "a.duckdb")
    ('a.duckdb', "SELECT '--db'")
    """
    found = _DB.match(line)
    if not found:
        return db, line
    return found.group(1).strip("'\""), found.group(2)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%sql``, ``%%sql`` and ``%sql_db`` (``%load_ext activity_analytics.magic``)."""
    from ._errors import ActivityAnalyticsError
    from ._query import sql

    state = {"db": os.environ.get("ACTIVITY_DB", "activity.duckdb")}

    def sql_db(line: str) -> str:
        """%sql_db FILE: the store later %sql cells read (no argument: show it)."""
        if line.strip():
            state["db"] = os.path.expanduser(line.strip())
        return state["db"]

    def sql_magic(line: str, cell: str | None = None) -> Any:
        """%sql QUERY, or %%sql [--db FILE] with the query in the cell: a Polars DataFrame."""
        db, query = _split(line, state["db"])
        if cell is not None:
            query = cell
        try:
            return sql(db, query)
        except ActivityAnalyticsError as exc:  # one line, not a traceback
            print(f"error: {exc}", file=sys.stderr)
            return None

    ipython.register_magic_function(sql_db, "line", "sql_db")
    ipython.register_magic_function(sql_magic, "line_cell", "sql")
