"""Deterministic generator of realistic Platform activity, for the sample and benchmarks.

The activity it makes looks like the real Platform's: ``issue.created`` and
``issue.updated`` records shaped exactly like the API's, newest-first pages,
a mix of ``member``/``user``/``agent``/null actor types and of naive, ``Z``
and ``+00:00`` timestamps. Behind it:

* people work office hours on weekdays (each workspace in its own time zone),
  with busier and quieter days;
* steady agents work around the clock at a constant rate;
* batch agents wake up on a schedule (every hour) and write a burst of events;
* some agents log in through the API, so the Platform records them as
  ``member``: only an actor mark tells them apart from people.

Everything is vectorised with NumPy and Polars, so millions of events take
seconds. The same seed always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from ._defaults import SampleSpec
from ._lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
    import polars as pl
else:
    np = lazy_module("numpy")
    pl = lazy_module("polars")

_WORDS = (
    "login page crashes on submit", "flaky test in billing", "upgrade duckdb",
    "agent loops on retry", "add dark mode", "slow dashboard query", "fix typo in docs",
    "rotate api keys", "webhook times out", "export to csv", "memory leak in worker",
    "rate limit the sync", "timezone bug in reports", "onboarding checklist",
)
_STATUSES = ("todo", "in_progress", "in_review", "done", "blocked")
_PRIORITIES = ("low", "medium", "high", "urgent")
_TOOLS = ("web_search", "read_file", "write_file", "run_python", "create_issue", "http_get")


def _uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random UUID-shaped strings (deterministic for the generator's state)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8) | 0x10  # no NUL bytes
    hexes = pl.Series(np.frombuffer(raw.tobytes(), dtype="S16")).bin.encode("hex")
    h = pl.col("h")
    return (
        pl.DataFrame({"h": hexes})
        .select(
            pl.concat_str(
                [
                    h.str.slice(0, 8), pl.lit("-"), h.str.slice(8, 4), pl.lit("-4"),
                    h.str.slice(13, 3), pl.lit("-a"), h.str.slice(17, 3), pl.lit("-"),
                    h.str.slice(20, 12),
                ]
            )
        )
        .to_series()
    )


def _poisson_times(
    rng: np.random.Generator, hourly_rate: np.ndarray, start: dt.datetime
) -> np.ndarray:
    """Event times (µs since epoch) of a Poisson process with a rate per hour."""
    counts = rng.poisson(hourly_rate)
    hours = np.repeat(np.arange(len(hourly_rate)), counts)
    offsets = rng.uniform(0, 3600e6, size=len(hours))
    base = int(start.timestamp() * 1e6)
    return base + (hours * 3600e6 + offsets).astype(np.int64)


#: Families of ordinary behaviour, for judging ``bursts`` on activity it was not
#: tuned on. None of them is an anomaly:
#:
#: * ``office``: fixed hours on weekdays, busy and quiet days (the bundled sample);
#: * ``jitter``: each day starts and ends up to an hour earlier or later;
#: * ``pace``: the day's pace varies 0.6x-1.6x, and hours start and end with jitter;
#: * ``weekend``: now and then a weekend day at the person's usual hours;
#: * ``cron``: agents run on cron (every 5-30 minutes, a minute or two of jitter);
#: * ``parttime``: people work two to four days a week, some only mornings;
#: * ``shifts``: people on early, late and night shifts, in several time zones;
#: * ``joiner``: people join part-way through and take days off;
#: * ``bursty_agents``: agents that work in bursts of 10-30 events by design;
#: * ``release``: an organisation-wide busy day (a release): everyone 2-3x;
#: * ``nightly``: a remote team (each person a few hours off the workspace's
#:   time zone, a lunch break that moves) and agents that run one big nightly
#:   job of 100-300 events in 10-20 minutes on weekdays.
#: * ``scheduled``: people with jitter, and three agents per workspace on sharp
#:   schedules (every hour or every 6 hours, at the same minute), each run 30-80
#:   events in 2-4 minutes, so several agents run at once.
#: * ``reactive``: people whose pace varies day to day, and two agents per
#:   workspace that only react to them (a CI or triage bot): each person's event
#:   sets one off, with a chance of 30-80 % per agent, for 1-6 events from 10
#:   seconds to 5 minutes later. The agents keep the people's hours and busy days.
FAMILIES = ("office", "jitter", "pace", "weekend", "cron", "parttime", "shifts", "joiner",
            "bursty_agents", "release", "nightly", "scheduled", "reactive")


def _hours_mask(local_hour: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Working hours between per-hour start and end (end past midnight wraps)."""
    wraps = end > 24
    return np.where(wraps, (local_hour >= start) | (local_hour < end - 24),
                    (local_hour >= start) & (local_hour < end))


def _person_rate(rng: np.random.Generator, spec: SampleSpec, p: int, local_hour: np.ndarray,
                 weekday: np.ndarray, release: np.ndarray) -> np.ndarray:
    """One person's expected events per hour, for the families other than ``office``."""
    days, fam = spec.days, spec.family
    start_h, end_h = 9 + (p % 2), 17 + (p % 3)
    if fam == "shifts":
        start_h = (6, 14, 22)[p % 3] + int(rng.integers(-1, 2))
        end_h = start_h + 8
    if fam == "nightly":
        start_h = start_h + int(rng.integers(-3, 4))
        end_h = start_h + 8
    start = np.repeat(np.full(days, start_h, dtype=float), 24)
    end = np.repeat(np.full(days, end_h, dtype=float), 24)
    if fam in ("jitter", "pace", "weekend", "parttime", "joiner", "release", "nightly", "scheduled", "reactive"):
        start = start + np.repeat(rng.integers(-1, 2, size=days), 24)
        end = end + np.repeat(rng.integers(-1, 2, size=days), 24)
    works = weekday.copy()
    if fam == "weekend":
        works |= ~weekday & np.repeat(rng.random(days) < 0.2, 24)
    if fam == "parttime":
        on = rng.choice(5, size=int(rng.integers(2, 5)), replace=False)
        works &= np.isin((np.arange(days * 24) // 24) % 7, on)
        if p % 2:
            end = np.minimum(end, start + 4)
    if fam == "joiner":
        if p % 3 == 0:
            works &= np.arange(days * 24) >= int(rng.integers(3, max(4, days - 3))) * 24
        works &= ~np.repeat(rng.random(days) < 0.1, 24)  # days off
    working = works & _hours_mask(local_hour, start, end)
    if fam == "nightly":  # lunch: an hour off around the middle of the day, not always the same
        lunch = np.repeat(start_h + 3 + rng.integers(0, 3, size=days), 24)
        working &= local_hour != lunch % 24
    if fam in ("pace", "reactive"):
        day_factor = np.repeat(rng.uniform(0.6, 1.6, size=days), 24)
    else:
        day_factor = np.repeat(rng.gamma(4.0, 0.25, size=days), 24)
    rate = working * day_factor * rng.uniform(2, 6) * spec.scale
    return rate * np.where(release, rng.uniform(2, 3), 1.0)


def _agent_times(rng: np.random.Generator, spec: SampleSpec, hours: int, release: np.ndarray) -> np.ndarray:
    """One agent's event times for the agent families (``cron``, ``bursty_agents``)."""
    base = int(spec.start.timestamp() * 1e6)
    if spec.family == "cron":
        every = int(rng.choice([5, 10, 15, 30])) * 60_000_000
        runs = np.arange(0, hours * 3_600_000_000, every)
        runs = runs + rng.normal(0, 60e6, size=len(runs)).astype(np.int64)
        sizes = rng.poisson(max(1.0, rng.uniform(1, 4) * spec.scale), size=len(runs))
        starts = np.repeat(runs, sizes)
        return base + starts + rng.uniform(0, 20e6, size=len(starts)).astype(np.int64)
    if spec.family == "scheduled":
        every = int(rng.choice([1, 6])) * 3_600_000_000
        runs = np.arange(int(rng.integers(0, 2)) * 60_000_000, hours * 3_600_000_000, every)
        runs = runs + rng.normal(0, 20e6, size=len(runs)).astype(np.int64)
        sizes = rng.integers(30, 81, size=len(runs))
        lengths = np.repeat(rng.uniform(2 * 60e6, 4 * 60e6, size=len(runs)), sizes)
        starts = np.repeat(runs, sizes)
        return base + (starts + rng.uniform(0, 1, size=len(starts)) * lengths).astype(np.int64)
    if spec.family == "nightly":
        days = hours // 24
        at = int(rng.integers(0, 6)) * 3_600_000_000 + int(rng.integers(0, 60)) * 60_000_000
        weekday = (np.arange(days) % 7) < 5
        runs = (np.arange(days) * 24 * 3_600_000_000 + at)[weekday]
        runs = runs + rng.normal(0, 5 * 60e6, size=len(runs)).astype(np.int64)
        sizes = rng.integers(100, 301, size=len(runs))
        lengths = np.repeat(rng.uniform(10 * 60e6, 20 * 60e6, size=len(runs)), sizes)
        starts = np.repeat(runs, sizes)
        return base + (starts + rng.uniform(0, 1, size=len(starts)) * lengths).astype(np.int64)
    per_day = rng.uniform(4, 8)
    bursts = rng.uniform(0, hours * 3_600_000_000, size=int(rng.poisson(per_day * hours / 24)))
    sizes = rng.integers(10, 31, size=len(bursts))
    starts = np.repeat(bursts, sizes)
    spread = rng.uniform(0, rng.uniform(60e6, 180e6), size=len(starts))
    return base + (starts + spread).astype(np.int64)


def _reactive_times(rng: np.random.Generator, people: np.ndarray) -> np.ndarray:
    """An agent that only reacts to people (``reactive``): each of their events (µs) sets it off
    with one chance for this agent, for 1-6 events from 10 seconds to 5 minutes later."""
    chance = rng.uniform(0.3, 0.8)
    triggers = people[rng.random(len(people)) < chance]
    sizes = np.minimum(rng.geometric(0.5, size=len(triggers)), 6)
    starts = np.repeat(triggers + rng.uniform(10e6, 300e6, size=len(triggers)).astype(np.int64), sizes)
    return starts + rng.uniform(0, 60e6, size=len(starts)).astype(np.int64)


def _actor_streams(rng: np.random.Generator, spec: SampleSpec, ws: int) -> list[pl.DataFrame]:
    hours = spec.days * 24
    hour_of_week = np.arange(hours) % (24 * 7)
    day = hour_of_week // 24
    tz_shift = [0, -5, 8, 1, -8][ws % 5]  # workspace's local time = UTC + shift
    local_hour = (np.arange(hours) + tz_shift) % 24
    weekday = day < 5
    office = spec.family == "office"
    release = np.zeros(hours, dtype=bool)
    if spec.family == "release":  # one weekday of the second week, the same for everyone
        release_day = 7 + int(np.random.default_rng(spec.seed).integers(0, 5))
        release = (np.arange(hours) // 24) == min(release_day, spec.days - 1)
    frames = []
    for p in range(spec.people_per_workspace):
        if office:
            start_h, end_h = 9 + (p % 2), 17 + (p % 3)
            working = weekday & (local_hour >= start_h) & (local_hour < end_h)
            day_factor = np.repeat(rng.gamma(4.0, 0.25, size=spec.days), 24)  # busy and quiet days
            rate = working * day_factor * rng.uniform(2, 6) * spec.scale
        else:
            rate = _person_rate(rng, spec, p, local_hour, weekday, release)
        times = _poisson_times(rng, rate, spec.start)
        raw_type = "user" if p == 0 else "member"  # older Platform versions wrote "user"
        frames.append(_stream(times, f"w{ws}-person-{p}", raw_type))
    people = np.concatenate([f["t"].to_numpy() for f in frames] + [np.empty(0, dtype=np.int64)])
    for a in range(spec.steady_agents_per_workspace):
        rate = np.full(hours, rng.uniform(2, 4) * spec.scale) * np.where(release, 2.0, 1.0)
        times = _poisson_times(rng, rate, spec.start)
        # the first steady agent writes through a service (actor_type "agent"),
        # others log in through the API and are recorded as "member"
        frames.append(_stream(times, f"w{ws}-steady-agent-{a}", "agent" if a == 0 else "member"))
    batch_agents = spec.batch_agents_per_workspace * {"scheduled": 3, "reactive": 2}.get(spec.family, 1)
    for b in range(batch_agents):
        if spec.family == "reactive":
            frames.append(_stream(_reactive_times(rng, people), f"w{ws}-batch-agent-{b}", "member"))
            continue
        if spec.family in ("cron", "bursty_agents", "nightly", "scheduled"):
            frames.append(_stream(_agent_times(rng, spec, hours, release), f"w{ws}-batch-agent-{b}", "member"))
            continue
        minute = rng.integers(0, 60)
        size = max(1, round(rng.uniform(4, 8) * spec.scale))
        sizes = rng.poisson(size, size=hours)
        batch_start = (np.arange(hours) * 3600 + minute * 60) * 1_000_000
        starts = np.repeat(batch_start, sizes)
        spread = rng.uniform(0, 90e6, size=len(starts)).astype(np.int64)
        times = int(spec.start.timestamp() * 1e6) + starts + spread
        frames.append(_stream(times, f"w{ws}-batch-agent-{b}", "member"))
    return frames


def _stream(times: np.ndarray, actor: str, raw_type: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"t": np.sort(times), "actor_key": actor, "actor_type_raw": raw_type}
    )


def generate_events(spec: SampleSpec = SampleSpec()) -> pl.DataFrame:
    """Return the generated activity as one DataFrame, newest first.

    Columns: ``id``, ``workspace_id``, ``entity_type``, ``entity_id``,
    ``issue_id``, ``actor_type`` (as the Platform writes it), ``actor_id``,
    ``action``, ``details`` (JSON text), ``created_at`` (text, mixed formats),
    ``t_us`` (µs since epoch, UTC) and ``actor_key`` (a readable name).

    >>> df = generate_events(SampleSpec(days=2, workspaces=1))
    >>> df.columns[:3], df["action"].unique().sort().to_list()
    (['id', 'workspace_id', 'entity_type'], ['issue.created', 'issue.updated'])
    """
    rng = np.random.default_rng(spec.seed)
    parts = []
    ws_ids = _uuids(rng, spec.workspaces)
    for ws in range(spec.workspaces):
        frame = pl.concat(_actor_streams(rng, spec, ws)).sort("t")
        n = frame.height
        # About one in six events creates an issue; updates pick an issue created before.
        created = rng.random(n) < 0.16
        created[:3] = True
        issue_seq = np.cumsum(created) - 1
        pick = np.where(
            created, issue_seq, (rng.random(n) * (issue_seq + 1)).astype(np.int64)
        )
        issue_ids = _uuids(rng, int(created.sum()))
        frame = frame.with_columns(
            workspace_id=pl.lit(ws_ids[ws]),
            created=pl.Series(created),
            issue_no=pl.Series(pick),
            kind=pl.Series(rng.integers(0, 3, size=n)),
            status=pl.Series(np.array(_STATUSES)[rng.integers(0, len(_STATUSES), size=n)]),
            priority=pl.Series(np.array(_PRIORITIES)[rng.integers(0, len(_PRIORITIES), size=n)]),
            title=pl.Series(np.array(_WORDS)[rng.integers(0, len(_WORDS), size=n)]),
            fmt=pl.Series(rng.choice(3, size=n, p=[0.8, 0.1, 0.1])),
            null_type=pl.Series(rng.random(n) < 0.003),
            issue_id=pl.Series(issue_ids.to_numpy()[pick]),
        )
        parts.append(frame)
    frame = pl.concat(parts)
    n = frame.height
    ids = _uuids(rng, n)
    actor_keys = frame["actor_key"].unique().sort()
    actor_ids = dict(zip(actor_keys.to_list(), _uuids(rng, len(actor_keys)).to_list(), strict=True))
    ts = pl.from_epoch(pl.col("t"), time_unit="us")
    naive = ts.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")
    return (
        frame.with_columns(id=ids, actor_id=pl.col("actor_key").replace_strict(actor_ids))
        .with_columns(
            identifier=pl.concat_str([pl.lit("ISS-"), (pl.col("issue_no") + 1).cast(pl.String)]),
            action=pl.when(pl.col("created")).then(pl.lit("issue.created")).otherwise(pl.lit("issue.updated")),
        )
        .select(
            "id",
            "workspace_id",
            pl.lit("issue").alias("entity_type"),
            pl.col("issue_id").alias("entity_id"),
            "issue_id",
            pl.when(pl.col("null_type")).then(None).otherwise(pl.col("actor_type_raw")).alias("actor_type"),
            "actor_id",
            "action",
            pl.when(pl.col("created"))
            .then(pl.format('{{"title": "{}", "identifier": "{}"}}', "title", "identifier"))
            .when(pl.col("kind") == 0)
            .then(pl.format('{{"fields": {{"status": "{}"}}}}', "status"))
            .when(pl.col("kind") == 1)
            .then(pl.format('{{"fields": {{"priority": "{}"}}}}', "priority"))
            .otherwise(pl.format('{{"fields": {{"status": "{}", "priority": "{}"}}}}', "status", "priority"))
            .alias("details"),
            pl.when(pl.col("fmt") == 0).then(naive)
            .when(pl.col("fmt") == 1).then(ts.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
            .otherwise(ts.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00"))
            .alias("created_at"),
            pl.col("t").alias("t_us"),
            "actor_key",
        )
        .sort("t_us", descending=True, maintain_order=True)
    )


def to_jsonl_lines(events: pl.DataFrame) -> pl.Series:
    """Render events as JSON lines shaped exactly like the API's records."""

    def q(col: str) -> pl.Expr:
        return pl.when(pl.col(col).is_null()).then(pl.lit("null")).otherwise(
            pl.concat_str([pl.lit('"'), pl.col(col), pl.lit('"')])
        )

    return events.select(
        pl.concat_str(
            [
                pl.lit('{"id": '), q("id"),
                pl.lit(', "workspace_id": '), q("workspace_id"),
                pl.lit(', "entity_type": '), q("entity_type"),
                pl.lit(', "entity_id": '), q("entity_id"),
                pl.lit(', "issue_id": '), q("issue_id"),
                pl.lit(', "actor_type": '), q("actor_type"),
                pl.lit(', "actor_id": '), q("actor_id"),
                pl.lit(', "action": '), q("action"),
                pl.lit(', "details": '), pl.col("details"),
                pl.lit(', "created_at": '), q("created_at"),
                pl.lit("}"),
            ]
        ).alias("line")
    ).to_series()


def write_jsonl(events: pl.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write events as JSON lines (gzipped when the name ends in .gz)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    chunk = 200_000
    opener = (lambda p: gzip.GzipFile(p, "wb", mtime=0)) if path.suffix == ".gz" else (lambda p: open(p, "wb"))
    with opener(path) as fh:
        for offset in range(0, events.height, chunk):
            lines = to_jsonl_lines(events.slice(offset, chunk))
            fh.write(("\n".join(lines.to_list()) + "\n").encode())
    return path


def write_platform_sqlite(events: pl.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write events into an ``activity_logs`` table laid out as the Platform's."""
    path = Path(path)
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    with con:
        con.execute(
            "CREATE TABLE activity_logs (id VARCHAR NOT NULL PRIMARY KEY, workspace_id VARCHAR NOT NULL, "
            "entity_type VARCHAR, entity_id VARCHAR, issue_id VARCHAR, actor_type VARCHAR, "
            "actor_id VARCHAR, action VARCHAR NOT NULL, details JSON, created_at DATETIME NOT NULL)"
        )
        rows = events.select(
            "id", "workspace_id", "entity_type", "entity_id", "issue_id", "actor_type", "actor_id",
            "action", "details",
            pl.from_epoch("t_us", time_unit="us").dt.strftime("%Y-%m-%d %H:%M:%S%.6f"),
        ).rows()
        con.executemany("INSERT INTO activity_logs VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    con.close()
    return path


def audit_records(spec: SampleSpec = SampleSpec(), per_hour: float = 3.0) -> list[dict]:
    """PraisonAI ``audit.jsonl`` tool calls of two agents over the sample's period."""
    rng = np.random.default_rng(spec.seed + 1)
    records = []
    for agent in ("research-agent", "triage-agent"):
        times = _poisson_times(rng, np.full(spec.days * 24, per_hour), spec.start)
        for i, t in enumerate(times):
            tool = _TOOLS[int(rng.integers(0, len(_TOOLS)))]
            failed = rng.random() < 0.04
            stamp = dt.datetime.fromtimestamp(t / 1e6, dt.UTC).isoformat()
            record = {
                "timestamp": stamp,
                "session_id": f"{agent}-{i // 25:04d}",
                "agent_name": agent,
                "tool_name": tool,
                "tool_input": {"query": _WORDS[i % len(_WORDS)], "api_key": "[REDACTED]"},
                "execution_time_ms": round(float(rng.gamma(2.0, 150.0)), 1),
                "error": "TimeoutError: tool took longer than 30s" if failed else None,
            }
            if not failed and rng.random() < 0.5:
                record["tool_output"] = f"{int(rng.integers(1, 20))} results"
            records.append(record)
    records.sort(key=lambda r: r["timestamp"])
    return records


def rows_like(template: pl.DataFrame, times: np.ndarray, rng: np.random.Generator, **override) -> pl.DataFrame:
    """New events shaped like ``template``'s first row, at ``times`` (µs), with ``override``
    (the sample's injector and the evaluation's in ``bench/`` make their events with it)."""
    n = len(times)
    base = template.head(1)
    times = pl.Series(np.asarray(times, dtype=np.int64))
    frame = pl.concat([base] * n) if n else base.clear()
    return frame.with_columns(
        id=_uuids(rng, n),
        t_us=times,
        created_at=pl.from_epoch(times, time_unit="us").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f"),
        action=pl.lit("issue.updated"),
        details=pl.lit('{"fields": {"status": "in_progress"}}'),
        **{k: pl.lit(v) for k, v in override.items()},
    )
