"""Bursts' time scales: the 15, 30 and 60 minutes from every active 5-minute slot.

A part of bursts' stage 2 (``bursts.BURSTS_STAGE2``). ``STRETCH`` comes after
``ev``: one sort of each actor's active slots gives every stretch's events and
active slots (``stretch``, also read by the workspace spikes and ``history``).
``short_windows`` comes after ``hour_expected`` and ``history``'s ``dhist``: the
stretches that could pass (``stretch_candidates``), judged against the hour's
rate and the actor's own usual stretch on the days before (``short_windows``,
tested in ``tests``), with an agent on a sharp schedule (as of the days before)
tested on the slots off it (``schedule``, ``schedule_slots``).
"""

from __future__ import annotations

from .scores import MIN_EVENTS, RATIO

#: the stretches tested from every active 5-minute slot: minutes, and the slots after the first
_LENS = {15: 2, 30: 5, 60: 11}


def _within(after: int, events: bool) -> str:
    """SQL: a stretch's events (else active slots): its first slot and the next ones at most ``after``
    slots later (``s1``, ``n1``..: the next active slots, their counts; the k-th is k or more slots on)."""
    return " + ".join(["n" if events else "1"] + [f"CASE WHEN s{k} <= si + {after} THEN {f'n{k}' if events else 1} "
                                                  "ELSE 0 END" for k in range(1, after + 1)])


def _frames() -> str:
    """SQL: each stretch's events (``e15``..) and active slots (``k15``..)."""
    return ", ".join(f"{_within(after, True)} AS e{len_}, {_within(after, False)} AS k{len_}"
                     for len_, after in _LENS.items())


def _leads() -> str:
    """SQL: the next active slots of the actor (``s1``..) and their counts (``n1``..), as many as
    the longest stretch can hold after its first."""
    return ", ".join(f"lead(si, {k}) OVER w AS s{k}, lead(n, {k}) OVER w AS n{k}"
                     for k in range(1, max(_LENS.values()) + 1))


def _long(stretch: str) -> str:
    """SQL: ``stretch`` one row per slot and length (``len``, ``events``, ``slots``)."""
    return " UNION ALL ".join(f"SELECT ak, slot, {len_} AS len, e{len_} AS events, k{len_} AS slots FROM {stretch}"
                              for len_ in _LENS)


STRETCH = f"""    stretch AS MATERIALIZED (   -- events (e) and active slots (k) in the 15, 30 and 60 minutes from each
                                -- active slot, and the gap since the previous: 60 minutes hold at most 12
                                -- slots, so the next 11 active slots of the actor (in one sort) say all
        SELECT ak, wk, type_code, slot, n, si - prev_si AS gap, {_frames()},
               -- its events in the 10 minutes from this slot (workspace spikes)
               n + CASE WHEN s1 = si + 1 THEN n1 ELSE 0 END AS n10
        FROM (SELECT ak, wk, type_code, slot, n, si, lag(si) OVER w AS prev_si,
                     {_leads()}
              FROM (SELECT ak, wk, type_code, slot, n, epoch(slot)::BIGINT // 300 AS si FROM ev)
              WINDOW w AS (PARTITION BY ak ORDER BY si))
    ),
"""

#: the stretches that could pass one of the tests (see ``tests`` in bursts): a necessary condition
#: only, so it saves work and changes no verdict (a test runs bursts without it and compares)
_COULD_PASS = f"""w.events >= {MIN_EVENTS} / sensitivity
          AND (w.events >= {RATIO} * u.usual_events
               OR (w.len >= 30 AND w.slots >= 4 AND w.ak IN (SELECT ak FROM actor WHERE actor_type = 'agent')
                   AND CASE WHEN ss.ak IS NULL THEN w.slots >= {RATIO} * u.usual_slots
                            ELSE w.slots >= {RATIO} * (ss.on_slots + ss.off_expected)
                                 AND w.len / 5 - ss.on_slots >= 2 END))"""

#: ``hist``'s active slots before the day at each 5-minute slot of the hour (p0..p11), and as shares
_POS = ", ".join(f"p{p}" for p in range(12))
_POS_P = ", ".join(f"(p{p} + 0.5) / (hours + 1)" for p in range(12))


def short_windows(prefilter: bool = True) -> str:
    """The CTEs from ``schedule`` to ``short_windows``; ``prefilter=False`` tests every stretch
    (for tests: the same alarms, with much more work)."""
    return f"""    schedule AS (   -- an agent on a sharp schedule as of each day (a 5-minute slot of the hour active in
                    -- half of its 48+ active hours before that day): how often each slot of the hour is
                    -- active when it works
        SELECT ak, day, list_value({_POS_P}) AS pos_p
        FROM hist
        WHERE actor_type = 'agent' AND hours >= 48 AND greatest({_POS}) >= 0.5 * hours
    ),
    schedule_slots AS (   -- for each stretch length and slot of the hour it starts at: the slots it covers
                          -- on the schedule (active in a quarter of its hours), and how many of the others
                          -- are usually active (see short_windows)
        SELECT ak, day, len, pos, len(list_filter(covered, lambda p: p >= 0.25)) AS on_slots,
               list_sum(list_filter(covered, lambda p: p < 0.25)) AS off_expected
        FROM (SELECT sc.ak, sc.day, l.len, p.pos,
                     list_transform(range(l.len // 5), lambda i: sc.pos_p[(p.pos + i) % 12 + 1]) AS covered
              FROM schedule AS sc, (SELECT unnest([15, 30, 60]) AS len) AS l, range(12) AS p(pos))
    ),
    stretch_candidates AS MATERIALIZED (   -- only stretches that could pass (see tests): at least 3x
                                           -- their usual in events, or an agent's in slots (on a
                                           -- schedule, in the slots off it), with the schedule's slots
        SELECT w.*, u.usual_events, u.usual_slots, u.phi, ss.on_slots, ss.off_expected, ss.ak IS NOT NULL AS scheduled
        FROM ({_long('stretch')}) AS w
        JOIN dhist AS u ON u.ak = w.ak AND u.len = w.len AND u.day = date_trunc('day', w.slot)
        LEFT JOIN schedule_slots AS ss
               ON ss.ak = w.ak AND ss.day = u.day AND ss.len = w.len AND ss.pos = minute(w.slot) // 5
        WHERE {_COULD_PASS if prefilter else 'true'}
    ),
    short_windows AS (   -- 15, 30 and 60 minutes from each active 5-minute slot: a short runaway or
                         -- rush (7x for 15 minutes) is diluted in its clock hour; judged against
                         -- the start hour's expected rate, in clumps or by the dispersion at that
                         -- scale, whichever is larger; ``slots``: how many of its 5-minute slots
                         -- are active (a runaway spreads out)
        SELECT w.ak, h.actor_type, h.kind, w.slot AS start, w.slot + to_minutes(w.len) AS "end",
               w.len, w.events, w.slots,
               -- the actor's own rhythm first: not below its usual busy stretch of that length
               -- (a stretch that ends inside its hour, at the pace known before that hour)
               greatest(CASE WHEN w.slot + to_minutes(w.len) < h."end" THEN coalesce(h.expected_early, h.expected)
                             ELSE h.expected END * w.len / 60, w.usual_events) AS expected,
               CASE WHEN h.actor_type = 'agent' THEN greatest(h.clump, w.phi) ELSE h.clump END AS clump,
               h.run_len,
               least(greatest(h.occupancy, w.usual_slots / (w.len / 5)), 0.999) AS occupancy,
               -- on a sharp schedule (see schedule_slots), its slots on and off it
               w.scheduled, w.on_slots, w.off_expected
        FROM stretch_candidates AS w   -- (with its day's history: one join here, so no plan joins two
                                       -- per-actor tables on the actor alone)
        JOIN hour_expected AS h ON h.ak = w.ak AND h.start = date_trunc('hour', w.slot)
        WHERE h.kind <> 'new_actor' AND h.judged
    ),
"""
