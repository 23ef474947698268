"""Questions during a sync: how long an analyst waits, and what short write windows cost.

Against the real Platform server, one workspace of ``--events`` rows, in one run:

- **ours**: ``activity-analytics sync`` (a child process) while this process
  asks ``SELECT count(*) FROM activity`` every second through ``aa.sql`` with
  the default lock timeout: each question's wait (asked -> answered), how many
  failed, and how many saw the sync part-way;
- **before**: the same with the sync of the landed main before this change
  (``BASELINE_REV``, run from a ``git archive`` of it), which held the store
  for the whole sync: the same questions, and its wall time, the baseline of
  the windows' cost (goal: ours at most 1.1x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import activity_analytics as aa

from ._common import machine, save, tree_at
from .sync_bench import seeded_server

#: the landed main before short write windows: one connection for the whole sync
BASELINE_REV = "606c497"
ROOT = Path(__file__).resolve().parent.parent


def _questions(db: Path, stop: threading.Event, every: float = 1.0) -> list[dict]:
    """Ask every ``every`` seconds until ``stop``: each question's wait, answer or error."""
    asked: list[dict] = []
    while not stop.is_set():
        start = time.perf_counter()
        if db.exists():
            try:
                n = aa.sql(db, "SELECT count(*) AS n FROM activity").item()
                asked.append({"wait": time.perf_counter() - start, "n": n})
            except aa.ActivityAnalyticsError as exc:
                asked.append({"wait": time.perf_counter() - start, "error": str(exc)[:120]})
        stop.wait(max(0.0, every - (time.perf_counter() - start)))
    return asked


def _run(url: str, token: str, events: int, pythonpath: Path | None) -> dict:
    db = Path(tempfile.mkdtemp()) / "shared.duckdb"
    env = {**os.environ, "ACTIVITY_API_TOKEN": token}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    stop = threading.Event()
    result: dict = {}
    asker = threading.Thread(target=lambda: result.setdefault("asked", _questions(db, stop)))
    asker.start()
    start = time.perf_counter()
    # run from the tree's own folder: `python -m` looks in the current folder first
    proc = subprocess.run([sys.executable, "-m", "activity_analytics", "sync", "--api", url,
                           "--db", str(db), "--quiet"], env=env, capture_output=True, text=True,
                          cwd=pythonpath or ROOT)
    wall = time.perf_counter() - start
    stop.set()
    asker.join()
    if proc.returncode != 0:
        raise RuntimeError(f"sync failed ({proc.returncode}): {proc.stderr}")
    version = subprocess.run([sys.executable, "-c", "from activity_analytics.ingest import _writer as w; "
                              "print('windows' if hasattr(w, 'load_spool') or hasattr(w, '_core') else 'one window')"],
                             env=env, capture_output=True, text=True, cwd=pythonpath or ROOT).stdout.strip()
    asked = result["asked"]
    answered = [q for q in asked if "n" in q]
    waits = sorted(q["wait"] for q in answered) or [float("nan")]
    stored = aa.sql(db, "SELECT count(*) FROM activity").item()
    return {
        "sync_seconds": round(wall, 2),
        "stored": stored,
        "questions": len(asked),
        "failed": len(asked) - len(answered),
        "saw_partial_progress": sum(1 for q in answered if 0 < q["n"] < events),
        "wait_p50_s": round(statistics.median(waits), 3),
        "wait_p95_s": round(waits[min(len(waits) - 1, int(0.95 * len(waits)))], 3),
        "wait_max_s": round(waits[-1], 3),
        "first_error": next((q["error"] for q in asked if "error" in q), None),
        "writer": version,  # which code ran: a check that the baseline is the old one
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench sharing")
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args(argv)
    server, token, _ = seeded_server(args.events)
    try:
        ours = _run(server.url, token, args.events, None)
        print(f"ours: {ours}", flush=True)
        before = _run(server.url, token, args.events, tree_at(BASELINE_REV))
        print(f"before ({BASELINE_REV}): {before}", flush=True)
    finally:
        server.stop()
    result = {"benchmark": "questions during a sync (real server)", "machine": machine(),
              "events": args.events, "ours": ours, "before": before, "baseline_rev": BASELINE_REV,
              "ratio_sync_to_before": round(ours["sync_seconds"] / before["sync_seconds"], 2)}
    print(f"sync with short write windows {ours['sync_seconds']} s vs one window "
          f"{before['sync_seconds']} s = {result['ratio_sync_to_before']}x; questions: "
          f"p50 {ours['wait_p50_s']} s, p95 {ours['wait_p95_s']} s, max {ours['wait_max_s']} s, "
          f"{ours['failed']} of {ours['questions']} failed (before: {before['failed']} of "
          f"{before['questions']} failed)", flush=True)
    save(f"sharing-{args.events}", result)
    return result
