CREATE OR REPLACE TEMP TABLE _new AS
SELECT f.* FROM (SELECT *, concat_ws('|', coalesce(workspace_id, ''), coalesce(actor_id, ''), kind, strftime(episode_start AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f')) AS _burst, row_number() OVER () AS _i FROM _found) AS f
WHERE NOT EXISTS (SELECT 1 FROM reported_bursts AS r WHERE r.filters = $filters AND r.burst = f._burst)
ORDER BY _i
