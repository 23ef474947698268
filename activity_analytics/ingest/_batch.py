"""The careful path: validate and store one raw batch through the record rules,
telling new rows, duplicates, conflicts and rejects apart. Files (``_load``)
and the sync's writer (``_writer``) both store through it."""

from __future__ import annotations

import datetime as dt

import duckdb

from .._sql import ingest as _sql
from ._counts import LoadCounts, count_loads, early_rejects
from ._files import RAW_KEEP, RawBatch
from ._traces import drop_audit_matches


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class NotClean(Exception):
    """A fast path met something only the careful path handles; nothing was kept."""


def store_batch(
    con: duckdb.DuckDBPyConnection,
    batch: RawBatch,
    *,
    source: str,
    kind: str,
    label: str,
    workspace: str | None,
    load_id: str,
) -> LoadCounts:
    """The careful path: validate and store one batch inside the caller's transaction.

    The batch is staged once; when none of its ids repeats or is stored
    already (the usual case) its valid rows are inserted as they are,
    otherwise the first line of each new id is, and the rest are told apart
    into duplicates (same content) and conflicts (other content).
    """
    params = {"source": source, "label": label, "keep": RAW_KEEP, "now": _now()}
    select = _sql.SELECT_AUDIT if kind == "audit" else _sql.SELECT_ACTIVITY
    con.register("_raw", batch.table)
    try:
        counts = _stage_and_store(con, select, params, workspace, kind)
        if batch.rejects:
            early_rejects(con, batch, params)
            counts.records += len(batch.rejects)
            counts.rejected += len(batch.rejects)
        count_loads(con, [(counts, load_id)])
    finally:
        con.unregister("_raw")
    return counts


def _stage_and_store(con, select, params, workspace, kind) -> LoadCounts:
    con.execute(_sql.stage(select), {"workspace": workspace})
    con.execute(_sql.KNOWN)
    staged, rejected, repeated, existing = con.execute(_sql.COUNT_STAGE).fetchall()[0]
    if rejected:
        con.execute(_sql.INSERT_REJECTS, params)
    table = "_stage"
    if repeated or existing:
        con.execute(_sql.DEDUPE_STAGE)
        table = "_cand"
    (stored,) = con.execute(
        _sql.insert_new(table), {"source": params["source"], "now": params["now"]}
    ).fetchall()[0]
    valid = staged - rejected
    conflicts = 0
    if stored < valid:
        con.execute(_sql.conflicts(table))
        (conflicts,) = con.execute("SELECT count(*) FROM _conflicts").fetchall()[0]
        if conflicts:
            con.execute(_sql.INSERT_CONFLICT_REJECTS, params)
    if kind == "audit" and stored:
        # A tool call a replay trace holds already counts once (the trace's)
        stored -= drop_audit_matches(con, params["now"])
    return LoadCounts(
        params["source"], kind, records=staged, stored=stored, conflicts=conflicts,
        rejected=rejected, duplicates=valid - stored - conflicts,
    )
