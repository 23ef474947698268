"""The bursts evaluation's account of each injected runaway (bench/bursts_eval.py):
how many other days the agent was as busy in a window of the runaway's length."""

from __future__ import annotations

import polars as pl

from bench.bursts_eval import DAY_US, no_bigger_than_its_own, runaway_context

MIN_US = 60_000_000


def _events(times: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"actor_id": ["bot"] * len(times), "t_us": times})


def test_a_runaway_no_bigger_than_the_agent_s_own_batches_is_counted_so():
    """A batch of 10 events in 5 minutes on four days: a runaway of 10 events in
    20 minutes on day 5 was matched on those four days; one of 30 on none, and is
    3x the agent's typical day's busiest 20 minutes."""
    batches = [d * DAY_US + 2 * 60 * MIN_US + i * 20_000_000 for d in range(4) for i in range(10)]
    start = 5 * DAY_US + 15 * 60 * MIN_US
    for n, matched in ((10, 4), (30, 0)):
        runaway = [start + i * (20 * MIN_US // n) for i in range(n)]
        truth = pl.DataFrame({"tid": [0], "actor_id": ["bot"], "start": [start], "end": [start + 20 * MIN_US],
                              "found": [False], "kind": ["runaway_agent"]})
        [row] = runaway_context(_events(batches + runaway), truth)
        assert row["events"] == n and row["minutes"] == 20
        assert row["busier_days"] == matched
        assert row["own_busiest"] == 10  # its typical day's busiest 20 minutes
        assert no_bigger_than_its_own(row) == (n == 10)
        assert row["own_usual"] == 0.0  # it never works at 15:00


def test_runaways_are_counted_by_size_against_the_agent_s_busy_stretch():
    """Issue 22's decision 3 shows an alarm from 3x what is expected: by_size says how many
    runaways are at least 3x the agent's typical day's busiest stretch, and the share found."""
    from bench.bursts_eval import by_size

    rows = [{"minutes": 20, "events": n, "own_usual": 2.0, "found": found, "busier_days": 0, "own_busiest": 10}
            for n, found in ((10, False), (29, False), (30, True), (40, False), (55, True))]
    assert by_size(rows) == {"at_least_3x_its_day": {"runaways": 3, "recall": 0.67},
                             "under_3x_its_day": {"runaways": 2, "recall": 0.0}}
    assert by_size([])["at_least_3x_its_day"] == {"runaways": 0, "recall": None}


def test_runaways_are_counted_by_their_label_s_size_and_time():
    """Issue 34's targets: every runaway of 5x the agent's largest comparable stretch before it
    found, 0.9 of those of 3x; the breakdown by when it began, length and size, per method."""
    from bench.bursts_eval import by_ratio, runaway_breakdown

    rows = [{"kind": "runaway_agent", "ratio": ratio, "minutes": minutes, "when": when, "bursts": b,
             "bursts_any_kind": b, "seasonal_z": z, "spot": s}
            for ratio, minutes, when, b, z, s in (
                (12.0, 10, "its work", False, True, True), (6.0, 20, "its work", True, False, True),
                (4.0, 90, "an hour it never works", True, False, False),
                (2.5, 90, "an hour it never works", False, False, True))]
    rows.append({"kind": "off_hours", "ratio": 1.0, "minutes": 60, "when": None, "bursts": True,
                 "bursts_any_kind": True, "seasonal_z": True, "spot": True})
    assert by_ratio(rows) == {"at_least_5x": {"runaways": 2, "recall": 0.5},
                              "at_least_3x": {"runaways": 3, "recall": 0.67},
                              "under_3x": {"runaways": 1, "recall": 0.0}}
    assert by_ratio(rows, "spot")["at_least_5x"] == {"runaways": 2, "recall": 1.0}
    parts = {(r["when"], r["length"], r["size"]): r for r in runaway_breakdown(rows)}
    assert set(parts) == {("its work", "up to 30 min", "5x or more"), ("an hour it never works", "over 30 min", "3-5x"),
                          ("an hour it never works", "over 30 min", "under 3x")}
    work = parts[("its work", "up to 30 min", "5x or more")]
    assert (work["runaways"], work["bursts"], work["seasonal_z"], work["spot"]) == (2, 0.5, 0.5, 1.0)
