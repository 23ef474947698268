"""Generated PraisonAI agent runs: replay traces (schema 1.1 ``ContextEvent``
lines) and the audit-log lines the same tool calls write, in the shapes the
real library writes (see ``tests/praisonai_scenario.py``, which makes real ones).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._defaults import SampleSpec
from ._lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

#: USD per 1M tokens (input, output): praisonaiagents 1.7.17's fallback table
#: for the models generated here
PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00)}
_TOOLS = ("web_search", "read_file", "create_issue", "http_get")


def price(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """The cost PraisonAI records for a call (rounded to 6 decimals, as it does)."""
    inp, out = PRICES[model]
    return round(prompt_tokens / 1e6 * inp + completion_tokens / 1e6 * out, 6)


@dataclass(frozen=True)
class AgentSpec:
    """Who runs, how often, on which model."""

    agents: tuple[tuple[str, str], ...] = (("research-agent", "gpt-4o-mini"),
                                           ("triage-agent", "gpt-4o"))
    runs_per_day: float = 6.0
    tool_error_rate: float = 0.06
    #: (agent index, day, hour): an hour whose prompts are 40x the usual size
    runaway: tuple[int, int, int] | None = (0, 16, 10)


def _event(run: str, seq: int, kind: str, t: float, agent: str | None, data: dict,
           parent: int | None = 0, **tokens) -> dict:
    record = {"schema_version": "1.1", "event_type": kind, "timestamp": round(t, 6),
              "session_id": run, "agent_name": agent, "sequence_num": seq,
              "messages_count": 0, "tokens_used": 0, "tokens_budget": 0, "data": data,
              "prompt_tokens": tokens.get("prompt_tokens", 0),
              "completion_tokens": tokens.get("completion_tokens", 0),
              "cost_usd": tokens.get("cost_usd", 0.0), "run_id": run}
    if parent is not None and seq > 0:
        record["parent_seq"] = parent
    if agent is not None:
        record["node_id"] = f"agent:{agent}"
    return record


def _run(rng: np.random.Generator, run: str, agent: str, model: str, t: float,
         spec: AgentSpec, blowup: float) -> tuple[list[dict], list[dict], float]:
    """One run's events and audit lines; returns them and its end time."""
    events = [_event(run, 0, "session_start", t, None, {"run_id": run}, parent=None),
              _event(run, 1, "agent_start", t + 0.02, agent, {"role": "Assistant"})]
    audit = []
    seq, now, failed = 2, t + 0.05, False
    for _ in range(int(rng.integers(1, 4))):
        events.append(_event(run, seq, "llm_request", now, agent,
                             {"model": model, "messages": [{"role": "user", "content": "..."}]},
                             parent=1, ))
        request_seq, seq = seq, seq + 1
        if rng.random() < 0.6:
            tool = _TOOLS[int(rng.integers(0, len(_TOOLS)))]
            ms = float(rng.gamma(2.0, 120.0))
            error = "TimeoutError: tool took longer than 30s" if rng.random() < spec.tool_error_rate else None
            events.append(_event(run, seq, "tool_call_start", now + 0.4, agent,
                                 {"tool_name": tool, "tool_args": {"query": "x"}}, parent=1))
            end = now + 0.4 + ms / 1000
            events.append(_event(run, seq + 1, "tool_call_end", end, agent,
                                 {"tool_name": tool, "result": None if error else "ok",
                                  "duration_ms": ms, "error": error}, parent=seq))
            if error is None:  # a tool that raised writes no audit line
                audit.append({"timestamp": dt.datetime.fromtimestamp(end + 0.001, dt.UTC).isoformat(),
                              "session_id": None, "agent_name": agent, "tool_name": tool,
                              "tool_input": {"query": "x"}, "execution_time_ms": ms, "error": None})
            seq += 2
            now = end + 0.01
            if error is not None and rng.random() < 0.5:
                failed = True
                break
        prompt = int(rng.integers(300, 2500) * blowup)
        completion = int(rng.integers(20, 400))
        ms = float(rng.gamma(3.0, 400.0))
        now += ms / 1000
        events.append(_event(run, seq, "llm_response", now, agent,
                             {"response_tokens": completion, "duration_ms": ms,
                              "finish_reason": None, "response_content": "..."},
                             parent=request_seq - 1 if request_seq > 2 else 1,
                             prompt_tokens=prompt, completion_tokens=completion,
                             cost_usd=price(model, prompt, completion)))
        seq += 1
    events.append(_event(run, seq, "agent_end", now + 0.01, agent, {}, parent=1))
    events.append(_event(run, seq + 1, "session_end", now + 0.02, None,
                         {"status": "failed" if failed else "completed",
                          "duration_ms": round((now + 0.02 - t) * 1000, 1)}))
    return events, audit, now + 0.02


def agent_runs(spec: SampleSpec = SampleSpec(), agents: AgentSpec = AgentSpec()
               ) -> tuple[dict[str, list[dict]], list[dict]]:
    """Runs of ``agents`` over ``spec``'s period: {run_id: events}, and the
    audit lines of their tool calls (by time)."""
    rng = np.random.default_rng(spec.seed + 11)
    start = spec.start.timestamp()
    runs: dict[str, list[dict]] = {}
    audit: list[dict] = []
    runaway = agents.runaway if agents.runaway and agents.runaway[1] < spec.days else None
    for a, (agent, model) in enumerate(agents.agents):
        n = int(rng.poisson(agents.runs_per_day * spec.days * spec.scale))
        # runs start before the period's last minute, so they end inside it
        times = np.sort(rng.uniform(start, start + spec.days * 86400 - 60, n))
        if runaway and runaway[0] == a:
            _, day, hour = runaway
            hour_start = start + day * 86400 + hour * 3600
            times = np.sort(np.concatenate([
                times[(times < hour_start) | (times >= hour_start + 3600)],
                hour_start + np.array([600.0, 1500.0, 2400.0, 3000.0])]))
        for i, t in enumerate(times):
            blowup = 1.0
            if runaway and runaway[0] == a:
                _, day, hour = runaway
                hour_start = start + day * 86400 + hour * 3600
                blowup = 40.0 if hour_start <= t < hour_start + 3600 else 1.0
            run_id = f"{agent}-{i:05d}"
            events, lines, _ = _run(rng, run_id, agent, model, float(t), agents, blowup)
            runs[run_id] = events
            audit.extend(lines)
    audit.sort(key=lambda r: r["timestamp"])
    return runs, audit


def runaway_truth(spec: SampleSpec = SampleSpec(), agents: AgentSpec = AgentSpec()) -> dict | None:
    """The injected runaway spend, as a row of the sample's anomalies CSV."""
    if agents.runaway is None or agents.runaway[1] >= spec.days:
        return None
    a, day, hour = agents.runaway
    start = spec.start + dt.timedelta(days=day, hours=hour)
    return {"kind": "runaway_spend", "workspace_id": None, "actor_id": agents.agents[a][0],
            "start": start, "end": start + dt.timedelta(hours=1), "events": None}


def write_traces(runs: dict[str, list[dict]], folder: str | Path) -> list[Path]:
    """One ``<run_id>.jsonl`` per run, as ``praisonai.replay`` writes them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for run_id, events in runs.items():
        path = folder / f"{run_id}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        paths.append(path)
    return paths
