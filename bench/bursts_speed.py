"""Speed of ``bursts`` on a long store against the bare scan it cannot avoid.

Issue 22's target: ``bursts`` at most 2x a bare DuckDB count of events per
actor per 5 minutes over the same store, measured in the same run, on a
store of at least 10,000,000 events and 4 months of history. Both are timed
in-process on one read-only connection after a warm-up run (the file in the
OS cache for both), best of ``--repeat``; the store is built once and cached
in ``bench/out``. Absolute times are information only.
"""

from __future__ import annotations

import argparse

import activity_analytics as aa
from activity_analytics import SampleSpec, generate_events
from activity_analytics._sample import write_jsonl

from ._common import OUT, fastest, machine, save

#: the same counts stage 1 of bursts computes, as a user would write them
BARE = """SELECT workspace_id, actor_id, time_bucket(INTERVAL 5 MINUTE, created_at) AS slot, count(*) AS n
FROM events GROUP BY ALL"""
DAYS = 140


def build(events: int):
    db = OUT / f"bursts-speed-{events}.duckdb"
    if db.exists():
        return db
    spec = SampleSpec(seed=29, days=DAYS, workspaces=20, people_per_workspace=12,
                      steady_agents_per_workspace=2, batch_agents_per_workspace=1,
                      scale=events / 290_000 * 28 / DAYS * 1.05)  # a little over: never under
    frame = generate_events(spec)
    if frame.height < events:
        raise RuntimeError(f"generator made {frame.height} events, fewer than {events}")
    path = OUT / f"bursts-speed-{events}.jsonl"
    write_jsonl(frame, path)
    aa.ingest([path], db, progress=True)
    path.unlink()
    return db


def _best(func, repeat: int) -> float:
    func()  # warm-up: the file in the OS cache, the macros installed
    return fastest(func, repeat)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench bursts_speed", description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    db = build(args.events)
    stored = aa.sql(db, "SELECT count(*) AS n, date_diff('day', min(created_at), max(created_at)) AS days, "
                        "max(created_at) - INTERVAL 7 DAY AS week FROM events").row(0, named=True)
    bare = _best(lambda: aa.sql(db, BARE), args.repeat)
    ours = _best(lambda: aa.bursts(db), args.repeat)
    week = _best(lambda: aa.bursts(db, since=stored["week"]), args.repeat)  # the weekly report
    result = {"machine": machine(), "benchmark": "bursts vs a bare count per actor per 5 minutes",
              "events": stored["n"], "days": stored["days"],
              "bare_count_s": round(bare, 3), "bursts_s": round(ours, 3),
              "bursts_last_week_s": round(week, 3), "ratio": round(ours / bare, 2),
              "goal": "at most 2x"}
    print(result, flush=True)
    save(f"bursts-speed-{args.events}", result)
    return result
