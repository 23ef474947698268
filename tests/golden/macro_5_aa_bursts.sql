CREATE OR REPLACE MACRO aa_bursts
        (sensitivity := 1.0, since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        SELECT * FROM (WITH s1 AS (
        SELECT coalesce(workspace_id, '') AS workspace_id, actor_id,
               (epoch_us(created_at) - ((((epoch_us(created_at) - 946857600000000) % 300000000) + 300000000) % 300000000)) AS slot_us,
               count(*) AS n,
               min(epoch_us(created_at)) AS first_us,
               max(epoch_us(created_at) * 4 + CASE actor_type WHEN 'agent' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END) AS last_code
        FROM aa_events(since := since, until := until, ws := ws, act := act, atype := atype)
        WHERE actor_id IS NOT NULL AND coalesce(actor_type_raw, '') <> 'trace'
        GROUP BY 1, 2, 3),
    ev AS MATERIALIZED (   -- inside, times are naive UTC TIMESTAMPs (the output adds the zone)
        SELECT hash(workspace_id, actor_id) AS ak, hash(workspace_id) AS wk, workspace_id, actor_id,
               make_timestamp(slot_us) AS slot,
               CASE last_code % 4 WHEN 0 THEN 'agent' WHEN 1 THEN 'unknown' ELSE 'user' END AS actor_type,
               last_code % 4 AS type_code, n,
               make_timestamp(first_us) AS first_at, make_timestamp(last_code // 4) AS last_at
        FROM s1
    ),
    hourly AS (
        SELECT ak, date_trunc('hour', slot) AS hour, sum(n) AS n
        FROM ev GROUP BY ALL
    ),
    actor AS (
        SELECT ak, any_value(wk) AS wk, min(workspace_id) AS workspace_id, min(actor_id) AS actor_id,
               -- two actors with one 64-bit key (odds about 1e-8 among a million actors) would
               -- be merged: refuse rather than answer wrongly (in actor_type, which every step reads)
               CASE WHEN min(actor_id) <> max(actor_id) OR min(workspace_id) <> max(workspace_id)
                    THEN error('bursts: two actors share a 64-bit key; please report this')
                    ELSE arg_max(actor_type, n * 4 + type_code) END AS actor_type,
               min(first_at) AS first_seen, max(last_at) AS last_seen, sum(n) AS total
        FROM ev GROUP BY ak
    ),
    span AS (   -- t0 also refuses two workspaces with one key, as actor_type does for actors
        SELECT CASE WHEN (SELECT count(*) FROM (SELECT wk FROM actor GROUP BY wk
                                                HAVING min(workspace_id) <> max(workspace_id))) > 0
                    THEN error('bursts: two workspaces share a 64-bit key; please report this')
                    ELSE min(first_at) END AS t0,
               max(last_at) AS t1
        FROM ev
    ),
    days AS (   -- days of each kind in each actor's history, for zero-filled medians
        SELECT a.ak, isodow(d) >= 6 AS weekend, count(*) AS days
        FROM actor AS a, span,
             LATERAL generate_series(date_trunc('day', a.first_seen), date_trunc('day', span.t1),
                                     INTERVAL 1 DAY) AS g(d)
        GROUP BY ALL
    ),
    profile AS (
        SELECT h.ak, isodow(h.hour) >= 6 AS weekend, hour(h.hour) AS hod,
               list(h.n) AS counts, sum(h.n) AS events
        FROM hourly AS h GROUP BY ALL
    ),
    baseline AS (
        SELECT p.ak, p.weekend, p.hod, p.events, d.days,
               list_aggregate(list_resize(p.counts, greatest(d.days, len(p.counts)), 0), 'median')
                   AS median,
               -- worked on fewer than a quarter of days: robust to the anomalies themselves
               list_aggregate(list_resize(p.counts, greatest(d.days, len(p.counts)), 0),
                              'quantile_disc', 0.75) AS q75
        FROM profile AS p JOIN days AS d USING (ak, weekend)
    ),
    near AS (   -- time of day as a smoothed profile: an hour next to a usual one is usual, and a
                -- weekend hour is judged against that hour on weekdays too (working a weekend
                -- day at one's usual hours is ordinary)
        SELECT t.ak, t.weekend, t.hod,
               max(b.median) AS median, max(b.q75) AS q75, max(b.events / greatest(b.days, 1)) AS mean
        FROM (SELECT DISTINCT ak, weekend, hod FROM baseline
              UNION SELECT DISTINCT ak, true, hod FROM baseline) AS t
        JOIN baseline AS b
          ON b.ak = t.ak AND (b.weekend = t.weekend OR t.weekend)
         AND (b.hod IN ((t.hod + 23) % 24, (t.hod + 1) % 24)
              OR (b.hod = t.hod AND b.weekend <> t.weekend))
        GROUP BY ALL
    ),
    daily AS (   -- a person's own day: on a busy day every hour is busier
        SELECT ak, date_trunc('day', hour) AS day, sum(n) AS day_events, count(*) AS day_hours
        FROM hourly GROUP BY ALL
    ),
    hour_scored AS (   -- the mean leaves the hour itself out, so an anomaly cannot hide in it
        SELECT h.ak, h.hour AS start, h.hour + INTERVAL 1 HOUR AS "end",
               h.n AS events, a.actor_type,
               greatest(coalesce((b.events - h.n) / greatest(b.days - 1, 1), 0), coalesce(nb.mean, 0)) AS mean,
               greatest(coalesce(b.median, 0), coalesce(nb.median, 0)) AS median,
               greatest(coalesce(b.q75, 0), coalesce(nb.q75, 0)) AS q75,
               greatest(coalesce(b.median, 0), coalesce(nb.median, 0),
                        0.5 * greatest(coalesce((b.events - h.n) / greatest(b.days - 1, 1), 0),
                                       coalesce(nb.mean, 0)),
                        0.05) AS usual,
               (d.day_events - h.n) / greatest(d.day_hours - 1, 1) AS day_rate
        FROM hourly AS h
        JOIN actor AS a USING (ak)
        JOIN daily AS d ON d.ak = h.ak AND d.day = date_trunc('day', h.hour)
        LEFT JOIN baseline AS b
               ON b.ak = h.ak AND b.weekend = (isodow(h.hour) >= 6) AND b.hod = hour(h.hour)
        LEFT JOIN near AS nb
               ON nb.ak = h.ak AND nb.weekend = (isodow(h.hour) >= 6) AND nb.hod = hour(h.hour)
    ),
    hour_kinds AS (
        SELECT *,
               CASE WHEN actor_type = 'agent' THEN 'runaway_agent'
                    WHEN q75 = 0 THEN 'off_hours'
                    ELSE 'rapid_succession' END AS kind
        FROM hour_scored
    ),
    hour_expected AS (   -- at a person's usual hours, a busy day raises what is expected
        SELECT *, CASE WHEN kind = 'rapid_succession' THEN greatest(usual, day_rate)
                       ELSE usual END
                      AS expected
        FROM hour_kinds
    ),
    agent_windows AS (   -- agents work every hour: three-hour sums catch a longer, milder runaway
        SELECT ak, actor_type, kind, start - INTERVAL 2 HOUR AS start, "end",
               sum(events) OVER w AS events, sum(expected) OVER w AS expected,
               count(*) OVER w AS hours
        FROM hour_expected WHERE kind = 'runaway_agent'
        WINDOW w AS (PARTITION BY ak ORDER BY start
                     RANGE BETWEEN INTERVAL 2 HOUR PRECEDING AND CURRENT ROW)
    ),
    hour_flags AS (
        SELECT s.ak, a.wk, s.actor_type, s.kind, s.start, s."end", s.events,
               s.expected, (CASE WHEN s.events > s.expected THEN (s.events * ln(s.events / s.expected) - s.events + s.expected) / ln(10) ELSE 0 END) AS score
        FROM (
            SELECT ak, actor_type, kind, start, "end", events, expected
            FROM hour_expected
            UNION ALL
            SELECT ak, actor_type, kind, start, "end", events, expected
            FROM agent_windows WHERE hours = 3
        ) AS s
        JOIN actor AS a USING (ak), span
        WHERE (CASE WHEN s.events > s.expected THEN (s.events * ln(s.events / s.expected) - s.events + s.expected) / ln(10) ELSE 0 END) >=
                  (CASE WHEN s.kind = 'runaway_agent' THEN 4.0
                        ELSE 6.0 END) / sensitivity
          AND s.events >= 3.0 * s.expected
          AND s.events >= 8 / sensitivity
          -- a new actor's first day is judged as such (new_actors below)
          AND (a.first_seen < span.t0 + INTERVAL 1 DAY
               OR s.start >= date_trunc('hour', a.first_seen) + INTERVAL 1 DAY)
    ),
    slot_base AS (
        SELECT ak, greatest(quantile_cont(n, 0.99), 1.0) AS expected
        FROM ev GROUP BY ak
    ),
    slot_flags AS (
        SELECT s.ak, a.wk, a.actor_type,
               CASE WHEN a.actor_type = 'agent' THEN 'runaway_agent' ELSE 'rapid_succession' END AS kind,
               s.slot AS start, s.slot + INTERVAL 5 MINUTE AS "end", s.n AS events, b.expected,
               (CASE WHEN s.n > b.expected THEN (s.n * ln(s.n / b.expected) - s.n + b.expected) / ln(10) ELSE 0 END) AS score
        FROM ev AS s JOIN slot_base AS b USING (ak)
        JOIN actor AS a USING (ak), span
        WHERE (CASE WHEN s.n > b.expected THEN (s.n * ln(s.n / b.expected) - s.n + b.expected) / ln(10) ELSE 0 END) >= 6.0 / sensitivity
          AND s.n >= 4.0 * b.expected
          AND s.n >= 8 / sensitivity
          AND (a.first_seen < span.t0 + INTERVAL 1 DAY
               OR s.slot >= a.first_seen + INTERVAL 1 DAY)
    ),
    newcomers AS (
        SELECT a.* FROM actor AS a, span WHERE a.first_seen >= span.t0 + INTERVAL 1 DAY
    ),
    new_actors AS (
        SELECT a.ak, a.wk, a.actor_type, 'new_actor' AS kind,
               a.first_seen AS start, max(e.last_at) AS "end", sum(e.n) AS events,
               0.0 AS expected, log10(sum(e.n)) * 3 AS score
        FROM newcomers AS a
        JOIN ev AS e USING (ak)
        WHERE e.slot < a.first_seen + INTERVAL 1 DAY
        GROUP BY a.ak, a.wk, a.actor_type, a.first_seen
        HAVING sum(e.n) >= 10 / sensitivity
    ),
    wactor AS (
        SELECT wk, time_bucket(INTERVAL 10 MINUTE, slot) AS start, ak, sum(n) AS n
        FROM ev GROUP BY ALL
    ),
    wslots AS (
        SELECT wk, start, count(*) AS k, sum(n) AS n, max(n) AS top
        FROM wactor GROUP BY ALL
    ),
    wbase AS (
        SELECT wk, isodow(start) >= 6 AS weekend, hour(start) AS hod,
               greatest(median(k), 1.0) AS k_expected, greatest(median(n), 1.0) AS expected
        FROM wslots GROUP BY ALL
    ),
    spikes AS (   -- many more actors than usual at that hour, none of them dominating
        SELECT NULL::UBIGINT AS ak, w.wk, NULL::VARCHAR AS actor_type,
               'workspace_spike' AS kind, w.start, w.start + INTERVAL 10 MINUTE AS "end",
               w.n AS events, b.expected, (CASE WHEN w.n > b.expected THEN (w.n * ln(w.n / b.expected) - w.n + b.expected) / ln(10) ELSE 0 END) AS score, w.k AS actors,
               b.k_expected AS actors_expected
        FROM wslots AS w JOIN wbase AS b
          ON b.wk = w.wk AND b.weekend = (isodow(w.start) >= 6) AND b.hod = hour(w.start)
        WHERE w.k >= b.k_expected + 5 / sensitivity
          AND w.top < 0.5 * w.n
          AND (CASE WHEN w.n > b.expected THEN (w.n * ln(w.n / b.expected) - w.n + b.expected) / ln(10) ELSE 0 END) >= 6.0 / sensitivity
    ),
    flags AS (
        SELECT ak, wk, actor_type, kind, start, "end", events, expected, score,
               NULL::BIGINT AS actors, NULL::DOUBLE AS actors_expected FROM hour_flags
        UNION ALL
        SELECT ak, wk, actor_type, kind, start, "end", events, expected, score,
               NULL, NULL FROM slot_flags
        UNION ALL
        SELECT ak, wk, actor_type, kind, start, "end", events, expected, score,
               NULL, NULL FROM new_actors
        UNION ALL
        SELECT ak, wk, actor_type, kind, start, "end", events, expected, score,
               actors, actors_expected FROM spikes
    ),
    islands AS (   -- overlapping or touching flags of one actor and kind make one stretch
        SELECT *, sum(CASE WHEN start <= prev_end THEN 0 ELSE 1 END)
                      OVER (PARTITION BY wk, ak, kind ORDER BY start, "end") AS island
        FROM (
            SELECT *, max("end") OVER (PARTITION BY wk, ak, kind ORDER BY start, "end"
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM flags
        )
    ),
    stretches AS (
        SELECT wk, ak, any_value(actor_type) AS actor_type, kind,
               min(start) AS start, max("end") AS "end",
               max(events) AS unit_events, sum(expected) AS unit_expected,
               max(score) AS score, max(actors) AS actors,
               max(actors_expected) AS actors_expected
        FROM islands GROUP BY wk, ak, kind, island
    ),
    counted AS (   -- events in each stretch, counted once whatever the scale that flagged it
        SELECT s.wk, s.ak, s.actor_type, s.kind, s.start, s."end", s.score, s.actors,
               s.actors_expected,
               (SELECT sum(e.n) FROM ev AS e
                WHERE e.wk = s.wk
                  AND (s.ak IS NULL OR e.ak = s.ak)
                  AND e.last_at >= s.start AND e.first_at < s."end") AS events,
               s.unit_expected AS expected
        FROM stretches AS s
    ),
    named AS (
        SELECT c.*, w.workspace_id, a.actor_id
        FROM counted AS c
        LEFT JOIN actor AS a ON a.ak = c.ak
        JOIN (SELECT wk, any_value(workspace_id) AS workspace_id FROM actor GROUP BY wk) AS w
          ON w.wk = c.wk
    )
    SELECT nullif(workspace_id, '') AS workspace_id, actor_id, actor_type, kind,
           timezone('UTC', start) AS start, timezone('UTC', "end") AS "end",
           events, round(expected, 2) AS expected, round(score, 1) AS score,
           CASE kind
               WHEN 'new_actor' THEN 'new ' || coalesce(actor_type, 'actor') || ' ' || actor_id
                    || ': never seen before, ' || events || ' events in its first day'
               WHEN 'workspace_spike' THEN actors || ' actors at once in ' ||
                    coalesce(nullif(workspace_id, ''), '?') || ': ' || events || ' events in ' ||
                    date_diff('minute', start, "end") || ' min, about ' || round(actors_expected) ||
                    ' actors usual'
               WHEN 'off_hours' THEN actor_type || ' ' || actor_id || ': ' || events ||
                    ' events at an hour it never works (' || strftime(start, '%a %H:%M') || ' UTC)'
               ELSE actor_type || ' ' || actor_id || ': ' || events || ' events in ' ||
                    date_diff('minute', start, "end") || ' min, about ' || round(expected, 1) ||
                    ' expected (' || round(events / greatest(expected, 0.05)) || 'x)'
           END AS reason
    FROM named
    ORDER BY start, workspace_id, actor_id NULLS FIRST, kind
)
        UNION ALL
        SELECT * FROM aa_spend_bursts(sensitivity := sensitivity, since := since, until := until,
                                      ws := ws)
        WHERE (act IS NULL OR act = 'agent.llm_call') AND (atype IS NULL OR atype = 'agent')
        ORDER BY start, workspace_id, actor_id NULLS FIRST, kind
