CREATE OR REPLACE TEMP TABLE _truns AS
SELECT s.run_id,
       CASE WHEN NOT EXISTS (SELECT 1 FROM agent_events AS a
                             WHERE a.run_id = s.run_id AND a.load_id <> $load) THEN 'fresh'
            WHEN count(*) = count(a.id) THEN 'same'
            ELSE 'replaced' END AS state
FROM (SELECT DISTINCT ON (id) * FROM _tstage WHERE reason IS NULL ORDER BY id, file, loc) AS s
LEFT JOIN agent_events AS a ON a.id = s.id AND a.digest = s.digest
GROUP BY s.run_id
