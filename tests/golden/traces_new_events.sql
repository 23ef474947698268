CREATE OR REPLACE TEMP TABLE _tnew AS
SELECT * FROM _tstage AS s
WHERE reason IS NULL
  AND run_id IN (SELECT run_id FROM _truns WHERE state <> 'same')
  AND NOT EXISTS (SELECT 1 FROM agent_events AS a WHERE a.id = s.id)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY file, loc) = 1
