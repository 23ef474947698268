"""Checks shared by the tests of both injectors (the sample's and the evaluation's)."""

from __future__ import annotations

import polars as pl


def spike_people(added: pl.DataFrame, truth: pl.DataFrame, spikes: int = 10) -> set[str]:
    """The actors of the injected events inside each injected workspace spike, asserting
    that there are ``spikes`` spikes of 8 people or more; returns all of them."""
    found = truth.filter(pl.col("kind") == "workspace_spike")
    assert found.height == spikes
    everyone: set[str] = set()
    for start, end in found.select("start", "end").rows():
        people = added.filter(pl.col("t_us").is_between(start, end, closed="left"))["actor_id"]
        assert people.n_unique() >= 8
        everyone |= set(people)
    return everyone
