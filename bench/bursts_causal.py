"""Do later events change earlier verdicts? ``bursts`` on every family, cut and appended.

Issue 34, item 1: the whole store, a window, a cron run and a run next month give the
same alarms with the same scores for the same stretch. For each family (one tuning
seed, anomalies injected by ``families.inject``): the store is cut at ``--cuts``
random times T, judged, the rest appended (a second ingest, as cron does) and judged
again. Reported per family:

* ``ended_before_cut``: alarms of the whole history whose episode ended before T, and how
  many of them the cut store gave alike (same stretch, episode, events, expected, score,
  reason);
* ``final_at_cut``: alarms of the cut store no later window can join (their episode ended
  3 hours, the longest window, before T; a first-seen notice: its first day over), and how
  many the whole history kept alike;
* ``until``: whether ``bursts(whole, until=T)`` gave the cut store's alarms exactly.

``--real NAME=GIT_DIR ...`` does the same on public git histories (``bursts_real``'s
activity, nothing injected). Agreement is 1.0 where verdicts are causal. ``bursts`` is a black box here (``aa.bursts``).
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

from . import bursts_real, families, git_activity
from ._common import machine, save

LONGEST = dt.timedelta(hours=3)
COLUMNS = ["workspace_id", "actor_id", "actor_type", "kind", "start", "end", "episode_start", "episode_end", "events",
           "expected", "score", "reason"]


def _ingest(db: Path, events: pl.DataFrame, agents: list[str], name: str) -> None:
    path = write_jsonl(events, db.parent / f"{name}.jsonl")
    aa.ingest([path], db, progress=False)
    if agents:
        aa.mark_actors(db, agents, "agent")


def _rows(frame: pl.DataFrame) -> set[tuple]:
    return set(frame.select(COLUMNS).rows())


def _final(frame: pl.DataFrame, cut: dt.datetime) -> pl.DataFrame:
    notice = pl.col("kind") == "new_actor"
    return frame.filter(pl.when(notice).then(pl.col("start") + dt.timedelta(days=1) <= cut)
                        .otherwise(pl.col("episode_end") <= cut - LONGEST))


def family_agreement(family: str, seed: int, cuts: int, per_kind: int) -> dict:
    data = families.inject(family, seed, per_kind)
    return agreement({"family": family}, data.events, data.agents, seed, cuts)


def real_agreement(name: str, git_dir: Path, seed: int, cuts: int) -> dict:
    """The same on a public git history as activity (``bursts_real``), nothing injected."""
    return agreement({"repository": name}, bursts_real._frame(git_activity.events(git_dir, name)), [], seed, cuts)


def agreement(label: dict, events: pl.DataFrame, agents: list[str], seed: int, cuts: int) -> dict:
    """Cut ``events`` (with ``t_us``) at ``cuts`` random times and compare (see the module's docstring);
    ``agents``: ids marked as agents."""
    events = events.sort("t_us")
    tmp = Path(tempfile.mkdtemp(prefix="bursts-causal-"))
    try:
        whole = tmp / "whole.duckdb"
        _ingest(whole, events, agents, "whole")
        everything = aa.bursts(whole)
        rng = np.random.default_rng(seed)
        first, last = int(events["t_us"].min()) + 3 * 86_400_000_000, int(events["t_us"].max()) - 6 * 3_600_000_000
        out = {**label, "seed": seed, "cuts": cuts, "ended_before_cut": 0, "ended_before_cut_alike": 0,
               "final_at_cut": 0, "final_at_cut_alike": 0, "until_alike": 0}
        for i, t_us in enumerate(sorted(rng.integers(first, last, cuts))):
            t_us = int(t_us) // 1_000_000 * 1_000_000 + 500_000   # half a second past: no event exactly at it
            cut = dt.datetime.fromtimestamp(t_us / 1e6, tz=dt.timezone.utc)
            db = tmp / f"cut{i}.duckdb"
            _ingest(db, events.filter(pl.col("t_us") <= t_us), agents, f"cut{i}")
            at_cut = aa.bursts(db)
            out["until_alike"] += _rows(aa.bursts(whole, until=cut)) == _rows(at_cut)
            _ingest(db, events.filter(pl.col("t_us") > t_us), agents, f"rest{i}")
            later = aa.bursts(db)
            ended, final = _rows(everything.filter(pl.col("episode_end") <= cut)), _rows(_final(at_cut, cut))
            out["ended_before_cut"] += len(ended)
            out["ended_before_cut_alike"] += len(ended & _rows(at_cut))
            out["final_at_cut"] += len(final)
            out["final_at_cut_alike"] += len(final & _rows(later))
        for key in ("ended_before_cut", "final_at_cut"):
            out[f"{key}_agreement"] = round(out[f"{key}_alike"] / out[key], 4) if out[key] else None
        return out
    finally:
        shutil.rmtree(tmp)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench bursts_causal", description=__doc__)
    parser.add_argument("--cuts", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1, help="a tuning seed")
    parser.add_argument("--per-kind", type=int, default=10)
    parser.add_argument("--families", nargs="+", default=list(families.FAMILIES))
    parser.add_argument("--real", nargs="+", metavar="NAME=GIT_DIR",
                        help="cut these public git histories instead (bursts_real's activity, nothing injected); "
                             "written to bench/out/bursts-causal-real.json")
    args = parser.parse_args(argv)
    rows = []
    for given in args.real or args.families:
        if args.real:
            name, _, git_dir = given.partition("=")
            if not git_dir:
                raise SystemExit(f"{given}: give NAME=GIT_DIR")
            rows.append(real_agreement(name, Path(git_dir), args.seed, args.cuts))
        else:
            rows.append(family_agreement(given, args.seed, args.cuts, args.per_kind))
        print(rows[-1], flush=True)
    summary = {"machine": machine(), "benchmark": "bursts: verdicts before a cut, cut store vs appended store",
               "families" if not args.real else "repositories": rows,
               "all_alike": all(r["ended_before_cut_alike"] == r["ended_before_cut"]
                                and r["final_at_cut_alike"] == r["final_at_cut"] and r["until_alike"] == r["cuts"]
                                for r in rows),
               "compared": sum(r["ended_before_cut"] + r["final_at_cut"] for r in rows)}
    print({k: v for k, v in summary.items() if k not in ("families", "repositories")}, flush=True)
    if args.real:
        save("bursts-causal-real", summary)
    elif set(args.families) == set(families.FAMILIES):
        save("bursts-causal", summary)
    return summary
