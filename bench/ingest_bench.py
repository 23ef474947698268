"""Ingest of a generated JSON-lines file vs DuckDB's own bare load of the same file.

The baseline is ``CREATE TABLE AS SELECT * FROM read_json(...)`` into a file of
the store's storage version, measured in the same run. Targets (issue 35): a
clean file at most 1.5x it (stretch 1.3x); the same file with 20 records that
break a rule (no ``action``) at most 3x, with a peak memory at most 1.5x the
clean file's. Also measured, as information: the careful road alone (what a
file with an id repeated or stored before takes) and a rerun (all duplicates).
"""

from __future__ import annotations

import argparse

from activity_analytics import SampleSpec, generate_events
from activity_analytics._sample import write_jsonl

from ._common import OUT, best_of, machine, save

BARE = """
import sys, duckdb
from activity_analytics._store import storage_setting
con = duckdb.connect(sys.argv[2], config={"storage_compatibility_version": storage_setting()})
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

#: the file with rule-breaking records: all the others are stored, those rejected
BAD_RECORDS = 20


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


def with_bad_records(path, n: int = BAD_RECORDS):
    """``path`` with ``n`` records (spread evenly) that lack ``action`` (made once)."""
    import json

    bad = path.with_name(f"{path.stem}-{n}-bad.jsonl")
    if not bad.exists():
        lines = path.read_text().splitlines()
        for i in range(len(lines) // (2 * n), len(lines), len(lines) // n):
            record = json.loads(lines[i])
            del record["action"]
            lines[i] = json.dumps(record)
        bad.write_text("\n".join(lines) + "\n")
    return bad


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench ingest")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = input_file(args.events)
    bad = with_bad_records(path)
    size_mb = path.stat().st_size / 2**20
    rows = {}
    steps = (("bare", BARE, path, True), ("ours", OURS, path, True),
             ("ours_bad_records", OURS, bad, True), ("ours_again", OURS_AGAIN, path, False),
             ("ours_batch_path", OURS_BATCH, path, True))
    for name, code, source, fresh in steps:
        db = OUT / f"ingest-{'ours' if name == 'ours_again' else name}.duckdb"
        best = best_of(code, str(source), db, repeat=args.repeat, fresh=fresh)
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
        "bad_records": BAD_RECORDS,
        "ratio_bad_records_to_bare": round(
            rows["ours_bad_records"]["seconds"] / rows["bare"]["seconds"], 2),
        "ratio_bad_records_peak_to_clean_peak": round(
            rows["ours_bad_records"]["peak_rss_mb"] / rows["ours"]["peak_rss_mb"], 2),
        "ratio_batch_path_peak_to_clean_peak": round(
            rows["ours_batch_path"]["peak_rss_mb"] / rows["ours"]["peak_rss_mb"], 2),
        "ratio_batch_path_to_bare": round(
            rows["ours_batch_path"]["seconds"] / rows["bare"]["seconds"], 2
        ),
        "ratio_rerun_to_bare": round(rows["ours_again"]["seconds"] / rows["bare"]["seconds"], 2),
    }
    print(
        f"ingest {args.events} events ({size_mb:.0f} MiB): ours {rows['ours']['seconds']} s "
        f"({rows['ours']['events_per_s']}/s, peak RSS {rows['ours']['peak_rss_mb']} MB); "
        f"bare read_json {rows['bare']['seconds']} s (peak RSS {rows['bare']['peak_rss_mb']} MB); "
        f"ratio {result['ratio_ours_to_bare']}x; with {BAD_RECORDS} bad records "
        f"{rows['ours_bad_records']['seconds']} s ({result['ratio_bad_records_to_bare']}x, peak RSS "
        f"{rows['ours_bad_records']['peak_rss_mb']} MB = {result['ratio_bad_records_peak_to_clean_peak']}x "
        f"the clean file's); careful road alone {rows['ours_batch_path']['seconds']} s "
        f"({result['ratio_batch_path_to_bare']}x, peak RSS {rows['ours_batch_path']['peak_rss_mb']} MB); "
        f"rerun (all duplicates) {rows['ours_again']['seconds']} s ({result['ratio_rerun_to_bare']}x)"
    )
    save(f"ingest-{args.events}", result)
    return result
