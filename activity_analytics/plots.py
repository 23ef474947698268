"""Plots of the analyses. Each takes an analysis DataFrame and ``ax=None``,
draws on the axes (a new figure when none is given) and returns them; none
saves or shows.

Colours are the Okabe-Ito palette, safe for colour-blind readers: people are
always blue, agents always orange, unknown actors grey.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_module

if TYPE_CHECKING:
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import polars as pl
else:
    mdates = lazy_module("matplotlib.dates")
    plt = lazy_module("matplotlib.pyplot")
    pl = lazy_module("polars")

from ._sql.incidents import NOTICE_KINDS

ACTOR_COLOURS = {"user": "#0072B2", "agent": "#E69F00", "unknown": "#999999"}
ACTOR_LABELS = {"user": "people", "agent": "agents", "unknown": "unknown"}
_NEUTRAL = "#56B4E9"
_BURST = "#D55E00"


def _axes(ax, size=(9, 3.6)):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _dates(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _naive_utc(series: pl.Series) -> list:
    return series.dt.replace_time_zone(None).to_list() if series.dtype.time_zone else series.to_list()


def plot_volume(actions: pl.DataFrame, ax=None):
    """Events per time bucket, from ``actions(db, every=...)``.

    >>> import polars as pl, datetime as dt
    >>> df = pl.DataFrame({"bucket": [dt.datetime(2026, 11, d) for d in (1, 2)], "action": ["a", "a"],
    ...                    "events": [3, 5]})
    >>> plot_volume(df).get_title()
    'Activity over time'
    """
    ax = _axes(ax)
    per = actions.group_by("bucket").agg(pl.col("events").sum()).sort("bucket")
    ax.bar(_naive_utc(per["bucket"]), per["events"].to_list(), width=_width(per["bucket"]),
           color=_NEUTRAL, align="edge")
    ax.set_title("Activity over time")
    ax.set_ylabel("events per bucket")
    ax.set_xlabel("time (UTC)")
    _dates(ax)
    return ax


def _width(buckets: pl.Series) -> float:
    if buckets.len() < 2:
        return 0.8
    step = (buckets.sort().diff().drop_nulls().min()).total_seconds() / 86400
    return step * 0.9


def plot_actions(actions: pl.DataFrame, ax=None, top: int = 8):
    """The most frequent actions, from ``actions(db)`` (no buckets)."""
    ax = _axes(ax, (7, 0.5 + 0.45 * min(top, actions.height)))
    per = actions.group_by("action").agg(pl.col("events").sum()).sort("events").tail(top)
    ax.barh(per["action"].to_list(), per["events"].to_list(), color=_NEUTRAL)
    ax.set_title("Events by action")
    ax.set_xlabel("events")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def plot_actors(actors: pl.DataFrame, ax=None):
    """People vs agents over time (stacked), from ``actors(db, every=...)``."""
    ax = _axes(ax)
    wide = actors.pivot(on="actor_type", index="bucket", values="events").sort("bucket").fill_null(0)
    when = _naive_utc(wide["bucket"])
    bottom = [0] * wide.height
    width = _width(wide["bucket"])
    for kind in ("user", "agent", "unknown"):
        if kind in wide.columns:
            values = wide[kind].to_list()
            ax.bar(when, values, width=width, bottom=bottom, align="edge",
                   color=ACTOR_COLOURS[kind], label=ACTOR_LABELS[kind])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("People vs agents")
    ax.set_ylabel("events per bucket")
    ax.set_xlabel("time (UTC)")
    ax.legend(frameon=False, loc="upper left")
    _dates(ax)
    return ax


def plot_top_actors(top: pl.DataFrame, ax=None):
    """The busiest actors, coloured by side, from ``top_actors(db)``."""
    ax = _axes(ax, (7, 0.5 + 0.35 * max(top.height, 1)))
    rows = top.sort("events")
    labels = [name or (actor[:12] + "…" if len(actor) > 13 else actor)
              for name, actor in zip(rows["name"].to_list(), rows["actor_id"].to_list(), strict=True)]
    ax.barh(labels, rows["events"].to_list(),
            color=[ACTOR_COLOURS.get(k, "#999999") for k in rows["actor_type"].to_list()])
    ax.set_title("Busiest actors (blue: people, orange: agents)")
    ax.set_xlabel("events")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def plot_bursts(actions: pl.DataFrame, bursts: pl.DataFrame, ax=None):
    """Activity over time with each incident's alarms shaded, from ``actions(every=...)``
    and ``bursts``; first-seen notices are not alarms and are not shaded."""
    ax = _axes(ax)
    per = actions.group_by("bucket").agg(pl.col("events").sum()).sort("bucket")
    ax.plot(_naive_utc(per["bucket"]), per["events"].to_list(), color=_NEUTRAL, lw=1.2)
    alarms = bursts.filter(~pl.col("kind").is_in(NOTICE_KINDS)) if bursts.height else bursts
    for start, end in zip(_naive_utc(alarms["start"]) if alarms.height else [],
                          _naive_utc(alarms["end"]) if alarms.height else [], strict=True):
        ax.axvspan(start, end, color=_BURST, alpha=0.35, lw=0)
    incidents = alarms["incident"].n_unique() if alarms.height and "incident" in alarms.columns else alarms.height
    ax.set_title(f"Activity with {incidents} incident(s) shaded")
    ax.set_ylabel("events per bucket")
    ax.set_xlabel("time (UTC)")
    _dates(ax)
    return ax


def plot_agents(agents: pl.DataFrame, ax=None):
    """Agents' LLM cost per bucket (bars) and their failures (line, right axis),
    from ``agents(db, every=...)``.

    >>> import polars as pl, datetime as dt
    >>> df = pl.DataFrame({"bucket": [dt.datetime(2026, 11, d) for d in (1, 2)], "agent": ["a", "a"],
    ...                    "cost_usd": [0.5, 2.0], "failed_runs": [0, 1], "tool_errors": [1, 3]})
    >>> plot_agents(df).get_title()
    'Agents: cost and failures'
    """
    ax = _axes(ax)
    per = (agents.group_by("bucket")
           .agg(pl.col("cost_usd").sum(), (pl.col("failed_runs") + pl.col("tool_errors")).sum().alias("failures"))
           .sort("bucket"))
    when = _naive_utc(per["bucket"])
    ax.bar(when, per["cost_usd"].to_list(), width=_width(per["bucket"]), align="edge",
           color=ACTOR_COLOURS["agent"], label="LLM cost (USD)")
    ax.set_ylabel("USD per bucket")
    ax.set_xlabel("time (UTC)")
    ax.set_title("Agents: cost and failures")
    right = ax.twinx()
    right.plot(when, per["failures"].to_list(), color=_BURST, lw=1.4, marker="o", ms=3,
               label="failed runs + tool errors")
    right.set_ylabel("failures per bucket")
    right.set_ylim(bottom=0)
    right.spines["top"].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], frameon=False, loc="upper left")
    _dates(ax)
    return ax
