"""Long SQL sessions that block nobody: the SQL prompt and the notebook magic
open the store only while a statement runs, so a writer goes ahead between
statements (issue: analysts and scheduled jobs on one store)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import activity_analytics as aa
from activity_analytics.cli import cli

from .conftest import record, write_lines


@pytest.fixture
def store(tmp_path) -> Path:
    db = tmp_path / "store.duckdb"
    write_lines(tmp_path / "a.jsonl", [record(i) for i in range(3)])
    aa.ingest([tmp_path / "a.jsonl"], db, progress=False)
    return db


def _more(tmp_path: Path, n: int) -> Path:
    return write_lines(tmp_path / f"more-{n}.jsonl", [record(f"more-{n}-{i}") for i in range(n)])


def test_statements_from_stdin_run_one_by_one_and_a_failure_exits_2(store):
    result = CliRunner().invoke(cli, ["sql", "--db", str(store), "--format", "csv"], input=(
        "SELECT count(*) AS n\nFROM events;\n.tables\nSELECT nope;\n"
        "SELECT 'a;b' AS text;\nSELECT 42 AS last"))
    assert result.exit_code == 2, result.output
    out = result.output
    assert "n\n3\n" in out
    assert "events,view" in out and "aa_bursts,macro" in out  # .tables
    assert "error: query failed:" in out and '"nope"' in out
    assert out.index("error: query failed") < out.index("last\n42")  # it went on after the error
    assert "text\na;b\n" in out  # a ";" inside a line ends no statement


def test_a_quit_stops_and_a_clean_script_exits_0(store):
    result = CliRunner().invoke(cli, ["sql", "--db", str(store)], input="SELECT 1 AS one;\n.quit\nSELECT nope;\n")
    assert result.exit_code == 0 and "one" in result.output and "error" not in result.output


def test_an_open_sql_prompt_never_blocks_a_writer(tmp_path, store):
    prompt = subprocess.Popen(
        [sys.executable, "-m", "activity_analytics", "sql", "--db", str(store), "--format", "csv"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        prompt.stdin.write("SELECT count(*) AS n FROM events;\n")
        prompt.stdin.flush()
        assert prompt.stdout.readline() == "n\n" and prompt.stdout.readline() == "3\n"
        # the prompt is still open, waiting for its next statement: a writer gets in at once
        result = aa.ingest([_more(tmp_path, 5)], store, progress=False, lock_timeout=0)
        assert result.total.stored == 5
        prompt.stdin.write("SELECT count(*) AS n FROM events;\n")
        prompt.stdin.flush()
        assert prompt.stdout.readline() == "n\n" and prompt.stdout.readline() == "8\n"  # sees it
        prompt.stdin.close()
        assert prompt.wait(timeout=30) == 0
    finally:
        prompt.kill()


@pytest.fixture
def ipython():
    shell_module = pytest.importorskip("IPython.core.interactiveshell")
    shell = shell_module.InteractiveShell.instance()
    shell.run_line_magic("load_ext", "activity_analytics.magic")
    yield shell
    shell_module.InteractiveShell.clear_instance()


def test_the_sql_magic_answers_and_holds_nothing_between_cells(tmp_path, store, ipython, capsys):
    assert ipython.run_line_magic("sql_db", str(store)) == str(store)
    frame = ipython.run_line_magic("sql", "SELECT count(*) AS n FROM events")
    assert isinstance(frame, pl.DataFrame) and frame["n"].to_list() == [3]
    assert aa.ingest([_more(tmp_path, 2)], store, progress=False, lock_timeout=0).total.stored == 2
    bursts = ipython.run_cell_magic("sql", "", "SELECT count(*) AS n\nFROM aa_bursts()")
    assert bursts["n"].to_list() == [0]  # the macros work through it
    other = tmp_path / "other.duckdb"
    aa.migrate(other)
    assert ipython.run_cell_magic("sql", f"--db '{other}'", "SELECT count(*) AS n FROM events")["n"][0] == 0
    assert ipython.run_line_magic("sql", "SELECT count(*) AS n FROM events")["n"][0] == 5  # back to %sql_db
    assert ipython.run_line_magic("sql", "SELECT nope") is None
    assert capsys.readouterr().err.startswith("error: query failed:")


def test_the_magic_reads_activity_db_by_default(tmp_path, store, monkeypatch):
    shell_module = pytest.importorskip("IPython.core.interactiveshell")
    monkeypatch.setenv("ACTIVITY_DB", os.fspath(store))
    shell = shell_module.InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "activity_analytics.magic")
        shell.run_line_magic("reload_ext", "activity_analytics.magic")
        assert shell.run_line_magic("sql_db", "") == os.fspath(store)
    finally:
        shell_module.InteractiveShell.clear_instance()


# --- any interleaving of syncs (written or spooled), spool loads and ingests ---------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from activity_analytics import _store  # noqa: E402
from activity_analytics.ingest import _spool  # noqa: E402

OPS = st.lists(st.one_of(
    st.tuples(st.just("sync"), st.booleans()),           # a sync; True: the store stays locked
    st.tuples(st.just("ingest"), st.integers(0, 2)),     # one of three files
    st.tuples(st.just("grow"), st.integers(1, 30)),      # new activity on the server
), min_size=1, max_size=8)


def _feed_record(k: int) -> dict:
    return record(f"feed-{k}") | {"created_at": f"2026-11-26T10:{k // 60:02d}:{k % 60:02d}.000000"}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, start=st.integers(0, 40))
def test_any_interleaving_of_syncs_spools_and_ingests_stores_what_one_sequential_run_would(
        tmp_path_factory, ops, start):
    import httpx

    tmp = tmp_path_factory.mktemp("interleave")
    feed = [_feed_record(k) for k in range(start)]  # oldest first; the API answers newest first
    files = [write_lines(tmp / "f0.jsonl", [record(f"file-{i}") for i in range(5)]),
             write_lines(tmp / "f1.jsonl", [_feed_record(k) for k in range(0, 20, 3)]),  # the feed's rows
             write_lines(tmp / "f2.jsonl", [record(f"file-{i}") for i in range(3, 9)])]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces/"):
            return httpx.Response(200, json=[{"id": "ws-1", "name": "One", "slug": "one"}])
        if request.url.path.endswith("/activity"):
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            return httpx.Response(200, json=feed[::-1][offset:offset + limit])
        return httpx.Response(200, json=[])

    options = aa.SyncOptions(progress=False, page_size=7,
                             client=aa.ClientOptions(transport=httpx.MockTransport(handler)))
    original = _store._connect
    locked = {"now": False}

    def maybe_locked(path, read_only, lock_timeout, config):
        if locked["now"] and not read_only:  # another process holds the store past the timeout
            raise aa.StoreLockedError(f"{path} is in use by process 1 (waited 0s)", "process 1")
        return original(path, read_only, lock_timeout, config)

    def sync(db):
        return aa.sync("http://127.0.0.1:9", db, credentials=aa.Credentials(token="t"), options=options)

    db = tmp / "interleaved.duckdb"
    ingested = set()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_store, "_connect", maybe_locked)
        aa.migrate(db)
        for op, arg in ops:
            if op == "sync":
                locked["now"] = arg
                try:
                    sync(db)
                except aa.StoreLockedError:
                    assert arg
                finally:
                    locked["now"] = False
            elif op == "ingest":
                aa.ingest([files[arg]], db, progress=False)
                ingested.add(arg)
            else:
                feed.extend(_feed_record(k) for k in range(len(feed), len(feed) + arg))
        sync(db)  # the store free again: everything lands
    assert _spool.waiting(db) == []
    sequential = tmp / "sequential.duckdb"
    for i in sorted(ingested):
        aa.ingest([files[i]], sequential, progress=False)
    sync(sequential)
    content = "SELECT id, action, actor_id, details::VARCHAR AS d, created_at FROM activity ORDER BY id"
    assert aa.sql(db, content).rows() == aa.sql(sequential, content).rows()
    assert aa.sql(db, "SELECT count(*) - count(DISTINCT id) FROM activity").item() == 0
    assert sync(db).scopes[0].pages == 1  # and the state is where a sequential run leaves it


SLOW_INGEST = """
import sys, time
from activity_analytics.ingest import _files, _load
_files.BLOCK_BYTES = 32 * 1024          # many batches
original = _load._with_progress
def slow(batches, bar):
    for batch in original(batches, bar):  # read with the store closed: a reader's moment
        print("reading", flush=True)
        time.sleep(0.3)
        yield batch
_load._with_progress = slow
_load.ingest_paths([sys.argv[1]], sys.argv[2], progress=False, fast=False)
print("done", flush=True)
"""


def test_a_long_ingest_commits_in_windows_and_a_question_meanwhile_sees_its_progress(tmp_path):
    path = write_lines(tmp_path / "big.jsonl", [record(f"big-{i}") for i in range(2000)])
    db = tmp_path / "store.duckdb"
    aa.migrate(db)
    child = subprocess.Popen([sys.executable, "-c", SLOW_INGEST, str(path), str(db)],
                             stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(3):
            assert child.stdout.readline().strip() == "reading"
        # the ingest is far from done, and between two of its windows
        n = aa.sql(db, "SELECT count(*) AS n FROM activity", lock_timeout=2).item()
        assert 0 < n < 2000
        assert child.stdout.read().strip().endswith("done")
        assert child.wait(timeout=120) == 0
    finally:
        child.kill()
    assert aa.sql(db, "SELECT count(*) AS n FROM activity").item() == 2000
    assert aa.status(db).interrupted.height == 0


def test_the_write_window_is_one_setting(tmp_path, monkeypatch):
    """$ACTIVITY_WRITE_BATCH: rows a sync commits in one write window (fewer: shorter windows)."""
    import httpx

    from activity_analytics.ingest._writer import Writer

    rows = [record(f"w-{i}") | {"created_at": f"2026-11-26T10:{59 - i:02d}:00"} for i in range(60)]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces/"):
            return httpx.Response(200, json=[{"id": "ws-1", "name": "One", "slug": "one"}])
        if request.url.path.endswith("/activity"):
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            return httpx.Response(200, json=rows[offset:offset + limit])
        return httpx.Response(200, json=[])

    batches = []
    original = Writer._write_or_spool

    def spy(self, batch):
        batches.append(sum(page.rows for page in batch))
        return original(self, batch)

    options = aa.SyncOptions(progress=False, page_size=10,
                             client=aa.ClientOptions(transport=httpx.MockTransport(handler)))
    monkeypatch.setattr(Writer, "_write_or_spool", spy)
    monkeypatch.setenv("ACTIVITY_WRITE_BATCH", "10")
    result = aa.sync("http://127.0.0.1:9", tmp_path / "s.duckdb", credentials=aa.Credentials(token="t"),
                     options=options)
    assert result.scopes[0].new_rows == 60
    # a window takes pages until it holds 10 rows: here one page of 10 (the first page 10, the
    # next ones 9 new rows after the one re-read at each page's start)
    assert max(batches) <= 10 + 9 and sum(batches) == 60 and len(batches) >= 5
    monkeypatch.setenv("ACTIVITY_WRITE_BATCH", "lots")
    with pytest.raises(aa.InputError, match="ACTIVITY_WRITE_BATCH"):
        aa.sync("http://127.0.0.1:9", tmp_path / "s.duckdb", credentials=aa.Credentials(token="t"),
                options=options)
