"""Speed of actions, actors and bursts on a large store vs the pure-Python recipe.

The recipe is the style of the Platform's documentation: load the exported
JSON, group with dicts, filter with list comprehensions. It streams the
JSON-lines export line by line (holding 10M dicts at once would need tens of
GB), so it is the recipe at its most frugal. Targets (analyses issue): each
analysis in about 2 s or less on 10M events, and at least 100x faster than
the recipe on the same data in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections import defaultdict

import activity_analytics as aa
from activity_analytics import SampleSpec, generate_events
from activity_analytics._sample import write_jsonl

from ._common import OUT, fastest, machine, save


def build(events: int):
    """The JSON-lines export and the store made from it (both cached in bench/out)."""
    path = OUT / f"analyses-{events}.jsonl"
    db = OUT / f"analyses-{events}.duckdb"
    if not path.exists():
        spec = SampleSpec(seed=13, days=28, workspaces=20, people_per_workspace=12,
                          steady_agents_per_workspace=2, batch_agents_per_workspace=1,
                          scale=events / 290_000)  # about 320k events per unit: overshoot
        frame = generate_events(spec).head(events)
        if frame.height < events:
            raise RuntimeError(f"generator made {frame.height} events, fewer than {events}")
        write_jsonl(frame, path)
        db.unlink(missing_ok=True)
    if not db.exists():
        aa.ingest([path], db, progress=True)
    aa.migrate(db)  # a store cached by an older version of the package
    return path, db


def recipe_actions(path) -> dict:
    counts, actors, issues = defaultdict(int), defaultdict(set), defaultdict(set)
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            counts[r["action"]] += 1
            actors[r["action"]].add(r["actor_id"])
            issues[r["action"]].add(r["issue_id"])
    total = sum(counts.values())
    return {a: (n, n / total, len(actors[a]), len(issues[a])) for a, n in counts.items()}


def recipe_actors(path) -> dict:
    kinds = {"member": "user", "user": "user", "agent": "agent"}
    counts, ids = defaultdict(int), defaultdict(set)
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            kind = kinds.get(r["actor_type"], "unknown")
            counts[kind] += 1
            ids[kind].add(r["actor_id"])
    return {k: (n, len(ids[k])) for k, n in counts.items()}


def recipe_bursts(path, per_minute: int = 10) -> list:
    times = defaultdict(list)
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            stamp = dt.datetime.fromisoformat(r["created_at"].replace("Z", "+00:00"))
            times[r["actor_id"]].append(stamp.replace(tzinfo=None).timestamp())
    flagged = []
    for actor, ts in times.items():
        ts.sort()
        start = 0
        for end in range(len(ts)):
            while ts[end] - ts[start] > 60:
                start += 1
            if end - start + 1 > per_minute:
                flagged.append((actor, ts[start]))
    return flagged


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench analyses")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-recipe", action="store_true", help="Only time our analyses.")
    args = parser.parse_args(argv)
    path, db = build(args.events)
    ours = {
        "actions": lambda: aa.actions(db),
        "actors": lambda: aa.actors(db),
        "bursts": lambda: aa.bursts(db),
    }
    recipes = {"actions": recipe_actions, "actors": recipe_actors, "bursts": recipe_bursts}
    result: dict = {"benchmark": "analyses", "machine": machine(), "events": args.events}
    for name, run in ours.items():
        seconds = fastest(run, args.repeat)
        row = {"seconds": round(seconds, 2)}
        if not args.skip_recipe:
            t = time.perf_counter()
            recipes[name](path)
            row["recipe_seconds"] = round(time.perf_counter() - t, 1)
            row["speedup"] = round(row["recipe_seconds"] / seconds)
        result[name] = row
        extra = (f"; pure-Python recipe {row['recipe_seconds']} s, {row['speedup']}x faster"
                 if "speedup" in row else "")
        print(f"{name} on {args.events} events: {row['seconds']} s{extra}", flush=True)
    save(f"analyses-{args.events}", result)
    return result
