"""Checks shared by the tests of both injectors (the sample's and the evaluation's)."""

from __future__ import annotations

import polars as pl

#: a history's first midnight: 2026-01-01 00:00 UTC, a Thursday
T0 = 1_767_225_600_000_000
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


def actor(actor_id: str, kind: str, days: range, hours: range) -> list[dict]:
    """One event a minute past each of ``hours`` on each of ``days`` (from :data:`T0`)."""
    return [{"actor_id": actor_id, "actor_type": "agent" if kind == "agent" else "member",
             "actor_key": f"{kind}:{actor_id}", "t_us": T0 + d * DAY_US + h * HOUR_US + 60_000_000}
            for d in days for h in hours]


def as_events(rows: pl.DataFrame | list[dict]) -> pl.DataFrame:
    """``rows`` (actor_id, actor_type, actor_key, t_us) in the columns of ``generate_events``."""
    rows = pl.DataFrame(rows) if isinstance(rows, list) else rows
    frame = rows.with_columns(
        id=pl.int_range(pl.len()).cast(pl.Utf8), workspace_id=pl.lit("ws"), entity_type=pl.lit("issue"),
        entity_id=pl.lit("e"), issue_id=pl.lit("e"), action=pl.lit("issue.updated"), details=pl.lit("{}"))
    return frame.with_columns(created_at=pl.from_epoch("t_us", time_unit="us").dt.strftime("%Y-%m-%dT%H:%M:%S"))


def history() -> pl.DataFrame:
    """90 days: a founder and six staff there throughout, a joiner from day 50, a night owl
    who works at every hour, a bot from day 60 to day 70 only, and an old bot there throughout."""
    rows = (actor("founder", "person", range(90), range(9, 17))
            + [row for i in range(6) for row in actor(f"staff-{i}", "person", range(90), range(8, 16))]
            + actor("owl", "person", range(0, 90, 7), range(24))
            + actor("joiner", "person", range(50, 90), range(10, 15))
            + actor("late-bot", "agent", range(60, 71), range(0, 24, 2))
            + actor("old-bot", "agent", range(90), range(0, 24, 6)))
    return as_events(rows)


def spike_people(added: pl.DataFrame, truth: pl.DataFrame, spikes: int = 10) -> set[str]:
    """The actors of the injected events inside each injected workspace spike, asserting
    that there are ``spikes`` spikes of 8 people or more; returns all of them."""
    found = truth.filter(pl.col("kind") == "workspace_spike")
    assert found.height == spikes
    everyone: set[str] = set()
    for start, end in found.select("start", "end").rows():
        people = added.filter(pl.col("t_us").is_between(start, end, closed="left"))["actor_id"]
        assert people.n_unique() >= 8
        everyone |= set(people)
    return everyone


def _burst(who: str, kind: str, day: int, minute: int, minutes: int, n: int) -> list[dict]:
    """``n`` events of ``who`` spread over ``minutes`` from 10:00 + ``minute`` on ``day``."""
    start = T0 + day * DAY_US + 10 * HOUR_US + minute * 60_000_000
    return [{"actor_id": who, "actor_type": "agent" if kind == "agent" else "member",
             "actor_key": f"{kind}:{who}", "t_us": start + i * minutes * 60_000_000 // n} for i in range(n)]


def merge_train() -> pl.DataFrame:
    """60 days of a team, a merge bot (web-flow) and a release bot; on day 50 at 10:00
    the founder's merge train (60 events in 10 minutes), the bot merging it (150 in 30
    minutes from 10:05) and the release bot (100 in 20 minutes from 10:20): one incident;
    on day 55 a staff member's burst alone; a newcomer from day 40 (a first-seen notice)."""
    rows = (actor("founder", "person", range(60), range(9, 17))
            + [r for i in range(4) for r in actor(f"staff-{i}", "person", range(60), range(8, 16))]
            + actor("newcomer", "person", range(40, 60), range(9, 12))
            + actor("web-flow", "agent", range(60), range(0, 24, 3))
            + actor("release-bot", "agent", range(60), range(0, 24, 6))
            + _burst("founder", "person", 50, 0, 10, 60) + _burst("web-flow", "agent", 50, 5, 30, 150)
            + _burst("release-bot", "agent", 50, 20, 20, 100) + _burst("staff-0", "person", 55, 0, 10, 60))
    return as_events(rows)
