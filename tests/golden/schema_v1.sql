CREATE TABLE meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE activity (
    id             VARCHAR NOT NULL,  -- the key: unique, kept so by the loader
    workspace_id   VARCHAR,
    issue_id       VARCHAR,
    entity_type    VARCHAR,
    entity_id      VARCHAR,
    actor_type     VARCHAR NOT NULL CHECK (actor_type IN ('user', 'agent', 'unknown')),
    actor_type_raw VARCHAR,
    actor_id       VARCHAR,
    action         VARCHAR NOT NULL,
    details        JSON,
    extra          JSON,
    created_at     TIMESTAMPTZ NOT NULL,
    source         VARCHAR NOT NULL,
    ingested_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE rejects (
    source      VARCHAR NOT NULL,
    location    VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    raw         VARCHAR,
    rejected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, location, reason)
);

CREATE TABLE actor_marks (
    actor_id   VARCHAR PRIMARY KEY,
    actor_type VARCHAR NOT NULL CHECK (actor_type IN ('user', 'agent')),
    note       VARCHAR,
    marked_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE loads (
    load_id     VARCHAR PRIMARY KEY,
    source      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    records     BIGINT NOT NULL DEFAULT 0,
    stored      BIGINT NOT NULL DEFAULT 0,
    duplicates  BIGINT NOT NULL DEFAULT 0,
    conflicts   BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sync_state (
    api_url    VARCHAR NOT NULL,
    scope      VARCHAR NOT NULL,
    state      JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_url, scope)
);

CREATE VIEW events AS
SELECT a.id, a.workspace_id, a.issue_id, a.entity_type, a.entity_id,
       coalesce(m.actor_type, a.actor_type) AS actor_type,
       a.actor_type AS actor_type_recorded,
       a.actor_type_raw, a.actor_id, a.action, a.details, a.extra,
       a.created_at, a.source, a.ingested_at
FROM activity AS a
LEFT JOIN actor_marks AS m ON m.actor_id = a.actor_id;
