CREATE OR REPLACE MACRO aa_events
        (since := NULL, until := NULL, ws := NULL, act := NULL, atype := NULL) AS TABLE
        SELECT * FROM events
        WHERE (since IS NULL OR created_at >= since::TIMESTAMPTZ)
          AND (until IS NULL OR created_at < until::TIMESTAMPTZ)
          AND (ws IS NULL OR workspace_id = ws)
          AND (act IS NULL OR action = act)
          AND (atype IS NULL OR actor_type = atype)
