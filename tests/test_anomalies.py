"""The package's injector (activity_analytics/_anomalies.py) makes the bundled sample's and
``activity-analytics sample --anomalies``' anomalies; the evaluation of ``bursts`` has its own
(bench/inject.py, tested in tests/test_bench_inject.py). Neither reads the detector. And the
``reactive`` family of the generator (activity_analytics/_sample.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import polars as pl

from activity_analytics import _anomalies
from activity_analytics._anomalies import HOUR_US, inject_into

from .injected import DAY_US, T0, actor, as_events, history, spike_people



def test_the_sample_s_injector_reads_no_rule_of_the_detector():
    """Its thresholds are its own (WORKED_SHARE, SPIKE_PEOPLE_AT_LEAST), not imported from
    ``_sql``: the sample's labels do not follow the detector when its rules change."""
    tree = ast.parse(Path(_anomalies.__file__).read_text())
    modules = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not any("_sql" in m for m in modules), modules
    assert (_anomalies.WORKED_SHARE, _anomalies.SPIKE_PEOPLE_AT_LEAST) == (0.05, 5)


def test_the_sample_s_labels_add_up_to_what_was_injected():
    from activity_analytics._defaults import SampleSpec

    data = _anomalies.inject(SampleSpec(days=14, workspaces=2, people_per_workspace=12), per_kind=2, seed=3)
    assert data.truth.group_by("kind").len().sort("kind")["len"].to_list() == [2, 2, 2, 2, 2]
    added = data.events.join(_anomalies.inject(SampleSpec(days=14, workspaces=2, people_per_workspace=12),
                                               per_kind=0, seed=3).events.select("id"), on="id", how="anti")
    assert added.height == data.truth["events"].sum()


def test_each_actor_s_anomaly_falls_while_the_actor_is_there():
    events = history()
    span = events.group_by("actor_id").agg(first=pl.col("t_us").min(), last=pl.col("t_us").max())
    truth = pl.concat([inject_into(events, per_kind=10, rng=np.random.default_rng(seed), min_history=20).truth
                       for seed in range(5)])
    mine = truth.filter(pl.col("kind").is_in(["runaway_agent", "off_hours", "rapid_succession"])).join(
        span, on="actor_id")
    # every kind was injected on the short-lived actors too, so the check bites
    assert set(mine.filter(pl.col("actor_id") == "late-bot")["kind"]) == {"runaway_agent"}
    assert {"off_hours", "rapid_succession"} <= set(mine.filter(pl.col("actor_id") == "joiner")["kind"])
    # from the actor's third day to the end of its last day
    first_day = (pl.col("first") - T0) // DAY_US
    last_day = (pl.col("last") - T0) // DAY_US
    outside = mine.filter((pl.col("start") < T0 + (first_day + 2) * DAY_US)
                          | (pl.col("end") > T0 + (last_day + 1) * DAY_US))
    assert outside.is_empty(), outside.select("kind", "actor_id", "start").rows()


def test_off_hours_fall_at_an_hour_the_person_never_works():
    """Not even the hour either side; and a person who works at every hour has none."""
    events = history()
    worked = events.group_by("actor_id").agg(hods=(pl.col("t_us") // HOUR_US % 24).unique())
    truth = pl.concat([inject_into(events, per_kind=10, rng=np.random.default_rng(seed), min_history=20).truth
                       for seed in range(5)]).filter(pl.col("kind") == "off_hours").join(worked, on="actor_id")
    assert truth.height == 50 and "owl" not in truth["actor_id"].to_list()
    for start, hods in truth.select("start", "hods").rows():
        hour = start // HOUR_US % 24
        assert not {hour, (hour + 1) % 24, (hour - 1) % 24} & set(hods), (hour, sorted(hods))


def test_a_spike_is_made_of_people_who_are_there():
    """Every event injected on an existing person or bot (spikes included) falls from their
    third day to their last: a spike drawn before the joiner joined is made of the eight
    people there then; with the joiner there, it may take part."""
    events = history()
    span = events.group_by("actor_id").agg(first=(pl.col("t_us").min() - T0) // DAY_US,
                                           last=(pl.col("t_us").max() - T0) // DAY_US)
    spiked = set()
    for seed in range(8):
        data = inject_into(events, per_kind=10, rng=np.random.default_rng(seed), min_history=20)
        added = data.events.join(events.select("id"), on="id", how="anti").join(span, on="actor_id")
        day = (pl.col("t_us") - T0) // DAY_US
        outside = added.filter((day < pl.col("first") + 2) | (day > pl.col("last")))
        assert outside.is_empty(), outside.select("actor_id", "t_us").rows()[:5]
        spiked |= spike_people(added, data.truth)
    assert {"founder", "joiner", "owl"} <= spiked


def test_no_spike_where_eight_people_are_never_there():
    """Ten people who each stay nine days, one after another, are never eight at once: no
    spike of 8 is injected, rather than a small one that no one would call a spike."""
    rows = [row for i in range(10) for row in actor(f"p{i}", "person", range(9 * i, 9 * i + 9), range(9, 17))]
    rows += actor("old-bot", "agent", range(90), range(0, 24, 6))
    events = as_events(pl.DataFrame(rows))
    truth = inject_into(events, per_kind=10, rng=np.random.default_rng(0), min_history=20).truth
    assert truth.filter(pl.col("kind") == "workspace_spike").is_empty()
    assert truth.filter(pl.col("kind") == "rapid_succession").height == 10


def test_no_spike_in_a_workspace_of_fewer_than_five_people():
    """The sample's spike is 8-14 people, or all of a smaller workspace's if at least five
    (SPIKE_PEOPLE_AT_LEAST): in a workspace of four none is injected; with five, a spike is all five."""
    def spikes(people: int) -> pl.DataFrame:
        rows = [row for i in range(people) for row in actor(f"p{i}", "person", range(30), range(9, 17))]
        rows += actor("bot", "agent", range(30), range(0, 24, 6))
        data = inject_into(as_events(pl.DataFrame(rows)), per_kind=10, rng=np.random.default_rng(0), min_history=20)
        return data.truth.filter(pl.col("kind") == "workspace_spike")

    assert spikes(4).is_empty()
    five = spikes(5)
    assert five.height == 10 and five["events"].min() >= 5 * 3


def test_no_off_hours_once_no_one_has_a_never_worked_hour_left():
    """A small project's regulars may have one quiet hour between them, or none: an off-hours
    burst goes there once, and no more are injected (rather than at an hour someone works)."""
    rows = actor("a", "person", range(30), range(0, 21))   # quiet at 22 only (21 and 23 border work)
    rows += [row for i in range(3) for row in actor(f"all-{i}", "person", range(30), range(24))]
    rows += actor("bot", "agent", range(30), range(0, 24, 6))
    truth = inject_into(as_events(pl.DataFrame(rows)), per_kind=10, rng=np.random.default_rng(0), min_history=20).truth
    off = truth.filter(pl.col("kind") == "off_hours")
    assert off["actor_id"].to_list() == ["a"] and off["start"][0] // HOUR_US % 24 == 22


def test_a_rapid_succession_falls_at_an_hour_the_person_works():
    """An hour (with the hour either side) worked on 3 of 100 days is not one the person works
    (WORKED_SHARE: more than 1 in 20 of the active days): a rapid succession is injected at the
    person's working hours only."""
    rows = actor("p", "person", range(100), range(9, 17))
    night = actor("p", "person", range(0, 90, 30), [3])   # 100 events each of those nights
    rows += [{**row, "t_us": row["t_us"] + k * 30_000_000} for row in night for k in range(100)]
    rows += actor("bot", "agent", range(100), range(0, 24, 6))
    for seed in range(3):
        truth = inject_into(as_events(pl.DataFrame(rows)), per_kind=10, rng=np.random.default_rng(seed),
                            min_history=20).truth
        rapid = truth.filter(pl.col("kind") == "rapid_succession")
        assert rapid.height == 10
        assert set((rapid["start"] // HOUR_US % 24).to_list()) <= set(range(9, 17))

    # a weekday hour is counted against weekdays only: a person up at 6 on every weekend day
    # and on two weekdays works at 6 on weekends, and never at 6 on a weekday
    weekend_days = [d for d in range(100) if (T0 // DAY_US + d + 3) % 7 >= 5]   # 2026-01-01: a Thursday
    rows = actor("p", "person", range(100), range(9, 17))
    rows += [{**row, "t_us": row["t_us"] + k * 60_000_000}
             for row in actor("p", "person", [*weekend_days, 40, 41], [6]) for k in range(30)]
    rows += actor("bot", "agent", range(100), range(0, 24, 6))
    early = []
    for seed in range(6):
        truth = inject_into(as_events(pl.DataFrame(rows)), per_kind=10, rng=np.random.default_rng(seed),
                            min_history=20).truth
        early += [t for t in truth.filter(pl.col("kind") == "rapid_succession")["start"] if t // HOUR_US % 24 < 9]
    assert early and all((t // DAY_US + 3) % 7 >= 5 for t in early)


def test_an_off_hours_hour_is_never_worked_even_counting_what_was_injected():
    """No other event of the person, injected ones included (a spike at night, another
    off-hours hour), falls in the hour or the hour either side: a second night at the same
    hour is not "never". People are not picked twice while others are left; and a rapid
    succession falls at an hour of the day the person worked on 3 days or more."""
    events = history()
    usual = {}
    per_hour = (events.with_columns(hod=pl.col("t_us") // HOUR_US % 24, day=pl.col("t_us") // DAY_US)
                .group_by("actor_id", "hod").agg(pl.col("day").n_unique()).filter(pl.col("day") >= 3))
    for actor, hours in per_hour.group_by("actor_id").agg(pl.col("hod")).iter_rows():
        usual[actor] = set(hours)
    for seed in range(5):
        data = inject_into(events, per_kind=10, rng=np.random.default_rng(seed), min_history=20)
        off = data.truth.filter(pl.col("kind") == "off_hours")
        assert off["actor_id"].n_unique() == 8   # each of the 8 people with a quiet hour (not the owl)
        for actor, start, end in off.select("actor_id", "start", "end").rows():
            hour = start // HOUR_US % 24
            near = {hour, (hour + 1) % 24, (hour - 1) % 24}
            others = data.events.filter((pl.col("actor_id") == actor)
                                        & ~pl.col("t_us").is_between(start, end, closed="left"))
            assert not near & set((others["t_us"] // HOUR_US % 24).to_list()), (actor, hour)
        for actor, start in data.truth.filter(pl.col("kind") == "rapid_succession").select("actor_id", "start").rows():
            assert start // HOUR_US % 24 in usual[actor], (actor, start // HOUR_US % 24)


def test_a_runaway_is_sized_by_the_bot_s_rate_while_it_is_there():
    # late-bot: 12 events a day for 11 days (0.5 an hour while there), in a 90-day store: at the
    # store's mean rate (0.06 an hour) "4-10x" would be a tenth of what the bot does anyway
    events = history()
    truth = pl.concat([inject_into(events, per_kind=10, rng=np.random.default_rng(seed)).truth
                       for seed in range(5)])
    runaways = truth.filter((pl.col("kind") == "runaway_agent") & (pl.col("actor_id") == "late-bot"))
    hours = (runaways["end"] - runaways["start"]) / HOUR_US
    per_hour = runaways["events"] / hours
    assert (hours >= 1).any()   # the long ones, where the rate decides (short ones add at least 20)
    assert (per_hour >= 0.5 * 3 - 0.5 / hours).all(), runaways.select("start", "end", "events").rows()


def test_reactive_agents_only_follow_their_workspace_s_people():
    """The ``reactive`` family's agents (a CI or triage bot) act only after one of their
    workspace's people: every event of theirs comes 10 seconds to 6 minutes after a person's
    event there, and their busy days are the people's (a day with more people's events has
    more of theirs)."""
    from activity_analytics._defaults import SampleSpec
    from activity_analytics._sample import generate_events

    events = generate_events(SampleSpec(seed=3, days=14, workspaces=2, people_per_workspace=6,
                                        steady_agents_per_workspace=1, family="reactive"))
    people = events.filter(pl.col("actor_key").str.contains("person")).select("workspace_id", "t_us").sort("t_us")
    reactive = events.filter(pl.col("actor_key").str.contains("batch-agent"))
    assert reactive["actor_key"].n_unique() == 4   # two per workspace
    # the latest person's event in the workspace at least 10 seconds before each of theirs
    after = (reactive.select("workspace_id", "t_us").with_columns(cause=pl.col("t_us") - 10_000_000).sort("cause")
             .join_asof(people.rename({"t_us": "person_us"}), left_on="cause", right_on="person_us",
                        by="workspace_id", strategy="backward"))
    gap = after["t_us"] - after["person_us"]
    assert gap.null_count() == 0 and gap.max() <= 360_000_000
    per_day = (events.with_columns(day=pl.col("t_us") // DAY_US,
                                   who=pl.when(pl.col("actor_key").str.contains("person")).then(pl.lit("people"))
                                   .when(pl.col("actor_key").str.contains("batch-agent")).then(pl.lit("reactive")))
               .filter(pl.col("who").is_not_null())
               .pivot(on="who", index=["workspace_id", "day"], values="t_us", aggregate_function="len")
               .fill_null(0))
    assert per_day.select(pl.corr("people", "reactive")).item() > 0.9
