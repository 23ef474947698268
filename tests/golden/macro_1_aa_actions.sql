CREATE OR REPLACE MACRO aa_actions
        (every := NULL, by_workspace := false, since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        WITH s1 AS (
        SELECT CASE WHEN epoch_us(every::INTERVAL) IS NULL THEN NULL ELSE (epoch_us(created_at) - ((((epoch_us(created_at) - 946857600000000) % epoch_us(every::INTERVAL)) + epoch_us(every::INTERVAL)) % epoch_us(every::INTERVAL))) END AS bucket_us,
               CASE WHEN by_workspace THEN workspace_id END AS workspace_id,
               action,
               count(*) AS events,
               count(DISTINCT actor_id) AS actors,
               count(DISTINCT issue_id) AS issues
        FROM aa_events(since := since, until := until, ws := ws, act := act, atype := atype)
        GROUP BY 1, 2, 3)
        SELECT COLUMNS(lambda c: (c <> 'bucket' OR coalesce(every IS NOT NULL, false)) AND (c <> 'workspace_id' OR coalesce(by_workspace, false)))
        FROM (SELECT CASE WHEN bucket_us IS NOT NULL THEN make_timestamptz(bucket_us) END AS bucket, workspace_id, action, events,
                     events / sum(events) OVER (PARTITION BY bucket_us, workspace_id) AS share,
                     actors, issues
              FROM s1)
        ORDER BY bucket NULLS FIRST, workspace_id NULLS FIRST, events DESC, action
