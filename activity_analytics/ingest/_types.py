"""What sources hand the load stage, and what it hands back: the vocabulary of
both layers, so that neither imports the other (see ``_core``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import datetime as dt

    import pyarrow as pa

#: how much of a rejected record is kept in ``rejects.raw``
RAW_KEEP = 4096


def raw_schema() -> pa.Schema:
    """The columns of a raw batch: ``loc`` (line, element, row or page offset),
    ``text`` (the record's JSON text) and ``blank`` (a blank line: no record)."""
    import pyarrow as pa

    return pa.schema([("loc", pa.int64()), ("text", pa.string()), ("blank", pa.bool_())])


@dataclass
class RawBatch:
    """One batch of raw records from a source (see :func:`raw_schema`)."""

    table: pa.Table
    #: (loc, reason, raw text) of records rejected before parsing
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    #: bytes of the input consumed so far (for progress)
    position: int = 0


class TraceFile(Protocol):
    """A replay trace file as the load stage needs it (``_files.Source`` is one)."""

    name: str

    def size(self) -> int: ...

    def batches(self) -> Iterator[RawBatch]: ...


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
    #: trace runs stored before under the same run id, replaced by this input
    runs_replaced: int = 0

    def add(self, other: LoadCounts) -> None:
        self.records += other.records
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.conflicts += other.conflicts
        self.rejected += other.rejected
        self.runs_replaced += other.runs_replaced


class FileInput(Protocol):
    """A file as the load stage needs it (``_files.Source`` is one)."""

    path: Any
    kind: str
    gzipped: bool

    def locate(self, rejected: dict[int, str], records: int) -> list[tuple[int, str, str]] | None:
        """(location, reason, text) of the ``rejected`` records (numbered as
        DuckDB's reader does), or None if the file holds other than ``records``."""


@dataclass
class DatabaseLoad:
    """A load of a Platform database under way (see :func:`begin_database`)."""

    name: str
    kind: str
    load_id: str
    mark: dt.datetime | None  # the last complete load's high-water mark
    since: dt.datetime | None  # where this one reads from: the mark less the overlap
    reread: pa.Table  # ids of the overlap stored already, or rejected before


def plain_columns(schema: pa.Schema) -> bool:
    """Whether the load stage's fast road can take these columns as they are: the string
    fields strings, the timestamp a timestamp (others go the careful way, which
    tells a number where a string should be from a string)."""
    import pyarrow as pa

    from .._sql.ingest import ACTIVITY

    for name in schema.names:
        kind = schema.field(name).type
        if name == ACTIVITY.timestamp:
            ok = pa.types.is_timestamp(kind)
        elif name in ACTIVITY.objects:
            ok = isinstance(kind, pa.BaseExtensionType) or pa.types.is_string(kind)
        else:
            ok = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if not ok:
            return False
    return True


def cancelled(exc: BaseException) -> bool:
    """Whether a read failed because the driver cancelled the query on Ctrl-C."""
    return "canceling statement due to user request" in str(exc)


@dataclass(frozen=True)
class Feed:
    """One API feed being walked, as the load stage stores it."""

    scope: str  # ``workspace:<id>`` or ``issue:<ws>/<id>``: the key of its sync state
    source: str  # the feed's URL, recorded as the rows' source
    workspace: str  # the feed's workspace: fills a missing workspace_id, rejects another
    load_id: str
    fresh: bool  # its rows are most likely new (a backfill, or a walk that drops what it stored)


@dataclass
class FeedPage:
    """Records of one API page to store, and the feed state they advance."""

    feed: Feed
    first_loc: int  # the page's offset in its feed
    body: bytes | None  # the page's JSON text, as received
    skip: list[int] | None  # indexes of the records not to store (usually few); None: none
    rows: int  # how many records that is
    lean: bool  # every record decoded lean (objects of known fields, strings where due)
    state: dict
    done: Any = None  # the sync's future of its counts; None: a page read back from the spool
    final: bool = False  # the walk's last word: its load is finished with this state

    def to_spool(self) -> dict:
        """The page as JSON values, for the spool."""
        body = None if self.body is None else self.body.decode(errors="surrogateescape")
        return {"scope": self.feed.scope, "source": self.feed.source, "workspace": self.feed.workspace,
                "load_id": self.feed.load_id, "fresh": self.feed.fresh, "first_loc": self.first_loc,
                "body": body, "skip": self.skip, "rows": self.rows, "lean": self.lean,
                "state": self.state, "final": self.final}

    @classmethod
    def from_spool(cls, d: dict) -> FeedPage:
        feed = Feed(d["scope"], d["source"], d["workspace"], d["load_id"], d["fresh"])
        body = None if d["body"] is None else d["body"].encode(errors="surrogateescape")
        return cls(feed, d["first_loc"], body, d["skip"], d["rows"], d["lean"], d["state"], None,
                   d["final"])

    @staticmethod
    def table(pages: list[FeedPage]) -> pa.Table:
        """Pages as DuckDB reads them: first_loc, body (the JSON text), skip (indexes
        or null), source (the feed's URL), workspace (the feed's)."""
        import pyarrow as pa

        return pa.table({
            "first_loc": pa.array([p.first_loc for p in pages], pa.int64()),
            "body": pa.array([p.body for p in pages], pa.binary()).cast(pa.string()),
            "skip": pa.array([p.skip for p in pages], pa.list_(pa.int32())),
            "source": pa.array([p.feed.source for p in pages], pa.string()),
            "workspace": pa.array([p.feed.workspace for p in pages], pa.string()),
        })
