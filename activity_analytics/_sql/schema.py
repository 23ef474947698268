"""The store's schema: its DDL, one migration per version, and the ``events`` view.

``MIGRATIONS[n]`` turns a version-``n`` store into version ``n + 1``;
version 0 is an empty file. ``_store`` runs them, each in a transaction
with its version bump.
"""

from __future__ import annotations

from .kept import TABLES as KEPT_TABLES
from .traces import TABLE as _AGENT_EVENTS

#: actor types a stored row may have
ACTOR_TYPES = ("user", "agent", "unknown")


def events_select(activity: str = "activity", marks: str = "actor_marks") -> str:
    """The ``events`` view's query: activity with actor marks applied, over the
    tables (or views) named. The Spark lake uses it with its own names."""
    return f"""SELECT a.id, a.workspace_id, a.issue_id, a.entity_type, a.entity_id,
       coalesce(m.actor_type, a.actor_type) AS actor_type,
       a.actor_type AS actor_type_recorded,
       a.actor_type_raw, coalesce(m.same_as, a.actor_id) AS actor_id, a.action, a.details, a.extra,
       a.created_at, a.source, a.ingested_at
FROM {activity} AS a
LEFT JOIN {marks} AS m ON m.actor_id = a.actor_id"""


_V1 = """
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
"""

# Version 2: the small dimension tables a sync keeps beside the activity, so
# reports can show names instead of ids. Replaced per workspace at each sync.
_V2 = """
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
"""

# Version 3 kept bursts' counts per actor and 5 minutes, maintained by every
# write. Version 4 drops them: writes keep no analysis caches.
_V3 = """
CREATE TABLE slot_counts (
    workspace_id VARCHAR, actor_id VARCHAR NOT NULL, actor_type VARCHAR NOT NULL,
    slot_us BIGINT NOT NULL, n BIGINT NOT NULL, first_us BIGINT NOT NULL, last_us BIGINT NOT NULL
);
"""

_V4 = """
DROP TABLE IF EXISTS slot_counts;
DELETE FROM meta WHERE key IN ('slot_counts_rows', 'slot_counts_events');
"""

# Version 5: the bursts an alerting run (``bursts --new``) has reported, per
# filter set, so the next run reports only what is new.
_V5 = """
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
"""

# Version 6: PraisonAI agent runs. ``agent_events`` holds each replay-trace
# event, typed; the views below are what analysts query. A mark's ``same_as``
# makes two actor ids one actor (an agent's Platform id and its PraisonAI name).
_V6 = f"""
{_AGENT_EVENTS}
ALTER TABLE actor_marks ADD COLUMN same_as VARCHAR;
CREATE OR REPLACE VIEW events AS
{events_select()};

-- One row per LLM call: the tokens and cost of the response, the model of its request.
CREATE VIEW llm_calls AS
SELECT run_id, seq, agent, model, prompt_tokens, completion_tokens, cost_usd, duration_ms,
       finish_reason, created_at, workspace_id, source
FROM agent_events WHERE event_type = 'llm_response';

-- One row per tool call: from traces, and from audit logs when no trace has the call.
CREATE VIEW tool_calls AS
SELECT 'trace' AS origin, run_id, seq, agent, tool, duration_ms, error, created_at,
       workspace_id, source
FROM agent_events WHERE event_type = 'tool_call_end'
UNION ALL
SELECT 'audit', NULL, NULL, actor_id, entity_id, TRY_CAST(details ->> '$.duration_ms' AS DOUBLE),
       details ->> '$.error', created_at, workspace_id, source
FROM activity WHERE action = 'agent.tool_call' AND starts_with(id, 'audit:');

-- One row per run: failed when the session, workflow or a task says so,
-- incomplete without a session_end (still running, or killed).
CREATE VIEW agent_runs AS
SELECT run_id,
       CASE WHEN bool_or(status = 'failed' AND event_type IN ('session_end', 'workflow_end', 'task_end'))
            THEN 'failed'
            WHEN bool_or(event_type = 'session_end') THEN 'completed'
            ELSE 'incomplete' END AS status,
       min(created_at) AS started_at, max(created_at) AS ended_at,
       (epoch_us(max(created_at)) - epoch_us(min(created_at))) / 1000.0 AS duration_ms,
       list(DISTINCT agent ORDER BY agent) FILTER (WHERE agent IS NOT NULL) AS agents,
       count(*) FILTER (WHERE event_type = 'llm_response') AS llm_calls,
       count(*) FILTER (WHERE event_type = 'tool_call_end') AS tool_calls,
       count(*) FILTER (WHERE event_type = 'tool_call_end' AND error IS NOT NULL) AS tool_errors,
       coalesce(sum(prompt_tokens), 0) AS prompt_tokens,
       coalesce(sum(completion_tokens), 0) AS completion_tokens,
       coalesce(sum(cost_usd), 0) AS cost_usd,
       any_value(workspace_id) AS workspace_id, any_value(source) AS source
FROM agent_events GROUP BY run_id;
"""

# Version 7: issues by the names people use. The issues table comes from a sync
# or a database load; without it, the log names its issues itself: an
# issue.created event carries the title and identifier, an issue.updated one a
# new title in its fields.
_V7 = """
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
"""

# Version 8: what bursts has judged (issue 34, item 2), kept by ``bursts --keep`` only.
_V8 = KEPT_TABLES

#: the SQL that takes a store from version n (the index) to n + 1
MIGRATIONS = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)

#: version of the schema this code writes; stored in ``meta.schema_version``
SCHEMA_VERSION = len(MIGRATIONS)
