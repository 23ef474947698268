INSERT INTO reported_bursts
SELECT $filters, _burst, workspace_id, actor_id, kind, episode_start, $now FROM _new
ON CONFLICT DO NOTHING
