"""Alerting on bursts: which of them a run with the same filter set reported before."""

from __future__ import annotations

#: a burst's identity: where, who, what kind and when its episode began (its end,
#: score and the window that tells it may still change as events arrive, when a
#: more surprising window joins the episode; it stays the same burst). The episode's
#: start moves only if a window told begins before its first short flag (an agent's
#: 3 hours), where the start of the window told moved with every window told.
BURST_KEY = ("concat_ws('|', coalesce(workspace_id, ''), coalesce(actor_id, ''), kind, "
             "strftime(episode_start AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f'))")

#: the bursts of ``_found`` not reported before for ``$filters``, in its order,
#: recorded as reported in the same statement's transaction (see ``_alerts``)
NEW = f"""
CREATE OR REPLACE TEMP TABLE _new AS
SELECT f.* FROM (SELECT *, {BURST_KEY} AS _burst, row_number() OVER () AS _i FROM _found) AS f
WHERE NOT EXISTS (SELECT 1 FROM reported_bursts AS r WHERE r.filters = $filters AND r.burst = f._burst)
ORDER BY _i
"""

RECORD = """
INSERT INTO reported_bursts
SELECT $filters, _burst, workspace_id, actor_id, kind, episode_start, $now FROM _new
ON CONFLICT DO NOTHING
"""
