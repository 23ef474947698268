CREATE TABLE agent_events (
    id                VARCHAR NOT NULL,   -- trace:<run_id>:<seq>; unique, kept so by the loader
    run_id            VARCHAR NOT NULL,
    run_key           UBIGINT NOT NULL,   -- hash(run_id): what analyses group and join runs by
    seq               BIGINT NOT NULL,    -- sequence_num: the event's order in its run
    parent_seq        BIGINT,
    event_type        VARCHAR NOT NULL,   -- session_start, llm_request, tool_call_end, ...
    agent             VARCHAR,            -- agent_name (null for session and workflow events)
    created_at        TIMESTAMPTZ NOT NULL,
    workspace_id      VARCHAR,            -- as given to ingest --workspace
    model             VARCHAR,            -- llm_request, and llm_response (from its request)
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    cost_usd          DOUBLE,
    duration_ms       DOUBLE,
    tool              VARCHAR,            -- tool_call_start/end
    error             VARCHAR,            -- tool_call_end: set when the tool raised
    status            VARCHAR,            -- session/workflow/task_end: completed, failed
    finish_reason     VARCHAR,
    data              JSON,               -- the event's data, without llm_request's messages
    digest            VARCHAR NOT NULL,   -- md5 of the line: tells a replaced run from a reload
    source            VARCHAR NOT NULL,   -- the trace file
    load_id           VARCHAR NOT NULL,
    ingested_at       TIMESTAMPTZ NOT NULL
);

ALTER TABLE actor_marks ADD COLUMN same_as VARCHAR;
CREATE OR REPLACE VIEW events AS
SELECT a.id, a.workspace_id, a.issue_id, a.entity_type, a.entity_id,
       coalesce(m.actor_type, a.actor_type) AS actor_type,
       a.actor_type AS actor_type_recorded,
       a.actor_type_raw, coalesce(m.same_as, a.actor_id) AS actor_id, a.action, a.details, a.extra,
       a.created_at, a.source, a.ingested_at
FROM activity AS a
LEFT JOIN actor_marks AS m ON m.actor_id = a.actor_id;

-- One row per LLM call: the tokens and cost of the response, the model of its request.
CREATE VIEW llm_calls AS
SELECT run_id, seq, agent, model, prompt_tokens, completion_tokens, cost_usd, duration_ms,
       finish_reason, created_at, workspace_id, source
FROM agent_events WHERE event_type = 'llm_response';

-- One row per tool call: from traces, and from audit logs when no trace has the call.
CREATE VIEW tool_calls AS
SELECT 'trace' AS origin, run_id, seq, agent, tool, duration_ms, error, created_at,
       workspace_id, source
FROM agent_events WHERE event_type = 'tool_call_end'
UNION ALL
SELECT 'audit', NULL, NULL, actor_id, entity_id, TRY_CAST(details ->> '$.duration_ms' AS DOUBLE),
       details ->> '$.error', created_at, workspace_id, source
FROM activity WHERE action = 'agent.tool_call' AND starts_with(id, 'audit:');

-- One row per run: failed when the session, workflow or a task says so,
-- incomplete without a session_end (still running, or killed).
CREATE VIEW agent_runs AS
SELECT run_id,
       CASE WHEN bool_or(status = 'failed' AND event_type IN ('session_end', 'workflow_end', 'task_end'))
            THEN 'failed'
            WHEN bool_or(event_type = 'session_end') THEN 'completed'
            ELSE 'incomplete' END AS status,
       min(created_at) AS started_at, max(created_at) AS ended_at,
       (epoch_us(max(created_at)) - epoch_us(min(created_at))) / 1000.0 AS duration_ms,
       list(DISTINCT agent ORDER BY agent) FILTER (WHERE agent IS NOT NULL) AS agents,
       count(*) FILTER (WHERE event_type = 'llm_response') AS llm_calls,
       count(*) FILTER (WHERE event_type = 'tool_call_end') AS tool_calls,
       count(*) FILTER (WHERE event_type = 'tool_call_end' AND error IS NOT NULL) AS tool_errors,
       coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
       coalesce(sum(completion_tokens), 0) AS completion_tokens,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       any_value(workspace_id) AS workspace_id, any_value(source) AS source
FROM agent_events GROUP BY run_id;
