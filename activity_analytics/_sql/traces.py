"""SQL for PraisonAI replay traces: stage, validate, store, reconcile.

A trace file (``<traces dir>/<run_id>.jsonl``) holds one ``ContextEvent`` a
line (schema 1.1): ``event_type``, ``timestamp`` (Unix seconds), ``run_id``
(or ``session_id``), ``sequence_num``, ``agent_name``, ``data`` and token and
cost fields. Each valid event becomes one typed row of ``agent_events``, with
the id ``trace:<run_id>:<sequence_num>``, so loading a file again adds
nothing. Three kinds of event are also the agent's activity, in ``activity``
under the same id: ``agent_start`` (``agent.run``), ``llm_response``
(``agent.llm_call``) and ``tool_call_end`` (``agent.tool_call``), with
``actor_type`` 'agent' and ``actor_type_raw`` 'trace' (a trace names no type).

Statements run per group of files, in one transaction:
``STAGE_*`` -> ``_tstage``; rejects; ``RUNS`` (which runs are new, the same
as stored, or replaced); ``DELETE_REPLACED_*``; ``INSERT_EVENTS``;
``INSERT_ACTIVITY``; then :data:`AUDIT_PAIRS` (one rule for a tool call in
both an audit log and a trace, whichever was loaded first).
"""

from __future__ import annotations

#: fields of a ContextEvent the SELECT reads (each as a JSON fragment)
FIELDS = ("schema_version", "event_type", "timestamp", "session_id", "run_id", "agent_name",
          "sequence_num", "parent_seq", "data", "prompt_tokens", "completion_tokens", "cost_usd")

#: the kinds of event that are also the agent's activity, and their action
ACTIVITY_EVENTS = {"agent_start": "agent.run", "llm_response": "agent.llm_call",
                   "tool_call_end": "agent.tool_call"}

#: columns of ``agent_events``, in order
COLUMNS = ("id", "run_id", "run_key", "seq", "parent_seq", "event_type", "agent", "created_at",
           "workspace_id", "model", "prompt_tokens", "completion_tokens", "cost_usd",
           "duration_ms", "tool", "error", "status", "finish_reason", "data", "digest",
           "source", "load_id", "ingested_at")

TABLE = """
CREATE TABLE agent_events (
    id                VARCHAR NOT NULL,   -- trace:<run_id>:<seq>; unique, kept so by the loader
    run_id            VARCHAR NOT NULL,
    run_key           UBIGINT NOT NULL,   -- hash(run_id): what analyses group and join runs by
    seq               BIGINT NOT NULL,    -- sequence_num: the event's order in its run
    parent_seq        BIGINT,
    event_type        VARCHAR NOT NULL,   -- session_start, llm_request, tool_call_end, ...
    agent             VARCHAR,            -- agent_name (null for session and workflow events)
    created_at        TIMESTAMPTZ NOT NULL,
    workspace_id      VARCHAR,            -- as given to ingest --workspace
    model             VARCHAR,            -- llm_request, and llm_response (from its request)
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    cost_usd          DOUBLE,
    duration_ms       DOUBLE,
    tool              VARCHAR,            -- tool_call_start/end
    error             VARCHAR,            -- tool_call_end: set when the tool raised
    status            VARCHAR,            -- session/workflow/task_end: completed, failed
    finish_reason     VARCHAR,
    data              JSON,               -- the event's data, without llm_request's messages
    digest            VARCHAR NOT NULL,   -- md5 of the line: tells a replaced run from a reload
    source            VARCHAR NOT NULL,   -- the trace file
    load_id           VARCHAR NOT NULL,
    ingested_at       TIMESTAMPTZ NOT NULL
);
"""


def _string(frag: str) -> str:
    """SQL: the value of a JSON fragment that is a string, else NULL."""
    return f"CASE WHEN starts_with({frag}, '\"') THEN {frag} ->> '$' END"


def _is_number(frag: str) -> str:
    return f"(left({frag}, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'))"


def _integer(frag: str) -> str:
    """SQL: a JSON fragment that is an integer, as BIGINT, else NULL."""
    return f"CASE WHEN regexp_full_match({frag}, '-?[0-9]{{1,18}}') THEN {frag}::BIGINT END"


def _number(frag: str) -> str:
    return f"CASE WHEN {_is_number(frag)} THEN TRY_CAST({frag} AS DOUBLE) END"


def _data(field: str) -> str:
    return f"(f.data -> '$.{field}')"


def _source(from_file: bool) -> str:
    """Records with (file, loc, text, ok, jtype, f): from the Arrow batch
    ``_raw`` of one file (``$file``; line numbers), or from every file of
    ``$files`` read by DuckDB's JSON reader (no line numbers: only used when
    nothing is rejected)."""
    struct = "{" + ", ".join(f'"{n}": "JSON"' for n in FIELDS) + "}"
    if from_file:
        return f"""
        SELECT filename AS file, 0 AS loc, json AS text, true AS ok,
               CASE WHEN starts_with(json, '{{') THEN 'OBJECT' ELSE 'OTHER' END AS jtype,
               json_transform(json, '{struct}') AS f
        FROM read_json_objects($files, format = 'newline_delimited', filename = true,
                               maximum_object_size = 16777216)"""
    return f"""
        SELECT $file AS file, loc, text, ok,
               CASE WHEN ok THEN json_type(text) END AS jtype,
               CASE WHEN ok THEN json_transform(text, '{struct}') END AS f
        FROM (SELECT loc, text, json_valid(text) AS ok FROM _raw WHERE NOT blank)"""


def _stage(from_file: bool) -> str:
    """``_tstage``: one row per record, a ``reason`` or every column. The rules:
    valid JSON; an object; ``schema_version``, when given, 1.x; ``event_type``
    and ``run_id`` (or ``session_id``) non-empty strings; ``sequence_num`` an
    integer; ``timestamp`` a number of seconds; token counts integers and
    ``cost_usd`` a number, when given; ``data`` an object or null."""
    return f"""
CREATE OR REPLACE TEMP TABLE _tstage AS
SELECT file, loc,
    CASE WHEN reason IS NOT NULL THEN rtrim(text, chr(10) || chr(13)) END AS raw,
    reason,
    'trace:' || v_run || ':' || seq AS id,
    v_run AS run_id, seq, {_integer('f.parent_seq')} AS parent_seq,
    v_event_type AS event_type, {_string('f.agent_name')} AS agent,
    make_timestamptz((ts_s * 1000000)::BIGINT) AS created_at,
    $workspace AS workspace_id,
    {_string(_data('model'))} AS model,
    {_integer('f.prompt_tokens')} AS prompt_tokens,
    {_integer('f.completion_tokens')} AS completion_tokens,
    {_number('f.cost_usd')} AS cost_usd,
    {_number(_data('duration_ms'))} AS duration_ms,
    {_string(_data('tool_name'))} AS tool,
    CASE WHEN {_data('error')} IS NULL OR {_data('error')} = 'null' THEN NULL
         ELSE coalesce({_string(_data('error'))}, {_data('error')}::VARCHAR) END AS error,
    {_string(_data('status'))} AS status,
    {_string(_data('finish_reason'))} AS finish_reason,
    CASE WHEN v_event_type = 'llm_request' AND (f.data -> '$.messages') IS NOT NULL
         THEN json_merge_patch(f.data, '{{"messages": null}}')::JSON
         ELSE f.data::JSON END AS data,
    CASE WHEN reason IS NULL THEN md5(json(text)) END AS digest  -- minified: the same whichever reader
FROM (
    SELECT *,
        CASE
            WHEN NOT ok THEN 'invalid JSON'
            WHEN jtype <> 'OBJECT' THEN 'not a JSON object (' || lower(jtype) || ')'
            WHEN f.schema_version IS NOT NULL AND NOT starts_with(coalesce({_string('f.schema_version')}, ''), '1.')
                THEN 'unsupported schema_version: ' || left(f.schema_version, 20)
            WHEN f.event_type IS NULL THEN 'missing event_type'
            WHEN coalesce(trim(v_event_type), '') = '' THEN 'event_type is not a non-empty string'
            WHEN coalesce(trim(v_run), '') = '' THEN 'missing run_id (and session_id)'
            WHEN f.sequence_num IS NULL THEN 'missing sequence_num'
            WHEN seq IS NULL THEN 'sequence_num is not an integer'
            WHEN f.timestamp IS NULL THEN 'missing timestamp'
            WHEN ts_s IS NULL OR NOT (ts_s BETWEEN 0 AND 32503680000)
                THEN 'timestamp is not a number of seconds since 1970: ' || left(f.timestamp, 40)
            WHEN f.prompt_tokens IS NOT NULL AND f.prompt_tokens <> 'null'
                 AND {_integer('f.prompt_tokens')} IS NULL THEN 'prompt_tokens is not an integer'
            WHEN f.completion_tokens IS NOT NULL AND f.completion_tokens <> 'null'
                 AND {_integer('f.completion_tokens')} IS NULL THEN 'completion_tokens is not an integer'
            WHEN f.cost_usd IS NOT NULL AND f.cost_usd <> 'null'
                 AND {_number('f.cost_usd')} IS NULL THEN 'cost_usd is not a number'
            WHEN f.data IS NOT NULL AND f.data <> 'null' AND NOT starts_with(f.data, '{{')
                THEN 'data is not an object'
        END AS reason
    FROM (
        SELECT *,
            {_string('f.event_type')} AS v_event_type,
            coalesce({_string('f.run_id')}, {_string('f.session_id')}) AS v_run,
            {_integer('f.sequence_num')} AS seq,
            {_number('f.timestamp')} AS ts_s
        FROM ({_source(from_file)})
    )
)
"""


#: stage one file's Arrow batch (``_raw``, ``$file``, ``$workspace``)
STAGE_BATCH = _stage(from_file=False)
#: stage whole files read by DuckDB (``$files``, ``$workspace``)
STAGE_FILES = _stage(from_file=True)

#: any rejected record in a stage made by STAGE_FILES (then the files go the careful way)
ANY_REJECT = "SELECT count(*) FILTER (WHERE reason IS NOT NULL) FROM _tstage"

INSERT_REJECTS = """
INSERT INTO rejects
SELECT file, 'line ' || loc, reason, left(raw, $keep), $now
FROM _tstage WHERE reason IS NOT NULL
ON CONFLICT DO NOTHING
"""

#: Per run of the stage: ``fresh`` (nothing stored), ``same`` (every staged event
#: stored with the same content: a reload) or ``replaced`` (stored by an earlier
#: load with other content: a new run under the same run id).
RUNS = """
CREATE OR REPLACE TEMP TABLE _truns AS
SELECT s.run_id,
       CASE WHEN NOT EXISTS (SELECT 1 FROM agent_events AS a
                             WHERE a.run_id = s.run_id AND a.load_id <> $load) THEN 'fresh'
            WHEN count(*) = count(a.id) THEN 'same'
            ELSE 'replaced' END AS state
FROM (SELECT DISTINCT ON (id) * FROM _tstage WHERE reason IS NULL ORDER BY id, file, loc) AS s
LEFT JOIN agent_events AS a ON a.id = s.id AND a.digest = s.digest
GROUP BY s.run_id
"""

#: a replaced run's earlier events go, from both tables (activity first: it finds them by id)
DELETE_REPLACED_ACTIVITY = """
DELETE FROM activity WHERE id IN (
    SELECT id FROM agent_events
    WHERE load_id <> $load AND run_id IN (SELECT run_id FROM _truns WHERE state = 'replaced'))
"""
DELETE_REPLACED_EVENTS = """
DELETE FROM agent_events
WHERE load_id <> $load AND run_id IN (SELECT run_id FROM _truns WHERE state = 'replaced')
"""

#: The events to store: the first of each id, in runs not stored already, and
#: not stored by this load before (a run split across batches). The model of
#: an ``llm_response`` is its agent's latest ``llm_request`` before it in the run.
NEW_EVENTS = """
CREATE OR REPLACE TEMP TABLE _tnew AS
SELECT * FROM _tstage AS s
WHERE reason IS NULL
  AND run_id IN (SELECT run_id FROM _truns WHERE state <> 'same')
  AND NOT EXISTS (SELECT 1 FROM agent_events AS a WHERE a.id = s.id)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY file, loc) = 1
"""

INSERT_EVENTS = """
INSERT INTO agent_events
SELECT n.id, n.run_id, hash(n.run_id), n.seq, n.parent_seq, n.event_type, n.agent, n.created_at,
       n.workspace_id,
       CASE WHEN n.event_type = 'llm_response' THEN coalesce(n.model, q.model) ELSE n.model END,
       n.prompt_tokens, n.completion_tokens, n.cost_usd, n.duration_ms, n.tool, n.error,
       n.status, n.finish_reason, n.data, n.digest, n.file, $load, $now
FROM _tnew AS n
ASOF LEFT JOIN (
    SELECT run_id, coalesce(agent, '') AS agent, seq, model FROM _tnew
    WHERE event_type = 'llm_request'
    UNION ALL
    SELECT run_id, coalesce(agent, ''), seq, model FROM agent_events
    WHERE event_type = 'llm_request' AND run_id IN (SELECT run_id FROM _tnew)
) AS q ON q.run_id = n.run_id AND q.agent = coalesce(n.agent, '') AND n.seq > q.seq
"""

_ACTIONS = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in ACTIVITY_EVENTS.items())
_ENTITY_TYPES = "WHEN 'agent_start' THEN 'run' WHEN 'llm_response' THEN 'model' ELSE 'tool' END"
_ACTIVITY_KINDS = ", ".join(f"'{k}'" for k in ACTIVITY_EVENTS)

#: the agent's activity from the events just stored (``ingested_at = $now``)
INSERT_ACTIVITY = f"""
INSERT INTO activity
SELECT id, workspace_id, NULL, CASE event_type {_ENTITY_TYPES},
       CASE event_type WHEN 'agent_start' THEN run_id WHEN 'llm_response' THEN model ELSE tool END,
       'agent', 'trace', agent, CASE event_type {_ACTIONS} END,
       json_object('run_id', run_id, 'seq', seq, 'model', model,
                   'prompt_tokens', prompt_tokens, 'completion_tokens', completion_tokens,
                   'cost_usd', cost_usd, 'duration_ms', duration_ms, 'tool', tool,
                   'error', error),
       NULL, created_at, source, ingested_at
FROM agent_events
WHERE ingested_at = $now AND load_id = $load AND agent IS NOT NULL
  AND event_type IN ({_ACTIVITY_KINDS})
"""

#: How far an audit line's timestamp may be from its trace's ``tool_call_end``
#: (PraisonAI writes it about 1 ms after) and still be the same call.
AUDIT_WINDOW_MS = (-250, 1000)

#: Audit-log tool calls (in ``activity``) that are the same call as a trace's
#: ``tool_call_end``: same agent, tool and workspace, the audit line within
#: :data:`AUDIT_WINDOW_MS` of the trace event; paired one to one, each with its
#: nearest. Only pairs with a side stored by this transaction (``$now``) are
#: looked at, and no trace event already paired (``$paired``): two calls a few
#: milliseconds apart can both be nearest to one trace event, so the pairing is
#: run again on what is left until nothing pairs (``ingest._core``). The audit
#: rows of these pairs are dropped: the trace says more.
AUDIT_PAIRS = f"""
SELECT audit_id, trace_id FROM (
    SELECT a.id AS audit_id, t.id AS trace_id,
           abs(epoch_us(a.created_at) - epoch_us(t.created_at)) AS gap
    FROM activity AS a
    JOIN agent_events AS t
      ON t.event_type = 'tool_call_end' AND t.agent = a.actor_id AND t.tool = a.entity_id
     AND t.workspace_id IS NOT DISTINCT FROM a.workspace_id
     AND a.created_at BETWEEN t.created_at + INTERVAL ({AUDIT_WINDOW_MS[0]}) MILLISECOND
                          AND t.created_at + INTERVAL ({AUDIT_WINDOW_MS[1]}) MILLISECOND
    WHERE a.action = 'agent.tool_call' AND starts_with(a.id, 'audit:')
      AND (a.ingested_at = $now OR t.ingested_at = $now)
      AND t.id NOT IN (SELECT unnest($paired::VARCHAR[]))
    QUALIFY row_number() OVER (PARTITION BY a.id ORDER BY gap, t.id) = 1
)
QUALIFY row_number() OVER (PARTITION BY trace_id ORDER BY gap, audit_id) = 1
"""

