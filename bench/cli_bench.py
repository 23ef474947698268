"""The command line against bare Python, each a fresh process, in the same run.

* Start-up: ``activity-analytics --help`` against ``python -c "import duckdb"``,
  best of ``--repeat``. Target (issue 15): within 1.5x.
* Small questions (issue 36): ``actions``, ``actors``, ``status`` and ``sql
  "SELECT action, count(*) ... GROUP BY 1"`` on a store of about 10.5M events
  over 140 days (``bursts_speed``'s store, built once and cached in bench/out),
  each against a bare ``python -c`` that imports duckdb, opens the store
  read-only, runs the SQL of the same counts and prints the rows. The pairs
  are interleaved (their order alternating) after a warm-up run of each; the
  ratio is the median of ``--pairs`` pairs' ratios. Target: within 1.3x.
  Absolute times are information only.

Every process runs as on an installed package: Python writes and reads the
package's bytecode (``PYTHONDONTWRITEBYTECODE``, which some sandboxes set,
is left out of their environment; it would make each command compile the
package anew).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from . import bursts_speed
from ._common import machine, save

#: events wanted of bursts_speed's generator: it makes 10,479,300 over 139 days
STORE_EVENTS = 9_000_000

#: a bare process: open the store read-only, run each query, print its rows
BARE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
for query in sys.argv[2:]:
    rows = con.execute(query).fetchall()
    print(rows)
"""

#: the SQL of the counts each command prints, as a user would write it over the same view
QUERIES = {
    "actions": ["SELECT action, count(*) AS events, count(*) / sum(count(*)) OVER () AS share, "
                "count(DISTINCT actor_id) AS actors, count(DISTINCT issue_id) AS issues "
                "FROM events GROUP BY action ORDER BY events DESC, action"],
    "actors": ["SELECT actor_type, count(*) AS events, count(DISTINCT actor_id) AS actors, "
               "count(*) / sum(count(*)) OVER () AS share FROM events GROUP BY actor_type ORDER BY actor_type"],
    "status": [  # what `status` counts: totals, per source, workspace, action, actor type, rejects, loads, syncs, runs
        "SELECT count(*), count(DISTINCT workspace_id), min(created_at), max(created_at) FROM activity",
        "SELECT count(*) FROM rejects",
        "SELECT CASE WHEN starts_with(id, 'trace:') THEN regexp_replace(source, '[^/]*$', '') "
        "|| '*.jsonl (PraisonAI traces)' ELSE source END AS source, count(*) AS events "
        "FROM activity GROUP BY 1 ORDER BY 2 DESC, 1",
        "SELECT workspace_id, count(*) AS events, min(created_at) AS first, max(created_at) AS last "
        "FROM activity GROUP BY 1 ORDER BY 2 DESC, 1",
        "SELECT action, count(*) AS events, round(count(*) / sum(count(*)) OVER (), 4) AS share "
        "FROM activity GROUP BY 1 ORDER BY 2 DESC, 1",
        "SELECT actor_type, count(*) AS events, count(DISTINCT actor_id) AS actors, "
        "round(count(*) / sum(count(*)) OVER (), 4) AS share FROM events GROUP BY 1 ORDER BY 2 DESC, 1",
        "SELECT source, CASE WHEN reason LIKE 'conflict:%' THEN 'conflict' WHEN reason LIKE 'unparsable %' "
        "THEN split_part(reason, ':', 1) ELSE reason END AS reason, count(*) AS rejects "
        "FROM rejects GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
        "SELECT source, kind, started_at, stored FROM loads AS l WHERE finished_at IS NULL AND NOT EXISTS "
        "(SELECT 1 FROM loads AS d WHERE d.source = l.source AND d.finished_at IS NOT NULL "
        "AND d.started_at > l.started_at) ORDER BY started_at",
        "SELECT api_url, scope, updated_at FROM sync_state ORDER BY 1, 2",
        "SELECT count(*), count(*) FILTER (WHERE status = 'failed'), coalesce(sum(cost_usd), 0) FROM agent_runs",
    ],
    "sql": ["SELECT action, count(*) FROM events GROUP BY 1"],
}


def _best(cmd: list[str], repeat: int) -> float:
    return min(_seconds(cmd) for _ in range(repeat))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench cli")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=7, help="CLI/bare pairs per command (median).")
    parser.add_argument("--store-events", type=int, default=STORE_EVENTS,
                        help="Events asked of bursts_speed's store (it makes about 16%% more).")
    args = parser.parse_args(argv)
    script = shutil.which("activity-analytics") or str(Path(sys.executable).with_name("activity-analytics"))
    commands = {
        "import_duckdb": [sys.executable, "-c", "import duckdb"],
        "help": [script, "--help"],
        "ingest_help": [script, "ingest", "--help"],
        "bursts_help": [script, "bursts", "--help"],
    }
    _best(commands["help"], 2)  # warm the file cache
    seconds = {name: round(_best(cmd, args.repeat), 3) for name, cmd in commands.items()}
    base = seconds["import_duckdb"]
    result = {"benchmark": "cli start-up and small questions", "machine": machine(), "repeat": args.repeat,
              "seconds": seconds,
              "ratio_help_to_import_duckdb": round(seconds["help"] / base, 2),
              "ratio_ingest_help_to_import_duckdb": round(seconds["ingest_help"] / base, 2),
              "ratio_bursts_help_to_import_duckdb": round(seconds["bursts_help"] / base, 2)}
    print(f"activity-analytics --help {seconds['help']} s vs import duckdb {base} s = "
          f"{result['ratio_help_to_import_duckdb']}x (ingest --help {result['ratio_ingest_help_to_import_duckdb']}x, "
          f"bursts --help {result['ratio_bursts_help_to_import_duckdb']}x)")
    result["queries"] = _queries(script, bursts_speed.build(args.store_events), args.pairs)
    save("cli", result)
    return result


_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _seconds(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=_ENV)
    return time.perf_counter() - t


def _queries(script: str, db: Path, pairs: int) -> dict:
    """Each command against its bare process, ``pairs`` interleaved pairs after a warm-up."""
    con = duckdb.connect(str(db), read_only=True)
    events, days = con.execute("SELECT count(*), date_diff('day', min(created_at), max(created_at)) "
                               "FROM activity").fetchall()[0]
    con.close()
    commands = {name: ([script, name] if name != "sql" else [script, "sql", QUERIES["sql"][0]])
                + ["--db", str(db)] for name in QUERIES}
    bares = {name: [sys.executable, "-c", BARE, str(db), *queries] for name, queries in QUERIES.items()}
    for name in QUERIES:  # warm-up: the file in the OS cache for both
        _seconds(commands[name])
        _seconds(bares[name])
    times: dict[str, dict[str, list[float]]] = {name: {"cli": [], "bare": []} for name in QUERIES}
    for i in range(pairs):
        for name in QUERIES:
            order = ("cli", "bare") if i % 2 == 0 else ("bare", "cli")
            for side in order:
                times[name][side].append(_seconds(commands[name] if side == "cli" else bares[name]))
    out: dict = {"events": events, "days": days, "pairs": pairs, "goal": "at most 1.3x"}
    for name, t in times.items():
        ratios = [c / b for c, b in zip(t["cli"], t["bare"], strict=True)]
        out[name] = {"cli_s": round(statistics.median(t["cli"]), 3),
                     "bare_s": round(statistics.median(t["bare"]), 3),
                     "ratio": round(statistics.median(ratios), 2)}
        print(f"{name} on {events} events: CLI {out[name]['cli_s']} s vs bare Python "
              f"{out[name]['bare_s']} s = {out[name]['ratio']}x (median of {pairs} pairs)", flush=True)
    return out
