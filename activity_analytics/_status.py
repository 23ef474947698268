"""What is in the store: counts, time span, rejects, interrupted loads, last sync."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import _table
from ._defaults import opens_in
from ._display import Shown
from ._query import render
from ._sql import macros as _macros
from ._store import DEFAULT_LOCK_TIMEOUT, connect, file_storage_version, schema_version
from .ingest import _spool

if TYPE_CHECKING:  # loaded by the first query: `activity-analytics status` prints without it (_table)
    import duckdb
    import polars as pl


@dataclass(repr=False)
class StoreStatus(Shown):
    """A snapshot of the store. Every table attribute is a Polars DataFrame
    (:class:`_table.Rows` for a store passed as :class:`_table.ForPrinting`)."""

    db: str
    schema_version: int
    events: int
    workspaces: int
    first: dt.datetime | None
    last: dt.datetime | None
    rejects: int
    #: events per ``source`` (columns: source, events)
    by_source: pl.DataFrame
    #: events per workspace (columns: workspace_id, events, first, last)
    by_workspace: pl.DataFrame
    #: events per action (columns: action, events, share)
    by_action: pl.DataFrame
    #: events per effective actor type (columns: actor_type, events, actors, share)
    by_actor_type: pl.DataFrame
    #: rejects per source and reason (columns: source, reason, rejects)
    rejects_by_reason: pl.DataFrame
    #: loads that started but never finished (columns: source, kind, started_at, stored)
    interrupted: pl.DataFrame
    #: sync state per API and scope (columns: api_url, scope, updated_at)
    syncs: pl.DataFrame
    #: PraisonAI agent runs from replay traces: runs, failed runs, LLM cost (USD)
    agent_runs: tuple[int, int, float] = (0, 0, 0.0)
    #: the file's DuckDB storage version: the oldest DuckDB that opens it
    storage_version: str = "unknown"
    #: events a sync fetched while the store was locked, waiting in the spool beside it
    spooled: int = 0
    #: what ``bursts`` finds in the whole store, counted apart: incidents, alarms and
    #: first-seen notices (``status(db, bursts=True)``; None without it)
    bursts: dict[str, int] | None = None
    #: how far ``bursts --keep`` has kept verdicts (naive UTC midnight; None: never), and from
    #: where runs read them (None: they judge everything: a new detector version, new marks)
    bursts_kept: tuple[dt.datetime | None, dt.datetime | None] = (None, None)

    def summary(self) -> str:
        """A few lines for people: what the store holds at a glance."""
        if not self.events:
            return "\n".join([f"{self.db}: empty store (schema v{self.schema_version}); nothing "
                              "ingested yet", *self._spool_line()])
        actors = ", ".join(
            f"{r['actor_type']} {r['events']} ({r['share']:.0%}, {r['actors']} actors)"
            for r in self.by_actor_type.iter_rows(named=True)
        )
        actions = ", ".join(
            f"{r['action']} {r['events']}" for r in self.by_action.head(6).iter_rows(named=True)
        )
        span = f"{self.first:%Y-%m-%d %H:%M} .. {self.last:%Y-%m-%d %H:%M} UTC"
        lines = [
            f"{self.db}: {self.events} events in {self.workspaces} workspace(s), {span}",
            f"  actions: {actions}",
            f"  users vs agents: {actors}",
        ]
        runs, failed, cost = self.agent_runs
        if runs:
            usd = f"{cost:,.2f}" if cost >= 1 else f"{cost:.4f}"
            lines.append(f"  PraisonAI agent runs: {runs} ({failed} failed), LLM cost ${usd} "
                         "(see `activity-analytics agents`)")
        if self.bursts is not None:
            n = self.bursts
            lines.append(f"  bursts: {n['incidents']} incident(s) of {n['alarms']} alarm(s), "
                         f"{n['notices']} first-seen notice(s) apart (see `activity-analytics bursts`)")
        lines += self._kept_line()
        if self.rejects:
            lines.append(f"  rejects: {self.rejects} (see `activity-analytics status` for reasons)")
        return "\n".join(lines + self._spool_line())

    def _kept_line(self) -> list[str]:
        kept, used = self.bursts_kept
        if kept is None:
            return []
        if used is None:
            return [f"  bursts: verdicts kept up to {kept:%Y-%m-%d} 00:00 UTC are out of date (another detector "
                    "version or actor marks): every run judges everything until the next `bursts --keep`"]
        again = "" if used == kept else f"; days from {used:%Y-%m-%d} changed since (judged again)"
        return [f"  bursts: verdicts kept up to {kept:%Y-%m-%d} 00:00 UTC (`bursts --keep`){again}; "
                "runs judge only the days after"]

    def _spool_line(self) -> list[str]:
        return [f"  spool: {self.spooled} event(s) a sync fetched while the store was locked wait in "
                f"{self.db}.spool; the next sync or ingest stores them"] if self.spooled else []

    def to_text(self) -> str:
        """The full report printed by ``activity-analytics status``."""
        parts = [self.summary(), f"  storage: {self.storage_version} ({opens_in(self.storage_version)})", ""]
        for title, frame in (
            ("By source", self.by_source),
            ("By workspace", self.by_workspace),
            ("By action", self.by_action),
            ("By actor type (actor marks applied)", self.by_actor_type),
            ("Rejects by reason", self.rejects_by_reason),
            ("Interrupted loads (rerun the same ingest to complete them)", self.interrupted),
            ("Last sync", self.syncs),
        ):
            if frame.height:
                parts.append(f"{title}:")
                parts.append(render(frame, max_rows=30))
        return "\n".join(parts).rstrip() + "\n"


def _kept(con: duckdb.DuckDBPyConnection) -> tuple[dt.datetime | None, dt.datetime | None]:
    """How far bursts has kept verdicts, and the reach runs read them to (``StoreStatus.bursts_kept``)."""
    kept = con.execute("SELECT max(reach) FROM bursts_kept").fetchall()[0][0]
    if kept is None:
        return None, None
    _macros.install(con, temporary=True, names=("aa_bursts_reach",))
    return kept, con.execute("SELECT aa_bursts_reach(NULL, NULL, 1.0)").fetchall()[0][0]


def status(db: str | os.PathLike[str], *, bursts: bool = False,
           lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> StoreStatus:
    """Describe the store at ``db``. ``bursts``: also run :func:`bursts` over the
    whole store and count its incidents, alarms and first-seen notices apart
    (``StoreStatus.bursts``; it costs a bursts run, so it is asked for).

    >>> import tempfile, pathlib
    >>> from activity_analytics import migrate
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "s.duckdb"
    >>> _ = migrate(db)
    >>> status(db).events, status(db, bursts=True).bursts
    (0, {'incidents': 0, 'alarms': 0, 'notices': 0})
    """
    found = None
    if bursts:  # before the store is open here: it opens it itself
        from .analysis._basic import bursts as run_bursts
        from .analysis._incidents import count

        found = count(run_bursts(db, lock_timeout=lock_timeout))
    with connect(db, read_only=True, lock_timeout=lock_timeout) as con:
        events, workspaces, first, last = con.execute(
            "SELECT count(*), count(DISTINCT workspace_id), min(created_at), max(created_at) "
            "FROM activity"
        ).fetchall()[0]
        (rejects,) = con.execute("SELECT count(*) FROM rejects").fetchall()[0]

        def frame(query: str) -> pl.DataFrame | _table.Rows:
            relation = con.sql(query)
            return _table.fetch(relation) if isinstance(db, _table.ForPrinting) else relation.pl()

        return StoreStatus(
            db=os.fspath(db),
            schema_version=schema_version(con),
            storage_version=file_storage_version(con),
            spooled=sum(f.rows for f in _spool.waiting(db)),
            bursts=found,
            bursts_kept=_kept(con),
            events=events,
            workspaces=workspaces,
            first=first,
            last=last,
            rejects=rejects,
            by_source=frame(  # a traces folder is one line, not one per run
                "SELECT CASE WHEN starts_with(id, 'trace:') THEN regexp_replace(source, '[^/]*$', '') "
                "|| '*.jsonl (PraisonAI traces)' ELSE source END AS source, count(*) AS events "
                "FROM activity GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            by_workspace=frame(
                "SELECT workspace_id, count(*) AS events, min(created_at) AS first, "
                "max(created_at) AS last FROM activity GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            by_action=frame(
                "SELECT action, count(*) AS events, round(count(*) / sum(count(*)) OVER (), 4) "
                "AS share FROM activity GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            by_actor_type=frame(
                "SELECT actor_type, count(*) AS events, count(DISTINCT actor_id) AS actors, "
                "round(count(*) / sum(count(*)) OVER (), 4) AS share "
                "FROM events GROUP BY 1 ORDER BY 2 DESC, 1"
            ),
            rejects_by_reason=frame(
                "SELECT source, CASE WHEN reason LIKE 'conflict:%' THEN 'conflict' "
                "WHEN reason LIKE 'unparsable %' THEN split_part(reason, ':', 1) "
                "ELSE reason END AS reason, count(*) AS rejects "
                "FROM rejects GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
            ),
            interrupted=frame(
                "SELECT source, kind, started_at, stored FROM loads AS l "
                "WHERE finished_at IS NULL AND NOT EXISTS (SELECT 1 FROM loads AS d "
                "WHERE d.source = l.source AND d.finished_at IS NOT NULL "
                "AND d.started_at > l.started_at) ORDER BY started_at"
            ),
            syncs=frame("SELECT api_url, scope, updated_at FROM sync_state ORDER BY 1, 2"),
            agent_runs=con.execute(
                "SELECT count(*), count(*) FILTER (WHERE status = 'failed'), coalesce(sum(cost_usd), 0) "
                "FROM agent_runs").fetchall()[0],
        )
