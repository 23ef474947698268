"""The Parquet lake: export, incremental, atomic per partition, readable without the package."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

import activity_analytics as aa
from activity_analytics._lake import STATE_FILE
from activity_analytics.cli import cli
from tests.conftest import record, write_lines


def _lake_rows(lake: Path) -> pl.DataFrame:
    """The lake as any reader sees it: every Parquet file under activity/, Hive keys included."""
    return pl.scan_parquet(str(lake / "activity" / "**" / "*.parquet"), hive_partitioning=True).collect()


def _files(lake: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (lake / "activity").rglob("*.parquet")}


@pytest.fixture
def store(tmp_path, sample_dir) -> Path:
    db = tmp_path / "store.duckdb"
    aa.ingest([sample_dir / "activity.jsonl.gz"], db, progress=False)
    return db


def test_export_writes_every_row_once_partitioned_by_workspace_and_day(store, tmp_path):
    lake = tmp_path / "lake"
    result = aa.export(store, lake)
    stored = aa.sql(store, "SELECT * FROM activity ORDER BY id")
    assert result.rows == result.total_rows == stored.height > 0
    rows = _lake_rows(lake)
    assert rows.height == stored.height and rows["id"].n_unique() == stored.height
    # the files hold every column of the activity table, and the same values
    assert rows.columns[:14] == stored.columns and set(rows.columns[14:]) == {"workspace", "day"}
    assert rows.sort("id").select(stored.columns[:9]).equals(stored.select(stored.columns[:9]))
    assert rows.sort("id")["created_at"].dt.epoch("us").equals(stored["created_at"].dt.epoch("us"))
    # every row sits in the partition of its workspace and UTC day
    assert (rows["workspace"] == rows["workspace_id"]).all()
    assert (rows["day"].cast(pl.Utf8) == rows["created_at"].dt.strftime("%Y-%m-%d")).all()
    assert result.partitions == rows.select("workspace", "day").n_unique()
    # DuckDB reads it without this package too
    (n,) = duckdb.sql(
        f"SELECT count(DISTINCT id) FROM read_parquet('{lake}/activity/**/*.parquet', hive_partitioning=true)"
    ).fetchall()[0]
    assert n == stored.height


def test_second_export_writes_only_what_is_new(store, tmp_path):
    lake = tmp_path / "lake"
    first = aa.export(store, lake)
    before = _files(lake)
    again = aa.export(store, lake)
    assert (again.rows, again.files) == (0, 0) and _files(lake) == before
    odd = ["ws-new", "we/ird id=%", None]  # path characters and a null workspace
    new = write_lines(tmp_path / "new.jsonl", [
        record(f"new-{i}", workspace_id=odd[i % 3], created_at=f"2026-12-0{1 + i % 3}T10:00:00")
        for i in range(9)
    ])
    aa.ingest([new], store, progress=False)
    third = aa.export(store, lake)
    assert third.rows == 9 and third.total_rows == first.rows + 9
    after = _files(lake)
    assert {p: after[p] for p in before} == before  # nothing rewritten
    assert {p.parent.parent.name for p in set(after) - set(before)} == {
        "workspace=ws-new", "workspace=we%2Fird%20id%3D%25", "workspace=__HIVE_DEFAULT_PARTITION__"}
    rows = _lake_rows(lake)
    assert rows.height == rows["id"].n_unique() == first.rows + 9
    new_rows = rows.filter(pl.col("id").str.starts_with("act-new-"))
    assert sorted(new_rows["workspace_id"].to_list(), key=str) == sorted(odd * 3, key=str)


def test_leftovers_of_an_interrupted_export_are_replaced_not_duplicated(store, tmp_path):
    lake = tmp_path / "lake"
    aa.export(store, lake)
    aa.ingest([write_lines(tmp_path / "n.jsonl", [record("late-1"), record("late-2")])], store,
              progress=False)
    # an export numbered 2 was killed after moving a file and before its state: fake its leftovers
    some = next((lake / "activity").rglob("part-000001-0.parquet"))
    shutil.copy(some, some.with_name("part-000002-7.parquet"))
    (lake / "_staging-000002" / "junk").mkdir(parents=True)
    result = aa.export(store, lake)
    assert result.rows == 2
    rows = _lake_rows(lake)
    assert rows.height == rows["id"].n_unique() == aa.sql(store, "SELECT count(*) FROM activity").item()
    assert not (lake / "_staging-000002").exists()


def test_rows_stored_below_the_mark_are_found_and_exported_once(store, tmp_path):
    lake = tmp_path / "lake"
    aa.export(store, lake)
    # a load that ran with the clock set back: its rows carry an old ingested_at
    with aa.connect(store, read_only=False) as con:
        con.execute("INSERT INTO activity SELECT * REPLACE ('late-' || id AS id) FROM activity "
                    "WHERE id IN (SELECT id FROM activity ORDER BY id LIMIT 3)")
    result = aa.export(store, lake)
    assert result.repaired == 3 and result.rows == 3
    rows = _lake_rows(lake)
    assert rows.height == rows["id"].n_unique() == aa.sql(store, "SELECT count(*) FROM activity").item()
    assert aa.export(store, lake).rows == 0


def test_export_refuses_a_folder_it_did_not_make(store, tmp_path):
    lake = tmp_path / "lake"
    aa.export(store, lake)
    (lake / STATE_FILE).unlink()
    with pytest.raises(aa.InputError, match="no _activity_analytics.json"):
        aa.export(store, lake)
    (lake / STATE_FILE).write_text("{not json")
    with pytest.raises(aa.LakeError, match="unreadable lake state"):
        aa.export(store, lake)


def test_one_export_at_a_time_per_lake(store, tmp_path):
    import fcntl

    lake = tmp_path / "lake"
    aa.export(store, lake)
    with open(lake / "_activity_analytics.lock", "w") as held:  # as a running export holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(aa.LakeError, match="another export is writing this lake"):
            aa.export(store, lake)
    assert aa.export(store, lake).rows == 0  # released: fine again


def test_a_lake_path_that_is_a_file_is_a_clear_error(store, tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(aa.LakeError, match="cannot create the lake folder"):
        aa.export(store, tmp_path / "taken")


def test_export_cli(store, tmp_path):
    lake = tmp_path / "lake"
    out = CliRunner().invoke(cli, ["export", "--db", str(store), "--lake", str(lake), "--json"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)  # a progress bar may go to stderr
    assert summary["rows"] == summary["total_rows"] == aa.sql(store, "SELECT count(*) FROM activity").item()
    out = CliRunner().invoke(cli, ["export", "--db", str(store), "--lake", str(lake)])
    assert out.exit_code == 0 and "exported 0 new rows" in out.output
    uri = CliRunner().invoke(cli, ["export", "--db", str(store), "--lake", (tmp_path / "u").as_uri()])
    assert uri.exit_code == 0 and (tmp_path / "u" / STATE_FILE).exists(), uri.output
    missing = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "none.duckdb"), "--lake", str(lake)])
    assert missing.exit_code != 0 and "no such store" in missing.output


def test_spark_engine_needs_a_lake():
    out = CliRunner().invoke(cli, ["actions", "--engine", "spark"])
    assert out.exit_code == 2 and "--engine spark needs --lake DIR" in out.output


def test_the_core_package_does_not_import_spark():
    import subprocess
    import sys

    code = ("import sys, activity_analytics as aa; aa.SparkLake('x'); "
            "print('pyspark' in sys.modules, 'py4j' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]  # PySpark loads only when a session starts


def test_export_to_a_uri_uploads_each_file_then_moves_it_into_place(store, tmp_path):
    """Any location pyarrow writes (s3://, gs://, hdfs://); file:// takes the same path here."""
    lake = tmp_path / "remote"
    uri = lake.as_uri()
    first = aa.export(store, uri)
    assert first.rows == aa.sql(store, "SELECT count(*) FROM activity").item() > 0
    assert not list(lake.rglob(".*.tmp"))  # nothing half-uploaded is left
    before = _files(lake)
    aa.ingest([write_lines(tmp_path / "n.jsonl", [record("late-1", workspace_id="ws-late")])], store,
              progress=False)
    assert aa.export(store, uri).rows == 1
    assert {p: m for p, m in _files(lake).items() if p in before} == before
    # rows stored below the mark are found by id through the same file system
    with aa.connect(store, read_only=False) as con:
        con.execute("INSERT INTO activity SELECT * REPLACE ('old-' || id AS id) FROM activity "
                    "WHERE id IN (SELECT id FROM activity ORDER BY id LIMIT 2)")
    again = aa.export(store, uri)
    assert (again.rows, again.repaired) == (2, 2)
    rows = _lake_rows(lake)
    assert rows.height == rows["id"].n_unique() == aa.sql(store, "SELECT count(*) FROM activity").item()
    assert (lake / "actor_marks" / "actor_marks.parquet").exists()


def test_an_unknown_uri_scheme_is_a_clear_error(store):
    with pytest.raises(aa.InputError, match="not a lake location"):
        aa.export(store, "nosuch://bucket/lake")
