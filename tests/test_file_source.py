"""The fast path's file source gives the rows the careful path's source gives, or fails.

DuckDB's reader (``SELECT_ACTIVITY_FILE``) hands over each record's fields
without the record's text, from a schema it guesses from a sample of the file
(20,480 records). Whatever it cannot hand over as the careful path would
(fields to keep in ``extra``, a repeated key, a line that is not an object)
must make the statement fail, in the sample or after it, so that the file goes
the careful way; whatever it hands over must be what the Arrow source
(``SELECT_ACTIVITY``, over each line's text) gives.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest

from activity_analytics._sql import ingest as sql

from .conftest import record, write_lines

#: more plain records than DuckDB's reader samples to guess the file's schema
PAST_THE_SAMPLE = 20_500

COLUMNS = ("reason, id, workspace_id, issue_id, entity_type, entity_id, actor_type, actor_type_raw, "
           "actor_id, action, details::VARCHAR AS details, extra::VARCHAR AS extra, created_at")


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # as the store's connections
    return con


def _through_the_file(path, workspace=None) -> list[tuple]:
    params = {"path": str(path), "format": "newline_delimited", "compression": "none",
              "workspace": workspace}
    return sorted(_connect().execute(f"SELECT {COLUMNS} FROM ({sql.SELECT_ACTIVITY_FILE})",
                                     params).fetchall(), key=repr)


def _through_arrow(path, workspace=None) -> list[tuple]:
    lines = path.read_text(encoding="utf-8").splitlines()
    con = _connect()
    con.register("_raw", pa.table({"loc": list(range(1, len(lines) + 1)), "text": lines,
                                   "blank": [not line.strip() for line in lines]}))
    return sorted(con.execute(f"SELECT {COLUMNS} FROM ({sql.SELECT_ACTIVITY})",
                              {"workspace": workspace}).fetchall(), key=repr)


def _plain(n: int) -> list[dict]:
    return [record(f"p{i}") for i in range(n)]


TRICKY = [
    record("esc", action='say "hi" \\ there', actor_id="caf\u00e9 \u2603", entity_type="tab\there",
           details={"n": [1, 2.50, 1e2, -0.0, 12345678901234567890123], "s": "\u00e9\u0001/"}),
    record("nulls", workspace_id=None, issue_id=None, details=None, actor_type=None),
    record("spaces", id="  padded  ", actor_type=" Agent ", created_at=" 2026-11-26T10:00:00Z "),
    {"created_at": "2026-11-27T01:22:03+02:00", "action": "a", "id": "reordered"},
    record("zones", created_at="2026-11-26T18:22:03-0500"),
    record("minutes", created_at="2026-11-26 10:00"),
    record("wide", created_at="\u30002026-11-26T10:00:00"),
    record("bad-ts", created_at="2026-11-26"),
    record("number-id", id=42),
    record("blank-action", action="\u3000 "),
    record("object-actor", actor_id={"id": "u"}),
    record("other-ws", workspace_id="ws-2"),
]


def test_the_same_rows_and_reasons_from_both_sources(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", [*_plain(50), *TRICKY])
    # written by hand as well: escapes json.dumps would not make, and spaces around it all
    with path.open("a", encoding="utf-8") as out:
        out.write(' { "id" : "hand\\u0041\\/" ,"action":"x\\"y", "created_at":"2026-11-26T10:00:00"} \n')
    for workspace in (None, "ws-1"):
        rows = _through_the_file(path, workspace)
        assert rows == _through_arrow(path, workspace)
        assert len(rows) == 50 + len(TRICKY) + 1
    assert sorted(r[0] for r in rows if r[0]) == [
        "action is empty", "actor_id is not a string", "id is not a string",
        "unparsable created_at: 2026-11-26", "unparsable created_at: \u30002026-11-26T10:00:00",
        "workspace_id differs from the feed's"]


ODD_RECORDS = {
    "a field beyond the known ones": json.dumps(record("x", api_version="v2")),
    "an unknown field that is null": json.dumps(record("x", tags=None)),
    "a known field the sample never had": json.dumps(record("x", issue_id="iss-9")),
    "a repeated key": '{"id": "x", "id": "y", "action": "a", "created_at": "2026-11-26T10:00:00"}',
    "a key in other case": json.dumps({**record("x"), "ID": "y"}),
    "a key in other case only": json.dumps({("Action" if k == "action" else k): v
                                            for k, v in record("x").items()}),
    "a line that is not an object": "5",
    "an array of records": json.dumps([record("x")]),
}


@pytest.mark.parametrize("name", ODD_RECORDS)
@pytest.mark.parametrize("where", ["in the sample", "past the sample"])
def test_the_same_rows_or_the_statement_fails(tmp_path, name, where):
    plain = _plain(PAST_THE_SAMPLE if where == "past the sample" else 10)
    for rec in plain:  # (no other record has one)
        del rec["issue_id"]
    path = write_lines(tmp_path / "in.jsonl", [*plain, ODD_RECORDS[name]])
    try:
        rows = _through_the_file(path)
    except duckdb.Error:
        return  # the file goes the careful way
    assert rows == _through_arrow(path)


def test_a_known_field_missing_from_every_record_is_missing(tmp_path):
    plain = _plain(30)
    for rec in plain:
        del rec["entity_id"], rec["details"]
    path = write_lines(tmp_path / "in.jsonl", plain)
    rows = _through_the_file(path)
    assert rows == _through_arrow(path)
    assert {(r[0], r[5], r[10]) for r in rows} == {(None, None, None)}


def test_a_field_named_in_other_case_is_not_that_field(tmp_path):
    """DuckDB's names are case-insensitive; the records' keys are not."""
    records = [{("Action" if k == "action" else k): v for k, v in rec.items()} for rec in _plain(10)]
    path = write_lines(tmp_path / "in.jsonl", records)
    try:
        rows = _through_the_file(path)
    except duckdb.Error:
        return  # the file goes the careful way
    assert rows == _through_arrow(path)


def test_fields_beyond_the_known_ones_in_the_sample_are_kept_in_extra(tmp_path):
    """The file is then read as records' text, still in one statement."""
    path = write_lines(tmp_path / "in.jsonl", [record(i, api_version="v2", tags=None) for i in range(30)])
    rows = _through_the_file(path)
    assert rows == _through_arrow(path)
    assert {r[11] for r in rows} == {'{"api_version":"v2","tags":null}'}
