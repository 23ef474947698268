CREATE OR REPLACE MACRO aa_actors
        (every := NULL, by_workspace := false, by_action := false, since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        WITH s1 AS (
        SELECT CASE WHEN epoch_us(every::INTERVAL) IS NULL THEN NULL ELSE (epoch_us(created_at) - ((((epoch_us(created_at) - 946857600000000) % epoch_us(every::INTERVAL)) + epoch_us(every::INTERVAL)) % epoch_us(every::INTERVAL))) END AS bucket_us,
               CASE WHEN by_workspace THEN workspace_id END AS workspace_id,
               CASE WHEN by_action THEN action END AS action,
               actor_type,
               count(*) AS events,
               count(DISTINCT actor_id) AS actors
        FROM aa_events(since := since, until := until, ws := ws, act := act, atype := atype)
        GROUP BY 1, 2, 3, 4)
        SELECT COLUMNS(lambda c: (c <> 'bucket' OR coalesce(every IS NOT NULL, false)) AND (c <> 'workspace_id' OR coalesce(by_workspace, false)) AND (c <> 'action' OR coalesce(by_action, false)))
        FROM (SELECT CASE WHEN bucket_us IS NOT NULL THEN make_timestamptz(bucket_us) END AS bucket, workspace_id, action, actor_type, events, actors,
                     events / sum(events) OVER (PARTITION BY bucket_us, workspace_id, action) AS share
              FROM s1)
        ORDER BY bucket NULLS FIRST, workspace_id NULLS FIRST, action NULLS FIRST, actor_type
