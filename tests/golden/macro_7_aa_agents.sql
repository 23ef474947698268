CREATE OR REPLACE MACRO aa_agents
        (per := NULL, every := NULL, since := NULL, until := NULL, ws := NULL, agent_name := NULL) AS TABLE
        WITH ev AS NOT MATERIALIZED (
        SELECT coalesce(m.same_as, e.agent) AS who, e.run_key AS rk, e.event_type, e.status,
               e.error, e.prompt_tokens, e.completion_tokens, e.cost_usd, e.duration_ms,
               CASE WHEN every IS NULL THEN NULL ELSE (epoch_us(e.created_at) - ((((epoch_us(e.created_at) - 946857600000000) % epoch_us(every::INTERVAL)) + epoch_us(every::INTERVAL)) % epoch_us(every::INTERVAL))) END AS bucket,
               CASE per WHEN 'model' THEN e.model WHEN 'tool' THEN e.tool END AS item
        FROM agent_events AS e LEFT JOIN actor_marks AS m ON m.actor_id = e.agent
        WHERE (since IS NULL OR e.created_at >= since::TIMESTAMPTZ)
              AND (until IS NULL OR e.created_at < until::TIMESTAMPTZ)
              AND (ws IS NULL OR e.workspace_id = ws)
    ),
    audit AS NOT MATERIALIZED (   -- tool calls only an audit log has (the rest were matched at
                                  -- ingest): the tool_calls view's, one definition of them
        SELECT coalesce(m.same_as, t.agent) AS who, NULL::UBIGINT AS rk,
               'tool_call_end' AS event_type, NULL AS status, t.error,
               NULL::BIGINT AS prompt_tokens, NULL::BIGINT AS completion_tokens,
               NULL::DOUBLE AS cost_usd, t.duration_ms,
               CASE WHEN every IS NULL THEN NULL ELSE (epoch_us(t.created_at) - ((((epoch_us(t.created_at) - 946857600000000) % epoch_us(every::INTERVAL)) + epoch_us(every::INTERVAL)) % epoch_us(every::INTERVAL))) END,
               CASE per WHEN 'tool' THEN t.tool END
        FROM tool_calls AS t LEFT JOIN actor_marks AS m ON m.actor_id = t.agent
        WHERE t.origin = 'audit' AND (since IS NULL OR t.created_at >= since::TIMESTAMPTZ)
              AND (until IS NULL OR t.created_at < until::TIMESTAMPTZ)
              AND (ws IS NULL OR t.workspace_id = ws)
          AND (per IS NULL OR per = 'tool')
    ),
    facts AS NOT MATERIALIZED (   -- what is counted for each agent
        SELECT * FROM (SELECT * FROM ev UNION ALL SELECT * FROM audit)
        WHERE who IS NOT NULL AND (agent_name IS NULL OR who = agent_name)
          AND (per IS NULL OR event_type = CASE per WHEN 'model' THEN 'llm_response' ELSE 'tool_call_end' END)
    ),
    tasks AS NOT MATERIALIZED (
        SELECT rk, who, bool_or(status = 'failed') AS failed
        FROM ev WHERE event_type = 'task_end' AND who IS NOT NULL GROUP BY ALL
    ),
    failed_pairs AS NOT MATERIALIZED (   -- (run, agent): a task of the agent failed, or the run failed and it had none
        SELECT rk, who FROM tasks WHERE failed
        UNION
        SELECT f.rk, f.who FROM ev AS f
        SEMI JOIN (SELECT rk FROM ev WHERE who IS NULL AND status = 'failed'
                   AND event_type IN ('session_end', 'workflow_end')) AS r ON r.rk = f.rk
        ANTI JOIN tasks AS t ON t.rk = f.rk AND t.who = f.who
        WHERE f.who IS NOT NULL
    ),
    failed AS NOT MATERIALIZED (
        SELECT who, bucket, item, count(DISTINCT rk) AS failed_runs
        FROM facts AS f SEMI JOIN failed_pairs AS p ON p.rk = f.rk AND p.who = f.who
        GROUP BY ALL
    ),
    counted AS NOT MATERIALIZED (
        SELECT who, bucket, item,
               count(DISTINCT rk) AS runs,
               count(*) FILTER (WHERE event_type = 'llm_response') AS llm_calls,
               count(*) FILTER (WHERE event_type = 'tool_call_end') AS tool_calls,
               count(*) FILTER (WHERE event_type = 'tool_call_end' AND error IS NOT NULL) AS tool_errors,
               coalesce(sum(prompt_tokens), 0)::BIGINT AS prompt_tokens,
               coalesce(sum(completion_tokens), 0)::BIGINT AS completion_tokens,
               round(coalesce(sum(cost_usd), 0), 6) AS cost_usd,
               round(quantile_cont(duration_ms, 0.5) FILTER (WHERE event_type = 'tool_call_end'), 1) AS p50_ms,
               round(quantile_cont(duration_ms, 0.95) FILTER (WHERE event_type = 'tool_call_end'), 1) AS p95_ms
        FROM facts GROUP BY ALL
    )
    SELECT COLUMNS(lambda c: (c <> 'bucket' OR coalesce(every IS NOT NULL, false)) AND (c <> 'model' OR coalesce(per = 'model', false)) AND (c <> 'tool' OR coalesce(per = 'tool', false)))   -- bucket, model or tool: only when asked for
    FROM (
        SELECT CASE WHEN c.bucket IS NOT NULL THEN make_timestamptz(c.bucket) END AS bucket, c.who AS agent,
               CASE per WHEN 'model' THEN c.item END AS model, CASE per WHEN 'tool' THEN c.item END AS tool,
               c.runs, coalesce(f.failed_runs, 0) AS failed_runs,
               c.llm_calls, c.tool_calls, c.tool_errors, c.prompt_tokens, c.completion_tokens, c.cost_usd,
               c.p50_ms, c.p95_ms
        FROM counted AS c
        LEFT JOIN failed AS f ON f.who = c.who AND f.bucket IS NOT DISTINCT FROM c.bucket
                             AND f.item IS NOT DISTINCT FROM c.item
    )
    ORDER BY bucket NULLS FIRST, cost_usd DESC, agent, model NULLS FIRST, tool NULLS FIRST
