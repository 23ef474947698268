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
another store for one cell (``--lock-timeout SECONDS``: how long to wait for a
writer). A cell of several statements shows each result and returns the last.
Errors are one line, worded for the magic, as everywhere in the package.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

__all__ = ["load_ipython_extension"]


_OPTION = re.compile(r"\s*--(db|lock-timeout)(?:\s+|=)(\"[^\"]*\"|'[^']*'|\S+)\s*(.*)", re.DOTALL)

USAGE = ("%sql QUERY runs one read-only query on the store; %%sql takes the query from the "
         "cell's lines; options: --db FILE, --lock-timeout SECONDS; %sql_db FILE picks the store")


def _split(line: str, db: str) -> tuple[dict[str, str], str]:
    """Leading ``--db FILE`` / ``--lock-timeout N`` options -> ({option: value}, rest).

    >>> _split("--db 'my store.duckdb' SELECT 1", "a.duckdb")
    ({'db': 'my store.duckdb'}, 'SELECT 1')
    >>> _split("--lock-timeout 30 --db b.duckdb", "a.duckdb")
    ({'db': 'b.duckdb', 'lock-timeout': '30'}, '')
    >>> _split("SELECT '--db'", "a.duckdb")
    ({'db': 'a.duckdb'}, "SELECT '--db'")
    """
    options = {"db": db}
    while found := _OPTION.match(line):
        options[found.group(1)] = found.group(2).strip("'\"")
        line = found.group(3)
    return dict(sorted(options.items())), line


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%sql``, ``%%sql`` and ``%sql_db`` (``%load_ext activity_analytics.magic``)."""
    from ._errors import ActivityAnalyticsError, InputError
    from ._jupyter import install_error_display
    from ._query import sql_each
    from ._store import DEFAULT_LOCK_TIMEOUT
    from ._terms import calling_from

    install_error_display()
    state = {"db": os.environ.get("ACTIVITY_DB", "activity.duckdb")}

    def sql_db(line: str) -> str:
        """%sql_db FILE: the store later %sql cells read (no argument: show it)."""
        if line.strip():
            state["db"] = os.path.expanduser(line.strip())
        return state["db"]

    def run(options: dict[str, str], query: str) -> Any:
        try:
            lock_timeout = float(options.get("lock-timeout", DEFAULT_LOCK_TIMEOUT))
        except ValueError:
            raise InputError(f"%sql --lock-timeout takes seconds, not {options['lock-timeout']!r}") from None
        frames = sql_each(options["db"], query, lock_timeout=lock_timeout)
        if len(frames) > 1:  # every statement's result, in order; the last is the cell's value
            from IPython.display import display

            for frame in frames[:-1]:
                display(frame)
        return frames[-1]

    def sql_magic(line: str, cell: str | None = None) -> Any:
        """%sql [--db FILE] [--lock-timeout S] QUERY, or %%sql [options] with the query in
        the cell: a Polars DataFrame (with several statements, each result is shown and
        the last one returned)."""
        options, query = _split(line, state["db"])
        if cell is not None:
            query = cell if not query.strip() else f"{query}\n{cell}"
        if not query.strip():
            print(USAGE)
            return None
        with calling_from("magic"):
            try:
                return run(options, query)
            except ActivityAnalyticsError as exc:  # one line, not a traceback
                print(f"error: {exc}", file=sys.stderr)
                return None

    ipython.register_magic_function(sql_db, "line", "sql_db")
    ipython.register_magic_function(sql_magic, "line_cell", "sql")
