"""Defaults and choices shared by the commands and the functions behind them.

Imports nothing heavy (no DuckDB, Polars, NumPy or HTTP), so the command
line can show its help and parse its options before loading any of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

#: seconds a command waits for another process to release the store
DEFAULT_LOCK_TIMEOUT = 30.0

#: seconds a sync leaves the store free between two write windows (each one
#: batch), so that readers polling for it get their turn
WRITE_PAUSE = 0.2

#: how far before its last high-water mark a database load reads again: a row
#: can commit after a newer one was read (each transaction sets its own
#: created_at). Rows of the overlap stored already are dropped, not counted.
DB_OVERLAP = dt.timedelta(minutes=5)

#: the DuckDB storage format new stores are written in, named as DuckDB names it:
#: the oldest DuckDB that opens the file. ``v1.4.0`` opens in DuckDB 1.4 LTS, 1.5
#: and 2.x (the CLIs, DBeaver drivers, R and Node clients analysts still have).
#: ``$ACTIVITY_STORAGE_VERSION`` (or ``migrate --storage-version``) raises it,
#: e.g. to ``v2.0.0`` where every client is 2.x.
DEFAULT_STORAGE_VERSION = "v1.4.0"
#: the storage versions a store may be kept in: the formats of DuckDB 1.4, 1.5
#: and 2.0, each tested with clients of its own line and newer
STORAGE_VERSIONS = ("v1.4.0", "v1.5.0", "v2.0.0")


def opens_in(storage_version: str) -> str:
    """Who can open a file of that storage version, for people.

    >>> opens_in("v1.4.0")
    'opens in DuckDB 1.4 and later'
    """
    return f"opens in DuckDB {storage_version.lstrip('v').rsplit('.', 1)[0]} and later"

#: output formats of the commands that print a table
FORMATS = ("table", "csv", "json")

#: what an actor mark may say an actor is
MARK_TYPES = ("agent", "user")

_PACKAGE = Path(__file__).resolve().parent
#: the bundled sample (inside the package: the wheel ships it) and its agents' marks
SAMPLE_DIR = _PACKAGE / "_data" / "sample"
#: the report and the analyst's notebooks (the repository's notebooks/ links here)
NOTEBOOKS = _PACKAGE / "_notebooks"
#: where ``demo`` keeps its store unless told otherwise: the current folder
DEMO_DB = Path("activity-demo.duckdb")

#: the generated sample's first day (a Monday)
START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


@dataclass(frozen=True)
class SampleSpec:
    """Shape of the generated activity. ``scale`` multiplies every rate."""

    seed: int = 7
    days: int = 21
    workspaces: int = 3
    people_per_workspace: int = 5
    steady_agents_per_workspace: int = 1
    batch_agents_per_workspace: int = 1
    scale: float = 1.0
    start: dt.datetime = START
    #: ordinary behaviour beyond office hours (see ``_sample.FAMILIES``); "office" is the plain one
    family: str = "office"
