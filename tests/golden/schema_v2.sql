CREATE TABLE workspaces (
    id VARCHAR PRIMARY KEY, name VARCHAR, slug VARCHAR, api_url VARCHAR, synced_at TIMESTAMPTZ
);
CREATE TABLE members (
    workspace_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, role VARCHAR, synced_at TIMESTAMPTZ,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE TABLE agents (
    workspace_id VARCHAR NOT NULL, id VARCHAR NOT NULL, name VARCHAR, owner_id VARCHAR,
    synced_at TIMESTAMPTZ, PRIMARY KEY (workspace_id, id)
);
CREATE TABLE issues (
    workspace_id VARCHAR NOT NULL, id VARCHAR NOT NULL, identifier VARCHAR, title VARCHAR,
    status VARCHAR, priority VARCHAR, synced_at TIMESTAMPTZ, PRIMARY KEY (workspace_id, id)
);
