"""Messages in the caller's terms (Python argument names, CLI flags, the magic's
options: one place words them), and empty answers that say why."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

import activity_analytics as aa
from activity_analytics import _terms
from activity_analytics.cli import cli

from .holders import hold


@pytest.fixture(scope="module")
def store(tmp_path_factory, sample_dir):
    db = tmp_path_factory.mktemp("terms") / "s.duckdb"
    aa.demo(db, sample=sample_dir, progress=False)
    return db


def test_each_caller_is_told_its_own_name_of_an_option():
    said = {}
    for who in _terms.CALLERS:
        with _terms.calling_from(who):
            said[who] = (_terms.option("lock_timeout"), _terms.option("token_file"))
    assert said == {"python": ("lock_timeout=", "token_file="),
                    "cli": ("--lock-timeout", "--token-file"),
                    "magic": ("%sql --lock-timeout", "token_file=")}
    with pytest.raises(ValueError):
        with _terms.calling_from("shell"):
            pass


def test_a_locked_store_names_lock_timeout_as_python_and_the_cli_write_it(store):
    holder = hold(store, 30)
    try:
        with pytest.raises(aa.StoreLockedError) as caught:
            aa.actions(store, lock_timeout=0.2)
        assert "raise lock_timeout=" in str(caught.value) and "--lock-timeout" not in str(caught.value)
        result = CliRunner().invoke(cli, ["actions", "--db", str(store), "--lock-timeout", "0.2"])
        assert result.exit_code == 75
        assert "raise --lock-timeout" in result.stderr and "lock_timeout=" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_missing_credentials_name_flags_on_the_cli_and_arguments_in_python(tmp_path, monkeypatch):
    monkeypatch.delenv("ACTIVITY_API_TOKEN", raising=False)
    monkeypatch.delenv("ACTIVITY_API_PASSWORD", raising=False)
    with pytest.raises(aa.InputError) as caught:
        aa.sync("http://127.0.0.1:9", tmp_path / "s.duckdb")
    assert "token_file=" in str(caught.value) and "--token-file" not in str(caught.value)
    with pytest.raises(aa.InputError, match="^email= needs the password"):
        aa.sync("http://127.0.0.1:9", tmp_path / "s.duckdb", email="a@example.com")
    result = CliRunner().invoke(cli, ["sync", "--api", "http://127.0.0.1:9", "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2
    assert "pass --token-file" in result.stderr and "token_file=" not in result.stderr


def test_a_missing_store_says_how_to_make_one_in_each_callers_words(tmp_path):
    missing = tmp_path / "nothing.duckdb"
    with pytest.raises(aa.StoreError, match=r"aa\.demo\(db\).*aa\.ingest.*aa\.sync"):
        aa.actions(missing)
    result = CliRunner().invoke(cli, ["actions", "--db", str(missing)])
    assert result.exit_code == 1
    assert "`activity-analytics demo`" in result.stderr and "aa.demo" not in result.stderr


def test_the_process_holding_the_store_itself_is_named(store):
    import duckdb

    con = duckdb.connect(str(store))
    try:
        with pytest.raises(aa.StoreError, match="this Python process holds the store read-write") as caught:
            aa.sql(store, "SELECT 1")
        assert "different configuration" not in str(caught.value)
    finally:
        con.close()
    con = duckdb.connect(str(store), read_only=True)
    try:
        with pytest.raises(aa.StoreError, match="so it cannot be written here"):
            aa.mark_actors(store, ["someone"])
        assert aa.sql(store, "SELECT 1 AS one")["one"].to_list() == [1]  # reading beside it works
    finally:
        con.close()


@pytest.mark.parametrize(("args", "why"), [
    (["actions", "--workspace", "nope"], "no events in workspace 'nope': the store's workspaces are "),
    (["actors", "--action", "issue.deleted"], "no 'issue.deleted' events: the store's actions are issue."),
    (["actions", "--since", "2031-01-01"], "no events since 2031-01-01 00:00 UTC: the store's data ends at "),
    (["bursts", "--since", "2099-01-01", "--until", "2099-01-02"], "no events between 2099-01-01"),
    (["timeline", "no-such-issue"], "no events of issue 'no-such-issue'"),
])
def test_an_empty_table_on_the_cli_says_why(store, args, why):
    result = CliRunner().invoke(cli, [*args, "--db", str(store)])
    assert result.exit_code == 0, result.output
    assert f"note: {why}" in result.stderr
    as_json = CliRunner().invoke(cli, [*args, "--db", str(store), "--format", "json"])
    assert as_json.stdout.strip() == "[]" and as_json.stderr == ""  # programs read it: no note


def test_an_empty_answer_in_python_is_logged_and_the_frame_is_unchanged(store, caplog):
    with caplog.at_level(logging.INFO, logger="activity_analytics"):
        frame = aa.actions(store, workspace="nope")
    assert frame.height == 0 and frame.columns == ["action", "events", "share", "actors", "issues"]
    assert [r.getMessage() for r in caplog.records if r.name == "activity_analytics"][0].startswith(
        "no events in workspace 'nope'")


def test_a_filter_combination_matching_nothing_is_told_as_such(store):
    from activity_analytics.analysis._filters import Filters
    from activity_analytics.analysis._why import why_empty

    first = aa.sql(store, "SELECT min(created_at) AS t FROM events WHERE action = 'agent.run'")["t"][0]
    with aa.connect(store) as con:
        # agent runs exist, and so do people; no person made an agent run
        line = why_empty(con, Filters(action="agent.run", actor_type="user"))
        assert line.startswith("no events match these filters together")
        busy = why_empty(con, Filters(since=first), "burst")
        assert busy.startswith("no burst among the ") and "matching events since" in busy
