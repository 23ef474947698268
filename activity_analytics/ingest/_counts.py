"""What an input contributed, and how that is written to its ``loads`` row."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from .._sql import ingest as _sql


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


def count_loads(con, items: list[tuple[LoadCounts, str]]) -> None:
    """Add ``counts`` to each load's row, in one statement (each load_id once)."""
    if items:
        con.execute(_sql.count_loads(len(items)),
                    [x for counts, load_id in items
                     for x in (load_id, counts.records, counts.stored, counts.duplicates,
                               counts.conflicts, counts.rejected)])


def early_rejects(con, batch, params) -> None:
    """Records rejected before parsing (invalid UTF-8, over-long lines)."""
    early = pa.table(
        {
            "loc": [r[0] for r in batch.rejects],
            "reason": [r[1] for r in batch.rejects],
            "raw": [r[2] for r in batch.rejects],
        }
    )
    con.register("_early", early)
    try:
        con.execute(_sql.INSERT_EARLY_REJECTS, params)
    finally:
        con.unregister("_early")
