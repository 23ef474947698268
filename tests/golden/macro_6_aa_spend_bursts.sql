CREATE OR REPLACE MACRO aa_spend_bursts
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
            WHERE active_hours >= 6
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
        WHERE cost >= 5.0 * expected / sensitivity
          AND score >= 6.0 / sensitivity
          AND calls >= 3
