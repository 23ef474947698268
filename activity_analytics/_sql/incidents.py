"""Incidents and notices: what ``aa_bursts`` reports, over what the detector judged.

**Notices are not alarms.** A first-seen notice (kind ``new_actor``: an id
first seen a day or more after its workspace began) is reported once, whatever
its score; it belongs to no incident and is counted apart.

**Incidents.** Alarms of one workspace that overlap or touch in time (a
person's merge train, the web-flow bot merging it and a release bot) are one
incident. The rule has to hold for a verdict given as the data arrives, so an
incident's id never changes when later events come:

* an alarm can first be raised at its ``end`` (its stretch is judged on the
  events up to its end), so a workspace's alarms are taken in that order (by
  ``end``, then ``start``, actor and kind);
* an alarm that begins at or before the end of the alarm taken just before it
  joins that alarm's incident (overlapping or touching, and so transitively
  along the chain); otherwise it opens a new incident;
* the incident's id is the workspace and the start of the alarm that opened
  it: ``<workspace_id>@<YYYY-MM-DDTHH:MM:SSZ>``. Ids are unique in a store
  (each new incident begins after every alarm before it has ended).

Later alarms only join incidents or open new ones, so appending events never
renames an incident an earlier run reported (a store cut at any time gives
the same ids to every alarm that had ended by then). An alarm whose stretch
was still going on when a run saw it (it ends after the store's last event)
is not final, as its own verdict is not: an alarm that ends before it may
arrive and open the incident it joins. The price of the rule: a long alarm
raised late (a 3-hour runaway) that reaches back over two earlier incidents
joins the later one; the two are not merged, as merging would rename one that
was already reported. ``members`` counts the incident's alarms so far (it
grows while the incident goes on).

Incidents are formed over every alarm judged (all workspaces, actor types and
times up to ``until``), before ``since``, workspace, actor type and kind
choose what is reported, so a window, a filter and the whole store give an
alarm the same incident. (``act``, the action filter, is applied by the
detector itself: incidents are formed from the alarms with events of that
action.) Runs in DuckDB; Spark's runs too, after Spark's scan (one text).
"""

from __future__ import annotations

#: kinds that are first-seen notices, not alarms (reported once, in no incident)
NOTICE_KINDS = ("new_actor",)
#: every kind ``aa_bursts`` reports: the detector's alarms, runaway LLM spend, and notices
ALARM_KINDS = ("rapid_succession", "runaway_agent", "off_hours", "workspace_spike", "runaway_spend")
#: what the ``kinds`` argument takes: a kind, or all alarms, or all notices
KIND_CHOICES = ("alarms", "notices", *ALARM_KINDS, *NOTICE_KINDS)

_NOTICE = "kind IN (" + ", ".join(f"'{k}'" for k in NOTICE_KINDS) + ")"
_ORDER = '"end", start, actor_id NULLS FIRST, kind'


def reported(judged: str) -> str:
    """The bursts reported from ``judged`` (a table expression: every alarm and notice
    the detector judged, unfiltered), with ``incident`` and ``members``, chosen by the
    macro arguments ``since``, ``ws``, ``atype`` and ``kinds``, in the report's order."""
    return f"""
        WITH judged AS (SELECT * FROM {judged}),
        chained AS (   -- a new incident where an alarm begins after the one before it ended
            SELECT * EXCLUDE (prev_end),
                   sum(CASE WHEN prev_end IS NULL OR start > prev_end THEN 1 ELSE 0 END)
                       OVER (PARTITION BY workspace_id ORDER BY {_ORDER} ROWS UNBOUNDED PRECEDING)
                       AS chain
            FROM (SELECT *, lag("end") OVER (PARTITION BY workspace_id ORDER BY {_ORDER}) AS prev_end
                  FROM judged WHERE NOT {_NOTICE})
        ),
        incidents AS (
            SELECT * EXCLUDE (chain),
                   coalesce(workspace_id, '') || '@'
                   || strftime(first_value(start) OVER (PARTITION BY workspace_id, chain ORDER BY {_ORDER})
                               AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS incident,
                   count(*) OVER (PARTITION BY workspace_id, chain) AS members
            FROM chained
            UNION ALL BY NAME
            SELECT *, NULL::VARCHAR AS incident, NULL::BIGINT AS members FROM judged WHERE {_NOTICE}
        )
        SELECT * FROM incidents
        WHERE (since IS NULL OR "end" > since::TIMESTAMPTZ) AND (ws IS NULL OR workspace_id = ws)
          AND (atype IS NULL OR actor_type = atype)
          AND (kinds IS NULL OR kind = kinds OR (kinds = 'alarms' AND NOT {_NOTICE})
               OR (kinds = 'notices' AND {_NOTICE}))
        ORDER BY start, workspace_id, actor_id NULLS FIRST, kind
    """
