"""The ``agents`` analysis and runaway spend, over ``agent_events`` (replay
traces) and the audit-log tool calls no trace holds.

An agent is its PraisonAI name, or the id its actor mark's ``same_as``
gives (so an agent that also works through the Platform is one actor).

An agent failed a run when one of its tasks failed, or, when it had no
task, when the run's session or workflow failed.
"""

from __future__ import annotations

from .stages import DUCKDB, only_asked

# Buckets as integer microseconds, as the other analyses count them (time_bucket
# on TIMESTAMPTZ costs seconds on 10M rows); a timestamp again at the end.
_EVERY_US = "epoch_us(every::INTERVAL)"


def _bucket(created_at: str) -> str:
    return f"CASE WHEN every IS NULL THEN NULL ELSE {DUCKDB.floor(f'epoch_us({created_at})', _EVERY_US)} END"

_FILTERS = "since := NULL, until := NULL, ws := NULL, agent_name := NULL"



def _where(t: str = "") -> str:
    """The period and workspace filters, on the columns of alias ``t`` (e.g. ``"a."``)."""
    return f"""(since IS NULL OR {t}created_at >= since::TIMESTAMPTZ)
              AND (until IS NULL OR {t}created_at < until::TIMESTAMPTZ)
              AND (ws IS NULL OR {t}workspace_id = ws)"""

#: ``aa_agents(per := NULL, every := NULL, since, until, ws, agent_name)``:
#: one row per agent (and per model or tool with ``per``, per bucket with ``every``: a
#: ``model`` or ``tool`` column, and ``bucket``, only then).
#: Plain aggregates over the agent's events (its LLM or tool calls only, with
#: ``per``); failures from the few failed runs and tasks; runs are distinct run ids.
AGENTS = f"""
        (per := NULL, every := NULL, {_FILTERS}) AS TABLE
        WITH ev AS NOT MATERIALIZED (
        SELECT coalesce(m.same_as, e.agent) AS who, e.run_key AS rk, e.event_type, e.status,
               e.error, e.prompt_tokens, e.completion_tokens, e.cost_usd, e.duration_ms,
               {_bucket('e.created_at')} AS bucket,
               CASE per WHEN 'model' THEN e.model WHEN 'tool' THEN e.tool END AS item
        FROM agent_events AS e LEFT JOIN actor_marks AS m ON m.actor_id = e.agent
        WHERE {_where('e.')}
    ),
    audit AS NOT MATERIALIZED (   -- tool calls only an audit log has (the rest were matched at
                                  -- ingest): the tool_calls view's, one definition of them
        SELECT coalesce(m.same_as, t.agent) AS who, NULL::UBIGINT AS rk,
               'tool_call_end' AS event_type, NULL AS status, t.error,
               NULL::BIGINT AS prompt_tokens, NULL::BIGINT AS completion_tokens,
               NULL::DOUBLE AS cost_usd, t.duration_ms,
               {_bucket('t.created_at')},
               CASE per WHEN 'tool' THEN t.tool END
        FROM tool_calls AS t LEFT JOIN actor_marks AS m ON m.actor_id = t.agent
        WHERE t.origin = 'audit' AND {_where('t.')}
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
    SELECT {only_asked('bucket', 'model', 'tool')}   -- bucket, model or tool: only when asked for
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
"""

_SPEND_RATIO = 5.0  # an hour's cost at least this many times the agent's usual hour
_SPEND_SCORE = 6.0  # and this surprising (in units of its usual call's cost)
_SPEND_MIN_HOURS = 6  # hours with LLM calls the agent needs before it is judged
_SPEND_MIN_CALLS = 3  # calls in the hour, so one expensive call is not a runaway


#: ``aa_spend_bursts(sensitivity := 1.0, since, until, ws)``: an agent's cost
#: per hour far above its own usual, in the columns of ``aa_bursts``. The
#: usual hour is the median cost of the agent's hours with LLM calls before
#: it (causal, issue 34 item 1: a later call never changes a verdict, and
#: calls after ``until`` are not read); the score is a Poisson tail bound on
#: the hour's cost counted in the median of its earlier hours' median call
#: cost, so it reads like the other bursts' scores.
SPEND_BURSTS = f"""
        (sensitivity := 1.0, since := NULL, until := NULL, ws := NULL) AS TABLE
        WITH calls AS (
            SELECT coalesce(m.same_as, e.agent) AS who, e.workspace_id, e.created_at, e.cost_usd
            FROM agent_events AS e LEFT JOIN actor_marks AS m ON m.actor_id = e.agent
            WHERE e.event_type = 'llm_response' AND e.agent IS NOT NULL AND e.cost_usd > 0
              AND (until IS NULL OR e.created_at < until::TIMESTAMPTZ)
        ),
        hours AS (
            SELECT who, workspace_id, date_trunc('hour', created_at) AS hour,
                   count(*) AS calls, sum(cost_usd) AS cost, median(cost_usd) AS call_cost
            FROM calls GROUP BY ALL
        ),
        usual AS (   -- the agent's hours before this one
            SELECT *, count(*) OVER w AS active_hours, median(cost) OVER w AS expected,
                   median(call_cost) OVER w AS per_call, max(cost) OVER w AS top_before
            FROM hours
            WINDOW w AS (PARTITION BY who, workspace_id ORDER BY hour ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        ),
        scored AS (
            SELECT *,
                   CASE WHEN cost > expected
                        THEN ((cost / per_call) * ln(cost / expected)
                              - cost / per_call + expected / per_call) / ln(10)
                        ELSE 0 END AS score
            FROM usual
            WHERE active_hours >= {_SPEND_MIN_HOURS}
              AND (since IS NULL OR hour + INTERVAL 1 HOUR > since::TIMESTAMPTZ)
              AND (ws IS NULL OR workspace_id = ws)
        )
        SELECT workspace_id, who AS actor_id, 'agent' AS actor_type, 'runaway_spend' AS kind,
               hour AS start, hour + INTERVAL 1 HOUR AS "end",
               hour AS episode_start, hour + INTERVAL 1 HOUR AS episode_end, calls::HUGEINT AS events,
               round(expected, 4) AS expected, NULL::BIGINT AS busiest_before, NULL::BIGINT AS history_days,
               round(score, 1) AS score,
               'agent ' || who || ': $' || round(cost, 4) || ' on ' || calls || ' LLM calls in an hour, '
               || 'about $' || round(expected, 4) || ' usual; its costliest hour before: $' || round(top_before, 4)
               || ' (' || active_hours || ' hours with calls)' AS reason
        FROM scored
        WHERE cost >= {_SPEND_RATIO} * expected / sensitivity
          AND score >= {_SPEND_SCORE} / sensitivity
          AND calls >= {_SPEND_MIN_CALLS}
"""
