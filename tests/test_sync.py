"""Sync against the real Platform server, and the HTTP paths that are hard to provoke there."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import activity_analytics as aa
from activity_analytics import (
    AuthError,
    ClientOptions,
    Credentials,
    SyncOptions,
)
from activity_analytics.ingest._writer import Writer

from .pg_server import pg, pg_cluster  # noqa: F401 - the fixtures
from .platform_server import call, platform, platform_any  # noqa: F401 - the fixtures


def seed_workspace(client: httpx.Client, name: str, issues: int = 4) -> str:
    ws = call(client.post, "/workspaces/", json={"name": name}).json()["id"]
    for i in range(issues):
        issue = call(client.post, f"/workspaces/{ws}/issues/", json={"title": f"{name} {i}"}).json()
        call(client.patch, f"/workspaces/{ws}/issues/{issue['id']}", json={"status": "in_progress"})
    return ws


def insert_rows(server, ws: str, n: int, *, at: dt.datetime | None = None, actor_type="agent") -> list[str]:
    """Rows written straight into the server's table, as a service (or an agent) would."""
    rows = [(str(uuid.uuid4()), ws, "agent", "runner-1", "agent.execution.completed", actor_type,
             "runner-1", None, json.dumps({"run": i}), at or dt.datetime.now(dt.UTC).replace(tzinfo=None))
            for i in range(n)]
    server.insert_activity(rows)
    return [r[0] for r in rows]


def assert_store_equals_server(db, server) -> None:
    server_rows = {r["id"]: r for r in server.activity_logs()}
    mine = {r["id"]: r for r in aa.sql(db, "SELECT * FROM activity").iter_rows(named=True)}
    assert set(mine) == set(server_rows), (len(mine), len(server_rows))
    for row_id, row in server_rows.items():
        got = mine[row_id]
        assert got["action"] == row["action"] and got["actor_id"] == row["actor_id"]
        assert got["actor_type_raw"] == row["actor_type"]
        assert json.loads(got["details"]) == json.loads(row["details"])
        stamp = dt.datetime.fromisoformat(row["created_at"]).replace(tzinfo=dt.UTC)
        assert got["created_at"] == stamp


@pytest.fixture
def world(platform_any, monkeypatch):  # noqa: F811
    """The real server on SQLite and on PostgreSQL, seeded."""
    return seeded_world(platform_any, monkeypatch)


def seeded_world(platform, monkeypatch):  # noqa: F811
    """Two workspaces of issues through the API, and agent rows written directly."""
    client = platform.register("Ann")
    token = client.headers["Authorization"].split()[1]
    monkeypatch.setenv("ACTIVITY_API_TOKEN", token)
    ws_a = seed_workspace(client, "Alpha", 5)
    ws_b = seed_workspace(client, "Beta", 3)
    insert_rows(platform, ws_a, 7)  # agent rows written by a service, not through the API
    return platform, client, token, (ws_a, ws_b)


pytestmark = pytest.mark.platform


def test_first_sync_equals_the_servers_table_and_keeps_dimensions(world, tmp_path):
    server, _, token, (ws_a, ws_b) = world
    db = tmp_path / "s.duckdb"
    result = aa.sync(server.url, db, options=SyncOptions(progress=False))
    assert result.ok, result.summary()
    assert_store_equals_server(db, server)
    assert sum(s.new_rows for s in result.scopes) == len(server.activity_logs())
    types = dict(aa.sql(db, "SELECT actor_type_raw, any_value(actor_type) FROM activity GROUP BY 1").rows())
    assert types == {"member": "user", "agent": "agent"}
    names = dict(aa.sql(db, "SELECT id, name FROM workspaces").rows())
    assert names == {ws_a: "Alpha", ws_b: "Beta"}
    issues = aa.sql(db, "SELECT workspace_id, count(*) AS n, count(identifier) AS ident FROM issues GROUP BY 1 ORDER BY n").rows()
    assert issues == [(ws_b, 3, 3), (ws_a, 5, 5)]
    assert aa.sql(db, "SELECT count(*) FROM members").item() == 2


def test_incremental_runs_take_one_page_per_workspace(world, tmp_path):
    server, client, _, (ws_a, ws_b) = world
    db = tmp_path / "s.duckdb"
    aa.sync(server.url, db, options=SyncOptions(progress=False))
    again = aa.sync(server.url, db, options=SyncOptions(progress=False))
    assert [s.pages for s in again.scopes] == [1, 1]
    assert sum(s.new_rows for s in again.scopes) == 0
    new_ids = insert_rows(server, ws_b, 5)
    third = aa.sync(server.url, db, options=SyncOptions(progress=False))
    assert [s.pages for s in third.scopes] == [1, 1]
    assert sum(s.new_rows for s in third.scopes) == 5
    assert set(new_ids) <= set(aa.sql(db, "SELECT id FROM activity")["id"].to_list())
    assert_store_equals_server(db, server)


def test_hundreds_of_rows_with_one_timestamp_across_page_boundaries(world, tmp_path):
    """SQLite keeps a tie in one order: every row comes. PostgreSQL sorts a tie anew
    for each page (by the page's bound): the walk reads it again until it has every
    row, or says in one line how many share the time and how many it got; the
    database ingest then reads them exactly."""
    server, _, _, (ws_a, _) = world
    # newest of all, so every page boundary of the first pages cuts the tie
    same = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1)
    insert_rows(server, ws_a, 450, at=same)
    db = tmp_path / "s.duckdb"
    result = aa.sync(server.url, db, options=SyncOptions(progress=False, page_size=50))
    assert_tie_read_or_said(db, server, result, same, 450)
    insert_rows(server, ws_a, 120, at=same + dt.timedelta(seconds=1))
    result = aa.sync(server.url, db, options=SyncOptions(progress=False, page_size=50))
    assert_tie_read_or_said(db, server, result, same + dt.timedelta(seconds=1), 120)


def assert_tie_read_or_said(db, server, result, at: dt.datetime, n: int) -> None:
    got = aa.sql(db, f"SELECT count(*) FROM activity WHERE created_at = '{at.isoformat()}+00'").item()
    warnings = [w for s in result.scopes for w in s.warnings]
    if server.postgres is None:
        assert got == n and not warnings, warnings
        assert_store_equals_server(db, server)
        return
    if got < n:
        assert len(warnings) == 1, result.summary()
        assert f"{n} rows share created_at" in warnings[0] and f"gave {got} of them" in warnings[0]
        assert "ingest postgresql://" in warnings[0]
        aa.ingest([server.database], db, progress=False)  # as the warning says
    else:
        assert not warnings, warnings
    assert_store_equals_server(db, server)


def test_a_writer_adding_activity_while_the_sync_pages(world, tmp_path):
    server, client, _, (ws_a, _) = world
    insert_rows(server, ws_a, 300, at=dt.datetime(2026, 11, 1))
    before = {r["id"] for r in server.activity_logs()}
    stop = threading.Event()

    def write():
        while not stop.is_set():
            call(client.post, f"/workspaces/{ws_a}/issues/", json={"title": "during sync"})

    writer = threading.Thread(target=write)
    writer.start()
    try:
        db = tmp_path / "s.duckdb"
        result = aa.sync(server.url, db, options=SyncOptions(progress=False, page_size=20))
    finally:
        stop.set()
        writer.join()
    stored = set(aa.sql(db, "SELECT id FROM activity")["id"].to_list())
    said = said_of_ties(server, result)
    # nothing that existed when the sync started was missed, but for a tie it said it
    # could not read whole (PostgreSQL)
    missed = before - stored
    assert not missed or (said and all(r["created_at"].startswith("2026-11-01 00:00:00")
                                       for r in server.activity_logs() if r["id"] in missed))
    aa.sync(server.url, db, options=SyncOptions(progress=False))
    if said:
        aa.ingest([server.database], db, progress=False)  # as the warning says
    assert_store_equals_server(db, server)


def said_of_ties(server, *results) -> list[str]:
    """The walks' warnings of long ties. (SQLite's order is stable, but rows
    arriving during a walk over a tie swell the positions it counts: it may
    say so there too, and then it got every row.)"""
    warnings = [w for r in results for s in r.scopes for w in s.warnings]
    assert all(" rows share created_at " in w for w in warnings), warnings
    return warnings


KILLED_SYNC = textwrap.dedent(
    """
    import sys
    import activity_analytics as aa
    from activity_analytics.ingest._writer import Writer
    Writer.MAX_ROWS = 1          # one page per transaction, to stop between pages
    original = Writer._write
    def announcing(self, *args):
        counts = original(self, *args)
        print("page", flush=True)
        return counts
    Writer._write = announcing
    aa.sync(sys.argv[1], sys.argv[2], workspaces=[sys.argv[3]],
            options=aa.SyncOptions(progress=False, page_size=25))
    """
)


def test_a_sync_killed_mid_backfill_resumes_and_completes(world, tmp_path):
    server, _, _, (ws_a, _) = world
    insert_rows(server, ws_a, 400, at=None)
    db = tmp_path / "s.duckdb"
    child = subprocess.Popen([sys.executable, "-c", KILLED_SYNC, server.url, str(db), ws_a],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    for _ in range(5):
        assert child.stdout.readline().strip() == "page"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    state = json.loads(aa.sql(db, "SELECT state FROM sync_state").item())
    stored = aa.sql(db, "SELECT count(*) FROM activity").item()
    # no mark yet, and the walk says how far it got: never past what is stored (five
    # pages were written, but a page read ahead may have been refused and re-read)
    assert state.get("high_water") is None
    assert 25 <= state["walk"]["covered"] <= stored < 400
    insert_rows(server, ws_a, 30)  # arrives between the runs
    result = aa.sync(server.url, db, workspaces=[ws_a], options=SyncOptions(progress=False, page_size=25))
    # it jumped ahead instead of re-reading everything the killed run had stored
    assert result.scopes[0].duplicates < stored
    server_a = [r for r in server.activity_logs() if r["workspace_id"] == ws_a]
    assert aa.sql(db, "SELECT count(*) FROM activity").item() == len(server_a)
    assert set(aa.sql(db, "SELECT id FROM activity")["id"].to_list()) == {r["id"] for r in server_a}


def test_forbidden_workspace_is_reported_and_the_rest_continue(world, tmp_path):
    server, _, _, (ws_a, ws_b) = world
    from click.testing import CliRunner

    from activity_analytics.cli import cli

    db = tmp_path / "s.duckdb"
    out = CliRunner().invoke(cli, ["sync", "--api", server.url, "--db", str(db), "--workspace", ws_a,
                                   "--workspace", "no-such-workspace", "--json"])
    assert out.exit_code == 1
    summary = json.loads(out.stdout)
    by_scope = {s["workspace_id"]: s for s in summary["scopes"]}
    assert "403" in by_scope["no-such-workspace"]["error"]
    assert by_scope[ws_a]["error"] is None and by_scope[ws_a]["new_rows"] > 0


def test_the_summary_names_each_workspace_as_its_progress_bar_does(world, tmp_path):
    server, client, _, (ws_a, ws_b) = world
    from click.testing import CliRunner

    from activity_analytics.cli import cli

    ws_c = seed_workspace(client, "Beta", 1)  # two workspaces called Beta: their ids tell them apart
    db = tmp_path / "s.duckdb"
    out = CliRunner().invoke(cli, ["sync", "--api", server.url, "--db", str(db)])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    named = {line.split(": ")[0]: line.split(": ", 1)[1] for line in lines[:-1]}
    assert sorted(named) == sorted(["Alpha", f"Beta ({ws_b})", f"Beta ({ws_c})"])
    assert named["Alpha"].endswith(" new, 0 duplicates, 0 rejected, 1 pages, 0 retries")
    assert "workspace:" not in out.stdout
    # --json keeps its keys and adds the name; a workspace the account cannot list is named by its id
    out = CliRunner().invoke(cli, ["sync", "--api", server.url, "--db", str(db), "--workspace", ws_a,
                                   "--workspace", "no-such-workspace"])
    assert out.exit_code == 1
    assert out.stdout.splitlines()[0] == "Alpha: 0 new, 0 duplicates, 0 rejected, 1 pages, 0 retries"
    assert out.stdout.splitlines()[1].startswith("workspace no-such-workspace: error: ")
    assert out.stderr.startswith("error: workspace no-such-workspace: ")
    summary = json.loads(CliRunner().invoke(cli, ["sync", "--api", server.url, "--db", str(db), "--json"]).stdout)
    assert sorted((s["scope"], s["workspace_id"], s["workspace_name"]) for s in summary["scopes"]) == sorted([
        (f"workspace:{ws_a}", ws_a, "Alpha"), (f"workspace:{ws_b}", ws_b, "Beta"),
        (f"workspace:{ws_c}", ws_c, "Beta")])


def test_the_token_never_reaches_the_store_logs_or_errors(world, tmp_path, capfd):
    server, _, token, _ = world
    from click.testing import CliRunner

    from activity_analytics.cli import cli

    db = tmp_path / "s.duckdb"
    out = CliRunner().invoke(cli, ["sync", "--api", server.url, "--db", str(db)])
    assert out.exit_code == 0, out.output
    bad = CliRunner().invoke(cli, ["sync", "--api", server.url, "--db", str(db), "--workspace", "nope"])
    with pytest.raises(AuthError) as info:
        aa.sync(server.url, db, credentials=Credentials(token=token[:-4] + "abcd"),
                options=SyncOptions(progress=False))
    assert "token was rejected" in str(info.value)
    everything = out.output + bad.output + str(info.value) + repr(Credentials(token=token))
    everything += "".join(capfd.readouterr())
    for path in tmp_path.iterdir():
        everything += path.read_bytes().decode("latin-1")
    assert token not in everything and token[:20] not in everything


def test_login_again_when_the_token_is_rejected(world, tmp_path):
    server, _, _, (ws_a, _) = world
    email = f"bob-{uuid.uuid4().hex[:6]}@example.com"
    httpx.post(f"{server.url}/api/v1/auth/register",
               json={"email": email, "password": "another good password", "name": "Bob"}).raise_for_status()
    creds = Credentials(token="expired.or.garbage", email=email, password="another good password")
    result = aa.sync(server.url, tmp_path / "s.duckdb", credentials=creds, options=SyncOptions(progress=False))
    assert result.ok and result.scopes == []  # Bob belongs to no workspace: nothing to do, but logged in


# ---------------------------------------------------------------- injected transport (no server)


def transport(responses: list):
    """A MockTransport answering the activity path from a script; the rest empty lists."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path.endswith("/activity"):
            step = responses.pop(0) if responses else httpx.Response(200, json=[])
            if isinstance(step, Exception):
                raise step
            return step
        if request.url.path.endswith("/workspaces/"):
            return httpx.Response(200, json=[{"id": "w1", "name": "W", "slug": "w"}])
        return httpx.Response(200, json=[])

    return httpx.MockTransport(handler), calls


def record(i: int) -> dict:
    return {"id": f"a{i}", "workspace_id": "w1", "entity_type": "issue", "entity_id": "i", "issue_id": "i",
            "actor_type": "member", "actor_id": "u", "action": "issue.updated", "details": {},
            "created_at": f"2026-11-26T10:00:{i:02d}"}


def quick(tr) -> SyncOptions:
    return SyncOptions(progress=False, client=ClientOptions(transport=tr, backoff_initial=0.001, backoff_max=0.01))


def test_transient_failures_are_retried(tmp_path):
    good = httpx.Response(200, json=[record(2), record(1)])
    tr, calls = transport([
        httpx.Response(503), httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.ConnectError("reset"), httpx.ReadTimeout("slow"),
        httpx.Response(200, content=b'[{"id": "a2", "workspace_id"'),  # truncated body
        good,
    ])
    result = aa.sync("http://127.0.0.1:9", tmp_path / "s.duckdb", credentials=Credentials(token="t"), options=quick(tr))
    assert result.ok and result.scopes[0].new_rows == 2
    assert result.retries == 5 and result.scopes[0].retries == 5  # per workspace too (--json)
    assert result.scopes[0].requests == 6 + 3  # its activity, then members, agents, issues
    assert result.requests == result.scopes[0].requests + 1  # and the list of workspaces
    assert json.loads(result.to_json())["scopes"][0]["retries"] == 5


def test_not_retried_and_gives_up_with_url_and_status(tmp_path):
    tr, calls = transport([httpx.Response(422, json={"detail": "bad"})])
    result = aa.sync("http://127.0.0.1:9", tmp_path / "s.duckdb", credentials=Credentials(token="t"), options=quick(tr))
    assert "422" in result.scopes[0].error and "/workspaces/w1/activity" in result.scopes[0].error
    assert sum(1 for c in calls if c.url.path.endswith("/activity")) == 1
    tr, _ = transport([httpx.Response(500)] * 10)
    result = aa.sync("http://127.0.0.1:9", tmp_path / "t.duckdb", credentials=Credentials(token="t"), options=quick(tr))
    assert "gave up after 6 attempts" in result.scopes[0].error


class LiveFeed:
    """A newest-first feed behind a MockTransport that can serve requests out of
    order (``hold``: offsets answered late) and take new rows at its top while
    a sync pages (``arrive``: offset -> rows added right after serving it)."""

    def __init__(self, n: int, hold: tuple = (), arrive: dict | None = None, tie: int = 1,
                 shuffle: int | None = None, heap: bool = False):
        self.tie = tie  # rows sharing one created_at
        self.shuffle = None if shuffle is None else __import__("random").Random(shuffle)  # ties in any order
        self.heap = heap  # as PostgreSQL's top-N sort: see heap_page
        self.rows = [self.row(i) for i in range(n)]
        self.hold, self.arrive = set(hold), dict(arrive or {})
        self.served: list[int] = []
        self.in_flight = self.most_in_flight = 0

    def row(self, i: int) -> dict:
        at = dt.datetime(2026, 11, 1) - dt.timedelta(seconds=i // self.tie if i >= 0 else i)
        return record(0) | {"id": f"r{i}", "created_at": at.isoformat()}

    async def handle(self, request: httpx.Request) -> httpx.Response:
        import asyncio

        if request.url.path.endswith("/workspaces/"):
            return httpx.Response(200, json=[{"id": "w1", "name": "W", "slug": "w"}])
        if not request.url.path.endswith("/activity"):
            return httpx.Response(200, json=[])
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.03 if offset in self.hold else 0.002)
        self.in_flight -= 1
        rows = self.rows
        if self.shuffle:  # no tie-breaker at its worst: each query orders a tie afresh
            keys = {id(r): self.shuffle.random() for r in rows}
            rows = sorted(rows, key=lambda r: (r["created_at"], keys[id(r)]), reverse=True)
        if self.heap:
            rows = self.heap_page(offset + limit)
        page = rows[offset: offset + limit]
        self.served.append(offset)
        for k in range(self.arrive.pop(offset, 0)):  # newer rows arrive at the top
            self.rows.insert(0, self.row(-1 - k - len(self.served) * 1000))
        return httpx.Response(200, json=page)

    def heap_page(self, bound: int) -> list:
        """The order a bounded heap sort gives for LIMIT + OFFSET = ``bound``: of a
        tie the bound cuts it keeps the rows it scanned first (scan order: the
        list's, oldest last), and it orders each tie by the bound."""
        import hashlib

        ranked = sorted(self.rows, key=lambda r: r["created_at"], reverse=True)  # stable: scan order
        if bound < len(ranked):
            cut = ranked[bound - 1]["created_at"]
            above = [r for r in ranked if r["created_at"] > cut]
            ranked = above + [r for r in ranked if r["created_at"] == cut][:bound - len(above)]
        key = {r["id"]: hashlib.md5(f"{bound}:{r['id']}".encode()).hexdigest() for r in ranked}
        return sorted(ranked, key=lambda r: (r["created_at"], key[r["id"]]), reverse=True)

    def sync(self, db, **options):
        opts = SyncOptions(progress=False, client=ClientOptions(
            transport=httpx.MockTransport(self.handle), backoff_initial=0.001), **options)
        return aa.sync("http://127.0.0.1:9", db, credentials=Credentials(token="t"), options=opts)


def test_a_backfill_reads_pages_ahead_and_stores_each_row_once(tmp_path):
    feed = LiveFeed(1000)
    result = feed.sync(tmp_path / "s.duckdb", read_ahead=3)
    assert feed.most_in_flight == 4  # the page awaited and three read ahead
    assert result.scopes[0].new_rows == 1000 and result.scopes[0].duplicates == 0
    stored = aa.sql(tmp_path / "s.duckdb", "SELECT id FROM activity").rows()
    assert sorted(i for (i,) in stored) == sorted(r["id"] for r in feed.rows)
    assert feed.served[:2] == [0, 190] and 380 in feed.served  # pages overlap by 10 rows


def test_a_page_read_ahead_that_the_server_answered_first_is_checked_and_fetched_again(tmp_path):
    # page 2 (offset 190) is answered late; page 3 (offset 380, read ahead) first,
    # and 15 rows arrive between the two: page 2 then ends 15 rows higher, and
    # page 3 as served does not join it (5 rows would fall between them)
    feed = LiveFeed(1000, hold=(190,), arrive={380: 15})
    result = feed.sync(tmp_path / "s.duckdb", read_ahead=1)
    assert feed.served.count(380) == 2  # refused, then asked again after page 2
    stored = {i for (i,) in aa.sql(tmp_path / "s.duckdb", "SELECT id FROM activity").rows()}
    assert {r["id"] for r in feed.rows} - stored <= {r["id"] for r in feed.rows[:15]}  # only the new ones
    assert {f"r{i}" for i in range(1000)} <= stored and result.scopes[0].new_rows == len(stored)
    # no read ahead: one request at a time, each starting at the last row of the one before
    quiet = LiveFeed(500)
    result = quiet.sync(tmp_path / "q.duckdb", read_ahead=0)
    assert quiet.most_in_flight == 1 and quiet.served == [0, 199, 398]
    assert result.scopes[0].new_rows == 500 and result.scopes[0].duplicates == 0


def test_a_tie_cut_after_its_first_row_is_read_whole_even_in_a_new_order_each_query(tmp_path):
    # runs of 3 equal timestamps, pages of 199: the first page ends on a run's
    # first row; a server without a tie-breaker may order that run anew for the
    # next query (SQLite keeps the order; other databases need not)
    feed = LiveFeed(700, tie=3, shuffle=0)
    result = feed.sync(tmp_path / "s.duckdb", read_ahead=0, page_size=199)
    stored = {i for (i,) in aa.sql(tmp_path / "s.duckdb", "SELECT id FROM activity").rows()}
    assert stored == {f"r{i}" for i in range(700)} and result.scopes[0].duplicates == 0


def assert_every_row_or_said(db, feed, result, n: int) -> None:
    """Every row of ``feed`` stored, or one warning per tie it could not read whole,
    with the numbers the store shows: never a silent loss."""
    stored = {i for (i,) in aa.sql(db, "SELECT id FROM activity").rows()}
    missing = {r["id"] for r in feed.rows} - stored
    warnings = result.scopes[0].warnings
    assert len(stored) == result.scopes[0].new_rows
    if not missing:
        assert not warnings, warnings
        return
    by_time = {}
    for r in feed.rows:
        by_time.setdefault(r["created_at"], []).append(r["id"])
    short = {t: ids for t, ids in by_time.items() if set(ids) & missing}
    assert len(warnings) == len(short), (warnings, len(missing))
    for warning, ids in zip(sorted(warnings), sorted(short.values(), key=lambda i: i[0]), strict=False):
        assert warning.startswith(f"up to {len(ids)} rows share created_at")
        assert f"gave {len(set(ids) - missing)} of them" in warning


@pytest.mark.parametrize("seed", range(6))
def test_a_tie_longer_than_a_page_is_read_again_until_every_row_came(tmp_path, seed):
    # 450 rows share each time, pages of 100, and each query orders a tie afresh:
    # the walk reads each tie again until it has it (or, rarely, says so)
    feed = LiveFeed(1350, tie=450, shuffle=seed)
    result = feed.sync(tmp_path / "s.duckdb", read_ahead=0, page_size=100)
    assert result.scopes[0].pages > 14  # more than one pass
    assert_every_row_or_said(tmp_path / "s.duckdb", feed, result, 1350)
    assert len(result.scopes[0].warnings) <= 1


def test_a_tie_a_bounded_heap_never_shows_whole_is_said_in_one_line(tmp_path):
    # PostgreSQL's top-N sort: pages inside a tie show only the rows scanned first
    feed = LiveFeed(1000, tie=450, heap=True)
    result = feed.sync(tmp_path / "s.duckdb", read_ahead=0, page_size=100)
    assert_every_row_or_said(tmp_path / "s.duckdb", feed, result, 1000)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(150, 900), size=st.sampled_from([199, 200]), tie=st.sampled_from([1, 1, 3, 25]),
       ahead=st.integers(0, 3), hold=st.sets(st.integers(1, 5)),
       arrive=st.dictionaries(st.integers(0, 5), st.integers(1, 40)), shuffle=st.none() | st.integers(0, 9))
def test_reading_ahead_never_loses_a_row_whatever_the_order_and_arrivals(tmp_path, n, size, tie, ahead, hold,
                                                                           arrive, shuffle):
    """Pages answered in any order while rows arrive, ties ordered afresh by each
    query: the first sync keeps every row that was there when it began, and the
    next one ends equal to the feed."""
    step = size - max(1, size // 20)  # pages read ahead overlap by a twentieth
    feed = LiveFeed(n, hold=tuple(k * step for k in hold), arrive={k * step: m for k, m in arrive.items()},
                    tie=tie, shuffle=shuffle)
    db = tmp_path / f"s{uuid.uuid4().hex}.duckdb"
    feed.sync(db, read_ahead=ahead, page_size=size)
    stored = {i for (i,) in aa.sql(db, "SELECT id FROM activity").rows()}
    assert {f"r{i}" for i in range(n)} <= stored
    feed.sync(db, read_ahead=ahead, page_size=size)
    assert {i for (i,) in aa.sql(db, "SELECT id FROM activity").rows()} == {r["id"] for r in feed.rows}
    assert aa.sql(db, "SELECT count(*) - count(DISTINCT id) FROM activity").item() == 0


def test_malformed_record_goes_to_rejects_with_url_and_offset(tmp_path):
    bad = record(1) | {"created_at": "not a time"}
    tr, _ = transport([httpx.Response(200, json=[record(3), record(2), bad])])
    db = tmp_path / "s.duckdb"
    result = aa.sync("http://127.0.0.1:9", db, credentials=Credentials(token="t"), options=quick(tr))
    assert result.scopes[0].new_rows == 2 and result.scopes[0].rejected == 1
    assert aa.sql(db, "SELECT source, location FROM rejects").rows() == [
        ("http://127.0.0.1:9/api/v1/workspaces/w1/activity", "offset 2")]


def test_fields_the_store_does_not_know_are_kept_in_extra(tmp_path):
    newer = record(2) | {"severity": "high", "tags": ["a"]}  # a newer server's fields
    tr, _ = transport([httpx.Response(200, json=[record(3), newer, record(1)])])
    db = tmp_path / "s.duckdb"
    result = aa.sync("http://127.0.0.1:9", db, credentials=Credentials(token="t"), options=quick(tr))
    assert result.scopes[0].new_rows == 3
    extras = dict(aa.sql(db, "SELECT id, extra FROM activity").rows())
    assert json.loads(extras["a2"]) == {"severity": "high", "tags": ["a"]}
    assert extras["a1"] is None and extras["a3"] is None


def test_plain_http_to_a_remote_host_warns(tmp_path):
    tr, _ = transport([])
    with pytest.warns(UserWarning, match="plain http"):
        aa.sync("http://platform.example.com", tmp_path / "s.duckdb", credentials=Credentials(token="t"),
                options=quick(tr))


def test_sync_works_inside_a_running_event_loop(tmp_path):
    import asyncio

    tr, _ = transport([httpx.Response(200, json=[record(1)])])

    async def notebook_cell():
        return aa.sync("http://127.0.0.1:9", tmp_path / "s.duckdb", credentials=Credentials(token="t"),
                       options=quick(tr))

    assert asyncio.run(notebook_cell()).scopes[0].new_rows == 1


def test_credentials_need_something_and_hide_secrets(monkeypatch, tmp_path):
    monkeypatch.delenv("ACTIVITY_API_TOKEN", raising=False)
    monkeypatch.delenv("ACTIVITY_API_PASSWORD", raising=False)
    with pytest.raises(aa.InputError, match="no credentials"):
        Credentials.from_env()
    with pytest.raises(aa.InputError, match="ACTIVITY_API_PASSWORD"):
        Credentials.from_env(email="a@b.c")
    (tmp_path / "tok").write_text("sekrit-token\n")
    creds = Credentials.from_env(token_file=tmp_path / "tok")
    assert creds.token == "sekrit-token" and "sekrit" not in repr(creds)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_through_a_fault_injecting_proxy_the_store_ends_equal_to_the_server(world, tmp_path, seed):
    from .fault_proxy import FaultProxy

    server, client, _, (ws_a, ws_b) = world
    insert_rows(server, ws_a, 150)
    insert_rows(server, ws_b, 90, at=dt.datetime.now(dt.UTC).replace(tzinfo=None))  # one big tie
    options = SyncOptions(progress=False, page_size=20, client=ClientOptions(
        timeout=1.0, max_attempts=30, backoff_initial=0.01, backoff_max=0.05))
    db = tmp_path / "s.duckdb"
    stop = threading.Event()

    def write():  # the live feed keeps moving under the crawl
        while not stop.is_set():
            call(client.post, f"/workspaces/{ws_a}/issues/", json={"title": "meanwhile"})
            time.sleep(0.05)

    writer = threading.Thread(target=write)
    with FaultProxy(server.url, seed=seed, rate=0.3, stall=1.3) as proxy:
        writer.start()
        try:
            first = aa.sync(proxy.url, db, options=options)
        finally:
            stop.set()
            writer.join()
        last = aa.sync(proxy.url, db, options=options)
    assert first.ok and last.ok, (first.summary(), last.summary())
    assert sum(proxy.injected.values()) >= 4 and first.retries + last.retries >= 4
    for run in (first, last):  # every retry but the listing's is a workspace's
        assert 0 <= run.retries - sum(s.retries for s in run.scopes) <= run.requests - sum(
            s.requests for s in run.scopes)
    if said_of_ties(server, first, last):  # PostgreSQL's order of the 90 tied rows left some out
        aa.ingest([server.database], db, progress=False)
    assert_store_equals_server(db, server)


def test_an_issue_feed(world, tmp_path):
    from click.testing import CliRunner

    from activity_analytics.cli import cli

    server, client, _, (ws_a, _) = world
    issue = call(client.post, f"/workspaces/{ws_a}/issues/", json={"title": "followed"}).json()["id"]
    for status in ("in_progress", "in_review", "done"):
        call(client.patch, f"/workspaces/{ws_a}/issues/{issue}", json={"status": status})
    db = tmp_path / "s.duckdb"
    result = aa.sync(server.url, db, workspaces=[ws_a], issues=[issue], options=SyncOptions(progress=False))
    assert result.ok and result.scopes[0].scope == f"issue:{ws_a}/{issue}"
    expected = {r["id"] for r in server.activity_logs() if r["issue_id"] == issue}
    assert set(aa.sql(db, "SELECT id FROM activity")["id"].to_list()) == expected and len(expected) == 4
    assert aa.timeline(db, issue)["changes"].to_list()[-1] == "status=done"
    with pytest.raises(aa.InputError, match="^issues= needs exactly one workspaces= "):  # Python's words
        aa.sync(server.url, db, issues=[issue], options=SyncOptions(progress=False))
    said = CliRunner().invoke(cli, ["sync", "--api", server.url, "--db", str(db), "--issue", issue])
    assert said.exit_code == 2 and "error: --issue needs exactly one --workspace" in said.stderr


def test_synced_names_reach_the_analyses(world, tmp_path):
    server, client, _, (ws_a, _) = world
    agent = call(client.post, f"/workspaces/{ws_a}/agents/", json={"name": "triage-bot"}).json()
    insert_rows(server, ws_a, 3)  # written by "runner-1": no name known
    server.execute(f"UPDATE activity_logs SET actor_id = '{agent['id']}' WHERE actor_id = 'runner-1'")
    db = tmp_path / "s.duckdb"
    aa.sync(server.url, db, options=SyncOptions(progress=False))
    top = aa.top_actors(db, actor_type="agent")
    assert top.filter(actor_id=agent["id"])["name"].to_list() == ["triage-bot"]
    issue = aa.sql(db, "SELECT issue_id FROM activity WHERE action = 'issue.created' LIMIT 1").item()
    line = aa.timeline(db, issue).row(0, named=True)
    assert line["issue_identifier"] and line["issue_title"].startswith(("Alpha", "Beta"))


# ---------------------------------------------------------------- the walk's rules, without HTTP


def stamps_of(*minutes: int) -> list:
    return [dt.datetime(2026, 11, 26, 10, m, tzinfo=dt.UTC) for m in minutes]


def page_of(*minutes: int, prefix: str = "r") -> list:
    return [{"id": f"{prefix}{i}", "created_at": s.isoformat()} for i, s in enumerate(stamps_of(*minutes))]


def test_feed_pages_decode_lean_only_when_every_record_is_a_plain_object():
    from activity_analytics.ingest._walk import FeedWalk, Lean, decode_feed

    plain = [record(3), record(2) | {"details": {"fields": {"x": [1, 2]}}}, record(1)]
    lean = decode_feed(json.dumps(plain).encode())
    assert all(isinstance(r, Lean) for r in lean)
    assert [(r.get("id"), r.get("created_at"), r.get("nope", 7)) for r in lean] == [
        (r["id"], r["created_at"], 7) for r in plain]
    # the walk treats lean records and dicts alike
    for high_water in (None, dt.datetime.fromisoformat(plain[1]["created_at"]).replace(tzinfo=dt.UTC)):
        walks = [FeedWalk(limit=3, high_water=high_water) for _ in range(2)]
        taken = [[o for o, _ in w.take(p)] for w, p in zip(walks, (lean, plain), strict=True)]
        assert taken[0] == taken[1] and walks[0].top == walks[1].top and walks[0].top_ids == walks[1].top_ids
    # anything else is decoded whole (then stored the careful way): unknown fields
    # (kept in extra), non-objects, a string field that is not a string, a missing one
    odd_pages = ([record(2) | {"severity": "high"}, record(1)], [record(1), 5, None],
                 [record(2), record(1) | {"id": 5}], [record(2) | {"actor_id": ["u"]}],
                 [{k: v for k, v in record(1).items() if k != "action"}])
    for odd in odd_pages:
        assert decode_feed(json.dumps(odd).encode()) == odd
    assert decode_feed(b"[]") == [] and decode_feed(b'{"detail": "x"}') == {"detail": "x"}
    for broken in (json.dumps(plain).encode()[:-9], b"[{]", b""):  # retried as transient
        with pytest.raises(ValueError):
            decode_feed(broken)


def test_feed_walk_rereads_a_tie_cut_by_the_page_boundary():
    from activity_analytics.ingest._walk import FeedWalk

    walk = FeedWalk(limit=4)
    page = page_of(9, 8, 7, 7)
    walk.take(page)
    assert walk.advance(page) and walk.offset == 2  # the two 10:07 rows again
    page = page_of(7, 7, 7, 7)
    walk.take(page)
    assert walk.advance(page) and walk.offset == 6  # a full-page run: move on
    page = page_of(5, 4)
    walk.take(page)
    assert not walk.advance(page)  # a short page ends the walk


def test_feed_walk_stops_at_the_high_water_mark_and_keeps_only_newer_rows():
    from activity_analytics.ingest._walk import FeedWalk

    walk = FeedWalk(limit=3, high_water=stamps_of(7)[0])
    page = page_of(9, 7, 5)
    rows = walk.take(page)
    assert [r["id"] for _, r in rows] == ["r0", "r1"]  # 10:05 is stored already
    assert not walk.advance(page) and walk.top == stamps_of(9)[0]


def test_feed_walk_drops_the_rows_it_stored_at_its_mark_and_remembers_the_new_ones():
    from activity_analytics.ingest._walk import FeedWalk

    walk = FeedWalk(limit=4, high_water=stamps_of(7)[0], stored_at_mark=frozenset({"r2"}))
    page = page_of(9, 9, 7, 7)  # r3 arrived at 10:07 after the last walk: not stored yet
    assert [r["id"] for _, r in walk.take(page)] == ["r0", "r1", "r3"]
    assert walk.mark_state({"high_water": stamps_of(7)[0].isoformat(), "mark_ids": ["r2"]}) == {
        "high_water": stamps_of(9)[0].isoformat(), "mark_ids": ["r0", "r1"]}
    # nothing newer: the mark stays, and so do the ids stored at it
    same = FeedWalk(limit=4, high_water=stamps_of(9)[0], stored_at_mark=frozenset({"r0", "r1"}))
    assert same.take(page_of(9, 9, 7)) == []
    state = {"high_water": stamps_of(9)[0].isoformat(), "mark_ids": ["r0", "r1"]}
    assert same.mark_state(state) == state


def test_feed_walk_resuming_a_backfill_jumps_past_what_was_covered():
    from activity_analytics.ingest._walk import FeedWalk

    previous = {"top": stamps_of(8)[0].isoformat(), "covered": 40}
    walk = FeedWalk(limit=10, previous=previous)
    page = page_of(9, 9, 9, 8, 8, 8, 7, 7, 6, 5)
    walk.take(page)
    assert walk.advance(page)
    assert walk.offset == 3 + 40 - 10  # 3 new rows above, 40 covered, one page of margin


def test_after_ingesting_the_servers_database_a_first_sync_reads_only_the_top(world, tmp_path):
    server, _, _, (ws_a, ws_b) = world
    many = insert_rows(server, ws_a, 450, at=dt.datetime(2026, 1, 1))  # three pages of history
    db = tmp_path / "s.duckdb"
    if server.postgres:  # its PostgreSQL database, read directly
        aa.ingest([server.database], db, progress=False)
    else:  # a copy of its SQLite file
        snapshot = tmp_path / "platform-copy.db"
        source = sqlite3.connect(server.db_path)
        with sqlite3.connect(snapshot) as copy:
            source.backup(copy)
        source.close()
        aa.ingest([snapshot], db, progress=False)
    newer = insert_rows(server, ws_a, 3)  # activity after the snapshot
    result = aa.sync(server.url, db, options=SyncOptions(progress=False))
    assert result.ok, result.summary()
    assert [s.pages for s in result.scopes] == [1, 1]  # not the 3+ pages of a full walk
    assert sum(s.new_rows for s in result.scopes) == len(newer)
    assert_store_equals_server(db, server)
    assert set(many) <= set(aa.sql(db, "SELECT id FROM activity")["id"].to_list())
    # a partial file is not a snapshot: it sets no mark, the first sync walks everything
    other = tmp_path / "other.duckdb"
    aa.ingest([write_page(tmp_path, server, ws_a)], other, progress=False)
    full = aa.sync(server.url, other, options=SyncOptions(progress=False))
    assert {s.workspace_id: s.pages for s in full.scopes}[ws_a] >= 3
    assert_store_equals_server(other, server)


def write_page(tmp_path, server, ws):
    """One saved API page of ``ws`` (a partial export)."""
    path = tmp_path / "page.json"
    client = httpx.Client(base_url=server.url + "/api/v1",
                          headers={"Authorization": f"Bearer {os.environ['ACTIVITY_API_TOKEN']}"})
    path.write_text(json.dumps(call(client.get, f"/workspaces/{ws}/activity", params={"limit": 10}).json()))
    return path


def test_feeds_stored_together_keep_each_rows_source_and_each_loads_counts(tmp_path):
    # The writer stores the pages of every feed waiting in its queue in one
    # transaction (one statement on the fast path; the careful path per feed when a
    # page holds records with a newer server's field); each row must still name its
    # own feed, each load count its own.
    feeds = {f"w{k}": [record(i) | {"id": f"w{k}-{i}", "workspace_id": f"w{k}"} for i in range(59, -1, -1)]
             for k in range(3)}
    feeds["w1"][7] |= {"severity": "high"}  # one page of w1 is not plain

    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        if request.url.path.endswith("/workspaces/"):
            return httpx.Response(200, json=[{"id": w, "name": w, "slug": w} for w in feeds])
        if request.url.path.endswith("/activity"):
            offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
            return httpx.Response(200, json=feeds[parts[-2]][offset:offset + limit])
        return httpx.Response(200, json=[])

    db = tmp_path / "s.duckdb"
    batches = []
    original = Writer._write

    def spy(self, con, batch):
        batches.append({page.feed.scope for page in batch if page.rows})
        if len(batches) == 1:
            time.sleep(0.3)  # a slow first write: pages of every feed queue up meanwhile
        return original(self, con, batch)

    options = SyncOptions(progress=False, page_size=10, client=ClientOptions(transport=httpx.MockTransport(handler)))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Writer, "_write", spy)
        result = aa.sync("http://127.0.0.1:9", db, credentials=Credentials(token="t"), options=options)
    assert any(len(scopes) > 1 for scopes in batches)  # feeds did share transactions
    assert {s.workspace_id: s.new_rows for s in result.scopes} == {w: 60 for w in feeds}
    api = "http://127.0.0.1:9/api/v1/workspaces"
    assert aa.sql(db, "SELECT count(*) FROM activity WHERE source <> $a || '/' || workspace_id || '/activity'",
                  {"a": api}).item() == 0
    loads = aa.sql(db, "SELECT source, records, stored, duplicates, rejected FROM loads ORDER BY source").rows()
    assert loads == [(f"{api}/{w}/activity", 60, 60, 0, 0) for w in sorted(feeds)]
    assert json.loads(aa.sql(db, "SELECT extra FROM activity WHERE id = 'w1-52'").item()) == {"severity": "high"}
