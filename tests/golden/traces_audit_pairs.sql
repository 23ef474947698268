SELECT audit_id, trace_id FROM (
    SELECT a.id AS audit_id, t.id AS trace_id,
           abs(epoch_us(a.created_at) - epoch_us(t.created_at)) AS gap
    FROM activity AS a
    JOIN agent_events AS t
      ON t.event_type = 'tool_call_end' AND t.agent = a.actor_id AND t.tool = a.entity_id
     AND t.workspace_id IS NOT DISTINCT FROM a.workspace_id
     AND a.created_at BETWEEN t.created_at + INTERVAL (-250) MILLISECOND
                          AND t.created_at + INTERVAL (1000) MILLISECOND
    WHERE a.action = 'agent.tool_call' AND starts_with(a.id, 'audit:')
      AND (a.ingested_at = $now OR t.ingested_at = $now)
      AND t.id NOT IN (SELECT unnest($paired::VARCHAR[]))
    QUALIFY row_number() OVER (PARTITION BY a.id ORDER BY gap, t.id) = 1
)
QUALIFY row_number() OVER (PARTITION BY trace_id ORDER BY gap, audit_id) = 1
