"""Inject labelled anomalies into generated activity: the bundled sample's and
``activity-analytics sample --anomalies``' (and the package's own tests').

Each kind ``bursts`` looks for is injected at varied sizes into weeks of normal
activity (which already holds the traps: steady agents, agents working in hourly
batches, people's busy days), and the truth is returned beside the events. The
evaluation of ``bursts`` does not use this module: its injector is
``bench/inject.py``, which defines each kind in its own terms and labels exactly
what it injected. This one imports nothing of the detector; its two thresholds
below are its own definitions (they keep the bundled sample byte for byte what it
was).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._lazy import lazy_module
from ._sample import SampleSpec, _uuids, generate_events, rows_like

if TYPE_CHECKING:
    import numpy as np
    import polars as pl
else:
    np = lazy_module("numpy")
    pl = lazy_module("polars")

KINDS = ("rapid_succession", "runaway_agent", "new_actor", "workspace_spike", "off_hours")
HOUR_US = 3_600_000_000
MIN_US = 60_000_000
DAY_US = 24 * HOUR_US
#: an actor is there from this many days after its first (an anomaly earlier would be a
#: first-seen id, not one of its own) to the end of its last day
SETTLED_DAYS = 2
#: the active days a person has before an off-hours anomaly is injected on them
OFF_HOURS_DAYS = 7


@dataclass(frozen=True)
class Labelled:
    """Events with anomalies injected, and one row of truth per anomaly."""

    #: same columns as :func:`generate_events`
    events: pl.DataFrame
    #: kind, workspace_id, actor_id (null for a workspace spike), start, end (µs), events
    truth: pl.DataFrame
    #: actor ids of agent accounts (for ``mark_actors``)
    agents: list[str]


#: the fewest people an injected workspace spike is made of (8-14)
SPIKE_PEOPLE = 8
#: in a smaller workspace, all its people, if at least this many: fewer is no spike
SPIKE_PEOPLE_AT_LEAST = 5
#: an hour of the day a person works (for a rapid succession): with the hour either side, on
#: more than this share of their active days (and on 3 days or more)
WORKED_SHARE = 0.05


def _while_there(members: list[str], start: int, spans: dict, day0: int,
                 rng: np.random.Generator) -> tuple[int, list[str]] | None:
    """``start`` and the ``members`` there on its day (from their third day to their last,
    ``spans``: first and last day of each); if fewer than :data:`SPIKE_PEOPLE` are (or than
    all members, in a smaller workspace), the same time of day on a day drawn among those
    when enough are; None if there is no such day (a real history's people come and go: on a
    small project 8 of them are never there at once), or if the workspace has fewer than
    :data:`SPIKE_PEOPLE_AT_LEAST` members."""
    if len(members) < SPIKE_PEOPLE_AT_LEAST:
        return None
    def there(day: int) -> list[str]:
        return [m for m in members if spans[m][0] + SETTLED_DAYS <= day <= spans[m][1]]

    need = min(SPIKE_PEOPLE, len(members))
    day, offset = divmod(start - day0, DAY_US)
    present = there(day)
    if present and len(present) >= need:
        return start, present
    lo = min((spans[m][0] for m in members), default=0) + SETTLED_DAYS
    hi = max((spans[m][1] for m in members), default=0)
    days = [d for d in range(lo, hi + 1) if len(there(d)) >= max(need, 1)]
    if not days:
        return None
    day = int(rng.choice(days))
    return day0 + day * DAY_US + offset, there(day)


def inject(spec: SampleSpec, per_kind: int = 10, seed: int = 0) -> Labelled:
    """Generate activity for ``spec`` and inject ``per_kind`` anomalies of each kind.

    >>> data = inject(SampleSpec(days=14, workspaces=2, people_per_workspace=12), per_kind=2)
    >>> data.truth.group_by("kind").len().sort("kind")["len"].to_list()
    [2, 2, 2, 2, 2]
    """
    rng = np.random.default_rng(seed + 1000 * spec.seed)
    return inject_into(generate_events(spec), per_kind=per_kind, rng=rng)


def inject_into(events: pl.DataFrame, *, per_kind: int, rng: np.random.Generator,
                min_history: int = 1, min_runaway: int = 0) -> Labelled:
    """Inject ``per_kind`` anomalies of each kind into ``events`` (the columns of
    :func:`generate_events`; ``actor_key`` says ``person`` or ``agent``): the
    synthetic families, or a real history (``min_history``: only actors with at
    least that many events are picked; ``min_runaway``: events a long runaway
    adds at least, for agents whose mean rate is near zero)."""
    t_min = int(events["t_us"].min())
    day0 = t_min - t_min % DAY_US
    days = int((int(events["t_us"].max()) - day0) // DAY_US) + 1
    people = events.filter(pl.col("actor_key").str.contains("person"))
    agents = events.filter(pl.col("actor_key").str.contains("agent"))

    def keys(rows: pl.DataFrame) -> list[str]:
        counts = rows.group_by("actor_key").len()
        return counts.filter(pl.col("len") >= min_history)["actor_key"].sort().to_list()

    people_keys, agent_keys = keys(people), keys(agents)
    # each person's quiet hours of the day: never worked, nor the hour either side
    worked = {key: set(hods) for key, hods in people.group_by("actor_key").agg(
        hods=((pl.col("t_us") - day0) // HOUR_US % 24).unique()).iter_rows()}

    def quiet(hods: set[int]) -> list[int]:
        return [h for h in range(24) if not {h, (h + 1) % 24, (h - 1) % 24} & hods]

    def week_in(key: str) -> int | None:
        """The day after the person's 7th active day (from day0): "never works then" means
        something from there on (bursts claims it only on a week of the actor's own days)."""
        days = np.unique(((people.filter(pl.col("actor_key") == key)["t_us"] - day0) // DAY_US).to_numpy())
        return int(days[OFF_HOURS_DAYS - 1]) + 1 if len(days) > OFF_HOURS_DAYS else None

    off_keys = [k for k in people_keys if quiet(worked[k]) and week_in(k) is not None]
    spans = {key: ((lo - day0) // DAY_US, (hi - day0) // DAY_US)
             for key, lo, hi in people.group_by("actor_key").agg(lo=pl.col("t_us").min(), hi=pl.col("t_us").max()).rows()}
    added: list[pl.DataFrame] = []
    truth: list[dict] = []

    def actor_rows(key: str) -> pl.DataFrame:
        return events.filter(pl.col("actor_key") == key)

    def weekend(hours: np.ndarray) -> np.ndarray:
        """Whether each hour (from day0) falls on a Saturday or Sunday (the epoch began on a Thursday)."""
        return (day0 // DAY_US + hours // 24 + 3) % 7 >= 5

    def usual(hours: np.ndarray) -> np.ndarray:
        """Which of a person's event hours (from day0) fall at an hour of the day they work: the
        hour on 3 days or more, and with the hour either side on more than :data:`WORKED_SHARE`
        of their active days: on weekdays, their weekdays only; on weekends, every day."""
        days, hods, ends = hours // 24, hours % 24, weekend(hours)
        active = len(set(days.tolist()))
        least = max(1.0, WORKED_SHARE * active)

        def works(hod: int, on_weekend: bool) -> bool:
            near = np.isin(hods, [(hod - 1) % 24, hod, (hod + 1) % 24]) & (~ends | on_weekend)
            return len(set(days[hods == hod].tolist())) >= 3 and len(set(days[near].tolist())) - 1 > least

        verdict = {cell: works(*cell) for cell in set(zip(hods.tolist(), ends.tolist(), strict=True))}
        cells = zip(hods.tolist(), ends.tolist(), strict=True)
        return np.array([verdict[cell] for cell in cells], dtype=bool)

    def hours_of(key: str) -> np.ndarray:
        return ((actor_rows(key)["t_us"] - day0) // HOUR_US).to_numpy()

    def working_hour_of(rows: pl.DataFrame) -> int:
        """A timestamp (µs, start of an hour) at which this person usually works (see
        :func:`usual`), after day 1 of the store and of their own history."""
        hours = ((rows["t_us"] - day0) // HOUR_US).to_numpy()
        works = usual(hours)
        hours = hours[works] if works.any() else hours
        later = hours[hours >= max(48, int(hours.min()) + 48)]
        return day0 + int(rng.choice(later if len(later) else hours)) * HOUR_US

    def days_of(rows: pl.DataFrame) -> tuple[int, int]:
        """The actor's first and last day (from day0)."""
        return int(rows["t_us"].min() - day0) // DAY_US, int(rows["t_us"].max() - day0) // DAY_US

    def lived(rows: pl.DataFrame, lo: int, hi: int, per_day: int, margin: int = 0) -> tuple[int, int]:
        """``[lo, hi)`` (in 1/``per_day`` days from day0) cut to the days the actor was
        active, from its third day to ``margin`` before its last day ends: a real history's
        bot or person is there for part of it only, and an anomaly injected before its
        first event would be a first-seen id, not an anomaly of its own."""
        first, last = days_of(rows)
        cut_lo, cut_hi = max(lo, (first + SETTLED_DAYS) * per_day), min(hi, (last + 1) * per_day - margin)
        if cut_lo < cut_hi:
            return cut_lo, cut_hi
        return first * per_day, max(first * per_day + 1, (last + 1) * per_day - margin)

    def record(kind, rows, start, end, n, actor=True):
        truth.append({
            "kind": kind, "workspace_id": rows["workspace_id"][0],
            "actor_id": rows["actor_id"][0] if actor else None,
            "start": start, "end": end, "events": n,
        })

    # rapid succession only on people with an hour they work (a burst at an hour worked on a
    # few of hundreds of days is off hours)
    rapid_keys = [k for k in people_keys if usual(hours_of(k)).any()] or people_keys
    for _ in range(per_kind):
        # rapid succession: a person, at an hour they work, 15-60 events in 2-10 minutes
        rows = actor_rows(str(rng.choice(rapid_keys)))
        start = working_hour_of(rows) + int(rng.integers(0, 50)) * MIN_US
        n, span = int(rng.integers(15, 61)), int(rng.integers(2, 11)) * MIN_US
        added.append(rows_like(rows, start + np.sort(rng.integers(0, span, n)), rng))
        record("rapid_succession", rows, start, start + span, n)

        # runaway agent: 4-10x its hourly rate for 1-3 hours, or every other one a short
        # runaway: 6-10x for 15-30 minutes (at least 20 events); its rate while it is there,
        # from its first day to its last (a bot deployed late is not as slow as the store is long)
        rows = actor_rows(str(rng.choice(agent_keys)))
        first, last = days_of(rows)
        rate = rows.height / ((last - first + 1) * 24)
        if rng.random() < 0.5:
            length = int(rng.integers(1, 4)) * HOUR_US
            n = max(min_runaway, round(rate * length / HOUR_US * (rng.uniform(4, 10) - 1)))
        else:
            length = int(rng.integers(15, 31)) * MIN_US
            n = max(20, round(rate * length / HOUR_US * (rng.uniform(6, 10) - 1)))
        start = day0 + int(rng.integers(*lived(rows, 2 * 24, days * 24 - 3, 24, margin=3))) * HOUR_US \
            + int(rng.integers(0, 60)) * MIN_US
        added.append(rows_like(rows, start + np.sort(rng.integers(0, length, n)), rng))
        record("runaway_agent", rows, start, start + length, n)

        # new actor: an id never seen before, 15-80 events over 1-3 hours, after day 2
        template = actor_rows(str(rng.choice(people_keys + agent_keys)))
        new_id = _uuids(rng, 1)[0]
        hours = int(rng.integers(1, 4))
        n = int(rng.integers(15, 81))
        start = day0 + int(rng.integers(2 * 24, days * 24 - hours)) * HOUR_US
        rows = template.with_columns(actor_id=pl.lit(new_id), actor_key=pl.lit("new-" + new_id))
        added.append(rows_like(rows, start + np.sort(rng.integers(0, hours * HOUR_US, n)), rng))
        record("new_actor", rows, start, start + hours * HOUR_US, n)

        # workspace spike: 8-14 people of one workspace who are there at the time (from their
        # third day to their last), 3-6 events each, within 10 minutes; none where 8 never are
        ws = str(rng.choice(people["workspace_id"].unique().sort().to_list()))
        members = [k for k in people.filter(pl.col("workspace_id") == ws)["actor_key"].unique().sort().to_list()
                   if k in set(people_keys)]
        size = int(rng.integers(SPIKE_PEOPLE, 15))
        start = day0 + int(rng.integers(2 * 24, days * 24 - 1)) * HOUR_US + int(rng.integers(0, 50)) * MIN_US
        if (spike := _while_there(members, start, spans, day0, rng)) is not None:
            start, members = spike
            k = min(size, len(members))
            n_total = 0
            for key in rng.choice(members, size=k, replace=False):
                m = int(rng.integers(3, 7))
                added.append(rows_like(actor_rows(str(key)), start + np.sort(rng.integers(0, 10 * MIN_US, m)), rng))
                n_total += m
            record("workspace_spike", actor_rows(members[0]), start, start + 10 * MIN_US, n_total, actor=False)

    # off hours, after the other kinds: a person busy 8-25 events in an hour they never work,
    # nor the hour either side, counting what was injected on them (a spike at 3 AM, an earlier
    # off-hours hour: a second night at the same hour is not "never"); a different person each
    # time while there are some (only people who have such an hour: a night owl works at any);
    # none once no one has such an hour left (a small project's few regulars)
    for frame in added:
        if frame.height and (key := frame["actor_key"][0]) in worked:
            worked[key] |= set(((frame["t_us"] - day0) // HOUR_US % 24).to_list())
    unused = [k for k in off_keys if quiet(worked[k])]
    for _ in range(per_kind):
        if not (pool := unused or [k for k in off_keys if quiet(worked[k])]):
            break
        key = str(rng.choice(pool))
        unused = [k for k in unused if k != key]
        rows = actor_rows(key)
        day = int(rng.integers(*lived(rows, week_in(key), days, 1)))
        hour = int(rng.choice(quiet(worked[key])))
        start = day0 + (day * 24 + hour) * HOUR_US
        n = int(rng.integers(8, 26))
        added.append(rows_like(rows, start + np.sort(rng.integers(0, HOUR_US, n)), rng))
        record("off_hours", rows, start, start + HOUR_US, n)
        worked[key].add(hour)

    all_events = pl.concat([events, *added]).sort("t_us", descending=True)
    agent_ids = agents["actor_id"].unique().sort().to_list()
    return Labelled(all_events, pl.DataFrame(truth), agent_ids)


def to_datetime(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC)
