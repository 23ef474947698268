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

from .conftest import record, write_lines

LONGEST = dt.timedelta(hours=3)  # bursts' longest window (an agent's 3 hours)
COLUMNS = ["workspace_id", "actor_id", "actor_type", "kind", "start", "end", "episode_start", "episode_end", "events",
           "expected", "score", "reason"]


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
    """The alarms no later event can change: their episode ended a window's length before the cut (a
    first-seen notice: its first day over)."""
    notice = pl.col("kind") == "new_actor"
    first_day_over = pl.col("start").dt.truncate("1h") + dt.timedelta(days=1) <= cut  # its busiest hour +1 day
    return frame.filter(pl.when(notice).then(first_day_over).otherwise(pl.col("episode_end") <= cut - LONGEST))


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
        ended = later.filter(pl.col("episode_end") <= cut)
        assert _rows(ended) <= _rows(at_cut), "an alarm of the whole history is missing or differs at the cut"
        final = _final(at_cut, cut)
        assert _rows(final) <= _rows(later), "a final alarm at the cut changed or vanished with later events"
        compared += final.height
        kinds |= set(final["kind"])
    # the comparison means something: alarms were there to compare, of more than one kind
    assert compared >= 3
    assert len(kinds - {"new_actor"}) >= 1


# The rules round 12 added to keep false alarms down, each with the obvious anomaly it must not hide.

DAY0 = dt.datetime(2026, 11, 2)  # a Monday


def _office(busy_day: int | None, extra: dict[tuple[int, int], int], days: int = 14) -> list[dict]:
    """Nine people at their desks 9-17 on weekdays, 2-6 events an hour; on ``busy_day`` everyone
    3.5x (an organisation-wide busy day); ``extra``: (day, hour) -> events alice adds that hour."""
    rng = np.random.default_rng(7)
    rows = []
    for p in range(9):
        for d in range(days):
            if (DAY0 + dt.timedelta(days=d)).weekday() >= 5:
                continue
            for h in range(9, 17):
                n = int(rng.integers(2, 7) * (3.5 if d == busy_day else 1))
                n += extra.get((d, h), 0) if p == 0 else 0
                for i in range(n):
                    at = DAY0 + dt.timedelta(days=d, hours=h, seconds=int(rng.integers(0, 3600)))
                    rows.append(record(f"p{p}-{d}-{h}-{i}", actor_id="alice" if p == 0 else f"person-{p}",
                                       created_at=at.isoformat()))
    return rows


def _alarms(tmp_path, rows: list[dict], name: str) -> pl.DataFrame:
    db = tmp_path / f"{name}.duckdb"
    aa.ingest([write_lines(tmp_path / f"{name}.jsonl", rows)], db, progress=False)
    return aa.bursts(db).filter(pl.col("kind") != "new_actor")


def test_a_busy_day_and_a_persons_usual_busy_hour_hide_no_real_rush(tmp_path):
    """A person's hour is expected to be no quieter than their usual busy hour, and on a day the
    whole workspace is busier, busier by as much: an organisation-wide busy day (everyone 3.5x)
    raises no alarm after its first hour, but 60 events in an hour of someone who makes 2-6 is
    found on an ordinary day and on that busy day alike."""
    quiet = _alarms(tmp_path, _office(busy_day=9, extra={}), "busy")
    assert quiet.filter((pl.col("start").dt.day() == 11) & (pl.col("start").dt.hour() >= 10)).is_empty(), quiet
    for busy_day, day in ((None, 8), (9, 9)):
        found = _alarms(tmp_path, _office(busy_day, extra={(day, 13): 60}), f"rush{day}")
        rush = found.filter((pl.col("actor_id") == "alice") & (pl.col("kind") == "rapid_succession")
                            & (pl.col("start") < dt.datetime(2026, 11, 2 + day, 14, tzinfo=dt.UTC))
                            & (pl.col("end") > dt.datetime(2026, 11, 2 + day, 13, tzinfo=dt.UTC)))
        assert rush.height == 1, found


def test_an_agent_is_judged_from_its_third_day(tmp_path):
    """Its first two days are all its baseline has: from the third, a runaway is found."""
    rows = [record(f"a{d}-{h}-{i}", actor_type="agent", actor_id="bot",
                   created_at=(DAY0 + dt.timedelta(days=d, hours=h, seconds=20 * i)).isoformat())
            for d in range(6) for h in range(24) for i in range(5)]
    rows += [record(f"r{i}", actor_type="agent", actor_id="bot",
                    created_at=(DAY0 + dt.timedelta(days=2, hours=10, minutes=10, seconds=9 * i)).isoformat())
             for i in range(200)]
    found = _alarms(tmp_path, rows, "third")
    assert found.filter(pl.col("kind") == "runaway_agent")["start"].dt.day().to_list() == [4], found


def test_an_actors_later_events_of_another_type_change_no_earlier_verdict(tmp_path):
    """An actor's type is that of its first day: a later, busier stretch recorded with another
    type (here one the store does not know) does not retype its earlier alarms."""
    rows = _office(None, extra={(8, 13): 60})
    db = tmp_path / "typed.duckdb"
    aa.ingest([write_lines(tmp_path / "typed-0.jsonl", rows)], db, progress=False)
    before = aa.bursts(db).filter(pl.col("actor_id") == "alice")
    later = [record(f"x{i}", actor_id="alice", actor_type="robot",
                    created_at=(DAY0 + dt.timedelta(days=12, hours=10, seconds=3 * i)).isoformat()) for i in range(90)]
    aa.ingest([write_lines(tmp_path / "typed-1.jsonl", later)], db, progress=False)
    after = aa.bursts(db).filter(pl.col("actor_id") == "alice")
    assert before.height >= 1 and before["actor_type"].to_list() == ["user"] * before.height
    assert _rows(before) <= _rows(after)
