"""Bursts' scores: tail bounds as SQL, and the thresholds every kind shares."""

from __future__ import annotations

FDR_SCORE = 1.3  # score a window needs: at most 1 in 20 actor-weeks with a flag by chance
#: a fixed correction for multiplicity, the same for every window whatever else the store holds
#: (causal, unlike Benjamini-Hochberg over every window of the store): score = raw - log10 of this,
#: about the windows a busy agent is tested on in a week (hours, 3 hours, 15/30/60 minutes from
#: each active 5-minute slot, slots)
WINDOWS_PER_ACTOR_WEEK = 100_000
#: an actor is judged from its third day (its first two are all its baseline has), and against its
#: last this many days (that hour of the day)
JUDGED_FROM_DAY = 2
BASELINE_DAYS = 28
#: the day's pace (the workspace's others since midnight against their usual) counts this many
#: events more on both sides, so a quiet hour's few events set no pace
PACE_EVENTS = 10
RATIO = 3.0  # and at least this many times the expected count
MIN_EVENTS = 8  # and at least this many events
SPIKE_EXTRA_ACTORS = 4  # extra distinct actors in a 10-minute window (5 people where 1 is usual)
WARM_UP_DAYS = 7  # an actor's own baseline carries full weight after this many days
#: "never works at this hour": the hour and the hour either side on at most this share of the
#: actor's active days (at least 1 day)
OFF_HOURS_SHARE = 0.05
#: volume first (issue 34, decision 1): a stretch at least this many times the actor's largest of
#: that length before it is flagged whatever the other rules say, once the agent has this many days
#: (tuned on the tuning runs: 3x and 1 day raised people's and early false alarms; agents only, as
#: a person's new busiest stretch is judged by the other rules)
VOLUME_RATIO = 4.0
VOLUME_DAYS = 2


def kl(n: str, e: str) -> str:
    """SQL: Poisson tail bound as a score (-log10 odds), 0 when n <= e."""
    n, e = f"({n})", f"({e})"
    return f"(CASE WHEN {n} > {e} THEN ({n} * ln({n} / {e}) - {n} + {e}) / ln(10) ELSE 0 END)"


def binomial_kl(k: str, n: str, p: str) -> str:
    """SQL: binomial tail bound (``k`` of ``n`` trials, each with chance ``p``) as a score."""
    k, n, p = f"({k})", f"({n})", f"({p})"
    q = f"({k} / {n})"
    return (f"(CASE WHEN {q} > {p} THEN {n} * ({q} * ln({q} / {p}) + CASE WHEN {q} < 1 THEN "
            f"(1 - {q}) * ln((1 - {q}) / (1 - {p})) ELSE 0 END) / ln(10) ELSE 0 END)")
