"""SQL that turns a batch of raw JSON text into validated, normalised rows.

The staging query reads ``_raw(loc, text)`` and writes the temporary table
``_stage`` with one row per non-blank record: either a ``reason`` it was
rejected for, or every column of ``activity``. Both record shapes (the
Platform's activity records and PraisonAI audit-log tool calls) end in the
same columns, so everything after staging is shared.
"""

from __future__ import annotations

# created_at must be a date *and* a time; an offset is optional (naive = UTC).
TIMESTAMP_RE = r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)?\s*"

#: fields of a Platform activity record, in the order they are checked
ACTIVITY_FIELDS = (
    "id", "workspace_id", "issue_id", "entity_type", "entity_id",
    "actor_type", "actor_id", "action", "details", "created_at",
)
_REQUIRED = ("id", "action", "created_at")
_OPTIONAL_STR = ("workspace_id", "issue_id", "entity_type", "entity_id", "actor_type", "actor_id")

AUDIT_FIELDS = (
    "timestamp", "session_id", "agent_name", "tool_name", "tool_input",
    "execution_time_ms", "error", "tool_output",
)

NORMALISE_ACTOR = """
CASE lower(trim(actor_type_raw))
    WHEN 'member' THEN 'user'
    WHEN 'user' THEN 'user'
    WHEN 'agent' THEN 'agent'
    ELSE 'unknown'
END"""


def _struct(fields: tuple[str, ...]) -> str:
    return "{" + ", ".join(f'"{f}": "JSON"' for f in fields) + "}"


def _drop_known(fields: tuple[str, ...]) -> str:
    return "{" + ", ".join(f'"{f}": null' for f in fields) + "}"


def _text(field: str) -> str:
    return f"(f.{field} ->> '$')"


def _type_checks(required: tuple[str, ...], optional_str: tuple[str, ...], objects: tuple[str, ...]) -> str:
    checks = []
    for name in required:
        checks.append(f"WHEN f.{name} IS NULL THEN 'missing {name}'")
        checks.append(f"WHEN json_type(f.{name}) <> 'VARCHAR' THEN '{name} is not a string'")
        checks.append(f"WHEN trim({_text(name)}) = '' THEN '{name} is empty'")
    for name in optional_str:
        checks.append(
            f"WHEN f.{name} IS NOT NULL AND json_type(f.{name}) <> 'VARCHAR' "
            f"THEN '{name} is not a string'"
        )
    for name in objects:
        checks.append(
            f"WHEN f.{name} IS NOT NULL AND json_type(f.{name}) <> 'OBJECT' "
            f"THEN '{name} is not an object'"
        )
    return "\n        ".join(checks)


def _stage(struct_fields: tuple[str, ...], checks: str, ts_field: str, columns: str) -> str:
    ts = _text(ts_field)
    return f"""
CREATE OR REPLACE TEMP TABLE _stage AS
WITH parsed AS (
    SELECT loc, text, ok,
           CASE WHEN ok THEN json_type(text) END AS jtype,
           CASE WHEN ok THEN json_transform(text, '{_struct(struct_fields)}') END AS f
    FROM (
        SELECT loc, text, json_valid(text) AS ok
        FROM _raw
        WHERE length(rtrim(text, chr(32) || chr(9) || chr(10) || chr(13))) > 0
    )
), checked AS (
    SELECT *,
        CASE WHEN ok AND jtype = 'OBJECT' AND f.{ts_field} IS NOT NULL
                  AND json_type(f.{ts_field}) = 'VARCHAR'
                  AND regexp_full_match({ts}, '{TIMESTAMP_RE}')
             THEN TRY_CAST(trim({ts}) AS TIMESTAMPTZ) END AS ts
    FROM parsed
)
SELECT loc,
    rtrim(text, chr(10) || chr(13)) AS raw,
    CASE
        WHEN NOT ok THEN 'invalid JSON'
        WHEN jtype <> 'OBJECT' THEN 'not a JSON object (' || lower(jtype) || ')'
        {checks}
        WHEN ts IS NULL THEN 'unparsable {ts_field}: ' || left({ts}, 64)
    END AS reason,
    {columns}
FROM checked
"""


# Columns every staging query produces, in this order, after loc/raw/reason.
STAGED_COLUMNS = (
    "id", "workspace_id", "issue_id", "entity_type", "entity_id", "actor_type",
    "actor_type_raw", "actor_id", "action", "details", "extra", "created_at",
)


def _extra(fields: tuple[str, ...]) -> str:
    return (
        f"CASE WHEN ok AND jtype = 'OBJECT' THEN "
        f"nullif(json_merge_patch(text, '{_drop_known(fields)}'), '{{}}')::JSON END AS extra"
    )


STAGE_ACTIVITY = _stage(
    ACTIVITY_FIELDS,
    _type_checks(_REQUIRED, _OPTIONAL_STR, ("details",)),
    "created_at",
    f"""{_text('id')} AS id,
    coalesce({_text('workspace_id')}, $workspace) AS workspace_id,
    {_text('issue_id')} AS issue_id,
    {_text('entity_type')} AS entity_type,
    {_text('entity_id')} AS entity_id,
    {NORMALISE_ACTOR.replace('actor_type_raw', _text('actor_type'))} AS actor_type,
    {_text('actor_type')} AS actor_type_raw,
    {_text('actor_id')} AS actor_id,
    {_text('action')} AS action,
    f.details::JSON AS details,
    {_extra(ACTIVITY_FIELDS)},
    ts AS created_at""",
)

# A PraisonAI audit.jsonl line is one tool call of one agent. It has no id: the
# id is a digest of the (minified) record, so re-ingesting the file adds nothing.
STAGE_AUDIT = _stage(
    AUDIT_FIELDS,
    _type_checks(("timestamp", "agent_name", "tool_name"), ("session_id",), ()),
    "timestamp",
    f"""'audit:' || md5(json(text)) AS id,
    $workspace AS workspace_id,
    NULL AS issue_id,
    'tool' AS entity_type,
    {_text('tool_name')} AS entity_id,
    'agent' AS actor_type,
    'agent' AS actor_type_raw,
    {_text('agent_name')} AS actor_id,
    'agent.tool_call' AS action,
    json_object('tool', {_text('tool_name')}, 'input', f.tool_input,
                'duration_ms', f.execution_time_ms, 'error', f.error,
                'session_id', {_text('session_id')}, 'output', f.tool_output) AS details,
    {_extra(AUDIT_FIELDS)},
    ts AS created_at""",
)

_SAME_CONTENT = " AND ".join(
    f"a.{c} IS NOT DISTINCT FROM c.{c}"
    for c in STAGED_COLUMNS
    if c not in ("id", "actor_type")  # actor_type follows from actor_type_raw
)

CANDIDATES = """
CREATE OR REPLACE TEMP TABLE _cand AS
SELECT *, row_number() OVER (PARTITION BY id ORDER BY loc) AS rn
FROM _stage WHERE reason IS NULL
"""

INSERT_NEW = f"""
INSERT INTO activity
SELECT {", ".join(STAGED_COLUMNS)}, $source AS source, $now AS ingested_at
FROM _cand WHERE rn = 1
ON CONFLICT DO NOTHING
"""

# Rows whose id is stored with other content: conflicts (the first stored wins).
CONFLICTS = f"""
CREATE OR REPLACE TEMP TABLE _conflicts AS
SELECT c.loc, c.id, c.raw
FROM _cand AS c JOIN activity AS a ON a.id = c.id
WHERE NOT ({_SAME_CONTENT})
"""

INSERT_REJECTS = """
INSERT INTO rejects
SELECT $source, $label || ' ' || loc, reason, left(raw, $keep), $now
FROM _stage WHERE reason IS NOT NULL
ON CONFLICT DO NOTHING
"""

INSERT_CONFLICT_REJECTS = """
INSERT INTO rejects
SELECT $source, $label || ' ' || loc,
       'conflict: id ' || id || ' is already stored with different content',
       left(raw, $keep), $now
FROM _conflicts
ON CONFLICT DO NOTHING
"""
