"""Incidents and notices: what ``aa_bursts`` reports, over what the detector judged.

**Notices are not alarms.** A first-seen notice (kind ``new_actor``: an id
first seen a day or more after its workspace began) is reported once, whatever
its score; it belongs to no incident and is counted apart.

**Incidents.** Alarms of one workspace whose episodes (``episode_start`` to
``episode_end``: where the actor's touching flags began and ended, beside the
window that tells it) overlap or touch in time (a person's merge train, the
web-flow bot merging it and a release bot) are one incident:

* a workspace's alarms are taken in the order their episodes begin (by
  ``episode_start``, then ``episode_end``, actor and kind); an alarm whose
  episode begins at or before the latest episode end of those before it joins
  their incident (overlapping or touching, and so transitively), otherwise it
  opens a new one;
* the incident's id is the workspace and the start of its first episode:
  ``<workspace_id>@<YYYY-MM-DDTHH:MM:SSZ>`` (UTC). Ids are unique in a store:
  each incident begins after every alarm before it has ended.

**Why by start.** An alarm is known by its workspace, actor, kind and episode start
(``alerts.BURST_KEY``): its end and score grow while it goes on, so its end
cannot order alarms for good (a cron run in the middle of a merge train sees
the bot's alarm end before the person's; the next run, after it). Alarms
that begin later only join an incident or open a new one, so an incident's
id does not change when events are appended, except in two cases, both of an
alarm raised late or still growing: one whose stretch starts before the
incident's first alarm but is flagged after it (a clock hour, or an agent's
3-hour window, once filled) gives the incident that earlier start; one whose
end grows past the start of the next incident merges the two under the
earlier id. Ids kept for good need the verdicts kept in the store (issue 34,
item 2). ``members`` counts the incident's alarms so far (it grows while the
incident goes on).

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
_ORDER = 'episode_start, episode_end, actor_id NULLS FIRST, kind'


def reported(judged: str) -> str:
    """The bursts reported from ``judged`` (a table expression: every alarm and notice
    the detector judged, unfiltered), with ``incident`` and ``members``, chosen by the
    macro arguments ``since``, ``ws``, ``atype`` and ``kinds``, in the report's order."""
    return f"""
        WITH judged AS (SELECT * FROM {judged}),
        chained AS (   -- a new incident where an alarm begins after every alarm before it has ended
            SELECT * EXCLUDE (reach),
                   sum(CASE WHEN reach IS NULL OR episode_start > reach THEN 1 ELSE 0 END)
                       OVER (PARTITION BY workspace_id ORDER BY {_ORDER} ROWS UNBOUNDED PRECEDING)
                       AS chain
            FROM (SELECT *, max(episode_end) OVER (PARTITION BY workspace_id ORDER BY {_ORDER}
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
                  FROM judged WHERE NOT {_NOTICE})
        ),
        incidents AS (
            SELECT * EXCLUDE (chain),
                   coalesce(workspace_id, '') || '@'
                   || strftime(min(episode_start) OVER (PARTITION BY workspace_id, chain) AT TIME ZONE 'UTC',
                               '%Y-%m-%dT%H:%M:%SZ') AS incident,
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
