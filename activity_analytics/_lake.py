"""Export the store as a Hive-partitioned Parquet lake, incrementally.

Layout of ``DIR``::

    activity/workspace=<id>/day=<YYYY-MM-DD>/part-<export>-<n>.parquet
    actor_marks/actor_marks.parquet
    _activity_analytics.json        # what has been exported (the lake's own state)

``DIR`` is a local folder, or a URI that pyarrow's file systems write
(``s3://``, ``gs://``, ``hdfs://``...): there each file is uploaded under a
hidden name and then moved into place.

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
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._display import Shown
from ._errors import InputError, LakeError, one_line
from ._lazy import lazy_module
from ._progress import progress_bar, watch_query
from ._store import DEFAULT_LOCK_TIMEOUT, connect

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.dataset as ds
    from pyarrow import fs as pafs
else:
    duckdb = lazy_module("duckdb")
    pa = lazy_module("pyarrow")
    ds = lazy_module("pyarrow.dataset")
    pafs = lazy_module("pyarrow.fs")

STATE_FILE = "_activity_analytics.json"
LAKE_FORMAT = 1
_COLUMNS = (
    "id, workspace_id, issue_id, entity_type, entity_id, actor_type, actor_type_raw, actor_id, "
    "action, details::VARCHAR AS details, extra::VARCHAR AS extra, created_at, source, ingested_at"
)


@dataclass(frozen=True, repr=False)
class ExportResult(Shown):
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


class _Dest:
    """Where the lake goes, through one pyarrow file system: a local folder, or
    any URI pyarrow writes (``s3://``, ``gs://``, ``hdfs://``, ``file://``).
    Files are staged locally, next to the lake when it is local (then moved
    in by one rename), else uploaded under a hidden name and then moved."""

    def __init__(self, lake: str | os.PathLike[str]) -> None:
        self.name = os.fspath(lake)
        self.remote = "://" in self.name
        try:
            if self.remote:
                self.fs, base = pafs.FileSystem.from_uri(self.name)
            else:
                self.fs, base = pafs.LocalFileSystem(), str(Path(self.name).resolve())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
            raise InputError(f"{self.name}: not a lake location this machine can write ({exc})") from exc
        self.base = base.rstrip("/")

    def path(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def prepare(self) -> None:
        try:
            self.fs.create_dir(self.base, recursive=True)
        except OSError as exc:
            raise LakeError(f"{self.name}: cannot create the lake folder ({exc})") from exc

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One export at a time into a local lake (an OS lock: freed if the process dies)."""
        if self.remote:
            yield
            return
        import fcntl

        with open(self.path("_activity_analytics.lock"), "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise LakeError(f"{self.name}: another export is writing this lake") from exc
            yield

    def staging(self, seq: int) -> Path:
        """A staging folder on the lake's own file system when local (renames are atomic)."""
        if self.remote:
            return Path(tempfile.mkdtemp(prefix="aa-export-")) / "staging"
        return Path(self.path(f"_staging-{seq:06d}"))

    def parquet_files(self) -> list[str]:
        """Relative paths of the activity files (activity/<workspace>/<day>/<file>)."""
        infos = self.fs.get_file_info(pafs.FileSelector(self.path("activity"), allow_not_found=True,
                                                        recursive=True))
        return sorted(i.path[len(self.base) + 1:] for i in infos
                      if i.type == pafs.FileType.File and i.path.endswith(".parquet")
                      and not i.base_name.startswith((".", "_")))

    def read_text(self, rel: str) -> str | None:
        if self.fs.get_file_info(self.path(rel)).type == pafs.FileType.NotFound:
            return None
        with self.fs.open_input_stream(self.path(rel)) as stream:
            return stream.read().decode()

    def put(self, local: Path, rel: str) -> None:
        """Move a finished local file to ``rel`` in one step (readers never see half of it)."""
        parent, name = self.path(rel).rsplit("/", 1)
        self.fs.create_dir(parent, recursive=True)
        if self.remote:
            hidden = f"{parent}/.{name}.tmp"
            pafs.copy_files(str(local), hidden, destination_filesystem=self.fs)
            local.unlink()
        else:
            hidden = str(local)
        self.fs.move(hidden, self.path(rel))

    def remove(self, rel: str) -> None:
        self.fs.delete_file(self.path(rel))

    def ids(self, files: list[str]) -> pa.Table:
        """The ``id`` column of these activity files."""
        return ds.dataset([self.path(f) for f in files], filesystem=self.fs,
                          format="parquet").to_table(columns=["id"])


def _read_state(dest: _Dest) -> dict:
    try:
        text = dest.read_text(STATE_FILE)
    except OSError as exc:
        raise LakeError(f"{dest.name}/{STATE_FILE}: unreadable lake state ({exc})") from exc
    if text is None:
        if dest.parquet_files():
            raise InputError(f"{dest.name}: has activity files but no {STATE_FILE}; "
                             "export into an empty folder or a lake made by this command")
        return {"format": LAKE_FORMAT, "exports": 0, "rows": 0, "high_water_us": None}
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise LakeError(f"{dest.name}/{STATE_FILE}: unreadable lake state ({exc})") from exc
    if state.get("format") != LAKE_FORMAT:
        raise InputError(f"{dest.name}/{STATE_FILE}: lake format {state.get('format')!r}, "
                         f"this package writes {LAKE_FORMAT}")
    return state


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
    dest = _Dest(lake)
    dest.prepare()
    with dest.lock():
        return _export(db, dest, started, progress=progress, lock_timeout=lock_timeout)


def _export(db, dest: _Dest, started: float, *, progress: bool | None,
            lock_timeout: float) -> ExportResult:
    state = _read_state(dest)
    seq = int(state["exports"]) + 1
    prev = state["high_water_us"]
    staging = dest.staging(seq)
    shutil.rmtree(staging, ignore_errors=True)
    marks_tmp = staging.parent / f".actor_marks-{seq:06d}.parquet.tmp"
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
            if below != state["rows"]:  # rows stored below the mark: find them by id
                files = dest.parquet_files()
                con.register("_lake_ids", dest.ids(files) if files else pa.table({"id": pa.array([], pa.string())}))
                where = (f"(epoch_us(ingested_at) > {int(prev)} OR (epoch_us(ingested_at) <= {int(prev)}"
                         " AND id NOT IN (SELECT id FROM _lake_ids)))")
                (repaired,) = con.execute(
                    f"SELECT count(*) FROM activity WHERE epoch_us(ingested_at) <= {int(prev)} "
                    "AND id NOT IN (SELECT id FROM _lake_ids)"
                ).fetchall()[0]
        bounded = f"{where} AND epoch_us(ingested_at) <= {int(mark) if mark is not None else 0}"
        (rows,) = con.execute(f"SELECT count(*) FROM activity WHERE {bounded}").fetchall()[0]
        with _writing(dest.name):
            if rows:
                with progress_bar(total=rows, desc="export", enabled=progress, unit=" rows") as bar, \
                        watch_query(con, lambda done: bar.update(int(done * rows) - bar.n)):
                    con.execute(
                        f"COPY (SELECT {_COLUMNS}, workspace_id AS workspace, "
                        f"strftime(created_at, '%Y-%m-%d') AS day FROM activity WHERE {bounded}) "
                        f"TO '{_sql_path(staging)}' (FORMAT parquet, PARTITION_BY (workspace, day), "
                        "WRITE_PARTITION_COLUMNS false, COMPRESSION zstd)"
                    )
                    bar.update(rows - bar.n)
            con.execute(f"COPY (SELECT * FROM actor_marks ORDER BY actor_id) TO '{_sql_path(marks_tmp)}' "
                        "(FORMAT parquet)")
    with _writing(dest.name):
        # files of an earlier, interrupted export with this number: superseded by ours
        for stale in dest.parquet_files():
            if stale.rsplit("/", 1)[-1].startswith(f"part-{seq:06d}-"):
                dest.remove(stale)
        files = partitions = 0
        for part in sorted(staging.glob("*/*")) if staging.exists() else []:
            partitions += 1
            for n, data in enumerate(sorted(part.glob("*.parquet"))):
                dest.put(data, f"activity/{part.relative_to(staging).as_posix()}/part-{seq:06d}-{n}.parquet")
                files += 1
        dest.put(marks_tmp, "actor_marks/actor_marks.parquet")
        exported = int(state["rows"]) + rows
        state_tmp = staging.parent / f".{STATE_FILE}-{seq:06d}.tmp"
        state_tmp.write_text(json.dumps({
            "format": LAKE_FORMAT, "exports": seq if rows else seq - 1, "rows": exported,
            "high_water_us": mark if mark is not None else prev,
            "updated_at": dt.datetime.now(dt.UTC).isoformat(), "store_rows": total,
        }, indent=2))
        dest.put(state_tmp, STATE_FILE)  # last: the export is done
    shutil.rmtree(staging.parent if dest.remote else staging, ignore_errors=True)
    return ExportResult(dest.name, rows, files, partitions, exported, repaired,
                        round(time.perf_counter() - started, 3))


@contextlib.contextmanager
def _writing(name: str) -> Iterator[None]:
    """I/O errors while writing the lake (DuckDB's, the file system's), as one line naming it."""
    try:
        yield
    except (duckdb.IOException, OSError) as exc:
        raise LakeError(f"{name}: could not write the lake: {one_line(exc)}") from exc


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
