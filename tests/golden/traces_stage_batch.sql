CREATE OR REPLACE TEMP TABLE _tstage AS
SELECT file, loc,
    CASE WHEN reason IS NOT NULL THEN rtrim(text, chr(10) || chr(13)) END AS raw,
    reason,
    'trace:' || v_run || ':' || seq AS id,
    v_run AS run_id, seq, CASE WHEN regexp_full_match(f.parent_seq, '-?[0-9]{1,18}') THEN f.parent_seq::BIGINT END AS parent_seq,
    v_event_type AS event_type, CASE WHEN starts_with(f.agent_name, '"') THEN f.agent_name ->> '$' END AS agent,
    make_timestamptz((ts_s * 1000000)::BIGINT) AS created_at,
    $workspace AS workspace_id,
    CASE WHEN starts_with((f.data -> '$.model'), '"') THEN (f.data -> '$.model') ->> '$' END AS model,
    CASE WHEN regexp_full_match(f.prompt_tokens, '-?[0-9]{1,18}') THEN f.prompt_tokens::BIGINT END AS prompt_tokens,
    CASE WHEN regexp_full_match(f.completion_tokens, '-?[0-9]{1,18}') THEN f.completion_tokens::BIGINT END AS completion_tokens,
    CASE WHEN (left(f.cost_usd, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')) THEN TRY_CAST(f.cost_usd AS DOUBLE) END AS cost_usd,
    CASE WHEN (left((f.data -> '$.duration_ms'), 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')) THEN TRY_CAST((f.data -> '$.duration_ms') AS DOUBLE) END AS duration_ms,
    CASE WHEN starts_with((f.data -> '$.tool_name'), '"') THEN (f.data -> '$.tool_name') ->> '$' END AS tool,
    CASE WHEN (f.data -> '$.error') IS NULL OR (f.data -> '$.error') = 'null' THEN NULL
         ELSE coalesce(CASE WHEN starts_with((f.data -> '$.error'), '"') THEN (f.data -> '$.error') ->> '$' END, (f.data -> '$.error')::VARCHAR) END AS error,
    CASE WHEN starts_with((f.data -> '$.status'), '"') THEN (f.data -> '$.status') ->> '$' END AS status,
    CASE WHEN starts_with((f.data -> '$.finish_reason'), '"') THEN (f.data -> '$.finish_reason') ->> '$' END AS finish_reason,
    CASE WHEN v_event_type = 'llm_request' AND (f.data -> '$.messages') IS NOT NULL
         THEN json_merge_patch(f.data, '{"messages": null}')::JSON
         ELSE f.data::JSON END AS data,
    CASE WHEN reason IS NULL THEN md5(json(text)) END AS digest  -- minified: the same whichever reader
FROM (
    SELECT *,
        CASE
            WHEN NOT ok THEN 'invalid JSON'
            WHEN jtype <> 'OBJECT' THEN 'not a JSON object (' || lower(jtype) || ')'
            WHEN f.schema_version IS NOT NULL AND NOT starts_with(coalesce(CASE WHEN starts_with(f.schema_version, '"') THEN f.schema_version ->> '$' END, ''), '1.')
                THEN 'unsupported schema_version: ' || left(f.schema_version, 20)
            WHEN f.event_type IS NULL THEN 'missing event_type'
            WHEN coalesce(trim(v_event_type), '') = '' THEN 'event_type is not a non-empty string'
            WHEN coalesce(trim(v_run), '') = '' THEN 'missing run_id (and session_id)'
            WHEN f.sequence_num IS NULL THEN 'missing sequence_num'
            WHEN seq IS NULL THEN 'sequence_num is not an integer'
            WHEN f.timestamp IS NULL THEN 'missing timestamp'
            WHEN ts_s IS NULL OR NOT (ts_s BETWEEN 0 AND 32503680000)
                THEN 'timestamp is not a number of seconds since 1970: ' || left(f.timestamp, 40)
            WHEN f.prompt_tokens IS NOT NULL AND f.prompt_tokens <> 'null'
                 AND CASE WHEN regexp_full_match(f.prompt_tokens, '-?[0-9]{1,18}') THEN f.prompt_tokens::BIGINT END IS NULL THEN 'prompt_tokens is not an integer'
            WHEN f.completion_tokens IS NOT NULL AND f.completion_tokens <> 'null'
                 AND CASE WHEN regexp_full_match(f.completion_tokens, '-?[0-9]{1,18}') THEN f.completion_tokens::BIGINT END IS NULL THEN 'completion_tokens is not an integer'
            WHEN f.cost_usd IS NOT NULL AND f.cost_usd <> 'null'
                 AND CASE WHEN (left(f.cost_usd, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')) THEN TRY_CAST(f.cost_usd AS DOUBLE) END IS NULL THEN 'cost_usd is not a number'
            WHEN f.data IS NOT NULL AND f.data <> 'null' AND NOT starts_with(f.data, '{')
                THEN 'data is not an object'
        END AS reason
    FROM (
        SELECT *,
            CASE WHEN starts_with(f.event_type, '"') THEN f.event_type ->> '$' END AS v_event_type,
            coalesce(CASE WHEN starts_with(f.run_id, '"') THEN f.run_id ->> '$' END, CASE WHEN starts_with(f.session_id, '"') THEN f.session_id ->> '$' END) AS v_run,
            CASE WHEN regexp_full_match(f.sequence_num, '-?[0-9]{1,18}') THEN f.sequence_num::BIGINT END AS seq,
            CASE WHEN (left(f.timestamp, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')) THEN TRY_CAST(f.timestamp AS DOUBLE) END AS ts_s
        FROM (
        SELECT $file AS file, loc, text, ok,
               CASE WHEN ok THEN json_type(text) END AS jtype,
               CASE WHEN ok THEN json_transform(text, '{"schema_version": "JSON", "event_type": "JSON", "timestamp": "JSON", "session_id": "JSON", "run_id": "JSON", "agent_name": "JSON", "sequence_num": "JSON", "parent_seq": "JSON", "data": "JSON", "prompt_tokens": "JSON", "completion_tokens": "JSON", "cost_usd": "JSON"}') END AS f
        FROM (SELECT loc, text, json_valid(text) AS ok FROM _raw WHERE NOT blank))
    )
)
