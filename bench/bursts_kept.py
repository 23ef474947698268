"""Kept verdicts (issue 34, item 2): what a cron run costs once verdicts are kept, and memory.

On a copy of the ``bursts_speed`` store (10.5M events, 140 days), each figure a
fresh Python process (time and peak memory), measured in this run:

- **full**: ``bursts`` with nothing kept: every run before ``--keep`` (and Spark's);
- **first keep**: ``bursts --keep`` on a store that kept nothing (a first cron run, or
  after a new detector version: steps of 28 days, each in its own transaction);
- **daily cron**: the store kept up to the day before its last, its last day appended
  (as a sync would), then ``bursts --keep --since 1d`` (keep what is new, report the day);
  target: at most 0.1x the full run;
- **weekly report**: ``bursts --since 7d`` on the kept store (a notebook: reads only);
- **history**: the daily cron on the same store cut to its last 35 days: its peak memory
  should not grow with the history (the ratio of the two peaks);
- ``--big``: on a store of 4x the events (the store's events copied under three more sets
  of workspace and actor ids), target under 1.5 GB: the full run (a read-only run judging
  more than ``ONE_PASS_EVENTS`` goes in steps into temporary tables), the same in one pass
  as before (its frame must be the same) and the first keep.

The copies are made with SQL on the bench's files (deleting and re-adding the last day
stands in for a sync of it); the package only reads them and keeps verdicts.
"""

from __future__ import annotations

import argparse
import shutil

import duckdb
import polars as pl

import activity_analytics as aa

from . import bursts_speed
from ._common import OUT, machine, run_child, save

_RUN = """
import sys, activity_analytics as aa
db, what = sys.argv[1], sys.argv[2]
if what in ("full", "one_pass"):
    if what == "one_pass":  # what every run did before a large store was judged in steps
        from activity_analytics.analysis import _keep
        _keep.ONE_PASS_EVENTS = 10**12
    found = aa.bursts(db)
    if len(sys.argv) > 3:
        found.write_parquet(sys.argv[3])
elif what == "keep":
    aa.bursts(db, keep=True, since="1d", kind="alarms")
elif what == "week":
    aa.bursts(db, since="7d")
"""


def _copy(src, name: str):
    dst = OUT / f"bursts-kept-{name}.duckdb"
    shutil.copyfile(src, dst)
    aa.migrate(dst)
    return dst


def _last_day(db) -> str:
    return aa.sql(db, "SELECT date_trunc('day', max(created_at)) AS d FROM events")["d"][0].isoformat()


def _cron_store(src, name: str, *, keep_days: int | None = None):
    """A copy kept up to the day before its last day, with that last day appended after the keep."""
    db = _copy(src, name)
    last = _last_day(db)
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE _last AS SELECT * FROM activity WHERE created_at >= $d::TIMESTAMPTZ", {"d": last})
    con.execute("DELETE FROM activity WHERE created_at >= $d::TIMESTAMPTZ", {"d": last})
    if keep_days:
        con.execute(f"DELETE FROM activity WHERE created_at < $d::TIMESTAMPTZ - INTERVAL {keep_days} DAY",
                    {"d": last})
    con.close()
    aa.bursts(db, keep=True, since="1d")  # yesterday's cron run
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO activity SELECT * FROM _last")
    con.execute("DROP TABLE _last")
    con.execute("CHECKPOINT")
    con.close()
    return db


def _big(src, copies: int = 4):
    db = OUT / f"bursts-kept-x{copies}.duckdb"
    if not db.exists():
        shutil.copyfile(src, db)
        con = duckdb.connect(str(db))
        n0 = con.execute("SELECT count(*) FROM activity").fetchall()[0][0]
        for i in range(1, copies):
            con.execute(f"""INSERT INTO activity SELECT * REPLACE (id || '~{i}' AS id,
                                workspace_id || '~{i}' AS workspace_id, actor_id || '~{i}' AS actor_id)
                            FROM activity WHERE rowid < {n0}""")
        con.close()
        aa.migrate(db)
    return db


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench bursts_kept", description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--big", action="store_true", help="also 4x the events (builds a 3 GB store)")
    args = parser.parse_args(argv)
    src = bursts_speed.build(args.events)
    full_db = _copy(src, "full")
    full = run_child(_RUN, str(full_db), "full")
    first = run_child("import sys, activity_analytics as aa; aa.bursts(sys.argv[1], keep=True)", str(full_db))
    week = run_child(_RUN, str(full_db), "week")
    cron_db = _cron_store(src, "cron")
    cron = run_child(_RUN, str(cron_db), "keep")
    short_db = _cron_store(src, "cron35", keep_days=35)
    short = run_child(_RUN, str(short_db), "keep")
    events = aa.sql(full_db, "SELECT count(*) AS n FROM events")["n"][0]
    short_events = aa.sql(short_db, "SELECT count(*) AS n FROM events")["n"][0]
    result = {"machine": machine(), "benchmark": "bursts with kept verdicts: a daily cron run vs a full run",
              "events": int(events), "full_s": round(full.seconds, 2), "full_peak_mb": round(full.peak_rss_mb),
              "first_keep_s": round(first.seconds, 2), "first_keep_peak_mb": round(first.peak_rss_mb),
              "daily_cron_s": round(cron.seconds, 2), "daily_cron_peak_mb": round(cron.peak_rss_mb),
              "week_report_s": round(week.seconds, 2),
              "daily_cron_vs_full": round(cron.seconds / full.seconds, 3),
              "first_keep_vs_full": round(first.seconds / full.seconds, 2),
              "week_report_vs_full": round(week.seconds / full.seconds, 3),
              "short_history_events": int(short_events), "short_cron_peak_mb": round(short.peak_rss_mb),
              "cron_peak_vs_short_history": round(cron.peak_rss_mb / short.peak_rss_mb, 2),
              "goal": "daily cron at most 0.1x a full run; its peak not growing with the history"}
    for db in (cron_db, short_db):
        db.unlink()
    if args.big:
        big = _big(src)
        with duckdb.connect(str(big)) as con:  # judged from nothing (a run stopped before left some)
            con.execute("DELETE FROM bursts_kept")
        frames = [OUT / "bursts-kept-steps.parquet", OUT / "bursts-kept-one-pass.parquet"]
        big_full = run_child(_RUN, str(big), "full", str(frames[0]))
        big_one = run_child(_RUN, str(big), "one_pass", str(frames[1]))
        big_first = run_child("import sys, activity_analytics as aa; aa.bursts(sys.argv[1], keep=True)", str(big))
        steps, one = (pl.read_parquet(f) for f in frames)
        result.update({"big_events": int(aa.sql(big, "SELECT count(*) AS n FROM events")["n"][0]),
                       "big_full_s": round(big_full.seconds, 2), "big_full_peak_mb": round(big_full.peak_rss_mb),
                       "big_one_pass_s": round(big_one.seconds, 2),
                       "big_one_pass_peak_mb": round(big_one.peak_rss_mb),
                       "big_steps_same_as_one_pass": steps.equals(one), "big_alarms": one.height,
                       "big_first_keep_s": round(big_first.seconds, 2),
                       "big_first_keep_peak_mb": round(big_first.peak_rss_mb)})
    print(result, flush=True)
    save("bursts-kept", result)
    return result
