"""Actions, people vs agents, top actors and issue timelines."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from .._errors import InputError
from .._sql.incidents import KIND_CHOICES
from .._store import DEFAULT_LOCK_TIMEOUT
from .._time import When
from ._filters import Filters, parse_every
from ._keep import judge_in_steps, keep_bursts
from ._run import run_macro

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from ._spark import SparkLake


def _grouping(every: str | None, by_workspace: bool) -> list[str]:
    return (["bucket"] if every else []) + (["workspace_id"] if by_workspace else [])


def actions(
    db: str | os.PathLike[str] | SparkLake,
    *,
    since: When = None,
    until: When = None,
    workspace: str | None = None,
    action: str | None = None,
    actor_type: str | None = None,
    every: str | None = None,
    by_workspace: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """What happened, by action. SQL: ``aa_actions(every := '1 day', ...)``.

    Columns: ``bucket`` (start of the time bucket, UTC; only with ``every``),
    ``workspace_id`` (only with ``by_workspace``), ``action``, ``events``,
    ``share`` (of the events in the same bucket and workspace), ``actors``
    and ``issues`` (distinct ids involved). Most frequent action first.

    ``every`` is a bucket width such as ``"1h"``, ``"1d"`` or ``"1w"``.
    ``db`` is a store, or a :class:`SparkLake` to run on Apache Spark.

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> aa.actions(db).columns
    ['action', 'events', 'share', 'actors', 'issues']
    >>> aa.actions(db, every="1w")["bucket"].n_unique()
    3
    """
    frame = run_macro(
        db, "aa_actions", {"every": parse_every(every), "by_workspace": by_workspace},
        filters=Filters(since, until, workspace, action, actor_type), lock_timeout=lock_timeout,
    )
    return frame.select(
        [*_grouping(every, by_workspace), "action", "events", "share", "actors", "issues"]
    )


def actors(
    db: str | os.PathLike[str] | SparkLake,
    *,
    since: When = None,
    until: When = None,
    workspace: str | None = None,
    action: str | None = None,
    actor_type: str | None = None,
    every: str | None = None,
    by_workspace: bool = False,
    by_action: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """What people did versus what agents did. SQL: ``aa_actors(...)``.

    Columns: ``bucket`` (only with ``every``), ``workspace_id`` (only with
    ``by_workspace``), ``action`` (only with ``by_action``), ``actor_type``
    (``user``, ``agent`` or ``unknown``, actor marks applied), ``events``,
    ``actors`` (distinct), ``share`` (of the events in the same group).
    ``db`` is a store, or a :class:`SparkLake` to run on Apache Spark.

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> aa.actors(db).select("actor_type", "actors").rows()
    [('agent', 8), ('unknown', 12), ('user', 17)]
    """
    frame = run_macro(
        db, "aa_actors",
        {"every": parse_every(every), "by_workspace": by_workspace, "by_action": by_action},
        filters=Filters(since, until, workspace, action, actor_type), lock_timeout=lock_timeout,
    )
    keys = _grouping(every, by_workspace) + (["action"] if by_action else [])
    return frame.select([*keys, "actor_type", "events", "actors", "share"])


def top_actors(
    db: str | os.PathLike[str],
    *,
    n: int = 10,
    since: When = None,
    until: When = None,
    workspace: str | None = None,
    action: str | None = None,
    actor_type: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """The ``n`` busiest actors on each side. SQL: ``aa_top_actors(n := 10, ...)``.

    Columns: ``actor_type``, ``rank`` (1 = busiest), ``actor_id``, ``name``
    (the note of its actor mark, else the agent's name from a sync, if any), ``events``, ``share`` (of its
    side's events), ``first_seen``, ``last_seen``.

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> aa.top_actors(db, n=1, actor_type="agent").select("rank", "name").rows()
    [(1, 'w1-batch-agent-0')]
    """
    if n < 1:
        raise InputError("n must be at least 1")
    return run_macro(db, "aa_top_actors", {"n": n},
                     filters=Filters(since, until, workspace, action, actor_type),
                     lock_timeout=lock_timeout)


def timeline(
    db: str | os.PathLike[str], issue: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> pl.DataFrame:
    """Every event of one issue, oldest first. SQL: ``aa_timeline('ISSUE-ID')``.

    Columns: ``created_at``, ``action``, ``actor_type``, ``actor_id``,
    ``actor_name`` (from actor marks or synced agents), ``changes``
    (``field=value, ...`` for updates, ``title=...`` for creation),
    ``details`` (JSON), ``workspace_id``, ``id``, ``issue_identifier`` and
    ``issue_title`` (from a sync, else null).

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> issue = aa.sql(db, "SELECT issue_id FROM events WHERE action = 'issue.created' LIMIT 1").item()
    >>> aa.timeline(db, issue)["action"][0]
    'issue.created'
    """
    return run_macro(db, "aa_timeline", positional=(issue,), lock_timeout=lock_timeout)


def bursts(
    db: str | os.PathLike[str] | SparkLake,
    *,
    sensitivity: float = 1.0,
    since: When = None,
    until: When = None,
    workspace: str | None = None,
    action: str | None = None,
    actor_type: str | None = None,
    kind: str | None = None,
    keep: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """Stretches of activity anomalous for whoever produced them. SQL: ``aa_bursts(...)``.

    One row per flagged stretch. Columns: ``workspace_id``, ``actor_id``
    (null for a workspace-wide spike), ``actor_type``, ``kind``
    (``rapid_succession``, ``runaway_agent``, ``new_actor``,
    ``workspace_spike``, ``off_hours``), ``start``, ``end`` (the stretch
    told: the episode's most surprising window), ``episode_start`` and
    ``episode_end`` (where the episode began and ended: the actor's touching
    flags of that kind, from its first flagged stretch of 15 minutes or less to
    its last, widened to the stretch told), ``events``,
    ``expected`` (what the actor's own baseline, or its peers' for a new
    actor, predicts for the stretch), ``busiest_before`` (the actor's busiest
    stretch of that length on the days before it, in events: the evidence
    beside ``expected``), ``history_days`` (its days with activity before:
    what the baseline stands on), ``score`` (a bound on -log10 of the
    p-value less a fixed log10(100,000), the windows of a busy actor-week:
    the same whatever else the store holds; 1.3 or more is flagged), ``reason``
    (one line for people), ``incident`` and ``members`` (below).

    **Notices apart.** A ``new_actor`` row is a first-seen notice, not an
    alarm: an id first seen a day or more after its workspace began, reported
    once whatever its score; its ``incident`` and ``members`` are null.
    ``kind`` chooses what is reported: ``"alarms"``, ``"notices"`` or one
    kind (default: everything).

    **Incidents.** Alarms of one workspace whose episodes overlap or touch in
    time (a person's merge train, the bot merging it and a release bot) are one
    incident: ``incident`` is its id, ``<workspace_id>@<episode_start>``, and
    ``members`` its number of alarms so far (some may be outside the filters).
    Alarms are taken in order of episode start: one whose episode begins at or
    before the latest episode end of those before it joins their incident, else
    it opens one, named by the workspace and its episode start. Alarms that
    begin later only join, so an id holds as events arrive, unless an alarm
    flagged late starts before the incident's first (an agent's 3-hour window
    told) or one that grows reaches the next incident (merged under the
    earlier id). Incidents
    are formed before the filters, so a ``since`` window gives an alarm the
    same incident as the whole store.
    Count incidents, not rows: ``frame["incident"].n_unique()`` (notices
    aside).

    Baselines are each actor's own, by hour of day (weekdays and weekends
    apart, smoothed over neighbouring hours); a short history leans on the
    actor's workspace peers. Steady agents, agents working in batches or
    bursts, a person's busy day and an organisation-wide busy day are
    normal. ``sensitivity`` is the one knob (default 1; 2 flags more, 0.5
    less). The method is described in the README ("How bursts decides").
    ``db`` is a store, or a :class:`SparkLake` to run on Apache Spark.

    **Kept verdicts.** A verdict never changes once its day is over, so
    ``keep=True`` (a cron job's ``bursts --keep``) first judges what is new
    since the last keep and keeps it in the store (it writes); every run, SQL's
    included, then reads what is kept and judges only the days after it: the
    same verdicts, at the cost of the new days. A new detector version, new
    actor marks or a backfill of older days is judged again from where it
    differs. ``status(db, bursts=True)`` says how far verdicts are kept.

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> found = aa.bursts(db)
    >>> found.columns[:5], found.columns[-2:]
    (['workspace_id', 'actor_id', 'actor_type', 'kind', 'start'], ['incident', 'members'])
    >>> aa.bursts(db, kind="notices")["kind"].unique().to_list()
    ['new_actor']
    """
    if sensitivity <= 0:
        raise InputError("sensitivity must be positive (1 is the default)")
    if kind is not None and kind not in KIND_CHOICES:
        raise InputError(f"kind must be one of {', '.join(KIND_CHOICES)}, not {kind!r}")
    if keep:
        if not isinstance(db, (str, os.PathLike)):
            raise InputError("keep=True keeps verdicts in a store: not on a Spark lake")
        keep_bursts(db, lock_timeout=lock_timeout)
    filters = Filters(since, until, workspace, action, actor_type)

    def in_steps(con: duckdb.DuckDBPyConnection) -> contextlib.AbstractContextManager[int]:  # a large store: in steps
        return judge_in_steps(con, until=filters.until, act=action, sensitivity=float(sensitivity))

    return run_macro(db, "aa_bursts", {"sensitivity": float(sensitivity), "kinds": kind},
                     filters=filters, lock_timeout=lock_timeout, prepare=in_steps)
