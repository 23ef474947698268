"""The ``activity-analytics`` command line.

Every command is a thin wrapper over one public Python function (named in its
help); errors from the package become one line on stderr and an exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._cli_common import (
    _emit,
    _errors_to_exit,
    _printed,
    _say_sync,
    _source,
    bursts_options,
    by_workspace_option,
    db_option,
    engine_options,
    every_option,
    filter_options,
    format_option,
    lock_option,
)
from ._defaults import (DEFAULT_STORAGE_VERSION, DEMO_DB, MARK_TYPES, STORAGE_VERSIONS, SampleSpec,
                        opens_in)
from ._errors import InputError, MissingExtraError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="activity-analytics")
def cli() -> None:
    """Turn the PraisonAI Platform's activity log into answers.

    Activity is kept in one DuckDB file (--db, or $ACTIVITY_DB). Fill it with
    `ingest`, look at it with `status` and `sql`, and tell agents from people
    with `actors mark`. Start with `activity-analytics demo`.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--workspace", help="workspace_id for records without one (audit logs have none).")
@click.option("--strict", is_flag=True, help="Exit 1 when any record was rejected.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary (for cron).")
@lock_option
@_errors_to_exit
def ingest(paths, db, workspace, strict, quiet, lock_timeout):
    """Load activity files into the store (Python: activity_analytics.ingest).

    PATHS are JSON-lines or JSON-array exports of the API (optionally
    gzipped), PraisonAI audit.jsonl logs and replay traces (a folder such as
    ~/.praison/traces), the Platform's database (its SQLite file, or a
    postgresql://USER@HOST:PORT/DB URL; the password from $PGPASSWORD,
    ~/.pgpass or PGSERVICE, never in the URL; a second load reads only what
    is new), directories (walked recursively) or - for standard input. The
    format is detected from the content. Ingesting the same data again stores nothing
    new; bad records go to the `rejects` table with their file and line, and
    the rest still land. Prints what was stored, duplicated, in conflict and
    rejected; exits 0 unless --strict and something was rejected.
    """
    from .ingest import ingest as ingest_files
    result = ingest_files(
        list(paths), db, workspace=workspace, strict=strict,
        progress=False if quiet else None, lock_timeout=lock_timeout,
    )
    if not quiet:
        click.echo(result.summary())


@cli.command()
@click.option("--api", required=True, envvar="ACTIVITY_API_URL", show_envvar=True,
              help="Base URL of the Platform, e.g. https://platform.example.com")
@db_option
@click.option("--workspace", "workspaces", multiple=True, help="Only this workspace (repeatable).")
@click.option("--issue", "issues", multiple=True,
              help="Only this issue's feed (repeatable; needs one --workspace).")
@click.option("--full", is_flag=True, help="Re-walk everything and repair any gap.")
@click.option("--token-file", type=click.Path(dir_okay=False),
              help="File holding the API token (else $ACTIVITY_API_TOKEN).")
@click.option("--email", help="Log in with this email; the password comes from $ACTIVITY_API_PASSWORD.")
@click.option("--ca-bundle", type=click.Path(dir_okay=False), help="CA bundle for a private CA.")
@click.option("--concurrency", type=int, default=4, show_default=True,
              help="Requests at once: workspaces walked at once, and with fewer workspaces, "
                   "pages read ahead in each.")
@click.option("--read-ahead", type=click.IntRange(0, 8), default=None,
              help="Pages a backfill requests beyond the one it awaits (default: what "
                   "--concurrency leaves, at most 3; 0: one at a time).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@lock_option
@_errors_to_exit
def sync(api, db, workspaces, issues, full, token_file, email, ca_bundle, concurrency, read_ahead,
         timeout, quiet, as_json, lock_timeout):
    """Pull activity from the Platform's API (Python: activity_analytics.sync).

    Incremental: the first run pulls everything, later runs only what is new
    (usually one request per workspace); --full re-walks everything. The
    token comes from $ACTIVITY_API_TOKEN or --token-file, never from the
    command line. A workspace the account cannot read is reported and
    skipped, and the exit code is then 1.
    """
    from .ingest import ClientOptions, SyncOptions
    from .ingest import sync as run_sync

    options = SyncOptions(
        full=full, progress=False if (quiet or as_json) else None, read_ahead=read_ahead,
        client=ClientOptions(timeout=timeout, ca_bundle=ca_bundle, concurrency=concurrency),
    )
    result = run_sync(api, db, workspaces=list(workspaces) or None, issues=list(issues) or None,
                      token_file=token_file, email=email, options=options, lock_timeout=lock_timeout)
    sys.exit(_say_sync(result, as_json=as_json, quiet=quiet))


@cli.command()
@db_option
@click.option("--short", is_flag=True, help="Only the few summary lines.")
@click.option("--bursts", "with_bursts", is_flag=True,
              help="Also count incidents and first-seen notices (runs `bursts` on the whole store).")
@lock_option
@_errors_to_exit
def status(db, short, with_bursts, lock_timeout):
    """Show what the store holds (Python: activity_analytics.status).

    Events per source, workspace, action and actor type; the time span;
    rejects by reason; loads that were interrupted; the last sync; with
    --bursts, incidents (overlapping alarms count once) and first-seen notices.
    """
    from . import _status
    result = _status.status(_printed(db, "table"), bursts=with_bursts, lock_timeout=lock_timeout)
    click.echo(result.summary() if short else result.to_text(), nl=short)


@cli.command()
@click.argument("query", required=False)
@db_option
@format_option
@click.option("--max-rows", type=int, default=50, show_default=True, help="Rows shown as a table.")
@lock_option
@_errors_to_exit
def sql(query, db, fmt, max_rows, lock_timeout):
    """Run a read-only SQL QUERY against the store (Python: activity_analytics.sql).

    Tables: activity, rejects, actor_marks, loads, sync_state; the view `events` is
    activity with actor marks applied. Without QUERY: a SQL prompt, or statements from
    stdin ending in ';' (exit 2 if one fails), opening the store only while a statement
    runs, so a sync can write between them (Python: activity_analytics.sql_prompt).
    At the prompt, Ctrl-C cancels the running statement (or the one being typed) and
    the prompt goes on; Ctrl-D leaves. QUERY is one statement.
    Example: activity-analytics sql "SELECT action, count(*) FROM events GROUP BY 1"
    """
    from . import _query
    if query is None:
        failed = _query.sql_prompt(db, fmt=fmt, max_rows=max_rows, lock_timeout=lock_timeout)
        sys.exit(2 if failed and not sys.stdin.isatty() else 0)
    frame = _query.sql(_printed(db, fmt), query, lock_timeout=lock_timeout)
    click.echo(_query.render(frame, fmt, max_rows=max_rows), nl=False)


@cli.command()
@db_option
@filter_options
@every_option
@by_workspace_option
@engine_options
@format_option
@lock_option
@_errors_to_exit
def actions(db, since, until, workspace, action, actor_type, every, by_workspace, engine, lake,
            master, fmt, lock_timeout):
    """What happened, by action (Python: activity_analytics.actions).

    Counts per action, optionally per time bucket and workspace, with the
    share of the total and the distinct actors and issues involved. In SQL:
    SELECT * FROM aa_actions(every := '1 day'). With --engine spark --lake DIR
    it runs on Apache Spark over a lake written by `export`.
    """
    from . import analysis
    with _source(_printed(db, fmt), engine, lake, master) as source:
        _emit(analysis.actions(
            source, since=since, until=until, workspace=workspace, action=action,
            actor_type=actor_type, every=every, by_workspace=by_workspace, lock_timeout=lock_timeout,
        ), fmt)


@cli.command()
@db_option
@click.option("--by", type=click.Choice(["model", "tool"]), help="One row per agent and model, or tool.")
@every_option
@click.option("--agent", help="Only this agent.")
@click.option("--since", metavar="WHEN", help="Only calls at or after WHEN (as in `actions --since`).")
@click.option("--until", metavar="WHEN", help="Only calls before WHEN (same forms).")
@click.option("--workspace", help="Only this workspace id (as given to `ingest --workspace`).")
@format_option
@lock_option
@_errors_to_exit
def agents(db, by, every, agent, since, until, workspace, fmt, lock_timeout):
    """PraisonAI agents' cost and reliability (Python: activity_analytics.agents).

    One row per agent from its replay traces and audit log: runs, failed
    runs, LLM calls, tool calls and errors, prompt and completion tokens,
    cost in USD, and the median and 95th percentile of tool call durations.
    Ingest a traces folder (~/.praison/traces) and audit.jsonl first. In SQL:
    SELECT * FROM aa_agents(per := 'model', every := '1 day').
    """
    from . import analysis
    _emit(analysis.agents(db, by=by, every=every, agent=agent, since=since, until=until,
                          workspace=workspace, lock_timeout=lock_timeout), fmt)


@cli.group(invoke_without_command=True)
@db_option
@filter_options
@every_option
@by_workspace_option
@click.option("--by-action", is_flag=True, help="One group per action.")
@click.option("--top", type=int, default=0, help="Instead: the N busiest actors on each side.")
@engine_options
@format_option
@lock_option
@click.pass_context
@_errors_to_exit
def actors(ctx, db, since, until, workspace, action, actor_type, every, by_workspace, by_action,
           top, engine, lake, master, fmt, lock_timeout):
    """People vs agents (Python: activity_analytics.actors); mark, unmark and list actors.

    Without a subcommand: events and distinct actors of each actor type
    (user, agent, unknown; actor marks applied), with shares; --top N lists
    the busiest actors of each type instead (activity_analytics.top_actors).
    In SQL: aa_actors(...) and aa_top_actors(n := 10). With --engine spark
    --lake DIR it runs on Apache Spark over a lake written by `export`.
    """
    from . import analysis
    if ctx.invoked_subcommand is not None:
        return
    filters = dict(since=since, until=until, workspace=workspace, action=action,
                   actor_type=actor_type, lock_timeout=lock_timeout)
    if top:
        if engine != "duckdb":
            raise InputError("--top runs on the DuckDB store only")
        _emit(analysis.top_actors(_printed(db, fmt), n=top, **filters), fmt)
        return
    with _source(_printed(db, fmt), engine, lake, master) as source:
        _emit(analysis.actors(source, every=every, by_workspace=by_workspace, by_action=by_action,
                              **filters), fmt)


@cli.command()
@db_option
@filter_options
@bursts_options
@engine_options
@format_option
@lock_option
@_errors_to_exit
def bursts(db, since, until, workspace, action, actor_type, sensitivity, kind, only_new, exit_code, keep,
           engine, lake, master, fmt, lock_timeout):
    """Anomalous bursts of activity (Python: activity_analytics.bursts).

    One row per flagged stretch: rapid succession, runaway agents,
    workspace-wide spikes and off-hours activity, each judged against the
    actor's own time-of-day baseline, and first-seen notices (new_actor: not
    alarms; --kind alarms leaves them out). Alarms of a workspace that overlap
    in time are one incident (incident, members); stderr counts them under a table.
    In SQL: aa_bursts(kinds := 'alarms'). With --engine spark --lake DIR it
    runs on Apache Spark over a lake written by `export`.

    For cron: `--since 1d --new --exit-code --format json` prints, as a JSON
    array, only the bursts no earlier such run reported, and exits 1 when
    there are any. With --keep, verdicts are kept in the store as judged: each run
    (a notebook's, SQL's) then costs the new days.
    """
    args = dict(sensitivity=sensitivity, since=since, until=until, workspace=workspace,
                action=action, actor_type=actor_type, kind=kind, keep=keep, lock_timeout=lock_timeout)
    if only_new:
        if engine != "duckdb":
            raise InputError("--new keeps what it reported in the store: use it without --engine spark")
        from ._alerts import new_bursts

        frame = new_bursts(db, **args)
    else:
        from . import analysis

        with _source(db, engine, lake, master) as source:
            frame = analysis.bursts(source, **args)
    _emit(frame, fmt, counted=True)
    if exit_code and frame.height:
        sys.exit(1)


@cli.command()
@db_option
@click.option("--lake", required=True,
              help="The lake: a folder (created when missing), or a URI such as s3://bucket/lake.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("--quiet", is_flag=True, help="No progress bar (for cron).")
@lock_option
@_errors_to_exit
def export(db, lake, as_json, quiet, lock_timeout):
    """Write the store as a Hive-partitioned Parquet lake (Python: activity_analytics.export).

    Partitioned by workspace and day (activity/workspace=ID/day=YYYY-MM-DD/),
    incremental (a second export writes only what is new), each file moved
    into its partition atomically. DuckDB, Polars, Spark and Trino read it
    without this package; `actions`, `actors` and `bursts` run on it with
    --engine spark --lake DIR.
    """
    from . import _lake
    result = _lake.export(db, lake, progress=False if quiet else None, lock_timeout=lock_timeout)
    click.echo(result.to_json() if as_json else result.summary())


@cli.command()
@db_option
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write (the executed .ipynb goes beside it).")
@click.option("--since", metavar="WHEN",
              help="Report on events at or after WHEN: 2026-11-20, 2026-11-20T08:30 (UTC unless "
                   "it has an offset) or 7d / 36h before now.")
@click.option("--until", metavar="WHEN", help="... and before WHEN (same forms).")
@click.option("--workspace", help="Only this workspace id.")
@click.option("--notebook", type=click.Path(dir_okay=False, path_type=Path),
              help="Another report notebook (default: notebooks/activity_report.ipynb).")
@click.option("--with-code", is_flag=True, help="Show the notebook's code in the HTML.")
@click.option("--timeout", type=float, default=600, show_default=True, help="Seconds per cell.")
@_errors_to_exit
def report(db, out, since, until, workspace, notebook, with_code, timeout):
    """Write the HTML report for cron (Python: activity_analytics.report).

    Executes the report notebook headless with these parameters and writes a
    self-contained HTML file (images inline, code hidden unless --with-code,
    nothing fetched from the network) and the executed .ipynb beside it, both
    atomically. Exits 5 and names the failing cell when one fails.
    """
    from ._report import report as run_report

    path = run_report(db, out, since=since, until=until, workspace=workspace, notebook=notebook,
                      with_code=with_code, timeout=timeout)
    click.echo(str(path))


@cli.command()
@click.argument("issue")
@db_option
@format_option
@lock_option
@_errors_to_exit
def timeline(issue, db, fmt, lock_timeout):
    """Every event of one ISSUE, oldest first (Python: activity_analytics.timeline).

    Who did what, with the fields each update changed. In SQL:
    SELECT * FROM aa_timeline('ISSUE-ID').
    """
    from . import analysis
    frame = analysis.timeline(db, issue, lock_timeout=lock_timeout)
    if fmt == "table":
        frame = frame.drop("details")
    _emit(frame, fmt)


@actors.command("mark")
@click.argument("actor_ids", nargs=-1)
@db_option
@click.option("--as", "actor_type", type=click.Choice(MARK_TYPES), default="agent",
              show_default=True, help="What these actors are.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV with columns actor_id, actor_type and optional note.")
@click.option("--note", help="A note kept with the marks (e.g. the agent's name).")
@click.option("--same-as", metavar="ACTOR_ID",
              help="These ids are this actor (e.g. a PraisonAI agent name and its Platform id).")
@lock_option
@_errors_to_exit
def actors_mark(actor_ids, db, actor_type, csv_path, note, same_as, lock_timeout):
    """Mark ACTOR_IDS as agents or people (Python: activity_analytics.mark_actors).

    The Platform records agents that log in through the API as `member`;
    a mark overrides the recorded type in the `events` view and in every
    analysis.
    """
    from . import _actors
    count = _actors.mark_actors(db, actor_ids, actor_type, csv_path=csv_path, note=note,
                                same_as=same_as, lock_timeout=lock_timeout)
    click.echo(f"marked {count} actor(s)")


@actors.command("unmark")
@click.argument("actor_ids", nargs=-1, required=True)
@db_option
@lock_option
@_errors_to_exit
def actors_unmark(actor_ids, db, lock_timeout):
    """Remove the marks of ACTOR_IDS (Python: activity_analytics.unmark_actors)."""
    from . import _actors
    count = _actors.unmark_actors(db, actor_ids, lock_timeout=lock_timeout)
    click.echo(f"removed {count} mark(s)")


@actors.command("list")
@db_option
@format_option
@lock_option
@_errors_to_exit
def actors_list(db, fmt, lock_timeout):
    """List actors with counts, recorded types and marks (Python: activity_analytics.list_actors)."""
    from . import _actors, _query
    frame = _actors.list_actors(db, lock_timeout=lock_timeout)
    click.echo(_query.render(frame, fmt), nl=False)


@cli.command()
@click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), default=DEMO_DB,
    show_default=True, help="Store to create or update.",
)
@click.option(
    "--sample", type=click.Path(file_okay=False, path_type=Path),
    help="Folder of sample activity (default: the sample the package ships).",
)
@_errors_to_exit
def demo(db, sample):
    """Run the main job on the bundled sample (Python: activity_analytics.demo).

    Ingests the sample the package ships, marks its agent accounts, prints a
    summary of the store, writes the HTML report beside the store and prints
    its path (the report needs the notebooks extra; without it, a note says so).
    """
    from . import _demo
    from ._lazy import need

    try:
        need("nbclient", "notebooks", "the HTML report")
        with_report = True
    except MissingExtraError as exc:
        with_report = False
        click.echo(f"note: no report: {exc}", err=True)
    result = _demo.demo(db, sample=sample, with_report=with_report)
    click.echo(result.ingest.summary())
    click.echo()
    click.echo(result.status.summary())
    if result.report is not None:
        click.echo(f"\nreport: {result.report}")


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path), default="data/sample")
@click.option("--seed", type=int, default=SampleSpec.seed, show_default=True)
@click.option("--days", type=int, default=SampleSpec.days, show_default=True)
@click.option("--workspaces", type=int, default=SampleSpec.workspaces, show_default=True)
@click.option(
    "--scale", type=float, default=SampleSpec.scale, show_default=True,
    help="Multiplies every actor's rate (10 gives about 10x the events).",
)
@click.option("--anomalies", type=click.IntRange(0, 50), default=2, show_default=True,
              help="Anomalies injected of each kind bursts looks for (0: none).")
@_errors_to_exit
def sample(out_dir, seed, days, workspaces, scale, anomalies):
    """Generate realistic sample activity into OUT_DIR (Python: activity_analytics.generate_sample).

    Deterministic for a seed. Writes activity.jsonl.gz, platform.db,
    api-page.json, audit.jsonl and traces/ (PraisonAI agent runs), and beside the folder OUT_DIR-actors.csv
    (the agent accounts) and OUT_DIR-anomalies.csv (what was injected).
    """
    from ._bundled import generate_sample

    spec = SampleSpec(seed=seed, days=days, workspaces=workspaces, scale=scale)
    for path in generate_sample(out_dir, spec=spec, anomalies=anomalies):
        click.echo(str(path))


@cli.command()
@db_option
@lock_option
@click.option("--storage-version", type=click.Choice(STORAGE_VERSIONS), default=None,
              help=f"Keep the file in this DuckDB storage version: the oldest DuckDB that opens it "
                   f"[default: $ACTIVITY_STORAGE_VERSION, else {DEFAULT_STORAGE_VERSION}].")
@_errors_to_exit
def migrate(db, lock_timeout, storage_version):
    """Create the store, or upgrade an older one (Python: activity_analytics.migrate).

    Also converts a file in another storage version than --storage-version (v1.4.0:
    DuckDB 1.4 LTS, 1.5 and 2.x open it) by a checked copy swapped in atomically.
    """
    from . import _store
    version = _store.migrate(db, lock_timeout=lock_timeout, storage_version=storage_version)
    storage = _store.storage_setting(storage_version)  # what migrate leaves the file in
    click.echo(f"{db}: schema version {version}, storage {storage} ({opens_in(storage)})")


def main(args: list[str] | None = None) -> None:
    """Entry point of the console script (``args``: instead of ``sys.argv``)."""
    from ._terms import set_process_caller

    set_process_caller("cli")  # every thread of this process speaks in flags
    cli(args, prog_name="activity-analytics")
