"""Labelled evaluation of ``bursts`` against two baselines, over several seeds.

Each seed generates three weeks of activity (steady agents, hourly batch
agents, people with busy days), injects 10 anomalies of each kind at varied
sizes, and scores:

* ``bursts`` at its default sensitivity;
* a fixed threshold: an actor with more than N events in one minute;
* a per-actor hourly z-score: an hour more than Z standard deviations above
  that actor's mean hourly count.

A detection is right when it overlaps an injected anomaly of the same actor
(for a workspace spike: the same workspace, and no actor), and for
``bursts`` of the same kind. Targets: F1 >= 0.95 overall, every kind found
at least 9 times in 10.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import polars as pl

import activity_analytics as aa
from activity_analytics._anomalies import KINDS, inject
from activity_analytics._sample import SampleSpec, write_jsonl

from ._common import machine, save

SLACK_US = 5 * 60_000_000
FIXED_PER_MINUTE = 5
Z_THRESHOLD = 4.0

FIXED_SQL = f"""
WITH m AS (
    SELECT workspace_id, actor_id, time_bucket(INTERVAL 1 MINUTE, created_at) AS start, count(*) AS n
    FROM events GROUP BY ALL
)
SELECT workspace_id, actor_id, epoch_us(start) AS start, epoch_us(start) + 60000000 AS "end"
FROM m WHERE n > {FIXED_PER_MINUTE}
"""

ZSCORE_SQL = f"""
WITH h AS (
    SELECT workspace_id, actor_id, date_trunc('hour', created_at) AS hour, count(*) AS n
    FROM events GROUP BY ALL
), span AS (
    SELECT workspace_id, actor_id, min(hour) AS h0, max(hour) AS h1 FROM h GROUP BY ALL
), grid AS (
    SELECT s.workspace_id, s.actor_id, g.hour, coalesce(h.n, 0) AS n
    FROM span AS s, LATERAL generate_series(s.h0, s.h1, INTERVAL 1 HOUR) AS g(hour)
    LEFT JOIN h ON h.workspace_id = s.workspace_id AND h.actor_id = s.actor_id AND h.hour = g.hour
), z AS (
    SELECT *, (n - avg(n) OVER w) / nullif(stddev_pop(n) OVER w, 0) AS z
    FROM grid WINDOW w AS (PARTITION BY workspace_id, actor_id)
)
SELECT workspace_id, actor_id, epoch_us(hour) AS start, epoch_us(hour) + 3600000000 AS "end"
FROM z WHERE z > {Z_THRESHOLD}
"""


def _match(det: pl.DataFrame, truth: pl.DataFrame, *, by_kind: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(detections with a matched flag, truth with a found flag)."""
    det = det.with_row_index("det")
    truth = truth.with_row_index("tid")
    pairs = det.join(truth, on="workspace_id", suffix="_t").filter(
        (pl.col("start") < pl.col("end_t") + SLACK_US)
        & (pl.col("end") > pl.col("start_t") - SLACK_US)
        & (
            (pl.col("actor_id") == pl.col("actor_id_t"))
            | (pl.col("actor_id_t").is_null() & (pl.col("actor_id").is_null() | pl.lit(not by_kind)))
        )
    )
    if by_kind:
        pairs = pairs.filter(pl.col("kind") == pl.col("kind_t"))
    matched = set(pairs["det"].to_list())
    found = set(pairs["tid"].to_list())
    return (
        det.with_columns(matched=pl.col("det").is_in(list(matched))),
        truth.with_columns(found=pl.col("tid").is_in(list(found))),
    )


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def run_seed(seed: int, per_kind: int) -> dict:
    spec = SampleSpec(seed=seed, days=21, workspaces=3, people_per_workspace=12,
                      steady_agents_per_workspace=2, batch_agents_per_workspace=1)
    data = inject(spec, per_kind=per_kind, seed=seed)
    tmp = Path(tempfile.mkdtemp(prefix="bursts-eval-"))
    write_jsonl(data.events, tmp / "events.jsonl")
    db = tmp / "store.duckdb"
    aa.ingest([tmp / "events.jsonl"], db, progress=False)
    aa.mark_actors(db, data.agents, "agent")
    truth = data.truth
    out: dict = {"seed": seed}

    found = aa.bursts(db).with_columns(
        pl.col("start").dt.epoch("us"), pl.col("end").dt.epoch("us"),
        pl.col("workspace_id").fill_null(""),
    )
    det, tr = _match(found, truth, by_kind=True)
    method = {}
    for kind in KINDS:
        d = det.filter(pl.col("kind") == kind)
        t = tr.filter(pl.col("kind") == kind)
        p = d["matched"].mean() if d.height else 1.0
        r = t["found"].mean()
        method[kind] = {"precision": p, "recall": r, "f1": _f1(p, r), "detections": d.height}
    p_all = det["matched"].mean() if det.height else 1.0
    r_all = tr["found"].mean()
    method["overall"] = {"precision": p_all, "recall": r_all, "f1": _f1(p_all, r_all),
                         "detections": det.height}
    out["bursts"] = method

    for name, query in (("fixed_per_minute", FIXED_SQL), ("hourly_zscore", ZSCORE_SQL)):
        flagged = aa.sql(db, query)
        det, tr = _match(flagged, truth, by_kind=False)
        base = {kind: {"recall": tr.filter(pl.col("kind") == kind)["found"].mean()} for kind in KINDS}
        p = det["matched"].mean() if det.height else 1.0
        r = tr["found"].mean()
        base["overall"] = {"precision": p, "recall": r, "f1": _f1(p, r), "detections": det.height}
        out[name] = base
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench bursts")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--per-kind", type=int, default=10)
    args = parser.parse_args(argv)
    runs = [run_seed(s, args.per_kind) for s in args.seeds]

    def mean(path):
        values = []
        for run in runs:
            node = run
            for key in path:
                node = node[key]
            values.append(node)
        return sum(values) / len(values), min(values)

    lines = [f"bursts evaluation over seeds {args.seeds}, {args.per_kind} anomalies per kind per seed"]
    summary: dict = {"machine": machine(), "seeds": args.seeds, "per_kind": args.per_kind}
    for kind in (*KINDS, "overall"):
        p, _p_min = mean(("bursts", kind, "precision"))
        r, r_min = mean(("bursts", kind, "recall"))
        f, f_min = mean(("bursts", kind, "f1"))
        rf, _ = mean(("fixed_per_minute", kind, "recall"))
        rz, _ = mean(("hourly_zscore", kind, "recall"))
        summary[kind] = {"precision": p, "recall": r, "recall_min": r_min, "f1": f, "f1_min": f_min,
                         "fixed_recall": rf, "zscore_recall": rz}
        lines.append(
            f"  {kind:17s} bursts P {p:.2f} R {r:.2f} (min {r_min:.2f}) F1 {f:.2f} (min {f_min:.2f})"
            f" | fixed R {rf:.2f} | z-score R {rz:.2f}"
        )
    for name in ("fixed_per_minute", "hourly_zscore"):
        p, _ = mean((name, "overall", "precision"))
        r, _ = mean((name, "overall", "recall"))
        f, _ = mean((name, "overall", "f1"))
        summary[name] = {"precision": p, "recall": r, "f1": f}
        lines.append(f"  baseline {name:16s} overall P {p:.2f} R {r:.2f} F1 {f:.2f}")
    print("\n".join(lines))
    summary["runs"] = runs
    save("bursts", summary)
    return summary
