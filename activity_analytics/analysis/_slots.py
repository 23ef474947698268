"""Bursts' scan kept in the store: counts per actor and 5 minutes (``slot_counts``).

Stage 1 of bursts (see ``_stages``) reduces the events to one row per
workspace, actor and 5-minute slot; on 10M events that is most of the
analysis' reading. A store keeps those counts: every write that stored
events counts the new ones into ``slot_counts`` before it closes the file
(:func:`refresh`), and ``meta.slot_counts_rows`` says how far: every
``activity`` row whose rowid is below it is counted. The table is append
only, so rowids only grow.

On a store, bursts reads the kept counts and scans only the events stored
after them (:func:`store_scan`), so it gives exactly what a full scan gives,
however stale the counts: a write that was killed before counting, or rows
inserted by hand, are read from ``activity``. Counts are kept by the type the
row recorded; actor marks are applied when read. The full scan is used when
the counts cannot answer: a filter on the action, or ``since``/``until`` off a
5-minute boundary.
"""

from __future__ import annotations

import duckdb

from .._store import EVENTS_SELECT
from ._stages import DUCKDB, ORIGIN_US, SLOT_US, stage1, type_code

#: ``meta`` keys: activity rows with a rowid below ``COVERED`` are counted;
#: ``COUNTED`` of them were there when they were counted
COVERED, COUNTED = "slot_counts_rows", "slot_counts_events"

_US = DUCKDB.epoch_us


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> int:
    return con.execute("SELECT coalesce(max(value::BIGINT), 0) FROM meta WHERE key = ?",
                       [key]).fetchall()[0][0]


def refresh(con: duckdb.DuckDBPyConnection) -> int:
    """Count the activity rows stored since the last refresh; return how many
    rows that was. One transaction: the counts and ``meta`` move together.

    Rows deleted from ``activity`` by hand (the package never deletes any)
    show as fewer rows below the mark than were counted: then everything is
    counted again. Rows *changed* by hand are not noticed: after such an edit,
    ``DELETE FROM meta WHERE key = 'slot_counts_rows'`` and the next write
    counts afresh (until then bursts scans every event)."""
    con.execute("BEGIN TRANSACTION")
    try:
        covered, counted = _meta(con, COVERED), _meta(con, COUNTED)
        below = con.execute(f"SELECT count(*) FROM activity WHERE rowid < {int(covered)}").fetchall()[0][0]
        if covered == 0 or below != counted:  # nothing counted yet, or rows deleted by hand
            con.execute("DELETE FROM slot_counts")
            covered = 0
        end = con.execute("SELECT coalesce(max(rowid) + 1, 0) FROM activity").fetchall()[0][0]
        if end > covered:
            con.execute(f"""
                INSERT INTO slot_counts
                SELECT workspace_id, actor_id, actor_type, slot_us, count(*), min(us), max(us)
                FROM (SELECT workspace_id, actor_id, actor_type, {_US} AS us,
                             {DUCKDB.floor(_US, str(SLOT_US))} AS slot_us
                      FROM activity
                      WHERE rowid >= {int(covered)} AND rowid < {int(end)} AND actor_id IS NOT NULL)
                GROUP BY ALL""")
        counted = con.execute(f"SELECT count(*) FROM activity WHERE rowid < {int(end)}").fetchall()[0][0]
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?), (?, ?)",
                    [COVERED, str(end), COUNTED, str(counted)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return max(end - covered, 0)


def store_scan(where: str) -> str:
    """Stage 1 of bursts on a store: ``cover`` (how many rows the counts can
    answer for) and ``s1``, from the kept counts and the events after them.
    ``where`` is the macros' filter on events (``since``, ``until``, ``ws``,
    ``act``, ``atype``)."""
    aligned = " AND ".join(
        f"({p} IS NULL OR ({_epoch(p)} - {ORIGIN_US}) % {SLOT_US} = 0)" for p in ("since", "until")
    )
    tail = EVENTS_SELECT.format(
        activity="(SELECT * FROM activity WHERE rowid >= (SELECT k FROM cover))", marks="actor_marks"
    )
    scan = stage1("bursts", DUCKDB).replace("{events}", f"(SELECT * FROM ({tail}) WHERE {where})")
    return f"""
    cover AS (
        SELECT CASE WHEN act IS NULL AND {aligned}
                    THEN (SELECT coalesce(max(value::BIGINT), 0) FROM meta WHERE key = '{COVERED}')
                    ELSE 0 END AS k
    ),
    s1 AS (
        SELECT workspace_id, actor_id, slot_us, sum(n)::BIGINT AS n, min(first_us) AS first_us,
               max(last_code) AS last_code
        FROM (
            SELECT coalesce(c.workspace_id, '') AS workspace_id, c.actor_id, c.slot_us, c.n, c.first_us,
                   c.last_us * 4 + {type_code('coalesce(m.actor_type, c.actor_type)')} AS last_code
            FROM slot_counts AS c LEFT JOIN actor_marks AS m USING (actor_id)
            WHERE (SELECT k FROM cover) > 0
              AND (since IS NULL OR c.slot_us >= {_epoch('since')})
              AND (until IS NULL OR c.slot_us < {_epoch('until')})
              AND (ws IS NULL OR c.workspace_id = ws)
              AND (atype IS NULL OR coalesce(m.actor_type, c.actor_type) = atype)
            UNION ALL
            {scan}
        )
        GROUP BY 1, 2, 3
    )"""


def _epoch(param: str) -> str:
    return f"epoch_us({param}::TIMESTAMPTZ)"
