"""The analyses as SQL table macros: defined once, used by Python and by SQL users.

Every ``aa_*`` macro is installed in the store (so ``SELECT * FROM
aa_actions(every := '1 day')`` works in any DuckDB client), and the Python
functions call the very same macros, so both give the same numbers, in the
same columns (``bucket``, ``workspace_id`` ... only when asked for: ``stages.only_asked``).
Filters common to all: ``since``, ``until`` (TIMESTAMPTZ, until exclusive),
``ws`` (workspace id), ``act`` (action), ``atype`` (``user``/``agent``/``unknown``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .agents import AGENTS, SPEND_BURSTS
from .bursts import BURSTS_STAGE2, stage2 as bursts_stage2
from .kept import KEEP_FINAL, KEEP_SENSITIVITY, reach_macro
from .incidents import reported
from .stages import DUCKDB, STAGE2, stage1

_FILTERS = "since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL"
_PASS = "since := since, until := until, ws := ws, act := act, atype := atype"
_EVERY_US = "epoch_us(every::INTERVAL)"


def stage2(analysis: str) -> str:
    """What follows ``WITH s1 AS (...)`` in an analysis (see ``_stages``)."""
    return BURSTS_STAGE2 if analysis == "bursts" else STAGE2[analysis]


def _two_stage(analysis: str, events: str = _PASS, **args: str) -> str:
    scan = stage1(analysis, DUCKDB, f"aa_events({events})", **args)
    return f"WITH s1 AS ({scan}){stage2(analysis)}"


#: bursts' scan: the events from the day before the reach in effect (all without one) up to ``until``
_BURSTS_SCAN = stage1("bursts", DUCKDB, "aa_events(since := (SELECT timezone('UTC', r - INTERVAL 25 HOUR) "
                      "FROM kept_reach), until := until)", selected="(act IS NULL OR action = act)")
_KEPT_REACH = "WITH kept_reach AS (SELECT aa_bursts_reach(until, act, sensitivity) AS r)"
#: the detector's version: what it keeps is read only by the same SQL
BURSTS_VERSION = hashlib.sha256((_BURSTS_SCAN + BURSTS_STAGE2 + repr(KEEP_SENSITIVITY)).encode()).hexdigest()[:16]

#: the filters on events (``since`` to ``atype``), as the macros apply them
_WHERE = """(since IS NULL OR created_at >= since::TIMESTAMPTZ)
          AND (until IS NULL OR created_at < until::TIMESTAMPTZ)
          AND (ws IS NULL OR workspace_id = ws)
          AND (act IS NULL OR action = act)
          AND (atype IS NULL OR actor_type = atype)"""

MACROS = {
    "aa_events": f"""
        ({_FILTERS}) AS TABLE
        SELECT * FROM events
        WHERE {_WHERE}
    """,
    # Counts per action (optionally per time bucket and workspace).
    "aa_actions": f"""
        (every := NULL, by_workspace := false, {_FILTERS}) AS TABLE
        {_two_stage("actions", every_us=_EVERY_US, by_workspace="by_workspace")}
    """,
    # People vs agents: counts and shares per actor type.
    "aa_actors": f"""
        (every := NULL, by_workspace := false, by_action := false, {_FILTERS}) AS TABLE
        {_two_stage("actors", every_us=_EVERY_US, by_workspace="by_workspace", by_action="by_action")}
    """,
    # The busiest actors of each type, with a name where the store has one.
    "aa_top_actors": f"""
        (n := 10, {_FILTERS}) AS TABLE
        SELECT actor_type, rank, actor_id, name, events, share, first_seen, last_seen
        FROM (
            SELECT e.actor_type, e.actor_id, coalesce(any_value(m.note), any_value(ag.name)) AS name,
                   count(*) AS events,
                   count(*) / sum(count(*)) OVER (PARTITION BY e.actor_type) AS share,
                   min(e.created_at) AS first_seen, max(e.created_at) AS last_seen,
                   row_number() OVER (PARTITION BY e.actor_type
                                      ORDER BY count(*) DESC, e.actor_id) AS rank
            FROM aa_events({_PASS}) AS e
            LEFT JOIN actor_marks AS m USING (actor_id)
            LEFT JOIN agents AS ag ON ag.id = e.actor_id AND ag.workspace_id = e.workspace_id
            GROUP BY e.actor_type, e.actor_id
        )
        WHERE rank <= n
        ORDER BY actor_type, rank
    """,
    # Every event of one issue, in order, with who did what.
    "aa_timeline": """
        (issue) AS TABLE
        SELECT e.created_at, e.action, e.actor_type, e.actor_id,
               coalesce(m.note, ag.name) AS actor_name,
               CASE
                   WHEN (e.details -> '$.fields') IS NOT NULL THEN
                       array_to_string(list_transform(
                           json_keys(e.details -> '$.fields'),
                           lambda k: k || '=' || coalesce((e.details -> '$.fields') ->> k, 'null')),
                       ', ')
                   WHEN (e.details ->> '$.title') IS NOT NULL THEN
                       'title=' || (e.details ->> '$.title')
               END AS changes,
               e.details, e.workspace_id, e.id,
               i.identifier AS issue_identifier, i.title AS issue_title
        FROM events AS e
        LEFT JOIN actor_marks AS m USING (actor_id)
        LEFT JOIN agents AS ag ON ag.id = e.actor_id AND ag.workspace_id = e.workspace_id
        LEFT JOIN issue_names AS i ON i.id = issue AND i.workspace_id IS NOT DISTINCT FROM e.workspace_id
        WHERE e.issue_id = issue OR e.entity_id = issue
        ORDER BY e.created_at, e.id
    """,
    # Stretches of activity anomalous for whoever produced them (see ``bursts``), with their
    # incidents; first-seen notices apart (see ``incidents``). ``kinds``: a kind, 'alarms' or 'notices'.
    "aa_bursts": f"""
        (sensitivity := 1.0, kinds := NULL, {_FILTERS}) AS TABLE{
        reported("aa_bursts_judged(sensitivity := sensitivity, until := until, act := act)")}
    """,
    "aa_spend_bursts": SPEND_BURSTS,
    # PraisonAI agents: runs, failures, LLM calls, tokens, cost and tool latency.
    "aa_agents": AGENTS,
    # Every burst and notice judged on the history up to ``until`` (of the events of ``act``),
    # and an agent's LLM spend per hour far above its usual (replay traces): what ``aa_bursts``
    # forms incidents from before its filters choose what is reported.
    "aa_bursts_judged": f"""
        (sensitivity := 1.0, {_FILTERS}) AS TABLE
        SELECT * FROM ({_KEPT_REACH}, s1 AS ({_BURSTS_SCAN}){BURSTS_STAGE2})
        UNION ALL
        SELECT * FROM aa_spend_bursts(sensitivity := sensitivity, until := until)
        WHERE act IS NULL OR act = 'agent.llm_call'
    """,
    # The reach in effect: what bursts keeps before it holds for a run with these arguments (see kept).
    "aa_bursts_reach": reach_macro(BURSTS_VERSION),
    # What ``bursts --keep`` keeps: the rows judged from the reach to ``keep_to``, tagged with their table.
    "aa_bursts_keep": f"""
        (keep_to, sensitivity := {KEEP_SENSITIVITY}, until := NULL, act := NULL) AS TABLE
        {_KEPT_REACH}, s1 AS ({_BURSTS_SCAN}){bursts_stage2(final=KEEP_FINAL)}
    """,
}


#: a digest of the macros' text: a store's macros are replaced when it is
#: opened read-write and this differs (no version to bump by hand)
MACROS_VERSION = hashlib.sha256(repr(sorted(MACROS.items())).encode()).hexdigest()[:16]


def needed(macro: str) -> tuple[str, ...]:
    """``macro`` and the macros it calls, callees first."""
    calls = [m for m in dict.fromkeys(re.findall(r"\b(aa_\w+)\(", MACROS[macro])) if m != macro]
    return (*[n for c in calls for n in needed(c)], macro)


def statements(*, temporary: bool, names: tuple[str, ...] | None = None) -> list[str]:
    """The statements that create (or replace) the macros (all, or ``names``);
    ``temporary``: for one connection only."""
    kind = "TEMP MACRO" if temporary else "MACRO"
    return [f"CREATE OR REPLACE {kind} {name}{body}"
            for name, body in MACROS.items() if names is None or name in names]


def install(con: Any, *, temporary: bool, names: tuple[str, ...] | None = None) -> None:
    """Run :func:`statements` on a DuckDB connection (or anything with ``execute``) for
    ``names`` (default all) and the macros they call, callees first (DuckDB binds a
    macro's body when it is created)."""
    names = tuple(MACROS) if names is None else names
    for name in dict.fromkeys(n for macro in names for n in needed(macro)):
        for statement in statements(temporary=temporary, names=(name,)):
            con.execute(statement)
