"""``bursts`` on real activity: public git histories as Platform activity.

``python -m bench bursts_real NAME=GIT_DIR ...`` turns each repository's history
into activity (``git_activity``: a workspace per repository, commits by their
authors and committers, bots as agents), ingests it with the package, runs
``bursts`` at its default sensitivity over the whole store, and reports per
repository, after a 4-week warm-up from the repository's first event:

- active actor-weeks (an actor with at least one event that ISO week);
- alarms per 100 active actor-weeks, first-seen notices (``new_actor``)
  counted apart (open source has many first-time contributors);
- the 20 highest-scored alarms with their reasons, written to
  ``docs/bursts-real.md`` so a reader can judge them.

Nothing is injected for those figures: every alarm but a first-seen notice is
one an analyst would have to look at. Then the same history with the
synthetic evaluation's anomalies injected on top (``--inject`` of each kind,
on actors with at least 20 events, while the actor is there; ten draws,
averaged): recall per kind, and precision counting every alarm that is not an
injected anomaly or a first-seen id as false.
:data:`LOOKED_AT` lists the repositories looked at while tuning; the others
are held out, and the output says which is which.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

import activity_analytics as aa
from activity_analytics._sample import write_jsonl

from . import agent_hours, git_activity
from ._common import machine, save
from .bursts_eval import (_match, at_least_3x_its_day, by_ratio, by_size, no_bigger_than_its_own, runaway_context,
                          runaway_recall_with_notices, score_bursts, with_first_seen)
from .inject import KINDS, inject_into

DOCS = Path(__file__).resolve().parent.parent / "docs" / "bursts-real.md"
#: the default name of the run (docs/NAME.md, bench/out/NAME.json); another (--out) keeps a second
#: set of repositories beside the first
NAME = "bursts-real"
WARM_UP = dt.timedelta(weeks=4)
#: each injection is a fresh draw of ``--inject`` anomalies per kind: 10 per kind is too few
#: to tell 0.8 from 0.9 (one draw moved a kind's recall by up to 0.3, three draws' mean by up
#: to 0.2), so ten are averaged (100 of a kind per repository)
SEEDS = tuple(range(7, 17))
#: repositories looked at while tuning issue 22's detector (no longer blind): the
#: first two were tuned on; round 3's held-out three were looked at twice since
LOOKED_AT = ("pydantic/pydantic", "astral-sh/uv", "encode/httpx", "fastapi/fastapi", "pallets/flask")
#: what the one blind run on the held-out repositories gave, before anything changed
BLIND_LOOK = ("The blind run (round 3, before any change): alarms per 100 active actor-weeks encode/httpx "
              "0.22, fastapi/fastapi 2.92, pallets/flask 0.93; injected anomalies: lowest recall per kind "
              "0.0 (workspace_spike on httpx, too few people with 20 commits for a spike of 8), runaway_agent "
              "0.6-0.8, F1 without the real first-seen ids 0.51-0.78. It showed the converter counting "
              "github-actions (a hyphen, no [bot]) as a person: 4 of fastapi's top 20; fixed in "
              "git_activity.BOT_NAMES, and the figures below are from the run after that fix only. "
              "Round 4 (agents on a sharp minute-of-hour schedule judged off it, tuned on synthetic "
              "tuning seeds only) ran here once more: every figure came out the same, as no bot in "
              "these histories keeps a sharp schedule. "
              "Round 5 (what an agent did on 3 other days is not a runaway), built on astral-sh/uv: "
              "alarms per 100 active actor-weeks uv 1.35 to 0.72, fastapi 3.22 to 1.14, flask 0.98 to "
              "0.89; then, from encode/httpx, the 3 other days need as many events too (uv 0.82, fastapi "
              "1.36, flask 0.98, and one more injected runaway found on fastapi). pytest-dev/pytest and "
              "psf/black were fetched for this round and held out of it: their figures below are from "
              "their first run; the second run after the refinement, and a third after a bug fix (the "
              "short-window slot test had been off for agents since round 4), gave the same. "
              "Round 6 changed the evaluation, not the detector. Injected anomalies had been placed "
              "anywhere in a repository's years: 1-9 of 10 runaways per repository (flask 9, pytest 8, "
              "uv 7) fell before the bot's first commit or after its last, and 4-8 of 10 off-hours hours "
              "outside the person's time in the project; there they are first-seen ids, not runaways or "
              "off hours. Now each falls while its actor is there, off-hours ones only on people with an "
              "hour they never work, and each history is injected three times (seeds 7-9) and averaged, "
              "as one draw of 10 moved a kind's recall by up to 0.3. pytest and black stay held out: no "
              "rule was tuned on them, and the detector has not changed since their first run. "
              "Round 7 made bursts faster without changing a verdict (the same output, frame for frame, "
              "on 17 stores, and the same figures here for the seven repositories above); pypa/pip, "
              "python-poetry/poetry and encode/starlette were fetched for it and held out, and run blind "
              "once: alarms per 100 active actor-weeks 0.71, 0.35, 0.10; runaway recall 0.80, 0.83, 0.97. "
              "Then the injector's last label errors were fixed (a spike took every person of the "
              "workspace, there at the time or not, so it made first-seen ids years before people's "
              "first commits and put events at hours they never worked; an off-hours hour could fall "
              "where other injected events of the person were; a rapid succession at an hour worked "
              "once in years): spikes take 8-14 people there at the time (none where 8 never are: "
              "encode/starlette), off-hours hours are never-worked counting every injected event, "
              "rapid successions fall at hours worked on 3 days or more. "
              "With the draws moving by up to 0.2 between runs of three, each history is now injected "
              "ten times. Nobody has looked at the alarms or misses of pip, poetry or starlette. "
              "Round 8 changed no rule of the detector; the injector now sizes a runaway by the bot's "
              "rate while it is there (every history's figures came out the same: the 20-event floor "
              "decides for real bots). python/typeshed, pallets/click and pypa/setuptools were fetched "
              "for it and run once, blind: alarms per 100 active actor-weeks 0.39, 1.1 and 0.97; runaway "
              "recall 0.88, 0.93, 0.84. "
              "Round 9 changed no rule either. pallets/werkzeug, tox-dev/tox, encode/uvicorn and "
              "pypa/virtualenv were fetched for it and run once, blind: alarms per 100 active actor-weeks "
              "1.16, 0.0, 0.37, 0.0; runaway recall 0.94, 0.95, 0.91, 0.96. That run showed three label "
              "errors of the injector on small projects: once no regular had a never-worked hour left, an "
              "off-hours burst went to an hour the person works (off_hours 0.6-0.79 by kind on tox, "
              "uvicorn and virtualenv, 1.0 counting the person's other kinds); a workspace of four "
              "regulars got a 'spike' of all four, below the five people bursts can flag (uvicorn, and "
              "httpx since round 3: 0.0); a rapid succession went to an hour worked on a few of hundreds "
              "of days, or to a weekday hour worked mostly on weekends, which bursts' documented rule "
              "calls never worked (werkzeug rapid_succession 0.83, 1.0 counting the other kind). "
              "None of those is injected now; the figures below are from "
              "the run after that fix, with no rule of bursts changed. Nothing else was looked at on the "
              "four new histories. "
              "Round 13 (verdicts causal since round 12, issue 34 item 1; no rule changed for this run): "
              "pytest-dev/pluggy, python-attrs/attrs, pypa/pipx and pypa/build were fetched and run once, "
              "blind, with the causal detector, beside tox-dev/tox, pypa/virtualenv and encode/uvicorn (held "
              "out since round 9). pallets/jinja and psf/requests were fetched for it too but not run: the "
              "causal bursts keeps a row per actor and hour from the actor's first day to the data's last "
              "(history.grid), and on psf/requests (815 actors over 15 years, 74M such rows) it stopped at "
              "DuckDB's 18.8 GiB memory limit; pluggy (3.9M) took 18 s and 2.7 GB, attrs (10.4M) 88 s and "
              "8.4 GB. The held-out histories with over 11M such rows (jinja 25.5M, starlette 11.5M; black, "
              "click, pip, poetry, pytest, setuptools, typeshed and werkzeug 22.7M-85.4M) were left out for "
              "that reason, and the five looked at for time: their round-9 figures (before causal verdicts) "
              "are in git history, commit c460786. Nobody has looked at jinja's alarms. "
              "Round 14 changed no figure here. psf/requests then ran without injection (its alarms were "
              "read; its figures are in docs/bursts.md, not here: each draw would take minutes). "
              "Round 15 (issue 34, item 4, from pypa/build's and psf/requests' alarms, which are therefore "
              "no longer blind): \"never works then\" needs 7 active days in the baseline's 4 weeks (it had "
              "needed 7 in all history, so a person back after weeks away had none behind the claim), and a "
              "person's stretch 4x its busiest of that length before is flagged (volume first). The seven "
              "histories ran again, and hynek/structlog and pytest-dev/pytest-xdist, fetched before and "
              "never run or looked at, ran once, blind. Alarms per 100 active actor-weeks fell on pluggy "
              "(0.28 to 0.14), build (1.71 to 0.66), pipx (0.64 to 0.38) and uvicorn (0.25 to 0.12). The "
              "price is in the injected off-hours bursts: most fall on a day when the person had not been "
              "active for weeks (14 of 20 in two draws on pluggy), and there those of 8-10 events in the hour "
              "are no longer found (6 of those 20; the 11-25 others were, as rapid successions): off_hours "
              "recall by any kind 0.74-0.96, was 1.0.")


def _frame(rows: list[dict]) -> pl.DataFrame:
    """Git activity in the columns of ``generate_events``, for ``inject_into``."""
    frame = pl.DataFrame(rows).with_columns(details=pl.lit("{}"))
    stamp = pl.col("created_at").str.to_datetime(time_zone="UTC", time_unit="us")
    return frame.with_columns(
        t_us=stamp.dt.epoch("us"),
        created_at=stamp.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f"),
        actor_key=pl.when(pl.col("actor_type") == "agent").then(pl.lit("agent:")).otherwise(pl.lit("person:"))
        + pl.col("actor_id"),
    )


def _median(values: list[float]) -> float | None:
    return round(float(np.median(values)), 1) if values else None


def _inject_once(name: str, events: pl.DataFrame, work: Path, per_kind: int, seed: int) -> dict:
    data = inject_into(events, per_kind=per_kind, rng=np.random.default_rng(seed), min_history=20)
    stem = f"{name.replace('/', '_')}-injected-{seed}"
    source = write_jsonl(data.events, work / f"{stem}.jsonl")
    db = work / f"{stem}.duckdb"
    aa.ingest([source], db, progress=False)
    found = aa.bursts(db).with_columns(pl.col("start").dt.epoch("us"), pl.col("end").dt.epoch("us"),
                                       pl.col("workspace_id").fill_null(""))
    truth = with_first_seen(db, data.truth)
    with_notices = runaway_recall_with_notices(found, agent_hours.notices(db), truth)
    for done in (source, db):   # ten draws of ten histories would leave gigabytes behind
        done.unlink()
    scored = score_bursts(found, truth)
    _, matched = _match(found, truth, by_kind=True)
    # the same without the real first-seen ids (hundreds in open source), which are right by design
    new_ids = data.truth.filter(pl.col("kind") == "new_actor")["actor_id"]
    alone = score_bursts(found.filter((pl.col("kind") != "new_actor") | pl.col("actor_id").is_in(new_ids)),
                         data.truth)["overall"]
    # the same runaways matched on the episode each row says its flags ran over (``episode_start`` to
    # ``episode_end``), not only the window that tells it: what an analyst reading the row sees
    episodes = found.with_columns(start=pl.col("episode_start").dt.epoch("us"), end=pl.col("episode_end").dt.epoch("us"))
    _, in_episode = _match(episodes, truth, by_kind=True)
    labelled = matched.filter(pl.col("kind") == "runaway_agent").select("kind", "ratio", bursts="found").hstack(
        in_episode.filter(pl.col("kind") == "runaway_agent").select(episode="found"))
    return {"scored": scored, "alone": alone, "runaways": runaway_context(data.events, matched),
            "labelled_runaways": labelled.to_dicts(), "runaway_with_notices": with_notices}


def injected(name: str, git_dir: Path, work: Path, per_kind: int, seeds: tuple[int, ...] = SEEDS) -> dict:
    """Recall per kind and precision with the synthetic anomalies injected on the real history,
    once per seed (``per_kind`` of each kind each time), averaged over the seeds."""
    events = _frame(git_activity.events(git_dir, name))
    runs = [_inject_once(name, events, work, per_kind, seed) for seed in seeds]

    def mean(values) -> float | None:
        values = [v for v in values if v is not None]   # None: not injected in that draw
        return round(sum(values) / len(values), 2) if values else None

    runaways = [r for run in runs for r in run["runaways"]]
    return {"recall_by_kind": {k: mean(r["scored"][k]["recall"] for r in runs) for k in KINDS},
            "recall_any_kind": {k: mean(r["scored"][k]["recall_any_kind"] for r in runs) for k in KINDS},
            **{k: mean(r["scored"]["overall"][k] for r in runs) for k in ("precision", "recall", "f1")},
            "f1_injected_only": mean(r["alone"]["f1"] for r in runs),
            "runaway_recall_with_new_hour_notices": mean(r["runaway_with_notices"] for r in runs),
            # missed runaways no bigger than the bot's own busy stretches (see no_bigger_than_its_own)
            "runaways_missed": sum(not r["found"] for r in runaways),
            "runaways_missed_within_own_range": sum(not r["found"] and no_bigger_than_its_own(r)
                                                    for r in runaways),
            "runaways_missed_under_3x_its_day": sum(not r["found"] and not at_least_3x_its_day(r)
                                                    for r in runaways),
            "runaway_by_size": by_size(runaways),
            # by the injector's label: the agent's largest stretch that long before the runaway
            "runaway_by_ratio": by_ratio([r for run in runs for r in run["labelled_runaways"]]),
            "runaway_by_ratio_in_episode": by_ratio([r for run in runs for r in run["labelled_runaways"]], "episode"),
            "runaways_missed_times_typical_day": _median([r["events"] / max(r["own_busiest"], 1)
                                                          for r in runaways if not r["found"]])}


def measure(name: str, git_dir: Path, work: Path, per_kind: int) -> dict:
    source = work / f"{name.replace('/', '_')}.jsonl.gz"
    events = git_activity.write(git_dir, name, source)
    db = work / f"{name.replace('/', '_')}.duckdb"
    aa.ingest([source], db, progress=False)
    start = aa.sql(db, "SELECT min(created_at) FROM activity").item()
    warm = start + WARM_UP
    weeks = aa.sql(db, "SELECT count(*) FROM (SELECT DISTINCT actor_id, date_trunc('week', created_at) "
                       "FROM activity WHERE created_at >= $w)", {"w": warm}).item()
    alarms = aa.bursts(db)
    after = alarms.filter(pl.col("start") >= warm)
    notices = after.filter(pl.col("kind") == "new_actor")
    others = after.filter(pl.col("kind") != "new_actor")
    top = others.sort("score", descending=True).head(20)
    new_hours = agent_hours.notices(db).filter(pl.col("start") >= int(warm.timestamp() * 1_000_000))
    return {
        "held_out": name not in LOOKED_AT,
        "injected": injected(name, git_dir, work, per_kind) if per_kind else None,
        "events": events,
        "actors": aa.sql(db, "SELECT count(DISTINCT actor_id) FROM activity").item(),
        "agents": aa.sql(db, "SELECT count(DISTINCT actor_id) FROM activity WHERE actor_type = 'agent'").item(),
        "span": f"{start:%Y-%m-%d} .. {aa.sql(db, 'SELECT max(created_at) FROM activity').item():%Y-%m-%d}",
        "active_actor_weeks": weeks,
        "alarms_after_warm_up": others.height,
        "alarms_per_100_actor_weeks": round(100 * others.height / max(weeks, 1), 2),
        # alarms of a workspace that overlap are one incident (issue 34, item 5): what an analyst opens
        "incidents_per_100_actor_weeks": round(100 * others["incident"].n_unique() / max(weeks, 1), 2),
        "alarms_by_kind": dict(sorted(others.group_by("kind").len().iter_rows())),
        "first_seen_notices": notices.height,
        # what an "agent at an hour it never runs" notice would add (bench/agent_hours.py)
        "new_hour_notices": new_hours.height,
        "new_hour_notices_per_100_actor_weeks": round(100 * new_hours.height / max(weeks, 1), 2),
        "_top": [{"start": f"{r['start']:%Y-%m-%d %H:%M}", "actor": r["actor_id"], "kind": r["kind"],
                 "score": round(r["score"], 1), "reason": r["reason"]}
                for r in top.iter_rows(named=True)],
    }


def _markdown(result: dict) -> str:
    lines = ["# `bursts` on real activity: public git histories",
             "",
             f"Written by `python -m bench bursts_real{'' if result.get('out', NAME) == NAME else ' --out ' + result['out']}`"
             " (bench/bursts_real.py); do not edit by hand.",
             f"Run {dt.date.today()} on {result['machine']}. Nothing injected: every alarm but a",
             "first-seen notice is one an analyst would look at. Counted after a 4-week warm-up.",
             "Looked at while tuning (not blind): " + ", ".join(LOOKED_AT) + "; the others were held out",
             "until this run. Issue 22's targets on held-out repositories: at most 1 alarm per 100 active",
             "actor-weeks; with anomalies injected, recall at least 0.9 per kind and F1 at least 0.95.",
             "", BLIND_LOOK if result.get("out", NAME) == NAME else
             "Held out: nothing was tuned on these repositories, before or after this run.", "",
             "| repository | held out | events | actors (agents) | active actor-weeks | alarms (incidents) per 100 | by kind "
             "| first-seen notices | agent-new-hour notices (bench/agent_hours.py) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in result["repositories"].items():
        kinds = ", ".join(f"{k} {n}" for k, n in r["alarms_by_kind"].items()) or "-"
        lines.append(f"| {name} ({r['span']}) | {'yes' if r['held_out'] else 'no'} | {r['events']:,} | "
                     f"{r['actors']} ({r['agents']}) | {r['active_actor_weeks']:,} | "
                     f"{r['alarms_per_100_actor_weeks']} ({r.get('incidents_per_100_actor_weeks', '-')}) | "
                     f"{kinds} | {r['first_seen_notices']} | "
                     f"{r['new_hour_notices']} |")
    if not result["per_kind"]:  # nothing injected (--inject 0)
        lines += ["", "Nothing was injected in this run (`--inject 0`)."]
    else:
        lines += ["", f"With {result['per_kind']} anomalies of each kind injected on each history, {len(result.get('seeds', SEEDS))} times "
                  f"(seeds {', '.join(map(str, result.get('seeds', SEEDS)))}), averaged; each anomaly falls while "
                  "its actor is there (after its first two days), and off-hours ones on people with an hour they "
                  "never work. Recall per kind, and in brackets with the actor's anomaly flagged under another "
                  "kind counted as found:", "",
                  "| repository | precision | recall | F1 | F1, injected only | " + " | ".join(KINDS)
                  + " | runaways missed (no bigger than the bot on 3 other days; under 3x its typical day's busiest "
                  "stretch that long; median times that stretch) | runaway recall with an agent-new-hour notice |",
                  "|---|---|---|---|---|" + "---|" * len(KINDS) + "---|---|"]
    for name, r in result["repositories"].items():
        if r["injected"]:
            i = r["injected"]
            lines.append(f"| {name} | {i['precision']} | {i['recall']} | {i['f1']} | {i['f1_injected_only']} | "
                         + " | ".join(_recall(i, k) for k in KINDS)
                         + f" | {i['runaways_missed']} ({i['runaways_missed_within_own_range']}; "
                         f"{i['runaways_missed_under_3x_its_day']}; "
                         f"{i.get('runaways_missed_times_typical_day', '-')}x) | "
                         f"{i['runaway_recall_with_new_hour_notices']} |")
    for name, r in result["repositories"].items():
        lines += ["", f"## {name}: the 20 highest-scored alarms", "",
                  "| start (UTC) | actor | kind | score | reason |", "|---|---|---|---|---|"]
        lines += [f"| {t['start']} | {t['actor']} | {t['kind']} | {t['score']} | {t['reason']} |"
                  for t in r["_top"]]
    return "\n".join(lines) + "\n"


def _recall(injected_: dict, kind: str) -> str:
    """A kind's recall and, in brackets, counting another kind of the actor's; "-" where none
    was injected."""
    by_kind = injected_["recall_by_kind"][kind]
    if by_kind is None:
        return "- (none injected)"
    return f"{by_kind} ({injected_['recall_any_kind'][kind]})"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench bursts_real", description=__doc__)
    parser.add_argument("repos", nargs="+", metavar="NAME=GIT_DIR",
                        help="e.g. pydantic/pydantic=/work/.mirror/pydantic+pydantic/repo")
    parser.add_argument("--inject", type=int, default=10, metavar="N",
                        help="anomalies of each kind to inject on each history, in each of the draws (0: none)")
    parser.add_argument("--out", default=NAME, metavar="NAME",
                        help=f"write docs/NAME.md and bench/out/NAME.json (default {NAME}): another name keeps "
                             "a second set of repositories beside the first")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="aa-bursts-real-"))
    result: dict = {"machine": machine(), "benchmark": "bursts on public git histories", "out": args.out,
                    "per_kind": args.inject, "seeds": list(SEEDS), "looked_at": list(LOOKED_AT), "repositories": {}}
    if args.out == NAME:  # (the rounds' story belongs to the first set)
        result["blind_look"] = BLIND_LOOK
    for given in args.repos:
        name, _, git_dir = given.partition("=")
        if not git_dir:
            raise SystemExit(f"{given}: give NAME=GIT_DIR")
        result["repositories"][name] = measure(name, Path(git_dir), work, args.inject)
        r = result["repositories"][name]
        print(f"{name}: {r['events']:,} events, {r['active_actor_weeks']:,} active actor-weeks, "
              f"{r['alarms_per_100_actor_weeks']} alarms per 100, {r['first_seen_notices']} first-seen; "
              f"injected: {r['injected']}", flush=True)
    shutil.rmtree(work)
    DOCS.with_name(f"{args.out}.md").write_text(_markdown(result))
    save(args.out, result)  # the top alarms ("_top") stay out of benchmarks.md
    return result
