"""A verdict never changes when later data arrives (issue 34, item 1).

A store is cut at random times T: judged with the events before T, then the rest is
appended (as a cron ingest would) and it is judged again. Every alarm that ended
before T must be the same in both, alarm for alarm and number for number (events,
expected, score, reason); ``--until T`` on the whole store and a ``--since`` window
of it give the cut store's verdicts. An alarm of the cut store is final once no
later window can join it: its end at least the longest window (3 hours) before T,
and for a first-seen notice its first day over.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

import activity_analytics as aa
from activity_analytics._anomalies import inject
from activity_analytics._sample import SampleSpec, write_jsonl

LONGEST = dt.timedelta(hours=3)  # bursts' longest window (an agent's 3 hours)
COLUMNS = ["workspace_id", "actor_id", "actor_type", "kind", "start", "end", "events", "expected", "score", "reason"]


def _store(tmp_path, name: str, events: pl.DataFrame, agents: list[str]) -> str:
    db = tmp_path / f"{name}.duckdb"
    ingest_more(db, events, agents, tmp_path / f"{name}-0.jsonl")
    return str(db)


def ingest_more(db, events: pl.DataFrame, agents: list[str], path) -> None:
    aa.ingest([write_jsonl(events, path)], db, progress=False)
    if agents:
        aa.mark_actors(db, agents, "agent")


def _rows(frame: pl.DataFrame) -> set[tuple]:
    return set(frame.select(COLUMNS).rows())


def _final(frame: pl.DataFrame, cut: dt.datetime) -> pl.DataFrame:
    """The alarms no later event can change: ended a window's length before the cut (a
    first-seen notice: its first day over)."""
    notice = pl.col("kind") == "new_actor"
    first_day_over = pl.col("start").dt.truncate("1h") + dt.timedelta(days=1) <= cut  # its busiest hour +1 day
    return frame.filter(pl.when(notice).then(first_day_over).otherwise(pl.col("end") <= cut - LONGEST))


def _cuts(events: pl.DataFrame, rng: np.random.Generator, n: int) -> list[dt.datetime]:
    """``n`` random times from the 4th day to the last, half a second past a whole second
    (no event is exactly at a cut)."""
    t = events["at"]
    first, last = t.min() + dt.timedelta(days=3), t.max() - dt.timedelta(hours=6)
    span = int((last - first).total_seconds())
    return [first + dt.timedelta(seconds=int(s), milliseconds=500) for s in sorted(rng.integers(0, span, n))]


@pytest.mark.parametrize("family,seed", [("scheduled", 71), ("bursty_agents", 72), ("parttime", 73), ("joiner", 74)])
def test_later_events_change_no_earlier_verdict(tmp_path, family, seed):
    data = inject(SampleSpec(seed=seed, days=21, workspaces=2, people_per_workspace=10, family=family),
                  per_kind=4, seed=seed)
    at = pl.col("created_at").str.slice(0, 26).str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us")
    at = at.dt.replace_time_zone("UTC")  # the generator writes UTC, with Z, +00:00 or no zone
    events = data.events.with_columns(at=at).sort("at")
    whole = _store(tmp_path, "whole", events.drop("at"), data.agents)
    everything = aa.bursts(whole)
    compared, kinds = 0, set()
    for i, cut in enumerate(_cuts(events, np.random.default_rng(seed), 2)):
        before, after = events.filter(pl.col("at") <= cut).drop("at"), events.filter(pl.col("at") > cut).drop("at")
        db = _store(tmp_path, f"cut{i}", before, data.agents)
        at_cut = aa.bursts(db)
        # the whole store up to the cut, and a window of it, say what the cut store says
        assert _rows(aa.bursts(whole, until=cut)) == _rows(at_cut)
        since = cut - dt.timedelta(days=2)
        assert _rows(aa.bursts(whole, since=since, until=cut)) == _rows(at_cut.filter(pl.col("end") > since))
        # append the rest: every alarm that ended before the cut is the same, number for number
        ingest_more(db, after, data.agents, tmp_path / f"cut{i}-rest.jsonl")
        later = aa.bursts(db)
        assert _rows(later) == _rows(everything)
        ended = later.filter(pl.col("end") <= cut)
        assert _rows(ended) <= _rows(at_cut), "an alarm of the whole history is missing or differs at the cut"
        final = _final(at_cut, cut)
        assert _rows(final) <= _rows(later), "a final alarm at the cut changed or vanished with later events"
        compared += final.height
        kinds |= set(final["kind"])
    # the comparison means something: alarms were there to compare, of more than one kind
    assert compared >= 3
    assert len(kinds - {"new_actor"}) >= 1
