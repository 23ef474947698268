"""The bundled sample: generated activity with a few labelled anomalies, written
as the files a user meets (JSON lines, the Platform's SQLite file, a saved API
page, a PraisonAI audit log) and the agents' marks."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ._anomalies import inject
from ._defaults import SampleSpec
from ._lazy import lazy_module
from ._sample import (
    audit_records,
    generate_events,
    to_jsonl_lines,
    write_jsonl,
    write_platform_sqlite,
)
from ._sample_agents import agent_runs, runaway_truth, write_traces

if TYPE_CHECKING:
    import polars as pl
else:
    pl = lazy_module("polars")


def generate_sample(
    out_dir: str | os.PathLike[str] = "data/sample", *, spec: SampleSpec = SampleSpec(),
    anomalies: int = 2,
) -> list[Path]:
    """Write the bundled sample to ``out_dir`` and return the files written.

    The activity holds ``anomalies`` injected anomalies of each kind bursts
    looks for (rapid succession, runaway agent, new actor, workspace spike,
    off hours), so the demo, the report and ``anomalies.ipynb`` show what
    bursts look like; ``<out_dir>-anomalies.csv`` beside the folder lists them.

    * ``activity.jsonl.gz``: every workspace but the last, as JSON lines;
    * ``platform.db``: the last workspace, as the Platform's SQLite database;
    * ``api-page.json``: the newest 200 records of the first workspace, as the
      API returns a page (they are in the JSON-lines file too: duplicates);
    * ``audit.jsonl``: PraisonAI tool calls of two agents;
    * ``traces/``: PraisonAI replay traces of two agents' runs (one file a
      run); the audit log has their tool calls too, as PraisonAI writes
      both, and one agent's spend runs away for an hour;
    * ``<out_dir>-actors.csv`` beside the folder: the agent accounts, for
      ``activity-analytics actors mark --csv`` (the Platform records agents
      that log in through the API as ``member``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labelled = inject(spec, per_kind=anomalies, seed=spec.seed) if anomalies else None
    events = labelled.events if labelled else generate_events(spec)
    last_ws = events["workspace_id"].unique(maintain_order=True).sort()[-1]
    files = [
        write_jsonl(events.filter(pl.col("workspace_id") != last_ws), out / "activity.jsonl.gz"),
        write_platform_sqlite(events.filter(pl.col("workspace_id") == last_ws), out / "platform.db"),
    ]
    first_ws = events.filter(pl.col("workspace_id") != last_ws)["workspace_id"][0]
    page = events.filter(pl.col("workspace_id") == first_ws).head(200)
    page_path = out / "api-page.json"
    page_path.write_text(
        "[\n" + ",\n".join(to_jsonl_lines(page).to_list()) + "\n]\n", encoding="utf-8"
    )
    files.append(page_path)
    agents = (
        events.filter(pl.col("actor_key").str.contains("agent"))
        .group_by("actor_key").agg(pl.col("actor_id").first())
        .sort("actor_key")
        .select("actor_id", pl.lit("agent").alias("actor_type"), pl.col("actor_key").alias("note"))
    )
    marks_path = out.parent / f"{out.name}-actors.csv"
    agents.write_csv(marks_path)
    files.append(marks_path)
    runs, run_audit = agent_runs(spec)
    if labelled is not None:
        truth_path = out.parent / f"{out.name}-anomalies.csv"
        truth = labelled.truth.with_columns(
            pl.from_epoch(c, time_unit="us").dt.replace_time_zone("UTC").alias(c) for c in ("start", "end")
        )
        if (spend := runaway_truth(spec)) is not None:
            truth = pl.concat([truth, pl.DataFrame([spend], schema=truth.schema)])
        truth.write_csv(truth_path)
        files.append(truth_path)
    audit_path = out / "audit.jsonl"
    with open(audit_path, "w", encoding="utf-8") as fh:
        for record in sorted([*audit_records(spec), *run_audit], key=lambda r: r["timestamp"]):
            fh.write(json.dumps(record) + "\n")
    files.append(audit_path)
    files.extend(write_traces(runs, out / "traces"))
    return files
