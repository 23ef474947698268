"""Ingest of a generated JSON-lines file vs DuckDB's own bare load of the same file.

Target (issue: foundation): within 2x of ``CREATE TABLE AS SELECT * FROM
read_json(...)`` and peak RSS under 1 GB.
"""

from __future__ import annotations

import argparse

from activity_analytics import SampleSpec, generate_events
from activity_analytics._sample import write_jsonl

from ._common import OUT, best_of, machine, save

BARE = """
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE t AS SELECT * FROM read_json(?, format='newline_delimited')", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
"""

OURS = """
import sys
from activity_analytics import ingest
result = ingest([sys.argv[1]], sys.argv[2], progress=False)
print(result.total.stored)
"""


# The careful path, which every file with a bad record takes (and its rerun).
OURS_BATCH = """
import sys
from activity_analytics.ingest import _load
result = _load.ingest_paths([sys.argv[1]], sys.argv[2], progress=False, fast=False)
print(result.total.stored)
"""

# Ingesting the same file again into the store the fast run filled: all duplicates.
OURS_AGAIN = """
import sys
from activity_analytics import ingest
result = ingest([sys.argv[1]], sys.argv[2], progress=False)
print(result.total.duplicates)
"""


def input_file(events: int):
    """The generated input (made once, then reused)."""
    path = OUT / f"ingest-{events}.jsonl"
    if not path.exists():
        scale = events / 17_000  # overshoot, then keep exactly `events`
        frame = generate_events(SampleSpec(seed=11, scale=scale)).head(events)
        if frame.height < events:
            raise RuntimeError(f"generator made {frame.height} events, fewer than {events}")
        write_jsonl(frame, path)
    return path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench ingest")
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    path = input_file(args.events)
    size_mb = path.stat().st_size / 2**20
    rows = {}
    steps = (("bare", BARE, True), ("ours", OURS, True), ("ours_again", OURS_AGAIN, False),
             ("ours_batch_path", OURS_BATCH, True))
    for name, code, fresh in steps:
        db = OUT / f"ingest-{'ours' if name == 'ours_again' else name}.duckdb"
        best = best_of(code, str(path), db, repeat=args.repeat, fresh=fresh)
        rows[name] = {
            "seconds": round(best.seconds, 2),
            "events_per_s": round(int(best.output.strip()) / best.seconds),
            "peak_rss_mb": round(best.peak_rss_mb),
            "events": int(best.output.strip()),
        }
    result = {
        "benchmark": "ingest",
        "machine": machine(),
        "input": f"{path.name}: {args.events} events, {size_mb:.0f} MiB JSON lines",
        **rows,
        "ratio_ours_to_bare": round(rows["ours"]["seconds"] / rows["bare"]["seconds"], 2),
        "ratio_batch_path_to_bare": round(
            rows["ours_batch_path"]["seconds"] / rows["bare"]["seconds"], 2
        ),
        "ratio_rerun_to_bare": round(rows["ours_again"]["seconds"] / rows["bare"]["seconds"], 2),
    }
    print(
        f"ingest {args.events} events ({size_mb:.0f} MiB): ours {rows['ours']['seconds']} s "
        f"({rows['ours']['events_per_s']}/s, peak RSS {rows['ours']['peak_rss_mb']} MB); "
        f"bare read_json {rows['bare']['seconds']} s (peak RSS {rows['bare']['peak_rss_mb']} MB); "
        f"ratio {result['ratio_ours_to_bare']}x; batch path {rows['ours_batch_path']['seconds']} s "
        f"({result['ratio_batch_path_to_bare']}x, peak RSS {rows['ours_batch_path']['peak_rss_mb']} MB); "
        f"rerun (all duplicates) {rows['ours_again']['seconds']} s ({result['ratio_rerun_to_bare']}x)"
    )
    save(f"ingest-{args.events}", result)
    return result
