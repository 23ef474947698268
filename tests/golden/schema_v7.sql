CREATE VIEW issue_names AS
SELECT workspace_id, id, identifier, title, 'issues' AS origin FROM issues
UNION ALL
SELECT a.workspace_id, coalesce(a.issue_id, a.entity_id) AS id,
       arg_max(a.details ->> '$.identifier', a.created_at)
           FILTER (WHERE a.details ->> '$.identifier' IS NOT NULL) AS identifier,
       arg_max(coalesce(a.details ->> '$.title', a.details ->> '$.fields.title'), a.created_at)
           FILTER (WHERE coalesce(a.details ->> '$.title', a.details ->> '$.fields.title') IS NOT NULL)
           AS title,
       'activity' AS origin
FROM activity AS a
WHERE a.action IN ('issue.created', 'issue.updated') AND coalesce(a.issue_id, a.entity_id) IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM issues AS i
                  WHERE i.id = coalesce(a.issue_id, a.entity_id) AND i.workspace_id IS NOT DISTINCT FROM a.workspace_id)
GROUP BY 1, 2
HAVING identifier IS NOT NULL OR title IS NOT NULL;
