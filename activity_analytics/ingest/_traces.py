"""Load PraisonAI replay traces: many small files, a group at a time.

A traces folder holds one file per run, often thousands of them, so files
are stored in groups (up to :data:`GROUP_FILES` files or
:data:`GROUP_BYTES`): DuckDB's JSON reader stages a whole group in one
statement. When anything in a group would be rejected, or a file cannot be
read that way, the group's files go the careful way one by one, with line
numbers for the rejects. Both ways end in the same statements
(:mod:`.._sql.traces`), each group or file in one transaction with its
``loads`` row's counts.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator

import duckdb

from .._sql import traces as _sql
from .._store import transaction
from ._counts import LoadCounts, count_loads, early_rejects
from ._files import RAW_KEEP, Source

#: files per group on the fast path
GROUP_FILES = 2000
#: bytes per group on the fast path
GROUP_BYTES = 256 << 20


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def groups(sources: list[Source]) -> Iterator[list[Source]]:
    """Consecutive trace files in groups bounded by count and size."""
    group: list[Source] = []
    size = 0
    for src in sources:
        n = src.size()
        if group and (len(group) >= GROUP_FILES or size + n > GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(src)
        size += n
    if group:
        yield group


def group_name(group: list[Source]) -> str:
    """What a group's ``loads`` row and summary line call it."""
    if len(group) == 1:
        return source_name(group[0])
    common = os.path.commonpath([os.path.abspath(s.name) for s in group])
    return f"{common} ({len(group)} trace files)"


def source_name(src: Source) -> str:
    """What ``agent_events.source`` and ``rejects.source`` call a trace file."""
    return src.name if src.name == "stdin" else os.path.abspath(src.name)


def _store_stage(con: duckdb.DuckDBPyConnection, params: dict, name: str) -> LoadCounts:
    """Store what ``_tstage`` holds (inside the caller's transaction)."""
    ((staged, rejected),) = con.execute(
        "SELECT count(*), count(reason) FROM _tstage").fetchall()
    if rejected:
        con.execute(_sql.INSERT_REJECTS, {"keep": RAW_KEEP, "now": params["now"]})
    con.execute(_sql.RUNS, {"load": params["load"]})
    ((replaced,),) = con.execute(
        "SELECT count(*) FROM _truns WHERE state = 'replaced'").fetchall()
    if replaced:
        con.execute(_sql.DELETE_REPLACED_ACTIVITY, {"load": params["load"]})
        con.execute(_sql.DELETE_REPLACED_EVENTS, {"load": params["load"]})
    con.execute(_sql.NEW_EVENTS)
    ((stored,),) = con.execute(_sql.INSERT_EVENTS, params).fetchall()
    if stored:
        con.execute(_sql.INSERT_ACTIVITY, params)
        drop_audit_matches(con, params["now"])
    valid = staged - rejected
    return LoadCounts(name, "trace", records=staged, stored=stored, rejected=rejected,
                      duplicates=valid - stored, runs_replaced=replaced)


def _fast(con, group: list[Source], workspace: str | None, load_id: str) -> LoadCounts | None:
    """The whole group in one transaction; None (nothing kept) when any
    record would be rejected or a file is not readable that way."""
    if any(s.name == "stdin" for s in group):
        return None  # the reader would name the spooled temporary file
    params = {"now": _now(), "load": load_id}
    try:
        with transaction(con):
            con.execute(_sql.STAGE_FILES, {"files": [source_name(s) for s in group],
                                           "workspace": workspace})
            ((bad,),) = con.execute(_sql.ANY_REJECT).fetchall()
            if bad:
                raise _Careful
            counts = _store_stage(con, params, group_name(group))
            count_loads(con, [(counts, load_id)])
            return counts
    except (_Careful, duckdb.InvalidInputException, duckdb.IOException, UnicodeDecodeError):
        return None


class _Careful(Exception):
    pass


def _careful(con, src: Source, workspace: str | None, load_id: str,
             name: str) -> Iterator[LoadCounts]:
    """One file, batch by batch, with line numbers for its rejects."""
    for batch in src.batches():
        params = {"now": _now(), "load": load_id}
        with transaction(con):
            con.register("_raw", batch.table)
            try:
                con.execute(_sql.STAGE_BATCH, {"file": source_name(src),
                                               "workspace": workspace})
                counts = _store_stage(con, params, name)
            finally:
                con.unregister("_raw")
            if batch.rejects:
                early_rejects(con, batch, {"source": source_name(src), "label": "line",
                                           "keep": RAW_KEEP, "now": params["now"]})
                counts.records += len(batch.rejects)
                counts.rejected += len(batch.rejects)
            count_loads(con, [(counts, load_id)])
        yield counts


def load_group(con: duckdb.DuckDBPyConnection, group: list[Source], *, workspace: str | None,
               fast: bool = True, report: Callable[[int], None] | None = None) -> LoadCounts:
    """Store a group of trace files; its ``loads`` row is finished at the end."""
    name = group_name(group)
    load_id = str(uuid.uuid4())
    con.execute("INSERT INTO loads (load_id, source, kind, started_at) VALUES (?, ?, ?, ?)",
                [load_id, name, "trace", _now()])
    counts = _fast(con, group, workspace, load_id) if fast else None
    if counts is None:
        counts = LoadCounts(name, "trace")
        for src in group:
            for part in _careful(con, src, workspace, load_id, name):
                counts.add(part)
            if report:
                report(src.size())
    elif report:
        report(sum(s.size() for s in group))
    con.execute("UPDATE loads SET finished_at = ? WHERE load_id = ?", [_now(), load_id])
    return counts


def drop_audit_matches(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> int:
    """Drop the audit-log rows of tool calls a trace holds too (:data:`_sql.AUDIT_PAIRS`),
    pairing again what is left until nothing pairs; returns how many were dropped."""
    paired: list[str] = []
    dropped = 0
    while pairs := con.execute(_sql.AUDIT_PAIRS, {"now": now, "paired": paired}).fetchall():
        con.execute("DELETE FROM activity WHERE id IN (SELECT unnest($ids::VARCHAR[]))",
                    {"ids": [audit for audit, _ in pairs]})
        paired += [trace for _, trace in pairs]
        dropped += len(pairs)
    return dropped
