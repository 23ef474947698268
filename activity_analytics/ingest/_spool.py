"""The spool: what a sync fetched while the store stayed locked, kept beside it.

When another process holds the store past ``--lock-timeout`` (a DuckDB CLI
left open, a notebook's own ``duckdb.connect``), the sync writes each batch
it could not store to ``<store>.spool/`` instead, and exits 75 ("try again
later"). Each file is one batch, as the writer would have stored it: the
pages' JSON text as received, which records of them to keep, and each feed's
state, so loading it later is the very write that was put off, through the
same record rules.

A file is written under a temporary name, fsynced and renamed: it is there
whole or not at all. The next write of any kind (``sync``, ``ingest``) loads
the spool first, oldest file first, each in one transaction that also
records the file in ``loads`` (``load_id`` ``spool:<file name>``); a file
found recorded there was loaded already (a kill came between the commit and
the file's removal) and is only removed. So every spooled row is stored
exactly once. The folder, once empty, goes too.
"""

from __future__ import annotations

import errno
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._store import fsync_dir
from . import _core
from ._types import FeedPage, LoadCounts

SUFFIX = ".jsonl"


def folder(db: str | os.PathLike[str]) -> Path:
    """The spool beside the store ``db``."""
    return Path(f"{os.fspath(db)}.spool")


@dataclass(frozen=True)
class SpoolFile:
    path: Path
    rows: int

    @property
    def load_id(self) -> str:
        return f"spool:{self.path.name}"


def waiting(db: str | os.PathLike[str]) -> list[SpoolFile]:
    """The spool's complete files, oldest first (a file being written is not one)."""
    spool = folder(db)
    if not spool.is_dir():
        return []
    files = []
    for path in sorted(spool.glob(f"*{SUFFIX}")):
        try:
            rows = int(path.name.split("-")[1])
        except (IndexError, ValueError):
            continue  # not ours
        files.append(SpoolFile(path, rows))
    return files


def write(db: str | os.PathLike[str], api_url: str, pages: list[dict]) -> SpoolFile:
    """Keep one batch of ``pages`` (dicts of JSON values) durably; returns its file."""
    spool = folder(db)
    rows = sum(page["rows"] for page in pages)
    name = f"{time.time_ns():020d}-{rows}-{uuid.uuid4().hex[:12]}{SUFFIX}"
    tmp = spool / f".{name}.tmp"
    for _ in range(3):  # a loader may remove the folder, empty, between mkdir and open
        spool.mkdir(exist_ok=True)
        try:
            fh = open(tmp, "w", encoding="utf-8")
            break
        except FileNotFoundError:
            continue
    else:
        raise FileNotFoundError(errno.ENOENT, "the spool folder keeps disappearing", str(spool))
    with fh:
        for page in pages:
            fh.write(json.dumps({"api_url": api_url, **page}) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, spool / name)
    fsync_dir(spool)
    return SpoolFile(spool / name, rows)


def read(spooled: SpoolFile) -> list[dict]:
    """The pages of one spool file, in the order they were written."""
    with open(spooled.path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def remove(spooled: SpoolFile) -> None:
    spooled.path.unlink(missing_ok=True)
    for stale in spooled.path.parent.glob(".*.tmp"):  # a write killed half-way: never a file
        if time.time() - stale.stat().st_mtime > 3600:
            stale.unlink(missing_ok=True)


def tidy(db: str | os.PathLike[str]) -> None:
    """Remove the spool folder if it is empty. Only ever an empty one: a sync
    spooling meanwhile has its file there (or makes the folder again)."""
    try:
        os.rmdir(folder(db))
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST):  # EEXIST: ENOTEMPTY elsewhere
            raise


def keep(db: str | os.PathLike[str], api_url: str, batch: list[FeedPage]) -> list[LoadCounts]:
    """Keep a sync's ``batch`` for the next write (:func:`drain`); nothing stored yet."""
    write(db, api_url, [page.to_spool() for page in batch])
    return [LoadCounts(page.feed.source, "api") for page in batch]


def drain(con, db: str, report: Callable[[int], object] | None = None) -> int:
    """Store what earlier syncs kept (through the load stage), each file in one
    transaction that records it in ``loads``, then remove it (and the folder,
    once empty); returns the rows read. ``report`` is told each file's rows."""
    rows = 0
    for spooled in waiting(db):
        if not con.execute("SELECT 1 FROM loads WHERE load_id = ?", [spooled.load_id]).fetchall():
            pages = read(spooled)
            _core.store_pages(con, [FeedPage.from_spool(d) for d in pages], pages[0]["api_url"],
                              lambda s=spooled: _core.record_spool(con, s.load_id, str(s.path), s.rows))
            rows += spooled.rows
        remove(spooled)
        if report is not None:
            report(spooled.rows)
    tidy(db)
    return rows
