"""Bursts' workspace spikes: many more people at once than the workspace has at that hour.

A part of bursts' stage 2 (``bursts.BURSTS_STAGE2``), over its ``stretch`` and
``wspan``/``span``; it yields ``spike_tests`` (the windows big enough to flag). Causal
(issue 34, item 1): a window is judged against that hour on the workspace's days before
its own (from its third day) and the hour before it.
"""

from __future__ import annotations

from .kept import GRID_FROM, before, fresh
from .scores import BASELINE_DAYS, JUDGED_FROM_DAY, RATIO, SPIKE_EXTRA_ACTORS, kl

_RECENT = f"ROWS BETWEEN {BASELINE_DAYS} PRECEDING AND 1 PRECEDING"
_kinds = ", ".join(f"median(k) FILTER ({f}) OVER w AS {p}_k, median(n) FILTER ({f}) OVER w AS {p}_n"
                   for p, f in (("wd", "NOT weekend"), ("we", "weekend")))

SPIKES = f"""    wactor AS (   -- 10-minute windows every 5 minutes, so a spike across two is seen whole: each
                  -- person's events in the window from each active slot, and from the 5 minutes
                  -- before one that follows a quiet slot (a spike of people is judged among people)
        SELECT wk, slot AS start, ak, n10 AS n FROM stretch WHERE type_code <> 0
        UNION ALL
        SELECT wk, slot - INTERVAL 5 MINUTE, ak, n FROM stretch WHERE type_code <> 0 AND gap IS DISTINCT FROM 1
    ),
    wslots AS MATERIALIZED (
        SELECT wk, start, count(*) AS k, sum(n) AS n, max(n) AS top
        FROM wactor GROUP BY ALL
    ),
    whours_all AS (   -- per workspace and hour: its median 10-minute window (idle ones as 0), kept and now
        {before('bursts_kept_whours', 'hour')} AND hour >= {GRID_FROM}
        UNION ALL BY NAME
        SELECT wk, hour, list_aggregate(list_resize(ks, 12, 0), 'median') AS k,
               list_aggregate(list_resize(ns, 12, 0), 'median') AS n
        FROM (SELECT wk, date_trunc('hour', start) AS hour, list(k) AS ks, list(n) AS ns FROM wslots GROUP BY ALL)
        WHERE {fresh('hour')}
    ),
    wgrid AS (   -- each workspace's days and hours of the day, from its first day (idle windows count as 0):
                 -- the median 10-minute window of that hour of that day
        SELECT g.wk, g.day, g.hod, isodow(g.day) >= 6 AS weekend,
               coalesce(c.k, 0) AS k, coalesce(c.n, 0) AS n
        FROM (SELECT w.wk, d.day, r.hod
              FROM wspan AS w, span,
                   LATERAL generate_series(greatest(date_trunc('day', w.t0), {GRID_FROM}), date_trunc('day', span.t1),
                                           INTERVAL 1 DAY) AS d(day),
                   range(24) AS r(hod)) AS g
        LEFT JOIN whours_all AS c ON c.wk = g.wk AND c.hour = g.day + to_hours(g.hod)
    ),
    wbase AS (   -- as of each day: that hour's median window over the workspace's last days before (that
                 -- kind of day), from its third day
        SELECT wk, day, hod, greatest(k_expected, 1.0) AS k_expected, greatest(expected, 1.0) AS expected
        FROM (SELECT wk, day, hod, weekend, CASE WHEN weekend THEN we_k ELSE wd_k END AS k_expected,
                     CASE WHEN weekend THEN we_n ELSE wd_n END AS expected, count(*) OVER w AS days
              FROM (SELECT *, {_kinds}
                    FROM wgrid
                    WINDOW w AS (PARTITION BY wk, hod ORDER BY day {_RECENT}))
              WINDOW w AS (PARTITION BY wk, hod ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
        WHERE days >= {JUDGED_FROM_DAY}
    ),
    spike_base AS (   -- windows with many more actors than usual at that hour, none of them dominating
        SELECT w.*, b.k_expected, b.expected
        FROM wslots AS w JOIN wbase AS b
          ON b.wk = w.wk AND b.day = date_trunc('day', w.start) AND b.hod = hour(w.start)
        WHERE w.k >= b.k_expected + {SPIKE_EXTRA_ACTORS} / sensitivity
          AND w.top < 0.5 * w.n AND w.n >= {RATIO} * b.expected
    ),
    wlocal AS (   -- and than the workspace's level in the hour before (its 10 minutes before left out):
                  -- on an organisation-wide busy day every window is busier. That only raises what is
                  -- expected, so only the windows above need it
        SELECT s.wk, s.start, any_value(s.n) AS n, any_value(s.k) AS k, any_value(s.k_expected) AS k_expected,
               any_value(s.expected) AS expected, coalesce(sum(o.n), 0) / 10 AS n_local,
               coalesce(sum(o.k), 0) / 10 AS k_local
        FROM spike_base AS s
        LEFT JOIN wslots AS o
               ON o.wk = s.wk AND o.start >= s.start - INTERVAL 60 MINUTE AND o.start < s.start - INTERVAL 10 MINUTE
        GROUP BY s.wk, s.start
    ),
    spike_tests AS (
        SELECT wk, start, n AS events, k AS actors, greatest(k_expected, k_local) AS actors_expected,
               greatest(expected, n_local) AS expected, {kl('n', 'greatest(expected, n_local)')} AS raw
        FROM wlocal
        WHERE k >= greatest(k_expected, k_local) + {SPIKE_EXTRA_ACTORS} / sensitivity
          AND n >= {RATIO} * greatest(expected, n_local)
    ),
"""
