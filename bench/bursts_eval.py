"""Labelled evaluation of ``bursts`` against two baselines, per family of
ordinary behaviour, with families and seeds held out of any tuning.

Each family (``_sample.FAMILIES``: office hours, jitter, day-to-day pace,
weekend work, cron agents; held out: part-timers, shifts and time zones,
joiners and days off, bursty agents, a release day) is generated twice per
seed: with nothing injected, where every alarm is false (reported per 100
actor-weeks), and with 10 anomalies of each kind at varied sizes. Scored:

* ``bursts`` at its default sensitivity;
* a fixed threshold: an actor with more than N events in one minute;
* a per-actor hourly z-score: an hour more than Z standard deviations above
  that actor's mean hourly count.

A detection is right when it overlaps an injected anomaly of the same actor
(for a workspace spike: the same workspace, and no actor), and for
``bursts`` of the same kind. Targets: F1 >= 0.95 overall, every kind found
at least 9 times in 10.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import polars as pl

import activity_analytics as aa
from activity_analytics._anomalies import KINDS, inject
from activity_analytics._sample import SampleSpec, generate_events, write_jsonl

from . import agent_hours
from ._common import machine, save

SLACK_US = 5 * 60_000_000
FIXED_PER_MINUTE = 5
Z_THRESHOLD = 4.0

FIXED_SQL = f"""
WITH m AS (
    SELECT workspace_id, actor_id, time_bucket(INTERVAL 1 MINUTE, created_at) AS start, count(*) AS n
    FROM events GROUP BY ALL
)
SELECT workspace_id, actor_id, epoch_us(start) AS start, epoch_us(start) + 60000000 AS "end"
FROM m WHERE n > {FIXED_PER_MINUTE}
"""

ZSCORE_SQL = f"""
WITH h AS (
    SELECT workspace_id, actor_id, date_trunc('hour', created_at) AS hour, count(*) AS n
    FROM events GROUP BY ALL
), span AS (
    SELECT workspace_id, actor_id, min(hour) AS h0, max(hour) AS h1 FROM h GROUP BY ALL
), grid AS (
    SELECT s.workspace_id, s.actor_id, g.hour, coalesce(h.n, 0) AS n
    FROM span AS s, LATERAL generate_series(s.h0, s.h1, INTERVAL 1 HOUR) AS g(hour)
    LEFT JOIN h ON h.workspace_id = s.workspace_id AND h.actor_id = s.actor_id AND h.hour = g.hour
), z AS (
    SELECT *, (n - avg(n) OVER w) / nullif(stddev_pop(n) OVER w, 0) AS z
    FROM grid WINDOW w AS (PARTITION BY workspace_id, actor_id)
)
SELECT workspace_id, actor_id, epoch_us(hour) AS start, epoch_us(hour) + 3600000000 AS "end"
FROM z WHERE z > {Z_THRESHOLD}
"""


def _match(det: pl.DataFrame, truth: pl.DataFrame, *, by_kind: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(detections with a matched flag, truth with a found flag)."""
    det = det.with_row_index("det")
    truth = truth.with_row_index("tid")
    pairs = det.join(truth, on="workspace_id", suffix="_t").filter(
        (pl.col("start") < pl.col("end_t") + SLACK_US)
        & (pl.col("end") > pl.col("start_t") - SLACK_US)
        & (
            (pl.col("actor_id") == pl.col("actor_id_t"))
            | (pl.col("actor_id_t").is_null() & (pl.col("actor_id").is_null() | pl.lit(not by_kind)))
        )
    )
    if by_kind:
        pairs = pairs.filter(pl.col("kind") == pl.col("kind_t"))
    matched = set(pairs["det"].to_list())
    found = set(pairs["tid"].to_list())
    return (
        det.with_columns(matched=pl.col("det").is_in(list(matched))),
        truth.with_columns(found=pl.col("tid").is_in(list(found))),
    )


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


#: What the method may be tuned on: five families (seeds 1, 2), and the five
#: families held out in round 1 on the seeds round 1 reported (101, 102) —
#: once looked at, data is tuning data.
TUNE_FAMILIES = ("office", "jitter", "pace", "weekend", "cron")
TUNE_SEEDS = (1, 2)
ROUND1_FAMILIES = ("parttime", "shifts", "joiner", "bursty_agents", "release")
ROUND1_SEEDS = (101, 102)
#: Round 2's held-out runs, looked at since: tuning data now.
ROUND2_FAMILIES = (*ROUND1_FAMILIES, "nightly")
ROUND2_SEEDS = (201, 202)
#: Round 3's held-out runs (seeds no tuning run had used, and ``scheduled``, a
#: family written before any tuning), looked at twice since: tuning data now.
ROUND3_FAMILIES = (*ROUND2_FAMILIES, "scheduled")
ROUND3_SEEDS = (301, 302)
#: What round 5's figures are reported on: seeds no run of the tuning used, on
#: every family, looked at once, after the change was settled on tuning runs;
#: round 7 added 501-504 (first run blind), as 20 anomalies of a kind per family
#: moved its recall by up to 0.2 from one draw to the next; round 8 added 601-604,
#: run blind once; round 9 added 701-704 and ``reactive`` (agents that only react to
#: people, a family written before its first run), run blind once with no rule changed.
HELD_OUT_FAMILIES = (*ROUND3_FAMILIES, "reactive")
HELD_OUT_SEEDS = (401, 402, 501, 502, 503, 504, 601, 602, 603, 604, 701, 702, 703, 704)
#: first-seen ids: every actor whose first event comes a day or more after its
#: workspace's first; each is a true new_actor (joiners are not false alarms)
FIRST_SEEN_SQL = """
WITH a AS (SELECT workspace_id, actor_id, min(created_at) AS t FROM events
           WHERE actor_id IS NOT NULL GROUP BY ALL)
SELECT 'new_actor' AS kind, workspace_id, actor_id, epoch_us(t) AS start,
       epoch_us(t) + 86400000000 AS "end", 0 AS events
FROM a QUALIFY t >= min(t) OVER (PARTITION BY workspace_id) + INTERVAL 1 DAY
"""
#: what the first, blind look at the held-out runs found, before anything was changed for it
BLIND_LOOK = ("Round 3's one blind look (seeds 301-302 and the new scheduled family): F1 0.93-0.97, "
              "no false alarm in any family, runaway_agent recall 0.5-0.75, off_hours 0.75-1.0. After it, "
              "one change for speed (an actor's usual stretch from disjoint windows, not sliding ones); "
              "the figures since are within 0.05 of the blind ones. Round 2's: seen families F1 0.96-0.98; "
              "nightly F1 0.77 and 18.52 false alarms, fixed after, so nightly is tuning data now. "
              "Round 4 (an agent on a sharp schedule judged slot by slot of the hour off it) was built "
              "on the tuning runs alone (runaway recall 0.65-0.95 before, 0.7-1.0 after, no false alarm), "
              "then run once on 301-302, so a second look: runaway recall there 0.5-0.9. "
              "Round 5 (what an agent did on 3 other days is not a runaway; built on astral-sh/uv and "
              "the tuning runs, where it changed no figure) ran blind on the new seeds 401-402: F1 "
              "0.94-0.99, no false alarm, runaway recall 0.65-0.95, off_hours 0.8-1.0; a second run after "
              "one refinement from encode/httpx (the 3 other days need as many events too) gave the same, "
              "and a third, after a bug fix (the short-window slot test had been off for agents since "
              "round 4), the same again; the fix raised two tuning families' runaway recall by 0.05-0.1. "
              "Round 6 changed the evaluation, not the detector: an actor's injected anomaly now falls "
              "while the actor is there (from its third day to its last), and an off-hours one only on "
              "a person with an hour they never work (nor the hour either side). Before, a joiner could "
              "get an off-hours hour before joining (a first-seen id, not off hours). The draws changed "
              "with it: held-out off_hours 0.8-1.0 to 0.8-0.95, joiner's 0.8 to 0.95; every other "
              "held-out kind within 0.1 of round 5's, no false alarm. "
              "Round 7 made bursts faster without changing a verdict, and fixed the injector's last "
              "label errors: a spike took people there or not (now 8-14 people there at the time); an "
              "off-hours hour could fall where the person already had injected events (now injected "
              "last, at an hour never worked counting every injected event, a different person each "
              "time); a rapid succession could fall at an hour worked once in years (now at an hour "
              "worked on 3 days or more). The draws moved with it by up to 0.2 for a kind (the same "
              "detector), so the held-out runs gained seeds 501-504, run blind. "
              "Round 8 changed no rule: the injector now sizes a runaway by the agent's rate while it is "
              "there, not over the whole store (which moves every later draw), and seeds 601-604 were "
              "added and run once, blind: F1 0.97-0.99, no false alarm but one (an off_hours on joiner), "
              "runaway recall 0.72-0.95 by family, every other kind at least 0.95. "
              "Round 9 changed no rule: seeds 701-704 and a family written before its first run "
              "(reactive: two agents per workspace that only react to people, as CI or triage bots do) "
              "were added and run once, blind. Seeds 701-704 on the seven families: F1 0.91-1.0 per seed, "
              "no false alarm, runaway recall 0.65-1.0 by family. reactive on all 14 held-out seeds: F1 "
              "0.92, no false alarm, runaway recall 0.35, every other kind at least 0.96. Then the "
              "injector stopped labelling a rapid succession at an hour the person works on at most 1 in "
              "20 of their days, weekdays counted apart (off hours by bursts' rule); only the joiner "
              "family's draws moved (held out: rapid_succession 0.95 to 0.99, runaway 0.94 either way).")


def plan(which: str = "all") -> list[tuple[str, tuple[int, ...], bool]]:
    """(family, seeds, held out) rows of an evaluation: ``tuning``, ``held-out`` or ``all``."""
    tuning = [(f, TUNE_SEEDS, False) for f in TUNE_FAMILIES]
    tuning += [(f, ROUND1_SEEDS, False) for f in ROUND1_FAMILIES]
    tuning += [(f, ROUND2_SEEDS, False) for f in ROUND2_FAMILIES]
    tuning += [(f, ROUND3_SEEDS, False) for f in ROUND3_FAMILIES]
    held = [(f, HELD_OUT_SEEDS, True) for f in HELD_OUT_FAMILIES]
    return {"tuning": tuning, "held-out": held, "all": tuning + held}[which]


def _spec(family: str, seed: int) -> SampleSpec:
    return SampleSpec(seed=seed, days=21, workspaces=3, people_per_workspace=12,
                      steady_agents_per_workspace=2, batch_agents_per_workspace=1, family=family)


def _store(events: pl.DataFrame, agents: list[str]) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="bursts-eval-"))
    write_jsonl(events, tmp / "events.jsonl")
    db = tmp / "store.duckdb"
    aa.ingest([tmp / "events.jsonl"], db, progress=False)
    if agents:
        aa.mark_actors(db, agents, "agent")
    return db


def _detections(db: Path) -> dict[str, pl.DataFrame]:
    found = aa.bursts(db).with_columns(
        pl.col("start").dt.epoch("us"), pl.col("end").dt.epoch("us"),
        pl.col("workspace_id").fill_null(""),
    )
    return {"bursts": found, "fixed_per_minute": aa.sql(db, FIXED_SQL),
            "hourly_zscore": aa.sql(db, ZSCORE_SQL), "agent_new_hour": agent_hours.notices(db)}


def runaway_recall_with_notices(found: pl.DataFrame, notices: pl.DataFrame, truth: pl.DataFrame) -> float | None:
    """Runaway recall were ``bursts`` to report ``agent_hours`` notices too (None: none injected)."""
    runaways = truth.filter(pl.col("kind") == "runaway_agent")
    if runaways.is_empty():
        return None
    columns = ["kind", "workspace_id", "actor_id", "start", "end"]
    both = pl.concat([found.filter(pl.col("kind") == "runaway_agent").select(columns),
                      notices.select(columns)])
    return _match(both, runaways, by_kind=True)[1]["found"].mean()


def false_alarms(family: str, seed: int) -> dict:
    """Alarms on activity with nothing injected, per 100 actor-weeks."""
    spec = _spec(family, seed)
    events = generate_events(spec)
    agents = events.filter(pl.col("actor_key").str.contains("agent"))["actor_id"].unique().to_list()
    db = _store(events, agents)
    actor_weeks = events["actor_id"].n_unique() * spec.days / 7
    out = {"actor_weeks": round(actor_weeks, 1)}
    detections = _detections(db)
    shutil.rmtree(db.parent)   # each run's store is used once
    for name, det in detections.items():
        if name == "bursts":  # first-seen notices are counted apart
            out["first_seen_notices"] = det.filter(pl.col("kind") == "new_actor").height
            det = det.filter(pl.col("kind") != "new_actor")
        out[name] = {"alarms": det.height, "per_100_actor_weeks": round(100 * det.height / actor_weeks, 2)}
        if name == "bursts" and det.height:
            out[name]["kinds"] = dict(det.group_by("kind").len().iter_rows())
    return out


def with_first_seen(db: Path, truth: pl.DataFrame) -> pl.DataFrame:
    """``truth`` and every id first seen a day after its workspace began (a true new_actor)."""
    first = aa.sql(db, FIRST_SEEN_SQL)
    injected = truth.filter(pl.col("kind") == "new_actor")["actor_id"]
    return pl.concat([truth, first.filter(~pl.col("actor_id").is_in(injected))
                     .select(truth.columns).cast(truth.schema)])


def score_bursts(found: pl.DataFrame, truth: pl.DataFrame) -> dict:
    """Precision, recall and F1 per kind and overall of ``bursts`` against ``truth``."""
    det, tr = _match(found, truth, by_kind=True)
    # an actor's anomaly flagged under another kind of that actor ("11 events in 60 min" for
    # an injected off-hours hour): found by an analyst, if not named as injected
    _, any_kind = _match(found, truth.filter(pl.col("actor_id").is_not_null()), by_kind=False)
    method = {}
    for kind in KINDS:
        d = det.filter(pl.col("kind") == kind)
        t = tr.filter(pl.col("kind") == kind)
        p = d["matched"].mean() if d.height else 1.0
        # None: none of this kind was injected (a project where 8 people are never there at once)
        r = t["found"].mean() if t.height else None
        a = any_kind.filter(pl.col("kind") == kind)["found"].mean() if kind != "workspace_spike" else r
        method[kind] = {"precision": p, "recall": r, "f1": None if r is None else _f1(p, r),
                        "detections": d.height, "recall_any_kind": a}
    p_all = det["matched"].mean() if det.height else 1.0
    r_all = tr["found"].mean()
    method["overall"] = {"precision": p_all, "recall": r_all, "f1": _f1(p_all, r_all),
                         "detections": det.height}
    return method


DAY_US = 86_400_000_000


def runaway_context(events: pl.DataFrame, truth: pl.DataFrame) -> list[dict]:
    """Each injected runaway as an analyst would weigh it: its length, the agent's
    events in its window and the agent's mean count in the same clock window on
    its other days (0: a time of day it never works), and whether it was found."""
    runaways = truth.filter(pl.col("kind") == "runaway_agent").select(
        "tid", "actor_id", "start", "end", "found", length=pl.col("end") - pl.col("start"))
    inside = (pl.col("t_us") >= pl.col("start")) & (pl.col("t_us") < pl.col("end"))
    same_clock = ((pl.col("t_us") - pl.col("start") % DAY_US) % DAY_US) < pl.col("length")
    return (runaways.join(events.select("actor_id", "t_us"), on="actor_id")
            .group_by("tid", "length", "found")
            .agg(events=inside.sum(), same_window=same_clock.sum() - inside.sum(),
                 days=((pl.col("t_us").max() - pl.col("t_us").min()) / DAY_US - 1).clip(lower_bound=1.0))
            .sort("tid")
            .select(minutes=pl.col("length") // 60_000_000, events=pl.col("events").cast(pl.Int64),
                    own_usual=(pl.col("same_window") / pl.col("days")).round(2), found=pl.col("found"))
            .hstack(_own_windows(events, runaways).select(busier_days="days", own_busiest="typical"))
            .to_dicts())


def _own_windows(events: pl.DataFrame, runaways: pl.DataFrame) -> pl.DataFrame:
    """For each runaway (in ``tid`` order), on each other day the agent worked: ``days`` on
    which it had as many events in a window of the runaway's length (from any of its
    events), and ``typical`` the median over its days of the day's busiest such window.
    A runaway the agent matched on 3 other days is no bigger than its own busy stretches;
    ``typical`` says how far beyond a typical working day's it went."""
    own = (events.select("actor_id", "t_us").sort("actor_id", "t_us")
           .with_columns(i=pl.int_range(pl.len()).over("actor_id")))
    windows = (runaways.select("tid", "actor_id", "start", "end", "length")
               .join(own, on="actor_id")
               .with_columns(inside=((pl.col("t_us") >= pl.col("start")) & (pl.col("t_us") < pl.col("end")))
                             .sum().over("tid"),
                             last=pl.col("t_us") + pl.col("length") - 1)
               .sort("last"))
    # the agent's last event in [t, t + length): its index less the window's first is the count - 1
    ends = windows.join_asof(own.sort("t_us").rename({"t_us": "last", "i": "i_last"}), on="last",
                             by="actor_id", strategy="backward", check_sortedness=False)
    per_day = (ends.filter(pl.col("t_us") // DAY_US != pl.col("start") // DAY_US)
               .group_by("tid", pl.col("t_us") // DAY_US)
               .agg(busiest=(pl.col("i_last") - pl.col("i") + 1).max(), inside=pl.col("inside").first()))
    counts = per_day.group_by("tid").agg(days=(pl.col("busiest") >= pl.col("inside")).sum(),
                                         typical=pl.col("busiest").median())
    return (runaways.select("tid").sort("tid").join(counts, on="tid", how="left")
            .select(pl.col("days").fill_null(0), pl.col("typical").fill_null(0.0)))


def no_bigger_than_its_own(row: dict) -> bool:
    """A runaway the agent matched on 3 other days (see ``_own_windows``)."""
    return row["busier_days"] >= 3


def at_least_3x_its_day(row: dict) -> bool:
    """A runaway with at least 3 times the events of the agent's typical working day's busiest
    stretch that long: what the size minimum of issue 22's decision 3 could show, judged
    against the agent's own busy times (decision 5)."""
    return row["events"] >= 3 * max(row["own_busiest"], 1)


def by_size(rows: list[dict]) -> dict:
    """Runaways (rows of :func:`runaway_context`) at least 3x the agent's typical day's busiest
    stretch that long and under it: how many, and the share found."""
    def part(big: bool) -> dict:
        found = [r["found"] for r in rows if at_least_3x_its_day(r) == big]
        return {"runaways": len(found), "recall": round(sum(found) / len(found), 2) if found else None}
    return {"at_least_3x_its_day": part(True), "under_3x_its_day": part(False)}


def runaway_breakdown(rows: list[dict]) -> list[dict]:
    """Recall of runaways by length (at most 30 minutes or longer) and by whether the
    agent ever works at that time of day (own usual under 0.5 events); of those
    missed, how many were no bigger than the agent's own (:func:`no_bigger_than_its_own`) and how many
    were under 3x its typical day's busiest stretch that long."""
    if not rows:
        return []
    df = pl.DataFrame(rows).with_columns(
        length=pl.when(pl.col("minutes") <= 30).then(pl.lit("15-30 min")).otherwise(pl.lit("1-3 h")),
        when=pl.when(pl.col("own_usual") < 0.5).then(pl.lit("a time it never works"))
        .otherwise(pl.lit("a time it works")),
        ratio=pl.col("events") / pl.col("own_usual").clip(lower_bound=0.5),
        own=pl.Series([no_bigger_than_its_own(r) for r in rows]),
        big=pl.Series([at_least_3x_its_day(r) for r in rows]),
    )
    big = pl.col("big")
    return (df.group_by("length", "when").agg(runaways=pl.len(), recall=pl.col("found").mean().round(2),
                                              median_ratio=pl.col("ratio").median().round(1),
                                              missed=(~pl.col("found")).sum(),
                                              missed_within_own_range=(~pl.col("found") & pl.col("own")).sum(),
                                              # missed and under 3x the agent's typical day's busiest
                                              # stretch that long: below the size minimum (3x) of
                                              # issue 22's decision 3 against the agent's own busy times
                                              missed_under_3x_its_day=(~pl.col("found") & ~big).sum(),
                                              # runaways at least 3x that stretch (what decision 3 could
                                              # show), and the share of them found
                                              at_least_3x_its_day=big.sum(),
                                              recall_at_least_3x_its_day=pl.col("found").filter(big).mean()
                                              .round(2),
                                              # of the missed, their events over the agent's typical
                                              # day's busiest stretch that long (median)
                                              missed_times_typical_day=(pl.col("events") / pl.col("own_busiest")
                                                                        .clip(lower_bound=1))
                                              .filter(~pl.col("found")).median().round(1))
            .sort("length", "when").to_dicts())


def run_seed(seed: int, per_kind: int, family: str = "office") -> dict:
    data = inject(_spec(family, seed), per_kind=per_kind, seed=seed)
    db = _store(data.events, data.agents)
    truth = with_first_seen(db, data.truth)
    out: dict = {"seed": seed, "family": family}
    dets = _detections(db)
    shutil.rmtree(db.parent)   # each run's store is used once
    out["bursts"] = score_bursts(dets["bursts"], truth)
    _, found = _match(dets["bursts"], truth, by_kind=True)
    out["runaways"] = runaway_context(data.events, found)
    out["runaway_with_notices"] = runaway_recall_with_notices(dets["bursts"], dets["agent_new_hour"], truth)
    for name in ("fixed_per_minute", "hourly_zscore"):
        det, tr = _match(dets[name], truth, by_kind=False)
        base = {kind: {"recall": tr.filter(pl.col("kind") == kind)["found"].mean()} for kind in KINDS}
        p = det["matched"].mean() if det.height else 1.0
        r = tr["found"].mean()
        base["overall"] = {"precision": p, "recall": r, "f1": _f1(p, r), "detections": det.height}
        out[name] = base
    return out


def _family_row(family: str, seeds: tuple[int, ...], per_kind: int) -> dict:
    runs = [run_seed(s, per_kind, family) for s in seeds]
    clean = [false_alarms(family, s) for s in seeds]
    row: dict = {"family": family, "seeds": list(seeds)}
    for method in ("bursts", "fixed_per_minute", "hourly_zscore"):
        kinds = {k: round(sum(r[method][k]["recall"] for r in runs) / len(runs), 2) for k in KINDS}
        overall = {k: round(sum(r[method]["overall"][k] for r in runs) / len(runs), 2)
                   for k in ("precision", "recall", "f1")}
        weeks = sum(c["actor_weeks"] for c in clean)
        fa = round(100 * sum(c[method]["alarms"] for c in clean) / weeks, 2)
        row[method] = {**overall, "recall_by_kind": kinds, "false_alarms_per_100_actor_weeks": fa}
    row["bursts"]["recall_any_kind"] = {
        k: round(sum(r["bursts"][k]["recall_any_kind"] for r in runs) / len(runs), 2) for k in KINDS}
    row["bursts"]["precision_by_kind"] = {
        k: round(sum(r["bursts"][k]["precision"] for r in runs) / len(runs), 2) for k in KINDS}
    row["bursts"]["false_alarm_kinds"] = {
        k: sum(c["bursts"].get("kinds", {}).get(k, 0) for c in clean) for k in KINDS}
    row["runaways"] = [r for run in runs for r in run["runaways"]]
    row["runaway_by_size"] = by_size(row["runaways"])
    # each seed's own figures: seeds added in a later round are reported apart (run blind)
    row["by_seed"] = {str(r["seed"]): {"f1": round(r["bursts"]["overall"]["f1"], 2),
                                       **{k: r["bursts"][k]["recall"] for k in KINDS}} for r in runs}
    # what an "agent at an hour it never runs" notice would add (bench/agent_hours.py)
    row["agent_new_hour"] = {
        "runaway_recall_with_notices": round(sum(r["runaway_with_notices"] for r in runs) / len(runs), 2),
        "notices_per_100_actor_weeks": round(
            100 * sum(c["agent_new_hour"]["alarms"] for c in clean) / sum(c["actor_weeks"] for c in clean), 2)}
    return row


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench bursts")
    parser.add_argument("--per-kind", type=int, default=10)
    parser.add_argument("--only", choices=("tuning", "held-out", "all"), default="all",
                        help="tuning runs only (what to iterate on), held-out only, or both")
    parser.add_argument("--families", nargs="+", help="only these families")
    args = parser.parse_args(argv)
    rows = []
    for family, seeds, held_out in plan(args.only):
        if args.families and family not in args.families:
            continue
        row = _family_row(family, seeds, args.per_kind)
        row["held_out"] = held_out
        rows.append(row)
        b, z, f = row["bursts"], row["hourly_zscore"], row["fixed_per_minute"]
        print(f"{family:14s} {seeds} {'held-out' if held_out else 'tuning  '} bursts F1 {b['f1']:.2f} "
              f"P {b['precision']:.2f} R {b['recall']:.2f} FA/100aw {b['false_alarms_per_100_actor_weeks']:6.2f} "
              f"| z-score F1 {z['f1']:.2f} FA {z['false_alarms_per_100_actor_weeks']:6.2f} "
              f"| fixed F1 {f['f1']:.2f} FA {f['false_alarms_per_100_actor_weeks']:6.2f} "
              f"| recall by kind {b['recall_by_kind']} | with new-hour notices: runaway "
              f"{row['agent_new_hour']['runaway_recall_with_notices']}, notices/100aw (clean) "
              f"{row['agent_new_hour']['notices_per_100_actor_weeks']}", flush=True)
    held = [r for r in rows if r["held_out"]]
    summary: dict = {"machine": machine(), "per_kind": args.per_kind,
                     "tune_families": list(TUNE_FAMILIES), "tune_seeds": list(TUNE_SEEDS),
                     "round1_families": list(ROUND1_FAMILIES), "round1_seeds": list(ROUND1_SEEDS),
                     "round2_families": list(ROUND2_FAMILIES), "round2_seeds": list(ROUND2_SEEDS),
                     "round3_families": list(ROUND3_FAMILIES), "round3_seeds": list(ROUND3_SEEDS),
                     "held_out_families": list(HELD_OUT_FAMILIES), "held_out_seeds": list(HELD_OUT_SEEDS),
                     "blind_look": BLIND_LOOK,
                     "families": rows}
    if held:
        summary["held_out"] = {
            method: {
                "f1": round(sum(r[method]["f1"] for r in held) / len(held), 2),
                "false_alarms_per_100_actor_weeks": round(
                    sum(r[method]["false_alarms_per_100_actor_weeks"] for r in held) / len(held), 2),
                "worst_recall_by_kind": {k: min(r[method]["recall_by_kind"][k] for r in held) for k in KINDS},
            }
            for method in ("bursts", "fixed_per_minute", "hourly_zscore")
        }
        summary["held_out"]["bursts"]["worst_recall_any_kind"] = {
            k: min(r["bursts"]["recall_any_kind"][k] for r in held) for k in KINDS}
        summary["held_out"]["agent_new_hour"] = {
            "worst_runaway_recall_with_notices": min(r["agent_new_hour"]["runaway_recall_with_notices"]
                                                     for r in held),
            "worst_notices_per_100_actor_weeks": max(r["agent_new_hour"]["notices_per_100_actor_weeks"]
                                                     for r in held)}
        print("held-out:", summary["held_out"])
    for name, subset in (("tuning", [r for r in rows if not r["held_out"]]), ("held_out", held)):
        summary[f"runaways_{name}"] = runaway_breakdown([x for r in subset for x in r.pop("runaways")])
        print(f"runaways, {name}:", summary[f"runaways_{name}"])
    if args.only == "all" and not args.families:  # a partial run does not replace the figures
        save("bursts", summary)
    return summary
