DELETE FROM activity WHERE id IN (
    SELECT id FROM agent_events
    WHERE load_id <> $load AND run_id IN (SELECT run_id FROM _truns WHERE state = 'replaced'))
