SELECT coalesce(workspace_id, '') AS workspace_id, actor_id,
               (unix_micros(created_at) - ((((unix_micros(created_at) - 946857600000000) % 300000000) + 300000000) % 300000000)) AS slot_us,
               count(*) AS n,
               sum(CASE WHEN true THEN 1 ELSE 0 END) AS n_sel,
               min(unix_micros(created_at)) AS first_us,
               max(unix_micros(created_at) * 4 + CASE actor_type WHEN 'agent' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END) AS last_code
        FROM (SELECT * FROM lake_events) AS e
        WHERE actor_id IS NOT NULL AND coalesce(actor_type_raw, '') <> 'trace'
        GROUP BY 1, 2, 3
