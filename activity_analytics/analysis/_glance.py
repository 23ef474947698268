"""At a glance: a period's headline counts beside those of the period before it."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

from .._defaults import DEFAULT_LOCK_TIMEOUT
from .._lazy import lazy_module
from .._time import When
from ._basic import actors, bursts
from ._filters import Filters
from ._incidents import count

if TYPE_CHECKING:
    import polars as pl
else:
    pl = lazy_module("polars")


def _counts(db, since, until, workspace, lock_timeout) -> dict[str, int]:
    sides = actors(db, since=since, until=until, workspace=workspace, lock_timeout=lock_timeout)
    by_type = {r["actor_type"]: r for r in sides.iter_rows(named=True)}
    counts = {
        "events": int(sides["events"].sum()) if sides.height else 0,
        "people": int(by_type.get("user", {}).get("actors", 0)),
        "agents": int(by_type.get("agent", {}).get("actors", 0)),
    }
    found = bursts(db, since=since, until=until, workspace=workspace, lock_timeout=lock_timeout)
    n = count(found)
    return {**counts, "incidents": n["incidents"], "notices": n["notices"]}


def glance(
    db: str | os.PathLike[str],
    *,
    since: When = None,
    until: When = None,
    workspace: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """Events, people, agents, incidents and first-seen notices in a period, and
    in the period of the same length before it.

    Columns: ``measure`` (``events``, ``people``, ``agents``, ``incidents``:
    alarms that overlap in a workspace count once, see :func:`bursts`;
    ``notices``: first-seen notices, not alarms),
    ``current``, ``previous`` (null when the period has no start, or nothing
    is stored before it) and ``change`` (``current / previous - 1``, null
    when ``previous`` is null or 0). A period without ``until`` ends now;
    one without ``since`` starts at the first event stored.

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> aa.glance(db, since="2026-11-16", until="2026-11-23")["measure"].to_list()
    ['events', 'people', 'agents', 'incidents', 'notices']
    """
    period = Filters(since, until, workspace)
    end = period.until or dt.datetime.now(dt.UTC)
    current = _counts(db, period.since, end, workspace, lock_timeout)
    previous: dict[str, int | None] = dict.fromkeys(current)
    if period.since is not None:
        start = period.since - (end - period.since)
        stored_before = _counts(db, start, period.since, workspace, lock_timeout)
        if stored_before["events"]:
            previous = stored_before
    return pl.DataFrame(
        {
            "measure": list(current),
            "current": list(current.values()),
            "previous": [previous[k] for k in current],
        },
        schema={"measure": pl.String, "current": pl.Int64, "previous": pl.Int64},
    ).with_columns(
        change=pl.when(pl.col("previous") > 0)
        .then(pl.col("current") / pl.col("previous") - 1)
        .otherwise(None)
    )
