"""Bursts judged as they happened: every baseline reads only the days before the window's own.

A part of bursts' stage 2 (``bursts.BURSTS_STAGE2``), after ``stretch`` and ``who``
(issue 34, item 1). A window on day D (UTC) is judged against statistics of its actor
(and its workspace's peers) over the days before D, and its own events; within D, only
the hours before it (``day_rate`` in bursts). So a later event never changes a verdict,
and the whole store, a ``--since``/``--until`` window, a cron run and a run next month
agree on every window that ended before their data did.

* ``adays``, ``hdays``, ``dday``: one row per actor and active day (its slots, its
  median and 99th-percentile slot, runs, slots per 5-minute slot of the hour; its hours'
  active slots; its 15/30/60-minute stretches' sums, 90th percentile and median).
* ``hist`` and ``dhist``: the same per actor and active day, over the days before it
  (running sums, and medians of the days' figures: clumps, rapid-succession baseline,
  run length, occupancy, dispersion, schedule, usual busy stretch).
* ``hbase``: per actor and active hour, that hour of the day over the actor's last
  ``BASELINE_DAYS`` days before it (weekdays and weekend days apart, idle days as zero),
  smoothed over the hour either side; ``peers``: the same for its workspace's actors of
  its type (warm-up).
"""

from __future__ import annotations

from .kept import GRID_FROM, before, fresh
from .scores import BASELINE_DAYS, PACE_EVENTS

#: the days before this one (over one row per active day)
_BEFORE = "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
#: the last BASELINE_DAYS days before this one (over one row per day, idle days included)
_RECENT = f"ROWS BETWEEN {BASELINE_DAYS} PRECEDING AND 1 PRECEDING"
#: an hour's usual count (the mean of that hour on the last days of its kind)
_USUAL = "CASE WHEN weekend THEN we.mean ELSE wd.mean END"
_POS = ", ".join(f"count(*) FILTER (minute(slot) // 5 = {p}) AS p{p}" for p in range(12))
_POS_BEFORE = ", ".join(f"sum(d.p{p}) OVER w AS p{p}" for p in range(12))


def _kinds(part) -> str:
    """``part(k, f)`` for weekdays (k ``wd``, filter f) and weekend days (``we``)."""
    return ", ".join(part(k, f) for k, f in (("wd", "NOT weekend"), ("we", "weekend")))


def _around(col: str) -> str:
    """SQL: ``col`` of the hour before and after on the same day (23 and 0 wrap), as ``col_prev``, ``col_next``."""
    return (f"CASE WHEN hod = 0 THEN last_value({col}) OVER v2 ELSE lag({col}) OVER v END AS {col}_prev, "
            f"CASE WHEN hod = 23 THEN first_value({col}) OVER v2 ELSE lead({col}) OVER v END AS {col}_next")


def _hour_stats(k: str, f: str) -> str:
    return (f"{{'median': coalesce(median(n) FILTER ({f}) OVER w, 0), "
            f"'q75': coalesce(quantile_disc(n, 0.75) FILTER ({f}) OVER w, 0), "
            f"'mean': coalesce(avg(n) FILTER ({f}) OVER w, 0), 'days': count(*) FILTER ({f} AND n > 0) OVER w}} AS {k}")


def _peer_stats(k: str, f: str) -> str:
    return (f"coalesce(sum(active) FILTER ({f}) OVER w / sum(present) FILTER ({f}) OVER w, 0) AS {k}_active, "
            f"median(top) FILTER ({f}) OVER w AS {k}_busy")


HISTORY = f"""    adays AS MATERIALIZED (   -- per actor and active day: its slots, clumps, runs and slots of the hour;
                              -- its busiest 5, 15, 30 and 60 minutes (a reason's evidence)
        SELECT ak, date_trunc('day', slot) AS day, count(*) AS slots, median(n) AS day_clump,
               quantile_cont(n, 0.99) AS day_top, count(*) FILTER (gap IS DISTINCT FROM 1) AS run_starts, {_POS},
               max(n) AS m5, max(e15) AS m15, max(e30) AS m30, max(e60) AS m60
        FROM stretch GROUP BY ALL
    ),
    hdays AS (   -- ... its active hours and their active slots
        SELECT ak, date_trunc('day', hour) AS day, count(*) AS hours, sum(slots) AS hs, sum(slots * slots) AS hs2
        FROM hourly GROUP BY ALL
    ),
    days_all AS MATERIALIZED (   -- the days kept (before the reach) and those judged now
        {before('bursts_kept_days', 'day')}
        UNION ALL BY NAME
        SELECT d.*, h.hours, h.hs, h.hs2 FROM adays AS d JOIN hdays AS h USING (ak, day) WHERE {fresh('d.day')}
    ),
    hist AS MATERIALIZED (   -- per actor and active day, its days before it: how many; clump size (median
                             -- of the days' median events in an active 5 minutes) and busiest 5 minutes
                             -- (median of the days' 99th percentiles); how many consecutive slots a run
                             -- spans (a batch across a slot boundary is one run); share of 5-minute slots
                             -- active (occupancy) and the dispersion of active slots per hour; its
                             -- active hours and slots at each 5-minute slot of the hour (schedule); its
                             -- busiest 5-60 minutes before (b) and that day (d: volume first, for people)
        SELECT ak, day, actor_type, history_days, clump, slot_expected, run_len, hours, {', '.join(f'p{p}' for p in range(12))},
               b5, b15, b30, b60, d15, d30, d60,
               least(coalesce(slots, 0) / greatest(date_diff('minute', first_day, day) / 5, 1), 0.999) AS occupancy,
               greatest(1.0, coalesce((hs2 / span_hours - (hs / span_hours) ** 2) / (hs / span_hours), 1.0))
                   AS slot_phi
        FROM (SELECT d.ak, d.day, a.actor_type, date_trunc('day', a.first_seen) AS first_day,
                     greatest(date_diff('hour', a.first_seen, d.day), 1) AS span_hours,
                     count(*) OVER w AS history_days,
                     greatest(coalesce(median(d.day_clump) OVER w, 1.0), 1.0) AS clump,
                     greatest(coalesce(median(d.day_top) OVER w, 1.0), 1.0) AS slot_expected,
                     coalesce(sum(d.slots) OVER w / nullif(sum(d.run_starts) OVER w, 0), 1.0) AS run_len,
                     sum(d.slots) OVER w AS slots, coalesce(sum(d.hours) OVER w, 0) AS hours,
                     sum(d.hs) OVER w AS hs, sum(d.hs2) OVER w AS hs2, {_POS_BEFORE},
                     max(d.m5) OVER w AS b5, max(d.m15) OVER w AS b15, max(d.m30) OVER w AS b30,
                     max(d.m60) OVER w AS b60, d.m15 AS d15, d.m30 AS d30, d.m60 AS d60
              FROM days_all AS d JOIN who AS a USING (ak)
              WINDOW w AS (PARTITION BY d.ak ORDER BY d.day {_BEFORE}))
    ),
    dday AS (   -- per actor, active day and stretch length (15, 30, 60 minutes, disjoint): events, their
                -- squares, the day's busy stretch (90th percentile) and its usual active slots (median)
        SELECT ak, date_trunc('day', bucket) AS day, len, sum(k) AS total, sum(k * k) AS sq,
               quantile_cont(k, 0.9) AS top, median(slots) AS mid
        FROM (SELECT ak, 15 AS len, bucket, k, slots FROM quarter
              UNION ALL
              SELECT ak, 30, time_bucket(INTERVAL 30 MINUTE, bucket), sum(k), sum(slots)::BIGINT FROM quarter
              GROUP BY ak, time_bucket(INTERVAL 30 MINUTE, bucket)
              UNION ALL
              SELECT ak, 60, hour, n, slots FROM hourly)
        GROUP BY ALL
    ),
    dday_all AS (
        {before('bursts_kept_stretches', 'day')}
        UNION ALL BY NAME
        SELECT * FROM dday WHERE {fresh('day')}
    ),
    hours_all AS (   -- the hours kept and judged now: the baselines' days before
        {before('bursts_kept_hours', 'hour')} AND hour >= {GRID_FROM}
        UNION ALL BY NAME
        SELECT ak, hour, n, slots FROM hourly WHERE {fresh('hour')}
    ),
    dhist AS MATERIALIZED (   -- ... over its days before: variance / mean of its counts at that length
                              -- (empty windows included, from its first event; a bot that commits ten
                              -- at a time once a week is overdispersed, a steady agent about 1), and
                              -- its usual busy stretch (the days' medians)
        SELECT ak, day, len, usual_events, usual_slots,
               greatest(1.0, coalesce((sq / windows - (total / windows) ** 2) / (total / windows), 1.0)) AS phi
        FROM (SELECT d.ak, d.day, d.len, sum(d.total) OVER w AS total, sum(d.sq) OVER w AS sq,
                     median(d.top) OVER w AS usual_events, median(d.mid) OVER w AS usual_slots,
                     greatest(date_diff('minute', a.first_seen, d.day) / d.len, 1) AS windows
              FROM dday_all AS d JOIN who AS a USING (ak)
              WINDOW w AS (PARTITION BY d.ak, d.len ORDER BY d.day {_BEFORE}))
    ),
    grid AS MATERIALIZED (   -- every hour of every day of each actor, from its first day (idle: 0) to the
                             -- data's last (so a day's peers are the same whatever came after it)
        SELECT *, max(n) OVER (PARTITION BY ak, day) > 0 AS active_day
        FROM (SELECT g.ak, g.wk, g.actor_type, g.day, g.hod, isodow(g.day) >= 6 AS weekend, coalesce(h.n, 0) AS n
              FROM (SELECT a.ak, a.wk, a.actor_type, s.day, r.hod, s.day + to_hours(r.hod) AS hour
                    FROM who AS a, span,
                         LATERAL generate_series(greatest(date_trunc('day', a.first_seen), {GRID_FROM}),
                                                 date_trunc('day', span.t1),
                                                 INTERVAL 1 DAY) AS s(day), range(24) AS r(hod)) AS g
              LEFT JOIN hours_all AS h ON h.ak = g.ak AND h.hour = g.hour)
    ),
    hrecent AS MATERIALIZED (   -- that hour of the day on the actor's last days before (weekdays, weekend days apart):
                   -- median, 75th percentile, mean, days worked then; and its active days
        SELECT ak, wk, actor_type = 'agent' AS agent, day, hod, weekend, n,
               {_kinds(_hour_stats)},
               count(*) FILTER (active_day) OVER w AS recent_days
        FROM grid
        WINDOW w AS (PARTITION BY ak, hod ORDER BY day {_RECENT})
    ),
    hpace AS (   -- the workspace's actors of a type per day and hour of the day (a small table):
                 -- events and usual events since midnight, through the hour and through the one before
        SELECT wk, agent, day, hod, sum(sum(n)) OVER c AS ws_n, sum(sum({_USUAL})) OVER c AS ws_u,
               sum(sum(n)) OVER cb AS ws_n_before, sum(sum({_USUAL})) OVER cb AS ws_u_before
        FROM hrecent
        WHERE {fresh('day', 'f')}
        GROUP BY wk, agent, day, hod
        WINDOW c AS (PARTITION BY wk, agent, day ORDER BY hod),
               cb AS (PARTITION BY wk, agent, day ORDER BY hod RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    hbase AS MATERIALIZED (   -- per actor and active hour: its own (that hour, that kind of day) and near
                              -- (an hour either side; on a weekend day also weekdays then): starting or
                              -- finishing an hour early, or working a weekend at one's usual hours, is ordinary.
                              -- And the day's pace: the workspace's others (people apart from agents) since
                              -- midnight against their usual then, through this hour and through the one
                              -- before (an organisation-wide busy day raises what is expected from its start)
        SELECT ak, day, day + to_hours(hod) AS hour, recent_days,
               (ws_n - own_n + {PACE_EVENTS}) / (ws_u - own_u + {PACE_EVENTS}) AS pace,
               (coalesce(ws_n_before, 0) - (own_n - n) + {PACE_EVENTS})
                   / (coalesce(ws_u_before, 0) - (own_u - mine.mean) + {PACE_EVENTS}) AS pace_before,
               greatest(mine.q75, list_max([x.q75 FOR x IN near])) AS q75,
               mine.days + list_sum([x.days FOR x IN near]) AS near_days,
               greatest(mine.median, list_max([x.median FOR x IN near]),
                        0.5 * greatest(mine.mean, list_max([x.mean FOR x IN near])), 0.05) AS own
        FROM (SELECT *, CASE WHEN weekend THEN we ELSE wd END AS mine,
                     CASE WHEN weekend THEN [wd_prev, wd_next, we_prev, we_next, wd] ELSE [wd_prev, wd_next] END
                         AS near
              FROM (SELECT *, {_around('wd')}, {_around('we')},
                           sum(n) OVER v AS own_n, sum({_USUAL}) OVER v AS own_u
                    FROM hrecent
                    WHERE {fresh('day', 'f')}   -- (the days before are the 28-day windows' only)
                    WINDOW v AS (PARTITION BY ak, day ORDER BY hod),
                           v2 AS (PARTITION BY ak, day ORDER BY hod
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
              JOIN hpace USING (wk, agent, day, hod))
        WHERE n > 0
    ),
    peer_days AS (   -- the actor's peers (its workspace's actors of its type), per day and hour of day:
                     -- how many worked then, how many were there, and how busy their 90th percentile was
        SELECT wk, actor_type, day, hod, any_value(weekend) AS weekend, count(*) FILTER (n > 0) AS active,
               count(*) AS present, quantile_disc(n, 0.9) AS top
        FROM grid GROUP BY ALL
    ),
    peers AS (   -- ... over their last days before (that kind of day), smoothed over an hour either side:
                 -- how often they work then, and how busy an hour then is (0 at an hour they do not work)
        SELECT wk, actor_type, day, hod, max(active) OVER s AS active,
               max(CASE WHEN active < 0.25 THEN 0 ELSE busy END) OVER s AS busy
        FROM (SELECT wk, actor_type, day, hod,
                     CASE WHEN weekend THEN we_active ELSE wd_active END AS active,
                     coalesce(CASE WHEN weekend THEN we_busy ELSE wd_busy END, 0) AS busy
              FROM (SELECT wk, actor_type, day, hod, weekend,
                           {_kinds(_peer_stats)}
                    FROM peer_days
                    WINDOW w AS (PARTITION BY wk, actor_type, hod ORDER BY day {_RECENT})))
        WINDOW s AS (PARTITION BY wk, actor_type, day ORDER BY hod ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)
    ),
"""
