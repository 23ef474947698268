CREATE TABLE slot_counts (
    workspace_id VARCHAR, actor_id VARCHAR NOT NULL, actor_type VARCHAR NOT NULL,
    slot_us BIGINT NOT NULL, n BIGINT NOT NULL, first_us BIGINT NOT NULL, last_us BIGINT NOT NULL
);
