CREATE OR REPLACE MACRO aa_spend_bursts
        (sensitivity := 1.0, since := NULL, until := NULL, ws := NULL) AS TABLE
        WITH calls AS (
            SELECT coalesce(m.same_as, e.agent) AS who, e.workspace_id, e.created_at, e.cost_usd
            FROM agent_events AS e LEFT JOIN actor_marks AS m ON m.actor_id = e.agent
            WHERE e.event_type = 'llm_response' AND e.agent IS NOT NULL AND e.cost_usd > 0
        ),
        hours AS (
            SELECT who, workspace_id, date_trunc('hour', created_at) AS hour,
                   count(*) AS calls, sum(cost_usd) AS cost
            FROM calls GROUP BY ALL
        ),
        usual AS (
            SELECT h.who, h.workspace_id, count(*) AS active_hours, median(h.cost) AS cost,
                   (SELECT median(c.cost_usd) FROM calls AS c
                    WHERE c.who = h.who AND c.workspace_id IS NOT DISTINCT FROM h.workspace_id) AS per_call
            FROM hours AS h GROUP BY ALL
        ),
        scored AS (
            SELECT h.*, u.cost AS expected, u.per_call,
                   CASE WHEN h.cost > u.cost
                        THEN ((h.cost / u.per_call) * ln(h.cost / u.cost)
                              - h.cost / u.per_call + u.cost / u.per_call) / ln(10)
                        ELSE 0 END AS score
            FROM hours AS h JOIN usual AS u
              ON u.who = h.who AND u.workspace_id IS NOT DISTINCT FROM h.workspace_id
            WHERE u.active_hours >= 6
              AND (since IS NULL OR h.hour + INTERVAL 1 HOUR > since::TIMESTAMPTZ)
              AND (until IS NULL OR h.hour < until::TIMESTAMPTZ)
              AND (ws IS NULL OR h.workspace_id = ws)
        )
        SELECT workspace_id, who AS actor_id, 'agent' AS actor_type, 'runaway_spend' AS kind,
               hour AS start, hour + INTERVAL 1 HOUR AS "end", calls::HUGEINT AS events,
               round(expected, 4) AS expected, round(score, 1) AS score,
               'agent ' || who || ': $' || round(cost, 4) || ' on ' || calls || ' LLM calls in an hour, '
               || 'about $' || round(expected, 4) || ' usual (' || round(cost / expected) || 'x)' AS reason
        FROM scored
        WHERE cost >= 5.0 * expected / sensitivity
          AND score >= 6.0 / sensitivity
          AND calls >= 3
