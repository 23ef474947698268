"""Bursts and unusual actors: stretches of activity anomalous for whoever produced them.

The method, per actor and per workspace, all in one SQL macro (``aa_bursts``):

* **Judged as it happened** (``history.py``, issue 34 item 1). A window on day
  D is judged against statistics of the days before D (and, within D, the
  hours before it): a later event never changes a verdict, and the whole
  store, a ``--since``/``--until`` window, a cron run and a run next month
  agree on every window that had ended. An actor is judged from its third
  day; its type is that of its first day.
* **Baselines are the actor's own and aware of the time of day.** For every
  hour of day, weekdays and weekends apart, the actor's usual count is the
  larger of the median over its last 28 days of that kind before (days
  without activity count as zero) and half their mean, floored at 0.05/h.
* **Time of day is smoothed.** An hour is judged with its neighbours, so
  starting or finishing an hour early is ordinary; a weekend hour is also
  judged against that hour on weekdays. "Off hours" needs evidence: an hour
  (and its neighbours) worked on fewer than a quarter of days *and* on at
  most 1 in 20 of the actor's active days in the baseline's 28 days, and at
  least 7 such days (before that, it is judged as a rapid succession).
* **The day sets the pace.** Except at off hours, the expected count is at
  least the actor's mean over its active hours before, that day; a person's
  is not below its usual busy hour, times the pace of the workspace's other
  people since midnight against their usual then.
* **Counts are overdispersed.** Events come in clumps: counts are tested in
  clumps, the median number of events in an active 5 minutes (the median of
  its days'); for an agent, also its dispersion (variance / mean, empty
  windows included) at that scale, so a bot that commits ten at a time once
  a week is not a runaway. An agent is also tested on how many 5-minute
  slots it is active in (binomial, in runs of consecutive slots: a batch
  across a slot boundary is one run): a runaway spreads out, a burst by
  design does not. An agent on a sharp schedule (a cron job at :05) is
  tested on the slots off it. An hour (3 hours) as full as on 3 earlier
  days is its own rhythm, not a runaway.
* **Volume first** (``volume.py``). An agent's stretch (15, 30 or 60 minutes,
  3 hours) with 4 times the events of its largest stretch of that length on
  any earlier day, 2 days after its first event, is a runaway whatever the
  rules above say (clumps, slots, schedule).
* **Peers for short histories (warm-up).** Workspace peers of the actor's
  type give an hour-of-day profile (how often they work then, their
  90th-percentile hour, over their days before); an actor with fewer than 7
  days leans on it by (7 - days) / 7.
* **Several time scales.** Clock hours (and 3-hour sums for agents); 15, 30
  and 60 minutes from every active 5-minute slot, against the hour's rate
  and not below the actor's own usual busy stretch of that length (the
  median of its days' 90th percentiles); 5-minute slots against the median
  of its days' 99th percentiles (rapid succession).
* **First seen.** Every id whose first event comes a day or more after its
  workspace's first is reported once as ``new_actor``, scored by its
  busiest first-day hour against its peers (unadjusted: it is a notice,
  final once its first day is over).
* **Workspace spikes**: 10-minute windows (every 5 minutes) with several
  more people (agents apart) than the workspace has at that hour on its
  days before (empty windows count) and in the hour before, none
  dominating, and far more events. A person busy inside a spike is part of it.
* **One score, a fixed correction.** Each window's tail bound
  (``n ln(n/e) - n + e``, and its binomial and clump versions) bounds
  ``-log10 p``; ``score`` is that less ``log10(100,000)``, about the windows
  a busy actor is tested on in a week: the same whatever else the store
  holds (Benjamini-Hochberg over every window of the store moved every score
  with each later window). Flagged: score at least 1.3, at least 3 times
  what was expected and at least 8 events. Flags of one actor and kind that
  touch make one episode, told by its most surprising window, so the
  reason's numbers are those tested.
* **Filters choose what is reported.** The scan reads every event up to
  ``until``; ``since``, workspace, action and actor type select alarms.

Every step after the scan groups and joins actors by a 64-bit hash of
(workspace, actor id), not by the two strings (which made stage 2 about 40%
slower); should two actors (or workspaces) ever share a hash, the query
fails rather than merge them.

``sensitivity`` (default 1) is the one knob: it divides the score threshold
and the size minimums (2 = flag more, 0.5 = flag less).
"""

from __future__ import annotations

import math

from .history import HISTORY
from .scores import (BASELINE_DAYS, FDR_SCORE, JUDGED_FROM_DAY, MIN_EVENTS, OFF_HOURS_SHARE, RATIO, WARM_UP_DAYS,
                     WINDOWS_PER_ACTOR_WEEK, binomial_kl, kl)
from .reasons import REASON
from .spikes import SPIKES
from .stretches import STRETCH, short_windows
from .volume import VOLUME
from .kept import KEPT_PASSES, REACH, before, fresh


def stage2(prefilter: bool = True, final: str | None = None) -> str:
    """Stage 2 of bursts (see ``_stages``): everything after the scan, over ``s1`` (counts per
    actor and 5 minutes, times in epoch microseconds) and ``kept_reach`` (see ``kept``).
    ``prefilter=False`` leaves out the filters that only save work (windows that cannot pass),
    for a test that they change nothing; ``final``: a last step other than the verdicts (the
    rows ``aa_bursts_keep`` keeps)."""
    return f""",
{REACH}    ev AS MATERIALIZED (   -- inside, times are naive UTC TIMESTAMPs (the output adds the zone)
        SELECT hash(workspace_id, actor_id) AS ak, hash(workspace_id) AS wk, workspace_id, actor_id,
               make_timestamp(slot_us) AS slot,
               CASE last_code % 4 WHEN 0 THEN 'agent' WHEN 1 THEN 'unknown' ELSE 'user' END AS actor_type,
               last_code % 4 AS type_code, n, n_sel,
               make_timestamp(first_us) AS first_at, make_timestamp(last_code // 4) AS last_at
        FROM s1
    ),
    quarter AS MATERIALIZED (   -- events and active 5-minute slots per 15 minutes: the 30-minute and
                                -- hourly sums come from it (15-minute buckets nest in both)
        SELECT ak, time_bucket(INTERVAL 15 MINUTE, slot) AS bucket, sum(n) AS k, count(*) AS slots
        FROM ev GROUP BY ALL
    ),
    hourly AS MATERIALIZED (   -- (with its day as a column: the histories join on it, see hour_scored)
        SELECT ak, date_trunc('hour', bucket) AS hour, sum(k) AS n, sum(slots)::BIGINT AS slots,
               date_trunc('day', date_trunc('hour', bucket)) AS day
        FROM quarter GROUP BY ALL
    ),
    fresh_actor AS (   -- the actors of the events judged (see kept_actor)
        SELECT ak, any_value(wk) AS wk, min(workspace_id) AS workspace_id, min(actor_id) AS actor_id,
               -- two actors with one 64-bit key (odds about 1e-8 among a million actors) would
               -- be merged: refuse rather than answer wrongly (in actor_type, which every step reads).
               -- Its type: that of its busiest 5 minutes on its first day (not of all its history, so
               -- a later event never changes it; actor marks apply to every event alike)
               CASE WHEN min(actor_id) <> max(actor_id) OR min(workspace_id) <> max(workspace_id)
                    THEN error('bursts: two actors share a 64-bit key; please report this')
                    ELSE arg_max(actor_type, [-epoch(date_trunc('day', slot))::BIGINT, n * 4 + type_code]) END
                   AS actor_type,
               min(first_at) AS first_seen
        FROM ev GROUP BY ak
    ),
    kept_actor AS MATERIALIZED ({before('bursts_kept_actors', 'first_seen')}),
    actor AS (   -- those kept (first seen before the reach: their first day is over) and the new ones;
                 -- a new one with a kept one's key is refused, as two in fresh_actor are
        SELECT ak, wk, workspace_id, actor_id, actor_type, first_seen FROM kept_actor
        UNION ALL
        SELECT f.ak, f.wk, f.workspace_id, f.actor_id, f.actor_type, f.first_seen FROM fresh_actor AS f
        WHERE NOT EXISTS (SELECT 1 FROM kept_actor AS k
                          WHERE k.ak = f.ak AND CASE WHEN k.workspace_id = f.workspace_id AND k.actor_id = f.actor_id
                                                     THEN true
                                                     ELSE error('bursts: two actors share a 64-bit key; please report this') END)
    ),
{STRETCH}    span AS (SELECT max(last_at) AS t1 FROM ev),
    wspan AS (   -- each workspace's first event; refuses two workspaces with one key, as
                 -- actor_type does for actors
        SELECT wk, CASE WHEN min(workspace_id) <> max(workspace_id)
                        THEN error('bursts: two workspaces share a 64-bit key; please report this')
                        ELSE min(first_seen) END AS t0
        FROM actor GROUP BY wk
    ),
    who AS (   -- an actor first seen a day or more after its workspace's first event is a newcomer
        SELECT a.*, a.first_seen >= w.t0 + INTERVAL 1 DAY AS newcomer
        FROM actor AS a JOIN wspan AS w USING (wk)
    ),
{HISTORY}    hour_base AS MATERIALIZED (   -- each active hour with its hour-of-day baseline, one row each: the
                                  -- histories join it on actor and day (a plan that joined hbase and a
                                  -- history on the actor alone made 48M rows)
        SELECT h.ak, h.hour, h.day, h.n, h.slots, b.recent_days, b.q75, b.near_days, b.own, b.pace, b.pace_before
        FROM hourly AS h JOIN hbase AS b ON b.ak = h.ak AND b.hour = h.hour
    ),
    hour_scored AS (   -- each active hour against the actor's days before it (history), and the day
                       -- so far: on a busy day every hour is busier (its hours before this one)
        SELECT h.ak, h.hour AS start, h.hour + INTERVAL 1 HOUR AS "end",
               h.n AS events, h.slots, a.actor_type,
               -- an agent's overdispersion is its own (a person's is mostly the time of day,
               -- which the baseline already models)
               CASE WHEN a.actor_type = 'agent' THEN greatest(s.clump, ph.phi) ELSE s.clump END AS clump,
               CASE WHEN a.actor_type = 'agent' THEN greatest(s.run_len, s.slot_phi) ELSE s.run_len END AS run_len,
               s.occupancy, s.history_days, h.recent_days,
               a.newcomer AND h.hour < a.first_seen + INTERVAL 1 DAY AS first_day,
               h.hour >= date_trunc('day', a.first_seen) + INTERVAL {JUDGED_FROM_DAY} DAY AS judged,
               h.q75, h.near_days, h.own, coalesce(ph.usual_events, 0) AS usual_hour, h.pace, h.pace_before,
               coalesce(sum(h.n) OVER d / count(*) OVER d, 0) AS day_rate,
               coalesce(g.busy, 0) AS peer_busy, coalesce(g.active, 0) AS peer_active
        FROM hour_base AS h
        JOIN who AS a ON a.ak = h.ak
        JOIN hist AS s ON s.ak = h.ak AND s.day = h.day
        JOIN dhist AS ph ON ph.ak = h.ak AND ph.day = h.day AND ph.len = 60
        LEFT JOIN peers AS g
               ON g.wk = a.wk AND g.actor_type = a.actor_type AND g.day = s.day AND g.hod = hour(h.hour)
        WINDOW d AS (PARTITION BY h.ak, s.day ORDER BY h.hour ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ),
    hour_kinds AS (   -- a short history (days with activity) leans on the peers' (shrinkage):
                      -- weight (7 - days) / 7; a new actor's first day is in events, not clumps
        SELECT * REPLACE (CASE WHEN first_day THEN 1.0 ELSE clump END AS clump),
               CASE WHEN first_day THEN 'new_actor'
                    WHEN actor_type = 'agent' THEN 'runaway_agent'
                    -- "never works then" needs evidence: at most 1 in 20 of its active days
                    -- touch that hour (or its neighbours), of at least a week of them in the
                    -- baseline's own days (a long history with 3 days in the last 4 weeks has
                    -- no habit to break: its stretch is judged as a rapid succession)
                    WHEN q75 = 0 AND near_days <= greatest(1, {OFF_HOURS_SHARE} * recent_days)
                         AND recent_days >= {WARM_UP_DAYS}
                        THEN 'off_hours'
                    ELSE 'rapid_succession' END AS kind,
               greatest(own, greatest({WARM_UP_DAYS} - history_days, 0) / {WARM_UP_DAYS} * peer_busy)
                   AS usual
        FROM hour_scored
    ),
    hour_expected AS MATERIALIZED (   -- at a person's usual hours, a busy day raises what is expected;
                         -- a new actor's first day is judged against its peers alone; an
                         -- agent's usual clumps at that hour of day are its usual active slots
        SELECT * REPLACE (greatest(occupancy, least(usual / clump / 12, 0.999)) AS occupancy),
               CASE kind WHEN 'new_actor' THEN greatest(peer_busy, 0.05)
                            WHEN 'off_hours' THEN usual
                            -- a person's own rhythm first: not below its usual busy hour, and on a
                            -- busy day (the workspace's others so far) that times the day's pace
                            WHEN 'rapid_succession' THEN greatest(greatest(usual, usual_hour) * greatest(pace, 1), day_rate)
                            ELSE greatest(usual, day_rate) END AS expected,
               -- for a stretch that ends inside the hour: the pace through the hour before
               CASE kind WHEN 'rapid_succession' THEN greatest(greatest(usual, usual_hour) * greatest(pace_before, 1), day_rate)
                         END AS expected_early
        FROM hour_kinds
    ),
    agent_windows AS (   -- agents work every hour: three-hour sums catch a longer, milder runaway
        SELECT ak, actor_type, kind, start - INTERVAL 2 HOUR AS start, "end", clump, run_len, judged,
               avg(occupancy) OVER w AS occupancy, sum(events) OVER w AS events, sum(expected) OVER w AS expected,
               sum(slots) OVER w AS slots, count(*) OVER w AS hours
        FROM hour_expected WHERE kind = 'runaway_agent'
        WINDOW w AS (PARTITION BY ak ORDER BY start
                     RANGE BETWEEN INTERVAL 2 HOUR PRECEDING AND CURRENT ROW)
    ),
    agent_hours AS MATERIALIZED (   -- an agent's clock hours and 3-hour sums busy in more of their 5-minute
                                    -- slots than its time of day's (see tests)
        SELECT * FROM (SELECT ak, actor_type, kind, start, "end", events, expected, slots, occupancy, run_len,
                              1 AS hours FROM hour_expected WHERE kind = 'runaway_agent' AND judged
                       UNION ALL
                       SELECT ak, actor_type, kind, start, "end", events, expected, slots, occupancy, run_len,
                              hours FROM agent_windows WHERE hours = 3 AND judged)
        WHERE slots >= {RATIO} * 12 * hours * occupancy AND slots >= 4 * hours
          AND events >= {MIN_EVENTS} / sensitivity
    ),
    agent_days AS (   -- every hour (3 hours) of the agent, judged or not: its day, active slots and events
        SELECT ak, 1 AS hours, date_trunc('day', start) AS day, slots, events
        FROM hour_expected WHERE kind = 'runaway_agent'
        UNION ALL
        SELECT ak, 3, date_trunc('day', start), slots, events FROM agent_windows WHERE hours = 3
    ),
    agent_days_all AS (   -- kept before the reach, judged now from it
        {before('bursts_kept_agent_days', 'day')}
        UNION ALL BY NAME
        SELECT * FROM agent_days WHERE {fresh('day')}
    ),
    agent_novel AS (   -- its own rhythm first: what it did on 3 earlier days (as many slots and events) is no runaway
        SELECT h.* FROM agent_hours AS h
        LEFT JOIN agent_days_all AS d
               ON d.ak = h.ak AND d.hours = h.hours AND d.slots >= h.slots AND d.events >= h.events
              AND d.day < date_trunc('day', h.start)
        GROUP BY ALL HAVING count(DISTINCT d.day) < 3
    ),
{short_windows(prefilter)}{VOLUME}    tests AS (   -- the windows big enough to flag (at least 3x expected and 8 events), with
                 -- their one-sided tail bound (raw score, -log10 p); every window tested,
                 -- big or not, counts in m (see tested). ``slots``: an agent's active 5-minute
                 -- slots, for the windows judged on them (their reason speaks of slots)
        SELECT ak, actor_type, kind, start, "end", events, expected, NULL::BIGINT AS slots,
               NULL::DOUBLE AS slots_expected,
               {kl('events / clump', 'expected / clump')} AS raw
        FROM hour_expected
        WHERE events >= {RATIO} * expected AND events >= {MIN_EVENTS} / sensitivity
          AND kind <> 'new_actor' AND judged
        UNION ALL
        SELECT ak, actor_type, kind, start, "end", events, expected, NULL, NULL,
               {kl('events / clump', 'expected / clump')}
        FROM agent_windows
        WHERE hours = 3 AND judged AND events >= {RATIO} * expected AND events >= {MIN_EVENTS} / sensitivity
        UNION ALL
        SELECT ak, actor_type, kind, start, "end", events, expected, NULL, NULL,
               {kl('events / clump', 'expected / clump')}
        FROM short_windows
        WHERE events >= {RATIO} * expected AND events >= {MIN_EVENTS} / sensitivity
        UNION ALL   -- and in its slots, for an agent
        SELECT ak, actor_type, kind, start, "end", events, expected, slots, len / 5 * occupancy,
               {binomial_kl('slots / run_len', 'len / 5', 'occupancy / run_len')}
        FROM short_windows
        WHERE kind = 'runaway_agent' AND slots >= {RATIO} * len / 5 * occupancy AND slots >= 4
          AND len >= 30   -- 3 slots in 15 minutes are two of a bursty agent's bursts
          AND events >= {MIN_EVENTS} / sensitivity AND NOT scheduled
        UNION ALL   -- an agent on a sharp schedule, off it: its slots off the schedule (its
                    -- slots on it counted as active, which errs towards not flagging)
        SELECT ak, actor_type, kind, start, "end", events, expected, slots, on_slots + off_expected,
               {binomial_kl('(slots - on_slots) / run_len', 'len / 5 - on_slots', 'off_expected / (len / 5 - on_slots) / run_len')}
        FROM short_windows
        WHERE scheduled AND kind = 'runaway_agent'
          AND slots >= {RATIO} * (on_slots + off_expected) AND slots >= 4 AND len >= 30
          AND len / 5 - on_slots >= 2 AND events >= {MIN_EVENTS} / sensitivity
        UNION ALL   -- an agent busy in more of its 5-minute slots than it ever is: a runaway
                    -- that spreads out, which an agent working in bursts by design does not
        SELECT ak, actor_type, kind, start, "end", events, expected, slots, 12 * hours * occupancy,
               {binomial_kl('slots / run_len', '12 * hours', 'occupancy / run_len')}
        FROM agent_novel
        UNION ALL   -- 5-minute slots against the actor's own busiest (its days' 99th percentiles before)
        SELECT s.ak, a.actor_type,
               CASE WHEN a.actor_type = 'agent' THEN 'runaway_agent' ELSE 'rapid_succession' END,
               s.slot, s.slot + INTERVAL 5 MINUTE, s.n, h.slot_expected, NULL, NULL,
               {kl('s.n', 'h.slot_expected')}
        FROM ev AS s JOIN who AS a USING (ak) JOIN hist AS h ON h.ak = s.ak AND h.day = date_trunc('day', s.slot)
        WHERE s.n >= {MIN_EVENTS} / sensitivity AND s.n >= {RATIO + 1} * h.slot_expected
          AND s.slot >= date_trunc('day', a.first_seen) + INTERVAL {JUDGED_FROM_DAY} DAY
    ),
{SPIKES}    candidates AS (   -- only windows big enough, whose raw score could pass, need scoring
        SELECT t.ak, a.wk, t.actor_type, t.kind, t.start, t."end", t.events, t.expected, t.slots,
               t.slots_expected, t.raw, NULL::BIGINT AS actors, NULL::DOUBLE AS actors_expected
        FROM tests AS t JOIN who AS a USING (ak)
        WHERE {f't.raw >= {FDR_SCORE} / sensitivity' if prefilter else 'true'}
        UNION ALL
        SELECT NULL::UBIGINT, wk, NULL::VARCHAR, 'workspace_spike', start, start + INTERVAL 10 MINUTE,
               events, expected, NULL, NULL, raw, actors, actors_expected
        FROM spike_tests WHERE {f'raw >= {FDR_SCORE} / sensitivity' if prefilter else 'true'}
    ),
    flagged AS (   -- a fixed correction per window (the same whatever else the store holds, so a verdict
                   -- never moves with later windows): score = raw - log10(windows of a busy actor-week)
        SELECT * FROM (SELECT *, raw - {math.log10(WINDOWS_PER_ACTOR_WEEK)} AS score FROM candidates)
        WHERE score >= {FDR_SCORE} / sensitivity
    ),
    fresh_flags AS (   -- the windows flagged now (those that end after the reach: the others are kept),
                       -- and each first-seen actor's first-day hours
        SELECT * FROM (SELECT ak, wk, actor_type, kind, start, "end", events, expected, slots, slots_expected, raw,
                              score, actors, actors_expected, false AS volume FROM flagged
                       UNION ALL BY NAME   -- volume first: a fixed per-stretch rule, scored by its own tail bound
                       SELECT *, raw AS score, true AS volume FROM volume
                       UNION ALL BY NAME
                       SELECT a.wk, h.ak, 'new_actor' AS kind, greatest({kl('h.events', 'h.expected')}, 0) AS score,
                              h.actor_type, h.start, h."end", h.events, h.expected, false AS volume
                       FROM hour_expected AS h JOIN who AS a USING (ak)
                       WHERE h.kind = 'new_actor')
        WHERE (SELECT r FROM kr) IS NULL OR "end" > (SELECT r FROM kr)
    ),
    judged_flags AS (   -- and those kept, flagged at this sensitivity
        SELECT * FROM fresh_flags
        UNION ALL BY NAME
        SELECT k.* FROM bursts_kept_flags AS k WHERE k."end" <= (SELECT r FROM kr) AND {KEPT_PASSES}
    ),
    flags AS (   -- a person busy during a spike of their workspace is part of it
        SELECT ak, wk, actor_type, kind, start, "end", events, expected, slots, slots_expected, raw, score,
               actors, actors_expected
        FROM judged_flags AS f
        WHERE f.kind NOT IN ('rapid_succession', 'new_actor')
           OR f.kind = 'rapid_succession'
              AND NOT EXISTS (SELECT 1 FROM judged_flags AS s WHERE s.kind = 'workspace_spike' AND s.wk = f.wk
                                                          AND s.start < f."end" AND s."end" > f.start)
    ),
    islands AS (   -- overlapping or touching flags of one actor and kind make one episode (a
                   -- person's off-hours hour and a rapid succession in it are one: the same events)
        SELECT *, sum(CASE WHEN start <= prev_end THEN 0 ELSE 1 END)
                      OVER (PARTITION BY wk, ak, family ORDER BY start, "end") AS island
        FROM (
            SELECT *, max("end") OVER (PARTITION BY wk, ak, family ORDER BY start, "end"
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM (SELECT *, CASE WHEN kind = 'off_hours' THEN 'rapid_succession' ELSE kind END AS family
                  FROM flags)
        )
    ),
    stretches AS (   -- an episode is told by its most surprising window, the stretch that was
                     -- unusual: its numbers (and kind) are the ones tested, so the reason and the score agree.
                     -- Beside it, where the episode began and ended: its flagged stretches of 15 minutes or
                     -- less and the one told (longer windows join an episode, but an hour's from an active
                     -- 5 minutes reaches 55 minutes past its events, an agent's 3 hours two hours before them)
        SELECT * REPLACE (least(episode_start, start) AS episode_start, greatest(episode_end, "end") AS episode_end)
        FROM (SELECT wk, ak, max(score) AS score,
                     min(start) FILTER ("end" <= start + INTERVAL 15 MINUTE) AS episode_start,
                     max("end") FILTER ("end" <= start + INTERVAL 15 MINUTE) AS episode_end,
                     first(COLUMNS(* EXCLUDE (wk, ak, family, island, score, prev_end))
                           ORDER BY raw DESC, start, "end")
              FROM islands GROUP BY wk, ak, family, island)
    ),
    first_seen AS (   -- every id first seen more than a day after its workspace's first event,
                      -- reported once, told by its busiest hour of that day against its peers
                      -- (unadjusted: it is reported whatever its score, which ranks it)
        SELECT wk, ak, kind, score, actor_type, start, "end", events, expected, slots, slots_expected, raw,
               actors, actors_expected
        FROM judged_flags WHERE kind = 'new_actor'
    ),
    counted AS (   -- the events of the filter's action in it (all of them without one)
        SELECT s.*,
               (SELECT sum(e.n_sel) FROM ev AS e   -- (needed for an action filter only)
                WHERE act IS NOT NULL AND e.wk = s.wk
                  AND (s.ak IS NULL OR e.ak = s.ak)
                  AND e.last_at >= s.start AND e.first_at < s."end") AS selected
        FROM (SELECT * FROM stretches
              UNION ALL BY NAME
              SELECT *, start AS episode_start, "end" AS episode_end   -- a notice: its own hour
              FROM (SELECT wk, ak, kind, max(score) AS score,
                           first(COLUMNS(* EXCLUDE (wk, ak, kind, score)) ORDER BY score DESC, start)
                    FROM first_seen GROUP BY wk, ak, kind)) AS s
    ),
    evidence AS (   -- each alarm's day: that of its start (an agent's 3 hours: of its last hour)
        SELECT *, date_diff('minute', start, "end") AS minutes,
               date_trunc('day', CASE WHEN date_diff('minute', start, "end") = 180 THEN "end" - INTERVAL 1 HOUR
                                      ELSE start END) AS day
        FROM counted
    ),
    named AS (   -- with its evidence: the actor's busiest stretch of that length on its days before (events),
                 -- and how many days with activity its baseline stands on (off hours: in its last 4 weeks)
        SELECT c.* EXCLUDE (day, minutes), w.workspace_id, a.actor_id, a.first_seen,
               CASE c.minutes WHEN 5 THEN hs.b5 WHEN 15 THEN hs.b15 WHEN 30 THEN hs.b30 WHEN 60 THEN hs.b60
                              WHEN 180 THEN vb.b180 END::BIGINT AS busiest_before,
               hs.history_days,
               CASE WHEN c.kind = 'off_hours' THEN (SELECT count(*) FROM days_all AS d WHERE d.ak = c.ak
                    AND d.day >= c.day - INTERVAL {BASELINE_DAYS} DAY AND d.day < c.day) END AS recent_days
        FROM evidence AS c
        LEFT JOIN actor AS a ON a.ak = c.ak
        JOIN (SELECT wk, any_value(workspace_id) AS workspace_id FROM actor GROUP BY wk) AS w
          ON w.wk = c.wk
        LEFT JOIN hist AS hs ON hs.ak = c.ak AND hs.day = c.day
        LEFT JOIN volume_before AS vb ON vb.ak = c.ak AND vb.day = c.day
    )
{final or _VERDICTS}"""


_VERDICTS = f"""    SELECT nullif(workspace_id, '') AS workspace_id, actor_id, actor_type, kind,
           timezone('UTC', start) AS start, timezone('UTC', "end") AS "end",
           timezone('UTC', episode_start) AS episode_start, timezone('UTC', episode_end) AS episode_end,
           events, round(expected, 2) AS expected, busiest_before, history_days, round(score, 1) AS score,
{REASON}    FROM named
    -- the filters choose what is reported (the judging saw every event up to ``until``)
    WHERE (since IS NULL OR timezone('UTC', "end") > since::TIMESTAMPTZ)
      AND (ws IS NULL OR workspace_id = ws) AND (atype IS NULL OR actor_type = atype)
      AND (act IS NULL OR selected > 0)   -- (an action filter judges everything again: kept windows have no ev)
    ORDER BY start, workspace_id, actor_id NULLS FIRST, kind
"""


#: what the macros run
BURSTS_STAGE2 = stage2()
