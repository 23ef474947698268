CREATE OR REPLACE TEMP TABLE _conflicts AS
SELECT c.loc, c.id, rtrim(r.text, chr(10) || chr(13)) AS raw
FROM _stage AS c
JOIN (SELECT * FROM _known
      UNION ALL SELECT id, workspace_id, issue_id, entity_type, entity_id, actor_type, actor_type_raw, actor_id, action, details, extra, created_at FROM _stage WHERE reason IS NULL) AS a
  ON a.id = c.id
JOIN _raw AS r ON r.loc = c.loc
WHERE c.reason IS NULL AND NOT (a.workspace_id IS NOT DISTINCT FROM c.workspace_id AND a.issue_id IS NOT DISTINCT FROM c.issue_id AND a.entity_type IS NOT DISTINCT FROM c.entity_type AND a.entity_id IS NOT DISTINCT FROM c.entity_id AND a.actor_type_raw IS NOT DISTINCT FROM c.actor_type_raw AND a.actor_id IS NOT DISTINCT FROM c.actor_id AND a.action IS NOT DISTINCT FROM c.action AND a.details IS NOT DISTINCT FROM c.details AND a.extra IS NOT DISTINCT FROM c.extra AND a.created_at IS NOT DISTINCT FROM c.created_at)
