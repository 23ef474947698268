INSERT INTO activity
SELECT id, workspace_id, NULL, CASE event_type WHEN 'agent_start' THEN 'run' WHEN 'llm_response' THEN 'model' ELSE 'tool' END,
       CASE event_type WHEN 'agent_start' THEN run_id WHEN 'llm_response' THEN model ELSE tool END,
       'agent', 'trace', agent, CASE event_type WHEN 'agent_start' THEN 'agent.run' WHEN 'llm_response' THEN 'agent.llm_call' WHEN 'tool_call_end' THEN 'agent.tool_call' END,
       json_object('run_id', run_id, 'seq', seq, 'model', model,
                   'prompt_tokens', prompt_tokens, 'completion_tokens', completion_tokens,
                   'cost_usd', cost_usd, 'duration_ms', duration_ms, 'tool', tool,
                   'error', error),
       NULL, created_at, source, ingested_at
FROM agent_events
WHERE ingested_at = $now AND load_id = $load AND agent IS NOT NULL
  AND event_type IN ('agent_start', 'llm_response', 'tool_call_end')
