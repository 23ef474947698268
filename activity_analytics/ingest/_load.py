"""Load raw batches into the store: one transaction per batch, counts per source."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from .._errors import InputError, RejectedRecordsError, StoreError
from .._progress import progress_bar, watch_query
from .._store import DEFAULT_LOCK_TIMEOUT, connect
from . import _sql
from ._files import RAW_KEEP, RawBatch, Source, expand


@dataclass
class LoadCounts:
    """What one input contributed. ``records`` = stored + duplicates + conflicts + rejected."""

    source: str
    kind: str
    records: int = 0
    stored: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0

    def add(self, other: LoadCounts) -> None:
        self.records += other.records
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        self.rejected += other.rejected


@dataclass
class IngestResult:
    """The outcome of :func:`ingest`: one :class:`LoadCounts` per input, and totals."""

    db: str
    loads: list[LoadCounts] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> LoadCounts:
        total = LoadCounts("total", "")
        for load in self.loads:
            total.add(load)
        return total

    def summary(self) -> str:
        t = self.total
        lines = [
            f"{load.source} ({load.kind}): {load.stored} stored, {load.duplicates} duplicates, "
            f"{load.conflicts} conflicts, {load.rejected} rejected"
            for load in self.loads
        ]
        lines.extend(f"{path}: skipped (not a known activity file type)" for path in self.skipped)
        lines.append(
            f"total: {t.records} records from {len(self.loads)} input(s): {t.stored} stored, "
            f"{t.duplicates} duplicates, {t.conflicts} conflicts, {t.rejected} rejected "
            f"-> {self.db}"
        )
        if t.rejected or t.conflicts:
            lines.append(
                "see them with: activity-analytics sql --db "
                f"{self.db} \"SELECT * FROM rejects ORDER BY rejected_at DESC\""
            )
        return "\n".join(lines)


#: try whole clean files in one statement first (switched off by tests of the batch path)
FAST_PATH = True


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def load_batch(con: duckdb.DuckDBPyConnection, batch: RawBatch, **where: Any) -> LoadCounts:
    """:func:`store_batch` in a transaction of its own; returns its counts."""
    con.execute("BEGIN TRANSACTION")
    try:
        counts = store_batch(con, batch, **where)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts


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
    """Validate and store one batch inside the caller's transaction.

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
            _early_rejects(con, batch, params)
            counts.records += len(batch.rejects)
            counts.rejected += len(batch.rejects)
        _count_load(con, counts, load_id)
    finally:
        con.unregister("_raw")
    return counts


def _stage_and_store(con, select, params, workspace, kind) -> LoadCounts:
    con.execute(_sql.STAGE.format(select=select), {"workspace": workspace})
    con.execute(_sql.KNOWN)
    staged, rejected, repeated, existing = con.execute(_sql.COUNT_STAGE).fetchall()[0]
    if rejected:
        con.execute(_sql.INSERT_REJECTS, params)
    table = "_stage"
    if repeated or existing:
        con.execute(_sql.DEDUPE_STAGE)
        table = "_cand"
    (stored,) = con.execute(
        _sql.INSERT_NEW.format(table=table), {"source": params["source"], "now": params["now"]}
    ).fetchall()[0]
    valid = staged - rejected
    conflicts = 0
    if stored < valid:
        con.execute(_sql.CONFLICTS.format(table=table))
        (conflicts,) = con.execute("SELECT count(*) FROM _conflicts").fetchall()[0]
        if conflicts:
            con.execute(_sql.INSERT_CONFLICT_REJECTS, params)
    return LoadCounts(
        params["source"], kind, records=staged, stored=stored, conflicts=conflicts,
        rejected=rejected, duplicates=valid - stored - conflicts,
    )


def _count_load(con, counts: LoadCounts, load_id: str) -> None:
    _count_loads(con, [(counts, load_id)])


def _count_loads(con, items: list[tuple[LoadCounts, str]]) -> None:
    """Add ``counts`` to each load's row, in one statement (each load_id once)."""
    if not items:
        return
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(items))
    con.execute(
        "UPDATE loads SET records = loads.records + v.records, stored = loads.stored + v.stored, "
        "duplicates = loads.duplicates + v.duplicates, conflicts = loads.conflicts + v.conflicts, "
        "rejected = loads.rejected + v.rejected "
        f"FROM (VALUES {values}) AS v(load_id, records, stored, duplicates, conflicts, rejected) "
        "WHERE loads.load_id = v.load_id",
        [x for counts, load_id in items for x in (load_id, counts.records, counts.stored,
                                                   counts.duplicates, counts.conflicts, counts.rejected)],
    )


class NotClean(Exception):
    """The fast path met something only the careful path handles."""


def load_file_fast(
    con: duckdb.DuckDBPyConnection, src: Source, *, source: str, workspace: str | None,
    load_id: str, report: Callable[[float], None] | None = None,
) -> LoadCounts | None:
    """Store a whole clean JSON-lines or JSON-array file in one statement.

    DuckDB's parallel JSON reader does the parsing; the same validation as the
    careful path runs over it. Returns None, having changed nothing, when the
    file holds anything the careful path must handle: a record to reject,
    fields to keep in ``extra``, an id repeated or already stored.
    """
    if src.kind not in ("jsonl", "json-array"):
        return None
    (loaded_before,) = con.execute(
        "SELECT count(*) FROM loads WHERE source = ? AND finished_at IS NOT NULL", [source]
    ).fetchall()[0]
    if loaded_before:
        return None  # a rerun: mostly duplicates, which only the batch path tells apart
    params = {
        "path": str(src.path),
        "format": "newline_delimited" if src.kind == "jsonl" else "array",
        "compression": "gzip" if src.gzipped else "none",
    }
    now = _now()
    con.execute("BEGIN TRANSACTION")
    try:
        with watch_query(con, report):
            (stored,) = con.execute(
                _sql.FILE_INSERT, {**params, "workspace": workspace, "source": source, "now": now}
            ).fetchall()[0]
        (collisions,) = con.execute(
            _sql.COLLISIONS, {"now": now}
        ).fetchall()[0]
        if collisions:
            raise NotClean
        counts = LoadCounts(source, src.kind, records=stored, stored=stored)
        _count_load(con, counts, load_id)
        con.execute("COMMIT")
        return counts
    except (NotClean, duckdb.Error, UnicodeDecodeError):
        # The careful path redoes it and says what is wrong. (DuckDB quotes the
        # offending data in its message, which can fail to decode.)
        con.execute("ROLLBACK")
        return None
    except BaseException:
        con.execute("ROLLBACK")
        raise


def store_clean_batches(
    con: duckdb.DuckDBPyConnection,
    inserts: list[tuple[str, dict[str, pa.Table], list[tuple[str, str, int | None]]]], *,
    workspace: str | None = None,
) -> dict[str, LoadCounts]:
    """Store rows expected to be clean, one statement each, inside the caller's transaction.

    ``inserts`` holds (statement, tables, loads): an INSERT of the ``_sql``
    module's fast kind (``BATCH_INSERT``, ``PAGES_INSERT``), the Arrow tables
    it reads, by name, and the loads whose rows it stores, as (source,
    load_id, rows): one load whose rows the statement counts (rows None;
    ``$source`` names it), or several, each with the rows it must store. The
    fast path of :func:`store_batch` for the sync's pages: the same
    validation, no staging, and one look at the stored ids for all of them
    (the rows inserted here share one ``ingested_at``). Raises
    :class:`NotClean` when a record would be rejected or an id is stored
    twice; the caller must then roll back and use :func:`store_batch`.
    Returns the counts by load_id.
    """
    now = _now()
    results: dict[str, LoadCounts] = {}
    try:
        for statement, tables, loads in inserts:
            for name, table in tables.items():
                con.register(name, table)
            params = {"workspace": workspace, "now": now}
            if "$source" in statement:
                params["source"] = loads[0][0]
            try:
                (stored,) = con.execute(statement, params).fetchall()[0]
            finally:
                for name in tables:
                    con.unregister(name)
            expected = [rows for _, _, rows in loads]
            if None in expected:
                if len(loads) != 1:
                    raise ValueError("a statement counts the rows of one load only")
                expected = [stored]
            if sum(expected) != stored:
                raise NotClean  # cannot happen: every row is stored or the statement fails
            for (source, load_id, _), n in zip(loads, expected, strict=True):
                counts = results.setdefault(load_id, LoadCounts(source, "api"))
                counts.records += n
                counts.stored += n
        (collisions,) = con.execute(_sql.COLLISIONS, {"now": now}).fetchall()[0]
    except (duckdb.Error, UnicodeDecodeError) as exc:
        raise NotClean from exc  # the caller rolls the transaction back
    if collisions:
        raise NotClean
    _count_loads(con, [(counts, load_id) for load_id, counts in results.items()])
    return results


def _early_rejects(con, batch, params) -> None:
    """Records rejected before parsing (invalid UTF-8, over-long lines)."""
    early = pa.table(
        {
            "loc": [r[0] for r in batch.rejects],
            "reason": [r[1] for r in batch.rejects],
            "raw": [r[2] for r in batch.rejects],
        }
    )
    con.register("_early", early)
    con.execute(
        "INSERT INTO rejects SELECT $source, $label || ' ' || loc, reason, left(raw, $keep), $now "
        "FROM _early ON CONFLICT DO NOTHING",
        params,
    )
    con.unregister("_early")


def load_source(
    con: duckdb.DuckDBPyConnection,
    batches: Iterable[RawBatch],
    *,
    source: str,
    kind: str,
    label: str,
    workspace: str | None = None,
    fast_source: Source | None = None,
    report: Callable[[float], None] | None = None,
) -> Iterator[LoadCounts]:
    """Load every batch of one input, yielding each batch's counts as it commits.

    A ``loads`` row records the input; its ``finished_at`` stays NULL if the
    load is interrupted, which ``status`` reports. With ``fast_source``, a
    clean file is first tried in one statement (see :func:`load_file_fast`).
    """
    load_id = str(uuid.uuid4())
    con.execute(
        "INSERT INTO loads (load_id, source, kind, started_at) VALUES (?, ?, ?, ?)",
        [load_id, source, kind, _now()],
    )
    if fast_source is not None:
        counts = load_file_fast(
            con, fast_source, source=source, workspace=workspace, load_id=load_id, report=report
        )
        if counts is not None:
            yield counts
            con.execute("UPDATE loads SET finished_at = ? WHERE load_id = ?", [_now(), load_id])
            return
    for batch in batches:
        yield load_batch(
            con, batch, source=source, kind=kind, label=label,
            workspace=workspace, load_id=load_id,
        )
    con.execute("UPDATE loads SET finished_at = ? WHERE load_id = ?", [_now(), load_id])


def ingest(
    paths: list[str | os.PathLike[str]] | str | os.PathLike[str],
    db: str | os.PathLike[str],
    *,
    workspace: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> IngestResult:
    """Load activity files into the store at ``db``; return what happened.

    ``paths`` may name JSON-lines or JSON-array files (gzipped or not),
    PraisonAI ``audit.jsonl`` logs, the Platform's SQLite database, directories
    (walked recursively) and ``-`` for standard input. The format is detected
    from the content.

    Re-ingesting is harmless: a record whose id is already stored with the
    same content counts as a duplicate; with different content it is a
    conflict, kept as first stored and recorded in ``rejects``. Bad records go
    to ``rejects`` with their file and line; the rest still land. Each batch
    commits on its own, so an interrupted ingest keeps whole batches and a
    rerun completes it.

    ``workspace`` fills ``workspace_id`` where a record has none (audit logs
    have none). ``strict`` raises :class:`RejectedRecordsError` (after storing
    every good record) when anything was rejected. ``progress`` shows a
    progress bar (``None``: only on a terminal or in Jupyter).

    >>> import tempfile, pathlib, json
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> record = {"id": "a1", "action": "issue.created", "actor_type": "member",
    ...           "actor_id": "u1", "created_at": "2026-11-26T23:22:03.681330"}
    >>> _ = (tmp / "in.jsonl").write_text(json.dumps(record) + "\\n{oops\\n")
    >>> result = ingest([tmp / "in.jsonl"], tmp / "store.duckdb", progress=False)
    >>> result.total.stored, result.total.rejected
    (1, 1)
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise InputError("nothing to ingest: give at least one path (or - for stdin)")
    sources, skipped = expand(list(paths))
    result = IngestResult(os.fspath(db), skipped=[str(p) for p in skipped])
    try:
        with connect(db, read_only=False, lock_timeout=lock_timeout) as con:
            for src in sources:
                result.loads.append(_ingest_one(con, src, workspace, progress))
    finally:
        for src in sources:
            if src.name == "stdin":
                src.path.unlink(missing_ok=True)
    total = result.total
    if strict and (total.rejected or total.conflicts):
        raise RejectedRecordsError(
            f"{total.rejected} record(s) rejected and {total.conflicts} conflict(s) "
            f"(all valid records were stored)",
            result,
        )
    return result


def _ingest_one(
    con: duckdb.DuckDBPyConnection, src: Source, workspace: str | None, progress: bool | None
) -> LoadCounts:
    counts = LoadCounts(src.name, src.kind)
    name = src.name if src.name == "stdin" else os.path.abspath(src.name)
    size = src.size()
    with progress_bar(total=size, desc=os.path.basename(src.name), enabled=progress) as bar:
        try:
            for batch_counts in load_source(
                con, _with_progress(src.batches(), bar), source=name, kind=src.kind,
                label=src.loc_label, workspace=workspace,
                fast_source=src if FAST_PATH else None,
                report=None if bar.disable else (lambda f: bar.update(int(f * size) - bar.n)),
            ):
                counts.add(batch_counts)
                bar.set_postfix(stored=counts.stored, rejected=counts.rejected, refresh=False)
        except duckdb.Error as exc:
            raise StoreError(f"{src.name}: storing failed: {str(exc).splitlines()[0]}") from exc
    return counts


def _with_progress(batches: Iterable[RawBatch], bar) -> Iterator[RawBatch]:
    for batch in batches:
        bar.update(batch.position - bar.n)
        yield batch
