"""SQL of the load stage's bookkeeping (``ingest._core``): ``loads`` rows, sync
states, workspaces and dimension tables, and what a database load reads again."""

from __future__ import annotations

BEGIN_LOAD = "INSERT OR IGNORE INTO loads (load_id, source, kind, started_at) VALUES (?, ?, ?, ?)"

FINISH_LOADS = "UPDATE loads SET finished_at = ? WHERE list_contains(?, load_id)"

#: a spool file stored, in the transaction of its rows (load_id ``spool:<file>``)
RECORD_SPOOL = ("INSERT INTO loads (load_id, source, kind, started_at, finished_at, records) "
                "VALUES (?, ?, 'spool', ?, ?, ?)")

LOADED_BEFORE = "SELECT count(*) FROM loads WHERE source = ? AND finished_at IS NOT NULL"

READ_STATE = "SELECT state FROM sync_state WHERE api_url = ? AND scope = ?"


def save_states(n: int) -> str:
    """``n`` states (api_url, scope, state JSON, saved_at) in one statement."""
    return "INSERT OR REPLACE INTO sync_state VALUES " + ", ".join(["(?, ?, ?, ?)"] * n)


#: the newest rows of a feed (workspace ``$ws``, issue ``$issue`` or NULL) that a
#: complete load of the Platform's database stored
SNAPSHOT_MARK = """
SELECT id, created_at FROM activity WHERE workspace_id = $ws
  AND ($issue IS NULL OR issue_id = $issue OR entity_id = $issue)
  AND source IN (SELECT source FROM loads WHERE kind IN ('sqlite', 'postgresql')
                 AND finished_at IS NOT NULL)
QUALIFY created_at = max(created_at) OVER ()
"""

#: a workspace listed by the API (id, name, slug, api_url, synced_at)
UPSERT_WORKSPACE = "INSERT OR REPLACE INTO workspaces VALUES (?, ?, ?, ?, ?)"

#: a workspace of a Platform database (id, name, slug, synced_at): its api_url stays
UPSERT_DATABASE_WORKSPACE = """
INSERT INTO workspaces VALUES (?, ?, ?, NULL, ?) ON CONFLICT (id) DO UPDATE
SET name = excluded.name, slug = excluded.slug, synced_at = excluded.synced_at
"""

#: the ids a load from a mark reads again and leaves out: rows of the overlap
#: stored already, and rows of this source rejected before (their JSON text starts
#: with the id: row_to_json and json_object keep the table's column order)
REREAD = r"""
SELECT id FROM activity WHERE created_at >= $since
UNION ALL
SELECT regexp_extract(raw, '^\{"id":"([^"\\]*)"', 1) AS id FROM rejects
WHERE source = $source AND regexp_matches(raw, '^\{"id":"')
"""

#: the audit-log rows a trace holds too (ids ``$ids``), dropped
DROP_AUDIT = "DELETE FROM activity WHERE id IN (SELECT unnest($ids::VARCHAR[]))"


def replace_dimension(table: str, columns: int) -> tuple[str, str]:
    """(delete the rows of workspaces ``?``, insert one row of ``columns`` values)."""
    return (f"DELETE FROM {table} WHERE list_contains(?, workspace_id)",
            f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * columns)})")
