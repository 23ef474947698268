CREATE OR REPLACE MACRO aa_bursts_judged
        (sensitivity := 1.0, since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        SELECT * FROM (WITH kept_reach AS (SELECT aa_bursts_reach(until, act, sensitivity) AS r), s1 AS (
        SELECT coalesce(workspace_id, '') AS workspace_id, actor_id,
               (epoch_us(created_at) - ((((epoch_us(created_at) - 946857600000000) % 300000000) + 300000000) % 300000000)) AS slot_us,
               count(*) AS n,
               sum(CASE WHEN (act IS NULL OR action = act) THEN 1 ELSE 0 END) AS n_sel,
               min(epoch_us(created_at)) AS first_us,
               max(epoch_us(created_at) * 4 + CASE actor_type WHEN 'agent' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END) AS last_code
        FROM aa_events(since := (SELECT timezone('UTC', r - INTERVAL 25 HOUR) FROM kept_reach), until := until)
        WHERE actor_id IS NOT NULL AND coalesce(actor_type_raw, '') <> 'trace'
        GROUP BY 1, 2, 3),
    kr AS (SELECT r, r - INTERVAL 1 DAY AS f FROM kept_reach),
    ev AS MATERIALIZED (   -- inside, times are naive UTC TIMESTAMPs (the output adds the zone)
        SELECT hash(workspace_id, actor_id) AS ak, hash(workspace_id) AS wk, workspace_id, actor_id,
               make_timestamp(slot_us) AS slot,
               CASE last_code % 4 WHEN 0 THEN 'agent' WHEN 1 THEN 'unknown' ELSE 'user' END AS actor_type,
               last_code % 4 AS type_code, n, n_sel,
               make_timestamp(first_us) AS first_at, make_timestamp(last_code // 4) AS last_at
        FROM s1
    ),
    quarter AS MATERIALIZED (   -- events and active 5-minute slots per 15 minutes: the 30-minute and
                                -- hourly sums come from it (15-minute buckets nest in both)
        SELECT ak, time_bucket(INTERVAL 15 MINUTE, slot) AS bucket, sum(n) AS k, count(*) AS slots
        FROM ev GROUP BY ALL
    ),
    hourly AS MATERIALIZED (   -- (with its day as a column: the histories join on it, see hour_scored)
        SELECT ak, date_trunc('hour', bucket) AS hour, sum(k) AS n, sum(slots)::BIGINT AS slots,
               date_trunc('day', date_trunc('hour', bucket)) AS day
        FROM quarter GROUP BY ALL
    ),
    fresh_actor AS (   -- the actors of the events judged (see kept_actor)
        SELECT ak, any_value(wk) AS wk, min(workspace_id) AS workspace_id, min(actor_id) AS actor_id,
               -- two actors with one 64-bit key (odds about 1e-8 among a million actors) would
               -- be merged: refuse rather than answer wrongly (in actor_type, which every step reads).
               -- Its type: that of its busiest 5 minutes on its first day (not of all its history, so
               -- a later event never changes it; actor marks apply to every event alike)
               CASE WHEN min(actor_id) <> max(actor_id) OR min(workspace_id) <> max(workspace_id)
                    THEN error('bursts: two actors share a 64-bit key; please report this')
                    ELSE arg_max(actor_type, [-epoch(date_trunc('day', slot))::BIGINT, n * 4 + type_code]) END
                   AS actor_type,
               min(first_at) AS first_seen
        FROM ev GROUP BY ak
    ),
    kept_actor AS MATERIALIZED (SELECT * FROM bursts_kept_actors WHERE first_seen < (SELECT r FROM kr)),
    actor AS (   -- those kept (first seen before the reach: their first day is over) and the new ones;
                 -- a new one with a kept one's key is refused, as two in fresh_actor are
        SELECT ak, wk, workspace_id, actor_id, actor_type, first_seen FROM kept_actor
        UNION ALL
        SELECT f.ak, f.wk, f.workspace_id, f.actor_id, f.actor_type, f.first_seen FROM fresh_actor AS f
        WHERE NOT EXISTS (SELECT 1 FROM kept_actor AS k
                          WHERE k.ak = f.ak AND CASE WHEN k.workspace_id = f.workspace_id AND k.actor_id = f.actor_id
                                                     THEN true
                                                     ELSE error('bursts: two actors share a 64-bit key; please report this') END)
    ),
    stretch AS MATERIALIZED (   -- events (e) and active slots (k) in the 15, 30 and 60 minutes from each
                                -- active slot, and the gap since the previous: 60 minutes hold at most 12
                                -- slots, so the next 11 active slots of the actor (in one sort) say all
        SELECT ak, wk, type_code, slot, n, si - prev_si AS gap, n + CASE WHEN s1 <= si + 2 THEN n1 ELSE 0 END + CASE WHEN s2 <= si + 2 THEN n2 ELSE 0 END AS e15, 1 + CASE WHEN s1 <= si + 2 THEN 1 ELSE 0 END + CASE WHEN s2 <= si + 2 THEN 1 ELSE 0 END AS k15, n + CASE WHEN s1 <= si + 5 THEN n1 ELSE 0 END + CASE WHEN s2 <= si + 5 THEN n2 ELSE 0 END + CASE WHEN s3 <= si + 5 THEN n3 ELSE 0 END + CASE WHEN s4 <= si + 5 THEN n4 ELSE 0 END + CASE WHEN s5 <= si + 5 THEN n5 ELSE 0 END AS e30, 1 + CASE WHEN s1 <= si + 5 THEN 1 ELSE 0 END + CASE WHEN s2 <= si + 5 THEN 1 ELSE 0 END + CASE WHEN s3 <= si + 5 THEN 1 ELSE 0 END + CASE WHEN s4 <= si + 5 THEN 1 ELSE 0 END + CASE WHEN s5 <= si + 5 THEN 1 ELSE 0 END AS k30, n + CASE WHEN s1 <= si + 11 THEN n1 ELSE 0 END + CASE WHEN s2 <= si + 11 THEN n2 ELSE 0 END + CASE WHEN s3 <= si + 11 THEN n3 ELSE 0 END + CASE WHEN s4 <= si + 11 THEN n4 ELSE 0 END + CASE WHEN s5 <= si + 11 THEN n5 ELSE 0 END + CASE WHEN s6 <= si + 11 THEN n6 ELSE 0 END + CASE WHEN s7 <= si + 11 THEN n7 ELSE 0 END + CASE WHEN s8 <= si + 11 THEN n8 ELSE 0 END + CASE WHEN s9 <= si + 11 THEN n9 ELSE 0 END + CASE WHEN s10 <= si + 11 THEN n10 ELSE 0 END + CASE WHEN s11 <= si + 11 THEN n11 ELSE 0 END AS e60, 1 + CASE WHEN s1 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s2 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s3 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s4 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s5 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s6 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s7 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s8 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s9 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s10 <= si + 11 THEN 1 ELSE 0 END + CASE WHEN s11 <= si + 11 THEN 1 ELSE 0 END AS k60,
               -- its events in the 10 minutes from this slot (workspace spikes)
               n + CASE WHEN s1 = si + 1 THEN n1 ELSE 0 END AS n10
        FROM (SELECT ak, wk, type_code, slot, n, si, lag(si) OVER w AS prev_si,
                     lead(si, 1) OVER w AS s1, lead(n, 1) OVER w AS n1, lead(si, 2) OVER w AS s2, lead(n, 2) OVER w AS n2, lead(si, 3) OVER w AS s3, lead(n, 3) OVER w AS n3, lead(si, 4) OVER w AS s4, lead(n, 4) OVER w AS n4, lead(si, 5) OVER w AS s5, lead(n, 5) OVER w AS n5, lead(si, 6) OVER w AS s6, lead(n, 6) OVER w AS n6, lead(si, 7) OVER w AS s7, lead(n, 7) OVER w AS n7, lead(si, 8) OVER w AS s8, lead(n, 8) OVER w AS n8, lead(si, 9) OVER w AS s9, lead(n, 9) OVER w AS n9, lead(si, 10) OVER w AS s10, lead(n, 10) OVER w AS n10, lead(si, 11) OVER w AS s11, lead(n, 11) OVER w AS n11
              FROM (SELECT ak, wk, type_code, slot, n, epoch(slot)::BIGINT // 300 AS si FROM ev)
              WINDOW w AS (PARTITION BY ak ORDER BY si))
    ),
    span AS (SELECT max(last_at) AS t1 FROM ev),
    wspan AS (   -- each workspace's first event; refuses two workspaces with one key, as
                 -- actor_type does for actors
        SELECT wk, CASE WHEN min(workspace_id) <> max(workspace_id)
                        THEN error('bursts: two workspaces share a 64-bit key; please report this')
                        ELSE min(first_seen) END AS t0
        FROM actor GROUP BY wk
    ),
    who AS (   -- an actor first seen a day or more after its workspace's first event is a newcomer
        SELECT a.*, a.first_seen >= w.t0 + INTERVAL 1 DAY AS newcomer
        FROM actor AS a JOIN wspan AS w USING (wk)
    ),
    adays AS MATERIALIZED (   -- per actor and active day: its slots, clumps, runs and slots of the hour;
                              -- its busiest 5, 15, 30 and 60 minutes (a reason's evidence)
        SELECT ak, date_trunc('day', slot) AS day, count(*) AS slots, median(n) AS day_clump,
               quantile_cont(n, 0.99) AS day_top, count(*) FILTER (gap IS DISTINCT FROM 1) AS run_starts, count(*) FILTER (minute(slot) // 5 = 0) AS p0, count(*) FILTER (minute(slot) // 5 = 1) AS p1, count(*) FILTER (minute(slot) // 5 = 2) AS p2, count(*) FILTER (minute(slot) // 5 = 3) AS p3, count(*) FILTER (minute(slot) // 5 = 4) AS p4, count(*) FILTER (minute(slot) // 5 = 5) AS p5, count(*) FILTER (minute(slot) // 5 = 6) AS p6, count(*) FILTER (minute(slot) // 5 = 7) AS p7, count(*) FILTER (minute(slot) // 5 = 8) AS p8, count(*) FILTER (minute(slot) // 5 = 9) AS p9, count(*) FILTER (minute(slot) // 5 = 10) AS p10, count(*) FILTER (minute(slot) // 5 = 11) AS p11,
               max(n) AS m5, max(e15) AS m15, max(e30) AS m30, max(e60) AS m60
        FROM stretch GROUP BY ALL
    ),
    hdays AS (   -- ... its active hours and their active slots
        SELECT ak, date_trunc('day', hour) AS day, count(*) AS hours, sum(slots) AS hs, sum(slots * slots) AS hs2
        FROM hourly GROUP BY ALL
    ),
    days_all AS MATERIALIZED (   -- the days kept (before the reach) and those judged now
        SELECT * FROM bursts_kept_days WHERE day < (SELECT r FROM kr)
        UNION ALL BY NAME
        SELECT d.*, h.hours, h.hs, h.hs2 FROM adays AS d JOIN hdays AS h USING (ak, day) WHERE ((SELECT r FROM kr) IS NULL OR d.day >= (SELECT r FROM kr))
    ),
    hist AS MATERIALIZED (   -- per actor and active day, its days before it: how many; clump size (median
                             -- of the days' median events in an active 5 minutes) and busiest 5 minutes
                             -- (median of the days' 99th percentiles); how many consecutive slots a run
                             -- spans (a batch across a slot boundary is one run); share of 5-minute slots
                             -- active (occupancy) and the dispersion of active slots per hour; its
                             -- active hours and slots at each 5-minute slot of the hour (schedule); its
                             -- busiest 5-60 minutes before (b) and that day (d: volume first, for people)
        SELECT ak, day, actor_type, history_days, clump, slot_expected, run_len, hours, p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11,
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
                     sum(d.hs) OVER w AS hs, sum(d.hs2) OVER w AS hs2, sum(d.p0) OVER w AS p0, sum(d.p1) OVER w AS p1, sum(d.p2) OVER w AS p2, sum(d.p3) OVER w AS p3, sum(d.p4) OVER w AS p4, sum(d.p5) OVER w AS p5, sum(d.p6) OVER w AS p6, sum(d.p7) OVER w AS p7, sum(d.p8) OVER w AS p8, sum(d.p9) OVER w AS p9, sum(d.p10) OVER w AS p10, sum(d.p11) OVER w AS p11,
                     max(d.m5) OVER w AS b5, max(d.m15) OVER w AS b15, max(d.m30) OVER w AS b30,
                     max(d.m60) OVER w AS b60, d.m15 AS d15, d.m30 AS d30, d.m60 AS d60
              FROM days_all AS d JOIN who AS a USING (ak)
              WINDOW w AS (PARTITION BY d.ak ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
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
        SELECT * FROM bursts_kept_stretches WHERE day < (SELECT r FROM kr)
        UNION ALL BY NAME
        SELECT * FROM dday WHERE ((SELECT r FROM kr) IS NULL OR day >= (SELECT r FROM kr))
    ),
    hours_all AS (   -- the hours kept and judged now: the baselines' days before
        SELECT * FROM bursts_kept_hours WHERE hour < (SELECT r FROM kr) AND hour >= (SELECT f - INTERVAL 28 DAY FROM kr)
        UNION ALL BY NAME
        SELECT ak, hour, n, slots FROM hourly WHERE ((SELECT r FROM kr) IS NULL OR hour >= (SELECT r FROM kr))
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
              WINDOW w AS (PARTITION BY d.ak, d.len ORDER BY d.day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
    ),
    grid AS MATERIALIZED (   -- every hour of every day of each actor, from its first day (idle: 0) to the
                             -- data's last (so a day's peers are the same whatever came after it)
        SELECT *, max(n) OVER (PARTITION BY ak, day) > 0 AS active_day
        FROM (SELECT g.ak, g.wk, g.actor_type, g.day, g.hod, isodow(g.day) >= 6 AS weekend, coalesce(h.n, 0) AS n
              FROM (SELECT a.ak, a.wk, a.actor_type, s.day, r.hod, s.day + to_hours(r.hod) AS hour
                    FROM who AS a, span,
                         LATERAL generate_series(greatest(date_trunc('day', a.first_seen), (SELECT f - INTERVAL 28 DAY FROM kr)),
                                                 date_trunc('day', span.t1),
                                                 INTERVAL 1 DAY) AS s(day), range(24) AS r(hod)) AS g
              LEFT JOIN hours_all AS h ON h.ak = g.ak AND h.hour = g.hour)
    ),
    hrecent AS MATERIALIZED (   -- that hour of the day on the actor's last days before (weekdays, weekend days apart):
                   -- median, 75th percentile, mean, days worked then; and its active days
        SELECT ak, wk, actor_type = 'agent' AS agent, day, hod, weekend, n,
               {'median': coalesce(median(n) FILTER (NOT weekend) OVER w, 0), 'q75': coalesce(quantile_disc(n, 0.75) FILTER (NOT weekend) OVER w, 0), 'mean': coalesce(avg(n) FILTER (NOT weekend) OVER w, 0), 'days': count(*) FILTER (NOT weekend AND n > 0) OVER w} AS wd, {'median': coalesce(median(n) FILTER (weekend) OVER w, 0), 'q75': coalesce(quantile_disc(n, 0.75) FILTER (weekend) OVER w, 0), 'mean': coalesce(avg(n) FILTER (weekend) OVER w, 0), 'days': count(*) FILTER (weekend AND n > 0) OVER w} AS we,
               count(*) FILTER (active_day) OVER w AS recent_days
        FROM grid
        WINDOW w AS (PARTITION BY ak, hod ORDER BY day ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)
    ),
    hpace AS (   -- the workspace's actors of a type per day and hour of the day (a small table):
                 -- events and usual events since midnight, through the hour and through the one before
        SELECT wk, agent, day, hod, sum(sum(n)) OVER c AS ws_n, sum(sum(CASE WHEN weekend THEN we.mean ELSE wd.mean END)) OVER c AS ws_u,
               sum(sum(n)) OVER cb AS ws_n_before, sum(sum(CASE WHEN weekend THEN we.mean ELSE wd.mean END)) OVER cb AS ws_u_before
        FROM hrecent
        WHERE ((SELECT f FROM kr) IS NULL OR day >= (SELECT f FROM kr))
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
               (ws_n - own_n + 10) / (ws_u - own_u + 10) AS pace,
               (coalesce(ws_n_before, 0) - (own_n - n) + 10)
                   / (coalesce(ws_u_before, 0) - (own_u - mine.mean) + 10) AS pace_before,
               greatest(mine.q75, list_max([x.q75 FOR x IN near])) AS q75,
               mine.days + list_sum([x.days FOR x IN near]) AS near_days,
               greatest(mine.median, list_max([x.median FOR x IN near]),
                        0.5 * greatest(mine.mean, list_max([x.mean FOR x IN near])), 0.05) AS own
        FROM (SELECT *, CASE WHEN weekend THEN we ELSE wd END AS mine,
                     CASE WHEN weekend THEN [wd_prev, wd_next, we_prev, we_next, wd] ELSE [wd_prev, wd_next] END
                         AS near
              FROM (SELECT *, CASE WHEN hod = 0 THEN last_value(wd) OVER v2 ELSE lag(wd) OVER v END AS wd_prev, CASE WHEN hod = 23 THEN first_value(wd) OVER v2 ELSE lead(wd) OVER v END AS wd_next, CASE WHEN hod = 0 THEN last_value(we) OVER v2 ELSE lag(we) OVER v END AS we_prev, CASE WHEN hod = 23 THEN first_value(we) OVER v2 ELSE lead(we) OVER v END AS we_next,
                           sum(n) OVER v AS own_n, sum(CASE WHEN weekend THEN we.mean ELSE wd.mean END) OVER v AS own_u
                    FROM hrecent
                    WHERE ((SELECT f FROM kr) IS NULL OR day >= (SELECT f FROM kr))   -- (the days before are the 28-day windows' only)
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
                           coalesce(sum(active) FILTER (NOT weekend) OVER w / sum(present) FILTER (NOT weekend) OVER w, 0) AS wd_active, median(top) FILTER (NOT weekend) OVER w AS wd_busy, coalesce(sum(active) FILTER (weekend) OVER w / sum(present) FILTER (weekend) OVER w, 0) AS we_active, median(top) FILTER (weekend) OVER w AS we_busy
                    FROM peer_days
                    WINDOW w AS (PARTITION BY wk, actor_type, hod ORDER BY day ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)))
        WINDOW s AS (PARTITION BY wk, actor_type, day ORDER BY hod ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)
    ),
    hour_base AS MATERIALIZED (   -- each active hour with its hour-of-day baseline, one row each: the
                                  -- histories join it on actor and day (a plan that joined hbase and a
                                  -- history on the actor alone made 48M rows)
        SELECT h.ak, h.hour, h.day, h.n, h.slots, b.recent_days, b.q75, b.near_days, b.own, b.pace, b.pace_before
        FROM hourly AS h JOIN hbase AS b ON b.ak = h.ak AND b.hour = h.hour
    ),
    hour_scored AS (   -- each active hour against the actor's days before it (history), and the day
                       -- so far: on a busy day every hour is busier (its hours before this one)
        SELECT h.ak, h.hour AS start, h.hour + INTERVAL 1 HOUR AS "end",
               h.n AS events, h.slots, a.actor_type,
               -- an agent's overdispersion is its own (a person's is mostly the time of day,
               -- which the baseline already models)
               CASE WHEN a.actor_type = 'agent' THEN greatest(s.clump, ph.phi) ELSE s.clump END AS clump,
               CASE WHEN a.actor_type = 'agent' THEN greatest(s.run_len, s.slot_phi) ELSE s.run_len END AS run_len,
               s.occupancy, s.history_days, h.recent_days,
               a.newcomer AND h.hour < a.first_seen + INTERVAL 1 DAY AS first_day,
               h.hour >= date_trunc('day', a.first_seen) + INTERVAL 2 DAY AS judged,
               h.q75, h.near_days, h.own, coalesce(ph.usual_events, 0) AS usual_hour, h.pace, h.pace_before,
               coalesce(sum(h.n) OVER d / count(*) OVER d, 0) AS day_rate,
               coalesce(g.busy, 0) AS peer_busy, coalesce(g.active, 0) AS peer_active
        FROM hour_base AS h
        JOIN who AS a ON a.ak = h.ak
        JOIN hist AS s ON s.ak = h.ak AND s.day = h.day
        JOIN dhist AS ph ON ph.ak = h.ak AND ph.day = h.day AND ph.len = 60
        LEFT JOIN peers AS g
               ON g.wk = a.wk AND g.actor_type = a.actor_type AND g.day = s.day AND g.hod = hour(h.hour)
        WINDOW d AS (PARTITION BY h.ak, s.day ORDER BY h.hour ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    hour_kinds AS (   -- a short history (days with activity) leans on the peers' (shrinkage):
                      -- weight (7 - days) / 7; a new actor's first day is in events, not clumps
        SELECT * REPLACE (CASE WHEN first_day THEN 1.0 ELSE clump END AS clump),
               CASE WHEN first_day THEN 'new_actor'
                    WHEN actor_type = 'agent' THEN 'runaway_agent'
                    -- "never works then" needs evidence: at most 1 in 20 of its active days
                    -- touch that hour (or its neighbours), of at least a week of them in the
                    -- baseline's own days (a long history with 3 days in the last 4 weeks has
                    -- no habit to break: its stretch is judged as a rapid succession)
                    WHEN q75 = 0 AND near_days <= greatest(1, 0.05 * recent_days)
                         AND recent_days >= 7
                        THEN 'off_hours'
                    ELSE 'rapid_succession' END AS kind,
               greatest(own, greatest(7 - history_days, 0) / 7 * peer_busy)
                   AS usual
        FROM hour_scored
    ),
    hour_expected AS MATERIALIZED (   -- at a person's usual hours, a busy day raises what is expected;
                         -- a new actor's first day is judged against its peers alone; an
                         -- agent's usual clumps at that hour of day are its usual active slots
        SELECT * REPLACE (greatest(occupancy, least(usual / clump / 12, 0.999)) AS occupancy),
               CASE kind WHEN 'new_actor' THEN greatest(peer_busy, 0.05)
                            WHEN 'off_hours' THEN usual
                            -- a person's own rhythm first: not below its usual busy hour, and on a
                            -- busy day (the workspace's others so far) that times the day's pace
                            WHEN 'rapid_succession' THEN greatest(greatest(usual, usual_hour) * greatest(pace, 1), day_rate)
                            ELSE greatest(usual, day_rate) END AS expected,
               -- for a stretch that ends inside the hour: the pace through the hour before
               CASE kind WHEN 'rapid_succession' THEN greatest(greatest(usual, usual_hour) * greatest(pace_before, 1), day_rate)
                         END AS expected_early
        FROM hour_kinds
    ),
    agent_windows AS (   -- agents work every hour: three-hour sums catch a longer, milder runaway
        SELECT ak, actor_type, kind, start - INTERVAL 2 HOUR AS start, "end", clump, run_len, judged,
               avg(occupancy) OVER w AS occupancy, sum(events) OVER w AS events, sum(expected) OVER w AS expected,
               sum(slots) OVER w AS slots, count(*) OVER w AS hours
        FROM hour_expected WHERE kind = 'runaway_agent'
        WINDOW w AS (PARTITION BY ak ORDER BY start
                     RANGE BETWEEN INTERVAL 2 HOUR PRECEDING AND CURRENT ROW)
    ),
    agent_hours AS MATERIALIZED (   -- an agent's clock hours and 3-hour sums busy in more of their 5-minute
                                    -- slots than its time of day's (see tests)
        SELECT * FROM (SELECT ak, actor_type, kind, start, "end", events, expected, slots, occupancy, run_len,
                              1 AS hours FROM hour_expected WHERE kind = 'runaway_agent' AND judged
                       UNION ALL
                       SELECT ak, actor_type, kind, start, "end", events, expected, slots, occupancy, run_len,
                              hours FROM agent_windows WHERE hours = 3 AND judged)
        WHERE slots >= 3.0 * 12 * hours * occupancy AND slots >= 4 * hours
          AND events >= 8 / sensitivity
    ),
    agent_days AS (   -- every hour (3 hours) of the agent, judged or not: its day, active slots and events
        SELECT ak, 1 AS hours, date_trunc('day', start) AS day, slots, events
        FROM hour_expected WHERE kind = 'runaway_agent'
        UNION ALL
        SELECT ak, 3, date_trunc('day', start), slots, events FROM agent_windows WHERE hours = 3
    ),
    agent_days_all AS (   -- kept before the reach, judged now from it
        SELECT * FROM bursts_kept_agent_days WHERE day < (SELECT r FROM kr)
        UNION ALL BY NAME
        SELECT * FROM agent_days WHERE ((SELECT r FROM kr) IS NULL OR day >= (SELECT r FROM kr))
    ),
    agent_novel AS (   -- its own rhythm first: what it did on 3 earlier days (as many slots and events) is no runaway
        SELECT h.* FROM agent_hours AS h
        LEFT JOIN agent_days_all AS d
               ON d.ak = h.ak AND d.hours = h.hours AND d.slots >= h.slots AND d.events >= h.events
              AND d.day < date_trunc('day', h.start)
        GROUP BY ALL HAVING count(DISTINCT d.day) < 3
    ),
    schedule AS (   -- an agent on a sharp schedule as of each day (a 5-minute slot of the hour active in
                    -- half of its 48+ active hours before that day): how often each slot of the hour is
                    -- active when it works
        SELECT ak, day, list_value((p0 + 0.5) / (hours + 1), (p1 + 0.5) / (hours + 1), (p2 + 0.5) / (hours + 1), (p3 + 0.5) / (hours + 1), (p4 + 0.5) / (hours + 1), (p5 + 0.5) / (hours + 1), (p6 + 0.5) / (hours + 1), (p7 + 0.5) / (hours + 1), (p8 + 0.5) / (hours + 1), (p9 + 0.5) / (hours + 1), (p10 + 0.5) / (hours + 1), (p11 + 0.5) / (hours + 1)) AS pos_p
        FROM hist
        WHERE actor_type = 'agent' AND hours >= 48 AND greatest(p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11) >= 0.5 * hours
    ),
    schedule_slots AS (   -- for each stretch length and slot of the hour it starts at: the slots it covers
                          -- on the schedule (active in a quarter of its hours), and how many of the others
                          -- are usually active (see short_windows)
        SELECT ak, day, len, pos, len(list_filter(covered, lambda p: p >= 0.25)) AS on_slots,
               list_sum(list_filter(covered, lambda p: p < 0.25)) AS off_expected
        FROM (SELECT sc.ak, sc.day, l.len, p.pos,
                     list_transform(range(l.len // 5), lambda i: sc.pos_p[(p.pos + i) % 12 + 1]) AS covered
              FROM schedule AS sc, (SELECT unnest([15, 30, 60]) AS len) AS l, range(12) AS p(pos))
    ),
    stretch_candidates AS MATERIALIZED (   -- only stretches that could pass (see tests): at least 3x
                                           -- their usual in events, or an agent's in slots (on a
                                           -- schedule, in the slots off it), with the schedule's slots
        SELECT w.*, u.usual_events, u.usual_slots, u.phi, ss.on_slots, ss.off_expected, ss.ak IS NOT NULL AS scheduled
        FROM (SELECT ak, slot, 15 AS len, e15 AS events, k15 AS slots FROM stretch UNION ALL SELECT ak, slot, 30 AS len, e30 AS events, k30 AS slots FROM stretch UNION ALL SELECT ak, slot, 60 AS len, e60 AS events, k60 AS slots FROM stretch) AS w
        JOIN dhist AS u ON u.ak = w.ak AND u.len = w.len AND u.day = date_trunc('day', w.slot)
        LEFT JOIN schedule_slots AS ss
               ON ss.ak = w.ak AND ss.day = u.day AND ss.len = w.len AND ss.pos = minute(w.slot) // 5
        WHERE w.events >= 8 / sensitivity
          AND (w.events >= 3.0 * u.usual_events
               OR (w.len >= 30 AND w.slots >= 4 AND w.ak IN (SELECT ak FROM actor WHERE actor_type = 'agent')
                   AND CASE WHEN ss.ak IS NULL THEN w.slots >= 3.0 * u.usual_slots
                            ELSE w.slots >= 3.0 * (ss.on_slots + ss.off_expected)
                                 AND w.len / 5 - ss.on_slots >= 2 END))
    ),
    short_windows AS (   -- 15, 30 and 60 minutes from each active 5-minute slot: a short runaway or
                         -- rush (7x for 15 minutes) is diluted in its clock hour; judged against
                         -- the start hour's expected rate, in clumps or by the dispersion at that
                         -- scale, whichever is larger; ``slots``: how many of its 5-minute slots
                         -- are active (a runaway spreads out)
        SELECT w.ak, h.actor_type, h.kind, w.slot AS start, w.slot + to_minutes(w.len) AS "end",
               w.len, w.events, w.slots,
               -- the actor's own rhythm first: not below its usual busy stretch of that length
               -- (a stretch that ends inside its hour, at the pace known before that hour)
               greatest(CASE WHEN w.slot + to_minutes(w.len) < h."end" THEN coalesce(h.expected_early, h.expected)
                             ELSE h.expected END * w.len / 60, w.usual_events) AS expected,
               CASE WHEN h.actor_type = 'agent' THEN greatest(h.clump, w.phi) ELSE h.clump END AS clump,
               h.run_len,
               least(greatest(h.occupancy, w.usual_slots / (w.len / 5)), 0.999) AS occupancy,
               -- on a sharp schedule (see schedule_slots), its slots on and off it
               w.scheduled, w.on_slots, w.off_expected
        FROM stretch_candidates AS w   -- (with its day's history: one join here, so no plan joins two
                                       -- per-actor tables on the actor alone)
        JOIN hour_expected AS h ON h.ak = w.ak AND h.start = date_trunc('hour', w.slot)
        WHERE h.kind <> 'new_actor' AND h.judged
    ),
    volume_stretch AS (   -- an agent's stretches (agents only are judged: the slot's type code 0)
        SELECT ak, date_trunc('day', slot) AS day, slot, e15, e30, e60
        FROM stretch WHERE type_code = 0
    ),
    volume_long AS (   -- and its 3 hours (ending at each of its active hours)
        SELECT ak, date_trunc('day', start) AS day, start, "end", events FROM agent_windows WHERE hours = 3
    ),
    volume_days AS (   -- per agent and day: its largest stretch of each length that day
        SELECT ak, day, max(m15) AS m15, max(m30) AS m30, max(m60) AS m60, max(m180) AS m180
        FROM (SELECT ak, day, e15 AS m15, e30 AS m30, e60 AS m60, NULL::BIGINT AS m180 FROM volume_stretch
              UNION ALL
              SELECT ak, day, NULL, NULL, NULL, events FROM volume_long)
        WHERE ((SELECT r FROM kr) IS NULL OR day >= (SELECT r FROM kr))
        GROUP BY ALL
        UNION ALL BY NAME
        SELECT * FROM bursts_kept_volume WHERE day < (SELECT r FROM kr)
    ),
    volume_before AS (   -- ... and on the days before (a running max over its days: causal)
        SELECT ak, day, max(m15) OVER w AS b15, max(m30) OVER w AS b30, max(m60) OVER w AS b60, max(m180) OVER w AS b180
        FROM volume_days
        WINDOW w AS (PARTITION BY ak ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    volume_people AS (   -- a person's days with a stretch several times its busiest of that length on its
                         -- days before (``hist``), a week of days behind it
        SELECT ak, day, b15, b30, b60 FROM hist
        WHERE actor_type <> 'agent' AND history_days >= 7 AND ((SELECT f FROM kr) IS NULL OR day >= (SELECT f FROM kr))
          AND (d15 >= 4.0 * b15 OR d30 >= 4.0 * b30 OR d60 >= 4.0 * b60)
    ),
    volume_windows AS (   -- the stretches several times larger than any of that length before
        SELECT s.ak, s.slot AS start, s.slot + INTERVAL 15 MINUTE AS "end", s.slot AS hour_of, s.e15 AS events, b.b15 AS before FROM volume_stretch AS s JOIN volume_before AS b ON b.ak = s.ak AND b.day = s.day WHERE s.e15 >= 4.0 * b.b15
        UNION ALL
        SELECT s.ak, s.slot AS start, s.slot + INTERVAL 30 MINUTE AS "end", s.slot AS hour_of, s.e30 AS events, b.b30 AS before FROM volume_stretch AS s JOIN volume_before AS b ON b.ak = s.ak AND b.day = s.day WHERE s.e30 >= 4.0 * b.b30
        UNION ALL
        SELECT s.ak, s.slot AS start, s.slot + INTERVAL 60 MINUTE AS "end", s.slot AS hour_of, s.e60 AS events, b.b60 AS before FROM volume_stretch AS s JOIN volume_before AS b ON b.ak = s.ak AND b.day = s.day WHERE s.e60 >= 4.0 * b.b60
        UNION ALL
        SELECT s.ak, s.slot, s.slot + INTERVAL 15 MINUTE, s.slot, s.e15, p.b15 FROM stretch AS s JOIN volume_people AS p ON p.ak = s.ak AND p.day = date_trunc('day', s.slot) WHERE s.e15 >= 4.0 * p.b15
        UNION ALL
        SELECT s.ak, s.slot, s.slot + INTERVAL 30 MINUTE, s.slot, s.e30, p.b30 FROM stretch AS s JOIN volume_people AS p ON p.ak = s.ak AND p.day = date_trunc('day', s.slot) WHERE s.e30 >= 4.0 * p.b30
        UNION ALL
        SELECT s.ak, s.slot, s.slot + INTERVAL 60 MINUTE, s.slot, s.e60, p.b60 FROM stretch AS s JOIN volume_people AS p ON p.ak = s.ak AND p.day = date_trunc('day', s.slot) WHERE s.e60 >= 4.0 * p.b60
        UNION ALL
        SELECT s.ak, s.start, s."end", s."end" - INTERVAL 1 HOUR, s.events, b.b180
        FROM volume_long AS s JOIN volume_before AS b ON b.ak = s.ak AND b.day = s.day
        WHERE s.events >= 4.0 * b.b180
    ),
    volume AS (   -- volume first: several times the actor's largest stretch of that length before
                  -- it, with days of history behind it, is flagged whatever the other rules say;
                  -- scored by the tail bound with the running max as expected (in clumps)
        SELECT v.ak, a.wk, h.actor_type, h.kind, v.start, v."end", v.events, v.before::DOUBLE AS expected,
               NULL::BIGINT AS slots, NULL::DOUBLE AS slots_expected,
               (CASE WHEN (v.events / h.clump) > (v.before / h.clump) THEN ((v.events / h.clump) * ln((v.events / h.clump) / (v.before / h.clump)) - (v.events / h.clump) + (v.before / h.clump)) / ln(10) ELSE 0 END) AS raw,
               NULL::BIGINT AS actors, NULL::DOUBLE AS actors_expected
        FROM volume_windows AS v JOIN who AS a USING (ak)
        JOIN hour_expected AS h ON h.ak = v.ak AND h.start = date_trunc('hour', v.hour_of)
        WHERE v.before > 0 AND v.events >= 8 / sensitivity
          AND v.start >= a.first_seen + INTERVAL 2 DAY
    ),
    tests AS (   -- the windows big enough to flag (at least 3x expected and 8 events), with
                 -- their one-sided tail bound (raw score, -log10 p); every window tested,
                 -- big or not, counts in m (see tested). ``slots``: an agent's active 5-minute
                 -- slots, for the windows judged on them (their reason speaks of slots)
        SELECT ak, actor_type, kind, start, "end", events, expected, NULL::BIGINT AS slots,
               NULL::DOUBLE AS slots_expected,
               (CASE WHEN (events / clump) > (expected / clump) THEN ((events / clump) * ln((events / clump) / (expected / clump)) - (events / clump) + (expected / clump)) / ln(10) ELSE 0 END) AS raw
        FROM hour_expected
        WHERE events >= 3.0 * expected AND events >= 8 / sensitivity
          AND kind <> 'new_actor' AND judged
        UNION ALL
        SELECT ak, actor_type, kind, start, "end", events, expected, NULL, NULL,
               (CASE WHEN (events / clump) > (expected / clump) THEN ((events / clump) * ln((events / clump) / (expected / clump)) - (events / clump) + (expected / clump)) / ln(10) ELSE 0 END)
        FROM agent_windows
        WHERE hours = 3 AND judged AND events >= 3.0 * expected AND events >= 8 / sensitivity
        UNION ALL
        SELECT ak, actor_type, kind, start, "end", events, expected, NULL, NULL,
               (CASE WHEN (events / clump) > (expected / clump) THEN ((events / clump) * ln((events / clump) / (expected / clump)) - (events / clump) + (expected / clump)) / ln(10) ELSE 0 END)
        FROM short_windows
        WHERE events >= 3.0 * expected AND events >= 8 / sensitivity
        UNION ALL   -- and in its slots, for an agent
        SELECT ak, actor_type, kind, start, "end", events, expected, slots, len / 5 * occupancy,
               (CASE WHEN ((slots / run_len) / (len / 5)) > (occupancy / run_len) THEN (len / 5) * (((slots / run_len) / (len / 5)) * ln(((slots / run_len) / (len / 5)) / (occupancy / run_len)) + CASE WHEN ((slots / run_len) / (len / 5)) < 1 THEN (1 - ((slots / run_len) / (len / 5))) * ln((1 - ((slots / run_len) / (len / 5))) / (1 - (occupancy / run_len))) ELSE 0 END) / ln(10) ELSE 0 END)
        FROM short_windows
        WHERE kind = 'runaway_agent' AND slots >= 3.0 * len / 5 * occupancy AND slots >= 4
          AND len >= 30   -- 3 slots in 15 minutes are two of a bursty agent's bursts
          AND events >= 8 / sensitivity AND NOT scheduled
        UNION ALL   -- an agent on a sharp schedule, off it: its slots off the schedule (its
                    -- slots on it counted as active, which errs towards not flagging)
        SELECT ak, actor_type, kind, start, "end", events, expected, slots, on_slots + off_expected,
               (CASE WHEN (((slots - on_slots) / run_len) / (len / 5 - on_slots)) > (off_expected / (len / 5 - on_slots) / run_len) THEN (len / 5 - on_slots) * ((((slots - on_slots) / run_len) / (len / 5 - on_slots)) * ln((((slots - on_slots) / run_len) / (len / 5 - on_slots)) / (off_expected / (len / 5 - on_slots) / run_len)) + CASE WHEN (((slots - on_slots) / run_len) / (len / 5 - on_slots)) < 1 THEN (1 - (((slots - on_slots) / run_len) / (len / 5 - on_slots))) * ln((1 - (((slots - on_slots) / run_len) / (len / 5 - on_slots))) / (1 - (off_expected / (len / 5 - on_slots) / run_len))) ELSE 0 END) / ln(10) ELSE 0 END)
        FROM short_windows
        WHERE scheduled AND kind = 'runaway_agent'
          AND slots >= 3.0 * (on_slots + off_expected) AND slots >= 4 AND len >= 30
          AND len / 5 - on_slots >= 2 AND events >= 8 / sensitivity
        UNION ALL   -- an agent busy in more of its 5-minute slots than it ever is: a runaway
                    -- that spreads out, which an agent working in bursts by design does not
        SELECT ak, actor_type, kind, start, "end", events, expected, slots, 12 * hours * occupancy,
               (CASE WHEN ((slots / run_len) / (12 * hours)) > (occupancy / run_len) THEN (12 * hours) * (((slots / run_len) / (12 * hours)) * ln(((slots / run_len) / (12 * hours)) / (occupancy / run_len)) + CASE WHEN ((slots / run_len) / (12 * hours)) < 1 THEN (1 - ((slots / run_len) / (12 * hours))) * ln((1 - ((slots / run_len) / (12 * hours))) / (1 - (occupancy / run_len))) ELSE 0 END) / ln(10) ELSE 0 END)
        FROM agent_novel
        UNION ALL   -- 5-minute slots against the actor's own busiest (its days' 99th percentiles before)
        SELECT s.ak, a.actor_type,
               CASE WHEN a.actor_type = 'agent' THEN 'runaway_agent' ELSE 'rapid_succession' END,
               s.slot, s.slot + INTERVAL 5 MINUTE, s.n, h.slot_expected, NULL, NULL,
               (CASE WHEN (s.n) > (h.slot_expected) THEN ((s.n) * ln((s.n) / (h.slot_expected)) - (s.n) + (h.slot_expected)) / ln(10) ELSE 0 END)
        FROM ev AS s JOIN who AS a USING (ak) JOIN hist AS h ON h.ak = s.ak AND h.day = date_trunc('day', s.slot)
        WHERE s.n >= 8 / sensitivity AND s.n >= 4.0 * h.slot_expected
          AND s.slot >= date_trunc('day', a.first_seen) + INTERVAL 2 DAY
    ),
    wactor AS (   -- 10-minute windows every 5 minutes, so a spike across two is seen whole: each
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
        SELECT * FROM bursts_kept_whours WHERE hour < (SELECT r FROM kr) AND hour >= (SELECT f - INTERVAL 28 DAY FROM kr)
        UNION ALL BY NAME
        SELECT wk, hour, list_aggregate(list_resize(ks, 12, 0), 'median') AS k,
               list_aggregate(list_resize(ns, 12, 0), 'median') AS n
        FROM (SELECT wk, date_trunc('hour', start) AS hour, list(k) AS ks, list(n) AS ns FROM wslots GROUP BY ALL)
        WHERE ((SELECT r FROM kr) IS NULL OR hour >= (SELECT r FROM kr))
    ),
    wgrid AS (   -- each workspace's days and hours of the day, from its first day (idle windows count as 0):
                 -- the median 10-minute window of that hour of that day
        SELECT g.wk, g.day, g.hod, isodow(g.day) >= 6 AS weekend,
               coalesce(c.k, 0) AS k, coalesce(c.n, 0) AS n
        FROM (SELECT w.wk, d.day, r.hod
              FROM wspan AS w, span,
                   LATERAL generate_series(greatest(date_trunc('day', w.t0), (SELECT f - INTERVAL 28 DAY FROM kr)), date_trunc('day', span.t1),
                                           INTERVAL 1 DAY) AS d(day),
                   range(24) AS r(hod)) AS g
        LEFT JOIN whours_all AS c ON c.wk = g.wk AND c.hour = g.day + to_hours(g.hod)
    ),
    wbase AS (   -- as of each day: that hour's median window over the workspace's last days before (that
                 -- kind of day), from its third day
        SELECT wk, day, hod, greatest(k_expected, 1.0) AS k_expected, greatest(expected, 1.0) AS expected
        FROM (SELECT wk, day, hod, weekend, CASE WHEN weekend THEN we_k ELSE wd_k END AS k_expected,
                     CASE WHEN weekend THEN we_n ELSE wd_n END AS expected, count(*) OVER w AS days
              FROM (SELECT *, median(k) FILTER (NOT weekend) OVER w AS wd_k, median(n) FILTER (NOT weekend) OVER w AS wd_n, median(k) FILTER (weekend) OVER w AS we_k, median(n) FILTER (weekend) OVER w AS we_n
                    FROM wgrid
                    WINDOW w AS (PARTITION BY wk, hod ORDER BY day ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING))
              WINDOW w AS (PARTITION BY wk, hod ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
        WHERE days >= 2
    ),
    spike_base AS (   -- windows with many more actors than usual at that hour, none of them dominating
        SELECT w.*, b.k_expected, b.expected
        FROM wslots AS w JOIN wbase AS b
          ON b.wk = w.wk AND b.day = date_trunc('day', w.start) AND b.hod = hour(w.start)
        WHERE w.k >= b.k_expected + 4 / sensitivity
          AND w.top < 0.5 * w.n AND w.n >= 3.0 * b.expected
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
               greatest(expected, n_local) AS expected, (CASE WHEN (n) > (greatest(expected, n_local)) THEN ((n) * ln((n) / (greatest(expected, n_local))) - (n) + (greatest(expected, n_local))) / ln(10) ELSE 0 END) AS raw
        FROM wlocal
        WHERE k >= greatest(k_expected, k_local) + 4 / sensitivity
          AND n >= 3.0 * greatest(expected, n_local)
    ),
    candidates AS (   -- only windows big enough, whose raw score could pass, need scoring
        SELECT t.ak, a.wk, t.actor_type, t.kind, t.start, t."end", t.events, t.expected, t.slots,
               t.slots_expected, t.raw, NULL::BIGINT AS actors, NULL::DOUBLE AS actors_expected
        FROM tests AS t JOIN who AS a USING (ak)
        WHERE t.raw >= 1.3 / sensitivity
        UNION ALL
        SELECT NULL::UBIGINT, wk, NULL::VARCHAR, 'workspace_spike', start, start + INTERVAL 10 MINUTE,
               events, expected, NULL, NULL, raw, actors, actors_expected
        FROM spike_tests WHERE raw >= 1.3 / sensitivity
    ),
    flagged AS (   -- a fixed correction per window (the same whatever else the store holds, so a verdict
                   -- never moves with later windows): score = raw - log10(windows of a busy actor-week)
        SELECT * FROM (SELECT *, raw - 5.0 AS score FROM candidates)
        WHERE score >= 1.3 / sensitivity
    ),
    fresh_flags AS (   -- the windows flagged now (those that end after the reach: the others are kept),
                       -- and each first-seen actor's first-day hours
        SELECT * FROM (SELECT ak, wk, actor_type, kind, start, "end", events, expected, slots, slots_expected, raw,
                              score, actors, actors_expected, false AS volume FROM flagged
                       UNION ALL BY NAME   -- volume first: a fixed per-stretch rule, scored by its own tail bound
                       SELECT *, raw AS score, true AS volume FROM volume
                       UNION ALL BY NAME
                       SELECT a.wk, h.ak, 'new_actor' AS kind, greatest((CASE WHEN (h.events) > (h.expected) THEN ((h.events) * ln((h.events) / (h.expected)) - (h.events) + (h.expected)) / ln(10) ELSE 0 END), 0) AS score,
                              h.actor_type, h.start, h."end", h.events, h.expected, false AS volume
                       FROM hour_expected AS h JOIN who AS a USING (ak)
                       WHERE h.kind = 'new_actor')
        WHERE (SELECT r FROM kr) IS NULL OR "end" > (SELECT r FROM kr)
    ),
    judged_flags AS (   -- and those kept, flagged at this sensitivity
        SELECT * FROM fresh_flags
        UNION ALL BY NAME
        SELECT k.* FROM bursts_kept_flags AS k WHERE k."end" <= (SELECT r FROM kr) AND (k.kind = 'new_actor' OR ((k.volume OR k.score >= 1.3 / sensitivity)
          AND CASE WHEN k.kind = 'workspace_spike' THEN k.actors >= k.actors_expected + 4 / sensitivity
                   ELSE k.events >= 8 / sensitivity END))
    ),
    flags AS (   -- a person busy during a spike of their workspace is part of it
        SELECT ak, wk, actor_type, kind, start, "end", events, expected, slots, slots_expected, raw, score,
               actors, actors_expected
        FROM judged_flags AS f
        WHERE f.kind NOT IN ('rapid_succession', 'new_actor')
           OR f.kind = 'rapid_succession'
              AND NOT EXISTS (SELECT 1 FROM judged_flags AS s WHERE s.kind = 'workspace_spike' AND s.wk = f.wk
                                                          AND s.start < f."end" AND s."end" > f.start)
    ),
    islands AS (   -- overlapping or touching flags of one actor and kind make one episode (a
                   -- person's off-hours hour and a rapid succession in it are one: the same events)
        SELECT *, sum(CASE WHEN start <= prev_end THEN 0 ELSE 1 END)
                      OVER (PARTITION BY wk, ak, family ORDER BY start, "end") AS island
        FROM (
            SELECT *, max("end") OVER (PARTITION BY wk, ak, family ORDER BY start, "end"
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM (SELECT *, CASE WHEN kind = 'off_hours' THEN 'rapid_succession' ELSE kind END AS family
                  FROM flags)
        )
    ),
    stretches AS (   -- an episode is told by its most surprising window, the stretch that was
                     -- unusual: its numbers (and kind) are the ones tested, so the reason and the score agree.
                     -- Beside it, where the episode began and ended: its flagged stretches of 15 minutes or
                     -- less and the one told (longer windows join an episode, but an hour's from an active
                     -- 5 minutes reaches 55 minutes past its events, an agent's 3 hours two hours before them)
        SELECT * REPLACE (least(episode_start, start) AS episode_start, greatest(episode_end, "end") AS episode_end)
        FROM (SELECT wk, ak, max(score) AS score,
                     min(start) FILTER ("end" <= start + INTERVAL 15 MINUTE) AS episode_start,
                     max("end") FILTER ("end" <= start + INTERVAL 15 MINUTE) AS episode_end,
                     first(COLUMNS(* EXCLUDE (wk, ak, family, island, score, prev_end))
                           ORDER BY raw DESC, start, "end")
              FROM islands GROUP BY wk, ak, family, island)
    ),
    first_seen AS (   -- every id first seen more than a day after its workspace's first event,
                      -- reported once, told by its busiest hour of that day against its peers
                      -- (unadjusted: it is reported whatever its score, which ranks it)
        SELECT wk, ak, kind, score, actor_type, start, "end", events, expected, slots, slots_expected, raw,
               actors, actors_expected
        FROM judged_flags WHERE kind = 'new_actor'
    ),
    counted AS (   -- the events of the filter's action in it (all of them without one)
        SELECT s.*,
               (SELECT sum(e.n_sel) FROM ev AS e   -- (needed for an action filter only)
                WHERE act IS NOT NULL AND e.wk = s.wk
                  AND (s.ak IS NULL OR e.ak = s.ak)
                  AND e.last_at >= s.start AND e.first_at < s."end") AS selected
        FROM (SELECT * FROM stretches
              UNION ALL BY NAME
              SELECT *, start AS episode_start, "end" AS episode_end   -- a notice: its own hour
              FROM (SELECT wk, ak, kind, max(score) AS score,
                           first(COLUMNS(* EXCLUDE (wk, ak, kind, score)) ORDER BY score DESC, start)
                    FROM first_seen GROUP BY wk, ak, kind)) AS s
    ),
    evidence AS (   -- each alarm's day: that of its start (an agent's 3 hours: of its last hour)
        SELECT *, date_diff('minute', start, "end") AS minutes,
               date_trunc('day', CASE WHEN date_diff('minute', start, "end") = 180 THEN "end" - INTERVAL 1 HOUR
                                      ELSE start END) AS day
        FROM counted
    ),
    named AS (   -- with its evidence: the actor's busiest stretch of that length on its days before (events),
                 -- and how many days with activity its baseline stands on (off hours: in its last 4 weeks)
        SELECT c.* EXCLUDE (day, minutes), w.workspace_id, a.actor_id, a.first_seen,
               CASE c.minutes WHEN 5 THEN hs.b5 WHEN 15 THEN hs.b15 WHEN 30 THEN hs.b30 WHEN 60 THEN hs.b60
                              WHEN 180 THEN vb.b180 END::BIGINT AS busiest_before,
               hs.history_days,
               CASE WHEN c.kind = 'off_hours' THEN (SELECT count(*) FROM days_all AS d WHERE d.ak = c.ak
                    AND d.day >= c.day - INTERVAL 28 DAY AND d.day < c.day) END AS recent_days
        FROM evidence AS c
        LEFT JOIN actor AS a ON a.ak = c.ak
        JOIN (SELECT wk, any_value(workspace_id) AS workspace_id FROM actor GROUP BY wk) AS w
          ON w.wk = c.wk
        LEFT JOIN hist AS hs ON hs.ak = c.ak AND hs.day = c.day
        LEFT JOIN volume_before AS vb ON vb.ak = c.ak AND vb.day = c.day
    )
    SELECT nullif(workspace_id, '') AS workspace_id, actor_id, actor_type, kind,
           timezone('UTC', start) AS start, timezone('UTC', "end") AS "end",
           timezone('UTC', episode_start) AS episode_start, timezone('UTC', episode_end) AS episode_end,
           events, round(expected, 2) AS expected, busiest_before, history_days, round(score, 1) AS score,
           CASE kind
               WHEN 'new_actor' THEN 'new ' || coalesce(actor_type, 'actor') || ' ' || actor_id
                    || ': first seen ' || strftime(first_seen, '%a %d %b %H:%M') || ' UTC; busiest hour of its first day '
                    || events || ' events, about ' || printf(CASE WHEN expected >= 10 THEN '%.0f' WHEN expected >= 1 THEN '%.1f' ELSE '%.2f' END, expected) || ' for its peers'
               WHEN 'workspace_spike' THEN actors || ' actors at once in ' ||
                    coalesce(nullif(workspace_id, ''), '?') || ': ' || events || ' events in ' ||
                    date_diff('minute', start, "end") || ' min, about ' || printf(CASE WHEN expected >= 10 THEN '%.0f' WHEN expected >= 1 THEN '%.1f' ELSE '%.2f' END, expected) || ' expected, about ' ||
                    round(actors_expected) || ' actors usual'
               WHEN 'off_hours' THEN actor_type || ' ' || actor_id || ': ' || events || ' events at an hour it never works (' ||
                    strftime(start, '%a %H:%M') || ' UTC; ' || recent_days || ' active days in the 4 weeks before), about ' ||
                    printf(CASE WHEN expected >= 10 THEN '%.0f' WHEN expected >= 1 THEN '%.1f' ELSE '%.2f' END, expected) || ' expected' || '; its busiest ' || date_diff('minute', start, "end") || ' min before: ' || coalesce(busiest_before::VARCHAR, 'none') || ' (' || coalesce(history_days, 0) || ' days of history)'
               WHEN 'runaway_agent' THEN actor_type || ' ' || actor_id || ': ' || events || ' events in ' || date_diff('minute', start, "end") || ' min, about ' || printf(CASE WHEN expected >= 10 THEN '%.0f' WHEN expected >= 1 THEN '%.1f' ELSE '%.2f' END, expected) || ' expected' || CASE
                    WHEN slots IS NOT NULL THEN ', active in ' || slots || ' of ' || date_diff('minute', start, "end") // 5 ||
                         ' 5-minute slots (about ' || printf(CASE WHEN slots_expected >= 10 THEN '%.0f' WHEN slots_expected >= 1 THEN '%.1f' ELSE '%.2f' END, slots_expected) || ' usual)' ELSE '' END || '; its busiest ' || date_diff('minute', start, "end") || ' min before: ' || coalesce(busiest_before::VARCHAR, 'none') || ' (' || coalesce(history_days, 0) || ' days of history)'
               ELSE actor_type || ' ' || actor_id || ': ' || events || ' events in ' || date_diff('minute', start, "end") || ' min, about ' || printf(CASE WHEN expected >= 10 THEN '%.0f' WHEN expected >= 1 THEN '%.1f' ELSE '%.2f' END, expected) || ' expected' || '; its busiest ' || date_diff('minute', start, "end") || ' min before: ' || coalesce(busiest_before::VARCHAR, 'none') || ' (' || coalesce(history_days, 0) || ' days of history)'
           END || CASE WHEN episode_start < start OR episode_end > "end" + INTERVAL 15 MINUTE THEN '; one episode, flagged ' || strftime(episode_start, '%a %H:%M') || '-' || CASE WHEN date_trunc('day', episode_end) = date_trunc('day', episode_start) THEN strftime(episode_end, '%H:%M') ELSE strftime(episode_end, '%a %H:%M') END || ' UTC' ELSE '' END AS reason
    FROM named
    -- the filters choose what is reported (the judging saw every event up to ``until``)
    WHERE (since IS NULL OR timezone('UTC', "end") > since::TIMESTAMPTZ)
      AND (ws IS NULL OR workspace_id = ws) AND (atype IS NULL OR actor_type = atype)
      AND (act IS NULL OR selected > 0)   -- (an action filter judges everything again: kept windows have no ev)
    ORDER BY start, workspace_id, actor_id NULLS FIRST, kind
)
        UNION ALL
        SELECT * FROM aa_spend_bursts(sensitivity := sensitivity, until := until)
        WHERE act IS NULL OR act = 'agent.llm_call'
