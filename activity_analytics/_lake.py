"""Export the store as a Hive-partitioned Parquet lake, incrementally.

Layout of ``DIR``::

    activity/workspace=<id>/day=<YYYY-MM-DD>/part-<export>-<n>.parquet
    actor_marks/actor_marks.parquet
    _activity_analytics.json        # what has been exported (the lake's own state)

Every Parquet file of ``activity`` holds all columns of the ``activity``
table (``workspace_id`` included; ``details``/``extra`` as JSON text,
``created_at``/``ingested_at`` as UTC timestamps), so DuckDB, Polars, Spark
and Trino read it without this package; ``workspace`` and ``day`` are the
partition keys (``__HIVE_DEFAULT_PARTITION__`` for a null workspace).

Incremental: the state file records the highest ``ingested_at`` exported and
how many rows lie at or below it. An export writes the rows stored since,
and first checks that count: rows that appeared below the mark (a clock set
back between two loads) are found by id in the lake and exported too, so
nothing is missed and nothing is written twice. Each new file is written
under a staging folder, then moved into its partition with one atomic
rename; the state file is replaced last. An export killed midway leaves
files named after its export number, which the next export deletes before
it moves its own (a superset of them) into place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from ._errors import InputError
from ._progress import progress_bar, watch_query
from ._store import DEFAULT_LOCK_TIMEOUT, connect

STATE_FILE = "_activity_analytics.json"
LAKE_FORMAT = 1
_COLUMNS = (
    "id, workspace_id, issue_id, entity_type, entity_id, actor_type, actor_type_raw, actor_id, "
    "action, details::VARCHAR AS details, extra::VARCHAR AS extra, created_at, source, ingested_at"
)


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` did: ``rows`` new rows in ``files`` files over
    ``partitions`` partitions; ``total_rows`` in the lake afterwards."""

    lake: str
    rows: int
    files: int
    partitions: int
    total_rows: int
    repaired: int
    seconds: float

    def summary(self) -> str:
        extra = f" ({self.repaired} found below the previous mark)" if self.repaired else ""
        return (f"{self.lake}: exported {self.rows} new rows{extra} in {self.files} files, "
                f"{self.partitions} partitions; {self.total_rows} rows in the lake")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _read_state(lake: Path) -> dict:
    path = lake / STATE_FILE
    if not path.exists():
        if any((lake / "activity").glob("*/*/*.parquet")):
            raise InputError(f"{lake}: has activity files but no {STATE_FILE}; "
                             "export into an empty folder or a lake made by this command")
        return {"format": LAKE_FORMAT, "exports": 0, "rows": 0, "high_water_us": None}
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable lake state ({exc})") from exc
    if state.get("format") != LAKE_FORMAT:
        raise InputError(f"{path}: lake format {state.get('format')!r}, this package writes {LAKE_FORMAT}")
    return state


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def export(
    db: str | os.PathLike[str],
    lake: str | os.PathLike[str],
    *,
    progress: bool | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> ExportResult:
    """Write what is new in the store to the Parquet lake ``lake``; see the module docstring.

    ``progress``: a bar of rows written (default: only on a terminal or in Jupyter).

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> db = aa.demo(tmp / "d.duckdb", progress=False).status.db
    >>> aa.export(db, tmp / "lake").rows == aa.sql(db, "SELECT count(*) FROM activity").item()
    True
    >>> aa.export(db, tmp / "lake").rows   # nothing new: nothing written
    0
    """
    started = time.perf_counter()
    root = Path(lake)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{root}: cannot create the lake folder ({exc.strerror or exc})") from exc
    state = _read_state(root)
    seq = int(state["exports"]) + 1
    prev = state["high_water_us"]
    staging = root / f"_staging-{seq:06d}"
    shutil.rmtree(staging, ignore_errors=True)
    with connect(db, read_only=True, lock_timeout=lock_timeout) as con:
        (mark, total) = con.execute(
            "SELECT max(epoch_us(ingested_at)), count(*) FROM activity"
        ).fetchall()[0]
        repaired = 0
        where = "true" if prev is None else f"epoch_us(ingested_at) > {int(prev)}"
        if prev is not None:
            (below,) = con.execute(
                f"SELECT count(*) FROM activity WHERE epoch_us(ingested_at) <= {int(prev)}"
            ).fetchall()[0]
            if below != state["rows"]:
                con.execute("CREATE TEMP TABLE _lake_ids (id VARCHAR)")
                files = sorted(glob.glob(str(root / "activity" / "*" / "*" / "*.parquet")))
                if files:
                    con.execute("INSERT INTO _lake_ids SELECT id FROM read_parquet($files)",
                                {"files": files})
                where = (f"(epoch_us(ingested_at) > {int(prev)} OR (epoch_us(ingested_at) <= {int(prev)}"
                         " AND id NOT IN (SELECT id FROM _lake_ids)))")
                (repaired,) = con.execute(
                    f"SELECT count(*) FROM activity WHERE epoch_us(ingested_at) <= {int(prev)} "
                    "AND id NOT IN (SELECT id FROM _lake_ids)"
                ).fetchall()[0]
        bounded = f"{where} AND epoch_us(ingested_at) <= {int(mark) if mark is not None else 0}"
        (rows,) = con.execute(f"SELECT count(*) FROM activity WHERE {bounded}").fetchall()[0]
        if rows:
            with progress_bar(total=rows, desc="export", enabled=progress, unit=" rows") as bar, \
                    watch_query(con, lambda done: bar.update(int(done * rows) - bar.n)), \
                    _writing(root):
                con.execute(
                    f"COPY (SELECT {_COLUMNS}, workspace_id AS workspace, "
                    f"strftime(created_at, '%Y-%m-%d') AS day FROM activity WHERE {bounded}) "
                    f"TO '{_sql_path(staging)}' (FORMAT parquet, PARTITION_BY (workspace, day), "
                    "WRITE_PARTITION_COLUMNS false, COMPRESSION zstd)"
                )
                bar.update(rows - bar.n)
        marks_tmp = root / "actor_marks" / ".actor_marks.parquet.tmp"
        marks_tmp.parent.mkdir(exist_ok=True)
        con.execute(f"COPY (SELECT * FROM actor_marks ORDER BY actor_id) TO '{_sql_path(marks_tmp)}' "
                    "(FORMAT parquet)")
    # files of an earlier, interrupted export with this number: superseded by ours
    for stale in glob.glob(str(root / "activity" / "*" / "*" / f"part-{seq:06d}-*.parquet")):
        os.remove(stale)
    files = partitions = 0
    for part in sorted(staging.glob("*/*")) if staging.exists() else []:
        target = root / "activity" / part.relative_to(staging)
        target.mkdir(parents=True, exist_ok=True)
        partitions += 1
        for n, data in enumerate(sorted(part.glob("*.parquet"))):
            os.replace(data, target / f"part-{seq:06d}-{n}.parquet")
            files += 1
    os.replace(marks_tmp, root / "actor_marks" / "actor_marks.parquet")
    exported = int(state["rows"]) + rows
    _write_atomic(root / STATE_FILE, json.dumps({
        "format": LAKE_FORMAT, "exports": seq if rows else seq - 1, "rows": exported,
        "high_water_us": mark if mark is not None else prev,
        "updated_at": dt.datetime.now(dt.UTC).isoformat(), "store_rows": total,
    }, indent=2))
    shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(str(root), rows, files, partitions, exported, repaired,
                        round(time.perf_counter() - started, 3))


@contextlib.contextmanager
def _writing(root: Path) -> Iterator[None]:
    """DuckDB's I/O errors while writing the lake, as one line naming it."""
    try:
        yield
    except duckdb.IOException as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{root}: could not write the lake: {first}") from exc


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
