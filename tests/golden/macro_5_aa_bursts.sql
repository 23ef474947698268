CREATE OR REPLACE MACRO aa_bursts
        (sensitivity := 1.0, kinds := NULL, since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        WITH judged AS (SELECT * FROM aa_bursts_judged(sensitivity := sensitivity, until := until, act := act)),
        chained AS (   -- a new incident where an alarm begins after every alarm before it has ended
            SELECT * EXCLUDE (reach),
                   sum(CASE WHEN reach IS NULL OR episode_start > reach THEN 1 ELSE 0 END)
                       OVER (PARTITION BY workspace_id ORDER BY episode_start, episode_end, actor_id NULLS FIRST, kind ROWS UNBOUNDED PRECEDING)
                       AS chain
            FROM (SELECT *, max(episode_end) OVER (PARTITION BY workspace_id ORDER BY episode_start, episode_end, actor_id NULLS FIRST, kind
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                  FROM judged WHERE NOT kind IN ('new_actor'))
        ),
        incidents AS (
            SELECT * EXCLUDE (chain),
                   coalesce(workspace_id, '') || '@'
                   || strftime(min(episode_start) OVER (PARTITION BY workspace_id, chain) AT TIME ZONE 'UTC',
                               '%Y-%m-%dT%H:%M:%SZ') AS incident,
                   count(*) OVER (PARTITION BY workspace_id, chain) AS members
            FROM chained
            UNION ALL BY NAME
            SELECT *, NULL::VARCHAR AS incident, NULL::BIGINT AS members FROM judged WHERE kind IN ('new_actor')
        )
        SELECT * FROM incidents
        WHERE (since IS NULL OR "end" > since::TIMESTAMPTZ) AND (ws IS NULL OR workspace_id = ws)
          AND (atype IS NULL OR actor_type = atype)
          AND (kinds IS NULL OR kind = kinds OR (kinds = 'alarms' AND NOT kind IN ('new_actor'))
               OR (kinds = 'notices' AND kind IN ('new_actor')))
        ORDER BY start, workspace_id, actor_id NULLS FIRST, kind
