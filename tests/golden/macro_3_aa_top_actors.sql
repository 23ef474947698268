CREATE OR REPLACE MACRO aa_top_actors
        (n := 10, since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        SELECT actor_type, rank, actor_id, name, events, share, first_seen, last_seen
        FROM (
            SELECT e.actor_type, e.actor_id, coalesce(any_value(m.note), any_value(ag.name)) AS name,
                   count(*) AS events,
                   count(*) / sum(count(*)) OVER (PARTITION BY e.actor_type) AS share,
                   min(e.created_at) AS first_seen, max(e.created_at) AS last_seen,
                   row_number() OVER (PARTITION BY e.actor_type
                                      ORDER BY count(*) DESC, e.actor_id) AS rank
            FROM aa_events(since := since, until := until, ws := ws, act := act, atype := atype) AS e
            LEFT JOIN actor_marks AS m USING (actor_id)
            LEFT JOIN agents AS ag ON ag.id = e.actor_id AND ag.workspace_id = e.workspace_id
            GROUP BY e.actor_type, e.actor_id
        )
        WHERE rank <= n
        ORDER BY actor_type, rank
