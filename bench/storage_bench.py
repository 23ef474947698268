"""What keeping the store readable by older DuckDB clients costs, per storage version.

For each storage version a store may be kept in (``v1.4.0``, the default, and
``v2.0.0``, DuckDB 2's own), in one run:

- ingest of a JSON-lines file against DuckDB's bare ``read_json`` into a file
  of the same storage version (and of 2.0, the bare default);
- ``actions`` and ``bursts`` on a large store against the bare SQL that
  computes the same counts (actions: events, actors and issues per action;
  bursts: a count per actor per 5 minutes), each store converted from one
  ingest by ``migrate``, timed alternately so drift hits both alike;
- the file's size.

The cost of the older format is its ratio over the same figure in 2.0's.
Issue 24's bar: more than 10 % is reported, with a proposed default.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time

import activity_analytics as aa
from activity_analytics._defaults import DEFAULT_STORAGE_VERSION

from . import analyses_bench, ingest_bench
from ._common import OUT, best_of, machine, save

VERSIONS = (DEFAULT_STORAGE_VERSION, "v2.0.0")

BARE = """
import sys, duckdb
con = duckdb.connect(sys.argv[2], config={"storage_compatibility_version": sys.argv[3]})
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited')", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
"""

OURS = ingest_bench.OURS  # the package's ingest; the storage version comes from the environment

BARE_ACTIONS = """SELECT action, count(*) AS events, count(DISTINCT actor_id) AS actors,
       count(DISTINCT issue_id) AS issues FROM activity GROUP BY action"""
BARE_BURSTS = """SELECT actor_id, time_bucket(INTERVAL 5 MINUTE, created_at) AS slot, count(*) AS n
FROM activity GROUP BY ALL"""


def _ingest(path, version: str, repeat: int) -> dict:
    os.environ["ACTIVITY_STORAGE_VERSION"] = version
    try:
        ours = best_of(OURS, str(path), OUT / f"storage-ingest-{version}.duckdb", repeat=repeat,
                       fresh=True)
    finally:
        del os.environ["ACTIVITY_STORAGE_VERSION"]
    bare = {}
    for bare_version in sorted({version, "v2.0.0"}):
        code = BARE.replace("sys.argv[3]", repr(bare_version))
        bare[bare_version] = best_of(code, str(path), OUT / f"storage-bare-{bare_version}.duckdb",
                                     repeat=repeat, fresh=True).seconds
    return {
        "ours_seconds": round(ours.seconds, 2),
        "ours_peak_rss_mb": round(ours.peak_rss_mb),
        "bare_same_version_seconds": round(bare[version], 2),
        "bare_v2_seconds": round(bare["v2.0.0"], 2),
        "ratio_to_bare_same_version": round(ours.seconds / bare[version], 2),
        "ratio_to_bare_v2": round(ours.seconds / bare["v2.0.0"], 2),
        "store_mb": round((OUT / f"storage-ingest-{version}.duckdb").stat().st_size / 2**20, 1),
    }


def _timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _analyses(source_db, repeat: int) -> dict:
    stores = {}
    for version in VERSIONS:
        db = OUT / f"storage-analyses-{version}.duckdb"
        if not db.exists():  # both written by one conversion (COPY FROM DATABASE), never
            shutil.copyfile(source_db, db)  # one converted and one as ingest left it
            other = next(v for v in VERSIONS if v != version)
            aa.migrate(db, storage_version=other)
            aa.migrate(db, storage_version=version)
        stores[version] = db
    steps = {
        "actions": lambda db: aa.actions(db),
        "bare_actions": lambda db: aa.sql(db, BARE_ACTIONS),
        "bursts": lambda db: aa.bursts(db),
        "bare_bursts": lambda db: aa.sql(db, BARE_BURSTS),
    }
    best = {(v, s): float("inf") for v in VERSIONS for s in steps}
    for _ in range(repeat):  # alternate versions and steps: drift hits every figure alike
        for name, step in steps.items():
            for version, db in stores.items():
                best[version, name] = min(best[version, name], _timed(lambda: step(db)))
    out = {}
    for version, db in stores.items():
        row = {name: round(best[version, name], 3) for name in steps}
        row["actions_ratio_to_bare"] = round(best[version, "actions"] / best[version, "bare_actions"], 2)
        row["bursts_ratio_to_bare"] = round(best[version, "bursts"] / best[version, "bare_bursts"], 2)
        row["store_mb"] = round(db.stat().st_size / 2**20, 1)
        out[version] = row
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench storage")
    parser.add_argument("--ingest-events", type=int, default=2_000_000)
    parser.add_argument("--events", type=int, default=10_000_000, help="Events in the analyses' store.")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = ingest_bench.input_file(args.ingest_events)
    _, analyses_db = analyses_bench.build(args.events)
    result: dict = {"benchmark": "storage versions", "machine": machine(),
                    "ingest_events": args.ingest_events, "analyses_events": args.events,
                    "ingest": {}, "analyses": {}}
    for version in VERSIONS:
        result["ingest"][version] = _ingest(path, version, args.repeat)
        print(f"ingest {args.ingest_events} events in storage {version}: {result['ingest'][version]}",
              flush=True)
    result["analyses"] = _analyses(analyses_db, args.repeat)
    for version, row in result["analyses"].items():
        print(f"analyses on {args.events} events in storage {version}: {row}", flush=True)
    old, new = VERSIONS
    result["cost_of_oldest"] = {
        "ingest": round(result["ingest"][old]["ours_seconds"] / result["ingest"][new]["ours_seconds"], 2),
        "actions": round(result["analyses"][old]["actions"] / result["analyses"][new]["actions"], 2),
        "bursts": round(result["analyses"][old]["bursts"] / result["analyses"][new]["bursts"], 2),
        "store_size": round(result["ingest"][old]["store_mb"] / result["ingest"][new]["store_mb"], 2),
    }
    print(f"{old} over {new} (1.00 = no cost): {result['cost_of_oldest']}", flush=True)
    save(f"storage-{args.events}", result)
    return result
