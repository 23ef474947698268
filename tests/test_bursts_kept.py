"""Kept verdicts are the verdicts (issue 34, item 2).

A cron job ingests what is new and runs ``bursts --keep``; an analyst runs
``bursts`` (or SQL's ``aa_bursts``) whenever. Whatever was kept, and whenever it
was kept, every run must give exactly what a store that never kept anything
gives: the same rows, numbers, reasons and incidents, at any sensitivity and
window. A backfill of older days, new actor marks and a new detector version
are judged again from where they differ.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import activity_analytics as aa
from activity_analytics._anomalies import inject
from activity_analytics._sample import SampleSpec, write_jsonl
from activity_analytics.analysis._keep import keep_bursts

from .test_bursts_causal import _cuts

#: the runs compared: (sensitivity, since, until) as days after the first event (None: open)
#: (5.0: above the sensitivity flags are kept at, so everything is judged again)
RUNS = [(1.0, None, None), (0.5, None, None), (4.0, None, None), (5.0, None, None), (2.0, 9, 16)]


def _family(family: str, seed: int, days: int = 21) -> tuple[pl.DataFrame, list[str]]:
    data = inject(SampleSpec(seed=seed, days=days, workspaces=2, people_per_workspace=10, family=family),
                  per_kind=4, seed=seed)
    at = pl.col("created_at").str.slice(0, 26).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us")
    return data.events.with_columns(at=at.dt.replace_time_zone("UTC")).sort("at"), data.agents


def _ingest(db, events: pl.DataFrame, agents: list[str], path) -> None:
    aa.ingest([write_jsonl(events.drop("at"), path)], db, progress=False)
    aa.mark_actors(db, agents, "agent")


def _same(kept_db, fresh_db, day0: dt.datetime) -> int:
    """Every run in RUNS gives the same frame on both stores; how many rows were compared."""
    rows = 0
    for sensitivity, since, until in RUNS:
        window = {"since": day0 + dt.timedelta(days=since) if since else None,
                  "until": day0 + dt.timedelta(days=until) if until else None}
        kept = aa.bursts(kept_db, sensitivity=sensitivity, **window)
        assert_frame_equal(kept, aa.bursts(fresh_db, sensitivity=sensitivity, **window))
        rows += kept.height
    return rows


def _reach(db) -> dt.datetime | None:
    return aa.sql(db, "SELECT max(reach) AS r FROM bursts_kept")["r"][0]


@pytest.mark.parametrize("family,seed", [("scheduled", 81), ("bursty_agents", 82), ("joiner", 83)])
def test_a_cron_keeping_verdicts_gives_what_judging_afresh_gives(tmp_path, family, seed):
    events, agents = _family(family, seed)
    day0 = events["at"].min().replace(hour=0, minute=0, second=0, microsecond=0)
    kept_db, fresh_db = tmp_path / "kept.duckdb", tmp_path / "fresh.duckdb"
    cuts = _cuts(events, np.random.default_rng(seed), 3)
    compared, reaches = 0, []
    for i, (lo, hi) in enumerate(zip([None, *cuts], [*cuts, None])):
        piece = events.filter((pl.col("at") > lo) if lo else pl.lit(True)).filter(
            (pl.col("at") <= hi) if hi else pl.lit(True))
        for db in (kept_db, fresh_db):
            _ingest(db, piece, agents, tmp_path / f"{db.stem}-{i}.jsonl")
        # the cron run: keeps what is new (in steps of 4 days: a first run on a long history)
        done = keep_bursts(kept_db, progress=False, step_days=4)
        assert done.before == (reaches[-1] if reaches else None)  # it started where the last one stopped
        reaches.append(_reach(kept_db))
        compared += _same(kept_db, fresh_db, day0)
    assert reaches == sorted(reaches) and reaches[0] < reaches[-1]
    assert _reach(fresh_db) is None
    assert compared >= 25


def test_a_backfill_marks_and_a_new_detector_are_judged_again(tmp_path):
    events, agents = _family("scheduled", 84)
    day0 = events["at"].min().replace(hour=0, minute=0, second=0, microsecond=0)
    kept_db, fresh_db = tmp_path / "kept.duckdb", tmp_path / "fresh.duckdb"
    # a backfill: days 6-7 arrive after the rest was kept
    hole = (pl.col("at") >= day0 + dt.timedelta(days=6)) & (pl.col("at") < day0 + dt.timedelta(days=8))
    for db in (kept_db, fresh_db):
        _ingest(db, events.filter(~hole), agents, tmp_path / f"{db.stem}-0.jsonl")
    full = keep_bursts(kept_db, progress=False)
    last_day = events["at"].max().replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    assert full.before is None and full.reach == last_day - dt.timedelta(days=1)  # the last day is not over
    for db in (kept_db, fresh_db):
        _ingest(db, events.filter(hole), agents, tmp_path / f"{db.stem}-1.jsonl")
    _same(kept_db, fresh_db, day0)  # before any keep: read from the day that changed
    again = keep_bursts(kept_db, progress=False)
    assert again.before == day0.replace(tzinfo=None) + dt.timedelta(days=6), "judged again from the backfill's day"
    assert _same(kept_db, fresh_db, day0) >= 20
    # new marks change actors' types: nothing kept holds, and all is judged again
    person = events.filter(pl.col("actor_key").str.contains("person"))["actor_id"][0]
    for db in (kept_db, fresh_db):
        aa.mark_actors(db, [person], "agent")
    _same(kept_db, fresh_db, day0)
    assert keep_bursts(kept_db, progress=False).before is None
    _same(kept_db, fresh_db, day0)


def test_the_cli_keeps_and_status_says_how_far(tmp_path):
    from click.testing import CliRunner

    from activity_analytics.cli import cli

    events, agents = _family("bursty_agents", 85, days=10)
    db = tmp_path / "cli.duckdb"
    _ingest(db, events, agents, tmp_path / "cli.jsonl")
    assert "verdicts kept" not in aa.status(db).summary()
    before = aa.bursts(db, kind="alarms")
    run = CliRunner().invoke(cli, ["bursts", "--db", str(db), "--keep", "--kind", "alarms", "--format", "json"])
    assert run.exit_code == 0, run.output
    reach = _reach(db)
    last_day = events["at"].max().replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    assert reach == last_day - dt.timedelta(days=1)
    assert f"verdicts kept up to {reach:%Y-%m-%d} 00:00 UTC" in aa.status(db).summary()
    assert_frame_equal(aa.bursts(db, kind="alarms"), before)  # read from what is kept: the same
    spark = CliRunner().invoke(cli, ["bursts", "--db", str(db), "--keep", "--engine", "spark", "--lake", str(tmp_path)])
    assert spark.exit_code == 2 and "keep" in spark.output and "Spark" in spark.output, spark.output


@pytest.mark.parametrize("large", ["events", "actor-hours"])
def test_a_large_store_read_only_is_judged_in_steps_with_the_same_verdicts(tmp_path, monkeypatch, large):
    from activity_analytics._store import connect
    from activity_analytics.analysis import _keep

    events, agents = _family("release", 86)
    day0 = events["at"].min().replace(hour=0, minute=0, second=0, microsecond=0)
    db = tmp_path / "steps.duckdb"
    first = events.filter(pl.col("at") < day0 + dt.timedelta(days=12))
    _ingest(db, first, agents, tmp_path / "steps-0.jsonl")
    keep_bursts(db, progress=False)  # kept up to day 11; days 12-21 arrive later, not kept
    _ingest(db, events.filter(pl.col("at") >= day0 + dt.timedelta(days=12)), agents, tmp_path / "steps-1.jsonl")
    kept_rows = aa.sql(db, "SELECT count(*) AS n FROM bursts_kept_days")["n"][0]
    monkeypatch.setattr(_keep, "ONE_PASS_EVENTS", 10**12)
    one_pass = {run: aa.bursts(db, sensitivity=run[0], since=run[1] and day0 + dt.timedelta(days=run[1]),
                               until=run[2] and day0 + dt.timedelta(days=run[2])) for run in RUNS}
    if large == "events":
        monkeypatch.setattr(_keep, "ONE_PASS_EVENTS", 500)
    else:  # a long history of occasional actors: few events, many actors' hours
        monkeypatch.setattr(_keep, "ONE_PASS_HOURS", 5_000)
    monkeypatch.setattr(_keep, "STEP_EVENTS", events.height // 7)  # steps of about 3 days
    with connect(db) as con:  # read-only: the steps go to temporary tables
        from activity_analytics._sql import macros

        macros.install(con, temporary=True, names=macros.needed("aa_bursts"))
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        with _keep.judge_in_steps(con, until=None, act=None, sensitivity=1.0, progress=False) as steps:
            temp_reach = con.execute("SELECT reach FROM bursts_kept").fetchall()[0][0]
            steps_limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        during_limit = steps_limit  # held to the writer's limit while it judged
        after = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        # put back (as DuckDB prints it, to a tenth of a unit)
        assert after.split()[1] == limit.split()[1] and abs(float(after.split()[0]) - float(limit.split()[0])) <= 0.11
        assert during_limit != limit and during_limit.endswith("MiB")
    last_day = events["at"].max().replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    assert steps >= 3 and temp_reach == last_day - dt.timedelta(days=1)
    for run, frame in one_pass.items():
        assert_frame_equal(aa.bursts(db, sensitivity=run[0], since=run[1] and day0 + dt.timedelta(days=run[1]),
                                     until=run[2] and day0 + dt.timedelta(days=run[2])), frame)
    assert one_pass[RUNS[0]].height >= 3
    # nothing was written: the store still keeps only what the keep kept
    assert aa.sql(db, "SELECT count(*) AS n FROM bursts_kept_days")["n"][0] == kept_rows
    assert _reach(db) == day0.replace(tzinfo=None) + dt.timedelta(days=10)
