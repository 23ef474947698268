CREATE OR REPLACE MACRO aa_actions
        (every := NULL, by_workspace := false, since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        WITH s1 AS (
        SELECT bucket_us, workspace_id, action,
               CAST(sum(n) AS BIGINT) AS events,
               count(actor_id) AS actors,
               count(issue_id) AS issues
        FROM (SELECT CASE WHEN epoch_us(every::INTERVAL) IS NULL THEN NULL ELSE (epoch_us(created_at) - ((((epoch_us(created_at) - 946857600000000) % epoch_us(every::INTERVAL)) + epoch_us(every::INTERVAL)) % epoch_us(every::INTERVAL))) END AS bucket_us,
               CASE WHEN by_workspace THEN workspace_id END AS workspace_id, action, actor_id, NULL AS issue_id, count(*) AS n
              FROM aa_events(since := since, until := until, ws := ws, act := act, atype := atype)
              GROUP BY 1, 2, 3, 4
              UNION ALL
              SELECT CASE WHEN epoch_us(every::INTERVAL) IS NULL THEN NULL ELSE (epoch_us(created_at) - ((((epoch_us(created_at) - 946857600000000) % epoch_us(every::INTERVAL)) + epoch_us(every::INTERVAL)) % epoch_us(every::INTERVAL))) END AS bucket_us,
               CASE WHEN by_workspace THEN workspace_id END AS workspace_id, action, NULL AS actor_id, issue_id, CAST(0 AS BIGINT) AS n
              FROM aa_events(since := since, until := until, ws := ws, act := act, atype := atype)
              GROUP BY 1, 2, 3, 5) AS per_id
        GROUP BY 1, 2, 3)
        SELECT COLUMNS(lambda c: (c <> 'bucket' OR coalesce(every IS NOT NULL, false)) AND (c <> 'workspace_id' OR coalesce(by_workspace, false)))
        FROM (SELECT CASE WHEN bucket_us IS NOT NULL THEN make_timestamptz(bucket_us) END AS bucket, workspace_id, action, events,
                     events / sum(events) OVER (PARTITION BY bucket_us, workspace_id) AS share,
                     actors, issues
              FROM s1)
        ORDER BY bucket NULLS FIRST, workspace_id NULLS FIRST, events DESC, action
