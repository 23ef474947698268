"""Nothing lost to a held session: a sync that finds the store locked keeps what
it fetched in the spool beside it and exits 75; the next write stores the
spool first, exactly once; ``bursts --new`` and ``ingest`` exit 75 having
changed nothing. Against the real Platform server."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import activity_analytics as aa
from activity_analytics import SyncOptions
from activity_analytics.cli import cli
from activity_analytics.ingest import _spool

from .conftest import record, write_lines
from .holders import hold
from .platform_server import platform  # noqa: F401 - the fixture
from .test_sync import assert_store_equals_server, insert_rows, seeded_world

pytestmark = pytest.mark.platform


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "activity_analytics", *args], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=300)


def count_ids(db: Path) -> tuple[int, int]:
    return aa.sql(db, "SELECT count(*) AS n, count(DISTINCT id) AS d FROM activity").row(0)


@pytest.fixture
def world(platform, monkeypatch):  # noqa: F811
    """The real server (on SQLite: sharing the store does not depend on the server's database)."""
    return seeded_world(platform, monkeypatch)


def test_a_sync_beside_a_held_session_spools_exits_75_and_the_next_run_stores_it_once(world, tmp_path):
    server, _, _, (ws_a, ws_b) = world
    db = tmp_path / "s.duckdb"
    assert run_cli("sync", "--api", server.url, "--db", str(db), "--quiet").returncode == 0
    before = count_ids(db)[0]
    insert_rows(server, ws_a, 120)
    insert_rows(server, ws_b, 80)
    holder = hold(db, 120, read_only=True)  # what `duckdb -readonly s.duckdb` does
    try:
        done = run_cli("sync", "--api", server.url, "--db", str(db), "--quiet", "--lock-timeout", "1")
        assert done.returncode == 75, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ")
        assert f"in use by process {holder.pid}" in lines[0]
        assert "200 event(s) wait in" in lines[0] and "next sync or ingest stores them first" in lines[0]
        assert sum(f.rows for f in _spool.waiting(db)) == 200
        assert count_ids(db)[0] == before  # the reader's session saw nothing change
        shown = run_cli("status", "--db", str(db), "--short")  # a reader beside a reader
        assert "spool: 200 event(s)" in shown.stdout
    finally:
        holder.kill()
        holder.wait()
    again = aa.sync(server.url, db, options=SyncOptions(progress=False))
    assert again.from_spool == 200
    assert sum(s.new_rows for s in again.scopes) == 0  # the spool brought the state up to date
    assert _spool.waiting(db) == [] and not list(_spool.folder(db).glob(".*"))
    assert count_ids(db) == (before + 200, before + 200)
    assert_store_equals_server(db, server)
    interrupted = aa.status(db).interrupted
    assert interrupted.height == 0, interrupted


def screen(written: str) -> list[str]:
    """The lines a terminal shows after ``written`` (a progress bar's \\r, \\n and
    cursor up), the blank ones left out."""
    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[A|.", written, flags=re.S):
        if token == "\x1b[A":
            row = max(row - 1, 0)
        elif token == "\r":
            col = 0
        elif token == "\n":
            row, col = row + 1, 0
            lines += [""] * (row + 1 - len(lines))
        else:
            lines[row] = lines[row][:col].ljust(col) + token + lines[row][col + 1:]
            col += 1
    return [line.rstrip() for line in lines if line.strip()]


def test_after_a_spool_the_progress_shows_the_rows_it_stored_and_no_line_for_nothing(world, tmp_path, capfd):
    server, _, _, (ws_a, ws_b) = world
    db = tmp_path / "s.duckdb"
    aa.sync(server.url, db, options=SyncOptions(progress=False))
    insert_rows(server, ws_a, 120)
    holder = hold(db, 120, read_only=True)
    try:
        with pytest.raises(aa.StoreLockedError, match="120 event"):
            aa.sync(server.url, db, options=SyncOptions(progress=False), lock_timeout=0.5)
    finally:
        holder.kill()
        holder.wait()
    assert _spool.folder(db).is_dir()
    insert_rows(server, ws_b, 5)  # and five rows the spool does not hold
    capfd.readouterr()
    aa.sync(server.url, db, options=SyncOptions(progress=True))
    shown = screen(capfd.readouterr().err)
    assert len(shown) == 2, shown
    assert shown[0].startswith("spool: 100%|") and "| 120/120 [" in shown[0], shown
    assert shown[1].startswith("Beta: 5 rows [") and shown[1].endswith(", pages=1]"), shown
    assert not _spool.folder(db).exists()  # drained: no empty folder left behind
    aa.sync(server.url, db, options=SyncOptions(progress=True))
    assert screen(capfd.readouterr().err) == []  # nothing to do: no "0.00 rows" line


def test_an_empty_spool_folder_is_removed_and_only_an_empty_one(tmp_path):
    db = tmp_path / "s.duckdb"
    _spool.tidy(db)  # no folder: nothing to do
    spool = _spool.folder(db)
    spool.mkdir()
    (spool / ".being-written.jsonl.tmp").write_text("{}")  # a sync spooling meanwhile
    _spool.tidy(db)
    assert spool.is_dir()
    (spool / ".being-written.jsonl.tmp").unlink()
    _spool.tidy(db)
    assert not spool.exists()
    assert _spool.write(db, "http://x", [{"rows": 0}]).path.parent == spool  # made again when needed


def test_an_ingest_stores_the_spool_first(world, tmp_path):
    server, _, _, (ws_a, _) = world
    db = tmp_path / "s.duckdb"
    aa.sync(server.url, db, options=SyncOptions(progress=False))
    insert_rows(server, ws_a, 30)
    holder = hold(db, 120)  # a writer: even reading the states waits, then gives up
    try:
        with pytest.raises(aa.StoreLockedError):
            aa.sync(server.url, db, options=SyncOptions(progress=False), lock_timeout=0.5)
    finally:
        holder.kill()
        holder.wait()
    assert _spool.waiting(db) == []  # it could not even start: nothing fetched, nothing kept
    holder = hold(db, 120, read_only=True)
    try:
        with pytest.raises(aa.StoreLockedError, match="30 event"):
            aa.sync(server.url, db, options=SyncOptions(progress=False), lock_timeout=0.5)
    finally:
        holder.kill()
        holder.wait()
    result = aa.ingest([write_lines(tmp_path / "f.jsonl", [record("file-1")])], db, progress=False)
    assert result.from_spool == 30 and result.total.stored == 1
    assert "spool: 30 rows" in result.summary()
    assert _spool.waiting(db) == [] and not _spool.folder(db).exists()
    server_ids = {r["id"] for r in server.activity_logs()}
    assert set(aa.sql(db, "SELECT id FROM activity")["id"].to_list()) == server_ids | {"act-file-1"}
    assert aa.sync(server.url, db, options=SyncOptions(progress=False)).from_spool == 0


def test_bursts_new_and_ingest_beside_a_held_writer_exit_75_having_changed_nothing(tmp_path):
    db = tmp_path / "demo.duckdb"
    aa.demo(db, progress=False)
    holder = hold(db, 120, read_only=True)
    try:
        result = CliRunner().invoke(cli, ["bursts", "--db", str(db), "--new", "--lock-timeout", "0.5"])
        assert result.exit_code == 75
        assert result.stdout == ""  # nothing printed that could not be recorded: no alert twice
        assert "Nothing was written: running the same command again is safe" in result.stderr
        result = CliRunner().invoke(cli, ["ingest", str(write_lines(tmp_path / "a.jsonl", [record(1)])),
                                          "--db", str(db), "--lock-timeout", "0.5"])
        assert result.exit_code == 75 and "Nothing was written" in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert aa.sql(db, "SELECT count(*) FROM reported_bursts").item() == 0
    first = CliRunner().invoke(cli, ["bursts", "--db", str(db), "--new", "--format", "csv"])
    assert first.exit_code == 0 and len(first.stdout.splitlines()) > 2


SPOOLING = textwrap.dedent("""
    import sys, time
    import activity_analytics as aa
    from activity_analytics.ingest import _spool, _writer
    _writer.Writer.MAX_ROWS = 1      # a spool file per page: many files, many moments to be killed
    original = _spool.write
    def announcing(*args, **kwargs):
        kept = original(*args, **kwargs)
        print("spooled", flush=True)
        return kept
    _spool.write = announcing
    original_read = _spool.read
    def slow_read(spooled):
        print("loading", flush=True)
        time.sleep(0.05)
        return original_read(spooled)
    _spool.read = slow_read
    options = aa.SyncOptions(progress=False, page_size=10)
    try:
        aa.sync(sys.argv[1], sys.argv[2], options=options, lock_timeout=float(sys.argv[3]))
    except aa.StoreLockedError:
        pass
    print("done", flush=True)
""")


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_while_spooling_and_while_loading_the_spool_loses_nothing_and_stores_nothing_twice(
        world, tmp_path, seed):
    server, _, _, (ws_a, ws_b) = world
    rng = random.Random(seed)
    db = tmp_path / "s.duckdb"
    aa.sync(server.url, db, options=SyncOptions(progress=False))
    insert_rows(server, ws_a, 150)
    insert_rows(server, ws_b, 60)
    holder = hold(db, 120, read_only=True)
    try:  # killed while spooling
        child = subprocess.Popen([sys.executable, "-c", SPOOLING, server.url, str(db), "0.3"],
                                 stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        for _ in range(rng.randint(2, 8)):
            assert child.stdout.readline().strip() == "spooled"
        time.sleep(rng.uniform(0, 0.05))
        child.send_signal(signal.SIGKILL)
        child.wait()
        kept = sum(f.rows for f in _spool.waiting(db))
        assert kept > 0
        # another run, also locked out, spools on top (what it fetches again is kept again)
        child = subprocess.run([sys.executable, "-c", SPOOLING, server.url, str(db), "0.3"],
                               capture_output=True, text=True, env=os.environ.copy(), timeout=300)
        assert child.stdout.strip().endswith("done"), child.stderr
    finally:
        holder.kill()
        holder.wait()
    files = len(_spool.waiting(db))
    assert files > 10
    # killed while loading the spool, at a random file
    child = subprocess.Popen([sys.executable, "-c", SPOOLING, server.url, str(db), "5"],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    for _ in range(rng.randint(2, files - 2)):
        assert child.stdout.readline().strip() == "loading"
    time.sleep(rng.uniform(0, 0.06))
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert 0 < len(_spool.waiting(db)) < files
    result = aa.sync(server.url, db, options=SyncOptions(progress=False))
    assert result.from_spool > 0
    assert _spool.waiting(db) == []
    n, distinct = count_ids(db)
    assert n == distinct  # nothing stored twice
    assert_store_equals_server(db, server)  # nothing lost


def test_questions_asked_during_a_sync_never_fail_and_see_its_progress(world, tmp_path):
    """A notebook asking while cron syncs: every question is answered (within one
    write window, at the default lock timeout), and answers show the sync part-way."""
    server, _, _, (ws_a, _) = world
    insert_rows(server, ws_a, 40_000)
    total = len(server.activity_logs())
    db = tmp_path / "s.duckdb"
    sync = subprocess.Popen([sys.executable, "-m", "activity_analytics", "sync", "--api", server.url,
                             "--db", str(db), "--quiet"], env=os.environ.copy(),
                            stderr=subprocess.PIPE, text=True)
    answers, failures = [], []
    while sync.poll() is None:
        if db.exists():
            try:
                answers.append(aa.sql(db, "SELECT count(*) AS n FROM activity").item())
            except aa.ActivityAnalyticsError as exc:
                failures.append(str(exc))
        time.sleep(0.5)
    assert sync.returncode == 0, sync.stderr.read()
    assert failures == []
    assert len(answers) >= 5, "the sync should take long enough to ask it several times"
    assert any(0 < n < total for n in answers), answers  # progress so far, not all or nothing
    assert answers == sorted(answers)
    assert count_ids(db) == (total, total)


def test_an_ingest_from_stdin_locked_out_keeps_what_was_piped_in(tmp_path):
    db = tmp_path / "s.duckdb"
    aa.migrate(db)
    holder = hold(db, 120, read_only=True)
    lines = "".join(__import__("json").dumps(record(i)) + "\n" for i in range(3))
    try:
        result = CliRunner().invoke(cli, ["ingest", "-", "--db", str(db), "--lock-timeout", "0.3"],
                                    input=lines)
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 75
    kept = Path(result.stderr.split("Standard input is kept in ")[1].split(": ingest that file")[0])
    assert kept.read_text() == lines  # piped input cannot be read again: nothing lost
    assert aa.ingest([kept], db, progress=False).total.stored == 3
    kept.unlink()
