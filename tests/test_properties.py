"""Property-based tests: arbitrary and mutated JSON lines never crash the ingest,
every valid record lands, and every line is accounted for."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activity_analytics import ingest, sql

from .conftest import record

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
timestamps = st.datetimes(
    min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2100, 1, 1),
    timezones=st.none() | offsets | st.just(dt.UTC),
).map(lambda d: d.isoformat())

valid_records = st.builds(
    lambda i, ts, actor, action, details, extra: {
        **record(i, created_at=ts, actor_type=actor, action=action, details=details),
        **extra,
    },
    i=st.integers(0, 10**6),
    ts=timestamps,
    actor=st.sampled_from(["member", "user", "agent", None, "robot"]),
    action=st.text(min_size=1, max_size=30).filter(lambda s: s.strip()),
    details=st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    extra=st.dictionaries(st.sampled_from(["x_extra", "api_version", "meta"]), json_values, max_size=2),
)


def mutate(line: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    data = bytearray(line)
    for kind, pos, byte in ops:
        if not data:
            break
        pos %= len(data)
        if kind == 0:
            data[pos] = byte
        elif kind == 1:
            del data[pos]
        else:
            data.insert(pos, byte)
    return bytes(data).replace(b"\n", b" ")


def run(lines: list[bytes]) -> tuple[object, Path]:
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return ingest([path], tmp / "s.duckdb", progress=False), tmp / "s.duckdb"


settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


@given(st.lists(st.one_of(valid_records, json_values), min_size=1, max_size=25))
def test_arbitrary_json_lines(values):
    # (a file whose only line is a JSON array is a JSON-array export, not JSON lines)
    values = [record("first"), *values]
    lines = [json.dumps(v).encode() for v in values]
    result, db = run(lines)
    t = result.total
    assert t.records == len(lines)
    assert t.records == t.stored + t.duplicates + t.conflicts + t.rejected
    # every record with a fresh, well-formed shape lands
    valid_ids = {v["id"] for v in values
                 if isinstance(v, dict) and isinstance(v.get("id"), str) and v["id"].startswith("act-")}
    stored = set(sql(db, "SELECT id FROM activity")["id"].to_list())
    assert valid_ids <= stored  # a conflicting duplicate keeps the first: still stored
    assert len(stored) == t.stored


@given(
    st.lists(valid_records, min_size=2, max_size=15, unique_by=lambda r: r["id"]),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
    st.integers(0, 14),
)
def test_mutated_lines(records_, ops, victim):
    lines = [json.dumps(r).encode() for r in records_]
    victim %= len(lines)
    lines[victim] = mutate(lines[victim], ops)
    result, db = run(lines)
    t = result.total
    assert t.records == t.stored + t.duplicates + t.conflicts + t.rejected
    stored = set(sql(db, "SELECT id FROM activity")["id"].to_list())
    untouched = {r["id"] for i, r in enumerate(records_) if i != victim}
    assert untouched <= stored
    rejects = sql(db, "SELECT location FROM rejects")["location"].to_list()
    assert set(rejects) <= {f"line {victim + 1}"}


@given(st.binary(max_size=300))
def test_random_bytes_inside_a_json_lines_file(blob):
    good = json.dumps(record(1)).encode()
    result, db = run([good, blob.replace(b"\n", b" "), json.dumps(record(2)).encode()])
    assert {"act-1", "act-2"} <= set(sql(db, "SELECT id FROM activity")["id"].to_list())
    assert result.total.records in (2, 3)  # a blank line is not a record


#: records that break a rule the fast road leaves to the careful one before issue 35
rule_breakers = st.builds(
    lambda i, broken: {k: v for k, v in {**record(f"bad{i}"), **broken}.items() if v is not ...},
    i=st.integers(0, 10**6),
    broken=st.sampled_from([{"action": ...}, {"action": "  "}, {"action": 5}, {"created_at": "soon"},
                            {"created_at": "2026-11-26"}, {"details": [1]}, {"actor_id": 7},
                            {"id": ...}, {"id": ""}]),
)


@given(
    st.lists(valid_records.map(lambda r: {k: v for k, v in r.items() if k in record(0)}),
             min_size=1, max_size=20, unique_by=lambda r: r["id"]),
    st.lists(st.tuples(st.integers(0, 40), rule_breakers), max_size=5),
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from([b"", b"   ", b"\t"])), max_size=3),
    st.booleans(),
)
def test_a_file_with_rule_breakers_stores_and_rejects_as_the_careful_road(records_, breakers, blanks,
                                                                          gzipped):
    """The fast road leaves out only the records that break a rule and finds
    each one's line and text itself: rows, rejects (line, reason, text) and
    counts are the careful road's, blank lines and gzip included."""
    import contextlib
    import gzip
    from unittest import mock

    from activity_analytics.ingest import _core
    from activity_analytics.ingest._load import ingest_paths

    lines = [json.dumps(r).encode() for r in records_]
    for at, bad in breakers:
        lines.insert(at % (len(lines) + 1), json.dumps(bad).encode())
    for at, blank in blanks:
        lines.insert(at % (len(lines) + 1), blank)
    tmp = Path(tempfile.mkdtemp())
    body = b"\n".join(lines) + b"\n"
    path = tmp / ("in.jsonl.gz" if gzipped else "in.jsonl")
    path.write_bytes(gzip.compress(body) if gzipped else body)
    seen = []
    for fast in (True, False):
        db = tmp / f"{fast}.duckdb"
        careful = mock.patch.object(_core, "store_batch", side_effect=AssertionError("the careful road"))
        with careful if fast else contextlib.nullcontext():  # the fast road keeps the whole file
            result = ingest_paths([path], db, progress=False, fast=fast)
        t = result.total
        seen.append(((t.records, t.stored, t.rejected, t.duplicates, t.conflicts),
                     sql(db, "SELECT * EXCLUDE (ingested_at) FROM activity ORDER BY id").rows(),
                     sql(db, "SELECT location, reason, raw FROM rejects ORDER BY location").rows()))
    assert seen[0] == seen[1]
    assert seen[0][0][2] == len(breakers)
