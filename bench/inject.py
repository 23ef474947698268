"""Inject labelled anomalies into activity, for the ``bursts`` evaluation (bench only).

Nothing here reads the detector: no import from ``activity_analytics._sql``, no
constant or rule of ``bursts`` (a test parses bench/ for such imports). Each kind
is defined below in this module's own terms, and each label is exactly what was
injected: ``kind``, ``workspace_id``, ``actor_id`` (null for a spike), ``start``,
``end`` (µs), ``events`` (events injected). Beside them, for reporting only,
how big the anomaly is against the actor's own history *before it*, from the
data returned:

* ``in_window``: the actor's events in ``[start, end)``, injected or its own;
* ``before_max``: the actor's largest count of events in any window of the same
  length before ``start`` (from any of its events, counting only events before
  ``start``: its largest comparable stretch so far, at any hour);
* ``ratio``: ``in_window`` over ``before_max`` (at least 1);
* ``when`` (runaways): ``its work`` (begins at one of the agent's own events),
  ``an hour it never works`` (an hour of the day at which it never had an event,
  nor the hour either side) or ``any time`` (an agent that works at every hour).

An actor is *there* from two days after its first event (an anomaly sooner would
be hard to tell from a first-seen id) to the end of its last day (UTC). The kinds:

* ``rapid_succession``: a person, 15-60 events in 2-10 minutes, starting in an
  hour of the day they usually work: an hour at which they had events on at least
  a third of their active days of the same sort (weekdays, or weekend days) and
  on 3 such days or more before the day of the anomaly;
* ``runaway_agent``: an agent, for 15-30 minutes or 1-3 hours, with ``m`` times
  its largest count of events in a window that long before it (``m`` drawn from
  :class:`Runaways`, at least 20 events injected); half begin at one of its own
  events (while it works), half at an hour of the day it never worked (nor the
  hour either side), if it has one. Each is sized against the agent's own events
  (none injected); ``ratio``, from the data returned, is what was drawn unless an
  earlier runaway of the same agent (agents are picked in turn, each once while
  some are left) made its largest stretch bigger;
* ``new_actor``: an id never seen before, 15-80 events over 1-3 hours, from the
  store's third day;
* ``workspace_spike``: 8-14 of the workspace's people who are there at the time,
  3-6 events each, within 10 minutes. Fewer than 8 people at once is not a spike:
  none is injected where 8 people are never there at once;
* ``off_hours``: a person with at least 7 active days before it, 8-25 events in
  one hour of the day at which they never had an event, nor in the hour either
  side, counting every event injected on them (a second night at the same hour
  is not "never"); a different person each time while there are some; none
  once no one has such an hour left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from activity_analytics._sample import _uuids, rows_like

KINDS = ("rapid_succession", "runaway_agent", "new_actor", "workspace_spike", "off_hours")
MIN_US = 60_000_000
HOUR_US = 60 * MIN_US
DAY_US = 24 * HOUR_US
#: an actor is there from this many days after its first day
SETTLED_DAYS = 2
#: a spike is at least this many people (8-14)
SPIKE_PEOPLE = 8
#: "never works then" needs at least this many active days before it
OFF_HOURS_HISTORY_DAYS = 7
#: an hour a person usually works: events in it on at least this share of their active days
#: of the same sort (weekdays or weekend days), and on this many such days before it
USUAL_SHARE = 1 / 3
USUAL_DAYS = 3
#: the time words of a runaway's label
AT_WORK, NEVER, ANY_TIME = "its work", "an hour it never works", "any time"


@dataclass(frozen=True)
class Runaways:
    """How runaways are drawn: a length (minutes, uniform in one of ``lengths``, each range
    as likely), and ``times`` its largest count in a window that long before it (uniform in
    ``times``, or log-uniform when ``log``); ``agents``: only agents whose ``actor_key``
    contains it."""

    lengths: tuple[tuple[int, int], ...] = ((15, 30), (60, 180))
    times: tuple[float, float] = (2.0, 30.0)
    log: bool = True
    at_least: int = 20
    agents: str = "agent"


#: the scheduled agents' runaways (issue 34, item 1): 10-50x their largest run, 5-15 minutes
SCHEDULED_RUNAWAYS = Runaways(lengths=((5, 15),), times=(10.0, 50.0), log=False, agents="sched-agent")


@dataclass(frozen=True)
class Labelled:
    """Events with anomalies injected, and one row of truth per anomaly."""

    #: the columns of ``generate_events``, newest first
    events: pl.DataFrame
    #: kind, workspace_id, actor_id, start, end, events, in_window, before_max, ratio, when
    truth: pl.DataFrame
    #: actor ids of agent accounts (for ``mark_actors``)
    agents: list[str]


def largest_before(times: np.ndarray, start: int, length: int) -> int:
    """The largest count of ``times`` (sorted, µs) in a window ``[t, t + length)`` from any of
    them, counting only those before ``start``."""
    before = times[: np.searchsorted(times, start, "left")]
    if not len(before):
        return 0
    ends = np.searchsorted(before, before + length, "left")
    return int((ends - np.arange(len(before))).max())


def _hours_never(times: np.ndarray) -> list[int]:
    """Hours of the day with no event in ``times``, nor in the hour either side."""
    worked = set((times // HOUR_US % 24).tolist())
    return [h for h in range(24) if not {h, (h + 1) % 24, (h - 1) % 24} & worked]


def _weekend(t_us: np.ndarray) -> np.ndarray:
    """Saturdays and Sundays (1970-01-01 was a Thursday)."""
    return (t_us // DAY_US + 3) % 7 >= 5


def _usual_starts(times: np.ndarray) -> np.ndarray:
    """A person's events (sorted, µs) in an hour of the day they usually work (see the module),
    from two days after their first: where a rapid succession may begin."""
    days, hods, ends = times // DAY_US, times // HOUR_US % 24, _weekend(times)
    cells = pl.DataFrame({"day": days, "hod": hods, "end": ends, "i": np.arange(len(times))})
    active = cells.unique(["day", "end"]).group_by("end").len().rename({"len": "active"})
    per_hour = (cells.unique(["day", "hod", "end"]).sort("day")
                .with_columns(before=pl.int_range(pl.len()).over("hod", "end"),
                              total=pl.len().over("hod", "end")))
    ok = (cells.join(per_hour.select("day", "hod", "end", "before", "total"), on=["day", "hod", "end"])
          .join(active, on="end")
          .filter((pl.col("total") >= USUAL_SHARE * pl.col("active")) & (pl.col("before") >= USUAL_DAYS)
))
    chosen = np.sort(times[ok["i"].to_numpy()])
    return chosen[chosen >= times[0] + SETTLED_DAYS * DAY_US]


def _draw_times(rng: np.random.Generator, runaways: Runaways) -> float:
    lo, hi = runaways.times
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi)))) if runaways.log else float(rng.uniform(lo, hi))


def inject_into(events: pl.DataFrame, *, per_kind: int, rng: np.random.Generator, min_history: int = 1,
                runaways: Runaways = Runaways()) -> Labelled:
    """Inject ``per_kind`` anomalies of each kind (see the module) into ``events`` (the columns of
    ``generate_events``; ``actor_key`` says ``person`` or ``agent``): a synthetic family or a
    real history. ``min_history``: only actors with at least that many events are picked."""
    t_min = int(events["t_us"].min())
    day0 = t_min - t_min % DAY_US
    days = int((int(events["t_us"].max()) - day0) // DAY_US) + 1
    is_person = pl.col("actor_key").str.contains("person")
    is_agent = pl.col("actor_key").str.contains("agent")
    counts = events.group_by("actor_key").agg(n=pl.len(), workspace_id=pl.col("workspace_id").first())
    eligible = set(counts.filter(pl.col("n") >= min_history)["actor_key"].to_list())
    own = {key: np.sort(np.asarray(ts, dtype=np.int64)) for key, ts in
           events.group_by("actor_key").agg(pl.col("t_us")).iter_rows()}
    templates = {key: frame for (key,), frame in events.group_by("actor_key")}
    people_keys = sorted(k for k in events.filter(is_person)["actor_key"].unique().to_list() if k in eligible)
    agent_keys = sorted(k for k in events.filter(is_agent)["actor_key"].unique().to_list()
                        if k in eligible and runaways.agents in k)
    span = {k: (int(t[0] - day0) // DAY_US, int(t[-1] - day0) // DAY_US) for k, t in own.items()}
    first_t = {k: int(t[0]) for k, t in own.items()}
    added: list[pl.DataFrame] = []
    truth: list[dict] = []

    def there(key: str, margin: int = 0) -> tuple[int, int]:
        """[lo, hi) in µs: from two days after the actor's first event to ``margin`` before its
        last day ends."""
        lo, hi = first_t[key] + SETTLED_DAYS * DAY_US, day0 + (span[key][1] + 1) * DAY_US - margin
        return lo, max(hi, lo + 1)

    def record(kind: str, key: str, start: int, end: int, n: int, actor: bool = True, when: str | None = None):
        row = templates[key]
        truth.append({"kind": kind, "workspace_id": row["workspace_id"][0],
                      "actor_id": row["actor_id"][0] if actor else None,
                      "start": start, "end": end, "events": n, "when": when})

    def add(key: str, times: np.ndarray, **override) -> None:
        times = np.sort(np.asarray(times, dtype=np.int64))
        added.append(rows_like(templates[key], times, rng, **override))
        if not override:
            own[key] = np.sort(np.concatenate([own[key], times]))

    # rapid succession: a person, at an hour they usually work, 15-60 events in 2-10 minutes
    starts = {k: _usual_starts(own[k]) for k in people_keys}
    rapid_keys = [k for k in people_keys if len(starts[k])]
    for _ in range(per_kind if rapid_keys else 0):
        key = str(rng.choice(rapid_keys))
        at = int(rng.choice(starts[key]))
        start = at - at % HOUR_US + int(rng.integers(0, 50)) * MIN_US
        n, length = int(rng.integers(15, 61)), int(rng.integers(2, 11)) * MIN_US
        add(key, start + rng.integers(0, length, n))
        record("rapid_succession", key, start, start + length, n)

    # runaways: m times the agent's largest stretch that long in its own events before it
    placed = []
    order: list[str] = []
    for _ in range(per_kind if agent_keys else 0):
        if not order:
            order = [str(k) for k in rng.permutation(agent_keys)]
        key = order.pop()
        lo_min, hi_min = runaways.lengths[int(rng.integers(0, len(runaways.lengths)))]
        length = int(rng.integers(lo_min, hi_min + 1)) * MIN_US
        lo, hi = there(key, margin=length)
        never = _hours_never(own[key])
        own_times = own[key][(own[key] >= lo) & (own[key] < hi)]
        if rng.random() < 0.5 and len(own_times):
            when, start = AT_WORK, int(rng.choice(own_times))
        elif never:
            day = int(rng.integers(lo // DAY_US, max(lo // DAY_US + 1, (hi - 1) // DAY_US + 1)))
            when = NEVER
            start = day * DAY_US + int(rng.choice(never)) * HOUR_US + int(rng.integers(0, 60)) * MIN_US
        else:
            when, start = ANY_TIME, int(rng.integers(lo, hi))
        placed.append((start, key, length, when, _draw_times(rng, runaways)))
    ordinary = {key: own[key] for key in agent_keys}   # the agents' own events, none injected
    for start, key, length, when, times in placed:
        times_own = ordinary[key]
        inside = int(np.searchsorted(times_own, start + length) - np.searchsorted(times_own, start))
        n = max(runaways.at_least, math.ceil(times * max(largest_before(times_own, start, length), 1)) - inside)
        add(key, start + np.sort(rng.integers(0, length, n)))
        record("runaway_agent", key, start, start + length, n, when=when)

    # new actor: an id never seen before, 15-80 events over 1-3 hours, from the store's third day
    pool = people_keys + sorted(k for k in events.filter(is_agent)["actor_key"].unique().to_list() if k in eligible)
    for _ in range(per_kind):
        template = str(rng.choice(pool))
        new_id = _uuids(rng, 1)[0]
        hours = int(rng.integers(1, 4))
        n = int(rng.integers(15, 81))
        start = day0 + int(rng.integers(2 * 24, max(2 * 24 + 1, days * 24 - hours))) * HOUR_US
        new_key = "new-" + new_id
        templates[new_key] = templates[template].head(1).with_columns(actor_id=pl.lit(new_id),
                                                                      actor_key=pl.lit(new_key))
        own[new_key] = np.empty(0, dtype=np.int64)
        add(new_key, start + rng.integers(0, hours * HOUR_US, n))
        record("new_actor", new_key, start, start + hours * HOUR_US, n)

    # workspace spike: 8-14 people of one workspace who are there, 3-6 events each, within 10 minutes
    workspaces = sorted(set(counts.filter(pl.col("actor_key").is_in(people_keys))["workspace_id"].to_list()))
    members = {ws: [k for k in people_keys if templates[k]["workspace_id"][0] == ws] for ws in workspaces}

    def present(ws: str, t: int) -> list[str]:
        return [k for k in members[ws] if first_t[k] + SETTLED_DAYS * DAY_US <= t < day0 + (span[k][1] + 1) * DAY_US]

    for _ in range(per_kind if workspaces else 0):
        ws = str(rng.choice(workspaces))
        size = int(rng.integers(SPIKE_PEOPLE, 15))
        start = day0 + int(rng.integers(2 * 24, max(2 * 24 + 1, days * 24 - 1))) * HOUR_US \
            + int(rng.integers(0, 50)) * MIN_US
        if len(present(ws, start)) < SPIKE_PEOPLE:   # the same time of day on a day when 8 are there
            offset = (start - day0) % DAY_US
            fits = [d for d in range(days) if len(present(ws, day0 + d * DAY_US + offset)) >= SPIKE_PEOPLE]
            if not fits:
                continue
            start = day0 + int(rng.choice(fits)) * DAY_US + offset
        people = present(ws, start)
        total = 0
        for key in rng.choice(people, size=min(size, len(people)), replace=False):
            m = int(rng.integers(3, 7))
            add(str(key), start + rng.integers(0, 10 * MIN_US, m))
            total += m
        record("workspace_spike", people[0], start, start + 10 * MIN_US, total, actor=False)

    # off hours, last (every injected event counts against "never")
    def history_from(key: str) -> int:
        """The first day (µs) with OFF_HOURS_HISTORY_DAYS active days of the person before it."""
        active = np.unique(own[key] // DAY_US)
        if len(active) < OFF_HOURS_HISTORY_DAYS:
            return 1 << 62
        return int(active[OFF_HOURS_HISTORY_DAYS - 1] + 1) * DAY_US

    def can(key: str) -> bool:
        return bool(_hours_never(own[key])) and history_from(key) < there(key)[1]

    unused = [k for k in people_keys if can(k)]
    for _ in range(per_kind):
        pool = unused or [k for k in people_keys if can(k)]
        if not pool:
            break
        key = str(rng.choice(pool))
        unused = [k for k in unused if k != key]
        lo, hi = there(key)
        lo = max(lo, history_from(key))
        day = int(rng.integers(lo // DAY_US, (hi - 1) // DAY_US + 1))
        start = day * DAY_US + int(rng.choice(_hours_never(own[key]))) * HOUR_US
        n = int(rng.integers(8, 26))
        add(key, start + rng.integers(0, HOUR_US, n))
        record("off_hours", key, start, start + HOUR_US, n)

    all_events = pl.concat([events, *added]).sort("t_us", descending=True)
    agent_ids = events.filter(is_agent)["actor_id"].unique().sort().to_list()
    return Labelled(all_events, label(all_events, truth), agent_ids)


TRUTH_SCHEMA = {"kind": pl.String, "workspace_id": pl.String, "actor_id": pl.String, "start": pl.Int64,
                "end": pl.Int64, "events": pl.Int64, "in_window": pl.Int64, "before_max": pl.Int64,
                "ratio": pl.Float64, "when": pl.String}


def label(events: pl.DataFrame, truth: list[dict]) -> pl.DataFrame:
    """``truth`` with each actor's anomaly measured against the actor's history in ``events``
    (see the module: ``in_window``, ``before_max``, ``ratio``)."""
    actors = {r["actor_id"] for r in truth if r["actor_id"] is not None}
    times = {a: np.sort(np.asarray(t, dtype=np.int64)) for a, t in
             events.filter(pl.col("actor_id").is_in(list(actors))).group_by("actor_id").agg(pl.col("t_us")).iter_rows()}
    rows = []
    for r in truth:
        row = {**r, "in_window": None, "before_max": None, "ratio": None}
        if r["actor_id"] is not None and r["kind"] != "new_actor":
            t = times[r["actor_id"]]
            row["in_window"] = int(np.searchsorted(t, r["end"]) - np.searchsorted(t, r["start"]))
            row["before_max"] = largest_before(t, r["start"], r["end"] - r["start"])
            row["ratio"] = round(row["in_window"] / max(row["before_max"], 1), 2)
        rows.append(row)
    return pl.DataFrame(rows, schema=TRUTH_SCHEMA)
