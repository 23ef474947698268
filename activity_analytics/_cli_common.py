"""Options and helpers shared by the commands of ``cli``."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ._defaults import DEFAULT_LOCK_TIMEOUT, FORMATS
from ._errors import ActivityAnalyticsError, InputError, RejectedRecordsError
from ._sql.incidents import KIND_CHOICES
from ._sql.schema import ACTOR_TYPES
from ._terms import calling_from

db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default="activity.duckdb",
    envvar="ACTIVITY_DB",
    show_default=True,
    show_envvar=True,
    help="The DuckDB store.",
)
lock_option = click.option(
    "--lock-timeout",
    type=float,
    default=DEFAULT_LOCK_TIMEOUT,
    show_default=True,
    help="Seconds to wait while another process holds the store.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The filters every analysis takes."""
    options = [
        click.option("--since", metavar="WHEN",
                     help="Only events at or after WHEN: 2026-11-20 (UTC midnight), 2026-11-20T08:30 "
                          "(UTC unless it has Z or an offset), or 7d / 36h / 90m / 2w before now."),
        click.option("--until", metavar="WHEN", help="Only events before WHEN (same forms as --since)."),
        click.option("--workspace", help="Only this workspace id."),
        click.option("--action", help="Only this action (e.g. issue.updated)."),
        click.option(
            "--actor-type", type=click.Choice(ACTOR_TYPES),
            help="Only people (user), agents or unknown actors (after actor marks).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


every_option = click.option(
    "--every", help="Bucket width for a time series: 15m, 1h, 1d, 1w (default: no buckets)."
)
by_workspace_option = click.option("--by-workspace", is_flag=True, help="One group per workspace.")


def bursts_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What only ``bursts`` takes: its knob, the kind filter and the alerting flags."""
    options = [
        click.option("--sensitivity", type=float, default=1.0, show_default=True,
                     help="The one knob: 2 flags more, 0.5 flags less."),
        click.option("--kind", type=click.Choice(KIND_CHOICES),
                     help="Only alarms, only first-seen notices (new ids, not alarms), or one kind."),
        click.option("--new", "only_new", is_flag=True,
                     help="Only bursts not reported by an earlier --new run with the same filters on "
                          "this store; they count as reported from now on (activity_analytics.new_bursts)."),
        click.option("--exit-code", is_flag=True,
                     help="Exit 1 when any burst is printed and 0 when none is (as git diff --exit-code)."),
        click.option("--keep", is_flag=True,
                     help="First judge what is new since the last --keep and keep the verdicts in the "
                          "store (for cron): every later run, SQL's too, judges only the days after them."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def engine_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Where an analysis runs: the DuckDB store (default), or Spark over a Parquet lake."""
    options = [
        click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
                     show_default=True, help="spark: run on Apache Spark over --lake (see `export`)."),
        click.option("--lake", help="With --engine spark: the lake folder (any path Spark reads)."),
        click.option("--master", default="local[*]", show_default=True,
                     help="With --engine spark: the Spark master URL."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@contextlib.contextmanager
def _source(db: Path, engine: str, lake: str | None, master: str):
    """The store, or a SparkLake stopped afterwards."""
    if engine == "duckdb":
        yield db
        return
    if not lake:
        raise InputError("--engine spark needs --lake DIR (write one with `activity-analytics export`)")
    from .analysis import SparkLake

    with SparkLake(lake, master=master) as spark_lake:
        yield spark_lake


def _printed(db: Path, fmt: str) -> Any:
    """The store of a command that prints its result: for a table, as
    ``_table.ForPrinting``, whose results print without loading Polars."""
    from ._table import ForPrinting

    return ForPrinting(db) if fmt == "table" else db


def _emit(frame, fmt: str, *, counted: bool = False) -> None:
    """Print ``frame`` in ``fmt``; under a table, on stderr, why it is empty and
    (``counted``: a ``bursts`` result) its incidents and first-seen notices."""
    from ._jupyter import take_notes
    from ._query import render

    click.echo(render(frame, fmt), nl=False)
    for note in take_notes():  # why a table is empty; not in CSV or JSON, which programs read
        if fmt == "table":
            click.echo(f"note: {note}", err=True)
    if counted and fmt == "table" and frame.height:
        from .analysis._incidents import summary

        click.echo(summary(frame), err=True)


#: what DuckDB raises (a RuntimeError) when Ctrl-C stops a query it is running
DUCKDB_INTERRUPTED = "Query interrupted"


def _errors_to_exit(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with calling_from("cli"):  # messages name flags, not Python arguments
                return func(*args, **kwargs)
        except RejectedRecordsError as exc:
            if exc.result is not None:
                click.echo(exc.result.summary())
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except ActivityAnalyticsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (KeyboardInterrupt, RuntimeError) as exc:
            # DuckDB turns Ctrl-C during a query into RuntimeError('Query interrupted')
            if isinstance(exc, RuntimeError) and str(exc) != DUCKDB_INTERRUPTED:
                raise
            click.echo(
                "interrupted: batches already committed are kept; run the same command "
                "again to complete",
                err=True,
            )
            sys.exit(130)

    return wrapper


def _say_sync(result, *, as_json: bool, quiet: bool) -> int:
    """A sync's outcome: the summary (or JSON) on stdout; on stderr, even for
    cron (``--quiet``), what it could not be sure of and each feed's error.
    Returns the exit code."""
    if as_json:
        click.echo(result.to_json())
    elif not quiet:
        click.echo(result.summary())
    for scope in result.scopes:
        for warning in scope.warnings:
            click.echo(f"warning: {result.label(scope)}: {warning}", err=True)
        if scope.error:
            click.echo(f"error: {result.label(scope)}: {scope.error}", err=True)
    return 0 if result.ok else 1
