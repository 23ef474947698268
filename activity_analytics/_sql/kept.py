"""Bursts' kept verdicts: what the detector has judged, in the store, so a run judges only what is new.

Issue 34, item 2. Verdicts are causal (``history``): a window is judged on the days
before its own and the hours before it that day. So what the detector has worked out
for days that are over never changes, and it keeps it in the store, in tables of its
own that only ``bursts --keep`` writes (no write path of the loader maintains them):

* ``bursts_kept``: one row: the detector's version (a digest of its SQL), the DuckDB
  version that hashed its keys, the actor marks it judged with, and its **reach**: the
  UTC midnight before which everything below is final;
* per actor and day before the reach: its day's figures (``bursts_kept_days``: slots,
  clumps, runs, active hours), its 15/30/60-minute figures (``bursts_kept_stretches``),
  its hours (``bursts_kept_hours``), an agent's hours and 3 hours
  (``bursts_kept_agent_days``) and its largest stretches (``bursts_kept_volume``); per
  workspace and hour, its median 10-minute window (``bursts_kept_whours``); each actor's
  id, type and first event (``bursts_kept_actors``);
* the windows flagged, with their scores, at sensitivity :data:`KEEP_SENSITIVITY`
  (``bursts_kept_flags``, with each first-seen actor's first-day hours): a run at any
  sensitivity up to that filters them (the thresholds divide by it), so
  ``--sensitivity`` still applies when they are read;
* the events of each day (count and sum of times, ``bursts_kept_counts``): a day whose
  events changed since (a backfill, an audit log's calls dropped for a trace's) moves
  the reach back to it.

A run reads what is kept before the reach and judges the rest from the events after
the day before it (``kept_reach``: the reach in effect, or NULL to judge everything):
the same SQL, the same verdicts, whatever was kept. The reach in effect is NULL when
the detector's version, DuckDB's or the marks differ, at a sensitivity above
:data:`KEEP_SENSITIVITY` and with an action filter; it is never after ``until``'s day
less one (a window ending at ``until`` has not seen the next day's events).
"""

from __future__ import annotations

from .scores import BASELINE_DAYS, FDR_SCORE, MIN_EVENTS, SPIKE_EXTRA_ACTORS

#: the sensitivity flags are kept at: a run at this or less reads them
KEEP_SENSITIVITY = 4.0
_DAY_US = 86_400_000_000

_POS = ", ".join(f"p{p} BIGINT" for p in range(12))

#: the tables (a migration creates them; Spark's stage 2 gets them empty)
TABLES = f"""
CREATE TABLE bursts_kept (
    version VARCHAR NOT NULL, engine VARCHAR NOT NULL, marks VARCHAR NOT NULL,
    reach TIMESTAMP NOT NULL, judged_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE bursts_kept_counts (day BIGINT PRIMARY KEY, events BIGINT NOT NULL, us HUGEINT NOT NULL);
CREATE TABLE bursts_kept_actors (
    ak UBIGINT NOT NULL, wk UBIGINT NOT NULL, workspace_id VARCHAR, actor_id VARCHAR,
    actor_type VARCHAR, first_seen TIMESTAMP NOT NULL
);
CREATE TABLE bursts_kept_days (
    ak UBIGINT NOT NULL, day TIMESTAMP NOT NULL, slots BIGINT, day_clump DOUBLE, day_top DOUBLE,
    run_starts BIGINT, {_POS}, m5 BIGINT, m15 BIGINT, m30 BIGINT, m60 BIGINT, hours BIGINT, hs HUGEINT,
    hs2 HUGEINT
);
CREATE TABLE bursts_kept_stretches (
    ak UBIGINT NOT NULL, day TIMESTAMP NOT NULL, len INTEGER NOT NULL, total HUGEINT, sq HUGEINT,
    top DOUBLE, mid DOUBLE
);
CREATE TABLE bursts_kept_hours (ak UBIGINT NOT NULL, hour TIMESTAMP NOT NULL, n HUGEINT, slots BIGINT);
CREATE TABLE bursts_kept_agent_days (
    ak UBIGINT NOT NULL, hours INTEGER NOT NULL, day TIMESTAMP NOT NULL, slots HUGEINT, events HUGEINT
);
CREATE TABLE bursts_kept_volume (
    ak UBIGINT NOT NULL, day TIMESTAMP NOT NULL, m15 BIGINT, m30 BIGINT, m60 BIGINT, m180 HUGEINT
);
CREATE TABLE bursts_kept_whours (wk UBIGINT NOT NULL, hour TIMESTAMP NOT NULL, k DOUBLE, n DOUBLE);
CREATE TABLE bursts_kept_flags (
    ak UBIGINT, wk UBIGINT NOT NULL, actor_type VARCHAR, kind VARCHAR NOT NULL,
    start TIMESTAMP NOT NULL, "end" TIMESTAMP NOT NULL, events HUGEINT, expected DOUBLE,
    slots HUGEINT, slots_expected DOUBLE, raw DOUBLE, score DOUBLE, actors BIGINT,
    actors_expected DOUBLE, volume BOOLEAN NOT NULL
);
"""

#: every kept table but ``bursts_kept``, and the column that says which day (or end) a row is of
KEPT = {"bursts_kept_counts": "day", "bursts_kept_actors": "first_seen", "bursts_kept_days": "day",
        "bursts_kept_stretches": "day", "bursts_kept_hours": "hour", "bursts_kept_agent_days": "day",
        "bursts_kept_volume": "day", "bursts_kept_whours": "hour", "bursts_kept_flags": '"end"'}

#: SQL: the actor marks as one string (a mark changes actors' types: what was judged with
#: other marks is judged again)
MARKS = ("(SELECT coalesce(md5(string_agg(actor_id || '|' || actor_type || '|' || coalesce(same_as, ''), ','"
         " ORDER BY actor_id)), '') FROM actor_marks)")

def day_counts(where: str) -> str:
    """SQL: each day's events in ``activity`` (epoch day, count, sum of times) where ``where``:
    what ``--keep`` records and what the reach compares it with, one text for both."""
    return (f"SELECT epoch_us(created_at) // {_DAY_US} AS day, count(*) AS events, "
            f"sum(epoch_us(created_at)::HUGEINT) AS us FROM activity WHERE {where} GROUP BY 1")


#: the CTE that stands for the reach when nothing can be kept (Spark's stage 2: a full run)
NOTHING_KEPT = "kept_reach AS (SELECT NULL::TIMESTAMP AS r)"


def reach_macro(version: str) -> str:
    """``aa_bursts_reach(until, act, sensitivity)``: the reach in effect (naive UTC, or NULL):
    what is kept before it holds for a run with these arguments. A day whose events differ
    from those counted when it was judged (added, dropped) is judged again, and all after it."""
    return f"""(until, act, sensitivity) AS (
        WITH k AS (SELECT reach FROM bursts_kept
                   WHERE version = '{version}' AND engine = version() AND marks = {MARKS}),
        now AS ({day_counts("created_at < (SELECT timezone('UTC', reach) FROM k)")}),
        changed AS (SELECT make_timestamp(min(day) * {_DAY_US}) AS day
                    FROM now FULL JOIN (SELECT * FROM bursts_kept_counts
                                        WHERE day < (SELECT epoch_us(reach) // {_DAY_US} FROM k)) AS c USING (day)
                    WHERE now.events IS DISTINCT FROM c.events OR now.us IS DISTINCT FROM c.us)
        SELECT CASE WHEN act IS NULL AND sensitivity <= {KEEP_SENSITIVITY} THEN
                    least(k.reach, (SELECT day FROM changed),
                          date_trunc('day', timezone('UTC', until::TIMESTAMPTZ)) - INTERVAL 1 DAY) END
        FROM k
    )"""


def before(table: str, column: str, cols: str = "*") -> str:
    """SQL: the rows of kept ``table`` from before the reach (none without one)."""
    return f"SELECT {cols} FROM {table} WHERE {column} < (SELECT r FROM kr)"


def fresh(column: str, since: str = "r") -> str:
    """SQL (a WHERE condition): a row of that day (hour) or after, from the reach on (``since='f'``:
    from the day judged again before it); every row without a reach."""
    return f"((SELECT {since} FROM kr) IS NULL OR {column} >= (SELECT {since} FROM kr))"


#: the CTE that stage 2 starts with: the reach in effect (``r``) and the day judged
#: again before it (``f``, for the windows that reach back across midnight)
REACH = "    kr AS (SELECT r, r - INTERVAL 1 DAY AS f FROM kept_reach),\n"
#: the first day the baselines need: the day judged again less their days
GRID_FROM = f"(SELECT f - INTERVAL {BASELINE_DAYS} DAY FROM kr)"

#: SQL (over a kept flag ``k``): flagged at ``sensitivity`` (kept at KEEP_SENSITIVITY, which is more)
KEPT_PASSES = f"""(k.kind = 'new_actor' OR ((k.volume OR k.score >= {FDR_SCORE} / sensitivity)
          AND CASE WHEN k.kind = 'workspace_spike' THEN k.actors >= k.actors_expected + {SPIKE_EXTRA_ACTORS} / sensitivity
                   ELSE k.events >= {MIN_EVENTS} / sensitivity END))"""

_FLAG_COLS = ('ak, wk, actor_type, kind, start, "end", events, expected, slots, slots_expected, raw, score, '
              'actors, actors_expected, volume')

#: the last step of ``aa_bursts_keep``: every row to keep, from the reach to ``keep_to``,
#: tagged with its table (``kept``); a new actor from its first event
KEEP_FINAL = f"""    SELECT 'bursts_kept_actors' AS kept, ak, wk, workspace_id, actor_id, actor_type, first_seen
    FROM actor WHERE {fresh('first_seen')} AND first_seen < keep_to
    UNION ALL BY NAME
    SELECT 'bursts_kept_days' AS kept, * FROM days_all WHERE {fresh('day')} AND day < keep_to
    UNION ALL BY NAME
    SELECT 'bursts_kept_stretches' AS kept, * FROM dday_all WHERE {fresh('day')} AND day < keep_to
    UNION ALL BY NAME
    SELECT 'bursts_kept_hours' AS kept, ak, hour, n, slots FROM hourly WHERE {fresh('hour')} AND hour < keep_to
    UNION ALL BY NAME
    SELECT 'bursts_kept_agent_days' AS kept, * FROM agent_days_all WHERE {fresh('day')} AND day < keep_to
    UNION ALL BY NAME
    SELECT 'bursts_kept_volume' AS kept, * FROM volume_days WHERE {fresh('day')} AND day < keep_to
    UNION ALL BY NAME
    SELECT 'bursts_kept_whours' AS kept, * FROM whours_all WHERE {fresh('hour')} AND hour < keep_to
    UNION ALL BY NAME
    SELECT 'bursts_kept_flags' AS kept, {_FLAG_COLS} FROM fresh_flags WHERE "end" <= keep_to
"""
