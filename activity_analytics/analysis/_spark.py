"""Run actions, actors and bursts on Apache Spark over a Parquet lake.

Spark runs stage 1 of an analysis (the scan: one GROUP BY over the events,
see ``_stages``) over the lake that :func:`activity_analytics.export` wrote;
its result comes back as Arrow, and stage 2 — the same SQL the DuckDB macros
use — runs in an in-memory DuckDB. PySpark is an optional extra
(``pip install 'activity-analytics[spark]'``) and needs a Java 17+ runtime.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import EngineError, InputError, one_line
from .._lake import STATE_FILE
from .._lazy import lazy_module, need
from .._sql.incidents import reported
from .._sql.kept import NOTHING_KEPT
from .._sql.kept import TABLES as KEPT_TABLES
from .._sql.macros import stage2
from .._sql.schema import events_select
from .._sql.stages import SPARK, stage1
from ._filters import Filters, every_us

if TYPE_CHECKING:
    import duckdb
    import polars as pl
    import pyarrow as pa
else:
    duckdb = lazy_module("duckdb")
    pl = lazy_module("polars")
    pa = lazy_module("pyarrow")

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ANALYSES = ("actions", "actors", "bursts")
_lock = threading.Lock()
_LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")


def _micros(value: dt.datetime) -> int:
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


class SparkLake:
    """A lake made by :func:`activity_analytics.export`, analysed on Apache Spark.

    Pass it where an analysis takes a store: ``aa.actions(aa.SparkLake("lake/"))``.
    ``spark`` is an existing ``SparkSession`` (a cluster's); without one, a
    session is started on ``master`` (default ``local[*]``: all local cores)
    the first time it is needed, and stopped by :meth:`stop`. ``lake`` is any
    path that Spark can read (a folder, ``hdfs://``, ``s3a://`` ...).
    """

    def __init__(self, lake: str | os.PathLike[str], *, spark: Any = None,
                 master: str = "local[*]") -> None:
        self.lake = os.fspath(lake)
        self.master = master
        self._spark = spark
        self._owned = False
        self._views: str | None = None

    def __repr__(self) -> str:
        return f"SparkLake({self.lake!r}, master={self.master!r})"

    @property
    def spark(self) -> Any:
        """The Spark session (started on first use when none was given)."""
        if self._spark is None:
            self._spark = _start(self.master)
            self._owned = True
        return self._spark

    def stop(self) -> None:
        """Stop the session this object started (a given session is left alone)."""
        if self._owned and self._spark is not None:
            self._spark.stop()
        self._spark, self._owned, self._views = None, False, None

    def __enter__(self) -> SparkLake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _events_view(self) -> str:
        """Register the lake's tables and the ``events`` view in the session; returns its name."""
        if self._views is not None:
            return self._views
        local = "://" not in self.lake
        if local and not (Path(self.lake) / STATE_FILE).exists():
            raise InputError(f"{self.lake}: not a lake (no {STATE_FILE}); "
                             "write one with `activity-analytics export`")
        if local and next((Path(self.lake) / "activity").rglob("*.parquet"), None) is None:
            raise InputError(f"{self.lake}: the lake holds no activity yet (nothing was exported)")
        spark = self.spark
        suffix = format(abs(hash((self.lake, id(self)))), "x")
        activity, marks, events = (f"aa_activity_{suffix}", f"aa_actor_marks_{suffix}",
                                   f"aa_events_{suffix}")
        try:
            spark.read.parquet(f"{self.lake.rstrip('/')}/activity").createOrReplaceTempView(activity)
            spark.read.parquet(f"{self.lake.rstrip('/')}/actor_marks").createOrReplaceTempView(marks)
            spark.sql(f"CREATE OR REPLACE TEMP VIEW {events} AS "
                      + events_select(activity, marks))
        except Exception as exc:  # Spark's errors (AnalysisException, Py4JError ...) have no common root
            raise EngineError(f"{self.lake}: Spark could not read the lake: {one_line(exc)}") from exc
        self._views = events
        return events

    def stage1(self, analysis: str, args: dict[str, Any], filters: Filters) -> pa.Table:
        """Stage 1 of ``analysis`` run on Spark, as an Arrow table."""
        if analysis not in _ANALYSES:
            raise InputError(f"{analysis} does not run on Spark: only {', '.join(_ANALYSES)} do")
        literal = {
            "every_us": str(every_us(args.get("every"))) if args.get("every") else "NULL",
            "by_workspace": "true" if args.get("by_workspace") else "false",
            "by_action": "true" if args.get("by_action") else "false",
        }
        wanted = {"actions": ("every_us", "by_workspace"),
                  "actors": ("every_us", "by_workspace", "by_action"), "bursts": ("selected",)}[analysis]
        where, params = ["true"], {}
        if filters.until is not None:
            where.append(f"{SPARK.epoch_us} < {_micros(filters.until)}")
        literal["selected"] = "true"
        if analysis == "bursts":  # the other filters choose what is reported, in stage 2
            if filters.action is not None:
                literal["selected"] = "action = :act"
                params["act"] = filters.action
        else:
            if filters.since is not None:
                where.append(f"{SPARK.epoch_us} >= {_micros(filters.since)}")
            for column, name, value in (("workspace_id", "ws", filters.workspace),
                                        ("action", "act", filters.action),
                                        ("actor_type", "atype", filters.actor_type)):
                if value is not None:
                    where.append(f"{column} = :{name}")
                    params[name] = value
        events = f"(SELECT * FROM {self._events_view()} WHERE {' AND '.join(where)}) AS e"
        query = stage1(analysis, SPARK, events, **{k: literal[k] for k in wanted})
        try:
            return self.spark.sql(query, args=params).toArrow()
        except Exception as exc:
            raise EngineError(f"{self.lake}: Spark failed running {analysis}: {one_line(exc)}") from exc


def run_on_spark(lake: SparkLake, analysis: str, args: dict[str, Any], filters: Filters) -> pl.DataFrame:
    """Stage 1 on Spark, then stage 2 (the macros' own SQL) in an in-memory DuckDB."""
    scanned = lake.stage1(analysis, args, filters)
    params: dict[str, Any]
    if analysis == "bursts":   # stage 2 judges; the macro's incidents and filters choose what is reported
        params = {"sensitivity": float(args["sensitivity"]), "kinds": args.get("kinds"),
                  "since": filters.since, "ws": filters.workspace, "atype": filters.actor_type,
                  "act": filters.action}
    else:  # and its columns: those asked for, as the macro's
        params = {"every": args.get("every"), "by_workspace": bool(args.get("by_workspace"))}
        if analysis == "actors":
            params["by_action"] = bool(args.get("by_action"))
    signature = ", ".join(f"{k} := NULL" for k in params)
    judged = "aa_judged" if analysis == "bursts" else "aa_stage2"
    with contextlib.closing(duckdb.connect()) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("_s1", scanned)
        reach = ""
        if analysis == "bursts":   # a full run: nothing kept (Spark keeps no verdicts)
            con.execute(KEPT_TABLES)
            reach = f"{NOTHING_KEPT}, "
        con.execute(f"CREATE TEMP MACRO {judged}({signature}) AS TABLE "
                    f"WITH {reach}s1 AS (SELECT * FROM _s1){stage2(analysis)}")
        if analysis == "bursts":
            con.execute(f"CREATE TEMP MACRO aa_stage2({signature}) AS TABLE "
                        + reported("aa_judged(sensitivity := sensitivity, act := act)"))
        call = ", ".join(f"{k} := ${k}" for k in params)
        try:
            return con.sql(f"SELECT * FROM aa_stage2({call})", params=params).pl()
        except duckdb.Error as exc:
            raise EngineError(f"{lake.lake}: {analysis} failed: {one_line(exc)}") from exc


def _start(master: str) -> Any:
    SparkSession = need("pyspark.sql", "spark", "--engine spark (and a Java 17+ runtime)").SparkSession
    with _lock:
        try:
            spark = (SparkSession.builder.master(master).appName("activity-analytics")
                     .config("spark.ui.enabled", "false")
                     .config("spark.ui.showConsoleProgress", "false")
                     .config("spark.sql.session.timeZone", "UTC")
                     .config("spark.sql.shuffle.partitions", "8")
                     .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                     .config("spark.driver.extraJavaOptions",
                             f"-Dlog4j2.configurationFile={_LOG_CONFIG.as_uri()}")
                     .getOrCreate())
        except Exception as exc:
            hint = ("" if _java_found() else
                    " (no Java found: install a Java 17+ runtime, e.g. apt-get install openjdk-17-jre-headless)")
            raise EngineError(f"Spark could not start on {master}: {one_line(exc)}{hint}") from exc
        spark.sparkContext.setLogLevel("ERROR")
        return spark


def _java_found() -> bool:
    import shutil

    return bool(os.environ.get("JAVA_HOME")) or shutil.which("java") is not None
