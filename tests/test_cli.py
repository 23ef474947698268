"""The command line: every command wraps one public function, has help, and is in the README."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import activity_analytics
from activity_analytics import cli as cli_module
from activity_analytics import list_actors, sql

from .conftest import record, write_lines

README = Path(__file__).resolve().parent.parent / "README.md"


def all_commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found = {}
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found.update(all_commands(command, path + " "))
        else:
            found[path] = command
    return found


COMMANDS = all_commands(cli_module.cli)


def invoke(*args, input=None):
    return CliRunner().invoke(cli_module.cli, [str(a) for a in args], input=input)


def test_public_api_is_explicit_and_sorted():
    names = activity_analytics.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in names:
        assert hasattr(activity_analytics, name), name
    public_callables = {
        n for n, v in vars(activity_analytics).items()
        if not n.startswith("_") and callable(v) and getattr(v, "__module__", "").startswith("activity_analytics")
    }
    assert public_callables <= set(names)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_has_help_names_its_function_and_is_in_the_readme(path):
    command = COMMANDS[path]
    result = invoke(*path.split(), "--help")
    assert result.exit_code == 0
    assert len((command.help or "").strip()) > 40
    # thin wrapper: the help names the one public function it calls
    function = command.help.split("(Python: activity_analytics.", 1)[1].split(")", 1)[0]
    assert function in activity_analytics.__all__, function
    assert f"activity-analytics {path}" in README.read_text(), f"README lacks `{path}`"


def test_ingest_prints_what_it_did_and_is_idempotent(tmp_path):
    write_lines(tmp_path / "a.jsonl", [record(1), record(2), "{bad"])
    db = tmp_path / "s.duckdb"
    first = invoke("ingest", tmp_path / "a.jsonl", "--db", db)
    assert first.exit_code == 0, first.output
    assert "2 stored, 0 duplicates, 0 conflicts, 1 rejected" in first.output
    second = invoke("ingest", tmp_path / "a.jsonl", "--db", db)
    assert "0 stored, 2 duplicates" in second.output


def test_ingest_strict_exits_1_but_stores_the_good_records(tmp_path):
    write_lines(tmp_path / "a.jsonl", [record(1), "{bad"])
    db = tmp_path / "s.duckdb"
    result = invoke("ingest", tmp_path / "a.jsonl", "--db", db, "--strict")
    assert result.exit_code == 1
    assert "1 record(s) rejected" in result.output
    assert sql(db, "SELECT id FROM activity")["id"].to_list() == ["act-1"]


def test_ingest_missing_file_is_one_line_and_exit_2(tmp_path):
    result = invoke("ingest", tmp_path / "missing.jsonl", "--db", tmp_path / "s.duckdb")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("error: ") and "missing.jsonl: no such file" in result.output


def test_ingest_from_stdin(tmp_path):
    db = tmp_path / "s.duckdb"
    data = "\n".join(json.dumps(record(i)) for i in range(4)) + "\n"
    result = invoke("ingest", "-", "--db", db, "--quiet", input=data)
    assert result.exit_code == 0 and result.output == ""
    assert sql(db, "SELECT count(*) AS n FROM activity")["n"][0] == 4


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "s.duckdb"
    write_lines(tmp_path / "a.jsonl", [
        record(1, actor_id="bot-1"), record(2, actor_id="bot-1"), record(3, actor_id="alice"),
        record(4, actor_id="carl", actor_type="agent", action="issue.created"),
    ])
    assert invoke("ingest", tmp_path / "a.jsonl", "--db", db, "-q").exit_code == 0
    return db


def test_sql_formats(store):
    query = "SELECT action, count(*) AS n FROM events GROUP BY 1 ORDER BY 1"
    csv_out = invoke("sql", query, "--db", store, "--format", "csv")
    assert csv_out.output == "action,n\nissue.created,1\nissue.updated,3\n"
    json_out = invoke("sql", query, "--db", store, "--format", "json")
    assert json.loads(json_out.output) == [{"action": "issue.created", "n": 1}, {"action": "issue.updated", "n": 3}]
    table = invoke("sql", query, "--db", store)
    assert "issue.updated" in table.output and "│" in table.output


def test_sql_is_read_only_and_errors_are_one_line(store):
    result = invoke("sql", "DELETE FROM activity", "--db", store)
    assert result.exit_code == 2
    assert "read-only" in result.output and result.output.strip().count("\n") == 0
    assert sql(store, "SELECT count(*) AS n FROM activity")["n"][0] == 4
    bad = invoke("sql", "SELEC nonsense", "--db", store)
    assert bad.exit_code == 2 and bad.output.startswith("error: query failed")


def test_actors_mark_changes_every_view_of_actor_type(store, tmp_path):
    def types():
        return dict(sql(store, "SELECT actor_id, any_value(actor_type) FROM events GROUP BY 1").rows())

    assert types() == {"bot-1": "user", "alice": "user", "carl": "agent"}
    assert invoke("actors", "mark", "bot-1", "--db", store, "--note", "triage bot").exit_code == 0
    assert types()["bot-1"] == "agent"
    (tmp_path / "marks.csv").write_text("actor_id,actor_type,note\ncarl,user,actually a person\n")
    assert invoke("actors", "mark", "--csv", tmp_path / "marks.csv", "--db", store).output == "marked 1 actor(s)\n"
    assert types() == {"bot-1": "agent", "alice": "user", "carl": "user"}
    listed = list_actors(store)
    assert listed.filter(actor_id="bot-1")["note"].to_list() == ["triage bot"]
    assert listed.filter(actor_id="carl")["recorded_types"].to_list() == ["agent"]
    assert invoke("actors", "unmark", "carl", "--db", store).output == "removed 1 mark(s)\n"
    assert types()["carl"] == "agent"
    out = invoke("actors", "list", "--db", store, "--format", "csv").output
    assert out.splitlines()[0].startswith("actor_id,actor_type,recorded_types,marked")


def test_actors_mark_bad_csv_names_the_line(store, tmp_path):
    (tmp_path / "marks.csv").write_text("actor_id,actor_type\nx,agent\ny,robot\n")
    result = invoke("actors", "mark", "--csv", tmp_path / "marks.csv", "--db", store)
    assert result.exit_code == 2 and "marks.csv:3: actor_type must be" in result.output


def test_status_reports_counts_and_rejects(tmp_path):
    db = tmp_path / "s.duckdb"
    write_lines(tmp_path / "a.jsonl", [record(1), record(2, action="issue.created"), "{bad"])
    invoke("ingest", tmp_path / "a.jsonl", "--db", db, "-q")
    out = invoke("status", "--db", db).output
    assert "2 events in 1 workspace(s)" in out
    assert "issue.created" in out and "invalid JSON" in out
    short = invoke("status", "--db", db, "--short").output
    assert "users vs agents: user 2 (100%, 1 actors)" in short


def test_demo_and_sample_commands(tmp_path):
    sample = tmp_path / "sample"
    made = invoke("sample", sample, "--days", "3", "--workspaces", "2")
    assert made.exit_code == 0 and "activity.jsonl.gz" in made.output
    db = tmp_path / "demo.duckdb"
    result = invoke("demo", "--db", db, "--sample", sample)
    assert result.exit_code == 0, result.output
    assert "0 rejected -> " in result.output
    assert "events in 2 workspace(s)" in result.output and "users vs agents: agent" in result.output
    # the agents that log in as members are marked from sample-actors.csv
    marked = sql(db, "SELECT count(*) AS n FROM actor_marks")["n"][0]
    assert marked == sum(1 for _ in open(tmp_path / "sample-actors.csv")) - 1 > 0
    assert sql(db, "SELECT count(*) AS n FROM events WHERE actor_id IN (SELECT actor_id FROM actor_marks) AND actor_type <> 'agent'")["n"][0] == 0


def test_migrate_command(tmp_path):
    result = invoke("migrate", "--db", tmp_path / "new.duckdb")
    assert result.output.strip().endswith(f"schema version {activity_analytics._store.SCHEMA_VERSION}, "
                                          "storage v1.4.0 (opens in DuckDB 1.4 and later)")
    result = invoke("migrate", "--db", tmp_path / "new.duckdb", "--storage-version", "v2.0.0")
    assert "storage v2.0.0 (opens in DuckDB 2.0 and later)" in result.output
    assert "  storage: v2.0.0 (opens in DuckDB 2.0 and later)" in invoke("status", "--db", tmp_path / "new.duckdb").output


def test_python_m_entry_point(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "activity_analytics", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "ingest" in out.stdout and "actors" in out.stdout


HEAVY = ("polars", "matplotlib", "httpx", "nbformat", "nbclient", "pyarrow", "numpy", "pyspark")


@pytest.mark.parametrize("args", [["--help"], ["ingest", "--help"], ["bursts", "--help"],
                                  ["sync", "--help"], ["report", "--help"]])
def test_help_loads_nothing_it_does_not_use(args):
    """A quick CLI: help and option parsing import no Polars, matplotlib, HTTP or
    notebook machinery (bench/cli_bench.py measures the start-up)."""
    import subprocess
    import sys

    code = ("import sys\nfrom activity_analytics.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "LOADED []"


def test_a_missing_extra_is_one_line_naming_it(tmp_path):
    """Without the notebooks extra the report says what to install (exit 2), no traceback."""
    import subprocess
    import sys

    blocker = tmp_path / "sitecustomize.py"  # makes nbformat & co. unimportable in the child
    blocker.write_text("import sys\nfor m in ('nbformat', 'nbclient', 'nbconvert'):\n    sys.modules[m] = None\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "activity_analytics", "report", "--db", str(tmp_path / "x.duckdb"),
                           "--out", str(tmp_path / "r.html")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: the report needs the notebooks extra: "
                                   "pip install 'activity-analytics[notebooks]'")


def test_the_bundled_sample_shows_what_bursts_look_like(tmp_path):
    """The demo's store holds two injected anomalies of each kind (listed in
    sample-anomalies.csv) and an agent's runaway spend; at the default
    sensitivity bursts raises no alarm but those and finds every kind (9 of
    the 11: it misses a runaway of 3.3x over an hour, a mild one of the kind
    docs/bursts.md says it misses, and one workspace spike), so the demo,
    the report and anomalies.ipynb have something to show. The other
    runaway, 20 events in 17 minutes on an hourly batch agent off its
    schedule, was missed before round 4."""
    import polars as pl

    from activity_analytics._defaults import SAMPLE_DIR

    db = activity_analytics.demo(tmp_path / "demo.duckdb", progress=False).status.db
    truth = pl.read_csv(SAMPLE_DIR.parent / "sample-anomalies.csv", try_parse_dates=True)
    found = activity_analytics.bursts(db)
    assert truth.height == 11
    assert set(found["kind"]) == set(truth["kind"])
    hits = found.with_row_index("i").join(truth, on=["kind", "workspace_id"], how="inner", suffix="_true",
                                          nulls_equal=True).filter(
        (pl.col("actor_id").eq_missing(pl.col("actor_id_true")))
        & (pl.col("start") < pl.col("end_true") + pl.duration(hours=1))
        & (pl.col("end") > pl.col("start_true") - pl.duration(hours=1)))["i"].unique()
    assert found.height >= 9 and hits.len() == found.height  # no alarm but an injected one
