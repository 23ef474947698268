"""The two simple detectors beside bursts in the evaluation (bench/baselines.py): each flags an
obvious runaway, neither flags a steady actor's ordinary weeks, and both are causal."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from bench import baselines

MIN_US = 60_000_000
HOUR_US = 60 * MIN_US
DAY_US = 24 * HOUR_US
T0 = 1_793_577_600_000_000  # 2026-11-02 00:00 UTC, a Monday


def _events(rng: np.random.Generator, days: int = 21) -> pl.DataFrame:
    """A person at 9-17 on weekdays (about 4 events an hour), an agent writing 8-12 events at
    :05 of every hour, and a steady agent at about 3 an hour around the clock."""
    rows = []
    for day in range(days):
        for hour in range(24):
            base = T0 + day * DAY_US + hour * HOUR_US
            if day % 7 < 5 and 9 <= hour < 17:
                rows += [("person", t) for t in base + rng.integers(0, HOUR_US, rng.poisson(4))]
            rows += [("batch-agent", t) for t in base + 5 * MIN_US + rng.integers(0, MIN_US, rng.integers(8, 13))]
            rows += [("steady-agent", t) for t in base + rng.integers(0, HOUR_US, rng.poisson(3))]
    return _frame(rows)


def _frame(rows: list[tuple[str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"actor_id": pl.String, "t_us": pl.Int64}, orient="row").with_columns(
        workspace_id=pl.lit("ws"))


def test_steady_actors_ordinary_weeks_raise_nothing():
    """Twelve draws of three weeks: the steady and the hourly agents are never flagged, nor is
    anyone by the seasonal z-score; SPOT, calibrated on two days, flags a quarter-hour of the
    person's in 2 of the 12 (its false alarms on the tuning runs: about 13 per 100 actor-weeks)."""
    person = 0
    for seed in range(12):
        events = _events(np.random.default_rng(seed))
        assert baselines.seasonal_z_alarms(events).is_empty(), seed
        spot = baselines.spot_alarms(events)
        assert set(spot["actor_id"]) <= {"person"}, seed
        person += spot.height
    assert person <= 2


@pytest.mark.parametrize("name", ["seasonal_z", "spot"])
@pytest.mark.parametrize("actor", ["batch-agent", "steady-agent"])
def test_an_obvious_runaway_is_flagged(name, actor):
    """300 events in 15 minutes on day 16 (a Tuesday of the third week), at 14:20."""
    rng = np.random.default_rng(5)
    start = T0 + 16 * DAY_US + 14 * HOUR_US + 20 * MIN_US
    events = pl.concat([_events(rng), _frame([(actor, t) for t in start + rng.integers(0, 15 * MIN_US, 300)])])
    alarms = baselines.BASELINES[name](events)
    hits = alarms.filter((pl.col("start") < start + 15 * MIN_US) & (pl.col("end") > start))
    assert hits["actor_id"].to_list() == [actor], alarms
    assert set(alarms["actor_id"]) <= {actor, "person"}   # SPOT's occasional quarter-hour of the person


@pytest.mark.parametrize("name", ["seasonal_z", "spot"])
def test_a_verdict_needs_only_what_came_before(name):
    """Cut the events at a time T: every alarm before T is the same with or without what came
    after (the last window before T may be cut short, so T is on a day's boundary)."""
    rng = np.random.default_rng(9)
    start = T0 + 10 * DAY_US + 3 * HOUR_US
    events = pl.concat([_events(rng), _frame([("person", t) for t in start + rng.integers(0, 30 * MIN_US, 60)])])
    cut = T0 + 14 * DAY_US
    whole = baselines.BASELINES[name](events).filter(pl.col("end") <= cut)
    early = baselines.BASELINES[name](events.filter(pl.col("t_us") < cut))
    assert not whole.is_empty() and whole.equals(early.filter(pl.col("end") <= cut))


def test_the_generalised_pareto_fit_recovers_its_shape():
    rng = np.random.default_rng(1)
    gamma, sigma = baselines._gpd(rng.exponential(3.0, 20_000))
    assert abs(gamma) < 0.03 and sigma == pytest.approx(3.0, rel=0.05)
    u = rng.random(20_000)
    sample = 2.0 / 0.2 * (u ** -0.2 - 1)   # GPD with gamma 0.2, sigma 2 by inversion
    gamma, sigma = baselines._gpd(sample)
    assert gamma == pytest.approx(0.2, abs=0.03) and sigma == pytest.approx(2.0, rel=0.05)


def test_alarms_that_touch_are_one():
    windows = pl.DataFrame({"workspace_id": ["ws"] * 4, "actor_id": ["a", "a", "a", "b"],
                            "start": [0, 15, 60, 15], "end": [15, 75, 75, 30]})
    assert baselines.episodes(windows).rows() == [("ws", "a", 0, 75), ("ws", "b", 15, 30)]
