CREATE OR REPLACE MACRO aa_bursts_reach(until, act, sensitivity) AS (
        WITH k AS (SELECT reach FROM bursts_kept
                   WHERE version = '5303682108b3b203' AND engine = version() AND marks = (SELECT coalesce(md5(string_agg(actor_id || '|' || actor_type || '|' || coalesce(same_as, ''), ',' ORDER BY actor_id)), '') FROM actor_marks)),
        now AS (SELECT epoch_us(created_at) // 86400000000 AS day, count(*) AS events, sum(epoch_us(created_at)::HUGEINT) AS us FROM activity WHERE created_at < (SELECT timezone('UTC', reach) FROM k) GROUP BY 1),
        changed AS (SELECT make_timestamp(min(day) * 86400000000) AS day
                    FROM now FULL JOIN (SELECT * FROM bursts_kept_counts
                                        WHERE day < (SELECT epoch_us(reach) // 86400000000 FROM k)) AS c USING (day)
                    WHERE now.events IS DISTINCT FROM c.events OR now.us IS DISTINCT FROM c.us)
        SELECT CASE WHEN act IS NULL AND sensitivity <= 4.0 THEN
                    least(k.reach, (SELECT day FROM changed),
                          date_trunc('day', timezone('UTC', until::TIMESTAMPTZ)) - INTERVAL 1 DAY) END
        FROM k
    )
