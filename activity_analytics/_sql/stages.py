"""Each analysis in two stages, so one definition runs on DuckDB and on Spark.

* **Stage 1, the scan** (:func:`stage1`): GROUP BYs over the events, the only
  part whose cost grows with the number of events. Written once, in the
  subset of SQL that DuckDB and Spark SQL share; time is handled as integer
  microseconds since the epoch (bucketing is integer arithmetic), so the two
  engines cannot round or zone it differently. A :class:`Dialect` fills in
  the words that differ (``epoch_us`` vs ``unix_micros``).
* **Stage 2, the rest** (``STAGE2``; bursts' in ``bursts``): shares, baselines, scores, reasons —
  run by DuckDB on stage 1's result (``s1``), which is small: one row per
  group, per actor and 5 minutes for bursts.

On a store, the ``aa_*`` macros are stage 1 and stage 2 in one query. On a
Spark lake, Spark runs stage 1 over the Parquet files, and the same stage 2
runs in an in-memory DuckDB over the rows it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

#: time_bucket's origin for TIMESTAMPTZ (Monday 2000-01-03 00:00 UTC), in microseconds
ORIGIN_US = 946_857_600_000_000
SLOT_US = 300_000_000  # bursts count per actor and 5 minutes


@dataclass(frozen=True)
class Dialect:
    """The words of stage 1 that differ between engines."""

    name: str
    epoch_us: str  # microseconds since the epoch of created_at

    def floor(self, us: str, width: str) -> str:
        """``us`` down to a multiple of ``width`` counted from :data:`ORIGIN_US`
        (% truncates in both engines, so it is made non-negative first)."""
        x = f"({us} - {ORIGIN_US})"
        return f"({us} - ((({x} % {width}) + {width}) % {width}))"


DUCKDB = Dialect("duckdb", "epoch_us(created_at)")
SPARK = Dialect("spark", "unix_micros(created_at)")


# Distinct actors (and issues) are counted as groups: a GROUP BY of the keys and
# the id (one scan per id), then a count of the ids per key. DuckDB pays per event
# for grouping on an optional key even when it is a constant NULL (not asked
# for), and count(DISTINCT ...) pays it in each of its hash tables; this way the
# analyses run within about 10% of a bare count(DISTINCT ...) without the keys
# (bench/cli_bench.py, issue 36), where they took up to twice as long.
def _keys(d: Dialect, every_us: str, by_workspace: str) -> str:
    return f"""CASE WHEN {every_us} IS NULL THEN NULL ELSE {d.floor(d.epoch_us, every_us)} END AS bucket_us,
               CASE WHEN {by_workspace} THEN workspace_id END AS workspace_id"""


def _actions(d: Dialect, events: str, every_us: str, by_workspace: str) -> str:
    keys = _keys(d, every_us, by_workspace)
    return f"""
        SELECT bucket_us, workspace_id, action,
               CAST(sum(n) AS BIGINT) AS events,
               count(actor_id) AS actors,
               count(issue_id) AS issues
        FROM (SELECT {keys}, action, actor_id, NULL AS issue_id, count(*) AS n
              FROM {events}
              GROUP BY 1, 2, 3, 4
              UNION ALL
              SELECT {keys}, action, NULL AS actor_id, issue_id, CAST(0 AS BIGINT) AS n
              FROM {events}
              GROUP BY 1, 2, 3, 5) AS per_id
        GROUP BY 1, 2, 3"""


def _actors(d: Dialect, events: str, every_us: str, by_workspace: str, by_action: str) -> str:
    return f"""
        SELECT bucket_us, workspace_id, action, actor_type,
               CAST(sum(n) AS BIGINT) AS events,
               count(actor_id) AS actors
        FROM (SELECT {_keys(d, every_us, by_workspace)},
                     CASE WHEN {by_action} THEN action END AS action,
                     actor_type, actor_id, count(*) AS n
              FROM {events}
              GROUP BY 1, 2, 3, 4, 5) AS per_actor
        GROUP BY 1, 2, 3, 4"""


def type_code(actor_type: str) -> str:
    """The actor type's code in bursts' ``last_code``: agent 0, unknown 1, user 2."""
    return f"CASE {actor_type} WHEN 'agent' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END"


def _bursts(d: Dialect, events: str, selected: str) -> str:
    # Agent runs from replay traces (actor_type_raw 'trace') are left out: a
    # run's calls come all at once by design; their runaways show in spend
    # (``runaway_spend``, see ``agents``). (A filter on ``id`` would read
    # that wide column and double the scan; this one costs nothing measurable.)
    # last_code: the latest event's time and actor type in one integer, so the
    # type of a 5-minute slot is picked the same way by both engines.
    # ``events`` are every event up to ``until``: the other filters choose
    # which alarms are reported, never what they are judged against;
    # ``selected`` (the action filter) counts the events that may be reported.
    return f"""
        SELECT coalesce(workspace_id, '') AS workspace_id, actor_id,
               {d.floor(d.epoch_us, str(SLOT_US))} AS slot_us,
               count(*) AS n,
               sum(CASE WHEN {selected} THEN 1 ELSE 0 END) AS n_sel,
               min({d.epoch_us}) AS first_us,
               max({d.epoch_us} * 4 + {type_code('actor_type')}) AS last_code
        FROM {events}
        WHERE actor_id IS NOT NULL AND coalesce(actor_type_raw, '') <> 'trace'
        GROUP BY 1, 2, 3"""


def stage1(analysis: str, d: Dialect, events: str, **args: str) -> str:
    """Stage 1 of ``analysis`` in dialect ``d`` over ``events`` (SQL for the
    filtered events: a table function call or a subquery with its alias);
    ``args`` are SQL expressions (macro parameter names on DuckDB, literals
    on Spark)."""
    return {"actions": _actions, "actors": _actors, "bursts": _bursts}[analysis](d, events, **args)


def _timestamp(us: str) -> str:
    return f"CASE WHEN {us} IS NOT NULL THEN make_timestamptz({us}) END"


#: the columns an analysis has only when asked for: column -> what asks for it (its macro's parameters)
OPTIONAL = {"bucket": "every IS NOT NULL", "workspace_id": "by_workspace", "action": "by_action",
            "model": "per = 'model'", "tool": "per = 'tool'"}


def only_asked(*columns: str) -> str:
    """A select list of the FROM's columns without those of ``columns`` not
    asked for (see :data:`OPTIONAL`): ``SELECT *`` from a macro gives what the
    Python function of the same name gives. The parameters are constants when
    a macro is bound, so ``COLUMNS`` can test them (DuckDB 1.4 and later)."""
    kept = " AND ".join(f"(c <> '{c}' OR coalesce({OPTIONAL[c]}, false))" for c in columns)
    return f"COLUMNS(lambda c: {kept})"


#: Stage 2 (DuckDB SQL over ``s1``) of actions and actors; bursts' is in ``bursts``.
#: Its parameters: ``every`` and ``by_workspace`` (and ``by_action``), for its columns.
STAGE2 = {
    "actions": f"""
        SELECT {only_asked('bucket', 'workspace_id')}
        FROM (SELECT {_timestamp('bucket_us')} AS bucket, workspace_id, action, events,
                     events / sum(events) OVER (PARTITION BY bucket_us, workspace_id) AS share,
                     actors, issues
              FROM s1)
        ORDER BY bucket NULLS FIRST, workspace_id NULLS FIRST, events DESC, action""",
    "actors": f"""
        SELECT {only_asked('bucket', 'workspace_id', 'action')}
        FROM (SELECT {_timestamp('bucket_us')} AS bucket, workspace_id, action, actor_type, events, actors,
                     events / sum(events) OVER (PARTITION BY bucket_us, workspace_id, action) AS share
              FROM s1)
        ORDER BY bucket NULLS FIRST, workspace_id NULLS FIRST, action NULLS FIRST, actor_type""",
}
