INSERT INTO agent_events
SELECT n.id, n.run_id, hash(n.run_id), n.seq, n.parent_seq, n.event_type, n.agent, n.created_at,
       n.workspace_id,
       CASE WHEN n.event_type = 'llm_response' THEN coalesce(n.model, q.model) ELSE n.model END,
       n.prompt_tokens, n.completion_tokens, n.cost_usd, n.duration_ms, n.tool, n.error,
       n.status, n.finish_reason, n.data, n.digest, n.file, $load, $now
FROM _tnew AS n
ASOF LEFT JOIN (
    SELECT run_id, coalesce(agent, '') AS agent, seq, model FROM _tnew
    WHERE event_type = 'llm_request'
    UNION ALL
    SELECT run_id, coalesce(agent, ''), seq, model FROM agent_events
    WHERE event_type = 'llm_request' AND run_id IN (SELECT run_id FROM _tnew)
) AS q ON q.run_id = n.run_id AND q.agent = coalesce(n.agent, '') AND n.seq > q.seq
