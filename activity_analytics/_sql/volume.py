"""Bursts' volume first (issue 34, decision 1): no rule may excuse volume.

A part of bursts' stage 2 (``bursts.BURSTS_STAGE2``), after ``hour_expected`` and
``agent_windows``. For each agent and each stretch length bursts tests (15, 30 and 60
minutes from every active 5-minute slot; an agent's 3 hours), the agent's largest count
in a stretch of that length on any earlier day: a running max over its own days, busy
stretches, schedule and hours of the day included. A stretch with at least
``VOLUME_RATIO`` times that many events (and ``MIN_EVENTS``), once the agent has
``VOLUME_DAYS`` days behind it, is flagged as ``runaway_agent``, whatever its clumps,
slots or schedule. A person's too (at the 15, 30 and 60 minutes, against its busiest on
its days before, ``hist``), once it has ``WARM_UP_DAYS`` days with activity: a batchy
person's burst is otherwise judged in its clumps, and at an hour it has not worked
lately on too few days for "never works then", 6x its busiest would pass; its kind is
the hour's (rapid succession, or off hours). The verdict reads only events of that day
up to the stretch's end and of the days before, so a later event never changes it; it
is a fixed per-stretch rule, outside the Benjamini-Hochberg adjustment (which depends
on every window of the store).
Its ``expected`` is that running max. Earlier days, not earlier stretches: the running
max is then taken over a small table (agents x days), not over every stretch (a
running max with a RANGE frame over every stretch cost bursts 3x its time).
"""

from __future__ import annotations

from .kept import before, fresh
from .scores import MIN_EVENTS, VOLUME_DAYS, VOLUME_RATIO, WARM_UP_DAYS, kl

#: the stretches from every active slot (``stretch``'s e15.. columns): minutes
_LENS = (15, 30, 60)

_BEFORE = ", ".join(f"max(m{n}) OVER w AS b{n}" for n in (*_LENS, 180))

_CANDIDATES = "\n        UNION ALL\n        ".join(
    f"SELECT s.ak, s.slot AS start, s.slot + INTERVAL {n} MINUTE AS \"end\", s.slot AS hour_of, "
    f"s.e{n} AS events, b.b{n} AS before FROM volume_stretch AS s JOIN volume_before AS b "
    f"ON b.ak = s.ak AND b.day = s.day WHERE s.e{n} >= {VOLUME_RATIO} * b.b{n}" for n in _LENS)

#: ... and a person's, on the few days whose busiest stretch of a length is that many times its busiest before
#: (the day's busiest only narrows the days to look at: a stretch that passes makes its day pass, so the
#: verdict is still the stretch's own events against the days before, whatever came later that day)
_PEOPLE = "\n        UNION ALL\n        ".join(
    f"SELECT s.ak, s.slot, s.slot + INTERVAL {n} MINUTE, s.slot, s.e{n}, p.b{n} FROM stretch AS s "
    f"JOIN volume_people AS p ON p.ak = s.ak AND p.day = date_trunc('day', s.slot) "
    f"WHERE s.e{n} >= {VOLUME_RATIO} * p.b{n}" for n in _LENS)

VOLUME = f"""    volume_stretch AS (   -- an agent's stretches (agents only are judged: the slot's type code 0)
        SELECT ak, date_trunc('day', slot) AS day, slot, {', '.join(f'e{n}' for n in _LENS)}
        FROM stretch WHERE type_code = 0
    ),
    volume_long AS (   -- and its 3 hours (ending at each of its active hours)
        SELECT ak, date_trunc('day', start) AS day, start, "end", events FROM agent_windows WHERE hours = 3
    ),
    volume_days AS (   -- per agent and day: its largest stretch of each length that day
        SELECT ak, day, max(m15) AS m15, max(m30) AS m30, max(m60) AS m60, max(m180) AS m180
        FROM (SELECT ak, day, e15 AS m15, e30 AS m30, e60 AS m60, NULL::BIGINT AS m180 FROM volume_stretch
              UNION ALL
              SELECT ak, day, NULL, NULL, NULL, events FROM volume_long)
        WHERE {fresh('day')}
        GROUP BY ALL
        UNION ALL BY NAME
        {before('bursts_kept_volume', 'day')}
    ),
    volume_before AS (   -- ... and on the days before (a running max over its days: causal)
        SELECT ak, day, {_BEFORE}
        FROM volume_days
        WINDOW w AS (PARTITION BY ak ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    volume_people AS (   -- a person's days with a stretch several times its busiest of that length on its
                         -- days before (``hist``), a week of days behind it
        SELECT ak, day, b15, b30, b60 FROM hist
        WHERE actor_type <> 'agent' AND history_days >= {WARM_UP_DAYS} AND {fresh('day', 'f')}
          AND (d15 >= {VOLUME_RATIO} * b15 OR d30 >= {VOLUME_RATIO} * b30 OR d60 >= {VOLUME_RATIO} * b60)
    ),
    volume_windows AS (   -- the stretches several times larger than any of that length before
        {_CANDIDATES}
        UNION ALL
        {_PEOPLE}
        UNION ALL
        SELECT s.ak, s.start, s."end", s."end" - INTERVAL 1 HOUR, s.events, b.b180
        FROM volume_long AS s JOIN volume_before AS b ON b.ak = s.ak AND b.day = s.day
        WHERE s.events >= {VOLUME_RATIO} * b.b180
    ),
    volume AS (   -- volume first: several times the actor's largest stretch of that length before
                  -- it, with days of history behind it, is flagged whatever the other rules say;
                  -- scored by the tail bound with the running max as expected (in clumps)
        SELECT v.ak, a.wk, h.actor_type, h.kind, v.start, v."end", v.events, v.before::DOUBLE AS expected,
               NULL::BIGINT AS slots, NULL::DOUBLE AS slots_expected,
               {kl('v.events / h.clump', 'v.before / h.clump')} AS raw,
               NULL::BIGINT AS actors, NULL::DOUBLE AS actors_expected
        FROM volume_windows AS v JOIN who AS a USING (ak)
        JOIN hour_expected AS h ON h.ak = v.ak AND h.start = date_trunc('hour', v.hour_of)
        WHERE v.before > 0 AND v.events >= {MIN_EVENTS} / sensitivity
          AND v.start >= a.first_seen + INTERVAL {VOLUME_DAYS} DAY
    ),
"""
