"""Bursts' reasons: the sentence an analyst reads, built from the numbers that were tested.

Each kind speaks of the window its score came from (``stretches`` in ``bursts``), so
the reason's counts and expectation are the ones the score was computed on, in one
unit, events (issue 34, item 4): the events in the stretch, the events expected, and
its evidence: the actor's busiest stretch of that length on the days before it and
how many days with activity its baseline stands on. An agent judged on its 5-minute
slots says so too, beside its events. Where the episode's flags began before the
window told or went on more than 15 minutes after it (``episode_start``,
``episode_end``), the reason ends with that span.
"""

from __future__ import annotations


def _num(x: str) -> str:
    """SQL: a count people read: whole from 10, one decimal from 1, two below (0.05, not 0.1)."""
    # printf, not round(): DuckDB versions round a double's last half differently (8.85 -> 8.8 or 8.9)
    return f"printf(CASE WHEN {x} >= 10 THEN '%.0f' WHEN {x} >= 1 THEN '%.1f' ELSE '%.2f' END, {x})"


_MIN = 'date_diff(\'minute\', start, "end")'
_WHO = "actor_type || ' ' || actor_id || ': '"
#: events in the stretch against those expected
_EVENTS = f"events || ' events in ' || {_MIN} || ' min, about ' || {_num('expected')} || ' expected'"
#: the evidence behind the baseline
_EVIDENCE = (f"'; its busiest ' || {_MIN} || ' min before: ' || coalesce(busiest_before::VARCHAR, 'none') || "
             "' (' || coalesce(history_days, 0) || ' days of history)'")

#: where the episode's flags began and ended, when they began before the window told or
#: went on more than 15 minutes after it (a 15-minute stretch from the told window's last
#: active 5 minutes reaches 10 minutes past it: not worth a word)
_EPISODE = ("CASE WHEN episode_start < start OR episode_end > \"end\" + INTERVAL 15 MINUTE THEN '; one episode, flagged ' || "
            "strftime(episode_start, '%a %H:%M') || '-' || CASE WHEN date_trunc('day', episode_end) = "
            "date_trunc('day', episode_start) THEN strftime(episode_end, '%H:%M') "
            "ELSE strftime(episode_end, '%a %H:%M') END || ' UTC' ELSE '' END")

#: SQL over ``named`` (bursts' last step): the ``reason`` column
REASON = f"""           CASE kind
               WHEN 'new_actor' THEN 'new ' || coalesce(actor_type, 'actor') || ' ' || actor_id
                    || ': first seen ' || strftime(first_seen, '%a %d %b %H:%M') || ' UTC; busiest hour of its first day '
                    || events || ' events, about ' || {_num('expected')} || ' for its peers'
               WHEN 'workspace_spike' THEN actors || ' actors at once in ' ||
                    coalesce(nullif(workspace_id, ''), '?') || ': ' || events || ' events in ' ||
                    {_MIN} || ' min, about ' || {_num('expected')} || ' expected, about ' ||
                    round(actors_expected) || ' actors usual'
               WHEN 'off_hours' THEN {_WHO} || events || ' events at an hour it never works (' ||
                    strftime(start, '%a %H:%M') || ' UTC; ' || recent_days || ' active days in the 4 weeks before), about ' ||
                    {_num('expected')} || ' expected' || {_EVIDENCE}
               WHEN 'runaway_agent' THEN {_WHO} || {_EVENTS} || CASE
                    WHEN slots IS NOT NULL THEN ', active in ' || slots || ' of ' || {_MIN} // 5 ||
                         ' 5-minute slots (about ' || {_num('slots_expected')} || ' usual)' ELSE '' END || {_EVIDENCE}
               ELSE {_WHO} || {_EVENTS} || {_EVIDENCE}
           END || {_EPISODE} AS reason
"""
