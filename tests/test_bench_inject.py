"""The evaluation's injector (bench/inject.py) and families (bench/families.py): each label
is true of the data returned, each anomaly falls while its actor is there, each kind is what
the injector's docstring defines, and nothing under bench/ reads the detector."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bench import families
from bench.inject import DAY_US, HOUR_US, MIN_US, SCHEDULED_RUNAWAYS, Runaways, inject_into, largest_before

from .injected import T0, actor, as_events, history, spike_people

ROOT = Path(__file__).resolve().parent.parent


def _inject(events: pl.DataFrame, seed: int, **kw):
    return inject_into(events, per_kind=10, rng=np.random.default_rng(seed), min_history=20, **kw)


def _added(data, events: pl.DataFrame) -> pl.DataFrame:
    return data.events.join(events.select("id"), on="id", how="anti")


def test_each_label_is_what_was_injected():
    """Every injected event is the labelled actor's (or, for a spike, its workspace's people's),
    inside the label's [start, end); the labels' events add up to the events injected; and
    in_window, before_max and ratio are the counts in the data returned."""
    events = history()
    for seed in range(2):
        data = _inject(events, seed)
        added = _added(data, events)
        truth = data.truth.with_row_index("tid")
        own = truth.filter(pl.col("actor_id").is_not_null())
        spikes = truth.filter(pl.col("kind") == "workspace_spike")
        # each injected event falls in a label of its actor, or in a spike of its workspace
        inside_own = added.join(own.select("actor_id", "start", "end", "tid"), on="actor_id").filter(
            pl.col("t_us").is_between("start", "end", closed="left"))
        inside_spike = added.join(spikes.select("workspace_id", "start", "end", "tid"), on="workspace_id").filter(
            pl.col("t_us").is_between("start", "end", closed="left"))
        assert set(added["id"]) == set(inside_own["id"]) | set(inside_spike["id"])
        # every event injected is one of a label's events; on each actor, at least its labels' own
        # (the rest are its part in spikes), and a spike's 10 minutes hold its events, 8 people or more
        assert added.height == data.truth["events"].sum()
        per_actor = added.group_by("actor_id").len().join(
            own.group_by("actor_id").agg(pl.col("events").sum()), on="actor_id", how="left").fill_null(0)
        assert (per_actor["len"] >= per_actor["events"]).all()
        assert (per_actor["len"] - per_actor["events"]).sum() == spikes["events"].sum()
        for row in spikes.iter_rows(named=True):
            window = added.filter(pl.col("t_us").is_between(row["start"], row["end"], closed="left"))
            assert window.height >= row["events"] and window["actor_id"].n_unique() >= 8
        # in_window and before_max, counted again by brute force over the actor's events
        for row in own.filter(pl.col("kind") != "new_actor").iter_rows(named=True):
            t = np.sort(data.events.filter(pl.col("actor_id") == row["actor_id"])["t_us"].to_numpy())
            length = row["end"] - row["start"]
            assert row["in_window"] == int(((t >= row["start"]) & (t < row["end"])).sum())
            # counted backwards this time: the most events in (t - length, t] ending at any event
            before = pl.DataFrame({"t": t[t < row["start"]]})
            brute = before.rolling("t", period=f"{length}i").agg(n=pl.len())["n"].max() or 0
            assert row["before_max"] == brute
            assert row["ratio"] == pytest.approx(row["in_window"] / max(brute, 1), abs=0.01)


def test_each_actor_s_anomaly_falls_while_the_actor_is_there():
    events = history()
    span = events.group_by("actor_id").agg(first=pl.col("t_us").min(), last=pl.col("t_us").max())
    truth = pl.concat([_inject(events, seed).truth for seed in range(5)])
    mine = truth.filter(pl.col("kind").is_in(["runaway_agent", "off_hours", "rapid_succession"])).join(
        span, on="actor_id")
    # every kind was injected on the short-lived actors too, so the check bites
    assert set(mine.filter(pl.col("actor_id") == "late-bot")["kind"]) == {"runaway_agent"}
    assert {"off_hours", "rapid_succession"} <= set(mine.filter(pl.col("actor_id") == "joiner")["kind"])
    # from two days after the actor's first event to the end of its last day
    last_day = (pl.col("last") - T0) // DAY_US
    outside = mine.filter((pl.col("start") < pl.col("first") + 2 * DAY_US)
                          | (pl.col("end") > T0 + (last_day + 1) * DAY_US))
    assert outside.is_empty(), outside.select("kind", "actor_id", "start").rows()


def test_off_hours_fall_at_an_hour_the_person_never_works_after_a_week():
    """Not even the hour either side, counting every injected event (a spike at night, another
    off-hours hour); a person who works at every hour has none; each person is picked once while
    others are left; and "never works then" stands on at least 7 active days before it."""
    events = history()
    for seed in range(5):
        data = _inject(events, seed)
        off = data.truth.filter(pl.col("kind") == "off_hours")
        assert off.height == 10 and "owl" not in off["actor_id"].to_list()
        assert off["actor_id"].n_unique() == 8   # each of the 8 people with a quiet hour
        for actor, start, end in off.select("actor_id", "start", "end").rows():
            hour = start // HOUR_US % 24
            near = {hour, (hour + 1) % 24, (hour - 1) % 24}
            mine = data.events.filter(pl.col("actor_id") == actor)
            others = mine.filter(~pl.col("t_us").is_between(start, end, closed="left"))
            assert not near & set((others["t_us"] // HOUR_US % 24).to_list()), (actor, hour)
            assert (mine.filter(pl.col("t_us") < start)["t_us"] // DAY_US).n_unique() >= 7


def test_a_spike_is_eight_or_more_people_who_are_there():
    """A spike drawn before the joiner joined is made of people there then; with the joiner
    there, it may take part. Every injected event falls while its actor is there."""
    events = history()
    span = events.group_by("actor_id").agg(first=pl.col("t_us").min(), last=(pl.col("t_us").max() - T0) // DAY_US)
    spiked = set()
    for seed in range(8):
        data = _inject(events, seed)
        added = _added(data, events).join(span, on="actor_id")
        outside = added.filter((pl.col("t_us") < pl.col("first") + 2 * DAY_US)
                               | ((pl.col("t_us") - T0) // DAY_US > pl.col("last")))
        assert outside.is_empty(), outside.select("actor_id", "t_us").rows()[:5]
        spiked |= spike_people(added, data.truth)
    assert {"founder", "joiner", "owl"} <= spiked


def test_no_spike_where_eight_people_are_never_there():
    """Ten people who each stay nine days, one after another, are never eight at once; nor are
    the five of a small workspace: a spike is 8 people or more, so none is injected."""
    rows = [row for i in range(10) for row in actor(f"p{i}", "person", range(9 * i, 9 * i + 9), range(9, 17))]
    rows += actor("old-bot", "agent", range(90), range(0, 24, 6))
    truth = _inject(as_events(rows), 0).truth
    assert truth.filter(pl.col("kind") == "workspace_spike").is_empty()
    assert truth.filter(pl.col("kind") == "rapid_succession").height == 10
    rows = [row for i in range(5) for row in actor(f"p{i}", "person", range(30), range(9, 17))]
    rows += actor("bot", "agent", range(30), range(0, 24, 6))
    assert _inject(as_events(rows), 0).truth.filter(pl.col("kind") == "workspace_spike").is_empty()


def test_no_off_hours_once_no_one_has_a_never_worked_hour_left():
    """A small project's regulars may have one quiet hour between them, or none: an off-hours
    burst goes there once, and no more are injected (rather than at an hour someone works)."""
    rows = actor("a", "person", range(30), range(0, 21))   # quiet at 22 only (21 and 23 border work)
    rows += [row for i in range(3) for row in actor(f"all-{i}", "person", range(30), range(24))]
    rows += actor("bot", "agent", range(30), range(0, 24, 6))
    off = _inject(as_events(rows), 0).truth.filter(pl.col("kind") == "off_hours")
    assert off["actor_id"].to_list() == ["a"] and off["start"][0] // HOUR_US % 24 == 22


def test_a_rapid_succession_falls_at_an_hour_the_person_usually_works():
    """An hour worked on 3 of 100 days is not one the person usually works (a third of their
    days): a rapid succession goes to their working hours only. Weekdays and weekends are
    counted apart: a person up at 6 on every weekend day and on two weekdays usually works at 6
    on weekends, and not on weekdays."""
    rows = actor("p", "person", range(100), range(9, 17))
    night = actor("p", "person", range(0, 90, 30), [3])   # 100 events each of those nights
    rows += [{**row, "t_us": row["t_us"] + k * 30_000_000} for row in night for k in range(100)]
    rows += actor("bot", "agent", range(100), range(0, 24, 6))
    for seed in range(3):
        rapid = _inject(as_events(rows), seed).truth.filter(pl.col("kind") == "rapid_succession")
        assert rapid.height == 10
        assert set((rapid["start"] // HOUR_US % 24).to_list()) <= set(range(9, 17))

    weekend_days = [d for d in range(100) if (T0 // DAY_US + d + 3) % 7 >= 5]
    rows = actor("p", "person", range(100), range(9, 17))
    rows += [{**row, "t_us": row["t_us"] + k * 60_000_000}
             for row in actor("p", "person", [*weekend_days, 40, 41], [6]) for k in range(30)]
    rows += actor("bot", "agent", range(100), range(0, 24, 6))
    early = []
    for seed in range(6):
        rapid = _inject(as_events(rows), seed).truth.filter(pl.col("kind") == "rapid_succession")
        early += [t for t in rapid["start"] if t // HOUR_US % 24 < 9]
    assert early and all((t // DAY_US + 3) % 7 >= 5 for t in early)


def test_a_runaway_is_sized_against_the_agent_s_largest_stretch_before_it():
    """Each runaway is the drawn multiple (2-30x) of the agent's largest count of its own events in
    a window that long before it, or 20 events when that is more; its label's ``ratio`` counts the
    data returned (an earlier runaway of the same agent included). Half begin at the agent's own
    events, the others at an hour it never works (the old bot runs at 0, 6, 12, 18)."""
    events = history()
    for seed in range(3):
        data = _inject(events, seed)
        truth = data.truth.filter(pl.col("kind") == "runaway_agent")
        assert truth.height == 10
        for row in truth.iter_rows(named=True):
            own = events.filter((pl.col("actor_id") == row["actor_id"]) & (pl.col("t_us") < row["start"]))
            length = row["end"] - row["start"]
            largest = own.sort("t_us").rolling("t_us", period=f"{length}i").agg(n=pl.len())["n"].max()
            inside = events.filter((pl.col("actor_id") == row["actor_id"])
                                   & pl.col("t_us").is_between(row["start"], row["end"], closed="left")).height
            assert row["events"] == 20 or 1.95 <= (row["events"] + inside) / largest <= 30.05, row
            assert row["events"] >= 20 and 15 <= length // MIN_US <= 180
            others = truth.filter((pl.col("actor_id") == row["actor_id"]) & (pl.col("start") != row["start"])
                                  & (pl.col("start") < row["end"]))
            if others.is_empty():   # no earlier (or overlapping) runaway of the agent in the way
                assert row["ratio"] == pytest.approx((row["events"] + inside) / largest, abs=0.01)
        old = truth.filter(pl.col("actor_id") == "old-bot")
        for start, when in old.select("start", "when").rows():
            hour = start // HOUR_US % 24
            assert (hour in {0, 6, 12, 18}) == (when == "its work"), (hour, when)
    whens = pl.concat([_inject(events, seed).truth for seed in range(3)]).filter(pl.col("actor_id") == "old-bot")
    assert set(whens["when"]) == {"its work", "an hour it never works"}


def test_a_scheduled_agent_s_runaway_is_10_to_50x_its_largest_run():
    """scheduled4 (issue 34, item 1): agents running four times a day, about 45 events in 2
    minutes; each runaway 5-15 minutes of 10-50x the agent's largest run before it, at its run
    times or at hours it never runs."""
    data = families.inject("scheduled4", 3)
    events = families.generate("scheduled4", 3)
    agents = events.filter(pl.col("actor_key").str.contains("sched-agent"))
    runs = (agents.sort("actor_id", "t_us")   # a run: events less than 10 minutes apart
            .with_columns(run=(pl.col("t_us").diff().over("actor_id").fill_null(0) > 10 * MIN_US)
                          .cum_sum().over("actor_id"))
            .group_by("actor_id", "run").agg(n=pl.len(), span=pl.col("t_us").max() - pl.col("t_us").min()))
    assert runs["n"].is_between(38, 52).all() and (runs["span"] <= 3 * MIN_US).all()
    assert (runs.group_by("actor_id").len()["len"] == 4 * families.DAYS).all()   # four runs a day
    runaways = data.truth.filter(pl.col("kind") == "runaway_agent")
    assert runaways.height == 10 and set(runaways["actor_id"]) <= set(agents["actor_id"])
    assert runaways["ratio"].is_between(10, 50.05).all()
    assert ((runaways["end"] - runaways["start"]) // MIN_US).is_between(5, 15).all()
    assert set(runaways["when"]) == {"its work", "an hour it never works"}
    largest_run = runs.group_by("actor_id").agg(largest=pl.col("n").max())
    sized = runaways.join(largest_run, on="actor_id")
    assert (sized["before_max"] <= sized["largest"]).all() and (sized["before_max"] >= 38).all()
    assert (sized["in_window"] >= 10 * sized["largest"] * 0.95).all()


def test_largest_before_counts_windows_from_any_event_before_the_start():
    t = np.array([0, 10, 20, 100, 101, 102, 103, 500])
    assert largest_before(t, 500, 10) == 4 and largest_before(t, 103, 10) == 3 and largest_before(t, 0, 10) == 0
    assert largest_before(t, 10_000, 1_000) == 8


def test_a_family_s_runaways_are_drawn_as_its_family_says():
    assert families.runaways("scheduled4") == SCHEDULED_RUNAWAYS
    assert families.runaways("office") == Runaways()
    assert "scheduled4" in families.FAMILIES


def _imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for every import in ``path``, relative ones made absolute (``bench.x``)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = "bench" + ("." + module if module else "")
            out += [(module, alias.name) for alias in node.names]
    return out


#: bench modules that run the detector's SQL as the thing they time, and make or score no labels
TIMES_THE_DETECTOR = {"spark_bench.py": "installs the package's macros over a Parquet lake to time them"}


def test_nothing_in_bench_reads_the_detector():
    """No module under bench/ imports the detector's SQL (``activity_analytics._sql``), any
    constant the detector defines, or the package's sample injector (whose thresholds are
    the sample's): the evaluation's labels come from what bench/inject.py injected. The one
    exception times the detector's own macros on Spark's lake (TIMES_THE_DETECTOR); it too
    imports no constant of the detector."""
    detector = ROOT / "activity_analytics" / "_sql"
    constants = set()
    for path in detector.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, ast.AnnAssign) else []
            constants |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    assert {"OFF_HOURS_SHARE", "SPIKE_EXTRA_ACTORS"} <= constants   # the check knows what it looks for
    files = sorted((ROOT / "bench").glob("*.py"))
    assert len(files) > 10
    for path in files:
        for module, name in _imports(path):
            if path.name not in TIMES_THE_DETECTOR:
                assert not module.startswith("activity_analytics._sql"), (path.name, module)
                assert not (module == "activity_analytics" and name == "_sql"), path.name
            assert module != "activity_analytics._anomalies", (path.name, module)
            if module.startswith("activity_analytics"):
                assert name not in constants, (path.name, module, name)
