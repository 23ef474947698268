"""Alerts for cron: the bursts not reported by an earlier alerting run."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING

from ._defaults import DEFAULT_LOCK_TIMEOUT
from ._lazy import lazy_module
from ._sql import alerts as _sql
from ._store import connect, transaction
from ._time import When
from .analysis._basic import bursts

if TYPE_CHECKING:
    import polars as pl
else:
    pl = lazy_module("polars")


def _given(value: When) -> str | None:
    """A filter as the user gave it: ``"1d"`` stays ``"1d"`` (it means a new
    period at every run, but the same alert)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds():g}s"
    return value.isoformat()


def new_bursts(
    db: str | os.PathLike[str],
    *,
    sensitivity: float = 1.0,
    since: When = None,
    until: When = None,
    workspace: str | None = None,
    action: str | None = None,
    actor_type: str | None = None,
    kind: str | None = None,
    keep: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """:func:`bursts`, less those an earlier ``new_bursts`` call with the same
    filters reported on this store; the ones returned count as reported from
    now on. CLI: ``activity-analytics bursts --new``.

    The columns are those of :func:`bursts`. A burst is known by its
    workspace, actor, kind and episode start: one that has grown since (a later end,
    more events) is not new. Filters are compared as given, so ``since="1d"``
    at every run is one alert over a sliding day. A burst is recorded as
    reported before it is returned: if what the caller does with it fails,
    it is not reported again (at most once).

    First-seen notices are reported too, once each, as :func:`bursts` lists
    them; ``kind="alarms"`` alerts on alarms only (``"notices"``: only
    notices), as its own alert with its own memory. A new alarm that joins an
    incident reported before is new (its ``incident`` says which one).
    ``keep``: keep verdicts first, as :func:`bursts` does.

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> first = aa.new_bursts(db, sensitivity=2)
    >>> first.height == aa.bursts(db, sensitivity=2).height, aa.new_bursts(db, sensitivity=2).height
    (True, 0)
    """
    found = bursts(db, sensitivity=sensitivity, since=since, until=until, workspace=workspace,
                   action=action, actor_type=actor_type, kind=kind, keep=keep, lock_timeout=lock_timeout)
    given = {"sensitivity": float(sensitivity), "since": _given(since), "until": _given(until),
             "workspace": workspace, "action": action, "actor_type": actor_type}
    if kind is not None:  # absent when not given: alerts set up before it keep their memory
        given["kind"] = kind
    filters = json.dumps(given, sort_keys=True)
    with connect(db, read_only=False, lock_timeout=lock_timeout) as con:
        con.register("_found", found.to_arrow())
        try:
            with transaction(con):
                con.execute(_sql.NEW, {"filters": filters})
                con.execute(_sql.RECORD, {"filters": filters, "now": dt.datetime.now(dt.UTC)})
                new = con.sql("SELECT * EXCLUDE (_burst, _i) FROM _new ORDER BY _i").pl()
        finally:
            con.unregister("_found")
    return new.select(found.columns)
