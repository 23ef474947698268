"""PraisonAI agent runs: replay traces and audit logs, on files the real library wrote.

The ``praisonai_logs`` fixture runs ``praisonai_scenario.py`` in a virtualenv
with the pinned praisonaiagents and praisonai (``.venv-agents``, made by
``./run test``), against an OpenAI-compatible stand-in on loopback, and our
numbers are checked against what the stand-in served and the library's own
price table.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import activity_analytics as aa
from activity_analytics import cli as cli_module
from activity_analytics._sample_agents import AgentSpec, agent_runs, price, write_traces

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def praisonai_logs(tmp_path_factory) -> Path:
    """Real trace files and audit log, written by PraisonAI itself."""
    python = Path(os.environ.get("AGENTS_PYTHON", REPO / ".venv-agents" / "bin" / "python"))
    if not python.exists():
        if os.environ.get("REQUIRE_PRAISONAI"):
            pytest.fail("real PraisonAI is required (REQUIRE_PRAISONAI) but .venv-agents is missing")
        pytest.skip("no .venv-agents: run ./run test to install praisonaiagents and praisonai")
    out = tmp_path_factory.mktemp("praisonai")
    proc = subprocess.run([str(python), str(REPO / "tests" / "praisonai_scenario.py"), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def _ingest(db, *paths):
    return aa.ingest(list(paths), db, progress=False)


def test_real_traces_give_the_tokens_served_and_the_librarys_prices(praisonai_logs, db):
    logs = praisonai_logs
    served = json.loads((logs / "served.json").read_text())
    result = _ingest(db, logs / "traces", logs / "audit.jsonl")
    assert result.total.rejected == 0
    calls = aa.sql(db, "SELECT * FROM llm_calls ORDER BY created_at")
    # Each LLM call the trace holds is one completion the stand-in served, with
    # its model, tokens and the library's price. (PraisonAI records tokens per
    # agent turn: the round that asked for a tool is not in the trace.)
    by_tokens = {(s["prompt_tokens"], s["completion_tokens"]): s for s in served}
    assert calls.height == 2
    for call in calls.iter_rows(named=True):
        match = by_tokens[(call["prompt_tokens"], call["completion_tokens"])]
        assert call["model"] == match["model"]
        assert call["cost_usd"] == pytest.approx(match["cost_usd"], abs=1e-9)
    assert set(calls["model"]) == {"gpt-4o", "gpt-4o-mini"}


def test_real_runs_per_agent(praisonai_logs, db):
    _ingest(db, praisonai_logs / "traces", praisonai_logs / "audit.jsonl")
    served = {(s["model"], s["finish_reason"]): s for s in json.loads(
        (praisonai_logs / "served.json").read_text())}
    agents = {r["agent"]: r for r in aa.agents(db).iter_rows(named=True)}
    assert set(agents) == {"weather", "writer", "breaker"}
    weather, writer, breaker = agents["weather"], agents["writer"], agents["breaker"]
    # weather: run "solo" (one tool call, one answer) and run "direct" (two tool calls)
    assert (weather["runs"], weather["failed_runs"], weather["llm_calls"], weather["tool_calls"],
            weather["tool_errors"]) == (2, 0, 1, 3, 0)
    # writer answered; breaker's tool raised, which failed its task and the team's run
    assert (writer["runs"], writer["failed_runs"], writer["llm_calls"]) == (1, 0, 1)
    assert writer["cost_usd"] == pytest.approx(served[("gpt-4o", "stop")]["cost_usd"], abs=1e-9)
    assert (breaker["runs"], breaker["failed_runs"], breaker["tool_calls"],
            breaker["tool_errors"]) == (1, 1, 1, 1)
    runs = {r["run_id"]: r["status"] for r in aa.sql(db, "SELECT * FROM agent_runs").iter_rows(named=True)}
    assert runs == {"solo": "completed", "team": "failed", "direct": "completed"}
    summary = aa.status(db).summary()
    assert "PraisonAI agent runs: 3 (1 failed), LLM cost $0.0005" in summary
    sources = aa.status(db).by_source["source"].to_list()
    assert f"{praisonai_logs / 'traces'}/*.jsonl (PraisonAI traces)" in sources and len(sources) == 1
    error = aa.sql(db, "SELECT error FROM tool_calls WHERE tool = 'explode'").item()
    assert error.startswith("[unknown] tool failed on boom")


def test_a_call_in_both_logs_counts_once_in_either_order(praisonai_logs, tmp_path):
    traces, audit = praisonai_logs / "traces", praisonai_logs / "audit.jsonl"
    frames = []
    for name, order in (("a", [traces, audit]), ("b", [audit, traces])):
        db = tmp_path / f"{name}.duckdb"
        for path in order:  # separate runs, so the order is really this one
            _ingest(db, path)
        frames.append((aa.agents(db), aa.sql(db, "SELECT id, action FROM activity ORDER BY id"),
                       aa.sql(db, "SELECT origin, agent, tool FROM tool_calls ORDER BY ALL")))
    assert frames[0][0].equals(frames[1][0])
    assert frames[0][1].equals(frames[1][1])
    # 3 audit lines, all the same calls as the traces': 4 tool calls, none from the audit log
    assert frames[0][2]["origin"].to_list() == ["trace"] * 4
    # and the audit log loaded again stays a duplicate
    again = _ingest(tmp_path / "a.duckdb", audit)
    assert (again.total.stored, again.total.duplicates) == (0, 3)


def test_a_call_only_in_the_audit_log_still_counts(praisonai_logs, tmp_path, db):
    only = tmp_path / "traces"
    only.mkdir()
    shutil.copy(praisonai_logs / "traces" / "solo.jsonl", only)  # not "direct": its 2 calls are audit-only
    _ingest(db, only, praisonai_logs / "audit.jsonl")
    origins = aa.sql(db, "SELECT origin, count(*) AS n FROM tool_calls GROUP BY 1 ORDER BY 1").rows()
    assert origins == [("audit", 2), ("trace", 1)]
    weather = aa.agents(db, agent="weather").row(0, named=True)
    assert (weather["tool_calls"], weather["runs"]) == (3, 1)


def test_agent_runs_are_agent_activity_and_marks_make_one_actor(praisonai_logs, db):
    _ingest(db, praisonai_logs / "traces", praisonai_logs / "audit.jsonl")
    actions = dict(aa.actions(db, actor_type="agent").select("action", "events").rows())
    assert actions == {"agent.tool_call": 4, "agent.run": 3, "agent.llm_call": 2}
    assert aa.actors(db).select("actor_type", "actors").rows() == [("agent", 3)]
    aa.mark_actors(db, ["weather"], "agent", same_as="platform-agent-7")
    assert "platform-agent-7" in aa.agents(db)["agent"].to_list()
    assert aa.sql(db, "SELECT count(*) FROM events WHERE actor_id = 'weather'").item() == 0
    # solo: a run, a tool call, an LLM call; direct: two tool calls
    assert aa.sql(db, "SELECT count(*) FROM events WHERE actor_id = 'platform-agent-7'").item() == 5


def test_python_cli_and_sql_give_the_same_numbers(praisonai_logs, db):
    _ingest(db, praisonai_logs / "traces", praisonai_logs / "audit.jsonl")
    for by, per in ((None, "NULL"), ("model", "'model'"), ("tool", "'tool'")):
        frame = aa.agents(db, by=by, every="1d")
        args = ["agents", "--db", str(db), "--every", "1d", "--format", "json"] + (["--by", by] if by else [])
        out = CliRunner().invoke(cli_module.cli, args)
        assert out.exit_code == 0, out.output
        cli = pl.DataFrame(json.loads(out.output))
        assert cli.select(frame.columns[1:]).equals(frame.drop("bucket"))
        sql = aa.sql(db, f"SELECT * FROM aa_agents(per := {per}, every := '1 day')")
        assert sql["cost_usd"].to_list() == frame["cost_usd"].to_list()
        assert sql["tool_calls"].to_list() == frame["tool_calls"].to_list()


def test_a_run_saved_again_replaces_the_stored_one(tmp_path, db):
    folder = tmp_path / "traces"
    runs, _ = agent_runs(aa.SampleSpec(days=1), AgentSpec(runaway=None))
    run_id, events = next(iter(runs.items()))
    write_traces({run_id: events}, folder)
    first = _ingest(db, folder)
    assert first.total.stored == len(events)
    again = _ingest(db, folder)
    assert (again.total.stored, again.total.duplicates) == (0, len(events))
    # PraisonAI saves a new run under the same id: the file is replaced
    newer = [{**e, "timestamp": e["timestamp"] + 3600} for e in events[:4]]
    write_traces({run_id: newer}, folder)
    replaced = _ingest(db, folder)
    assert (replaced.total.stored, replaced.total.runs_replaced) == (4, 1)
    assert "1 run(s) replaced" in replaced.summary()
    stored = aa.sql(db, "SELECT count(*) AS n, min(created_at) AS t FROM agent_events").row(0)
    assert stored[0] == 4
    assert aa.sql(db, "SELECT count(*) FROM activity WHERE id LIKE 'trace:%'").item() == sum(
        e["event_type"] in ("agent_start", "llm_response", "tool_call_end") for e in newer)


def test_bad_trace_lines_are_rejected_with_file_and_line(tmp_path, db):
    folder = tmp_path / "traces"
    runs, _ = agent_runs(aa.SampleSpec(days=1), AgentSpec(runaway=None))
    write_traces(dict(list(runs.items())[:3]), folder)
    victim = sorted(folder.iterdir())[1]
    lines = victim.read_text().splitlines()
    broken = json.loads(lines[2])
    broken["timestamp"] = "yesterday"
    lines[2] = json.dumps(broken)
    lines[3] = "{not json"
    victim.write_text("\n".join(lines) + "\n")
    result = _ingest(db, folder)
    total = sum(len(v) for v in list(runs.values())[:3])
    assert (result.total.rejected, result.total.stored) == (2, total - 2)
    rejects = aa.sql(db, "SELECT source, location, reason FROM rejects ORDER BY location").rows()
    assert rejects == [
        (str(victim), "line 3", "timestamp is not a number of seconds since 1970: \"yesterday\""),
        (str(victim), "line 4", "invalid JSON"),
    ]


def test_a_trace_is_told_from_other_json_lines_by_its_content(tmp_path, db):
    runs, _ = agent_runs(aa.SampleSpec(days=1), AgentSpec(runaway=None))
    path = tmp_path / "whatever-name.log.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in next(iter(runs.values()))))
    result = _ingest(db, path)
    assert [load.kind for load in result.loads] == ["trace"]
    assert result.total.rejected == 0


def test_runaway_spend_is_flagged_like_other_bursts(tmp_path, db):
    spec = aa.SampleSpec(days=10)
    for runaway, expected in ((AgentSpec().runaway and (0, 6, 14), 1), (None, 0)):
        folder = tmp_path / f"traces-{expected}"
        runs, _ = agent_runs(spec, AgentSpec(runaway=runaway))
        write_traces(runs, folder)
        store = tmp_path / f"s-{expected}.duckdb"
        _ingest(store, folder)
        found = aa.bursts(store)
        assert found.height == expected, found
        if expected:
            burst = found.row(0, named=True)
            assert (burst["kind"], burst["actor_id"]) == ("runaway_spend", "research-agent")
            assert burst["start"].day == spec.start.day + 6 and burst["start"].hour == 14
            assert "LLM calls in an hour" in burst["reason"]
            # judged on the hours before it: the store up to the runaway's end says the same
            assert aa.bursts(store, until=burst["end"]).rows() == found.rows()


def test_generated_costs_follow_the_price_table():
    assert price("gpt-4o-mini", 1_000_000, 0) == 0.15
    assert price("gpt-4o", 116, 16) == round(116 / 1e6 * 2.5 + 16 / 1e6 * 10, 6)


def test_trace_sources_are_absolute_paths_and_stdin_is_stdin(tmp_path, monkeypatch):
    runs, _ = agent_runs(aa.SampleSpec(days=1), AgentSpec(runaway=None))
    (first, a), (second, b) = list(runs.items())[:2]
    write_traces({first: a}, tmp_path / "traces")
    monkeypatch.chdir(tmp_path)
    _ingest("s.duckdb", "traces")  # relative, as typed
    stdin = "".join(json.dumps(e) + "\n" for e in b)
    out = CliRunner().invoke(cli_module.cli, ["ingest", "-", "--db", "s.duckdb", "--quiet"], input=stdin)
    assert out.exit_code == 0, out.output
    sources = aa.sql("s.duckdb", "SELECT DISTINCT source FROM agent_events ORDER BY 1")["source"].to_list()
    assert sources == sorted([str(tmp_path / "traces" / f"{first}.jsonl"), "stdin"])


def test_a_run_read_by_either_path_is_the_same_run(tmp_path, db):
    """The first load goes file by file (another file in the group has a bad
    line), the second in one statement: unchanged runs are duplicates, not
    replaced runs, whichever reader read them."""
    runs, _ = agent_runs(aa.SampleSpec(days=1), AgentSpec(runaway=None))
    (first, a), (second, b) = list(runs.items())[:2]
    folder = tmp_path / "traces"
    write_traces({first: a, second: b}, folder)
    live = folder / f"{second}.jsonl"
    whole = live.read_text()
    live.write_text(whole[:-30])  # a run still being written: its last line is cut
    assert _ingest(db, folder).total.rejected == 1
    live.write_text(whole)  # the run completed
    again = _ingest(db, folder)
    assert (again.total.runs_replaced, again.total.stored, again.total.duplicates) == (1, len(b), len(a))
    assert aa.sql(db, "SELECT count(*) FROM agent_events").item() == len(a) + len(b)
