"""Parsing and normalisation of single records."""

from __future__ import annotations

import datetime as dt

import pytest

from activity_analytics import sql
from activity_analytics.ingest._load import ingest_paths

from .conftest import record, write_lines

UTC = dt.UTC


@pytest.fixture(params=["fast path", "batch path"])
def fast(request):
    """Every case runs through both load paths: they must agree."""
    return request.param == "fast path"


@pytest.fixture
def load_one(fast):
    def load(tmp_path, db, rec, **kwargs):
        write_lines(tmp_path / "in.jsonl", [rec])
        return ingest_paths([tmp_path / "in.jsonl"], db, progress=False, fast=fast, **kwargs)

    return load


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("member", "user"), ("user", "user"), ("USER", "user"), (" Member ", "user"),
     ("agent", "agent"), ("Agent", "agent"), (None, "unknown"), ("bot", "unknown"),
     ("system", "unknown")],
)
def test_actor_type_is_normalised_and_raw_kept(tmp_path, db, raw, expected, load_one, fast):
    load_one(tmp_path, db, record(actor_type=raw))
    row = sql(db, "SELECT actor_type, actor_type_raw FROM activity").row(0)
    assert row == (expected, raw)


def test_missing_actor_type_is_unknown(tmp_path, db, load_one, fast):
    rec = record()
    del rec["actor_type"]
    load_one(tmp_path, db, rec)
    assert sql(db, "SELECT actor_type FROM activity")["actor_type"].to_list() == ["unknown"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T23:22:03.681330", dt.datetime(2026, 11, 26, 23, 22, 3, 681330, UTC)),
        ("2026-11-26T23:22:03Z", dt.datetime(2026, 11, 26, 23, 22, 3, tzinfo=UTC)),
        ("2026-11-26T23:22:03.5+00:00", dt.datetime(2026, 11, 26, 23, 22, 3, 500000, UTC)),
        ("2026-11-27T01:22:03+02:00", dt.datetime(2026, 11, 26, 23, 22, 3, tzinfo=UTC)),
        ("2026-11-26T18:22:03-0500", dt.datetime(2026, 11, 26, 23, 22, 3, tzinfo=UTC)),
        ("2026-11-26 23:22:03.681330", dt.datetime(2026, 11, 26, 23, 22, 3, 681330, UTC)),
    ],
)
def test_timestamps_become_utc(tmp_path, db, text, expected, load_one, fast):
    load_one(tmp_path, db, record(created_at=text))
    (value,) = sql(db, "SELECT created_at FROM activity")["created_at"].to_list()
    assert value == expected


@pytest.mark.parametrize(
    "text", ["2026-11-26", "yesterday", "2026-13-40T25:00:00", "26/11/2026 10:00", "", "2026-11-26T10:00:00 Europe/Paris"]
)
def test_unparsable_timestamp_is_a_reject_not_a_guess(tmp_path, db, text, load_one, fast):
    result = load_one(tmp_path, db, record(created_at=text))
    assert result.total.rejected == 1 and result.total.stored == 0
    (reason,) = sql(db, "SELECT reason FROM rejects")["reason"].to_list()
    assert reason.startswith("unparsable created_at") or reason == "created_at is empty"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "missing id"),
        ({"id": 42}, "id is not a string"),
        ({"id": ""}, "id is empty"),
        ({"action": None}, "missing action"),
        ({"action": ["issue.created"]}, "action is not a string"),
        ({"created_at": 1764199323}, "created_at is not a string"),
        ({"workspace_id": 7}, "workspace_id is not a string"),
        ({"actor_id": {"id": "x"}}, "actor_id is not a string"),
        ({"details": "a string"}, "details is not an object"),
    ],
)
def test_wrong_or_missing_fields_are_rejected_with_reason(tmp_path, db, change, reason, load_one, fast):
    rec = record(**change)
    result = load_one(tmp_path, db, rec)
    assert result.total.rejected == 1
    rows = sql(db, "SELECT location, reason FROM rejects").rows()
    assert rows == [("line 1", reason)]


def test_unknown_actions_and_extra_fields_flow_through(tmp_path, db, load_one, fast):
    rec = record(action="member.joined", details={"role": "admin", "nested": [1, {"a": None}]},
                 api_version="v2", meta={"k": 1})
    load_one(tmp_path, db, rec)
    action, details, extra = sql(
        db, "SELECT action, details::VARCHAR AS d, extra::VARCHAR AS e FROM activity"
    ).row(0)
    assert action == "member.joined"
    assert details == '{"role":"admin","nested":[1,{"a":null}]}'
    assert extra == '{"api_version":"v2","meta":{"k":1}}'


def test_no_extra_fields_means_null_extra(tmp_path, db, load_one, fast):
    load_one(tmp_path, db, record())
    assert sql(db, "SELECT extra FROM activity")["extra"].to_list() == [None]


def test_null_details_and_optional_fields(tmp_path, db, load_one, fast):
    load_one(tmp_path, db, record(details=None, issue_id=None, workspace_id=None))
    row = sql(db, "SELECT details, issue_id, workspace_id FROM activity").row(0)
    assert row == (None, None, None)


def test_workspace_option_fills_a_missing_workspace_and_rejects_another(tmp_path, db, fast):
    """``--workspace`` says whose feed the file is, as a sync's feed does."""
    write_lines(tmp_path / "in.jsonl", [record(1, workspace_id=None), record(2, workspace_id="ws-9"),
                                        record(3, workspace_id="ws-default")])
    result = ingest_paths([tmp_path / "in.jsonl"], db, workspace="ws-default", progress=False, fast=fast)
    assert (result.total.stored, result.total.rejected) == (2, 1)
    rows = sql(db, "SELECT id, workspace_id FROM activity ORDER BY id").rows()
    assert rows == [("act-1", "ws-default"), ("act-3", "ws-default")]
    assert sql(db, "SELECT location, reason FROM rejects").rows() == [
        ("line 2", "workspace_id differs from the feed's")]
