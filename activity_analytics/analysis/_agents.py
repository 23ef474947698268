"""PraisonAI agents: cost and reliability, from replay traces and audit logs."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .._errors import InputError
from .._lazy import lazy_module
from .._store import DEFAULT_LOCK_TIMEOUT
from .._time import When
from ._filters import Filters, parse_every
from ._run import run_macro

if TYPE_CHECKING:
    import polars as pl
else:
    pl = lazy_module("polars")

#: what ``by`` may name
BY = ("model", "tool")

COLUMNS = ["runs", "failed_runs", "llm_calls", "tool_calls", "tool_errors", "prompt_tokens",
           "completion_tokens", "cost_usd", "p50_ms", "p95_ms"]


def agents(
    db: str | os.PathLike[str],
    *,
    by: str | None = None,
    every: str | None = None,
    agent: str | None = None,
    since: When = None,
    until: When = None,
    workspace: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> pl.DataFrame:
    """Per agent: runs, failures, LLM calls, tokens, cost and tool latency.
    SQL: ``aa_agents(per := 'model', every := '1 day', ...)``.

    From PraisonAI replay traces and ``audit.jsonl`` tool calls (a call in
    both counts once). An agent is its PraisonAI name, or the id its actor
    mark's ``same_as`` names. Columns: ``bucket`` (only with ``every``),
    ``agent``, ``model`` or ``tool`` (only with ``by``), ``runs``,
    ``failed_runs`` (runs in which a task of the agent failed, or the run
    failed and the agent had no task), ``llm_calls``, ``tool_calls``,
    ``tool_errors``, ``prompt_tokens``, ``completion_tokens``, ``cost_usd``
    (as PraisonAI priced it), ``p50_ms`` and ``p95_ms`` (tool call
    durations). Most expensive first.

    With ``by="model"`` only LLM calls count (and the runs that made them);
    with ``by="tool"`` only tool calls. ``agent`` keeps one agent.

    >>> import activity_analytics as aa, tempfile, pathlib
    >>> db = aa.demo(pathlib.Path(tempfile.mkdtemp()) / "d.duckdb", progress=False).status.db
    >>> aa.agents(db).columns[:4]
    ['agent', 'runs', 'failed_runs', 'llm_calls']
    >>> aa.agents(db, by="model")["model"].null_count()
    0
    """
    if by is not None and by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}")
    period = Filters(since, until, workspace)
    frame = run_macro(
        db, "aa_agents",
        {"per": by, "every": parse_every(every), "since": period.since, "until": period.until,
         "ws": workspace, "agent_name": agent},
        lock_timeout=lock_timeout,
    )
    keys = (["bucket"] if every else []) + ["agent"] + ([by] if by else [])
    return frame.select([*keys, *COLUMNS])
