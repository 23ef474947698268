"""What an "agent at an hour it never runs" notice would cost and find: figures for a
decision issue 22 leaves to its owner. Not part of the package.

Every runaway that ``bursts`` misses at a time of day its agent never works is no
bigger than the agent's own batches: an anomaly of timing, not of volume. The
volume tests cannot single out one ordinary batch among 10^5 windows, so such an
alarm would be a notice, reported once, as first-seen ids are. This is that
notice, from the rule ``off_hours`` uses for people, set on the synthetic tuning
runs only (round 8) and then run once on everything held out:

* an agent's clock hour with at least 8 events (``bursts``' size minimum);
* from the agent's third day (as the evaluation injects: from its third day);
* no event of the agent at that hour of the day, nor the hour either side, on any
  earlier day;
* an agent that keeps to its hours: the hours it worked on earlier days, each with
  the hour either side, cover at most 8 of the 24 (a third of the day). Without it,
  on the tuning runs, bursty agents (which run at any hour, a few times a day) gave
  3.7-5.2 notices per 100 actor-weeks with nothing injected, and found no runaway
  more; with it, none, and nightly jobs' runaway recall went from 0.65 to 0.85 on
  seeds 201-202 (on 301-302: 0.75 with the cap, 0.8 without);
* consecutive such hours of an agent make one notice.

The evaluations report how many such notices come on activity with nothing
injected (what an analyst would read every week) and how many missed runaways
they would add.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

import activity_analytics as aa

MIN_EVENTS = 8
HISTORY_DAYS = 2
MAX_HOURS = 8

SQL = f"""
WITH h AS (
    SELECT workspace_id, actor_id, date_trunc('hour', created_at AT TIME ZONE 'UTC') AS hr, count(*) AS n
    FROM events WHERE actor_type = 'agent' GROUP BY ALL
), first AS (
    SELECT workspace_id, actor_id, min(hr) AS f FROM h GROUP BY ALL
), seen AS (   -- the first day the agent worked at each hour of the day
    SELECT workspace_id, actor_id, hour(hr) AS hod, min(date_trunc('day', hr)) AS since FROM h GROUP BY ALL
), near AS (   -- the hours of the day within an hour of one it worked at, and since when
    SELECT workspace_id, actor_id, (hod + k + 24) % 24 AS hod, min(since) AS since
    FROM seen, (VALUES (-1), (0), (1)) AS d(k) GROUP BY ALL
), cand AS (
    SELECT h.workspace_id, h.actor_id, h.hr FROM h JOIN first USING (workspace_id, actor_id)
    WHERE h.n >= {MIN_EVENTS} AND h.hr >= first.f + INTERVAL {HISTORY_DAYS} DAY
), flag AS (   -- never near that hour before that day, and kept to a few hours of the day
    SELECT c.workspace_id, c.actor_id, c.hr FROM cand AS c JOIN near AS s
        ON s.workspace_id = c.workspace_id AND s.actor_id = c.actor_id AND s.since < date_trunc('day', c.hr)
    GROUP BY ALL
    HAVING count(*) FILTER (WHERE s.hod = hour(c.hr)) = 0 AND count(*) <= {MAX_HOURS}
), runs AS (   -- consecutive flagged hours of an agent are one notice
    SELECT *, hr - to_hours(row_number() OVER (PARTITION BY workspace_id, actor_id ORDER BY hr)) AS run
    FROM flag
)
SELECT 'runaway_agent' AS kind, workspace_id, actor_id, epoch_us(min(hr)) AS start,
       epoch_us(max(hr)) + 3600000000 AS "end"
FROM runs GROUP BY workspace_id, actor_id, run ORDER BY start
"""


def notices(db: Path) -> pl.DataFrame:
    """The notices (kind ``runaway_agent``, so they match an injected runaway), times in epoch µs."""
    return aa.sql(db, SQL).with_columns(pl.col("workspace_id").fill_null(""))
