"""A kill -9 in the middle of an ingest keeps whole batches; a rerun completes it exactly.
Ctrl-C stops any query at once, and a command says so in one line."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from activity_analytics import SampleSpec, generate_events, ingest, migrate, sql, status
from activity_analytics._sample import write_jsonl

CHILD = textwrap.dedent(
    """
    import sys
    from activity_analytics.ingest import _core, _files, _load
    _files.BLOCK_BYTES = 64 * 1024          # many small batches
    original = _core.store_file
    def announcing(*args, **kwargs):
        for counts in original(*args, **kwargs):  # each batch's counts once it is committed
            print("committed", counts.records, flush=True)
            yield counts
    _core.store_file = announcing
    _load.ingest_paths([sys.argv[1]], sys.argv[2], progress=False, fast=False)  # commits per batch
    print("done", flush=True)
    """
)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    events = generate_events(SampleSpec(days=4, workspaces=2, scale=3))
    path = tmp_path_factory.mktemp("crash") / "activity.jsonl"
    write_jsonl(events, path)
    return path, events["id"].to_list()


FAST_CHILD = textwrap.dedent(
    """
    import sys
    import activity_analytics as aa
    from activity_analytics.ingest import _load
    aa.migrate(sys.argv[2])  # the store made (and DuckDB loaded) first: the kill lands in the ingest
    print("start", flush=True)
    _load.ingest([sys.argv[1]], sys.argv[2], progress=False)
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_during_the_one_statement_fast_path_leaves_all_or_nothing(tmp_path, big_file, seed):
    path, file_ids = big_file
    db = tmp_path / "killed.duckdb"
    child = subprocess.Popen(
        [sys.executable, "-c", FAST_CHILD, str(path), str(db)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "start"
    import time

    time.sleep(random.Random(seed).uniform(0.2, 1.0))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    if db.exists():
        stored = sql(db, "SELECT id FROM activity")["id"].to_list()
        assert len(stored) in (0, len(file_ids))
    result = ingest([path], db, progress=False)
    assert result.total.stored + result.total.duplicates == len(file_ids)
    assert sorted(sql(db, "SELECT id FROM activity")["id"].to_list()) == sorted(file_ids)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_mid_file_then_rerun_completes_exactly(tmp_path, big_file, seed):
    path, file_ids = big_file
    db = tmp_path / "killed.duckdb"
    rng = random.Random(seed)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(db)], stdout=subprocess.PIPE, text=True
    )
    wanted = rng.randint(2, 8)
    seen = 0
    for line in child.stdout:
        if line.startswith("committed"):
            seen += 1
            if seen == wanted:
                break
    # kill at a random moment during the next batch, not just between batches
    import time

    time.sleep(rng.uniform(0, 0.05))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    stored = sql(db, "SELECT id FROM activity")["id"].to_list()
    assert len(stored) < len(file_ids), "killed too late to test anything"
    # whole batches only: what is stored is exactly the first lines of the file
    assert sorted(stored) == sorted(file_ids[: len(stored)])
    assert status(db).interrupted.height == 1

    result = ingest([path], db, progress=False)  # (takes the fast path, falls back)
    assert result.total.duplicates == len(stored)
    assert result.total.stored == len(file_ids) - len(stored)
    assert status(db).interrupted.height == 0

    reference = tmp_path / "clean.duckdb"
    ingest([path], reference, progress=False)
    query = "SELECT * EXCLUDE (ingested_at) FROM activity ORDER BY id"
    assert sql(db, query).equals(sql(reference, query))
    assert sql(db, "SELECT count(*) AS n FROM rejects")["n"][0] == 0
    assert sql(db, "SELECT count(*) - count(DISTINCT id) AS n FROM activity")["n"][0] == 0


def test_ctrl_c_while_duckdb_runs_a_query_exits_130_with_one_line():
    """DuckDB turns Ctrl-C during a query into RuntimeError('Query interrupted'),
    not KeyboardInterrupt: a command still says it was interrupted, in one line,
    and exits 130 (it printed a traceback and exited 1 when the signal came while
    a database load's statement ran)."""
    child = textwrap.dedent("""
        import os, signal, threading
        import duckdb
        from activity_analytics._cli_common import _errors_to_exit

        con = duckdb.connect()
        con.execute("CREATE TABLE t AS SELECT range AS x FROM range(10000000)")

        @_errors_to_exit
        def command():  # seconds of work, even on a fast machine
            con.execute("SELECT count(*) FROM t WHERE md5(md5(x::VARCHAR)) LIKE '%zzz%'").fetchall()

        threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        command()
        """)
    # DuckDB looks at signals only between tasks, and one task can run for hours:
    # the scan of range() and a join whose every row matches millions ignored
    # Ctrl-C (a CI run hung on it). A plain scan of a table ends in seconds anyway.
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("interrupted:"), proc.stderr


#: hours of work in a few DuckDB tasks that never look at signals: DuckDB alone ignores Ctrl-C
#: here (every row of one side matches 600,000 of the other)
ENDLESS = "SELECT count(*) AS n FROM range(3000000) AS a, range(3000000) AS b WHERE a.range % 7 = b.range % 5"


def test_ctrl_c_cancels_a_query_duckdb_alone_would_not_stop_and_frees_the_store(tmp_path):
    """In Python (Jupyter's "interrupt kernel" sends the same SIGINT): KeyboardInterrupt,
    and the store is closed, so a writer can open it at once."""
    db = tmp_path / "s.duckdb"
    child = textwrap.dedent("""
        import os, signal, sys, threading
        import activity_analytics as aa
        from activity_analytics._store import connect

        db = sys.argv[1]
        aa.migrate(db)
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            aa.sql(db, sys.argv[2])
        except KeyboardInterrupt:
            with connect(db, read_only=False, lock_timeout=0):
                print("interrupted, and the store is free", flush=True)
        """)
    proc = subprocess.run([sys.executable, "-c", child, str(db), ENDLESS], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "interrupted, and the store is free\n", proc.stdout + proc.stderr


def test_ctrl_c_stops_a_cli_command_in_a_query_duckdb_alone_would_not_stop(tmp_path):
    db = tmp_path / "s.duckdb"
    migrate(db)
    cli = [sys.executable, "-m", "activity_analytics", "sql", "--db", str(db), ENDLESS]
    with subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        _wait_until_open(proc, db)  # Python started (a Ctrl-C while importing is Python's own)
        time.sleep(0.3)  # and inside the query
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.count("\n") == 1 and err.startswith("interrupted:") and not out, err


def _wait_until_open(proc: subprocess.Popen, path, timeout: float = 60) -> None:
    """Until the process ``proc`` has the file ``path`` open (Linux's /proc)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError):
            fds = Path(f"/proc/{proc.pid}/fd")
            if any(os.readlink(fd) == os.path.realpath(path) for fd in fds.iterdir()):
                return
        time.sleep(0.02)
    raise AssertionError(f"the command never opened {path}: {proc.poll()=}")
