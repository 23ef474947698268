INSERT INTO activity
SELECT id, workspace_id, issue_id, entity_type, entity_id, actor_type, actor_type_raw, actor_id, action, details, extra, created_at, $source AS source, $now AS ingested_at
FROM (
SELECT loc,
    CASE WHEN reason IS NOT NULL THEN rtrim(text, chr(10) || chr(13)) END AS raw,
    reason,
    v_id AS id,
    coalesce(v_workspace_id, $workspace) AS workspace_id,
    v_issue_id AS issue_id,
    v_entity_type AS entity_type,
    v_entity_id AS entity_id,
    CASE lower(trim(v_actor_type))
        WHEN 'member' THEN 'user' WHEN 'user' THEN 'user' WHEN 'agent' THEN 'agent'
        ELSE 'unknown'
    END AS actor_type,
    v_actor_type AS actor_type_raw,
    v_actor_id AS actor_id,
    v_action AS action,
    f.details::JSON AS details,
    CASE WHEN reason IS NULL AND len(json_keys(text)) > ((f.id IS NOT NULL)::INT + (f.workspace_id IS NOT NULL)::INT + (f.issue_id IS NOT NULL)::INT + (f.entity_type IS NOT NULL)::INT + (f.entity_id IS NOT NULL)::INT + (f.actor_type IS NOT NULL)::INT + (f.actor_id IS NOT NULL)::INT + (f.action IS NOT NULL)::INT + (f.details IS NOT NULL)::INT + (f.created_at IS NOT NULL)::INT)
         THEN nullif(json_merge_patch(text, '{"id": null, "workspace_id": null, "issue_id": null, "entity_type": null, "entity_id": null, "actor_type": null, "actor_id": null, "action": null, "details": null, "created_at": null}'), '{}')::JSON END AS extra,
    ts AS created_at
FROM (
    SELECT *,
        CASE
            WHEN NOT ok THEN 'invalid JSON'
            WHEN jtype <> 'OBJECT' THEN 'not a JSON object (' || lower(jtype) || ')'
            WHEN f.id IS NULL THEN 'missing id'
            WHEN v_id IS NULL THEN 'id is not a string'
            WHEN ((v_id < '!' OR v_id >= chr(128)) AND trim(v_id) = '') THEN 'id is empty'
            WHEN f.action IS NULL THEN 'missing action'
            WHEN v_action IS NULL THEN 'action is not a string'
            WHEN ((v_action < '!' OR v_action >= chr(128)) AND trim(v_action) = '') THEN 'action is empty'
            WHEN f.created_at IS NULL THEN 'missing created_at'
            WHEN v_created_at IS NULL THEN 'created_at is not a string'
            WHEN ((v_created_at < '!' OR v_created_at >= chr(128)) AND trim(v_created_at) = '') THEN 'created_at is empty'
            WHEN f.workspace_id IS NOT NULL AND v_workspace_id IS NULL THEN 'workspace_id is not a string'
            WHEN f.issue_id IS NOT NULL AND v_issue_id IS NULL THEN 'issue_id is not a string'
            WHEN f.entity_type IS NOT NULL AND v_entity_type IS NULL THEN 'entity_type is not a string'
            WHEN f.entity_id IS NOT NULL AND v_entity_id IS NULL THEN 'entity_id is not a string'
            WHEN f.actor_type IS NOT NULL AND v_actor_type IS NULL THEN 'actor_type is not a string'
            WHEN f.actor_id IS NOT NULL AND v_actor_id IS NULL THEN 'actor_id is not a string'
            WHEN v_workspace_id IS NOT NULL AND $workspace IS NOT NULL AND v_workspace_id <> $workspace THEN 'workspace_id differs from the feed''s'
            WHEN f.details IS NOT NULL AND NOT starts_with(f.details, '{') THEN 'details is not an object'
            WHEN ts IS NULL THEN 'unparsable created_at: ' || left(v_created_at, 64)
        END AS reason
    FROM (
        SELECT *,
            (CASE
                WHEN length(v_created_at) BETWEEN 16 AND 35
                     AND substr(v_created_at, 5, 1) = '-' AND substr(v_created_at, 11, 1) IN ('T', ' ')
                     AND (right(v_created_at, 1) BETWEEN '0' AND '9' OR right(v_created_at, 1) = 'Z')
                THEN TRY_CAST(CASE WHEN (v_created_at < '!' OR v_created_at >= chr(128)) THEN trim(v_created_at)
                                   ELSE v_created_at END AS TIMESTAMPTZ)
                WHEN regexp_full_match(v_created_at, '\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)?\s*')
                THEN TRY_CAST(trim(v_created_at) AS TIMESTAMPTZ) END) AS ts
        FROM (
            SELECT *,
            CASE WHEN starts_with(f.id, '"') THEN f.id ->> '$' END AS v_id,
            CASE WHEN starts_with(f.action, '"') THEN f.action ->> '$' END AS v_action,
            CASE WHEN starts_with(f.created_at, '"') THEN f.created_at ->> '$' END AS v_created_at,
            CASE WHEN starts_with(f.workspace_id, '"') THEN f.workspace_id ->> '$' END AS v_workspace_id,
            CASE WHEN starts_with(f.issue_id, '"') THEN f.issue_id ->> '$' END AS v_issue_id,
            CASE WHEN starts_with(f.entity_type, '"') THEN f.entity_type ->> '$' END AS v_entity_type,
            CASE WHEN starts_with(f.entity_id, '"') THEN f.entity_id ->> '$' END AS v_entity_id,
            CASE WHEN starts_with(f.actor_type, '"') THEN f.actor_type ->> '$' END AS v_actor_type,
            CASE WHEN starts_with(f.actor_id, '"') THEN f.actor_id ->> '$' END AS v_actor_id
            FROM (
        SELECT 0 AS loc, NULL::VARCHAR AS text, true AS ok, 'OBJECT' AS jtype, r::STRUCT(id JSON, workspace_id JSON, issue_id JSON, entity_type JSON, entity_id JSON, actor_type JSON, actor_id JSON, action JSON, details JSON, created_at JSON) AS f
        FROM read_json($path, format = $format, compression = $compression, maximum_object_size = 16777216, maximum_depth = 1) AS r
        WHERE regexp_full_match(typeof(r), 'STRUCT\(("?(id|workspace_id|issue_id|entity_type|entity_id|actor_type|actor_id|action|details|created_at)"? JSON(, )?)*\)')
        UNION ALL
        SELECT 0 AS loc, json AS text, true AS ok,
               CASE WHEN starts_with(json, '{') THEN 'OBJECT' ELSE json_type(json) END AS jtype, json_transform(json, '{"id": "JSON", "workspace_id": "JSON", "issue_id": "JSON", "entity_type": "JSON", "entity_id": "JSON", "actor_type": "JSON", "actor_id": "JSON", "action": "JSON", "details": "JSON", "created_at": "JSON"}') AS f
        FROM read_json_objects($path, format = $format, compression = $compression, maximum_object_size = 16777216)
        WHERE (SELECT NOT regexp_full_match(typeof(r), 'STRUCT\(("?(id|workspace_id|issue_id|entity_type|entity_id|actor_type|actor_id|action|details|created_at)"? JSON(, )?)*\)') FROM read_json($path, format = $format, compression = $compression, maximum_object_size = 16777216, maximum_depth = 1) AS r LIMIT 1)
            )
        )
    )
)
)
WHERE CASE WHEN reason IS NULL THEN true ELSE error('activity-analytics: reject') END
