"""The sync's one DuckDB writer: pages in, rows and feed states out, in one transaction.

Walks hand it pages and go on fetching. It takes every page waiting in its
queue and stores them in one transaction with each feed's state, so the
state never runs ahead of the rows it covers. Two write paths, one set of
record rules (``_sql.ingest``):

* **fast**: when every page of the batch decoded lean (objects of known
  fields, strings where strings belong) and its rows are most likely new,
  one INSERT stores the rows of every feed straight from the pages' text,
  through the same validation as every input; any record it would reject,
  or an id stored twice, rolls the batch back ...
* **careful**: ... and the batch is stored like a file's batch
  (:func:`_batch.store_batch`), which tells new rows, duplicates, conflicts
  and rejects apart, with the page offset as the location.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from .._sql import ingest as _sql
from .._defaults import DEFAULT_LOCK_TIMEOUT, WRITE_PAUSE
from .._errors import InputError, StoreLockedError
from .._store import connect, transaction
from . import _spool
from ._api import Page
from ._counts import LoadCounts, count_loads
from ._database import replace_dimension
from ._files import _SCHEMA, RawBatch
from ._batch import NotClean, store_batch
from ._walk import Lean, iso


@dataclass(frozen=True)
class Feed:
    """One feed being walked, as the writer stores it."""

    scope: str  # ``workspace:<id>`` or ``issue:<ws>/<id>``: the key of its sync state
    source: str  # the feed's URL, recorded as the rows' source
    workspace: str  # the feed's workspace: fills a missing workspace_id, rejects another
    load_id: str
    fresh: bool  # its rows are most likely new (a backfill, or a walk that drops what it stored)


@dataclass
class _Page:
    feed: Feed
    first_loc: int  # the page's offset in its feed
    body: bytes | None  # the page's JSON text, as received
    skip: list[int] | None  # indexes of the records not to store (usually few); None: none
    rows: int  # how many records that is
    lean: bool  # every record decoded lean (objects of known fields, strings where due)
    state: dict
    done: asyncio.Future | None  # None: a page read back from the spool
    final: bool = False  # the walk's last word: its load is finished with this state

    def to_spool(self) -> dict:
        """The page as JSON values, for :mod:`_spool`."""
        body = None if self.body is None else self.body.decode(errors="surrogateescape")
        return {"scope": self.feed.scope, "source": self.feed.source, "workspace": self.feed.workspace,
                "load_id": self.feed.load_id, "fresh": self.feed.fresh, "first_loc": self.first_loc,
                "body": body, "skip": self.skip, "rows": self.rows, "lean": self.lean,
                "state": self.state, "final": self.final}

    @classmethod
    def from_spool(cls, d: dict) -> _Page:
        feed = Feed(d["scope"], d["source"], d["workspace"], d["load_id"], d["fresh"])
        body = None if d["body"] is None else d["body"].encode(errors="surrogateescape")
        return cls(feed, d["first_loc"], body, d["skip"], d["rows"], d["lean"], d["state"], None,
                   d["final"])


def _pages_table(pages: list[_Page]) -> pa.Table:
    """Pages as DuckDB reads them: first_loc, body (the JSON text), skip (indexes
    or null), source (the feed's URL), workspace (the feed's)."""
    return pa.table({
        "first_loc": pa.array([p.first_loc for p in pages], pa.int64()),
        "body": pa.array([p.body for p in pages], pa.binary()).cast(pa.string()),
        "skip": pa.array([p.skip for p in pages], pa.list_(pa.int32())),
        "source": pa.array([p.feed.source for p in pages], pa.string()),
        "workspace": pa.array([p.feed.workspace for p in pages], pa.string()),
    })


class Writer:
    """The one DuckDB writer, fed in batches (see the module's docstring).

    A walk's final state goes through the same queue as its pages, so it
    never commits before them.

    The store is open only while a batch is written (a *write window*): the
    writer opens it, commits, closes it, and leaves it free for at least
    :data:`WRITE_PAUSE` before the next window, while the walks go on
    fetching. A question asked during a sync waits for one window at most,
    and sees what the sync has stored so far.
    """

    #: rows in one batch, so one window: a commit of well under a second
    #: (``$ACTIVITY_WRITE_BATCH`` sets it: fewer rows, shorter windows)
    MAX_ROWS = 50_000

    def __init__(self, db: str, api_url: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                 pause: float = WRITE_PAUSE):
        self.db = db
        self.max_rows = _batch_rows(self.MAX_ROWS)
        self.lock_timeout = lock_timeout
        self.pause = pause
        self.con: duckdb.DuckDBPyConnection | None = None  # set inside a window only
        self.closed_at = 0.0  # monotonic time the last window closed
        self.api_url = api_url
        self.lock = asyncio.Lock()
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=256)
        self.task: asyncio.Task | None = None
        #: set when the store stayed locked past the timeout: later batches go to the spool
        self.locked: StoreLockedError | None = None

    async def __aenter__(self) -> Writer:
        self.task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.queue.put(None)
        await self.task

    async def _run(self) -> None:
        while True:
            item = await self.queue.get()
            if item is None:
                return
            # readers' turn: the walks go on fetching, and the next window takes what came
            await asyncio.sleep(max(0.0, self.closed_at + self.pause - time.monotonic()))
            batch, rows = [item], item.rows
            while rows < self.max_rows and not self.queue.empty():
                nxt = self.queue.get_nowait()
                if nxt is None:
                    self.queue.put_nowait(None)  # stop after this batch
                    break
                batch.append(nxt)
                rows += nxt.rows
            try:
                async with self.lock:
                    results = await asyncio.to_thread(self._write_or_spool, batch)
            except BaseException as exc:  # every waiting walk learns of it ...
                for page in batch:
                    if not page.done.done():
                        page.done.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise  # ... and cancellation (or Ctrl-C) still ends the writer
                continue
            for page, counts in zip(batch, results, strict=True):
                page.done.set_result(counts)

    def _write_or_spool(self, batch: list[_Page]) -> list[LoadCounts]:
        """Store the batch in a write window; once the store stayed locked past the
        timeout, keep this batch and every later one in the spool instead."""
        if self.locked is None:
            try:
                return self._in_window(self._write, batch)
            except StoreLockedError as exc:
                self.locked = exc
        _spool.write(self.db, self.api_url, [page.to_spool() for page in batch])
        return [LoadCounts(page.feed.source, "api") for page in batch]

    async def submit(self, feed: Feed, page: Page | None, first_loc: int, rows: list,
                     state: dict, *, final: bool = False) -> asyncio.Future:
        """Queue the ``rows`` taken from ``page`` as (offset, record) (none: only
        the state advances); returns the future of their counts.

        The writer stores them from the page's body, so the queue holds text,
        not millions of Python objects for the garbage collector to walk.
        """
        done = asyncio.get_running_loop().create_future()
        skip = None  # indexes left out: usually just the row read again
        if page is not None and rows and len(rows) < len(page):
            skip = sorted(set(range(len(page))).difference(o - first_loc for o, _ in rows))
        body = page.body if rows else None
        lean = all(isinstance(r, Lean) for _, r in rows)
        await self.queue.put(_Page(feed, first_loc, body, skip, len(rows), lean, state, done, final))
        return done

    async def call(self, func, *args):
        """Run ``func(*args)`` in a worker thread inside a write window (``self.con``
        open); once the store stayed locked, raise :class:`StoreLockedError` at once."""
        async with self.lock:
            if self.locked is not None:
                raise self.locked
            return await asyncio.to_thread(self._in_window, func, *args)

    async def read(self, func, *args):
        """Run ``func(*args)`` with the store open read-only: beside a reader's
        session, a sync can still learn where its feeds stand."""
        async with self.lock:
            return await asyncio.to_thread(self._in_window, func, *args, read_only=True)

    def _in_window(self, func, *args, read_only: bool = False):
        try:
            with connect(self.db, read_only=read_only, lock_timeout=self.lock_timeout) as con:
                self.con = con
                return func(*args)
        finally:
            self.con = None
            self.closed_at = time.monotonic()

    def load_spool(self, report: Callable[[int], object] | None = None) -> int:
        """Store what earlier syncs kept in the spool (see :mod:`_spool`), each file
        in one transaction that records it, then remove it (and the folder, once
        empty); returns the rows read. ``report`` is told each file's rows."""
        rows = 0
        for spooled in _spool.waiting(self.db):
            if not self.con.execute("SELECT 1 FROM loads WHERE load_id = ?", [spooled.load_id]).fetchall():
                pages = _spool.read(spooled)
                api_url, self.api_url = self.api_url, pages[0]["api_url"]  # whose states these are
                try:
                    self._write([_Page.from_spool(d) for d in pages],
                                also=lambda s=spooled: self._record_spool(s))
                finally:
                    self.api_url = api_url
                rows += spooled.rows
            _spool.remove(spooled)
            if report is not None:
                report(spooled.rows)
        _spool.tidy(self.db)
        return rows

    def _record_spool(self, spooled: _spool.SpoolFile) -> None:
        now = dt.datetime.now(dt.UTC)
        self.con.execute("INSERT INTO loads (load_id, source, kind, started_at, finished_at, records) "
                         "VALUES (?, ?, 'spool', ?, ?, ?)",
                         [spooled.load_id, str(spooled.path), now, now, spooled.rows])

    def _write(self, batch: list[_Page], also=None) -> list[LoadCounts]:
        """Store the pages of several feeds in one transaction; counts per page.

        Usually every row is new and valid: the fast path's one INSERT
        stores the rows of every feed, one look at the stored ids checks the
        whole batch (which matters on a large store with many workspaces),
        and one statement each counts the loads and saves the feeds' states:
        a few statements per batch, whatever the number of feeds. When that
        finds a record to reject or an id stored already, or the batch
        repeats an id (a tie read again), the transaction is rolled back and
        redone the careful way. Walks whose rows are likely stored already
        go the careful way directly.
        """
        if all(page.feed.fresh and page.lean for page in batch):
            try:
                return self._transaction(batch, self._store_fast, also)
            except NotClean:
                pass
        return self._transaction(batch, self._store_careful, also)

    def _transaction(self, batch: list[_Page], store, also=None) -> list[LoadCounts]:
        results: list[LoadCounts] = [LoadCounts(p.feed.source, "api") for p in batch]
        groups: dict[Feed, list[int]] = {}
        for i, page in enumerate(batch):
            if page.rows:
                groups.setdefault(page.feed, []).append(i)
        with transaction(self.con):
            self._start_loads({page.feed for page in batch})
            for members, counts in zip(groups.values(), store(batch, groups), strict=True):
                results[members[-1]] = counts
            latest = {page.feed.scope: page.state for page in batch}  # in queue order: the last wins
            self._save_states(latest)
            self._finish_loads([page.feed.load_id for page in batch if page.final])
            if also is not None:
                also()
        return results

    def _store_careful(self, batch: list[_Page], groups: dict[Feed, list[int]]) -> list[LoadCounts]:
        """Each feed's pages as one batch of records for :func:`store_batch`."""
        return [store_batch(self.con, RawBatch(self._expand([batch[i] for i in members])),
                            source=feed.source, kind="api", label="offset",
                            workspace=feed.workspace, load_id=feed.load_id)
                for feed, members in groups.items()]

    def _store_fast(self, batch: list[_Page], groups: dict[Feed, list[int]]) -> list[LoadCounts]:
        """Every page in one INSERT (``PAGES_INSERT``); raises :class:`NotClean`
        (the caller rolls back) when a record would be rejected or an id is
        stored twice. The rows inserted here share one ``ingested_at``."""
        pages = [batch[i] for members in groups.values() for i in members]
        if not pages:
            return []
        now = dt.datetime.now(dt.UTC)
        self.con.register("_pages", _pages_table(pages))
        try:
            (stored,) = self.con.execute(_sql.PAGES_INSERT, {"now": now}).fetchall()[0]
            (collisions,) = self.con.execute(_sql.COLLISIONS, {"now": now}).fetchall()[0]
        except (duckdb.Error, UnicodeDecodeError) as exc:
            raise NotClean from exc
        finally:
            with contextlib.suppress(duckdb.Error):  # refused inside an aborted transaction
                self.con.unregister("_pages")
        rows = {feed: sum(batch[i].rows for i in members) for feed, members in groups.items()}
        if collisions or stored != sum(rows.values()):
            raise NotClean
        counts = [LoadCounts(feed.source, "api", records=n, stored=n) for feed, n in rows.items()]
        count_loads(self.con, [(c, feed.load_id) for c, feed in zip(counts, rows, strict=True)])
        return counts

    def _expand(self, pages: list[_Page]) -> pa.Table:
        """The kept records of ``pages`` as a raw batch (loc, text, blank), split by DuckDB."""
        self.con.register("_pages", _pages_table(pages))
        try:
            return self.con.sql(_sql.EXPAND_PAGES).to_arrow_table().cast(_SCHEMA)
        finally:
            self.con.unregister("_pages")

    def read_state(self, scope: str) -> dict:
        rows = self.con.execute(
            "SELECT state FROM sync_state WHERE api_url = ? AND scope = ?", [self.api_url, scope]
        ).fetchall()
        return json.loads(rows[0][0]) if rows else {}

    def snapshot_state(self, workspace_id: str, issue_id: str | None) -> dict:
        """A first sync's starting state when the Platform's database (its SQLite file or
        PostgreSQL) was ingested.

        Each complete load of it covers the whole ``activity_logs`` table, so
        everything of this feed up to its newest row there is stored: the
        walk can stop at that row, like an incremental one. (Other files may
        be partial, so they never set a mark; ``--full`` ignores this.)
        """
        at_mark = self.con.execute(  # the snapshot's newest rows of this feed
            "SELECT id, created_at FROM activity WHERE workspace_id = $ws "
            "AND ($issue IS NULL OR issue_id = $issue OR entity_id = $issue) "
            "AND source IN (SELECT source FROM loads WHERE kind IN ('sqlite', 'postgresql') "
            "AND finished_at IS NOT NULL) "
            "QUALIFY created_at = max(created_at) OVER ()",
            {"ws": workspace_id, "issue": issue_id},
        ).fetchall()
        if not at_mark:
            return {}
        return {"high_water": iso(at_mark[0][1]), "mark_ids": sorted(i for i, _ in at_mark),
                "seeded_from": "platform database file"}

    def _save_states(self, states: dict[str, dict]) -> None:
        """Each scope's state, in one statement."""
        if not states:
            return
        now = dt.datetime.now(dt.UTC)
        self.con.execute(
            "INSERT OR REPLACE INTO sync_state VALUES " + ", ".join(["(?, ?, ?, ?)"] * len(states)),
            [x for scope, state in states.items() for x in (self.api_url, scope, json.dumps(state), now)],
        )

    def _start_loads(self, feeds: set[Feed]) -> None:
        """A load's row comes with its first batch, so a walk starts without the store."""
        now = dt.datetime.now(dt.UTC)
        for feed in feeds:
            self.con.execute("INSERT OR IGNORE INTO loads (load_id, source, kind, started_at) "
                             "VALUES (?, ?, 'api', ?)", [feed.load_id, feed.source, now])

    def _finish_loads(self, load_ids: list[str]) -> None:
        if load_ids:
            self.con.execute("UPDATE loads SET finished_at = ? WHERE list_contains(?, load_id)",
                             [dt.datetime.now(dt.UTC), load_ids])

    def replace_dimension(self, table: str, workspace_id: str, rows: list[tuple]) -> None:
        with transaction(self.con):
            replace_dimension(self.con, table, {workspace_id}, rows, dt.datetime.now(dt.UTC))

    def upsert_workspace(self, ws: dict) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO workspaces VALUES (?, ?, ?, ?, ?)",
            [ws["id"], ws.get("name"), ws.get("slug"), self.api_url, dt.datetime.now(dt.UTC)],
        )


def load_spool(con: duckdb.DuckDBPyConnection, db: str) -> int:
    """Store the spool of ``db`` through the open connection ``con`` (an ingest's)."""
    writer = Writer(db, "")
    writer.con = con
    return writer.load_spool()


def _batch_rows(default: int) -> int:
    """``$ACTIVITY_WRITE_BATCH`` (rows in one write window), else ``default``."""
    given = os.environ.get("ACTIVITY_WRITE_BATCH")
    if not given:
        return default
    if not given.isdigit() or int(given) < 1:
        raise InputError(f"bad ACTIVITY_WRITE_BATCH {given!r}: a number of rows, e.g. 50000")
    return int(given)
