"""Alerts for cron: ``bursts --new`` reports each burst once per filter set,
``--exit-code`` says whether anything was printed, and Python does the same."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from click.testing import CliRunner

import activity_analytics as aa
from activity_analytics.cli import cli

from .conftest import merge_bot_rows, record, write_lines


@pytest.fixture
def store(tmp_path, sample_dir):
    db = tmp_path / "alerts.duckdb"
    aa.ingest([sample_dir], db, progress=False)
    return db


def run(db, *args):
    result = CliRunner().invoke(cli, ["bursts", "--db", str(db), "--sensitivity", "3", *args])
    return result.exit_code, result.output


def test_new_bursts_are_reported_once_per_filter_set(store, tmp_path):
    everything = aa.bursts(store, sensitivity=3)
    assert everything.height > 0
    code, out = run(store, "--new", "--exit-code", "--format", "json")
    first = json.loads(out)
    assert code == 1 and len(first) == everything.height
    assert {b["kind"] for b in first} == set(everything["kind"])
    assert set(first[0]) == set(everything.columns)
    code, out = run(store, "--new", "--exit-code", "--format", "json")
    assert (code, json.loads(out)) == (0, [])  # nothing new: cron stays quiet
    # another filter set is another alert, with its own memory
    code, out = run(store, "--new", "--exit-code", "--format", "json", "--actor-type", "user")
    assert code == 1 and len(json.loads(out)) == aa.bursts(store, sensitivity=3, actor_type="user").height
    # Python shares the CLI's memory for the same filters
    assert aa.new_bursts(store, sensitivity=3).height == 0

    # a new burst arrives: only it is reported
    last = aa.sql(store, "SELECT max(created_at) AS t FROM events").item()
    ws = aa.sql(store, "SELECT any_value(workspace_id) AS w FROM events").item()
    burst = [record(f"intruder-{i}", workspace_id=ws, actor_id="intruder", actor_type="member",
                    created_at=(last - dt.timedelta(hours=2) + dt.timedelta(seconds=5 * i)).isoformat())
             for i in range(60)]
    aa.ingest([write_lines(tmp_path / "more.jsonl", burst)], store, progress=False)
    code, out = run(store, "--new", "--exit-code", "--format", "json")
    arrived = json.loads(out)
    assert code == 1 and arrived and {b["actor_id"] for b in arrived} == {"intruder"}
    assert run(store, "--new", "--exit-code")[0] == 0


def test_an_episode_told_by_a_later_window_is_not_alerted_twice(tmp_path):
    """Cron at 08:00 alerts on the merge bot's runaway at 07:17. By noon its 700
    merges from 09:00 have joined the episode and tell it (a more surprising
    window, a later start): the same burst, not a new alert. A runaway of another
    agent at 11:00 is new."""
    rows = merge_bot_rows()
    db = tmp_path / "store.duckdb"
    aa.ingest([write_lines(tmp_path / "morning.jsonl", [r for r in rows if r["created_at"] < "2026-11-16T08"])],
              db, progress=False)
    morning = aa.new_bursts(db, kind="alarms")
    assert morning["actor_id"].to_list() == ["merge-bot"], morning["reason"].to_list()
    other = [record(f"o{i}", actor_type="agent", actor_id="other-bot",
                    created_at=f"2026-11-{2 + i // 24:02d}T{6 + i % 12:02d}:30:00") for i in range(24 * 14)]
    other += [record(f"r{i}", actor_type="agent", actor_id="other-bot",
                     created_at=f"2026-11-16T11:{i // 10:02d}:{i % 10 * 6:02d}") for i in range(300)]
    aa.ingest([write_lines(tmp_path / "noon.jsonl", [r for r in rows if r["created_at"] >= "2026-11-16T08"] + other)],
              db, progress=False)
    whole = aa.bursts(db, kind="alarms")
    bot = whole.filter(pl.col("actor_id") == "merge-bot").row(0, named=True)
    assert bot["start"] > morning["start"][0] and bot["episode_start"] == morning["episode_start"][0], bot
    assert aa.new_bursts(db, kind="alarms")["actor_id"].to_list() == ["other-bot"]


def test_exit_code_without_new_and_errors_keep_their_codes(store, tmp_path):
    assert run(store, "--exit-code")[0] == 1  # the sample has bursts at this sensitivity
    assert run(store, "--exit-code", "--since", "2030-01-01")[0] == 0
    assert run(tmp_path / "missing.duckdb", "--new", "--exit-code")[0] == 1  # StoreError, not "new"
    code, out = run(store, "--new", "--engine", "spark", "--lake", str(tmp_path))
    assert code == 2 and "--new keeps what it reported in the store" in out


def test_a_relative_period_is_one_alert_over_a_sliding_window(store):
    """since="30d" names the same alert at every run, whatever day it is."""
    days = (dt.datetime.now(dt.UTC) - aa.sql(store, "SELECT min(created_at) AS t FROM events").item()).days + 1
    first = aa.new_bursts(store, sensitivity=3, since=f"{days}d")
    assert first.height > 0
    assert aa.new_bursts(store, sensitivity=3, since=f"{days}d").height == 0
    assert aa.new_bursts(store, sensitivity=3, since=dt.timedelta(days=days)).height == first.height
