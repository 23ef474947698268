SELECT bucket_us, workspace_id, action,
               CAST(sum(n) AS BIGINT) AS events,
               count(actor_id) AS actors,
               count(issue_id) AS issues
        FROM (SELECT CASE WHEN 3600000000 IS NULL THEN NULL ELSE (unix_micros(created_at) - ((((unix_micros(created_at) - 946857600000000) % 3600000000) + 3600000000) % 3600000000)) END AS bucket_us,
               CASE WHEN true THEN workspace_id END AS workspace_id, action, actor_id, NULL AS issue_id, count(*) AS n
              FROM (SELECT * FROM lake_events) AS e
              GROUP BY 1, 2, 3, 4
              UNION ALL
              SELECT CASE WHEN 3600000000 IS NULL THEN NULL ELSE (unix_micros(created_at) - ((((unix_micros(created_at) - 946857600000000) % 3600000000) + 3600000000) % 3600000000)) END AS bucket_us,
               CASE WHEN true THEN workspace_id END AS workspace_id, action, NULL AS actor_id, issue_id, CAST(0 AS BIGINT) AS n
              FROM (SELECT * FROM lake_events) AS e
              GROUP BY 1, 2, 3, 5) AS per_id
        GROUP BY 1, 2, 3
