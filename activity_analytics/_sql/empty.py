"""Why an analysis found nothing: what each filter alone matches, and the store's span."""

#: one scan of ``events``: how many events match each filter alone and all of them,
#: and the first and last event of the store and of the match
EXPLAIN_EMPTY = """
SELECT count(*) AS stored,
       min(created_at) AS first_event,
       max(created_at) AS last_event,
       count(*) FILTER (WHERE $ws IS NULL OR workspace_id = $ws) AS in_workspace,
       count(*) FILTER (WHERE $act IS NULL OR action = $act) AS with_action,
       count(*) FILTER (WHERE $atype IS NULL OR actor_type = $atype) AS by_actor_type,
       count(*) FILTER (WHERE ($since IS NULL OR created_at >= $since)
                          AND ($until IS NULL OR created_at < $until)) AS in_period,
       count(*) FILTER (WHERE ($ws IS NULL OR workspace_id = $ws)
                          AND ($act IS NULL OR action = $act)
                          AND ($atype IS NULL OR actor_type = $atype)
                          AND ($since IS NULL OR created_at >= $since)
                          AND ($until IS NULL OR created_at < $until)) AS matching
FROM events
"""

#: a few values of a column of ``events`` that exist, most frequent first (for "did you mean")
def known_values(column: str) -> str:
    return f"SELECT {column} FROM events WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 5"


#: PraisonAI's agent events stored, and their span (an agents analysis that is empty)
AGENT_SPAN = "SELECT count(*), min(created_at), max(created_at) FROM agent_events"
