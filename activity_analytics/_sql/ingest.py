"""SQL that turns raw JSON records into validated, normalised rows, and stores them.

One SELECT (built by :func:`_select`) holds every record rule: it gives one
row per record, either the ``reason`` it is rejected for, or every column of
``activity``. Every input goes through it, from one of three sources that
yield the same struct of JSON fragments per record:

* an Arrow batch ``_raw(loc, text, blank)`` from the readers: files, stdin,
  the Platform's SQLite file, and API pages split by DuckDB (the careful
  path: any input, locations for rejects, one transaction per batch);
* DuckDB's own JSON reader over a whole file (the fast path for JSON lines
  or arrays: one statement);
* API pages, one parse per page (the sync's fast path for pages of plain
  records).

A fast path bails out to the careful one at the first record that would be
repeated or already stored, and (but for a file's, which leaves such records
to the load stage: see :data:`FILE_INSERT`) at the first record that would be
rejected, so every path stores the same rows and rejects the same records for
the same reasons.

Both record shapes (Platform activity and PraisonAI audit-log tool calls) end
in the same columns. The store has no index on ``id``: uniqueness is kept by
these statements (an ART index would make bulk loads 2-3x slower and must fit
in memory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# created_at must be a date *and* a time; an offset is optional (naive = UTC).
TIMESTAMP_RE = r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)?\s*"

# Columns every SELECT produces, in this order, after loc/raw/reason.
STAGED_COLUMNS = (
    "id", "workspace_id", "issue_id", "entity_type", "entity_id", "actor_type",
    "actor_type_raw", "actor_id", "action", "details", "extra", "created_at",
)


@dataclass(frozen=True)
class Shape:
    """A kind of record: its fields, what they must be, and how they map to columns."""

    fields: tuple[str, ...]
    required: tuple[str, ...]  # non-empty strings
    optional: tuple[str, ...]  # strings or null
    objects: tuple[str, ...]  # objects or null
    timestamp: str
    #: SQL for STAGED_COLUMNS, over v_<field> and f + <field> (a JSON fragment),
    #: given f and the SQL of the input's workspace (filling a missing one)
    columns: Callable[[str, str], str]


ACTIVITY = Shape(
    fields=("id", "workspace_id", "issue_id", "entity_type", "entity_id",
            "actor_type", "actor_id", "action", "details", "created_at"),
    required=("id", "action", "created_at"),
    optional=("workspace_id", "issue_id", "entity_type", "entity_id", "actor_type", "actor_id"),
    objects=("details",),
    timestamp="created_at",
    columns=lambda f, workspace: f"""v_id AS id,
    coalesce(v_workspace_id, {workspace}) AS workspace_id,
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
    {f}details::JSON AS details""",
)
ACTIVITY_FIELDS = ACTIVITY.fields

# A PraisonAI audit.jsonl line is one tool call of one agent. It has no id: the
# id is a digest of the (minified) record, so re-ingesting the file adds nothing.
AUDIT = Shape(
    fields=("timestamp", "session_id", "agent_name", "tool_name", "tool_input",
            "execution_time_ms", "error", "tool_output"),
    required=("timestamp", "agent_name", "tool_name"),
    optional=("session_id",),
    objects=(),
    timestamp="timestamp",
    columns=lambda f, workspace: f"""'audit:' || md5(json(text)) AS id,
    {workspace} AS workspace_id,
    NULL AS issue_id,
    'tool' AS entity_type,
    v_tool_name AS entity_id,
    'agent' AS actor_type,
    'agent' AS actor_type_raw,
    v_agent_name AS actor_id,
    'agent.tool_call' AS action,
    json_object('tool', v_tool_name, 'input', {f}tool_input,
                'duration_ms', {f}execution_time_ms, 'error', {f}error,
                'session_id', v_session_id, 'output', {f}tool_output) AS details""",
)


def _timestamp(value: str) -> str:
    """SQL: ``value`` as a TIMESTAMPTZ if it has a date and a time, and nothing
    after an optional offset; else NULL.

    Cheap string tests do the common case (a value that passes them ends in
    a digit or Z, and is trimmed only if it may start with a space); only
    values that fail them get the full regular expression. TRY_CAST alone
    would accept a date without a time, or a zone name, which would be
    guesses.
    """
    return f"""(CASE
                WHEN length({value}) BETWEEN 16 AND 35
                     AND substr({value}, 5, 1) = '-' AND substr({value}, 11, 1) IN ('T', ' ')
                     AND (right({value}, 1) BETWEEN '0' AND '9' OR right({value}, 1) = 'Z')
                THEN TRY_CAST(CASE WHEN {_may_start_with_space(value)} THEN trim({value})
                                   ELSE {value} END AS TIMESTAMPTZ)
                WHEN regexp_full_match({value}, '{TIMESTAMP_RE}')
                THEN TRY_CAST(trim({value}) AS TIMESTAMPTZ) END)"""


def _may_start_with_space(value: str) -> str:
    """SQL: whether ``value`` (not null) is empty or may start with a character
    trim removes: an ASCII space (or any byte below '!'), or a Unicode space
    (its first byte is not ASCII). Only these values are worth trimming."""
    return f"({value} < '!' OR {value} >= chr(128))"


def _blank(value: str) -> str:
    """SQL: ``trim(value) = ''``, without copying values that cannot be blank."""
    return f"({_may_start_with_space(value)} AND trim({value}) = '')"


def _struct(shape: Shape) -> str:
    """The json_transform type of a record: every field as a JSON fragment."""
    return "{" + ", ".join(f'"{f}": "JSON"' for f in shape.fields) + "}"


def _json_type(text: str) -> str:
    """SQL: the JSON type of ``text`` known to be valid. One that starts with a
    brace is an object: only the others (rejected) are parsed again."""
    return f"CASE WHEN starts_with({text}, '{{') THEN 'OBJECT' ELSE json_type({text}) END"


def _page_items(items: str) -> str:
    """SQL rows ``r`` (first_loc, source, workspace, i: the index in its page,
    item) of the pages in ``_pages``, where ``items`` is an expression of
    ``body`` giving a list; all but the indexes in ``skip``. (Unnested in the
    SELECT list: a LATERAL join would hash every page's whole list to
    deduplicate it.)"""
    return f"""(SELECT first_loc, skip, source, workspace, unnest(items) AS item,
                    generate_subscripts(items, 1) - 1 AS i
             FROM (SELECT first_loc, skip, source, workspace, {items} AS items FROM _pages)) AS r
        WHERE r.skip IS NULL OR NOT list_contains(r.skip, r.i::INTEGER)"""


def _from_arrow(shape: Shape) -> str:
    """Records from the Arrow batch ``_raw``: each line parsed once into a struct."""
    return f"""
        SELECT loc, text, ok,
               CASE WHEN ok THEN {_json_type("text")} END AS jtype,
               CASE WHEN ok THEN json_transform(text, '{_struct(shape)}') END AS f
        FROM (SELECT loc, text, json_valid(text) AS ok FROM _raw WHERE NOT blank)"""


def _from_file(shape: Shape, numbered: bool = False) -> str:
    """Records read by DuckDB's own parallel JSON reader straight from ``$path``.

    The same struct of fragments as from Arrow. Invalid JSON, a repeated key
    or a line that is not an object fails the reader itself, and the file
    goes the careful way. ``numbered``: each record's number as ``loc`` (the
    n-th record, blank lines not counted), so that a record that breaks a
    rule can be found in the file (:data:`FILE_INSERT_NUMBERED`); numbering
    costs the reader about as much again, so it is asked only then.

    Where the reader's sample of the file shows only the shape's fields, it
    hands over each field as a JSON fragment (``maximum_depth = 1``), as
    cheaply as a bare ``read_json``, without the record text; a field beyond
    them after the sample makes it fail. Where the sample shows more, fields
    to keep in ``extra``, each record's text is read and transformed instead.
    The reader's columns (``typeof(r)``) are a constant: one branch is left
    out when the statement is planned, the other runs.
    """
    fields = rf'("?({"|".join(shape.fields)})"? JSON(, )?)*'
    number = ', "?ordinality"? BIGINT' if numbered else ""
    known = rf"regexp_full_match(typeof(r), 'STRUCT\({fields}{number.lstrip(', ')}\)')"
    bare_known = rf"regexp_full_match(typeof(r), 'STRUCT\({fields}\)')"
    struct = "STRUCT(" + ", ".join(f"{n} JSON" for n in shape.fields) + number.replace('"?', "") + ")"
    options = "format = $format, compression = $compression, maximum_object_size = 16777216"
    read = f"read_json($path, {options}, maximum_depth = 1)"
    rows, loc = (f"(SELECT * FROM {read} WITH ORDINALITY)", "r.ordinality") if numbered else (read, "0")
    objects = f"read_json_objects($path, {options})" + (" WITH ORDINALITY" if numbered else "")
    return f"""
        SELECT {loc} AS loc, NULL::VARCHAR AS text, true AS ok, 'OBJECT' AS jtype, r::{struct} AS f
        FROM {rows} AS r
        WHERE {known}
        UNION ALL
        SELECT {"ordinality" if numbered else "0"} AS loc, json AS text, true AS ok,
               {_json_type("json")} AS jtype, json_transform(json, '{_struct(shape)}') AS f
        FROM {objects}
        WHERE (SELECT NOT {bare_known} FROM {read} AS r LIMIT 1)"""


def _from_pages(shape: Shape) -> str:
    """Records straight from API pages (``_pages``, see :data:`EXPAND_PAGES`),
    one parse per page. No record text: only for pages whose records are all
    objects of known fields (the sync checks each page as it decodes it), on
    the fast path (any reject sends them the careful way)."""
    items = f"json_transform(body, '[{_struct(shape)}]')"
    return f"""
        SELECT r.first_loc + r.i AS loc, NULL::VARCHAR AS text, true AS ok, 'OBJECT' AS jtype,
               r.item AS f, r.source, r.workspace
        FROM {_page_items(items)}"""


def _from_rows(shape: Shape, columns: tuple[str, ...]) -> str:
    """Records from typed rows ``_rows`` (a database table read into Arrow, its
    string fields of a string type): each string field's value as ``v_<field>``
    already, and in ``f`` a marker of its presence; the object fields as JSON;
    the timestamp as its text. A field the table lacks is missing. No record
    text: the fast path only, where what matters is which rows are rejected,
    not why (a reject sends the rows the careful way, as JSON text). Rows whose
    ``id`` is in ``_reread`` (stored already, read again in a load's overlap)
    are left out."""
    strings = (*shape.required, *shape.optional)

    def fragment(name: str) -> str:
        if name not in columns:
            return "NULL::JSON"
        if name in shape.objects:
            return f"json({name})"
        if name == shape.timestamp:
            return f"to_json({name}::VARCHAR)"
        return f"CASE WHEN {name} IS NOT NULL THEN '\"\"'::JSON END"

    fields = ", ".join(f"{n} := {fragment(n)}" for n in shape.fields)
    values = ", ".join(
        (f"{n}::VARCHAR" if n == shape.timestamp else n) if n in columns else "NULL::VARCHAR"
        for n in strings)
    names = ", ".join(f"v_{n}" for n in strings)
    return f"""
        SELECT * FROM (
            SELECT 0 AS loc, NULL::VARCHAR AS text, true AS ok, 'OBJECT' AS jtype,
                   struct_pack({fields}) AS f, {values}
            FROM _rows WHERE id NOT IN (SELECT id FROM _reread)
        ) AS r(loc, text, ok, jtype, f, {names})"""


def _select(shape: Shape, source: str, *, workspace: str = "$workspace", extra: bool = True,
            passthrough: tuple[str, ...] = (), typed: bool = False) -> str:
    """One row per record of ``source``: ``loc``, ``raw`` and ``reason`` when
    rejected, else the ``STAGED_COLUMNS``. The record rules, in order:

    valid JSON; an object; each required field present, a string, not
    blank; each optional string field a string or null; ``workspace_id``
    the input's workspace, when both are known; each object field an object
    or null; the timestamp a date and a time.

    ``source`` gives each record's fields as JSON fragments in a struct
    ``f``. ``workspace``: SQL for the input's workspace (a parameter, or a
    column of ``source`` when pages of several feeds are stored at once),
    which fills a missing ``workspace_id``. ``extra=False`` when the caller
    knows no record has a field beyond the shape's (the sync checks its
    pages): ``extra`` is then null without listing each record's keys.
    ``passthrough``: columns of ``source`` to keep as they are.

    Levels, inside out: the JSON fragments; ``v_<field>``, the value of each
    string field (NULL unless it is a JSON string); the timestamp; the
    reason; the columns. Only rejected lines keep their raw text, so good
    rows are not copied twice.
    """
    f = "f."
    strings = (*shape.required, *shape.optional)
    values = ",\n            ".join(
        f"CASE WHEN starts_with({f}{n}, '\"') THEN {f}{n} ->> '$' END AS v_{n}" for n in strings
    ) if not typed else "NULL AS _typed"
    checks = []
    for n in shape.required:
        checks += [f"WHEN {f}{n} IS NULL THEN 'missing {n}'",
                   f"WHEN v_{n} IS NULL THEN '{n} is not a string'",
                   f"WHEN {_blank(f'v_{n}')} THEN '{n} is empty'"]
    checks += [f"WHEN {f}{n} IS NOT NULL AND v_{n} IS NULL THEN '{n} is not a string'"
               for n in shape.optional]
    if "workspace_id" in shape.optional:
        checks += [f"WHEN v_workspace_id IS NOT NULL AND {workspace} IS NOT NULL "
                   f"AND v_workspace_id <> {workspace} THEN 'workspace_id differs from the feed''s'"]
    checks += [f"WHEN {f}{n} IS NOT NULL AND NOT starts_with({f}{n}, '{{') "
               f"THEN '{n} is not an object'" for n in shape.objects]
    ts = f"v_{shape.timestamp}"
    # More keys than known fields with a value: unknown fields (or explicit nulls)
    present = "(" + " + ".join(f"({f}{n} IS NOT NULL)::INT" for n in shape.fields) + ")"
    drop_known = "{" + ", ".join(f'"{n}": null' for n in shape.fields) + "}"
    when = "\n            ".join(checks)
    extra_sql = (f"""CASE WHEN reason IS NULL AND len(json_keys(text)) > {present}
         THEN nullif(json_merge_patch(text, '{drop_known}'), '{{}}')::JSON END"""
                 if extra else "NULL::JSON")
    return f"""
SELECT loc,
    CASE WHEN reason IS NOT NULL THEN rtrim(text, chr(10) || chr(13)) END AS raw,
    reason,
    {shape.columns(f, workspace)},
    {extra_sql} AS extra,
    ts AS created_at{"".join(f", {c}" for c in passthrough)}
FROM (
    SELECT *,
        CASE
            WHEN NOT ok THEN 'invalid JSON'
            WHEN jtype <> 'OBJECT' THEN 'not a JSON object (' || lower(jtype) || ')'
            {when}
            WHEN ts IS NULL THEN 'unparsable {shape.timestamp}: ' || left({ts}, 64)
        END AS reason
    FROM (
        SELECT *,
            {_timestamp(ts)} AS ts
        FROM (
            SELECT *,
            {values}
            FROM ({source}
            )
        )
    )
)
"""


#: SELECT over ``_raw``: one row per non-blank record, a reason or the columns
SELECT_ACTIVITY = _select(ACTIVITY, _from_arrow(ACTIVITY))
SELECT_AUDIT = _select(AUDIT, _from_arrow(AUDIT))
#: the same over a whole file read by DuckDB (``$path``, ``$format``, ``$compression``)
SELECT_ACTIVITY_FILE = _select(ACTIVITY, _from_file(ACTIVITY))


def stage(select: str) -> str:
    """The careful path: keep the whole staged batch for classification."""
    return f"CREATE OR REPLACE TEMP TABLE _stage AS {select}"


#: what a fast path's statement fails with at a record that breaks a rule
REJECT_ERROR = "activity-analytics: reject"


def _insert_or_fail(select: str, source: str = "$source",
                    on_reject: str = f"error('{REJECT_ERROR}')") -> str:
    """INSERT the rows of ``select``; the first record it would reject fails the
    statement (the fast paths: their input then goes the careful way), unless
    ``on_reject`` (SQL over ``loc`` and ``reason``, false) says otherwise.
    ``source``: the SQL of the rows' source (a parameter, or a column)."""
    return f"""
INSERT INTO activity
SELECT {", ".join(STAGED_COLUMNS)}, {source} AS source, $now AS ingested_at
FROM ({select})
WHERE CASE WHEN reason IS NULL THEN true ELSE {on_reject} END
"""


#: Fast path for files: the whole file in one statement ...
FILE_INSERT = _insert_or_fail(SELECT_ACTIVITY_FILE)
#: ... and, for a file in which that met a record that breaks a rule, the same
#: with each record numbered: such a record is left out and handed to
#: ``aa_reject(record number, reason)``, a function the load stage registers for
#: the statement, which then finds it in the file. Only those records take a
#: slow road.
FILE_INSERT_NUMBERED = _insert_or_fail(_select(ACTIVITY, _from_file(ACTIVITY, numbered=True)),
                                       on_reject="aa_reject(loc, reason)")

def rows_insert(columns: tuple[str, ...]) -> str:
    """Fast path for a database: every new row of ``_rows`` (a table read into
    Arrow, with ``columns``) in one statement."""
    return _insert_or_fail(_select(ACTIVITY, _from_rows(ACTIVITY, columns), extra=False, typed=True))


#: Fast path for the sync: pages whose records are plain (objects, known fields
#: only), one parse per page, the pages of every feed in one statement (each
#: page names its ``source`` and ``workspace``).
PAGES_INSERT = _insert_or_fail(
    _select(ACTIVITY, _from_pages(ACTIVITY), workspace="workspace", extra=False,
            passthrough=("source",)),
    source="source",
)

#: The careful path for the sync: the records of API pages (``_pages``:
#: first_loc, body = the page's JSON text, skip = indexes to leave out or
#: null, source, workspace) as a ``_raw`` batch, split by DuckDB: the sync
#: never serialises a record in Python.
EXPAND_PAGES = f"""
SELECT r.first_loc + r.i AS loc, r.item::VARCHAR AS text, false AS blank
FROM {_page_items("json_extract(body, '$[*]')")}
ORDER BY loc
"""

#: Fast paths, then: ids stored more than once among the rows just inserted (all
#: with ingested_at = $now, unique to the transaction): repeated in the input,
#: or stored before. Then the input goes the careful way. Hashes make it cheap;
#: a hash collision only sends an input the careful way. (The new rows' repeats,
#: plus the stored rows whose hash is a new row's: the stored rows are only
#: probed, and into a store that holds nothing else, that costs nothing.)
COLLISIONS = """
SELECT (SELECT count(*) - count(DISTINCT hash(id)) FROM activity WHERE ingested_at = $now)
     + (SELECT count(*) FROM activity WHERE ingested_at <> $now
        AND hash(id) IN (SELECT hash(id) FROM activity WHERE ingested_at = $now))
"""

_SAME_CONTENT = " AND ".join(
    f"a.{c} IS NOT DISTINCT FROM c.{c}"
    for c in STAGED_COLUMNS
    if c not in ("id", "actor_type")  # actor_type follows from actor_type_raw
)

# The stored rows that share an id with the staged batch: the one look at the
# whole table per batch (usually empty); the statements below use it instead.
KNOWN = f"""
CREATE OR REPLACE TEMP TABLE _known AS
SELECT {", ".join(STAGED_COLUMNS)} FROM activity
WHERE id IN (SELECT id FROM _stage WHERE reason IS NULL)
"""

# Counts of a staged batch: records, rejects, ids repeated inside the batch,
# and valid rows whose id is already stored.
COUNT_STAGE = """
SELECT count(*), count(reason),
       count(*) FILTER (WHERE reason IS NULL) - count(DISTINCT id) FILTER (WHERE reason IS NULL),
       (SELECT count(*) FROM _stage AS s SEMI JOIN _known AS a ON a.id = s.id
        WHERE s.reason IS NULL)
FROM _stage
"""

# Only when an id repeats or is stored already: the first line of each new id.
DEDUPE_STAGE = """
CREATE OR REPLACE TEMP TABLE _cand AS
SELECT * FROM _stage AS s
WHERE reason IS NULL AND NOT EXISTS (SELECT 1 FROM _known AS a WHERE a.id = s.id)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY loc) = 1
"""


def insert_new(table: str) -> str:
    """Store the valid rows of ``table`` (``_stage``, or ``_cand`` when ids repeat)."""
    return f"""
INSERT INTO activity
SELECT {", ".join(STAGED_COLUMNS)}, $source AS source, $now AS ingested_at
FROM {table} WHERE reason IS NULL
"""


def conflicts(table: str) -> str:
    """Rows whose id is stored with other content: conflicts (the first stored
    wins). Stored means before this batch (``_known``) or by it (``table``,
    just inserted)."""
    return f"""
CREATE OR REPLACE TEMP TABLE _conflicts AS
SELECT c.loc, c.id, rtrim(r.text, chr(10) || chr(13)) AS raw
FROM _stage AS c
JOIN (SELECT * FROM _known
      UNION ALL SELECT {", ".join(STAGED_COLUMNS)} FROM {table} WHERE reason IS NULL) AS a
  ON a.id = c.id
JOIN _raw AS r ON r.loc = c.loc
WHERE c.reason IS NULL AND NOT ({_SAME_CONTENT})
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

#: Records rejected before parsing (invalid UTF-8, over-long lines), from ``_early``.
INSERT_EARLY_REJECTS = """
INSERT INTO rejects SELECT $source, $label || ' ' || loc, reason, left(raw, $keep), $now
FROM _early ON CONFLICT DO NOTHING
"""


def count_loads(n: int) -> str:
    """Add to ``n`` loads' counts in one statement (parameters: load_id and the
    five counts, per load)."""
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * n)
    return f"""
UPDATE loads SET records = loads.records + v.records, stored = loads.stored + v.stored,
    duplicates = loads.duplicates + v.duplicates, conflicts = loads.conflicts + v.conflicts,
    rejected = loads.rejected + v.rejected
FROM (VALUES {values}) AS v(load_id, records, stored, duplicates, conflicts, rejected)
WHERE loads.load_id = v.load_id
"""
