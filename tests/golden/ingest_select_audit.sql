SELECT loc,
    CASE WHEN reason IS NOT NULL THEN rtrim(text, chr(10) || chr(13)) END AS raw,
    reason,
    'audit:' || md5(json(text)) AS id,
    $workspace AS workspace_id,
    NULL AS issue_id,
    'tool' AS entity_type,
    v_tool_name AS entity_id,
    'agent' AS actor_type,
    'agent' AS actor_type_raw,
    v_agent_name AS actor_id,
    'agent.tool_call' AS action,
    json_object('tool', v_tool_name, 'input', f.tool_input,
                'duration_ms', f.execution_time_ms, 'error', f.error,
                'session_id', v_session_id, 'output', f.tool_output) AS details,
    CASE WHEN reason IS NULL AND len(json_keys(text)) > ((f.timestamp IS NOT NULL)::INT + (f.session_id IS NOT NULL)::INT + (f.agent_name IS NOT NULL)::INT + (f.tool_name IS NOT NULL)::INT + (f.tool_input IS NOT NULL)::INT + (f.execution_time_ms IS NOT NULL)::INT + (f.error IS NOT NULL)::INT + (f.tool_output IS NOT NULL)::INT)
         THEN nullif(json_merge_patch(text, '{"timestamp": null, "session_id": null, "agent_name": null, "tool_name": null, "tool_input": null, "execution_time_ms": null, "error": null, "tool_output": null}'), '{}')::JSON END AS extra,
    ts AS created_at
FROM (
    SELECT *,
        CASE
            WHEN NOT ok THEN 'invalid JSON'
            WHEN jtype <> 'OBJECT' THEN 'not a JSON object (' || lower(jtype) || ')'
            WHEN f.timestamp IS NULL THEN 'missing timestamp'
            WHEN v_timestamp IS NULL THEN 'timestamp is not a string'
            WHEN ((v_timestamp < '!' OR v_timestamp >= chr(128)) AND trim(v_timestamp) = '') THEN 'timestamp is empty'
            WHEN f.agent_name IS NULL THEN 'missing agent_name'
            WHEN v_agent_name IS NULL THEN 'agent_name is not a string'
            WHEN ((v_agent_name < '!' OR v_agent_name >= chr(128)) AND trim(v_agent_name) = '') THEN 'agent_name is empty'
            WHEN f.tool_name IS NULL THEN 'missing tool_name'
            WHEN v_tool_name IS NULL THEN 'tool_name is not a string'
            WHEN ((v_tool_name < '!' OR v_tool_name >= chr(128)) AND trim(v_tool_name) = '') THEN 'tool_name is empty'
            WHEN f.session_id IS NOT NULL AND v_session_id IS NULL THEN 'session_id is not a string'
            WHEN ts IS NULL THEN 'unparsable timestamp: ' || left(v_timestamp, 64)
        END AS reason
    FROM (
        SELECT *,
            (CASE
                WHEN length(v_timestamp) BETWEEN 16 AND 35
                     AND substr(v_timestamp, 5, 1) = '-' AND substr(v_timestamp, 11, 1) IN ('T', ' ')
                     AND (right(v_timestamp, 1) BETWEEN '0' AND '9' OR right(v_timestamp, 1) = 'Z')
                THEN TRY_CAST(CASE WHEN (v_timestamp < '!' OR v_timestamp >= chr(128)) THEN trim(v_timestamp)
                                   ELSE v_timestamp END AS TIMESTAMPTZ)
                WHEN regexp_full_match(v_timestamp, '\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)?\s*')
                THEN TRY_CAST(trim(v_timestamp) AS TIMESTAMPTZ) END) AS ts
        FROM (
            SELECT *,
            CASE WHEN starts_with(f.timestamp, '"') THEN f.timestamp ->> '$' END AS v_timestamp,
            CASE WHEN starts_with(f.agent_name, '"') THEN f.agent_name ->> '$' END AS v_agent_name,
            CASE WHEN starts_with(f.tool_name, '"') THEN f.tool_name ->> '$' END AS v_tool_name,
            CASE WHEN starts_with(f.session_id, '"') THEN f.session_id ->> '$' END AS v_session_id
            FROM (
        SELECT loc, text, ok,
               CASE WHEN ok THEN CASE WHEN starts_with(text, '{') THEN 'OBJECT' ELSE json_type(text) END END AS jtype,
               CASE WHEN ok THEN json_transform(text, '{"timestamp": "JSON", "session_id": "JSON", "agent_name": "JSON", "tool_name": "JSON", "tool_input": "JSON", "execution_time_ms": "JSON", "error": "JSON", "tool_output": "JSON"}') END AS f
        FROM (SELECT loc, text, json_valid(text) AS ok FROM _raw WHERE NOT blank)
            )
        )
    )
)
