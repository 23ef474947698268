"""Sync from the Platform's API: incremental, resumable, one transaction per page.

The activity feed is newest first, paged by offset, with no cursor, no total
and no tie-breaker. The walk of one scope (a workspace's or an issue's feed):

* Pages of 200 from offset 0. New rows arriving meanwhile push older rows
  down, so a later page repeats rows (harmless: ids are unique in the store)
  but never skips one (the feed has no deletions).
* Each next request starts at the page's final run of rows sharing one
  ``created_at`` again (at least its last row: the feed may go on with the
  same time), so a tie that straddles the boundary is read whole even if
  the server orders it anew for each query (SQLite keeps ties in insertion
  order; other databases need not). Rows read again are dropped by id.
* Incremental: rows older than the high-water mark are stored already; the
  walk stops at the first page that reaches them. With little new activity
  that is one request per workspace.
* A backfill reads ahead: while it awaits a page it already asks for the
  next few (the server scans to each offset, so a few at once go faster).
  The server may answer them in any order, and rows arriving in between
  could then fall between two pages, so each such page starts a few rows
  inside the page before it, and is asked again unless it starts inside
  that page (by id) and before that page's final run of equal timestamps.
* The high-water mark moves only when a walk completes, to the newest
  ``created_at`` seen at the walk's start. Each page and the walk's progress
  commit in one transaction; an interrupted first backfill resumes where it
  stopped (after re-reading the rows that arrived since), and an interrupted
  incremental walk simply starts again from the top.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import msgspec
import orjson
import pyarrow as pa

from .._errors import InputError
from .._progress import progress_bar
from .._store import DEFAULT_LOCK_TIMEOUT, connect
from . import _load, _sql
from ._api import (
    PAGE_LIMIT,
    ApiError,
    AuthError,
    ClientOptions,
    Credentials,
    Page,
    PlatformClient,
)
from ._files import _SCHEMA, RawBatch
from ._load import LoadCounts, NotClean, store_batch, store_clean_batches


#: the sync writer's WAL size that triggers a checkpoint (DuckDB's default: 16 MB)
CHECKPOINT_THRESHOLD = "1GB"


@dataclass
class SyncOptions:
    """How a sync runs. ``client`` holds the HTTP settings (timeouts, retries, TLS)."""

    full: bool = False
    page_size: int = PAGE_LIMIT
    progress: bool | None = None
    client: ClientOptions = field(default_factory=ClientOptions)
    #: pages a backfill requests beyond the one it awaits (the server scans to
    #: each offset, so a large backfill goes faster with a few at once); None:
    #: the requests ``client.concurrency`` allows beyond one per feed, at most 3
    read_ahead: int | None = None

    def pages_ahead(self, feeds: int) -> int:
        if self.read_ahead is not None:
            return self.read_ahead
        return max(0, min(3, self.client.concurrency // max(feeds, 1) - 1))


@dataclass
class ScopeResult:
    """What the sync did for one workspace or issue feed."""

    scope: str
    workspace_id: str
    issue_id: str | None = None
    new_rows: int = 0
    duplicates: int = 0
    rejected: int = 0
    pages: int = 0
    requests: int = 0  # activity pages and, for a workspace, its members, agents and issues
    retries: int = 0
    error: str | None = None


@dataclass
class SyncResult:
    """The outcome of :func:`sync`: one :class:`ScopeResult` per feed."""

    api_url: str
    db: str
    scopes: list[ScopeResult] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    dimension_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(s.error for s in self.scopes) and not self.dimension_errors

    def summary(self) -> str:
        lines = []
        for s in self.scopes:
            state = f"error: {s.error}" if s.error else (
                f"{s.new_rows} new, {s.duplicates} duplicates, {s.rejected} rejected, {s.pages} pages, "
                f"{s.retries} retries")
            lines.append(f"{s.scope}: {state}")
        lines.extend(f"dimensions: {e}" for e in self.dimension_errors)
        total = sum(s.new_rows for s in self.scopes)
        lines.append(f"total: {total} new rows from {len(self.scopes)} feed(s), "
                     f"{self.requests} requests, {self.retries} retries -> {self.db}")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _ts(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_FIELDS = frozenset(_sql.ACTIVITY_FIELDS)


def _pages_table(pages: list[_Page]) -> pa.Table:
    """Pages as DuckDB reads them: first_loc, body (the JSON text), skip (indexes
    or null), source (the feed's URL)."""
    return pa.table({
        "first_loc": pa.array([p.first_loc for p in pages], pa.int64()),
        "body": pa.array([p.body for p in pages], pa.binary()).cast(pa.string()),
        "skip": pa.array([p.skip for p in pages], pa.list_(pa.int32())),
        "source": pa.array([p.source for p in pages], pa.string()),
    })


class _LeanBase(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A feed record decoded lean and checked: the strings of the activity shape
    are strings (or null where optional), its objects are left raw JSON (the
    writer stores rows from the page's body, trusting those types), and no
    field is unknown. Dict-like enough for the walk (``get``)."""

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


_Lean = msgspec.defstruct(
    "_Lean",
    [(f, str) for f in _sql.ACTIVITY.required]
    + [(f, str | None, None) for f in _sql.ACTIVITY.optional]
    + [(f, msgspec.Raw, msgspec.UNSET) for f in _sql.ACTIVITY.objects],
    bases=(_LeanBase,), forbid_unknown_fields=True, kw_only=True,
)
_LEAN_PAGE = msgspec.json.Decoder(list[_Lean])


def _decode_feed(body: bytes) -> list:
    """A feed page's records: lean when every record is an object of known fields
    of the expected types (five times cheaper than building dicts), else fully
    decoded dicts and whatever else the page holds (the careful path then
    tells good records from rejects). Raises ValueError for a body that is not JSON."""
    try:
        return _LEAN_PAGE.decode(body)
    except msgspec.ValidationError:  # valid JSON so far, not plain records: decode it all
        return orjson.loads(body)
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from None


def _stamp(record: Any) -> dt.datetime | None:
    return _ts(record.get("created_at")) if isinstance(record, dict | _Lean) else None


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class _Page:
    scope: str
    source: str
    load_id: str
    first_loc: int  # the page's offset in its feed
    body: bytes | None  # the page's JSON text, as received
    skip: list[int] | None  # indexes of the records not to store (usually few); None: none
    rows: int  # how many records that is
    fresh: bool  # its rows are most likely new (a backfill, or a walk that drops what it stored)
    plain: bool  # every record has only known fields (none needs ``extra``)
    state: dict
    done: asyncio.Future


class _Writer:
    """The one DuckDB writer, fed in batches.

    Walks hand it pages and go on fetching; it takes every page waiting in
    its queue, stores them in one transaction (one staging per feed) and
    advances each feed's state in that same transaction. A walk's final
    state goes through the same queue, so it never commits before its pages.
    """

    MAX_ROWS = 50_000

    def __init__(self, con: duckdb.DuckDBPyConnection, api_url: str):
        self.con = con
        self.api_url = api_url
        self.lock = asyncio.Lock()
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=256)
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> _Writer:
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
            batch, rows = [item], item.rows
            while rows < self.MAX_ROWS and not self.queue.empty():
                nxt = self.queue.get_nowait()
                if nxt is None:
                    self.queue.put_nowait(None)  # stop after this batch
                    break
                batch.append(nxt)
                rows += nxt.rows
            try:
                results = await self.call(self._write, batch)
            except BaseException as exc:  # every waiting walk learns of it
                for page in batch:
                    if not page.done.done():
                        page.done.set_exception(exc)
                continue
            for page, counts in zip(batch, results, strict=True):
                page.done.set_result(counts)

    async def submit(self, scope: str, source: str, load_id: str, page: Page | None,
                     first_loc: int, rows: list, state: dict, *, fresh: bool = True) -> asyncio.Future:
        """Queue the ``rows`` taken from ``page`` (none: only the state advances); returns its future.

        The writer stores them from the page's body, so the queue holds text,
        not millions of Python objects for the garbage collector to walk.
        """
        done = asyncio.get_running_loop().create_future()
        skip = None  # indexes left out: usually just the row read again
        if page is not None and rows and len(rows) < len(page):
            skip = sorted(set(range(len(page))).difference(o - first_loc for o, _ in rows))
        body = page.body if rows else None
        plain = all(isinstance(r, _Lean) or (isinstance(r, dict) and _FIELDS.issuperset(r)) for _, r in rows)
        await self.queue.put(
            _Page(scope, source, load_id, first_loc, body, skip, len(rows), fresh, plain, state, done)
        )
        return done

    async def call(self, func, *args):
        async with self.lock:
            return await asyncio.to_thread(func, *args)

    def _write(self, batch: list[_Page]) -> list[LoadCounts]:
        """Store the pages of several feeds in one transaction; counts per page.

        Usually every row is new and valid: one INSERT stores the rows of
        every feed (each page names its feed), one look at the stored ids
        checks the whole batch (which matters on a large store with many
        workspaces), and one statement each counts the loads and saves the
        feeds' states: a few statements per batch, whatever the number of
        feeds (each costs milliseconds). When that finds a record to
        reject or an id stored already, or the batch repeats an id (a tie read
        again), the transaction is rolled back and redone the careful way,
        which tells duplicates, conflicts and rejects apart. Incremental walks
        drop the rows at their mark that they know are stored; walks whose
        state predates that knowledge go the careful way directly.
        """
        if _load.FAST_PATH and all(page.fresh for page in batch):
            try:
                return self._transaction(batch, fast=True)
            except NotClean:
                pass
        return self._transaction(batch, fast=False)

    def _transaction(self, batch: list[_Page], *, fast: bool) -> list[LoadCounts]:
        results: list[LoadCounts] = [LoadCounts(p.source, "api") for p in batch]
        groups: dict[tuple[str, str], list[int]] = {}
        for i, page in enumerate(batch):
            if page.rows:
                groups.setdefault((page.source, page.load_id), []).append(i)
        self.con.execute("BEGIN TRANSACTION")
        try:
            if fast:
                by_load = store_clean_batches(self.con, self._clean_inserts(batch, groups))
                stored = [by_load[load_id] for _, load_id in groups]
            else:
                stored = [store_batch(self.con, RawBatch(self._expand([batch[i] for i in members])),
                                      source=source, kind="api", label="offset", workspace=None,
                                      load_id=load_id)
                          for (source, load_id), members in groups.items()]
            for members, counts in zip(groups.values(), stored, strict=True):
                results[members[-1]] = counts
            latest = {page.scope: page.state for page in batch}  # in queue order: the last wins
            self._save_states(self.con, latest)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return results

    def _clean_inserts(self, batch: list[_Page], groups: dict[tuple[str, str], list[int]]) -> list:
        """The fast INSERTs for the pages of ``groups`` (see :func:`store_clean_batches`):
        one straight from the pages whose records are plain, for every feed at
        once; one per feed for the others, from their records split out."""
        inserts = []
        plain = [i for members in groups.values() for i in members if batch[i].plain]
        if plain:
            rows: collections.Counter = collections.Counter()
            for i in plain:
                rows[batch[i].source, batch[i].load_id] += batch[i].rows
            inserts.append((_sql.PAGES_INSERT, {"_pages": _pages_table([batch[i] for i in plain])},
                            [(source, load_id, n) for (source, load_id), n in rows.items()]))
        for (source, load_id), members in groups.items():
            others = [batch[i] for i in members if not batch[i].plain]
            if others:
                inserts.append((_sql.BATCH_INSERT, {"_raw": self._expand(others)},
                                [(source, load_id, None)]))
        return inserts

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
        """A first sync's starting state when the Platform's database file was ingested.

        That file is a snapshot of the whole ``activity_logs`` table, so
        everything of this feed up to its newest row there is stored: the
        walk can stop at that row, like an incremental one. (Other files may
        be partial, so they never set a mark; ``--full`` ignores this.)
        """
        at_mark = self.con.execute(  # the snapshot's newest rows of this feed
            "SELECT id, created_at FROM activity WHERE workspace_id = $ws "
            "AND ($issue IS NULL OR issue_id = $issue OR entity_id = $issue) "
            "AND source IN (SELECT source FROM loads WHERE kind = 'sqlite' AND finished_at IS NOT NULL) "
            "QUALIFY created_at = max(created_at) OVER ()",
            {"ws": workspace_id, "issue": issue_id},
        ).fetchall()
        if not at_mark:
            return {}
        return {"high_water": _iso(at_mark[0][1]), "mark_ids": sorted(i for i, _ in at_mark),
                "seeded_from": "platform database file"}

    def _save_states(self, con: duckdb.DuckDBPyConnection, states: dict[str, dict]) -> None:
        """Each scope's state, in one statement."""
        if not states:
            return
        now = dt.datetime.now(dt.UTC)
        con.execute(
            "INSERT OR REPLACE INTO sync_state VALUES " + ", ".join(["(?, ?, ?, ?)"] * len(states)),
            [x for scope, state in states.items() for x in (self.api_url, scope, json.dumps(state), now)],
        )

    def start_load(self, source: str) -> str:
        load_id = str(uuid.uuid4())
        self.con.execute(
            "INSERT INTO loads (load_id, source, kind, started_at) VALUES (?, ?, 'api', ?)",
            [load_id, source, dt.datetime.now(dt.UTC)],
        )
        return load_id

    def finish_load(self, load_id: str) -> None:
        self.con.execute("UPDATE loads SET finished_at = ? WHERE load_id = ?",
                         [dt.datetime.now(dt.UTC), load_id])

    def replace_dimension(self, table: str, workspace_id: str, rows: list[tuple]) -> None:
        width = {"members": 3, "agents": 4, "issues": 6}[table]
        now = dt.datetime.now(dt.UTC)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"DELETE FROM {table} WHERE workspace_id = ?", [workspace_id])
            if rows:
                marks = ", ".join("?" * (width + 1))
                self.con.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})",
                                     [(*r, now) for r in rows])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def upsert_workspace(self, ws: dict) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO workspaces VALUES (?, ?, ?, ?, ?)",
            [ws["id"], ws.get("name"), ws.get("slug"), self.api_url, dt.datetime.now(dt.UTC)],
        )


@dataclass
class FeedWalk:
    """The pagination strategy of one walk down a newest-first feed.

    :meth:`PlatformClient.pages` drives it like any paginator: :meth:`take`
    (called by the walk for each page) says which rows to store; then
    :meth:`advance` says where the next page starts, or that the walk is done.
    It holds the rules of the module's docstring: stop at the high-water
    mark, re-read a tie cut by the page boundary, jump ahead when resuming an
    interrupted backfill, and read ahead in a backfill (:meth:`ahead`).
    """

    limit: int
    high_water: dt.datetime | None = None
    previous: dict | None = None  # the interrupted walk being resumed
    stored_at_mark: frozenset = frozenset()  # ids at the high-water mark already stored
    offset: int = 0
    top: dt.datetime | None = None
    top_ids: list = field(default_factory=list)  # ids of the first page's rows at its top
    reached: bool = False
    _newer: set = field(default_factory=set)  # ids newer than the previous walk's top
    _jumped: bool = False
    _stamps: list | None = None  # created_at of the last page taken, when parsed
    _page: list = field(default_factory=list)
    read_ahead: int = 0  # pages requested beyond the current one, in a backfill
    _prev_ids: set = field(default_factory=set)  # ids of the page before (read again in part)
    _prev_last: dt.datetime | None = None  # and the created_at of its last row
    _refused: bool = False  # the page just taken was not contiguous: fetch it again
    _sequential: bool = False  # so the next request is not read ahead

    def params(self) -> dict[str, int]:
        return {"limit": self.limit, "offset": self.offset}

    @property
    def reads_ahead(self) -> bool:
        """A backfill past its first page: nothing stops it early, so pages can be
        requested before the one before them has arrived."""
        return (self.read_ahead > 0 and self.limit > self.overlap and self.top is not None
                and self.high_water is None and self.previous is None)

    @property
    def overlap(self) -> int:
        """Rows each page re-reads of the one before, when reading ahead: 10 of 200."""
        return max(1, self.limit // 20)

    def ahead(self) -> list[dict[str, int]]:
        """The requests to send while the current one is awaited: the pages that
        follow it if it is full. Each starts ``overlap`` rows early, so
        :meth:`take` can check that nothing fell between two pages that the
        server may have served in either order."""
        if not self.reads_ahead or self._sequential:
            return []
        step = self.limit - self.overlap
        return [{"limit": self.limit, "offset": self.offset + step * i} for i in range(1, self.read_ahead + 1)]

    def _contiguous(self, page: list) -> bool:
        """Whether a page read ahead joins the one before: it starts inside that
        page, before that page's final run of equal timestamps. Then nothing
        fell between the two, and it holds that run whole, whatever order the
        server gives a tie in each query. Else rows that arrived between the
        two requests may have pushed some past both."""
        if not page or page[0].get("id") not in self._prev_ids or self._prev_last is None:
            return False
        first = _stamp(page[0])
        return first is not None and first > self._prev_last

    @property
    def previous_top(self) -> dt.datetime | None:
        return _ts(self.previous["top"]) if self.previous else None

    def take(self, page: list) -> list[tuple[int, Any]]:
        """Rows of ``page`` to store, as (offset, record); notes what the page shows.

        Timestamps are parsed only where a rule needs them: every row of the
        first page (the walk's top), of an incremental walk (the high-water
        mark) and of a resumed one; otherwise just the page's tail, in
        :meth:`advance`.
        """
        self._page = page
        if getattr(page, "speculative", False) and not self._contiguous(page):
            self._refused = True
            return []
        seen = self._prev_ids  # rows of the page before, read again on purpose: queued already
        if self.top is not None and self.high_water is None and self.previous is None:
            self._stamps = None
            self.reached = False
            return [(self.offset + i, r) for i, r in enumerate(page) if r.get("id") not in seen]
        stamps = self._stamps = [_stamp(r) for r in page]
        known = [s for s in stamps if s is not None]
        if self.top is None and known:
            self.top = max(known)
            self.top_ids = [r.get("id") for r, s in zip(page, stamps, strict=True) if s == self.top]
        hw = self.high_water
        self.reached = hw is not None and any(s < hw for s in known)
        if self.previous_top is not None:
            self._newer.update(r.get("id") for r, s in zip(page, stamps, strict=True)
                               if s and s > self.previous_top)
        return [(self.offset + i, r) for i, (r, s) in enumerate(zip(page, stamps, strict=True))
                if (hw is None or s is None or s > hw
                    or (s == hw and r.get("id") not in self.stored_at_mark))
                and r.get("id") not in seen]

    def mark_state(self, state: dict) -> dict:
        """The high-water mark after a complete walk, and the ids stored at it
        (the next walk re-reads them: they are dropped, not sent to the store)."""
        old = _ts(state.get("high_water"))
        top = max(filter(None, [self.top, old]), default=None)
        ids = set(self.top_ids) if self.top == top else set()
        if old is not None and old == top:
            ids |= set(state.get("mark_ids", []))
        return {"high_water": _iso(top), "mark_ids": sorted(i for i in ids if isinstance(i, str))}

    def _stamp_at(self, i: int) -> dt.datetime | None:
        return self._stamps[i] if self._stamps is not None else _stamp(self._page[i])

    def progress(self, received: int) -> dict:
        """The walk's state after a page of ``received`` rows (stored with the page)."""
        end = self.offset + (0 if self._refused else received)
        covered = end - len(self._newer) if self.previous_top else end
        return {"top": _iso(self.top), "covered": covered}

    def advance(self, page: list) -> bool:
        """Move past the page just taken; False when the walk is complete."""
        self._sequential = self._refused
        if self._refused:  # the same offset again, this time after the page before it
            self._refused = False
            return True
        size = len(self._page)
        if self.reached or size < self.limit:
            return False
        end = self.offset + size
        last = self._stamp_at(size - 1)
        run = 1  # the page's final run of equal timestamps (the feed may go on with it)
        while run < size and last is not None and self._stamp_at(size - 1 - run) == last:
            run += 1
        # the next page starts at that run again (at least the last row), so it holds
        # the run whole even if the server orders a tie differently each time
        next_offset = end - (run if run < size else 0)
        if self.reads_ahead:  # pages read ahead start a few rows further back
            next_offset = min(next_offset, end - self.overlap)
        self._prev_ids = {r.get("id") for r in self._page}
        self._prev_last = last
        known = [s for s in self._stamps if s is not None] if self.previous else []
        if self.previous and not self._jumped and known and min(known) <= self.previous_top:
            # past the interrupted walk's top: jump to where it stopped, shifted by
            # the rows that arrived since (one page early, to be safe)
            target = len(self._newer) + int(self.previous.get("covered", 0)) - self.limit
            next_offset = max(next_offset, target)
            self._jumped = True
        self.offset = next_offset
        return True


async def _walk(client: PlatformClient, writer: _Writer, path: str, scope: str,
                result: ScopeResult, options: SyncOptions, bar, read_ahead: int = 0) -> None:
    """Walk one feed from the top, storing pages as they come; see :class:`FeedWalk`."""
    state = await writer.call(writer.read_state, scope)
    if not state and not options.full:  # a first sync: after a snapshot, only what is newer
        state = await writer.call(writer.snapshot_state, result.workspace_id, result.issue_id)
    high_water = None if options.full else _ts(state.get("high_water"))
    walk = FeedWalk(
        limit=options.page_size, high_water=high_water,
        previous=None if options.full or high_water is not None else state.get("walk"),
        stored_at_mark=frozenset(state.get("mark_ids", [])) if high_water else frozenset(),
        read_ahead=read_ahead,
    )
    source = f"{client.api}{path}"
    load_id = await writer.call(writer.start_load, source)
    pending: list[asyncio.Future] = []
    async with contextlib.aclosing(client.pages(path, walk, _decode_feed)) as pages:  # ends reads ahead
        async for page in pages:
            result.pages += 1
            first_loc = walk.offset
            rows = walk.take(page)
            new_state = {**state, "walk": walk.progress(len(page))}
            pending.append(await writer.submit(scope, source, load_id, page, first_loc, rows, new_state,
                                               fresh=high_water is None or "mark_ids" in state))
            bar.update(len(rows))
            bar.set_postfix(pages=result.pages, refresh=False)
    final = {k: v for k, v in state.items() if k != "walk"}
    final.update(walk.mark_state({} if options.full else state))
    final["last_sync"] = dt.datetime.now(dt.UTC).isoformat()
    pending.append(await writer.submit(scope, source, load_id, None, 0, [], final))  # after its pages
    for counts in await asyncio.gather(*pending):
        result.new_rows += counts.stored
        result.duplicates += counts.duplicates
        result.rejected += counts.rejected + counts.conflicts
    await writer.call(writer.finish_load, load_id)


async def _list_all(client: PlatformClient, path: str) -> list:
    rows: list = []
    async for page in client.pages(path):
        rows.extend(page)
    return rows


async def _dimensions(client: PlatformClient, writer: _Writer, ws: str) -> str | None:
    """Refresh one workspace's members, agents and issues; the error, if any."""
    try:
        members = await client.get_json(f"/workspaces/{ws}/members")
        await writer.call(writer.replace_dimension, "members", ws,
                          [(ws, m.get("user_id"), m.get("role")) for m in members])
        agents = await _list_all(client, f"/workspaces/{ws}/agents/")
        await writer.call(writer.replace_dimension, "agents", ws,
                          [(ws, a.get("id"), a.get("name"), a.get("owner_id")) for a in agents])
        issues = await _list_all(client, f"/workspaces/{ws}/issues/")
        await writer.call(writer.replace_dimension, "issues", ws,
                          [(ws, i.get("id"), i.get("identifier"), i.get("title"), i.get("status"),
                            i.get("priority")) for i in issues])
    except ApiError as exc:
        return str(exc)
    return None


async def _sync(api: str, db: str, workspaces: list[str] | None, issues: list[str] | None,
                credentials: Credentials, options: SyncOptions, lock_timeout: float) -> SyncResult:
    result = SyncResult(api.rstrip("/"), db)
    async with PlatformClient(api, credentials, options.client) as client:
        with connect(db, read_only=False, lock_timeout=lock_timeout) as con:
            # Checkpoint when the WAL reaches 1 GB, not 16 MB: a sync commits often,
            # and each checkpoint rewrites the table's last row group (1M events
            # on the stub: 14.5 -> 11.7 s). A crash still loses nothing committed.
            con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
            async with _Writer(con, client.base_url) as writer:
                return await _sync_feeds(client, writer, workspaces, issues, options, result)


async def _sync_feeds(client: PlatformClient, writer: _Writer, workspaces: list[str] | None,
                      issues: list[str] | None, options: SyncOptions, result: SyncResult) -> SyncResult:
    listed = await _list_all(client, "/workspaces/")
    for ws in listed:
        await writer.call(writer.upsert_workspace, ws)
    targets = workspaces or [w["id"] for w in listed]
    if issues and len(targets) != 1:
        raise InputError("--issue needs exactly one --workspace (the issues' workspace)")
    feeds = ([(f"issue:{targets[0]}/{i}", targets[0], i) for i in issues] if issues
             else [(f"workspace:{w}", w, None) for w in targets])
    names = {w["id"]: w.get("name") or w["id"] for w in listed}
    slots = list(range(max(1, options.client.concurrency)))  # terminal lines for the bars
    ahead = options.pages_ahead(len(feeds))
    gate = asyncio.Semaphore(len(slots))

    async def one(scope: str, ws: str, issue: str | None) -> ScopeResult:
        done = ScopeResult(scope, ws, issue)
        path = f"/workspaces/{ws}/issues/{issue}/activity" if issue else f"/workspaces/{ws}/activity"
        async with gate:
            slot = slots.pop(0)
            label = names.get(ws, ws)[:24] + (f" / {issue[:8]}" if issue else "")
            with client.tally() as tally:
                # a workspace's dimension tables are fetched while its activity is walked
                dims = asyncio.create_task(_dimensions(client, writer, ws)) if issue is None else None
                try:
                    with progress_bar(total=None, desc=label, enabled=options.progress, unit=" rows",
                                      position=slot) as bar:
                        await _walk(client, writer, path, scope, done, options, bar, ahead)
                except AuthError:
                    raise
                except ApiError as exc:  # 403 and the like: this feed only
                    done.error = str(exc)
                finally:
                    slots.append(slot)
                    dims_error = await dims if dims else None
                    done.requests, done.retries = tally.requests, tally.retries
            if dims_error and not done.error:  # a feed that failed says why once
                result.dimension_errors.append(dims_error)
        return done

    result.scopes = list(await asyncio.gather(*(one(*f) for f in feeds)))
    result.requests, result.retries = client.requests, client.retries
    return result


def _run(coro):
    """asyncio.run, also from inside a running loop (Jupyter): then in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def sync(
    api: str,
    db: str | os.PathLike[str],
    *,
    workspaces: list[str] | None = None,
    issues: list[str] | None = None,
    full: bool = False,
    credentials: Credentials | None = None,
    options: SyncOptions | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> SyncResult:
    """Pull activity from the Platform's API at ``api`` into the store at ``db``.

    By default every workspace the account can list; or the ``workspaces``
    named, or the ``issues`` of one named workspace. The first run pulls
    everything; later runs only what is new (usually one request per
    workspace); ``full`` re-walks everything and repairs any gap. Also keeps
    the workspaces, members, agents and issues tables. Credentials come from
    the environment unless given (see :class:`Credentials`). Works in a
    script and in a notebook cell alike. A workspace the account may not
    read is reported in the result and skipped; a rejected token raises
    :class:`AuthError`.
    """
    credentials = credentials or Credentials.from_env()
    options = dataclasses.replace(options or SyncOptions(), full=full or (options is not None and options.full))
    if not 1 <= options.page_size <= PAGE_LIMIT:
        raise InputError(f"page size must be 1..{PAGE_LIMIT}")
    if options.read_ahead is not None and not 0 <= options.read_ahead <= 8:
        raise InputError("read-ahead must be 0..8 pages")
    return _run(_sync(api, os.fspath(db), workspaces, issues, credentials, options, lock_timeout))
