"""Report tables worth forwarding: names not ids, separators, percentages,
times to the minute, every burst with its whole reason."""

from __future__ import annotations

import re

import polars as pl
import pytest

import activity_analytics as aa


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    return aa.demo(tmp_path_factory.mktemp("tables") / "d.duckdb", progress=False).status.db


def text_of(table) -> str:
    return re.sub(r"<[^>]+>", " ", table.as_raw_html())


def test_tables_show_people_numbers_not_reprs(demo_store):
    known = aa.tables.names(demo_store)
    overview = aa.actions(demo_store)
    html = text_of(aa.tables.actions(overview))
    assert f"{int(overview['events'].max()):,}" in html  # thousands separators
    assert "%" in html and "shape:" not in html and "i64" not in html and "str" not in html.split()
    top = aa.top_actors(demo_store, n=3)
    html = text_of(aa.tables.top_actors(top, known))
    named = [n for n in top["name"].to_list() if n]
    assert named and all(n in html for n in named)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", html) and ":00.0" not in html  # to the minute


def test_the_bursts_table_lists_every_burst_most_severe_first_with_its_whole_reason(demo_store):
    known = aa.tables.names(demo_store)
    found = aa.bursts(demo_store, sensitivity=3)
    assert found.height > 3
    def named(reason: str) -> str:
        for key, name in known.items():
            reason = reason.replace(key, name)
        return reason.replace("'", "&#x27;")

    html = text_of(aa.tables.bursts(found, known, limit=found.height))
    assert all(named(r) in html for r in found["reason"])  # whole, never cut
    ordered = found.sort("score", descending=True)["reason"].to_list()
    first = text_of(aa.tables.bursts(found, known, limit=1, elsewhere="activity-analytics bursts --db x"))
    assert named(ordered[0]) in first and not any(named(r) in first for r in ordered[1:])
    assert f"and {found.height - 1} more" in first and "activity-analytics bursts --db x" in first


def test_glance_compares_with_the_period_before(demo_store):
    frame = aa.glance(demo_store, since="2026-11-16", until="2026-11-23")
    before = aa.glance(demo_store, since="2026-11-09", until="2026-11-16")
    assert frame["previous"].to_list() == before["current"].to_list()
    assert frame.filter(frame["measure"] == "events")["current"].item() == \
        aa.actions(demo_store, since="2026-11-16", until="2026-11-23")["events"].sum()
    assert aa.glance(demo_store)["previous"].null_count() == 5  # no start: no period before
    html = text_of(aa.tables.glance(frame, "week 47"))
    assert "At a glance" in html and "Period before" in html and re.search(r"[+−-]\d+%", html)
    assert "Incidents (alarms)" in html and "First-seen notices" in html


def test_incidents_list_their_members_and_notices_have_a_table_of_their_own(demo_store):
    """One row per incident, most severe first, its members as who (kind); notices apart.
    The demo's alarms are one to an incident: two alarms are made one here, as a
    merge train and the bot merging it would be."""
    known = aa.tables.names(demo_store)
    found = aa.bursts(demo_store)
    alarms = found.filter(found["kind"] != "new_actor")
    first, second = alarms.sort("score", descending=True).head(2)["incident"].to_list()
    joined = found.with_columns(incident=pl.when(pl.col("incident") == second).then(pl.lit(first))
                                .otherwise(pl.col("incident")))
    html = text_of(aa.tables.incidents(joined, known, limit=50))
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", html)) == 2 * (alarms.height - 1)
    assert "new actor" not in html and "whole workspace (workspace spike)" in html
    row = re.search(r"\(runaway spend\), [^(]+\([a-z ]+\)", html)
    assert row, html  # the two alarms in one row, the most severe first
    one = text_of(aa.tables.incidents(found, known, limit=1, elsewhere="activity-analytics bursts --kind alarms"))
    assert f"and {alarms.height - 1} more incidents" in one and "--kind alarms" in one
    notices = text_of(aa.tables.notices(found, known))
    assert notices.count("new user") == (found["kind"] == "new_actor").sum() > 0
    assert "runaway" not in notices and "spike" not in notices


def test_rounded_shares_add_up():
    assert sum(aa.tables.round_shares([0.705, 0.2905, 0.0045])) == 100


def test_the_agents_table_and_plot_show_cost_and_failures(demo_store):
    frame = aa.agents(demo_store)
    html = text_of(aa.tables.agents(frame))
    assert "research-agent" in html and "triage-agent" in html
    assert "$" in html and "Tool p95 (ms)" in html
    costliest = frame.sort("cost_usd", descending=True).row(0, named=True)
    assert html.index(costliest["agent"]) < html.index(frame.sort("cost_usd").row(0, named=True)["agent"])
    daily = aa.agents(demo_store, every="1d")
    ax = aa.plots.plot_agents(daily)
    bars = [p.get_height() for p in ax.patches]
    assert sum(bars) == pytest.approx(daily["cost_usd"].sum())
    (line,) = ax.figure.axes[1].get_lines()
    assert sum(line.get_ydata()) == daily["failed_runs"].sum() + daily["tool_errors"].sum() > 0
