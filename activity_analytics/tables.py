"""Tables worth forwarding: each analysis' DataFrame as a presentation table.

Each function takes an analysis' DataFrame (and, where ids appear, the
``names`` a store knows, from :func:`names`) and returns a ``great_tables.GT``
that Jupyter and the report render as HTML: plain column names, thousands
separators, percentages, times to the minute in UTC, names instead of ids
(a short id where the store knows no name), no dtype row. Needs the
``notebooks`` extra (great_tables).
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from ._lazy import lazy_module, need
from ._query import sql
from ._sql.incidents import NOTICE_KINDS

if TYPE_CHECKING:
    import polars as pl
else:
    pl = lazy_module("polars")

_KINDS = {
    "rapid_succession": "rapid succession", "runaway_agent": "runaway agent", "new_actor": "new actor",
    "workspace_spike": "workspace spike", "off_hours": "off hours", "runaway_spend": "runaway spend",
}
_TYPES = {"user": "people", "agent": "agents", "unknown": "unknown"}
_MEASURES = {"Incidents": "Incidents (alarms)", "Notices": "First-seen notices"}


def _gt(frame: pl.DataFrame) -> Any:
    return need("great_tables", "notebooks", "the report's tables").GT(frame).opt_stylize(style=1, color="gray")


def names(db: str | os.PathLike[str]) -> dict[str, str]:
    """Ids the store can name: actor marks' notes, agents', workspaces' names,
    issues' identifiers (a sync or a database load keeps the last three; the
    log's issue.created events name their issues too: ``issue_names``)."""
    frame = sql(db, """
        SELECT actor_id AS id, note AS name FROM actor_marks WHERE note IS NOT NULL
        UNION ALL SELECT id, name FROM agents WHERE name IS NOT NULL
        UNION ALL SELECT id, name FROM workspaces WHERE name IS NOT NULL
        UNION ALL SELECT id, identifier FROM issue_names WHERE identifier IS NOT NULL""")
    return dict(frame.iter_rows())


def _labelled(column: str | pl.Expr, known: dict[str, str]) -> pl.Expr:
    """Ids as people read them: the name the store knows, else the first 8 characters."""
    col = pl.col(column) if isinstance(column, str) else column
    short = pl.when(col.str.len_chars() > 9).then(col.str.slice(0, 8) + "…").otherwise(col)
    return col.replace_strict(known, default=short, return_dtype=pl.String) if known else short


def label(value: str | None, known: dict[str, str], missing: str = "") -> str:
    """A name for an id: its name, else its first 8 characters.

    >>> label("3f1c0a1e-9d2b-4c55-8f00-aa12bb34cc56", {}), label("u1", {"u1": "Ann"}), label(None, {}, "-")
    ('3f1c0a1e…', 'Ann', '-')
    """
    if value is None:
        return missing
    return pl.select(_labelled(pl.lit(value), known)).item()


def _with_names(column: str | pl.Expr, known: dict[str, str]) -> pl.Expr:
    col = pl.col(column) if isinstance(column, str) else column
    return col.str.replace_many(list(known), list(known.values())) if known else col


def named(text: str, known: dict[str, str]) -> str:
    """``text`` (a burst's reason) with every id the store can name replaced by its name.

    >>> named("user u1: 20 events at an hour it never works", {"u1": "Ann"})
    'user Ann: 20 events at an hour it never works'
    """
    return pl.select(_with_names(pl.lit(text), known)).item()


def round_shares(shares: list[float]) -> list[int]:
    """Shares as whole percentages that add up to 100 (largest remainder).

    >>> round_shares([0.705, 0.2905, 0.0045])
    [71, 29, 0]
    """
    if not shares or sum(shares) <= 0:
        return [0] * len(shares)
    raw = [100 * s / sum(shares) for s in shares]
    out = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: 100 - sum(out)]:
        out[i] += 1
    return out


def _minute(column: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M")


def glance(frame: pl.DataFrame, period: str = "") -> Any:
    """:func:`activity_analytics.glance` as a small table: this period, the one
    before, and the change."""
    shown = frame.select(
        pl.col("measure").str.to_titlecase().replace(_MEASURES).alias("measure"),
        pl.col("current"), pl.col("previous"), pl.col("change"))
    table = (_gt(shown).cols_label(measure="", current="This period", previous="Period before",
                                   change="Change")
             .fmt_integer(columns=["current", "previous"])
             .fmt_percent(columns="change", decimals=0, force_sign=True)
             .sub_missing(columns=["previous", "change"], missing_text="–"))
    return table.tab_header(title="At a glance", subtitle=period) if period else table


def actions(frame: pl.DataFrame, limit: int = 15) -> Any:
    """:func:`activity_analytics.actions` (without buckets): the most frequent actions."""
    shown = frame.sort("events", descending=True).head(limit).select("action", "events", "share", "actors", "issues")
    table = (_gt(shown).cols_label(action="Action", events="Events", share="Share", actors="Actors",
                                   issues="Issues")
             .fmt_integer(columns=["events", "actors", "issues"]).fmt_percent(columns="share", decimals=1))
    if frame.height > limit:
        table = table.tab_source_note(f"{frame.height - limit} less frequent action(s) not shown.")
    return table


def actors(frame: pl.DataFrame) -> Any:
    """:func:`activity_analytics.actors` (without buckets): people vs agents."""
    shown = frame.select(pl.col("actor_type").replace_strict(_TYPES, default=pl.col("actor_type")).alias("side"),
                         "events", "share", "actors")
    return (_gt(shown).cols_label(side="", events="Events", share="Share", actors="Actors")
            .fmt_integer(columns=["events", "actors"]).fmt_percent(columns="share", decimals=1))


def top_actors(frame: pl.DataFrame, known: dict[str, str] | None = None) -> Any:
    """:func:`activity_analytics.top_actors`: the busiest people and agents, by name."""
    known = known or {}
    shown = frame.select(
        pl.col("actor_type").replace_strict(_TYPES, default=pl.col("actor_type")).alias("side"),
        "rank",
        pl.coalesce("name", _labelled("actor_id", known)).alias("who"),
        "events", "share", _minute("first_seen").alias("first_seen"), _minute("last_seen").alias("last_seen"))
    return (_gt(shown).cols_label(side="", rank="#", who="Actor", events="Events", share="Share of side",
                                  first_seen="First (UTC)", last_seen="Last (UTC)")
            .fmt_integer(columns=["events"]).fmt_percent(columns="share", decimals=1))


def issues(frame: pl.DataFrame) -> Any:
    """Issues with the most activity: ``issue``, ``title``, ``events``, ``actors``."""
    shown = frame.with_columns(pl.col("title").fill_null("–"))
    return (_gt(shown).cols_label(issue="Issue", title="Title", events="Events", actors="Actors")
            .fmt_integer(columns=["events", "actors"]))


def bursts(frame: pl.DataFrame, known: dict[str, str] | None = None, *, limit: int = 50,
           elsewhere: str = "activity-analytics bursts") -> Any:
    """:func:`activity_analytics.bursts`: every burst, most severe first, each with
    its full reason (ids in it replaced by names). Beyond ``limit``, a note
    says how many more there are and where to see them (``elsewhere``)."""
    known = known or {}
    ordered = frame.sort("score", descending=True)
    shown = ordered.head(limit).select(
        pl.col("kind").replace_strict(_KINDS, default=pl.col("kind")).alias("kind"),
        _labelled("actor_id", known).fill_null("whole workspace").alias("who"),
        _labelled("workspace_id", known).alias("workspace"),
        _minute("start").alias("start"), _minute("end").alias("end"),
        pl.col("events").cast(pl.Int64), "expected", "score",
        _with_names("reason", known))
    table = (_gt(shown).cols_label(kind="Kind", who="Who", workspace="Workspace", start="Start (UTC)",
                                   end="End (UTC)", events="Events", expected="Expected", score="Score",
                                   reason="Why")
             # expected below 1 keeps two decimals (a 0.05 floor is not "0.1"), as the reason prints it
             .fmt_integer(columns="events").fmt_number(columns="expected", decimals=2, drop_trailing_zeros=True)
             .fmt_number(columns="score", decimals=1))
    if frame.height > limit:
        table = table.tab_source_note(f"… and {frame.height - limit} more, less severe: see them all with "
                                      f"`{elsewhere}`.")
    return table


def _more(table: Any, frame: pl.DataFrame, shown: int, what: str, elsewhere: str) -> Any:
    if frame.height > shown:
        table = table.tab_source_note(f"… and {frame.height - shown} more {what}: see them all with "
                                      f"`{elsewhere}`.")
    return table


def incidents(frame: pl.DataFrame, known: dict[str, str] | None = None, *, limit: int = 50,
              elsewhere: str = "activity-analytics bursts --kind alarms") -> Any:
    """The alarms of :func:`activity_analytics.bursts` as incidents, most severe first:
    one row each, its members listed (who and what kind), its span (from its first
    episode's start to its last one's end), the events of the windows told, the
    highest score and the reason of its most severe alarm. First-seen notices
    (no incident) are left out: :func:`notices` lists them."""
    known = known or {}
    alarms = frame.filter(~pl.col("kind").is_in(NOTICE_KINDS)).with_columns(
        member=_labelled("actor_id", known).fill_null("whole workspace") + " ("
        + pl.col("kind").replace_strict(_KINDS, default=pl.col("kind")) + ")")
    rows = (alarms.sort("score", descending=True)
            .group_by("incident", maintain_order=True)
            .agg(pl.col("workspace_id").first(), pl.col("episode_start").min().alias("start"),
                 pl.col("episode_end").max().alias("end"),
                 pl.col("member").unique(maintain_order=True).str.join(", ").alias("members"),
                 pl.col("events").cast(pl.Int64).sum(), pl.col("score").max(), pl.col("reason").first()))
    shown = rows.head(limit).select(
        _minute("start").alias("start"), _minute("end").alias("end"),
        _labelled("workspace_id", known).fill_null("–").alias("workspace"), "members", "events", "score",
        _with_names("reason", known))
    table = (_gt(shown).cols_label(start="Start (UTC)", end="End (UTC)", workspace="Workspace",
                                   members="Who (kind)", events="Events", score="Score",
                                   reason="Why (its most severe alarm)")
             .fmt_integer(columns="events").fmt_number(columns="score", decimals=1))
    return _more(table, rows, limit, "incidents, less severe", elsewhere)


def notices(frame: pl.DataFrame, known: dict[str, str] | None = None, *, limit: int = 50,
            elsewhere: str = "activity-analytics bursts --kind notices") -> Any:
    """The first-seen notices of :func:`activity_analytics.bursts` (ids first seen a
    day or more after their workspace began: not alarms), first seen first."""
    known = known or {}
    rows = frame.filter(pl.col("kind").is_in(NOTICE_KINDS)).sort("start")
    shown = rows.head(limit).select(
        _labelled("actor_id", known).alias("who"), pl.col("actor_type").replace_strict(
            _TYPES, default=pl.col("actor_type")).alias("side"),
        _labelled("workspace_id", known).alias("workspace"), _minute("start").alias("start"),
        pl.col("events").cast(pl.Int64), _with_names("reason", known))
    table = (_gt(shown).cols_label(who="Who", side="", workspace="Workspace", start="Busiest first hour (UTC)",
                                   events="Events", reason="Notice")
             .fmt_integer(columns="events"))
    return _more(table, rows, limit, "notices", elsewhere)


def agents(frame: pl.DataFrame, known: dict[str, str] | None = None) -> Any:
    """:func:`activity_analytics.agents` (without buckets): cost and reliability per agent,
    most expensive first."""
    known = known or {}
    keys = [c for c in ("model", "tool") if c in frame.columns]
    shown = frame.sort("cost_usd", descending=True).select(
        # PraisonAI agents have names already; a mark's same_as id gets the store's name
        pl.col("agent").replace(known).alias("agent"), *keys, "runs", "failed_runs", "llm_calls",
        (pl.col("prompt_tokens") + pl.col("completion_tokens")).alias("tokens"), "cost_usd",
        "tool_calls", "tool_errors", "p50_ms", "p95_ms")
    labels = {"model": "Model", "tool": "Tool"}
    return (_gt(shown).cols_label(agent="Agent", **{k: labels[k] for k in keys}, runs="Runs",
                                  failed_runs="Failed", llm_calls="LLM calls", tokens="Tokens",
                                  cost_usd="Cost (USD)", tool_calls="Tool calls",
                                  tool_errors="Tool errors", p50_ms="Tool p50 (ms)",
                                  p95_ms="Tool p95 (ms)")
            .fmt_integer(columns=["runs", "failed_runs", "llm_calls", "tokens", "tool_calls",
                                  "tool_errors", "p50_ms", "p95_ms"])
            .fmt_currency(columns="cost_usd", currency="USD", decimals=4)
            .sub_missing(columns=["p50_ms", "p95_ms"], missing_text="–"))
