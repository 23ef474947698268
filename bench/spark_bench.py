"""actions, actors and bursts on DuckDB vs Spark (local mode) over the same Parquet lake.

For each size (default 1M and 10M events: the stores of ``bench analyses``)
the store is exported to a lake (timed), then each analysis runs

* on DuckDB over the lake (an in-memory DuckDB reading the Parquet files,
  with the package's own macros),
* on Spark ``local[*]`` over the lake (``aa.SparkLake``: Spark scans, DuckDB
  finishes), after one warm-up call (JVM start and JIT are reported apart),
* and, for reference, on the DuckDB store itself.

Results are checked equal across engines. Figures go to bench/out/spark-*.json.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import time

import duckdb

import activity_analytics as aa
from activity_analytics._sql import macros as _macros
from activity_analytics._sql.schema import events_select

from ._common import OUT, machine, save
from .analyses_bench import build

ANALYSES = {
    "actions": "SELECT * FROM aa_actions()",
    "actors": "SELECT * FROM aa_actors()",
    "bursts": "SELECT * FROM aa_bursts()",
}


def _best(func, repeat: int) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - t)
    return best, value


def duckdb_over_lake(lake, query: str):
    with contextlib.closing(duckdb.connect()) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE VIEW activity AS SELECT * FROM read_parquet('{lake}/activity/**/*.parquet')")
        con.execute(f"CREATE VIEW actor_marks AS SELECT * FROM read_parquet('{lake}/actor_marks/*.parquet')")
        con.execute("CREATE VIEW events AS " + events_select())
        _macros.install(con, temporary=True, names=("aa_events", *(f"aa_{a}" for a in ANALYSES)))
        return con.sql(query).pl()


def run_size(events: int, repeat: int, spark_lake_factory) -> dict:
    _, db = build(events)
    lake = OUT / f"lake-{events}"
    shutil.rmtree(lake, ignore_errors=True)
    t = time.perf_counter()
    exported = aa.export(db, lake)
    export_s = time.perf_counter() - t
    lake_bytes = sum(p.stat().st_size for p in (lake / "activity").rglob("*.parquet"))
    row: dict = {"events": events, "export_seconds": round(export_s, 2), "lake_mb": round(lake_bytes / 2**20),
                 "lake_files": exported.files}
    print(f"{events} events: export {export_s:.1f} s, {exported.files} files, {lake_bytes / 2**20:.0f} MiB",
          flush=True)
    spark_lake = spark_lake_factory(lake)
    for name, query in ANALYSES.items():
        store_s, on_store = _best(lambda n=name: getattr(aa, n)(db), repeat)
        lake_s, on_lake = _best(lambda q=query: duckdb_over_lake(lake, q), repeat)
        getattr(aa, name)(spark_lake)  # warm-up: JIT, first read of the footers
        spark_s, on_spark = _best(lambda n=name: getattr(aa, n)(spark_lake), repeat)
        if not (on_spark.equals(on_store) and on_lake.select(on_store.columns).equals(on_store)):
            raise RuntimeError(f"{name}: engines disagree on {events} events")
        row[name] = {"duckdb_store": round(store_s, 2), "duckdb_lake": round(lake_s, 2),
                     "spark_local": round(spark_s, 2), "spark_over_duckdb_lake": round(spark_s / lake_s, 1)}
        print(f"  {name}: DuckDB store {store_s:.2f} s, DuckDB over the lake {lake_s:.2f} s, "
              f"Spark local {spark_s:.2f} s ({spark_s / lake_s:.1f}x DuckDB)", flush=True)
    return row


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench spark")
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args(argv)
    t = time.perf_counter()
    session_lake = aa.SparkLake(OUT / "unused", master=args.master)
    spark = session_lake.spark  # start the JVM once, timed apart
    start_s = time.perf_counter() - t
    print(f"Spark session start ({args.master}): {start_s:.1f} s", flush=True)
    result: dict = {"benchmark": "spark vs duckdb", "machine": machine(), "master": args.master,
                    "spark_start_seconds": round(start_s, 1), "sizes": []}
    try:
        for events in args.events:
            result["sizes"].append(run_size(events, args.repeat,
                                            lambda lake: aa.SparkLake(lake, spark=spark)))
    finally:
        session_lake.stop()
    save("spark", result)
    return result
