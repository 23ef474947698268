"""The sync's queue to the store: pages in, one write window per batch.

Walks hand it pages and go on fetching. It takes every page waiting in its
queue and has the load stage store them in one transaction with each feed's
state (``_core.store_pages``), so the state never runs ahead of the rows it
covers; while the store stays locked, batches go to the spool instead
(``_spool.keep``). It is an orchestrator: everything it writes, the
load stage writes.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from .._defaults import DEFAULT_LOCK_TIMEOUT, WRITE_PAUSE
from .._errors import InputError, StoreLockedError
from .._lazy import lazy_module
from .._store import connect
from . import _core, _spool
from ._api import Page
from ._types import Feed, FeedPage, LoadCounts

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio")


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

    def _write_or_spool(self, batch: list[FeedPage]) -> list[LoadCounts]:
        """Store the batch in a write window; once the store stayed locked past the
        timeout, keep this batch and every later one in the spool instead."""
        if self.locked is None:
            try:
                return self._in_window(self._write, batch)
            except StoreLockedError as exc:
                self.locked = exc
        return _spool.keep(self.db, self.api_url, batch)

    def _write(self, con, batch: list[FeedPage]) -> list[LoadCounts]:
        return _core.store_pages(con, batch, self.api_url)

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
        from ._walk import Lean  # (msgspec: loaded for a sync only)

        lean = all(isinstance(r, Lean) for _, r in rows)
        await self.queue.put(FeedPage(feed, first_loc, body, skip, len(rows), lean, state, done, final))
        return done

    async def call(self, func, *args):
        """Run ``func(con, *args)`` in a worker thread inside a write window; once
        the store stayed locked, raise :class:`StoreLockedError` at once."""
        async with self.lock:
            if self.locked is not None:
                raise self.locked
            return await asyncio.to_thread(self._in_window, func, *args)

    async def read(self, func, *args):
        """Run ``func(con, *args)`` with the store open read-only: beside a reader's
        session, a sync can still learn where its feeds stand."""
        async with self.lock:
            return await asyncio.to_thread(self._in_window, func, *args, read_only=True)

    def _in_window(self, func, *args, read_only: bool = False):
        try:
            with connect(self.db, read_only=read_only, lock_timeout=self.lock_timeout) as con:
                return func(con, *args)
        finally:
            self.closed_at = time.monotonic()


def _batch_rows(default: int) -> int:
    """``$ACTIVITY_WRITE_BATCH`` (rows in one write window), else ``default``."""
    given = os.environ.get("ACTIVITY_WRITE_BATCH")
    if not given:
        return default
    if not given.isdigit() or int(given) < 1:
        raise InputError(f"bad ACTIVITY_WRITE_BATCH {given!r}: a number of rows, e.g. 50000")
    return int(given)
