SELECT a.id, a.workspace_id, a.issue_id, a.entity_type, a.entity_id,
       coalesce(m.actor_type, a.actor_type) AS actor_type,
       a.actor_type AS actor_type_recorded,
       a.actor_type_raw, coalesce(m.same_as, a.actor_id) AS actor_id, a.action, a.details, a.extra,
       a.created_at, a.source, a.ingested_at
FROM lake_activity AS a
LEFT JOIN lake_marks AS m ON m.actor_id = a.actor_id
