"""The load stage: the one module that writes loaded data (docs/architecture.md).

Sources only read and hand over batches; orchestrators call this module with
``window``, which opens the store for one commit (readers get in between). It
writes, through one set of record rules (``_sql.ingest``, ``_sql.traces``),
each input's ``loads`` row, rows and rejects, dimension tables, sync states in
the transaction of the rows they cover, and the spool.

Every input takes one of two roads. The fast one (:func:`attempt`) stores a
whole input in one INSERT whose rows must all be new (:func:`_clean_insert`);
an id repeated or stored already rolls it back, having kept nothing. The
careful one (:func:`store_batch`) stores batch by batch and tells new rows,
duplicates, conflicts and rejects apart. Both store the same rows and reject
the same records for the same reasons (tests/test_properties.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from .._lazy import lazy_module
from .._progress import watch_query
from .._sql import ingest as _sql
from .._sql import loads as _lsql
from .._sql import traces as _tsql
from .._store import transaction
from ._types import (
    RAW_KEEP, DatabaseLoad, Feed, FeedPage, FileInput, LoadCounts, RawBatch, TraceFile, cancelled,
    plain_columns, raw_schema,
)

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc
else:
    duckdb = lazy_module("duckdb")
    pa = lazy_module("pyarrow")
    pc = lazy_module("pyarrow.compute")

T = TypeVar("T")
#: opens the store for one commit: ``with window() as con``
Window = Callable[[], contextlib.AbstractContextManager["duckdb.DuckDBPyConnection"]]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class NotClean(Exception):
    """The fast road met something only the careful road handles; nothing was kept."""


# ---------------------------------------------------------------- loads, fast or careful


def begin_load(con, source: str, kind: str, load_id: str | None = None) -> str:
    """An input's ``loads`` row (``finished_at`` NULL: ``status`` reports it interrupted)."""
    load_id = load_id or str(uuid.uuid4())
    con.execute(_lsql.BEGIN_LOAD, [load_id, source, kind, now()])
    return load_id


def finish_loads(con, load_ids: list[str]) -> None:
    if load_ids:
        con.execute(_lsql.FINISH_LOADS, [now(), load_ids])


def count_loads(con, items: list[tuple[LoadCounts, str]]) -> None:
    """Add ``counts`` to each load's row, in one statement (each load_id once)."""
    if items:
        con.execute(_sql.count_loads(len(items)),
                    [x for counts, load_id in items
                     for x in (load_id, counts.records, counts.stored, counts.duplicates,
                               counts.conflicts, counts.rejected)])


def attempt(fast: Callable[[], T]) -> T | None:
    """The fast road's answer, or None having kept nothing (see :class:`NotClean`)."""
    try:
        return fast()
    except NotClean:
        return None


def _clean_insert(con, statement: str, params: dict, expected: int | None = None) -> int:
    """One fast INSERT (the caller's transaction): the rows stored, or :class:`NotClean`
    when it fails (a record to reject), an id is stored twice or not ``expected`` rows."""
    try:
        (stored,) = con.execute(statement, params).fetchall()[0]
        (collisions,) = con.execute(_sql.COLLISIONS, {"now": params["now"]}).fetchall()[0]
    except (duckdb.Error, UnicodeDecodeError) as exc:
        if cancelled(exc):  # Ctrl-C during a database read: the driver cancelled it
            raise KeyboardInterrupt from exc
        # The careful road redoes it and says what is wrong. (DuckDB quotes the
        # offending data in its message, which can fail to decode.)
        raise NotClean from exc
    if collisions or (expected is not None and stored != expected):
        raise NotClean
    return stored


def store_batch(con, batch: RawBatch, *, source: str, kind: str, label: str,
                workspace: str | None, load_id: str) -> LoadCounts:
    """The careful road: validate and store one batch (the caller's transaction).
    Staged once; when no id repeats or is stored already (the usual case) its
    valid rows are inserted as they are, else the first line of each new id,
    and the rest are told apart: duplicates (same content), conflicts (other).
    """
    params = {"source": source, "label": label, "keep": RAW_KEEP, "now": now()}
    select = _sql.SELECT_AUDIT if kind == "audit" else _sql.SELECT_ACTIVITY
    con.register("_raw", batch.table)
    try:
        counts = _stage_and_store(con, select, params, workspace, kind)
        _add_rejects(con, batch.rejects, params, counts)
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


def _add_rejects(con, rejects: list[tuple[int, str, str]], params: dict, counts: LoadCounts) -> None:
    """Records rejected outside the record rules' SELECT, as (loc, reason, raw):
    before parsing (invalid UTF-8, over-long lines), or located afterwards."""
    if not rejects:
        return
    loc, reason, raw = (list(column) for column in zip(*rejects, strict=True))
    con.register("_early", pa.table({"loc": loc, "reason": reason, "raw": raw}))
    try:
        con.execute(_sql.INSERT_EARLY_REJECTS, params)
    finally:
        con.unregister("_early")
    counts.records += len(rejects)
    counts.rejected += len(rejects)


def drop_audit_matches(con, at: dt.datetime) -> int:
    """Drop the audit-log rows of tool calls a trace holds too (``AUDIT_PAIRS``),
    pairing again what is left until nothing pairs; returns how many were dropped."""
    paired: list[str] = []
    dropped = 0
    while pairs := con.execute(_tsql.AUDIT_PAIRS, {"now": at, "paired": paired}).fetchall():
        con.execute(_lsql.DROP_AUDIT, {"ids": [audit for audit, _ in pairs]})
        paired += [trace for _, trace in pairs]
        dropped += len(pairs)
    return dropped


# ---------------------------------------------------------------------------- files


def store_file(window: Window, src: FileInput, batches: Iterable[RawBatch], *, source: str,
               label: str, workspace: str | None, fast: bool = True,
               report: Callable[[float], None] | None = None) -> Iterator[LoadCounts]:
    """Store one file, yielding each commit's counts. Each commit is a window of
    its own: the fast road's one statement (JSON lines or an array, parsed by
    DuckDB's parallel reader), or one careful batch, read while the store is
    closed. A file loaded before (mostly duplicates) goes the careful way."""
    with window() as con:
        load_id = begin_load(con, source, src.kind)
        counts = attempt(lambda: _file_fast(con, src, source, workspace, load_id, report)) \
            if fast and src.kind in ("jsonl", "json-array") else None
    if counts is not None:
        yield counts
        return
    for batch in batches:  # read with the store closed
        with window() as con, transaction(con):
            counts = store_batch(con, batch, source=source, kind=src.kind, label=label,
                                 workspace=workspace, load_id=load_id)
        yield counts
    with window() as con:
        finish_loads(con, [load_id])


def _file_fast(con, src: FileInput, source: str, workspace: str | None, load_id: str,
               report) -> LoadCounts:
    """One statement; at a record that breaks a rule, again with records numbered:
    those records are left out, told to ``aa_reject``, and found in the file."""
    (loaded_before,) = con.execute(_lsql.LOADED_BEFORE, [source]).fetchall()[0]
    if loaded_before:
        raise NotClean
    params = {"path": str(src.path), "workspace": workspace, "source": source, "now": now(),
              "format": "newline_delimited" if src.kind == "jsonl" else "array",
              "compression": "gzip" if src.gzipped else "none"}
    try:
        with transaction(con), watch_query(con, report):
            stored = _clean_insert(con, _sql.FILE_INSERT, params)
            return _file_loaded(con, LoadCounts(source, src.kind, records=stored, stored=stored),
                                load_id)
    except NotClean as exc:
        if src.kind != "jsonl" or _sql.REJECT_ERROR not in str(exc.__cause__):
            raise
    rejected: dict[int, str] = {}

    def reject(record: int, reason: str) -> bool:
        rejected[record] = reason
        return False

    con.create_function("aa_reject", reject, ["BIGINT", "VARCHAR"], "BOOLEAN", side_effects=True)
    try:
        with transaction(con), watch_query(con, report):
            stored = _clean_insert(con, _sql.FILE_INSERT_NUMBERED, params)
            counts = LoadCounts(source, src.kind, records=stored, stored=stored)
            rejects = src.locate(rejected, stored + len(rejected))  # None: the two readings differ
            if rejects is None:
                raise NotClean  # the careful road reads it line by line
            _add_rejects(con, rejects, {"source": source, "label": "line", "keep": RAW_KEEP,
                                        "now": params["now"]}, counts)
            return _file_loaded(con, counts, load_id)
    finally:
        con.remove_function("aa_reject")


def _file_loaded(con, counts: LoadCounts, load_id: str) -> LoadCounts:
    count_loads(con, [(counts, load_id)])
    finish_loads(con, [load_id])
    return counts


# --------------------------------------------------------------------------- traces


def store_traces(con, files: list[tuple[str, TraceFile]], *, name: str, workspace: str | None,
                 fast: bool = True, report: Callable[[int], None] | None = None) -> LoadCounts:
    """Store a group of trace files (each with the name its rows record) in one
    window: in one transaction read by DuckDB, or file by file, batch by batch,
    with line numbers for rejects."""
    load_id = begin_load(con, name, "trace")
    counts = None
    if fast and all(recorded != "stdin" for recorded, _ in files):  # stdin: a temporary file
        counts = attempt(lambda: _traces_fast(con, [r for r, _ in files], name, workspace, load_id))
    if counts is None:
        counts = LoadCounts(name, "trace")
        for recorded, src in files:
            for batch in src.batches():
                with transaction(con):
                    con.register("_raw", batch.table)
                    try:
                        part = _store_trace_stage(con, name, load_id, _tsql.STAGE_BATCH,
                                                  {"file": recorded, "workspace": workspace})
                    finally:
                        con.unregister("_raw")
                    _add_rejects(con, batch.rejects, {"source": recorded, "label": "line",
                                                "keep": RAW_KEEP, "now": now()}, part)
                    count_loads(con, [(part, load_id)])
                counts.add(part)
            if report:
                report(src.size())
    elif report:
        report(sum(src.size() for _, src in files))
    finish_loads(con, [load_id])
    return counts


def _traces_fast(con, files: list[str], name: str, workspace: str | None,
                 load_id: str) -> LoadCounts:
    try:
        with transaction(con):
            counts = _store_trace_stage(con, name, load_id, _tsql.STAGE_FILES,
                                        {"files": files, "workspace": workspace}, strict=True)
            count_loads(con, [(counts, load_id)])
            return counts
    except (duckdb.InvalidInputException, duckdb.IOException, UnicodeDecodeError) as exc:
        raise NotClean from exc


def _store_trace_stage(con, name: str, load_id: str, stage: str, stage_params: dict,
                       strict: bool = False) -> LoadCounts:
    """Stage trace events and store them (inside the caller's transaction);
    ``strict``: any record to reject raises :class:`NotClean`."""
    con.execute(stage, stage_params)
    ((staged, rejected),) = con.execute("SELECT count(*), count(reason) FROM _tstage").fetchall()
    if rejected and strict:
        raise NotClean
    params = {"now": now(), "load": load_id}
    if rejected:
        con.execute(_tsql.INSERT_REJECTS, {"keep": RAW_KEEP, "now": params["now"]})
    con.execute(_tsql.RUNS, {"load": load_id})
    ((replaced,),) = con.execute("SELECT count(*) FROM _truns WHERE state = 'replaced'").fetchall()
    if replaced:
        con.execute(_tsql.DELETE_REPLACED_ACTIVITY, {"load": load_id})
        con.execute(_tsql.DELETE_REPLACED_EVENTS, {"load": load_id})
    con.execute(_tsql.NEW_EVENTS)
    ((stored,),) = con.execute(_tsql.INSERT_EVENTS, params).fetchall()
    if stored:
        con.execute(_tsql.INSERT_ACTIVITY, params)
        drop_audit_matches(con, params["now"])
    return LoadCounts(name, "trace", records=staged, stored=stored, rejected=rejected,
                      duplicates=staged - rejected - stored, runs_replaced=replaced)


# ------------------------------------------------------------------------ databases

#: ``sync_state.scope`` of a database load's high-water mark (``api_url``: its name)
DATABASE_SCOPE = "database"


def begin_database(con, name: str, kind: str, overlap: dt.timedelta) -> DatabaseLoad:
    """Start loading database ``name``: its ``loads`` row, and where to read from."""
    mark = read_state(con, name, DATABASE_SCOPE).get("high_water")
    mark = dt.datetime.fromisoformat(mark) if mark else None
    since = mark - overlap if mark else None
    reread = (con.sql(_lsql.REREAD, params={"since": since, "source": name}).to_arrow_table()
              if since else pa.table({"id": pa.array([], pa.string())}))
    return DatabaseLoad(name, kind, begin_load(con, name, kind), mark, since, reread)


def store_rows(window: Window, stream: pa.RecordBatchReader, columns: tuple[str, ...],
               load: DatabaseLoad, *, workspace: str | None,
               finish: Callable[[Any], None]) -> LoadCounts:
    """The fast road for a database: every row of ``stream`` (typed columns) in
    one statement, with ``finish(con)`` in its transaction."""
    if not set(columns) <= set(_sql.ACTIVITY_FIELDS) or not plain_columns(stream.schema):
        raise NotClean  # fields to keep in ``extra``, or values to tell apart: the careful road
    with window() as con:
        con.register("_rows", stream)
        con.register("_reread", load.reread)
        try:
            with transaction(con):
                stored = _clean_insert(con, _sql.rows_insert(columns), {
                    "workspace": workspace, "source": load.name, "now": now()})
                counts = LoadCounts(load.name, load.kind, records=stored, stored=stored)
                count_loads(con, [(counts, load.load_id)])
                finish(con)
        finally:
            with contextlib.suppress(duckdb.Error):
                con.unregister("_rows")
                con.unregister("_reread")
    return counts


def store_raw(window: Window, batches: Iterable[tuple[pa.Array, RawBatch]], load: DatabaseLoad,
              *, label: str, workspace: str | None,
              report: Callable[[int, LoadCounts], None] | None = None) -> LoadCounts:
    """The careful road for a database: (ids, raw batch) pairs, a window each,
    but the ids of ``load.reread``; ``report(rows read, counts so far)``."""
    total = LoadCounts(load.name, load.kind)
    known = load.reread.column("id").combine_chunks()
    for ids, batch in batches:
        if len(known):
            batch = RawBatch(batch.table.filter(pc.invert(pc.is_in(ids, value_set=known))))
        with window() as con, transaction(con):
            total.add(store_batch(con, batch, source=load.name, kind=load.kind, label=label,
                                  workspace=workspace, load_id=load.load_id))
        if report is not None:
            report(len(ids), total)
    return total


def save_database(con, load: DatabaseLoad, newest: dt.datetime | None,
                  workspaces: list[tuple], dimensions: dict[str, list[tuple]]) -> None:
    """A database load's end, in the transaction of its last rows: the mark (the
    newest ``created_at`` before the read), workspaces (id, name, slug),
    dimension tables, and the load finished."""
    mark = max(filter(None, [newest, load.mark]), default=None)
    if mark is not None:
        save_states(con, load.name, {DATABASE_SCOPE: {"high_water": mark.isoformat()}})
    at = now()
    for ws_id, name, slug in workspaces:
        con.execute(_lsql.UPSERT_DATABASE_WORKSPACE, [ws_id, name, slug, at])
    listed = {w[0] for w in workspaces}  # a workspace with no rows left loses its old ones
    for table, rows in dimensions.items():
        replace_dimension(con, table, listed | {r[0] for r in rows}, rows)
    finish_loads(con, [load.load_id])


def refresh_dimension(con, table: str, workspace_id: str, rows: list[tuple]) -> None:
    """A sync's refresh of one workspace's rows of ``table``, in a transaction."""
    with transaction(con):
        replace_dimension(con, table, {workspace_id}, rows)


def replace_dimension(con, table: str, workspaces: set[str], rows: list[tuple]) -> None:
    """The rows of ``table`` (members, agents, issues) for ``workspaces``, replaced
    by ``rows`` (each a tuple of the table's columns but ``synced_at``)."""
    if not workspaces:
        return
    at = now()
    delete, insert = _lsql.replace_dimension(table, len(rows[0]) + 1 if rows else 0)
    con.execute(delete, [sorted(workspaces)])
    if rows:
        con.executemany(insert, [(*r, at) for r in rows])


# ----------------------------------------------------------------- API pages, states


def store_pages(con, batch: list[FeedPage], api_url: str, also: Callable[[], None] | None = None
                ) -> list[LoadCounts]:
    """Store pages of several feeds in one transaction with each feed's latest state
    (and ``also()``); counts per page (a feed's on its last). One INSERT for every
    feed (``PAGES_INSERT``), or each feed's pages as one careful batch."""
    groups: dict[Feed, list[int]] = {}
    for i, page in enumerate(batch):
        if page.rows:
            groups.setdefault(page.feed, []).append(i)

    def store(fast: bool) -> list[LoadCounts]:
        results = [LoadCounts(p.feed.source, "api") for p in batch]
        with transaction(con):
            for feed in {page.feed for page in batch}:  # a load's row comes with its first batch
                begin_load(con, feed.source, "api", feed.load_id)
            counts = _pages_fast(con, batch, groups) if fast else [
                store_batch(con, RawBatch(_expand(con, [batch[i] for i in members])),
                            source=feed.source, kind="api", label="offset",
                            workspace=feed.workspace, load_id=feed.load_id)
                for feed, members in groups.items()]
            for members, c in zip(groups.values(), counts, strict=True):
                results[members[-1]] = c
            save_states(con, api_url, {page.feed.scope: page.state for page in batch})  # last wins
            finish_loads(con, [page.feed.load_id for page in batch if page.final])
            if also is not None:
                also()
        return results

    clean = all(page.feed.fresh and page.lean for page in batch)
    stored = attempt(lambda: store(fast=True)) if clean else None
    return store(fast=False) if stored is None else stored


def _pages_fast(con, batch: list[FeedPage], groups: dict[Feed, list[int]]) -> list[LoadCounts]:
    pages = [batch[i] for members in groups.values() for i in members]
    if not pages:
        return []
    rows = {feed: sum(batch[i].rows for i in members) for feed, members in groups.items()}
    con.register("_pages", FeedPage.table(pages))
    try:
        _clean_insert(con, _sql.PAGES_INSERT, {"now": now()}, expected=sum(rows.values()))
    finally:
        with contextlib.suppress(duckdb.Error):  # refused inside an aborted transaction
            con.unregister("_pages")
    counts = [LoadCounts(feed.source, "api", records=n, stored=n) for feed, n in rows.items()]
    count_loads(con, [(c, feed.load_id) for c, feed in zip(counts, rows, strict=True)])
    return counts


def _expand(con, pages: list[FeedPage]) -> pa.Table:
    """The kept records of ``pages`` as a raw batch, split by DuckDB."""
    con.register("_pages", FeedPage.table(pages))
    try:
        return con.sql(_sql.EXPAND_PAGES).to_arrow_table().cast(raw_schema())
    finally:
        con.unregister("_pages")


def read_state(con, api_url: str, scope: str) -> dict:
    """The state a sync (or a database load) saved for ``scope``; {} if none."""
    rows = con.execute(_lsql.READ_STATE, [api_url, scope]).fetchall()
    return json.loads(rows[0][0]) if rows else {}


def save_states(con, api_url: str, states: dict[str, dict]) -> None:
    """Each scope's state, in one statement (the caller's transaction)."""
    if states:
        at = now()
        con.execute(_lsql.save_states(len(states)),
                    [x for k, state in states.items() for x in (api_url, k, json.dumps(state), at)])


def upsert_workspace(con, api_url: str, ws: dict) -> None:
    con.execute(_lsql.UPSERT_WORKSPACE, [ws["id"], ws.get("name"), ws.get("slug"), api_url, now()])


def record_spool(con, load_id: str, path: str, rows: int) -> None:
    """A spool file stored (``_spool.drain``), in the transaction of its rows."""
    con.execute(_lsql.RECORD_SPOOL, [load_id, path, now(), now(), rows])
