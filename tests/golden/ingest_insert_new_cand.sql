INSERT INTO activity
SELECT id, workspace_id, issue_id, entity_type, entity_id, actor_type, actor_type_raw, actor_id, action, details, extra, created_at, $source AS source, $now AS ingested_at
FROM _cand WHERE reason IS NULL
