SELECT CASE WHEN NULL IS NULL THEN NULL ELSE (unix_micros(created_at) - ((((unix_micros(created_at) - 946857600000000) % NULL) + NULL) % NULL)) END AS bucket_us,
               CASE WHEN false THEN workspace_id END AS workspace_id,
               CASE WHEN true THEN action END AS action,
               actor_type,
               count(*) AS events,
               count(DISTINCT actor_id) AS actors
        FROM (SELECT * FROM lake_events) AS e
        GROUP BY 1, 2, 3, 4
