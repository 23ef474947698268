"""The evaluation's families of ordinary behaviour, and their anomalies (bench only).

``_sample.FAMILIES`` (office hours, jitter, pace, ..., reactive agents) are made
by the package's generator, which the bundled sample and the detector's own
tests also use; the families below are the evaluation's alone:

* ``scheduled4``: people with jitter, a steady agent per workspace, and four
  agents per workspace that run four times a day at fixed times (one at 00:00,
  06:00, 12:00 and 18:00, the others the same shifted by whole hours and a
  quarter-hour), every day, about 45 events in about 2 minutes a run (a few
  seconds of jitter). Its runaways (issue 34, item 1) are only on those agents:
  5-15 minutes of 10-50x the agent's largest run before it, half at its run
  times and half at hours it never runs (:data:`inject.SCHEDULED_RUNAWAYS`).

Every family is three workspaces of 12 people over 21 days.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl

from activity_analytics._defaults import SampleSpec
from activity_analytics._sample import FAMILIES as PACKAGE_FAMILIES
from activity_analytics._sample import _uuids, generate_events

from .inject import HOUR_US, MIN_US, SCHEDULED_RUNAWAYS, Labelled, Runaways, inject_into, rows_like

NEW_FAMILIES = ("scheduled4",)
FAMILIES = (*PACKAGE_FAMILIES, *NEW_FAMILIES)
DAYS = 21


def spec(family: str, seed: int) -> SampleSpec:
    """The shape of every family's activity (for ``scheduled4``: its people and steady agents)."""
    if family == "scheduled4":
        return SampleSpec(seed=seed, days=DAYS, workspaces=3, people_per_workspace=12,
                          steady_agents_per_workspace=1, batch_agents_per_workspace=0, family="scheduled")
    return SampleSpec(seed=seed, days=DAYS, workspaces=3, people_per_workspace=12,
                      steady_agents_per_workspace=2, batch_agents_per_workspace=1, family=family)


def scheduled4(seed: int, agents_per_workspace: int = 4, days: int = DAYS) -> pl.DataFrame:
    """The ``scheduled4`` family: the package's people (with jitter) and a steady agent per
    workspace, and ``agents_per_workspace`` agents that run at four fixed times a day."""
    base = generate_events(dataclasses.replace(spec("scheduled4", seed), days=days))
    rng = np.random.default_rng([seed, 4])
    t0 = int(spec("scheduled4", seed).start.timestamp() * 1_000_000)
    frames = [base]
    for ws in base["workspace_id"].unique().sort().to_list():
        template = base.filter(pl.col("workspace_id") == ws).head(1)
        for a in range(agents_per_workspace):
            # the first at 00:00, 06:00, 12:00, 18:00; the others shifted by 1-5 hours and 0-45 minutes
            shift = 0 if a == 0 else int(rng.integers(1, 6)) * HOUR_US + int(rng.choice([0, 15, 30, 45])) * MIN_US
            runs = t0 + shift + (np.arange(days * 4) * 6 * HOUR_US)
            runs = np.maximum(t0, runs + rng.normal(0, 5e6, size=len(runs)).astype(np.int64))
            sizes = rng.integers(38, 53, size=len(runs))
            lengths = np.repeat(rng.uniform(1.5 * MIN_US, 2.5 * MIN_US, size=len(runs)), sizes)
            times = np.repeat(runs, sizes) + (rng.uniform(0, 1, size=int(sizes.sum())) * lengths).astype(np.int64)
            [actor_id] = _uuids(rng, 1).to_list()
            frames.append(rows_like(template, np.sort(times), rng, actor_id=actor_id,
                                    actor_key=f"w{ws[:4]}-sched-agent-{a}",
                                    actor_type="agent" if a % 2 == 0 else "member"))
    return pl.concat(frames).sort("t_us", descending=True)


def generate(family: str, seed: int) -> pl.DataFrame:
    """One family's ordinary activity (nothing injected), newest first."""
    return scheduled4(seed) if family == "scheduled4" else generate_events(spec(family, seed))


def runaways(family: str) -> Runaways:
    """How the family's runaways are drawn."""
    return SCHEDULED_RUNAWAYS if family == "scheduled4" else Runaways()


def inject(family: str, seed: int, per_kind: int = 10) -> Labelled:
    """One family's activity with ``per_kind`` anomalies of each kind (see ``inject``)."""
    return inject_into(generate(family, seed), per_kind=per_kind, rng=np.random.default_rng(1001 * seed),
                       runaways=runaways(family))

