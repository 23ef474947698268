"""``bursts --keep``: judge what is new since the last run and keep it in the store.

What is kept, and why a run that reads it gives the same verdicts, is in
``_sql/kept``. This module only drives it: each step judges from the reach in
effect (everything, the first time) up to at most :data:`CHUNK_DAYS` days more,
and writes those rows, the day counts they were judged on and the new reach in
one transaction of its own (so a long first run keeps what it has done if it is
stopped, holds the store one step at a time, and its memory does not grow with
the history). The reach stops a day short of the last event's day: the windows
that reach across midnight into a day not yet over are judged again next time.

A read-only run that would judge more than :data:`ONE_PASS_EVENTS` events or
:data:`ONE_PASS_HOURS` actor-hours at once (nothing kept, or kept long ago, on a large
store or a long history) takes the same steps first, into
temporary copies of the kept tables that vanish with its connection
(:func:`judge_in_steps`): its memory is then a step's, not the history's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._errors import AnalysisError, one_line
from .._interrupt import interruptible
from .._lazy import lazy_module
from .._progress import progress_bar
from .._sql import macros as _macros
from .._sql.kept import KEEP_SENSITIVITY, KEPT, MARKS, day_counts
from .._store import DEFAULT_LOCK_TIMEOUT, connect, limit_memory, transaction

if TYPE_CHECKING:
    import duckdb
else:
    duckdb = lazy_module("duckdb")

#: the most days one step judges, and about the most events (a step's memory is about that of a
#: run over its days: 3M events stay within the writer's memory limit, see _store)
CHUNK_DAYS = 28
STEP_EVENTS = 3_000_000
#: a read-only run judging more events than this goes in steps (a run's peak memory is about
#: 200 bytes an event: 2.3 GB at 11.7M, 9.5 GB at 46.8M in one pass)
ONE_PASS_EVENTS = 20_000_000
#: ... or more actor-hours (each actor's hours of the day from its first day to the data's last:
#: a long history of many occasional actors, 74M for psf/requests' 14 years, beyond 18 GB)
ONE_PASS_HOURS = 16_000_000
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Kept:
    """What a keep did: the reach before and after it (naive UTC midnights; None: nothing
    kept), the steps it took and how long it took."""

    before: dt.datetime | None
    reach: dt.datetime | None
    steps: int
    seconds: float


def keep_bursts(db: str | os.PathLike[str], *, progress: bool | None = None,
                lock_timeout: float = DEFAULT_LOCK_TIMEOUT, step_days: int | None = None) -> Kept:
    """Judge the events after what bursts has kept (all, the first time, or after a new
    detector, new actor marks or a backfill) and keep the verdicts in the store, at most
    ``step_days`` days a step (default: as many as hold about :data:`STEP_EVENTS` events, at
    most :data:`CHUNK_DAYS`)."""
    started = time.perf_counter()
    first: dt.datetime | None = None
    steps = 0
    tries: dict[dt.datetime | None, int] = {}  # steps begun at each reach: a store changing under it
    with progress_bar(total=None, desc="judging bursts", enabled=progress, unit="step", scale=False) as bar:
        while True:
            with connect(db, read_only=False, lock_timeout=lock_timeout) as con:
                try:
                    done, reach, judged = interruptible(con, lambda: _step(con, step_days))
                except duckdb.Error as exc:
                    raise AnalysisError(f"{os.fspath(db)}: keeping bursts failed: {one_line(exc)}") from exc
            tries[reach] = tries.get(reach, 0) + 1
            if tries[reach] > 3:  # days before the reach keep changing between steps (or their counts disagree)
                raise AnalysisError(f"{os.fspath(db)}: keeping bursts made no progress past "
                                    f"{reach or 'the first day'}: older events keep changing; try again later")
            if steps == 0:
                first = reach
            if done:
                return Kept(first, judged, steps, time.perf_counter() - started)
            steps += 1
            bar.update(1)


def _step(con: duckdb.DuckDBPyConnection, step_days: int | None) -> tuple[bool, dt.datetime | None, dt.datetime | None]:
    """One step in one transaction: (done, the reach in effect before it, the reach after)."""
    with transaction(con):
        return _judge(con, step_days)


def _judge(con: duckdb.DuckDBPyConnection, step_days: int | None, until: dt.datetime | None = None,
           ) -> tuple[bool, dt.datetime | None, dt.datetime | None]:
    """Judge the days after the reach (at most ``step_days``, up to the day before the last
    event's before ``until``) and keep them in the kept tables ``con`` sees:
    (done, the reach in effect before it, the reach after)."""
    _macros.install(con, temporary=True, names=("aa_bursts_keep",))
    reach = con.execute("SELECT aa_bursts_reach(NULL, NULL, $s)", {"s": KEEP_SENSITIVITY}).fetchall()[0][0]
    first, last, events = con.execute("SELECT timezone('UTC', min(created_at)), timezone('UTC', max(created_at)), "
                                      "count(*) FROM activity WHERE $u::TIMESTAMPTZ IS NULL OR created_at < $u",
                                      {"u": until}).fetchall()[0]
    if last is None:
        return True, reach, reach
    target = dt.datetime.combine(last.date(), dt.time()) - _DAY  # the last day is not over
    start = reach or dt.datetime.combine(first.date(), dt.time())
    if target <= start:
        return True, reach, reach
    if step_days is None:  # as many days as hold about STEP_EVENTS events on average
        per_day = events / max((last - first).total_seconds() / 86_400, 1)
        step_days = max(1, min(CHUNK_DAYS, int(STEP_EVENTS / per_day)))
    keep_to = min(target, start + dt.timedelta(days=step_days))
    con.execute("CREATE OR REPLACE TEMP TABLE _kept AS SELECT * FROM aa_bursts_keep(keep_to := $k, until := $u)",
                {"k": keep_to, "u": _utc(keep_to + _DAY)})
    _forget(con, reach)
    for table in KEPT:
        if table != "bursts_kept_counts":
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            select = ", ".join(f'"{c}"' for c in cols)
            con.execute(f"INSERT INTO {table} SELECT {select} FROM _kept WHERE kept = '{table}'")
    con.execute("INSERT INTO bursts_kept_counts "
                + day_counts("($a::TIMESTAMPTZ IS NULL OR created_at >= $a) AND created_at < $b"),
                {"a": _utc(reach) if reach else None, "b": _utc(keep_to)})
    con.execute("DELETE FROM bursts_kept")
    con.execute(f"INSERT INTO bursts_kept SELECT $v, version(), {MARKS}, $r, now()",
                {"v": _macros.BURSTS_VERSION, "r": keep_to})
    con.execute("DROP TABLE _kept")
    return False, reach, keep_to


@contextlib.contextmanager
def judge_in_steps(con: duckdb.DuckDBPyConnection, *, until: dt.datetime | None, act: str | None,
                   sensitivity: float, progress: bool | None = None) -> Iterator[int]:
    """Around ``aa_bursts`` on a read-only connection: when it would judge more than
    :data:`ONE_PASS_EVENTS` events or :data:`ONE_PASS_HOURS` actor-hours at once, judge them
    in steps first, into temporary copies
    of the kept tables (which the run then reads, as it reads kept verdicts), all in one
    transaction (one snapshot of the store for the steps and the run), within the writer's
    memory limit; yield the steps taken. The connection's memory limit is put back after
    (another connection of this process to the same file shares it). An action filter or a
    sensitivity above :data:`KEEP_SENSITIVITY` reads nothing kept, so it is judged in one pass."""
    if act is not None or sensitivity > KEEP_SENSITIVITY:
        yield 0
        return
    con.execute("BEGIN TRANSACTION")  # ended when the connection closes: the copies vanish with it
    # what one pass would judge (aa_bursts_reach is installed with aa_bursts): the events after
    # the reach, and (at most) every actor's hours from the reach's baseline days, or the first
    # day, to the last
    upto = "($u::TIMESTAMPTZ IS NULL OR created_at < $u)"
    pending, days = con.execute(
        "WITH k AS (SELECT timezone('UTC', aa_bursts_reach($u, NULL, $s)) AS r) "
        "SELECT count(*) FILTER (k.r IS NULL OR created_at >= k.r), "
        "date_diff('day', greatest(min(created_at), any_value(k.r) - INTERVAL 29 DAY), max(created_at)) + 1 "
        f"FROM activity, k WHERE {upto}", {"u": until, "s": KEEP_SENSITIVITY}).fetchall()[0]
    actors = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT workspace_id, actor_id FROM activity WHERE {upto})",
                         {"u": until}).fetchall()[0][0] if pending <= ONE_PASS_EVENTS else 0
    if pending <= ONE_PASS_EVENTS and actors * 24 * (days or 0) <= ONE_PASS_HOURS:
        yield 0
        return
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    limit_memory(con)  # as a writer's step: what DuckDB caches beyond it is released
    try:
        store = con.execute("SELECT current_database()").fetchall()[0][0].replace('"', '""')
        for table in ("bursts_kept", *KEPT):
            con.execute(f'CREATE TEMP TABLE {table} AS SELECT * FROM "{store}".main.{table}')
        steps = 0
        with progress_bar(total=None, desc="judging bursts in steps", enabled=progress, unit="step",
                          scale=False) as bar:
            while True:
                done, before, after = interruptible(con, lambda: _judge(con, None, until))
                if done:
                    break
                if before is not None and after <= before:  # cannot happen on one snapshot, unless a bug
                    raise AnalysisError(f"judging bursts in steps made no progress past {before}")
                steps += 1
                bar.update(1)
        yield steps
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"SET memory_limit = '{limit}'")


def _forget(con: duckdb.DuckDBPyConnection, reach: dt.datetime | None) -> None:
    """Drop what was kept from ``reach`` on (everything without one): it is judged again."""
    for table, column in KEPT.items():
        if reach is None:
            con.execute(f"DELETE FROM {table}")
        elif table == "bursts_kept_counts":
            con.execute(f"DELETE FROM {table} WHERE day >= epoch_us($r::TIMESTAMP) // 86400000000", {"r": reach})
        else:
            op = ">" if column == '"end"' else ">="
            con.execute(f"DELETE FROM {table} WHERE {column} {op} $r", {"r": reach})


def _utc(naive: dt.datetime) -> dt.datetime:
    return naive.replace(tzinfo=dt.UTC)
