CREATE TABLE bursts_kept (
    version VARCHAR NOT NULL, engine VARCHAR NOT NULL, marks VARCHAR NOT NULL,
    reach TIMESTAMP NOT NULL, judged_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE bursts_kept_counts (day BIGINT PRIMARY KEY, events BIGINT NOT NULL, us HUGEINT NOT NULL);
CREATE TABLE bursts_kept_actors (
    ak UBIGINT NOT NULL, wk UBIGINT NOT NULL, workspace_id VARCHAR, actor_id VARCHAR,
    actor_type VARCHAR, first_seen TIMESTAMP NOT NULL
);
CREATE TABLE bursts_kept_days (
    ak UBIGINT NOT NULL, day TIMESTAMP NOT NULL, slots BIGINT, day_clump DOUBLE, day_top DOUBLE,
    run_starts BIGINT, p0 BIGINT, p1 BIGINT, p2 BIGINT, p3 BIGINT, p4 BIGINT, p5 BIGINT, p6 BIGINT, p7 BIGINT, p8 BIGINT, p9 BIGINT, p10 BIGINT, p11 BIGINT, m5 BIGINT, m15 BIGINT, m30 BIGINT, m60 BIGINT, hours BIGINT, hs HUGEINT,
    hs2 HUGEINT
);
CREATE TABLE bursts_kept_stretches (
    ak UBIGINT NOT NULL, day TIMESTAMP NOT NULL, len INTEGER NOT NULL, total HUGEINT, sq HUGEINT,
    top DOUBLE, mid DOUBLE
);
CREATE TABLE bursts_kept_hours (ak UBIGINT NOT NULL, hour TIMESTAMP NOT NULL, n HUGEINT, slots BIGINT);
CREATE TABLE bursts_kept_agent_days (
    ak UBIGINT NOT NULL, hours INTEGER NOT NULL, day TIMESTAMP NOT NULL, slots HUGEINT, events HUGEINT
);
CREATE TABLE bursts_kept_volume (
    ak UBIGINT NOT NULL, day TIMESTAMP NOT NULL, m15 BIGINT, m30 BIGINT, m60 BIGINT, m180 HUGEINT
);
CREATE TABLE bursts_kept_whours (wk UBIGINT NOT NULL, hour TIMESTAMP NOT NULL, k DOUBLE, n DOUBLE);
CREATE TABLE bursts_kept_flags (
    ak UBIGINT, wk UBIGINT NOT NULL, actor_type VARCHAR, kind VARCHAR NOT NULL,
    start TIMESTAMP NOT NULL, "end" TIMESTAMP NOT NULL, events HUGEINT, expected DOUBLE,
    slots HUGEINT, slots_expected DOUBLE, raw DOUBLE, score DOUBLE, actors BIGINT,
    actors_expected DOUBLE, volume BOOLEAN NOT NULL
);
