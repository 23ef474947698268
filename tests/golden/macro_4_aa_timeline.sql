CREATE OR REPLACE MACRO aa_timeline
        (issue) AS TABLE
        SELECT e.created_at, e.action, e.actor_type, e.actor_id,
               coalesce(m.note, ag.name) AS actor_name,
               CASE
                   WHEN (e.details -> '$.fields') IS NOT NULL THEN
                       array_to_string(list_transform(
                           json_keys(e.details -> '$.fields'),
                           lambda k: k || '=' || coalesce((e.details -> '$.fields') ->> k, 'null')),
                       ', ')
                   WHEN (e.details ->> '$.title') IS NOT NULL THEN
                       'title=' || (e.details ->> '$.title')
               END AS changes,
               e.details, e.workspace_id, e.id,
               i.identifier AS issue_identifier, i.title AS issue_title
        FROM events AS e
        LEFT JOIN actor_marks AS m USING (actor_id)
        LEFT JOIN agents AS ag ON ag.id = e.actor_id AND ag.workspace_id = e.workspace_id
        LEFT JOIN issue_names AS i ON i.id = issue AND i.workspace_id IS NOT DISTINCT FROM e.workspace_id
        WHERE e.issue_id = issue OR e.entity_id = issue
        ORDER BY e.created_at, e.id
