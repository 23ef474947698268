SELECT CASE WHEN 3600000000 IS NULL THEN NULL ELSE (unix_micros(created_at) - ((((unix_micros(created_at) - 946857600000000) % 3600000000) + 3600000000) % 3600000000)) END AS bucket_us,
               CASE WHEN true THEN workspace_id END AS workspace_id,
               action,
               count(*) AS events,
               count(DISTINCT actor_id) AS actors,
               count(DISTINCT issue_id) AS issues
        FROM (SELECT * FROM lake_events) AS e
        GROUP BY 1, 2, 3
