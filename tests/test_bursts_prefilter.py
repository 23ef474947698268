"""Bursts' prefilters only save work: without them, every verdict is the same.

Stage 2 drops windows that cannot pass before the expensive steps (a
stretch below 3x its usual in events and, for an agent, in slots; a raw
score below the threshold before ranking). Each is a necessary condition
written apart from the test it anticipates, so this runs bursts with and
without them over stores that reach every test, and compares.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import activity_analytics as aa
from activity_analytics._anomalies import inject
from activity_analytics._sample import SampleSpec, write_jsonl
from activity_analytics._sql import bursts as bursts_sql
from activity_analytics._sql import macros

from .conftest import record, write_lines


def _unfiltered(con: duckdb.DuckDBPyConnection) -> None:
    """``aa_bursts_unfiltered``: ``aa_bursts_judged`` (every verdict, before
    ``aa_bursts`` forms incidents and filters) with stage 2 built without its
    prefilters."""
    body = macros.MACROS["aa_bursts_judged"]
    unfiltered = body.replace(bursts_sql.BURSTS_STAGE2, bursts_sql.stage2(prefilter=False))
    if unfiltered == body:
        raise RuntimeError("aa_bursts_judged no longer holds bursts' stage 2 as built by stage2()")
    con.execute(f"CREATE TEMP MACRO aa_bursts_unfiltered{unfiltered}")


def _family(tmp_path, family: str, seed: int) -> str:
    data = inject(SampleSpec(seed=seed, days=21, workspaces=2, people_per_workspace=10, family=family),
                  per_kind=4, seed=seed)
    db = tmp_path / f"{family}.duckdb"
    aa.ingest([write_jsonl(data.events, tmp_path / f"{family}.jsonl")], db, progress=False)
    aa.mark_actors(db, data.agents, "agent")
    return str(db)


def _cron_with_runaway(tmp_path) -> str:
    """An agent at :05 every hour for two weeks, then 20 events at :25-:45 (off its schedule)."""
    t0 = dt.datetime(2026, 11, 2, 0, 5)
    rows = [record(id=f"c{h}-{i}", actor_type="agent", actor_id="cron-agent",
                   created_at=(t0 + dt.timedelta(hours=h, seconds=17 * i + 3)).isoformat())
            for h in range(24 * 14) for i in range(4 + (h * 7) % 4)]
    rows += [record(id=f"r{i}", actor_type="agent", actor_id="cron-agent",
                    created_at=f"2026-11-11T10:{25 + i:02d}:30") for i in range(20)]
    db = tmp_path / "cron.duckdb"
    aa.ingest([write_lines(tmp_path / "cron.jsonl", rows)], db, progress=False)
    return str(db)


@pytest.mark.parametrize("store", ["scheduled", "bursty_agents", "parttime", "cron"])
def test_prefilters_change_no_verdict(tmp_path, store):
    db = _cron_with_runaway(tmp_path) if store == "cron" else _family(tmp_path, store, seed=61)
    con = duckdb.connect(db, read_only=True)
    _unfiltered(con)
    seen = set()
    for sensitivity in (0.5, 1.0, 2.0):
        query = "SELECT * FROM {}(sensitivity := {})"
        kept = pl.from_arrow(con.sql(query.format("aa_bursts_judged", sensitivity)).to_arrow_table())
        every = pl.from_arrow(con.sql(query.format("aa_bursts_unfiltered", sensitivity)).to_arrow_table())
        assert_frame_equal(kept, every)
        seen |= set(kept.filter(pl.col("kind") != "new_actor")["kind"])
    # the comparison means something only where windows pass: runaways at least (in
    # the stretches the prefilter thins), and people's kinds on the families with people
    assert "runaway_agent" in seen
    if store != "cron":
        assert seen & {"rapid_succession", "off_hours", "workspace_spike"}
