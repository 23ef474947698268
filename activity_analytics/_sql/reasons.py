"""Bursts' reasons: the sentence an analyst reads, built from the numbers that were tested.

Each kind speaks of the window its score came from (``stretches`` in ``bursts``), so
the reason's counts, expectation and ratio are the ones the score was computed on.
"""

from __future__ import annotations

#: SQL over ``named`` (bursts' last step): the ``reason`` column
REASON = """           CASE kind
               WHEN 'new_actor' THEN 'new ' || coalesce(actor_type, 'actor') || ' ' || actor_id
                    || ': first seen ' || strftime(first_seen, '%a %d %b %H:%M') || ' UTC; busiest hour of its first day '
                    || events || ' events, about ' || round(expected, 1) || ' for its peers (' ||
                    round(events / greatest(expected, 0.05), 1) || 'x)'
               WHEN 'workspace_spike' THEN actors || ' actors at once in ' ||
                    coalesce(nullif(workspace_id, ''), '?') || ': ' || events || ' events in ' ||
                    date_diff('minute', start, "end") || ' min, about ' || round(actors_expected) ||
                    ' actors usual'
               WHEN 'off_hours' THEN actor_type || ' ' || actor_id || ': ' || events ||
                    ' events at an hour it never works (' || strftime(start, '%a %H:%M') || ' UTC)'
               WHEN 'runaway_agent' THEN actor_type || ' ' || actor_id || ': ' || CASE
                    WHEN slots IS NOT NULL THEN 'active in ' || slots || ' of ' ||
                         date_diff('minute', start, "end") // 5 || ' 5-minute slots, about ' ||
                         round(slots_expected, 1) || ' usual (' ||
                         round(slots / greatest(slots_expected, 0.05), 1) || 'x), ' || events || ' events'
                    ELSE events || ' events in ' || date_diff('minute', start, "end") || ' min, about ' ||
                         round(expected, 1) || ' expected (' ||
                         round(events / greatest(expected, 0.05), 1) || 'x)' END
               ELSE actor_type || ' ' || actor_id || ': ' || events || ' events in ' ||
                    date_diff('minute', start, "end") || ' min, about ' || round(expected, 1) ||
                    ' expected (' || round(events / greatest(expected, 0.05), 1) || 'x)'
           END AS reason
"""
