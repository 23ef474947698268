"""The walk down a newest-first feed: decoding its pages, and the pagination strategy.

The activity feed is newest first, paged by offset, with no cursor, no total
and no tie-breaker. :class:`FeedWalk` is the pagination strategy of one walk
(a workspace's or an issue's feed); :meth:`PlatformClient.pages` drives it:

* Pages of 200 from offset 0. New rows arriving meanwhile push older rows
  down, so a later page repeats rows (harmless: ids are unique in the store)
  but never skips one (the feed has no deletions).
* Each next request starts at the page's final run of rows sharing one
  ``created_at`` again (at least its last row: the feed may go on with the
  same time), so a tie that straddles the boundary is read whole even if
  the server orders it anew for each query (SQLite keeps ties in insertion
  order; other databases need not). Rows read again are dropped by id.
* A run of equal ``created_at`` longer than a page cannot be read in one
  query. Where the server orders a tie anew for each query (PostgreSQL does;
  SQLite keeps insertion order), offset pages over it skip and repeat rows.
  So the walk counts the run's positions and the ids it got (:class:`TieRun`);
  when they differ it reads the run again (a sweep) until it has every row,
  at most :data:`MAX_SWEEPS` times, then says in one line how many rows share
  that time and how many it got (:attr:`FeedWalk.warnings`).
* Incremental: rows older than the high-water mark are stored already; the
  walk stops at the first page that reaches them. With little new activity
  that is one request per workspace.
* A backfill reads ahead (:meth:`FeedWalk.ahead`): while it awaits a page it
  already asks for the next few (the server scans to each offset, so a few
  at once go faster: 5-25% against the real server, see docs/sync.md). The
  server may answer them in any order, and rows arriving in between could
  then fall between two pages, so each such page starts a few rows inside
  the page before it, and is asked again unless it starts inside that page
  (by id) and before that page's final run of equal timestamps.
* The high-water mark moves only when a walk completes, to the newest
  ``created_at`` seen at the walk's start (:meth:`FeedWalk.mark_state`); an
  interrupted first backfill resumes where it stopped (after re-reading the
  rows that arrived since), and an interrupted incremental walk simply
  starts again from the top.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson

from .._sql import ingest as _sql
from .._time import parse_ts


class _LeanBase(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A feed record decoded lean: the strings of the activity shape are
    strings (or null where optional), its objects are left raw JSON, and no
    field is unknown. Such pages may take the writer's fast path (which
    still applies every record rule). Dict-like enough for the walk (``get``)."""

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


Lean = msgspec.defstruct(
    "Lean",
    [(f, str) for f in _sql.ACTIVITY.required]
    + [(f, str | None, None) for f in _sql.ACTIVITY.optional]
    + [(f, msgspec.Raw, msgspec.UNSET) for f in _sql.ACTIVITY.objects],
    bases=(_LeanBase,), forbid_unknown_fields=True, kw_only=True,
)
_LEAN_PAGE = msgspec.json.Decoder(list[Lean])


def decode_feed(body: bytes) -> list:
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


def _id(record: Any) -> str | None:
    """A record's id, or None when it has no string id (the writer rejects it)."""
    value = record.get("id") if isinstance(record, dict | Lean) else None
    return value if isinstance(value, str) else None


def _stamp(record: Any) -> dt.datetime | None:
    return parse_ts(record.get("created_at")) if isinstance(record, dict | Lean) else None


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


#: pages of a long tie read again, in units of the tie's length in pages, before
#: the walk gives up on it and says so (where a server gives a random share of a
#: tie per query, each page of 100 of 450 tied rows finds about 22% of those still
#: lacking: 60 pages leave one lacking in about 1 run of 12; where its order is
#: stable, none are lacking). It also gives up after 4 times the tie's pages (and
#: 10) in a row that brought nothing new.
MAX_SWEEPS = 20


@dataclass
class TieRun:
    """A run of rows sharing one ``created_at`` that fills a whole page."""

    at: dt.datetime
    start: int  # the offset of its first row when first seen
    ids: set = field(default_factory=set)
    length: int = 0  # its positions, counted by the pass that saw its end
    sweeping: bool = False  # reading it again
    reads: int = 0  # pages read again
    idle: int = 0  # of them, the last ones that gave no new row
    before: int = 0  # ids held before the last read
    resume: int = 0  # where the walk goes on after it
    ends_walk: bool = False

    def warning(self) -> str:
        return (f"up to {self.length} rows share created_at {self.at.isoformat()} (rows arriving "
                f"during the walk add to that count); the server gave {len(self.ids)} of them, "
                f"also over {self.reads} pages read again: where its order among equal times "
                "changes between queries (PostgreSQL), offset pages skip some, and "
                "`activity-analytics ingest postgresql://USER@HOST/DB` reads them exactly")


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
    tie: TieRun | None = None  # a run of one created_at longer than a page, being read
    #: what the walk could not be sure of (a long tie it could not read whole)
    warnings: list = field(default_factory=list)

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
        if not self.reads_ahead or self._sequential or self.tie is not None:
            return []
        step = self.limit - self.overlap
        return [{"limit": self.limit, "offset": self.offset + step * i} for i in range(1, self.read_ahead + 1)]

    def _contiguous(self, page: list) -> bool:
        """Whether a page read ahead joins the one before: it starts inside that
        page, before that page's final run of equal timestamps. Then nothing
        fell between the two, and it holds that run whole, whatever order the
        server gives a tie in each query. Else rows that arrived between the
        two requests may have pushed some past both."""
        if not page or _id(page[0]) not in self._prev_ids or self._prev_last is None:
            return False
        first = _stamp(page[0])
        return first is not None and first > self._prev_last

    @property
    def previous_top(self) -> dt.datetime | None:
        return parse_ts(self.previous["top"]) if self.previous else None

    def take(self, page: list) -> list[tuple[int, Any]]:
        """Rows of ``page`` to store, as (offset, record); notes what the page shows.

        Timestamps are parsed only where a rule needs them: every row of the
        first page (the walk's top), of an incremental walk (the high-water
        mark) and of a resumed one; otherwise just the page's tail, in
        :meth:`advance`.
        """
        self._page = page
        if self.tie is not None and self.tie.sweeping:
            return self._take_sweep(page)
        if getattr(page, "speculative", False) and not self._contiguous(page):
            self._refused = True
            return []
        seen = self._prev_ids  # rows of the page before, read again on purpose: queued already
        if self.top is not None and self.high_water is None and self.previous is None:
            self._stamps = None
            self.reached = False
            return [(self.offset + i, r) for i, r in enumerate(page) if _id(r) not in seen]
        stamps = self._stamps = [_stamp(r) for r in page]
        known = [s for s in stamps if s is not None]
        if self.top is None and known:
            self.top = max(known)
            self.top_ids = [_id(r) for r, s in zip(page, stamps, strict=True) if s == self.top]
        hw = self.high_water
        self.reached = hw is not None and any(s < hw for s in known)
        if self.previous_top is not None:
            self._newer.update(_id(r) for r, s in zip(page, stamps, strict=True)
                               if s and s > self.previous_top)
        return [(self.offset + i, r) for i, (r, s) in enumerate(zip(page, stamps, strict=True))
                if (hw is None or s is None or s > hw
                    or (s == hw and _id(r) not in self.stored_at_mark))
                and _id(r) not in seen]

    def _take_sweep(self, page: list) -> list[tuple[int, Any]]:
        """In a sweep: only the run's rows not held yet."""
        tie = self.tie
        stamps = self._stamps = [_stamp(r) for r in page]
        hw = self.high_water
        rows = [(self.offset + i, r) for i, (r, s) in enumerate(zip(page, stamps, strict=True))
                if s == tie.at and _id(r) not in tie.ids
                and (hw is None or s > hw or _id(r) not in self.stored_at_mark)]
        tie.ids.update(_id(r) for _, r in rows)
        return rows

    def _follow_tie(self, size: int, next_offset: int, *, ends: bool) -> bool:
        """Note a run of one timestamp longer than a page; at its end, sweep it
        again when the ids got are fewer than its positions. True: a sweep starts."""
        first, last = self._stamp_at(0), self._stamp_at(size - 1)
        if self.tie is None:
            if size < self.limit or first is None or first != last:
                return False
            if self.high_water is not None and first <= self.high_water:
                return False  # stored by an earlier walk, which read (or said) what it could
            self.tie = TieRun(first, self.offset)
        tie = self.tie
        at_tie = [i for i in range(size) if self._stamp_at(i) == tie.at]
        tie.ids.update(_id(self._page[i]) for i in at_tie)
        if last == tie.at and not ends:
            return False  # the run goes on in the next page
        tie.length = self.offset + (at_tie[-1] + 1 if at_tie else 0) - tie.start
        if tie.at == self.top:
            self.top_ids = sorted(i for i in tie.ids if isinstance(i, str))
        if len(tie.ids) >= tie.length:
            self.tie = None
            return False
        tie.resume, tie.ends_walk = next_offset, ends
        self._start_sweep()
        return True

    def _start_sweep(self) -> None:
        self.tie.sweeping = True
        self._place_read()

    def _place_read(self) -> None:
        """The next page of the tie to read again: a full page, ending each time at
        another place between the run's first page and a little past its end. A
        server that sorts with a bounded heap (PostgreSQL's top-N sort, for
        LIMIT + OFFSET) orders a tie by that bound, and keeps of a tie it cuts
        only the rows it scanned first; so the same pages again would show the
        same rows, and only pages ending at or past the run's end show the rows
        scanned last."""
        tie = self.tie
        span = tie.length + self.limit // 2 - self.limit + 1
        end = tie.start + self.limit + (tie.reads * 7919) % max(1, span)
        if tie.reads % 2:  # every other read ends at or just past the run's end
            end = tie.start + tie.length + (tie.reads // 2) % max(1, self.limit // 4)
        self.offset = max(tie.start, end - self.limit)

    def _advance_sweep(self) -> bool:
        tie = self.tie
        tie.reads += 1
        tie.idle = 0 if len(tie.ids) > tie.before else tie.idle + 1
        tie.before = len(tie.ids)
        pages = -(-tie.length // self.limit)
        if len(tie.ids) < tie.length and tie.reads < MAX_SWEEPS * pages and tie.idle < 4 * pages + 10:
            self._place_read()
            return True
        if len(tie.ids) < tie.length:
            self.warnings.append(tie.warning())
        if tie.at == self.top:
            self.top_ids = sorted(i for i in tie.ids if isinstance(i, str))
        self.offset, ends = tie.resume, tie.ends_walk
        self.tie = None
        return not ends

    def mark_state(self, state: dict) -> dict:
        """The high-water mark after a complete walk, and the ids stored at it
        (the next walk re-reads them: they are dropped, not sent to the store)."""
        old = parse_ts(state.get("high_water"))
        top = max(filter(None, [self.top, old]), default=None)
        ids = set(self.top_ids) if self.top == top else set()
        if old is not None and old == top:
            ids |= set(state.get("mark_ids", []))
        return {"high_water": iso(top), "mark_ids": sorted(i for i in ids if isinstance(i, str))}

    def _stamp_at(self, i: int) -> dt.datetime | None:
        return self._stamps[i] if self._stamps is not None else _stamp(self._page[i])

    def progress(self, received: int) -> dict:
        """The walk's state after a page of ``received`` rows (stored with the page)."""
        end = self.offset + (0 if self._refused else received)
        covered = end - len(self._newer) if self.previous_top else end
        return {"top": iso(self.top), "covered": covered}

    def advance(self, page: list) -> bool:
        """Move past the page just taken; False when the walk is complete."""
        self._sequential = self._refused
        if self._refused:  # the same offset again, this time after the page before it
            self._refused = False
            return True
        if self.tie is not None and self.tie.sweeping:
            return self._advance_sweep()
        size = len(self._page)
        if self.reached or size < self.limit:
            return bool(size) and self._follow_tie(size, 0, ends=True)
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
        self._prev_ids = {_id(r) for r in self._page}
        self._prev_last = last
        known = [s for s in self._stamps if s is not None] if self.previous else []
        if self.previous and not self._jumped and known and min(known) <= self.previous_top:
            # past the interrupted walk's top: jump to where it stopped, shifted by
            # the rows that arrived since (one page early, to be safe)
            target = len(self._newer) + int(self.previous.get("covered", 0)) - self.limit
            next_offset = max(next_offset, target)
            self._jumped = True
        if not self._follow_tie(size, next_offset, ends=False):
            self.offset = next_offset
        return True
