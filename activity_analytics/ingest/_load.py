"""``ingest``: files, trace folders and the Platform's database into the store.

An orchestrator (see ``_core``): it expands the paths into sources, reads
each while the store is closed, and hands what it read to the load stage
inside write windows, with progress and the errors a user reads."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._defaults import DB_OVERLAP
from .._display import Shown
from .._errors import InputError, RejectedRecordsError, StoreError, StoreLockedError, one_line
from .._lazy import lazy_module
from .._progress import progress_bar
from .._store import DEFAULT_LOCK_TIMEOUT, connect, transaction
from .._terms import caller
from . import _core, _spool, _traces
from ._database import DIMENSIONS, Database, is_url
from ._files import Source, expand
from ._types import LoadCounts, RawBatch

if TYPE_CHECKING:
    import duckdb
else:
    duckdb = lazy_module("duckdb")


@dataclass(repr=False)
class IngestResult(Shown):
    """The outcome of :func:`ingest`: one :class:`LoadCounts` per input, and totals."""

    db: str
    loads: list[LoadCounts] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: rows a sync had kept in the spool while the store was locked, stored first
    from_spool: int = 0

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
            + (f", {load.runs_replaced} run(s) replaced" if load.runs_replaced else "")
            for load in self.loads
        ]
        lines.extend(f"{path}: skipped (not a known activity file type)" for path in self.skipped)
        if self.from_spool:
            lines.append(f"spool: {self.from_spool} rows a sync had kept were stored first")
        lines.append(
            f"total: {t.records} records from {len(self.loads)} input(s): {t.stored} stored, "
            f"{t.duplicates} duplicates, {t.conflicts} conflicts, {t.rejected} rejected "
            f"-> {self.db}"
        )
        if t.rejected or t.conflicts:
            query = "SELECT * FROM rejects ORDER BY rejected_at DESC"
            lines.append(f"see them with: activity-analytics sql --db {self.db} \"{query}\""
                         if caller() == "cli" else f"see them with: aa.sql({str(self.db)!r}, {query!r})")
        return "\n".join(lines)


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
    PraisonAI ``audit.jsonl`` logs and replay traces (``agent_events``; a
    call in both counts once), the Platform's database (its SQLite file, or a
    ``postgresql://`` URL: see :mod:`._database`; a second load reads only
    what is new), directories (walked recursively) and ``-`` for standard
    input. The format is detected from the content.

    Re-ingesting is harmless: a record whose id is already stored with the
    same content counts as a duplicate; with different content it is a
    conflict, kept as first stored and recorded in ``rejects``. Bad records go
    to ``rejects`` with their file and line; the rest still land. Each batch
    commits on its own, so an interrupted ingest keeps whole batches and a
    rerun completes it.

    ``workspace`` names the workspace the records come from, as a sync's
    feed does: it fills ``workspace_id`` where a record has none (audit logs
    have none), and a record naming another workspace is rejected
    ("workspace_id differs from the feed's"). ``strict`` raises
    :class:`RejectedRecordsError` (after storing every good record) when
    anything was rejected. ``progress`` shows a progress bar (``None``: only
    on a terminal or in Jupyter).

    >>> import tempfile, pathlib, json
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> record = {"id": "a1", "action": "issue.created", "actor_type": "member",
    ...           "actor_id": "u1", "created_at": "2026-11-26T23:22:03.681330"}
    >>> _ = (tmp / "in.jsonl").write_text(json.dumps(record) + "\\n{oops\\n")
    >>> result = ingest([tmp / "in.jsonl"], tmp / "store.duckdb", progress=False)
    >>> result.total.stored, result.total.rejected
    (1, 1)
    """
    return ingest_paths(paths, db, workspace=workspace, strict=strict, progress=progress,
                        lock_timeout=lock_timeout)


def ingest_paths(
    paths: list[str | os.PathLike[str]] | str | os.PathLike[str],
    db: str | os.PathLike[str],
    *,
    workspace: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    fast: bool = True,
) -> IngestResult:

    """:func:`ingest`, and whether to try the fast path for files (tests and
    the benchmark also measure the careful path alone)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise InputError("nothing to ingest: give at least one path (or - for stdin)")
    databases = [Database.from_url(os.fspath(p)) for p in paths if is_url(os.fspath(p))]
    files = [p for p in paths if not is_url(os.fspath(p))]
    sources, skipped = expand(files) if files else ([], [])
    databases += [Database.sqlite_file(s.path) for s in sources if s.kind == "sqlite"]
    sources = [s for s in sources if s.kind != "sqlite"]
    result = IngestResult(os.fspath(db), skipped=[str(p) for p in skipped])

    def window() -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The store, open for one commit: readers get in between."""
        return connect(db, read_only=False, lock_timeout=lock_timeout)

    try:
        with window() as con:
            result.from_spool = _spool.drain(con, os.fspath(db))
        try:
            # Traces first: an audit line of a call a trace holds is then
            # counted as the duplicate it is (in either order the store ends the same)
            traces = [s for s in sources if s.kind == "trace"]
            if traces:
                result.loads.extend(_ingest_traces(window, traces, workspace, progress, fast))
            for src in sources:
                if src.kind != "trace":
                    result.loads.append(_ingest_one(window, src, workspace, progress, fast))
            for database in databases:
                try:
                    result.loads.append(_ingest_database(window, database, workspace, progress,
                                                         fast))
                except duckdb.Error as exc:
                    raise StoreError(f"{database.name}: storing failed: {one_line(exc)}") from exc
        except StoreLockedError as exc:  # between two windows: what is stored stays
            raise StoreLockedError(
                f"{db} is in use by {exc.holder} (waited {lock_timeout:g}s). What this ingest "
                "stored before stays; running the same command again stores the rest (what is "
                "stored already counts as duplicates).", exc.holder) from exc
    except StoreLockedError as exc:
        piped = [src for src in sources if src.name == "stdin"]
        if not piped:
            raise
        # what was piped in cannot be read again: keep it, and say where
        sources = [src for src in sources if src.name != "stdin"]
        raise StoreLockedError(f"{exc} Standard input is kept in {piped[0].path}: ingest that "
                               "file then.", exc.holder) from exc
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


def _ingest_one(window, src: Source, workspace: str | None, progress: bool | None,
                fast: bool) -> LoadCounts:
    counts = LoadCounts(src.name, src.kind)
    name = src.name if src.name == "stdin" else os.path.abspath(src.name)
    size = src.size()
    with progress_bar(total=size, desc=os.path.basename(src.name), enabled=progress) as bar:
        try:
            for batch_counts in _core.store_file(
                window, src, _with_progress(src.batches(), bar), source=name, label=src.loc_label,
                workspace=workspace, fast=fast,
                report=None if bar.disable else (lambda f: bar.update(int(f * size) - bar.n)),
            ):
                counts.add(batch_counts)
                bar.set_postfix(stored=counts.stored, rejected=counts.rejected, refresh=False)
            bar.update(size - bar.n)  # read to the end: 100%, whatever the reader reported
        except duckdb.Error as exc:
            raise StoreError(f"{src.name}: storing failed: {one_line(exc)}") from exc
    return counts


def _ingest_traces(window, traces: list[Source], workspace: str | None,
                   progress: bool | None, fast: bool) -> list[LoadCounts]:
    """Trace files in groups (see ``_traces``), a write window each: a folder of
    thousands of runs is a line per group, not per file."""
    total = sum(s.size() for s in traces)
    loads = []
    with progress_bar(total=total, desc=f"{len(traces)} trace file(s)", enabled=progress) as bar:
        for group in _traces.groups(traces):
            try:
                with window() as con:
                    counts = _core.store_traces(
                        con, [(_traces.source_name(s), s) for s in group],
                        name=_traces.group_name(group), workspace=workspace, fast=fast,
                        report=bar.update)
            except duckdb.Error as exc:
                raise StoreError(f"{_traces.group_name(group)}: storing failed: "
                                 f"{one_line(exc)}") from exc
            loads.append(counts)
            bar.set_postfix(stored=sum(c.stored for c in loads), refresh=False)
    return loads


def _with_progress(batches: Iterable[RawBatch], bar) -> Iterator[RawBatch]:
    for batch in batches:
        bar.update(batch.position - bar.n)
        yield batch


def _ingest_database(window: _core.Window, db: Database, workspace: str | None,
                     progress: bool | None, fast: bool) -> LoadCounts:
    """What is new in the Platform database ``db`` (see ``_database``): on the
    fast road (PostgreSQL, typed rows) in one window, else batch by batch."""
    with window() as con:
        load = _core.begin_database(con, db.name, db.kind, DB_OVERLAP)
    with db.reader() as reader:
        workspaces = reader.table("workspaces", ("id", "name", "slug"))
        dims = {t: reader.table(t, cols) for t, cols in DIMENSIONS.items()}
        total, newest = reader.newest(load.since)

        def finish(con) -> None:
            _core.save_database(con, load, newest, workspaces, dims)

        label = db.name if len(db.name) <= 40 else "..." + db.name[-37:]
        with progress_bar(total=total, desc=label, enabled=progress, unit=" rows") as bar:
            counts = None
            if fast and db.kind == "postgresql":  # typed rows: SQLite's are not
                def typed() -> LoadCounts:
                    with reader.typed(load.since) as stream:
                        return _core.store_rows(window, stream if bar.disable else _counted(stream, bar),
                                                reader.columns("activity_logs"), load,
                                                workspace=workspace, finish=finish)
                counts = _core.attempt(typed)
            if counts is None:
                def report(rows: int, so_far: LoadCounts) -> None:
                    bar.update(rows)
                    bar.set_postfix(stored=so_far.stored, rejected=so_far.rejected, refresh=False)

                counts = _core.store_raw(window, reader.raw(load.since), load, label=reader.loc_label,
                                         workspace=workspace, report=report)
                with window() as con, transaction(con):
                    finish(con)
            bar.update(total - bar.n)
    return counts


def _counted(stream, bar):
    """``stream``, moving ``bar`` on as DuckDB reads each batch (DuckDB cannot
    tell how far it is through a stream)."""
    import pyarrow as pa

    def batches():
        for batch in stream:
            bar.update(batch.num_rows)
            yield batch

    return pa.RecordBatchReader.from_batches(stream.schema, batches())
