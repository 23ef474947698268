CREATE OR REPLACE TEMP TABLE _known AS
SELECT id, workspace_id, issue_id, entity_type, entity_id, actor_type, actor_type_raw, actor_id, action, details, extra, created_at FROM activity
WHERE id IN (SELECT id FROM _stage WHERE reason IS NULL)
