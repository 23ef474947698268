"""Against the real Platform server: what it serves and stores ingests exactly."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import activity_analytics as aa

from .platform_server import call, platform  # noqa: F401 - the fixture

pytestmark = pytest.mark.platform


def seed(server) -> str:
    client = server.register("Ann")
    ws = call(client.post, "/workspaces/", json={"name": "Analytics"}).json()["id"]
    for i in range(6):
        issue = call(client.post, f"/workspaces/{ws}/issues/", json={"title": f"Issue <b>{i}</b>"})
        issue_id = issue.json()["id"]
        call(client.patch, f"/workspaces/{ws}/issues/{issue_id}", json={"status": "in_progress"})
        if i % 2:
            call(client.patch, f"/workspaces/{ws}/issues/{issue_id}", json={"priority": "high", "status": "done"})
    return ws, client


def utc(naive_or_text) -> dt.datetime:
    value = dt.datetime.fromisoformat(str(naive_or_text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_saved_api_page_and_sqlite_file_both_match_the_servers_table(platform, tmp_path):  # noqa: F811
    ws, client = seed(platform)
    page = client.get(f"/workspaces/{ws}/activity", params={"limit": 200}).raise_for_status().json()
    server_rows = platform.activity_logs()
    assert len(page) == len(server_rows) == 6 + 6 + 3  # created, updated, updated again
    assert {r["actor_type"] for r in page} == {"member"}  # what the real server writes

    (tmp_path / "page.json").write_text(json.dumps(page))
    db = tmp_path / "store.duckdb"
    first = aa.ingest([tmp_path / "page.json"], db, progress=False)
    assert first.total.stored == len(server_rows) and first.total.rejected == 0

    stored = {r["id"]: r for r in aa.sql(db, "SELECT * FROM activity").iter_rows(named=True)}
    assert set(stored) == {r["id"] for r in server_rows}
    for row in server_rows:
        mine = stored[row["id"]]
        assert mine["action"] == row["action"]
        assert mine["actor_type"] == "user" and mine["actor_type_raw"] == row["actor_type"]
        assert mine["actor_id"] == row["actor_id"] and mine["workspace_id"] == row["workspace_id"]
        assert mine["issue_id"] == row["issue_id"] and mine["entity_id"] == row["entity_id"]
        assert mine["created_at"] == utc(row["created_at"])  # naive in SQLite = UTC
        assert json.loads(mine["details"]) == json.loads(row["details"])

    # The server's own database file: the same rows, all duplicates now.
    again = aa.ingest([platform.db_path], db, progress=False)
    assert again.loads[0].kind == "sqlite"
    assert again.total.duplicates == len(server_rows) and again.total.conflicts == 0

    created = aa.sql(db, "SELECT details->>'$.title' AS t FROM activity WHERE action = 'issue.created'")
    assert sorted(created["t"].to_list()) == [f"Issue <b>{i}</b>" for i in range(6)]
