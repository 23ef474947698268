"""PraisonAI agent runs: trace ingest vs DuckDB's bare ``read_json`` of the same
files, and ``agents`` on a large store.

Targets (issue 16): ingest of 1M trace events at most 2x the bare
``CREATE TABLE AS SELECT * FROM read_json('traces/*.jsonl')``; ``agents`` on
10M events at most 2 s (beside a bare GROUP BY of the same table, for scale).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from activity_analytics import SampleSpec
from activity_analytics._sample_agents import AgentSpec, agent_runs, write_traces

from ._common import OUT, best_of, machine, run_child, save

BARE = """
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited')",
            [sys.argv[1] + "/*.jsonl"])
print(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
"""

OURS = """
import sys
from activity_analytics import ingest
result = ingest([sys.argv[1]], sys.argv[2], progress=False)
print(result.total.stored)
"""

OURS_AGAIN = """
import sys
from activity_analytics import ingest
result = ingest([sys.argv[1]], sys.argv[2], progress=False)
print(result.total.duplicates)
"""

# A store of N agent events made by SQL (the Python generator would take
# minutes): 20 agents, runs of 10 events (start, 3 LLM calls, 2 tool calls, ends).
MAKE_STORE = """
import sys, duckdb
from activity_analytics import migrate
n = int(sys.argv[2])
migrate(sys.argv[1])
con = duckdb.connect(sys.argv[1])
con.execute("SET enable_progress_bar = false")
con.execute('''
INSERT INTO agent_events
SELECT 'trace:r' || (i // 10) || ':' || (i % 10), 'r' || (i // 10), hash('r' || (i // 10)), i % 10, NULL,
       ['session_start', 'agent_start', 'llm_request', 'tool_call_end', 'llm_response',
        'llm_request', 'tool_call_end', 'llm_response', 'agent_end', 'session_end'][i % 10 + 1],
       CASE WHEN i % 10 IN (0, 9) THEN NULL ELSE 'agent-' || ((i // 10) % 20) END,
       TIMESTAMPTZ '2026-10-01 00:00:00+00' + to_microseconds(i * 250000),
       NULL, CASE WHEN i % 10 IN (2, 4, 5, 7) THEN ['gpt-4o-mini', 'gpt-4o'][(i // 10) % 2 + 1] END,
       CASE WHEN i % 10 IN (4, 7) THEN 500 + i % 997 END,
       CASE WHEN i % 10 IN (4, 7) THEN 50 + i % 211 END,
       CASE WHEN i % 10 IN (4, 7) THEN (500 + i % 997) * 1.5e-7 END,
       CASE WHEN i % 10 IN (3, 4, 6, 7) THEN 50 + (i * 7919) % 1000 END,
       CASE WHEN i % 10 IN (3, 6) THEN ['web_search', 'read_file', 'http_get'][i % 3 + 1] END,
       CASE WHEN i % 10 IN (3, 6) AND i % 173 = 0 THEN 'TimeoutError' END,
       CASE WHEN i % 10 = 9 THEN CASE WHEN i % 310 = 9 THEN 'failed' ELSE 'completed' END END,
       NULL, NULL, 'x', 'bench', 'bench', now()
FROM range(?) AS t(i)
''', [n])
print(con.execute("SELECT count(*) FROM agent_events").fetchall()[0][0])
"""

AGENTS = """
import sys, time
import activity_analytics as aa
aa.agents(sys.argv[1])  # warm the OS cache once; the figure is the best of three
best = min(__import__('timeit').repeat(lambda: aa.agents(sys.argv[1], **eval(sys.argv[2])), number=1, repeat=3))
print(best)
"""

BARE_GROUP_BY = """
import sys, timeit, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
q = '''SELECT agent, count(DISTINCT run_id), count(*) FILTER (WHERE event_type = 'llm_response'),
              sum(prompt_tokens), sum(completion_tokens), sum(cost_usd),
              quantile_cont(duration_ms, 0.5) FILTER (WHERE event_type = 'tool_call_end'),
              quantile_cont(duration_ms, 0.95) FILTER (WHERE event_type = 'tool_call_end')
       FROM agent_events GROUP BY agent'''
con.sql(q).fetchall()
print(min(timeit.repeat(lambda: con.sql(q).fetchall(), number=1, repeat=3)))
"""


def traces_folder(events: int) -> tuple[Path, int]:
    """Generated trace files holding about ``events`` events (made once, then reused)."""
    folder = OUT / f"traces-{events}"
    if not folder.exists():
        spec = SampleSpec(seed=5, days=28)
        per_run = 9.7  # about what the generator makes per run
        runs_per_day = events / per_run / 28 / 2
        runs, _ = agent_runs(spec, AgentSpec(runs_per_day=runs_per_day, runaway=None))
        tmp = folder.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        write_traces(runs, tmp)
        tmp.rename(folder)
    files = sum(1 for _ in folder.iterdir())
    return folder, files


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench agents")
    parser.add_argument("--events", type=int, default=1_000_000, help="trace events to ingest")
    parser.add_argument("--store-events", type=int, default=10_000_000, help="agent events for `agents`")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    folder, files = traces_folder(args.events)
    size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    rows = {}
    for name, code, fresh in (("bare", BARE, True), ("ours", OURS, True), ("ours_again", OURS_AGAIN, False)):
        db = OUT / f"agents-{'ours' if name == 'ours_again' else name}.duckdb"
        best = best_of(code, str(folder), db, repeat=args.repeat, fresh=fresh)
        rows[name] = {"seconds": round(best.seconds, 2), "peak_rss_mb": round(best.peak_rss_mb),
                      "events": int(best.output.strip())}
    store = OUT / f"agents-store-{args.store_events}.duckdb"
    if not store.exists():
        run_child(MAKE_STORE, str(store), str(args.store_events))
    analyses = {}
    for label, kwargs in (("agents", {}), ("agents_by_model", {"by": "model"}),
                          ("agents_every_1d", {"every": "1d"})):
        analyses[label] = round(float(run_child(AGENTS, str(store), repr(kwargs)).output), 3)
    bare_group_by = round(float(run_child(BARE_GROUP_BY, str(store)).output), 3)
    result = {
        "benchmark": "agents",
        "machine": machine(),
        "input": f"{files} trace files, {rows['bare']['events']} events, {size_mb:.0f} MiB",
        **rows,
        "ratio_ours_to_bare": round(rows["ours"]["seconds"] / rows["bare"]["seconds"], 2),
        "ratio_rerun_to_bare": round(rows["ours_again"]["seconds"] / rows["bare"]["seconds"], 2),
        "store_events": args.store_events,
        "analyses_seconds": analyses,
        "bare_group_by_seconds": bare_group_by,
    }
    print(f"trace ingest of {rows['ours']['events']} events in {files} files ({size_mb:.0f} MiB): "
          f"ours {rows['ours']['seconds']} s, bare read_json {rows['bare']['seconds']} s, "
          f"ratio {result['ratio_ours_to_bare']}x, rerun {result['ratio_rerun_to_bare']}x; "
          f"agents on {args.store_events:,} events: {analyses} "
          f"(a bare GROUP BY of the table: {bare_group_by} s)")
    save(f"agents-{args.events}", result)
    return result
