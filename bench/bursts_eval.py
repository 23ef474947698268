"""Labelled evaluation of ``bursts`` beside two simple baselines, per family of
ordinary behaviour, with families and seeds held out of any tuning.

The data and its labels come from bench/ alone: ``families`` makes each family's
ordinary activity (``_sample.FAMILIES`` and ``scheduled4``), ``inject`` adds the
anomalies and says what it added, in its own terms (nothing here imports the
detector's rules or constants). Each family is generated twice per seed: with
nothing injected, where every alarm is false (reported per 100 actor-weeks), and
with ``--per-kind`` anomalies of each kind. Scored on the same data:

* ``bursts`` at its default sensitivity, as a black box (``aa.bursts``);
* ``seasonal_z``: a robust z-score per actor and hour of week (``baselines``);
* ``spot``: the streaming extreme-value threshold of Siffer et al. (``baselines``).

A detection is right when it overlaps (5 minutes either side) an injected
anomaly of the same actor (for a workspace spike: the same workspace), and for
``bursts`` of the same kind (the baselines have no kinds). Every id first seen a
day after its workspace began is a true ``new_actor`` for ``bursts``; the
baselines, which cannot see a new id, are scored without ``new_actor``, and so is
``bursts`` in the "F1 without new_actor" column. Figures are pooled over a
family's seeds. Runaway recall is split by the label's ``ratio``: the stretch's
events over the agent's largest count in a window that long before it (issue 34:
every runaway of 5x or more found, at least 0.9 of those of 3x or more).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import polars as pl

import activity_analytics as aa
from activity_analytics._sample import write_jsonl

from . import agent_hours, baselines, families
from ._common import machine, save
from .inject import KINDS

SLACK_US = 5 * 60_000_000
METHODS = ("bursts", "seasonal_z", "spot")
BASELINES = ("seasonal_z", "spot")
#: runaway sizes reported apart: at least this many times the agent's largest comparable stretch before it
SIZES = (("at_least_5x", 5.0), ("at_least_3x", 3.0))


def _match(det: pl.DataFrame, truth: pl.DataFrame, *, by_kind: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(detections with a matched flag, truth with a found flag)."""
    det = det.with_row_index("det")
    truth = truth.with_row_index("tid")
    pairs = det.join(truth.select("tid", "kind", "workspace_id", "actor_id", "start", "end"),
                     on="workspace_id", suffix="_t").filter(
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
#: Round 10 (issue 34): ``scheduled4`` (agents that run four times a day, item 1) is tuned
#: on seeds 1 and 2 like every other family's first tuning seeds.
ROUND10_FAMILIES = ("scheduled4",)
ROUND10_SEEDS = (1, 2)
#: What round 5's figures are reported on: seeds no run of the tuning used, on
#: every family, looked at once, after the change was settled on tuning runs;
#: round 7 added 501-504 (first run blind), as 20 anomalies of a kind per family
#: moved its recall by up to 0.2 from one draw to the next; round 8 added 601-604,
#: run blind once; round 9 added 701-704 and ``reactive`` (agents that only react to
#: people, a family written before its first run), run blind once with no rule changed;
#: round 10 added ``scheduled4`` and the injector of bench/inject.py (new draws on every seed).
HELD_OUT_FAMILIES = (*ROUND3_FAMILIES, "reactive", *ROUND10_FAMILIES)
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
              "family's draws moved (held out: rapid_succession 0.95 to 0.99, runaway 0.94 either way). "
              "Round 10 (issue 34, item 7) changed the evaluation, not the detector: the injector left the package for "
              "bench/inject.py, reads no rule or constant of bursts and drops no label by them; a runaway is sized "
              "against the agent's largest stretch of that length before it; the family scheduled4 (agents that run "
              "four times a day, runaways 10-50x their largest run) and two baselines (a seasonal z-score and SPOT) "
              "were added. Every seed's draws changed; the held-out seeds were run once with it.")


def plan(which: str = "all") -> list[tuple[str, tuple[int, ...], bool]]:
    """(family, seeds, held out) rows of an evaluation: ``tuning``, ``held-out`` or ``all``."""
    tuning = [(f, TUNE_SEEDS, False) for f in TUNE_FAMILIES]
    tuning += [(f, ROUND1_SEEDS, False) for f in ROUND1_FAMILIES]
    tuning += [(f, ROUND2_SEEDS, False) for f in ROUND2_FAMILIES]
    tuning += [(f, ROUND3_SEEDS, False) for f in ROUND3_FAMILIES]
    tuning += [(f, ROUND10_SEEDS, False) for f in ROUND10_FAMILIES]
    held = [(f, HELD_OUT_SEEDS, True) for f in HELD_OUT_FAMILIES]
    return {"tuning": tuning, "held-out": held, "all": tuning + held}[which]


def _store(events: pl.DataFrame, agents: list[str]) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="bursts-eval-"))
    write_jsonl(events, tmp / "events.jsonl")
    db = tmp / "store.duckdb"
    aa.ingest([tmp / "events.jsonl"], db, progress=False)
    if agents:
        aa.mark_actors(db, agents, "agent")
    return db


def _bursts(db: Path) -> pl.DataFrame:
    return aa.bursts(db).with_columns(pl.col("start").dt.epoch("us"), pl.col("end").dt.epoch("us"),
                                      pl.col("workspace_id").fill_null(""))


def _agents(events: pl.DataFrame) -> list[str]:
    return events.filter(pl.col("actor_key").str.contains("agent"))["actor_id"].unique().sort().to_list()


def run_baselines(events: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Each baseline's alarms at its tuned settings."""
    return {"seasonal_z": baselines.seasonal_z_alarms(events), "spot": baselines.spot_alarms(events)}


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
    """Alarms on activity with nothing injected (first-seen notices counted apart)."""
    events = families.generate(family, seed)
    db = _store(events, _agents(events))
    found, notices = _bursts(db), agent_hours.notices(db)
    shutil.rmtree(db.parent)   # each run's store is used once
    out = {"actor_weeks": round(events["actor_id"].n_unique() * families.DAYS / 7, 1),
           "first_seen_notices": found.filter(pl.col("kind") == "new_actor").height,
           "agent_new_hour": notices.height}
    found = found.filter(pl.col("kind") != "new_actor")
    out["bursts"] = found.height
    out["bursts_kinds"] = dict(found.group_by("kind").len().iter_rows())
    out.update({name: alarms.height for name, alarms in run_baselines(events).items()})
    return out


def with_first_seen(db: Path, truth: pl.DataFrame) -> pl.DataFrame:
    """``truth`` and every id first seen a day after its workspace began (a true new_actor)."""
    first = aa.sql(db, FIRST_SEEN_SQL)
    injected = truth.filter(pl.col("kind") == "new_actor")["actor_id"]
    first = first.filter(~pl.col("actor_id").is_in(injected)).with_columns(pl.col("events").cast(pl.Int64))
    return pl.concat([truth.with_columns(injected=pl.lit(True)),
                      first.with_columns(injected=pl.lit(False))], how="diagonal_relaxed")


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


def run_seed(seed: int, per_kind: int, family: str = "office") -> dict:
    """One injected run: every truth row with what found it, and each method's detections."""
    data = families.inject(family, seed, per_kind)
    db = _store(data.events, data.agents)
    truth = with_first_seen(db, data.truth).with_row_index("row")
    found, notices = _bursts(db), agent_hours.notices(db)
    shutil.rmtree(db.parent)   # each run's store is used once
    det, tr = _match(found, truth, by_kind=True)
    # an actor's anomaly flagged under another kind of that actor ("11 events in 60 min" for an
    # injected off-hours hour): found by an analyst, if not named as injected
    _, any_kind = _match(found, truth.filter(pl.col("actor_id").is_not_null()), by_kind=False)
    rows = tr.select("row", "kind", "ratio", "when", "injected", bursts="found",
                     minutes=(pl.col("end") - pl.col("start")) // 60_000_000)
    rows = rows.join(any_kind.select("row", any="found"), on="row", how="left").with_columns(
        bursts_any_kind=pl.col("bursts") | pl.col("any").fill_null(False)).drop("any")
    visible = truth.filter(pl.col("kind") != "new_actor")   # what a baseline can see
    detections: dict = {"bursts": {kind: {"detections": det.filter(pl.col("kind") == kind).height,
                                          "matched": int(det.filter(pl.col("kind") == kind)["matched"].sum())}
                                   for kind in KINDS}}
    for name, alarms in run_baselines(data.events).items():
        d, t = _match(alarms, visible, by_kind=False)
        detections[name] = {"detections": d.height, "matched": int(d["matched"].sum())}
        rows = rows.join(t.select("row", pl.col("found").alias(name)), on="row", how="left")
    return {"seed": seed, "family": family, "truth": rows.sort("row").drop("row").to_dicts(),
            "detections": detections,
            "runaway_with_notices": runaway_recall_with_notices(found, notices, truth)}

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


def _share(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 2) if values else None


def by_ratio(rows: list[dict], method: str = "bursts") -> dict:
    """Runaways (truth rows) at least 5x and at least 3x the agent's largest comparable stretch
    before them (the label's ``ratio``), and under 3x: how many, and the share ``method`` found."""
    runaways = [r for r in rows if r["kind"] == "runaway_agent"]
    out = {}
    for name, low in SIZES:
        part = [r[method] for r in runaways if r["ratio"] >= low]
        out[name] = {"runaways": len(part), "recall": _share(part)}
    part = [r[method] for r in runaways if r["ratio"] < 3]
    out["under_3x"] = {"runaways": len(part), "recall": _share(part)}
    return out


def family_figures(runs: list[dict], clean: list[dict]) -> dict:
    """One family's figures, pooled over its seeds."""
    rows = [r for run in runs for r in run["truth"]]
    weeks = sum(c["actor_weeks"] for c in clean)
    out: dict = {}
    for method in METHODS:
        seen = [r for r in rows if r["kind"] != "new_actor"]
        if method == "bursts":
            det = sum(run["detections"]["bursts"][k]["detections"] for run in runs for k in KINDS)
            hit = sum(run["detections"]["bursts"][k]["matched"] for run in runs for k in KINDS)
            det_seen = sum(run["detections"]["bursts"][k]["detections"] for run in runs for k in KINDS
                           if k != "new_actor")
            hit_seen = sum(run["detections"]["bursts"][k]["matched"] for run in runs for k in KINDS
                           if k != "new_actor")
            p, r = (hit / det if det else 1.0), _share([x["bursts"] for x in rows])
            figures = {"precision": round(p, 2), "recall": r, "f1": round(_f1(p, r), 2)}
        else:
            det_seen = sum(run["detections"][method]["detections"] for run in runs)
            hit_seen = sum(run["detections"][method]["matched"] for run in runs)
            figures = {}
        p_seen, r_seen = (hit_seen / det_seen if det_seen else 1.0), _share([x[method] for x in seen])
        figures.update({"precision_without_new_actor": round(p_seen, 2), "recall_without_new_actor": r_seen,
                        "f1_without_new_actor": round(_f1(p_seen, r_seen), 2),
                        "false_alarms_per_100_actor_weeks": round(100 * sum(c[method] for c in clean) / weeks, 2),
                        "recall_by_kind": {k: _share([x[method] for x in rows if x["kind"] == k])
                                           for k in KINDS if method == "bursts" or k != "new_actor"},
                        "runaways": by_ratio(rows, method)})
        out[method] = figures
    b = out["bursts"]
    b["recall_any_kind"] = {k: _share([x["bursts_any_kind"] for x in rows if x["kind"] == k]) for k in KINDS}
    b["precision_by_kind"] = {k: round(sum(run["detections"]["bursts"][k]["matched"] for run in runs)
                                       / max(1, sum(run["detections"]["bursts"][k]["detections"] for run in runs)), 2)
                              for k in KINDS}
    b["runaways_any_kind"] = by_ratio(rows, "bursts_any_kind")
    b["false_alarm_kinds"] = {k: sum(c["bursts_kinds"].get(k, 0) for c in clean) for k in KINDS
                              if any(c["bursts_kinds"].get(k) for c in clean)}
    b["first_seen_notices_clean"] = sum(c["first_seen_notices"] for c in clean)
    out["agent_new_hour"] = {
        "runaway_recall_with_notices": _share([r["runaway_with_notices"] for r in runs]),
        "notices_per_100_actor_weeks": round(100 * sum(c["agent_new_hour"] for c in clean) / weeks, 2)}
    out["actor_weeks_clean"] = round(weeks, 1)
    out["by_seed"] = {str(run["seed"]): _share([x["bursts"] for x in run["truth"]]) for run in runs}
    return out


def runaway_breakdown(rows: list[dict]) -> list[dict]:
    """Runaways by when they begin (the label's ``when``), length (at most 30 minutes or longer)
    and size (the label's ``ratio``: 5x or more, 3-5x, under 3x): how many, and the share each
    method found."""
    if not rows:
        return []
    df = pl.DataFrame([r for r in rows if r["kind"] == "runaway_agent"], infer_schema_length=None)
    if df.is_empty():
        return []
    return (df.with_columns(length=pl.when(pl.col("minutes") <= 30).then(pl.lit("up to 30 min"))
                            .otherwise(pl.lit("over 30 min")),
                            size=pl.when(pl.col("ratio") >= 5).then(pl.lit("5x or more"))
                            .when(pl.col("ratio") >= 3).then(pl.lit("3-5x")).otherwise(pl.lit("under 3x")))
            .group_by("when", "length", "size")
            .agg(runaways=pl.len(), median_ratio=pl.col("ratio").median().round(1),
                 **{m: pl.col(m).mean().round(2) for m in (*METHODS, "bursts_any_kind")})
            .sort("when", "length", "size").to_dicts())


def _family_row(family: str, seeds: tuple[int, ...], per_kind: int) -> tuple[dict, list[dict]]:
    runs = [run_seed(s, per_kind, family) for s in seeds]
    clean = [false_alarms(family, s) for s in seeds]
    return {"family": family, "seeds": list(seeds), **family_figures(runs, clean)}, \
        [r for run in runs for r in run["truth"]]


def _line(row: dict) -> str:
    def cell(method: str) -> str:
        m = row[method]
        run = m["runaways"]
        return (f"{method} F1 {m.get('f1', m['f1_without_new_actor']):.2f} (w/o new {m['f1_without_new_actor']:.2f}) "
                f"FA {m['false_alarms_per_100_actor_weeks']:6.2f} run>=5x {run['at_least_5x']['recall']} "
                f">=3x {run['at_least_3x']['recall']}")
    return " | ".join(cell(m) for m in METHODS)


def markdown(rows: list[dict]) -> str:
    """The report table: each family, bursts beside both baselines."""
    head = ("| family | method | F1 | F1 without new_actor | precision | false alarms per 100 actor-weeks "
            "| runaways at 5x or more: count, recall | at 3x or more | under 3x | "
            + " | ".join(KINDS) + " |")
    lines = [head, "|" + "---|" * (9 + len(KINDS))]
    for row in rows:
        for method in METHODS:
            m = row[method]
            run = m["runaways"]
            kinds = " | ".join("-" if m["recall_by_kind"].get(k) is None else str(m["recall_by_kind"][k])
                               for k in KINDS)
            lines.append(
                f"| {row['family'] if method == 'bursts' else ''} | {method} | {m.get('f1', '-')} "
                f"| {m['f1_without_new_actor']} | {m.get('precision', m['precision_without_new_actor'])} "
                f"| {m['false_alarms_per_100_actor_weeks']} | "
                + " | ".join(f"{run[s]['runaways']}, {'-' if run[s]['recall'] is None else run[s]['recall']}"
                             for s in ("at_least_5x", "at_least_3x", "under_3x"))
                + f" | {kinds} |")
    return "\n".join(lines)


def summarise(rows: list[dict]) -> dict:
    """The worst family's figures of each method (the targets are per family)."""
    out = {}
    for method in METHODS:
        ms = [r[method] for r in rows]
        pooled = {}
        for name in ("at_least_5x", "at_least_3x", "under_3x"):
            count = sum(m["runaways"][name]["runaways"] for m in ms)
            found = sum(m["runaways"][name]["recall"] * m["runaways"][name]["runaways"]
                        for m in ms if m["runaways"][name]["recall"] is not None)
            pooled[name] = {"runaways": count, "recall": round(found / count, 2) if count else None}
        worst_kinds = {k: min(m["recall_by_kind"][k] for m in ms if m["recall_by_kind"].get(k) is not None)
                       for k in KINDS if any(m["recall_by_kind"].get(k) is not None for m in ms)}
        out[method] = {
            "lowest_f1": min(m.get("f1", m["f1_without_new_actor"]) for m in ms),
            "lowest_f1_without_new_actor": min(m["f1_without_new_actor"] for m in ms),
            "highest_false_alarms_per_100_actor_weeks": max(m["false_alarms_per_100_actor_weeks"] for m in ms),
            "runaways": pooled,
            "lowest_runaway_recall_at_least_5x": min((m["runaways"]["at_least_5x"]["recall"] for m in ms
                                                      if m["runaways"]["at_least_5x"]["recall"] is not None),
                                                     default=None),
            "lowest_runaway_recall_at_least_3x": min((m["runaways"]["at_least_3x"]["recall"] for m in ms
                                                      if m["runaways"]["at_least_3x"]["recall"] is not None),
                                                     default=None),
            "worst_recall_by_kind": worst_kinds,
        }
    out["bursts"]["worst_recall_any_kind"] = {
        k: min(r["bursts"]["recall_any_kind"][k] for r in rows if r["bursts"]["recall_any_kind"][k] is not None)
        for k in KINDS}
    return out


def tune_baselines(per_kind: int, families_only: list[str] | None = None) -> dict:
    """Each baseline's settings picked on the tuning runs only: the highest F1 (pooled, every kind
    but new_actor) among those with at most 1 false alarm per 100 actor-weeks on the same runs
    with nothing injected; if none has, the highest F1 (the fewest false alarms would pick a
    baseline that finds almost nothing: ``quietest`` says what it would be)."""
    runs = [(f, s) for f, seeds, _ in plan("tuning") for s in seeds if not families_only or f in families_only]
    tally: dict[tuple, dict] = {}
    weeks = 0.0

    def count(key: tuple, alarms: pl.DataFrame, truth: pl.DataFrame | None) -> None:
        t = tally.setdefault(key, {"detections": 0, "matched": 0, "found": 0, "truth": 0, "false_alarms": 0})
        if truth is None:
            t["false_alarms"] += alarms.height
            return
        d, tr = _match(alarms, truth, by_kind=False)
        t["detections"] += d.height
        t["matched"] += int(d["matched"].sum())
        t["found"] += int(tr["found"].sum())
        t["truth"] += tr.height

    for family, seed in runs:
        data = families.inject(family, seed, per_kind)
        clean = families.generate(family, seed)
        weeks += clean["actor_id"].n_unique() * families.DAYS / 7
        for events, truth in ((data.events, data.truth.filter(pl.col("kind") != "new_actor")), (clean, None)):
            scored = {m: baselines.seasonal_z(events, m) for m in (15, 60)}
            for threshold in baselines.Z_CANDIDATES:
                for windows in baselines.WINDOW_CHOICES:
                    count(("seasonal_z", threshold, windows),
                          baselines.z_alarms([scored[m] for m in windows], threshold), truth)
            for days in baselines.SPOT_CALIBRATION_CHOICES:
                for q in baselines.SPOT_CANDIDATES:
                    flagged = {m: baselines.spot(events, m, q, days) for m in (15, 60)}
                    for windows in baselines.WINDOW_CHOICES:
                        count(("spot", q, windows, days),
                              baselines.episodes(pl.concat([flagged[m] for m in windows])), truth)
        print(f"tuned on {family} {seed}", flush=True)
    out: dict = {"machine": machine(), "benchmark": "the baselines' settings, picked on the tuning runs only",
                 "runs": [f"{f} {s}" for f, s in runs], "per_kind": per_kind}
    for name in BASELINES:
        rows = []
        for key, t in tally.items():
            if key[0] != name:
                continue
            p = t["matched"] / t["detections"] if t["detections"] else 1.0
            r = t["found"] / t["truth"] if t["truth"] else 0.0
            rows.append({"setting": {"threshold": key[1], "windows": list(key[2])} if name == "seasonal_z"
                         else {"q": key[1], "windows": list(key[2]), "calibration_days": key[3]},
                         "f1_without_new_actor": round(_f1(p, r), 3), "precision": round(p, 3), "recall": round(r, 3),
                         "false_alarms_per_100_actor_weeks": round(100 * t["false_alarms"] / weeks, 2)})
        quiet = [r for r in rows if r["false_alarms_per_100_actor_weeks"] <= 1]
        best = max(quiet or rows, key=lambda r: r["f1_without_new_actor"])
        out[name] = {"chosen": best, "met_the_false_alarm_limit": bool(quiet),
                     # for information: the setting with the fewest false alarms, and its F1
                     "quietest": min(rows, key=lambda r: (r["false_alarms_per_100_actor_weeks"],
                                                          -r["f1_without_new_actor"])),
                     "best_five_by_f1": sorted(rows, key=lambda r: -r["f1_without_new_actor"])[:5]}
        print(name, out[name], flush=True)
    if not families_only:
        save("bursts-baselines-tuning", out)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench bursts")
    parser.add_argument("--per-kind", type=int, default=10)
    parser.add_argument("--only", choices=("tuning", "held-out", "all"), default="all",
                        help="tuning runs only (what to iterate on), held-out only, or both")
    parser.add_argument("--families", nargs="+", help="only these families")
    parser.add_argument("--seeds", nargs="+", type=int, help="only these seeds (of the plan's)")
    parser.add_argument("--tune-baselines", action="store_true",
                        help="pick the baselines' settings on the tuning runs (nothing else runs)")
    args = parser.parse_args(argv)
    if args.tune_baselines:
        return tune_baselines(args.per_kind, args.families)
    rows, truth = [], {"tuning": [], "held_out": []}
    for family, seeds, held_out in plan(args.only):
        if args.families and family not in args.families:
            continue
        seeds = tuple(s for s in seeds if not args.seeds or s in args.seeds)
        if not seeds:
            continue
        row, rows_truth = _family_row(family, seeds, args.per_kind)
        row["held_out"] = held_out
        rows.append(row)
        truth["held_out" if held_out else "tuning"] += rows_truth
        print(f"{family:14s} {seeds} {'held-out' if held_out else 'tuning  '} {_line(row)}", flush=True)
    summary: dict = {"machine": machine(), "per_kind": args.per_kind,
                     "tune_families": list(TUNE_FAMILIES), "tune_seeds": list(TUNE_SEEDS),
                     "round1_families": list(ROUND1_FAMILIES), "round1_seeds": list(ROUND1_SEEDS),
                     "round2_families": list(ROUND2_FAMILIES), "round2_seeds": list(ROUND2_SEEDS),
                     "round3_families": list(ROUND3_FAMILIES), "round3_seeds": list(ROUND3_SEEDS),
                     "round10_families": list(ROUND10_FAMILIES), "round10_seeds": list(ROUND10_SEEDS),
                     "held_out_families": list(HELD_OUT_FAMILIES), "held_out_seeds": list(HELD_OUT_SEEDS),
                     "baselines": {"seasonal_z": {"threshold": baselines.Z_THRESHOLD,
                                                  "windows_minutes": list(baselines.Z_WINDOWS),
                                                  "weeks": baselines.Z_WEEKS},
                                   "spot": {"q": baselines.SPOT_Q, "level": baselines.SPOT_LEVEL,
                                            "windows_minutes": list(baselines.SPOT_WINDOWS),
                                            "calibration_days": baselines.SPOT_CALIBRATION_DAYS}},
                     "blind_look": BLIND_LOOK, "families": rows}
    for name in ("tuning", "held_out"):
        subset = [r for r in rows if r["held_out"] == (name == "held_out")]
        if subset:
            summary[name] = summarise(subset)
            summary[f"runaways_{name}"] = runaway_breakdown(truth[name])
            print(f"{name}:", summary[name], flush=True)
            print(markdown(subset), flush=True)
    if args.only == "all" and not args.families and not args.seeds:   # a partial run does not replace the figures
        save("bursts", summary)
    return summary
