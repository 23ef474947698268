CREATE TABLE reported_bursts (
    filters      VARCHAR NOT NULL,  -- the filter set as given (JSON), e.g. {"since": "1d"}
    burst        VARCHAR NOT NULL,  -- workspace | actor | kind | start
    workspace_id VARCHAR,
    actor_id     VARCHAR,
    kind         VARCHAR NOT NULL,
    start        TIMESTAMPTZ NOT NULL,
    reported_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (filters, burst)
);
