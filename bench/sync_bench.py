"""Sync throughput against a fast in-memory stub of the API, beside a bare httpx loop.

The bare loop fetches the same pages (200 per request, same concurrency),
decodes them and throws them away: the client-side limit. Also measured:
the number of requests of an incremental run over the unchanged store.
Targets (sync issue): within 1.15x of the bare loop on the stub; an
incremental run makes one request per workspace.

The sync is also timed against the package as it was before the load stage
(``BEFORE_REV``, issue 35: within 1.05x), both in child processes, alternating.

Two floors are measured in the same run, to tell what storing costs at all
on this machine: the bare loop handing each page to a thread that drops it
(the hand-off), and the bare loop handing each page to a thread that stores
its text, unparsed, in a DuckDB table, one transaction per batch as the sync
commits (the least any client that keeps the pages in DuckDB must do).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa

import activity_analytics as aa
from activity_analytics._store import transaction
from tests.platform_server import free_port

from ._common import machine, save, tree_at

#: the last commit before ingest's one load stage (issue 35)
BEFORE_REV = "cd5a129"

SYNC_CHILD = """
import sys, tempfile, time
from pathlib import Path
import activity_analytics as aa
db = Path(tempfile.mkdtemp()) / "sync.duckdb"
t = time.perf_counter()
aa.sync(sys.argv[1], db, credentials=aa.Credentials(token="stub"), options=aa.SyncOptions(progress=False))
print(time.perf_counter() - t)
"""


def sync_in_child(url: str, tree: Path | None) -> float:
    """Seconds a sync of the stub takes in a fresh Python, with ``tree`` first on
    the path (None: this checkout)."""
    env = {**os.environ, **({"PYTHONPATH": str(tree)} if tree else {})}
    out = subprocess.run([sys.executable, "-c", SYNC_CHILD, url], capture_output=True, text=True,
                         env=env, cwd=tree or Path(__file__).resolve().parent.parent, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def versus_before(url: str, rounds: int = 3) -> tuple[float, float]:
    """(this checkout, ``BEFORE_REV``): the best of ``rounds`` syncs each, alternating."""
    before = tree_at(BEFORE_REV)
    ours, then = float("inf"), float("inf")
    for _ in range(rounds):
        ours = min(ours, sync_in_child(url, None))
        then = min(then, sync_in_child(url, before))
    return ours, then


async def bare_loop(url: str, concurrency: int = 4, sink=None) -> tuple[int, int]:
    """Fetch every page of every workspace, decode, discard. Returns (rows, requests).

    ``sink(body, workspace)``, if given, also receives each page's text."""
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=60) as client:
        listed = (await client.get("/workspaces/", params={"limit": 200, "offset": 0})).json()
        gate = asyncio.Semaphore(concurrency)
        rows = requests = 0

        async def walk(ws: str) -> None:
            nonlocal rows, requests
            offset = 0
            async with gate:
                while True:
                    response = await client.get(f"/workspaces/{ws}/activity",
                                                params={"limit": 200, "offset": offset})
                    page = response.json()
                    if sink is not None:
                        sink(response.content, ws)
                    requests += 1
                    rows += len(page)
                    if len(page) < 200:
                        return
                    offset += 200

        await asyncio.gather(*(walk(w["id"]) for w in listed))
        return rows, requests


def floor(url: str, *, store: bool, batch_pages: int = 250) -> float:
    """Seconds for the bare loop handing its pages to one writer thread, which
    drops them (``store=False``) or stores each batch's page texts, unparsed,
    in a DuckDB table in one transaction (``store=True``), closing the file at
    the end as the sync does (DuckDB checkpoints then)."""
    db = Path(tempfile.mkdtemp()) / "floor.duckdb"
    con = duckdb.connect(str(db))
    con.execute("SET checkpoint_threshold = '1GB'")  # the floor: no checkpoint until the end
    con.execute("CREATE TABLE pages (body VARCHAR, workspace_id VARCHAR)")
    pages: queue.Queue = queue.Queue()
    failed: list[Exception] = []

    def writer() -> None:
        try:
            store_all()
        except Exception as exc:  # raised after the loop (the queue is unbounded: it never waits)
            failed.append(exc)

    def store_all() -> None:
        done = False
        while not done:
            batch = [pages.get()]
            while len(batch) < batch_pages and not pages.empty():
                batch.append(pages.get_nowait())
            if batch[-1] is None:
                done = True
                batch.pop()
            if store and batch:
                with transaction(con):
                    con.register("_pages", pa.table({
                        "body": pa.array([b for b, _ in batch], pa.binary()).cast(pa.string()),
                        "workspace_id": pa.array([w for _, w in batch], pa.string()),
                    }))
                    con.execute("INSERT INTO pages SELECT * FROM _pages")

    start = time.perf_counter()
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        asyncio.run(bare_loop(url, sink=lambda body, ws: pages.put((body, ws))))
    finally:
        pages.put(None)
        thread.join()
        con.close()
    if failed:
        raise RuntimeError(f"the floor's writer failed: {failed[0]}") from failed[0]
    return time.perf_counter() - start


def seeded_server(events: int):
    """The real Platform server with one workspace of ``events`` rows written
    into its table; returns (server, token, workspace id). Stop the server after."""
    import datetime as dt
    import sqlite3
    import uuid

    from tests.platform_server import PlatformServer, platform_python

    python = platform_python()
    if python is None:
        raise SystemExit("no .venv-platform: run ./run test once to install the real server")
    server = PlatformServer(Path(tempfile.mkdtemp()) / "platform.db").start(python)
    client = server.register("Bench")
    token = client.headers["Authorization"].split()[1]
    ws = client.post("/workspaces/", json={"name": "Bench"}).raise_for_status().json()["id"]
    start = dt.datetime(2026, 11, 1)
    con = sqlite3.connect(server.db_path)
    with con:
        con.executemany(
            "INSERT INTO activity_logs (id, workspace_id, entity_type, entity_id, action, actor_type, "
            "actor_id, details, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [(str(uuid.uuid4()), ws, "issue", "i", "issue.updated", "member", "u", "{}",
              (start + dt.timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S.%f")) for i in range(events)],
        )
    con.close()
    return server, token, ws


def real_server(events: int) -> dict:
    """The same comparison against the real Platform server (one workspace of ``events`` rows)."""
    server, token, ws = seeded_server(events)
    try:

        async def bare(in_flight: int = 1) -> None:
            """The bare loop; ``in_flight`` pages of the workspace requested at once."""
            async with httpx.AsyncClient(base_url=f"{server.url}/api/v1", timeout=60,
                                         headers={"Authorization": f"Bearer {token}"}) as http:
                offset = 0
                while True:
                    pages = await asyncio.gather(*(
                        http.get(f"/workspaces/{ws}/activity", params={"limit": 200, "offset": offset + 200 * i})
                        for i in range(in_flight)))
                    if min(len(p.json()) for p in pages) < 200:
                        return
                    offset += 200 * in_flight

        # does asking for several pages of one workspace at once help? Each way
        # twice, alternating (the first crawl also warms the server's caches)
        best: dict[int, float] = {}
        for k in (1, 2, 4, 1, 2, 4):
            t = time.perf_counter()
            asyncio.run(bare(k))
            best[k] = min(best.get(k, float("inf")), time.perf_counter() - t)
        bare_s, in_flight_s = best[1], {k: best[k] for k in (2, 4)}

        def ours(read_ahead: int | None) -> float:
            db = Path(tempfile.mkdtemp()) / "sync.duckdb"
            t = time.perf_counter()
            aa.sync(server.url, db, credentials=aa.Credentials(token=token),
                    options=aa.SyncOptions(progress=False, read_ahead=read_ahead))
            return time.perf_counter() - t

        # does reading ahead earn its keep? ours with the default (3 pages ahead for
        # one workspace) and without, twice each, alternating
        timed: dict = {}
        for ahead in (None, 0, None, 0):
            timed[ahead] = min(timed.get(ahead, float("inf")), ours(ahead))
        ours_s, no_ahead_s = timed[None], timed[0]
    finally:
        server.stop()
    result = {"benchmark": "sync (real server)", "machine": machine(), "events": events,
              "bare_seconds": round(bare_s, 2), "ours_seconds": round(ours_s, 2),
              "ratio_ours_to_bare": round(ours_s / bare_s, 2),
              "ours_events_per_s": round(events / ours_s),
              "ours_without_read_ahead_seconds": round(no_ahead_s, 2),
              "ratio_without_read_ahead_to_bare": round(no_ahead_s / bare_s, 2),
              "bare_seconds_pages_in_flight": {str(k): round(v, 2) for k, v in in_flight_s.items()}}
    print(f"sync {events} events from the real server: bare httpx loop {bare_s:.2f} s; ours {ours_s:.2f} s "
          f"({result['ours_events_per_s']}/s) = {result['ratio_ours_to_bare']}x; without read-ahead "
          f"{no_ahead_s:.2f} s = {result['ratio_without_read_ahead_to_bare']}x; bare loop with 2 and 4 "
          f"pages of the workspace in flight: {in_flight_s[2]:.2f} s, {in_flight_s[4]:.2f} s")
    save(f"sync-real-{events}", result)
    return result


DLT = """
import sys, tempfile, time
import dlt
from dlt.sources.rest_api import rest_api_source
source = rest_api_source({
    "client": {
        "base_url": sys.argv[1] + "/api/v1/",
        "auth": {"type": "bearer", "token": "stub"},
        "paginator": {"type": "offset", "limit": 200, "offset_param": "offset",
                      "limit_param": "limit", "total_path": None, "stop_after_empty_page": True},
    },
    "resources": [
        {"name": "workspaces", "endpoint": {"path": "workspaces/"}},
        {"name": "activity", "primary_key": "id", "write_disposition": "merge",
         "endpoint": {"path": "workspaces/{resources.workspaces.id}/activity"}},
    ],
})
pipeline = dlt.pipeline(pipeline_name="bench", dataset_name="activity",
                        destination=dlt.destinations.duckdb(sys.argv[2]),
                        pipelines_dir=tempfile.mkdtemp())
start = time.perf_counter()
pipeline.run(source)
print(time.perf_counter() - start)
"""


def dlt_seconds(url: str) -> float | None:
    """A dlt rest_api pipeline loading the same feed into DuckDB (merge on id), if dlt is installed."""
    db = Path(tempfile.mkdtemp()) / "dlt.duckdb"
    out = subprocess.run([sys.executable, "-c", DLT, url, str(db)], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"dlt pipeline skipped: {out.stderr.strip().splitlines()[-1] if out.stderr else '?'}")
        return None
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench sync")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--workspaces", type=int, default=4)
    parser.add_argument("--no-dlt", action="store_true", help="Skip the (slow) dlt pipeline.")
    parser.add_argument("--real", type=int, metavar="N", default=0,
                        help="Also sync N events from the real Platform server.")
    args = parser.parse_args(argv)
    if args.real:
        real_server(args.real)
    port = free_port()
    stub = subprocess.Popen(
        [sys.executable, "-m", "bench.stub_server", "--events", str(args.events),
         "--workspaces", str(args.workspaces), "--port", str(port)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert stub.stdout.readline().strip() == "ready"
        url = f"http://127.0.0.1:{port}"
        t, cpu = time.perf_counter(), time.process_time()
        rows, bare_requests = asyncio.run(bare_loop(url))
        bare, bare_cpu = time.perf_counter() - t, time.process_time() - cpu
        handoff = floor(url, store=False)
        store_raw = floor(url, store=True)
        db = Path(tempfile.mkdtemp()) / "sync.duckdb"
        creds = aa.Credentials(token="stub")
        t, cpu = time.perf_counter(), time.process_time()
        first = aa.sync(url, db, credentials=creds, options=aa.SyncOptions(progress=False))
        ours, ours_cpu = time.perf_counter() - t, time.process_time() - cpu
        t = time.perf_counter()
        again = aa.sync(url, db, credentials=creds, options=aa.SyncOptions(progress=False))
        incremental = time.perf_counter() - t
        dlt_s = None if args.no_dlt else dlt_seconds(url)
        child_s, before_s = versus_before(url)
    finally:
        stub.terminate()
    stored = sum(s.new_rows for s in first.scopes)
    result = {
        "benchmark": "sync (stub)", "machine": machine(), "events": rows, "workspaces": args.workspaces,
        "bare_seconds": round(bare, 2), "bare_events_per_s": round(rows / bare),
        "bare_requests": bare_requests, "bare_client_cpu_seconds": round(bare_cpu, 2),
        "ours_client_cpu_seconds": round(ours_cpu, 2),
        "ours_seconds": round(ours, 2), "ours_events_per_s": round(stored / ours),
        "ours_activity_requests": sum(s.pages for s in first.scopes), "ours_requests": first.requests,
        "ratio_ours_to_bare": round(ours / bare, 2),
        "floor_handoff_seconds": round(handoff, 2), "ratio_handoff_to_bare": round(handoff / bare, 2),
        "floor_store_raw_seconds": round(store_raw, 2),
        "ratio_store_raw_to_bare": round(store_raw / bare, 2),
        "ratio_ours_to_store_raw": round(ours / store_raw, 2),
        "incremental_seconds": round(incremental, 3),
        "before_rev": BEFORE_REV, "child_seconds": round(child_s, 2),
        "before_child_seconds": round(before_s, 2), "ratio_ours_to_before": round(child_s / before_s, 3),
        "dlt_seconds": round(dlt_s, 2) if dlt_s else None,
        "ratio_ours_to_dlt": round(ours / dlt_s, 2) if dlt_s else None,
        "incremental_activity_requests_per_workspace": [s.pages for s in again.scopes],
    }
    print(
        f"sync {rows} events from the stub, {args.workspaces} workspaces: bare httpx loop {bare:.2f} s "
        f"({result['bare_events_per_s']}/s, {bare_requests} requests, client CPU {bare_cpu:.2f} s); "
        f"ours {ours:.2f} s (client CPU {ours_cpu:.2f} s) "
        f"({result['ours_events_per_s']}/s, {result['ours_activity_requests']} activity requests) = "
        f"{result['ratio_ours_to_bare']}x; floors: hand-off to a thread {handoff:.2f} s "
        f"({result['ratio_handoff_to_bare']}x), storing the raw pages in DuckDB {store_raw:.2f} s "
        f"({result['ratio_store_raw_to_bare']}x; ours is {result['ratio_ours_to_store_raw']}x that); incremental {incremental:.3f} s, activity requests per "
        f"workspace {result['incremental_activity_requests_per_workspace']}; dlt rest_api "
        f"{result['dlt_seconds']} s; in a child process {child_s:.2f} s vs {before_s:.2f} s before the "
        f"load stage ({BEFORE_REV}) = {result['ratio_ours_to_before']}x"
    )
    save(f"sync-stub-{rows}", result)
    return result
