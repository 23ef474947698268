"""Why an analysis came back empty, in one line: the filter that matched
nothing, or where the store's events begin and end."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .._sql import empty as _sql
from .._terms import make_store
from ._filters import Filters

if TYPE_CHECKING:
    import duckdb


def _when(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _period(filters: Filters) -> str:
    if filters.since and filters.until:
        return f"between {_when(filters.since)} and {_when(filters.until)}"
    return f"since {_when(filters.since)}" if filters.since else f"before {_when(filters.until)}"


def _known(con: duckdb.DuckDBPyConnection, column: str) -> str:
    values = [str(row[0]) for row in con.execute(_sql.known_values(column)).fetchall()]
    return ", ".join(values) + (", ..." if len(values) == 5 else "")


def why_empty(con: duckdb.DuckDBPyConnection, filters: Filters, finding: str = "") -> str:
    """One line saying why nothing was found with ``filters`` in the store ``con``
    has open. ``finding`` names what the analysis looks for among matching events
    (``"burst"``): when events match, the line says that none was one.

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> with aa.connect(db) as con:
    ...     print(why_empty(con, Filters(workspace="nope")))
    ...     print(why_empty(con, Filters(since="2030-01-01")))
    ...     print(why_empty(con, Filters(until="2026-01-01")))
    no events in workspace 'nope': the store's workspaces are ...
    no events since 2030-01-01 00:00 UTC: the store's data ends at 2026-11-22 23:57 UTC, its last event
    no events before 2026-01-01 00:00 UTC: the store's data begins at 2026-11-02 00:02 UTC, its first event
    """
    row = con.execute(_sql.EXPLAIN_EMPTY, filters.params()).fetchone()
    stored, first, last, in_workspace, with_action, by_type, in_period, matching = row
    span = f"the store's events run from {_when(first)} to {_when(last)}"
    if not stored:
        return f"the store holds no events yet: load some with {make_store()}"
    if not in_workspace:
        return f"no events in workspace {filters.workspace!r}: the store's workspaces are " \
               f"{_known(con, 'workspace_id')}"
    if not with_action:
        return f"no {filters.action!r} events: the store's actions are {_known(con, 'action')}"
    if not by_type:
        return f"no events by actor type {filters.actor_type!r} (after actor marks)"
    if not in_period and filters.since and filters.since > last:
        return f"no events {_period(filters)}: the store's data ends at {_when(last)}, its last event"
    if not in_period and filters.until and filters.until <= first:
        return f"no events {_period(filters)}: the store's data begins at {_when(first)}, its first event"
    if not in_period:
        return f"no events {_period(filters)}: {span}"
    if not matching:
        return f"no events match these filters together, though each alone matches some; {span}"
    what = f"no {finding} among" if finding else "nothing to show for"
    scope = f" {_period(filters)}" if filters.since or filters.until else ""
    return f"{what} the {matching:,} matching events{scope}; {span}"


def why_empty_macro(con: duckdb.DuckDBPyConnection, macro: str, filters: Filters | None,
                    positional: tuple = ()) -> str:
    """:func:`why_empty` for the analysis macro ``macro`` that found nothing."""
    if macro == "aa_timeline":
        return f"no events of issue {positional[0]!r} in the store (an id from the issue_id column)"
    if macro == "aa_agents":
        count, first, last = con.execute(_sql.AGENT_SPAN).fetchone()
        if not count:
            return ("no PraisonAI agent events in the store: ingest its replay traces "
                    "(~/.praison/traces) and audit.jsonl")
        return f"no agent events match; the store's {count:,} run from {_when(first)} to {_when(last)}"
    return why_empty(con, filters or Filters(), "burst" if macro == "aa_bursts" else "")
