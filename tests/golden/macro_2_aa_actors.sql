CREATE OR REPLACE MACRO aa_actors
        (every := NULL, by_workspace := false, by_action := false, since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        WITH s1 AS (
        SELECT bucket_us, workspace_id, action, actor_type,
               CAST(sum(n) AS BIGINT) AS events,
               count(actor_id) AS actors
        FROM (SELECT CASE WHEN epoch_us(every::INTERVAL) IS NULL THEN NULL ELSE (epoch_us(created_at) - ((((epoch_us(created_at) - 946857600000000) % epoch_us(every::INTERVAL)) + epoch_us(every::INTERVAL)) % epoch_us(every::INTERVAL))) END AS bucket_us,
               CASE WHEN by_workspace THEN workspace_id END AS workspace_id,
                     CASE WHEN by_action THEN action END AS action,
                     actor_type, actor_id, count(*) AS n
              FROM aa_events(since := since, until := until, ws := ws, act := act, atype := atype)
              GROUP BY 1, 2, 3, 4, 5) AS per_actor
        GROUP BY 1, 2, 3, 4)
        SELECT COLUMNS(lambda c: (c <> 'bucket' OR coalesce(every IS NOT NULL, false)) AND (c <> 'workspace_id' OR coalesce(by_workspace, false)) AND (c <> 'action' OR coalesce(by_action, false)))
        FROM (SELECT CASE WHEN bucket_us IS NOT NULL THEN make_timestamptz(bucket_us) END AS bucket, workspace_id, action, actor_type, events, actors,
                     events / sum(events) OVER (PARTITION BY bucket_us, workspace_id, action) AS share
              FROM s1)
        ORDER BY bucket NULLS FIRST, workspace_id NULLS FIRST, action NULLS FIRST, actor_type
