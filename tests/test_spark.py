"""Parity: actions, actors and bursts on Spark over the lake equal the DuckDB store's.

Needs PySpark (the [spark] extra) and Java 17+; skipped without them unless
REQUIRE_SPARK is set (CI sets it, and .ci/run installs a JRE).
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import polars as pl
import pytest
from click.testing import CliRunner

import activity_analytics as aa
from activity_analytics._anomalies import inject
from activity_analytics._sample import SampleSpec, write_jsonl
from activity_analytics.cli import cli

from .injected import merge_train

pytestmark = pytest.mark.slow


def _spark_ready() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install -e '.[spark]')"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime"
    return None


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A store with injected anomalies and actor marks, its lake, and a SparkLake on it."""
    missing = _spark_ready()
    if missing:
        if os.environ.get("REQUIRE_SPARK"):
            pytest.fail(f"Spark is required (REQUIRE_SPARK) but {missing}")
        pytest.skip(missing)
    tmp = tmp_path_factory.mktemp("spark")
    data = inject(SampleSpec(seed=5, days=14, workspaces=2, people_per_workspace=10,
                             steady_agents_per_workspace=2, batch_agents_per_workspace=1),
                  per_kind=3, seed=5)
    write_jsonl(data.events, tmp / "events.jsonl")
    db = tmp / "store.duckdb"
    aa.ingest([tmp / "events.jsonl"], db, progress=False)
    aa.mark_actors(db, data.agents, "agent")  # marks must be honoured on both engines
    aa.export(db, tmp / "lake")
    with aa.SparkLake(tmp / "lake", master="local[2]") as lake:
        yield db, lake, tmp / "lake"


CASES = [
    ("actions", {}),
    ("actions", {"every": "1d", "by_workspace": True}),
    ("actions", {"every": "1w", "actor_type": "agent"}),
    ("actions", {"every": "15m", "since": "2026-11-05T00:00:00Z", "until": "2026-11-06T00:00:00Z"}),
    ("actors", {}),
    ("actors", {"every": "1h", "by_workspace": True, "by_action": True}),
    ("bursts", {}),
    ("bursts", {"sensitivity": 2.0}),
    ("bursts", {"sensitivity": 0.5, "actor_type": "user"}),
    # filters choose what is reported, on both engines: the history before since still counts
    ("bursts", {"sensitivity": 2.0, "since": "2026-11-12", "until": "2026-11-20", "action": "issue.updated"}),
    ("bursts", {"sensitivity": 4.0, "since": "2026-11-05", "actor_type": "agent"}),
    # incidents are formed before the filters, the same way on both engines; notices apart
    ("bursts", {"sensitivity": 4.0, "since": "2026-11-10", "kind": "alarms"}),
    ("bursts", {"kind": "notices"}),
]


@pytest.mark.parametrize(("analysis", "options"), CASES, ids=[f"{a}-{o}" for a, o in CASES])
def test_spark_and_duckdb_give_identical_frames(stores, analysis, options):
    db, lake, _ = stores
    on_duckdb = getattr(aa, analysis)(db, **options)
    on_spark = getattr(aa, analysis)(lake, **options)
    assert on_duckdb.height > 0
    assert on_spark.schema == on_duckdb.schema
    assert on_spark.equals(on_duckdb)


def test_incidents_are_the_same_on_spark(stores, tmp_path):
    """A merge train of three actors is one incident on both engines (one SQL text,
    run after either scan), with the notice apart."""
    _, lake, _ = stores
    db = tmp_path / "train.duckdb"
    aa.ingest([write_jsonl(merge_train(), tmp_path / "train.jsonl")], db, progress=False)
    aa.export(db, tmp_path / "train-lake")
    with aa.SparkLake(tmp_path / "train-lake", spark=lake.spark) as train:
        for options in ({}, {"kind": "alarms", "since": "2026-02-20T10:36:00Z"}, {"actor_type": "agent"}):
            on_spark, on_duckdb = aa.bursts(train, **options), aa.bursts(db, **options)
            assert on_spark.equals(on_duckdb), options
        assert on_duckdb["members"].max() == 3


def test_bursts_on_spark_finds_every_kind(stores):
    _, lake, _ = stores
    kinds = set(aa.bursts(lake)["kind"])
    assert kinds == {"rapid_succession", "runaway_agent", "new_actor", "workspace_spike", "off_hours"}


def test_filters_by_workspace_reach_spark(stores):
    db, lake, _ = stores
    ws = aa.sql(db, "SELECT min(workspace_id) FROM activity").item()
    frame = aa.actions(lake, workspace=ws, by_workspace=True)
    assert set(frame["workspace_id"]) == {ws}
    assert frame.equals(aa.actions(db, workspace=ws, by_workspace=True))


def test_spark_reads_the_lake_without_this_package(stores):
    db, lake, lake_dir = stores
    frame = lake.spark.read.parquet(str(lake_dir / "activity"))
    assert frame.count() == aa.sql(db, "SELECT count(*) FROM activity").item()
    types = dict(frame.dtypes)
    assert types["created_at"] == "timestamp" and types["id"] == "string"
    assert types["details"] == "string"  # JSON as text: every engine reads it


def test_a_lake_given_as_a_uri(stores):
    db, lake, lake_dir = stores
    with aa.SparkLake(lake_dir.as_uri(), spark=lake.spark) as by_uri:
        assert aa.actors(by_uri).equals(aa.actors(db))


def test_only_the_three_analyses_run_on_spark(stores):
    _, lake, _ = stores
    with pytest.raises(aa.InputError, match="does not run on Spark"):
        aa.top_actors(lake)


def test_cli_engine_spark(stores):
    db, _, lake_dir = stores
    out = CliRunner().invoke(cli, ["actors", "--engine", "spark", "--lake", str(lake_dir),
                                   "--master", "local[2]", "--format", "csv"])
    assert out.exit_code == 0, out.output
    csv_lines = [line for line in out.output.splitlines() if line.count(",") >= 3]
    assert pl.read_csv("\n".join(csv_lines).encode()).height == aa.actors(db).height


def test_missing_or_empty_lake_is_a_clear_error(tmp_path, stores):
    with aa.SparkLake(tmp_path / "nowhere", spark=stores[1].spark) as lake:
        with pytest.raises(aa.InputError, match="not a lake"):
            aa.actions(lake)
    aa.migrate(tmp_path / "empty.duckdb")  # a new, empty store
    assert aa.export(tmp_path / "empty.duckdb", tmp_path / "empty").total_rows == 0
    with aa.SparkLake(tmp_path / "empty", spark=stores[1].spark) as lake:
        with pytest.raises(aa.InputError, match="no activity yet"):
            aa.bursts(lake)
