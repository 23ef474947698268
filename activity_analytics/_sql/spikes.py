"""Bursts' workspace spikes: many more people at once than the workspace has at that hour.

A part of bursts' stage 2 (``bursts.BURSTS_STAGE2``), over its ``stretch`` and
``wspan``/``span``; it yields ``wslots`` (every window tested, for the
multiplicity count) and ``spike_tests`` (the windows big enough to flag).
"""

from __future__ import annotations

from .scores import RATIO, SPIKE_EXTRA_ACTORS, kl

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
    wdays AS (   -- days of each kind in each workspace's history: windows nobody was in count as 0
        SELECT w.wk, isodow(d) >= 6 AS weekend, count(*) AS days
        FROM wspan AS w, span,
             LATERAL generate_series(date_trunc('day', w.t0), date_trunc('day', span.t1), INTERVAL 1 DAY) AS g(d)
        GROUP BY ALL
    ),
    wbase AS (
        SELECT b.wk, b.weekend, b.hod,
               greatest(list_aggregate(list_resize(b.ks, greatest(12 * d.days, len(b.ks)), 0), 'median'),
                        1.0) AS k_expected,
               greatest(list_aggregate(list_resize(b.ns, greatest(12 * d.days, len(b.ns)), 0), 'median'),
                        1.0) AS expected
        FROM (SELECT wk, isodow(start) >= 6 AS weekend, hour(start) AS hod, list(k) AS ks, list(n) AS ns
              FROM wslots GROUP BY ALL) AS b
        JOIN wdays AS d USING (wk, weekend)
    ),
    spike_base AS (   -- windows with many more actors than usual at that hour, none of them dominating
        SELECT w.*, b.k_expected, b.expected
        FROM wslots AS w JOIN wbase AS b
          ON b.wk = w.wk AND b.weekend = (isodow(w.start) >= 6) AND b.hod = hour(w.start)
        WHERE w.k >= b.k_expected + {SPIKE_EXTRA_ACTORS} / sensitivity
          AND w.top < 0.5 * w.n AND w.n >= {RATIO} * b.expected
    ),
    wlocal AS (   -- and than the workspace's level in the hour either side (its own 20 minutes left
                  -- out): on an organisation-wide busy day every window is busier. That only raises
                  -- what is expected, so only the windows above need it
        SELECT s.wk, s.start, any_value(s.n) AS n, any_value(s.k) AS k, any_value(s.k_expected) AS k_expected,
               any_value(s.expected) AS expected, coalesce(sum(o.n), 0) / 20 AS n_local,
               coalesce(sum(o.k), 0) / 20 AS k_local
        FROM spike_base AS s
        LEFT JOIN wslots AS o
               ON o.wk = s.wk AND o.start >= s.start - INTERVAL 60 MINUTE AND o.start <= s.start + INTERVAL 60 MINUTE
              AND (o.start < s.start - INTERVAL 10 MINUTE OR o.start > s.start + INTERVAL 10 MINUTE)
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
