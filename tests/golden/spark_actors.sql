SELECT bucket_us, workspace_id, action, actor_type,
               CAST(sum(n) AS BIGINT) AS events,
               count(actor_id) AS actors
        FROM (SELECT CASE WHEN NULL IS NULL THEN NULL ELSE (unix_micros(created_at) - ((((unix_micros(created_at) - 946857600000000) % NULL) + NULL) % NULL)) END AS bucket_us,
               CASE WHEN false THEN workspace_id END AS workspace_id,
                     CASE WHEN true THEN action END AS action,
                     actor_type, actor_id, count(*) AS n
              FROM (SELECT * FROM lake_events) AS e
              GROUP BY 1, 2, 3, 4, 5) AS per_actor
        GROUP BY 1, 2, 3, 4
