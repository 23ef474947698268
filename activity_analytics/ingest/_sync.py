"""Sync from the Platform's API: the orchestration of walks, writer and dimension tables.

One HTTP client (``_api``) and one DuckDB writer (``_writer``) serve every
feed; each feed (a workspace's activity, or an issue's) is walked by its own
task (``_walk`` holds the rules of a walk down a newest-first feed), at most
``concurrency`` at once, while that workspace's members, agents and issues
are fetched beside it. Each page and its feed's progress commit in one
transaction, so an interrupted sync resumes where it stopped.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from .._display import Shown
from .._errors import ApiError, AuthError, InputError, StoreLockedError
from .._lazy import lazy_module
from .._progress import progress_bar
from .._store import DEFAULT_LOCK_TIMEOUT
from .._terms import option
from .._sql.loads import SNAPSHOT_MARK
from .._time import parse_ts
from . import _spool
from ._api import PAGE_LIMIT, ClientOptions, Credentials, PlatformClient
from . import _core
from ._types import Feed
from ._writer import Writer

if TYPE_CHECKING:
    import asyncio
else:
    asyncio = lazy_module("asyncio")


@dataclass
class SyncOptions:
    """How a sync runs. ``client`` holds the HTTP settings (timeouts, retries, TLS)."""

    full: bool = False
    page_size: int = PAGE_LIMIT
    progress: bool | None = None
    client: ClientOptions = field(default_factory=ClientOptions)
    #: pages a backfill requests beyond the one it awaits (the server scans to
    #: each offset, so a large backfill goes faster with a few at once); None:
    #: the requests ``client.concurrency`` allows beyond one per feed, at most 3
    read_ahead: int | None = None

    def pages_ahead(self, feeds: int) -> int:
        if self.read_ahead is not None:
            return self.read_ahead
        return max(0, min(3, self.client.concurrency // max(feeds, 1) - 1))


@dataclass
class ScopeResult:
    """What the sync did for one workspace or issue feed."""

    scope: str
    workspace_id: str
    issue_id: str | None = None
    new_rows: int = 0
    duplicates: int = 0
    rejected: int = 0
    pages: int = 0
    requests: int = 0  # activity pages and, for a workspace, its members, agents and issues
    retries: int = 0
    error: str | None = None
    #: what the sync could not be sure of (rows of a long tie it could not read whole)
    warnings: list[str] = field(default_factory=list)
    #: the workspace's name, as the Platform lists it (None: not listed, or no name)
    workspace_name: str | None = None


@dataclass(repr=False)
class SyncResult(Shown):
    """The outcome of :func:`sync`: one :class:`ScopeResult` per feed."""

    api_url: str
    db: str
    scopes: list[ScopeResult] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    dimension_errors: list[str] = field(default_factory=list)
    #: rows earlier syncs had kept in the spool, stored first by this one
    from_spool: int = 0

    @property
    def ok(self) -> bool:
        return not any(s.error for s in self.scopes) and not self.dimension_errors

    def label(self, s: ScopeResult) -> str:
        """A feed as its progress bar names it: its workspace's name, with the id
        when another feed's workspace has the same name (by its id without one)."""
        if s.workspace_name is None:
            where = f"workspace {s.workspace_id}"
        elif any(o.workspace_name == s.workspace_name and o.workspace_id != s.workspace_id
                 for o in self.scopes):
            where = f"{s.workspace_name} ({s.workspace_id})"
        else:
            where = s.workspace_name
        return f"{where} / issue {s.issue_id}" if s.issue_id else where

    def summary(self) -> str:
        lines = []
        for s in self.scopes:
            state = f"error: {s.error}" if s.error else (
                f"{s.new_rows} new, {s.duplicates} duplicates, {s.rejected} rejected, {s.pages} pages, "
                f"{s.retries} retries")
            lines.append(f"{self.label(s)}: {state}")
            lines.extend(f"{self.label(s)}: warning: {w}" for w in s.warnings)
        lines.extend(f"dimensions: {e}" for e in self.dimension_errors)
        if self.from_spool:
            lines.append(f"spool: {self.from_spool} rows an earlier sync had kept were stored first")
        total = sum(s.new_rows for s in self.scopes)
        lines.append(f"total: {total} new rows from {len(self.scopes)} feed(s), "
                     f"{self.requests} requests, {self.retries} retries -> {self.db}")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def _snapshot_state(con, workspace_id: str, issue_id: str | None) -> dict:
    """A first sync's starting state when the Platform's database was ingested.

    Each complete load of it covers the whole ``activity_logs`` table, so
    everything of this feed up to its newest row there is stored: the walk
    can stop at that row, like an incremental one. (Other files may be
    partial, so they never set a mark; ``--full`` ignores this.)
    """
    at_mark = con.execute(SNAPSHOT_MARK, {"ws": workspace_id, "issue": issue_id}).fetchall()
    if not at_mark:
        return {}
    return {"high_water": at_mark[0][1].isoformat(), "mark_ids": sorted(i for i, _ in at_mark),
            "seeded_from": "platform database file"}



async def _walk(client: PlatformClient, writer: Writer, path: str, scope: str,
                result: ScopeResult, options: SyncOptions, bar, read_ahead: int = 0) -> None:
    """Walk one feed from the top, storing pages as they come; see :class:`FeedWalk`."""
    from ._walk import FeedWalk, decode_feed  # (msgspec: loaded for a sync only)

    state = await writer.read(_core.read_state, writer.api_url, scope)
    if not state and not options.full:  # a first sync: after a snapshot, only what is newer
        state = await writer.read(_snapshot_state, result.workspace_id, result.issue_id)
    high_water = None if options.full else parse_ts(state.get("high_water"))
    walk = FeedWalk(
        limit=options.page_size, high_water=high_water,
        previous=None if options.full or high_water is not None else state.get("walk"),
        stored_at_mark=frozenset(state.get("mark_ids", [])) if high_water else frozenset(),
        read_ahead=read_ahead,
    )
    source = f"{client.api}{path}"
    feed = Feed(scope, source, result.workspace_id, str(uuid.uuid4()),  # its row comes with its first batch
                fresh=high_water is None or "mark_ids" in state)
    pending: list[asyncio.Future] = []
    async with contextlib.aclosing(client.pages(path, walk, decode_feed)) as pages:  # ends reads ahead
        async for page in pages:
            result.pages += 1
            first_loc = walk.offset
            rows = walk.take(page)
            new_state = {**state, "walk": walk.progress(len(page))}
            pending.append(await writer.submit(feed, page, first_loc, rows, new_state))
            bar.update(len(rows))
            bar.set_postfix(pages=result.pages, refresh=False)
    result.warnings.extend(walk.warnings)
    final = {k: v for k, v in state.items() if k != "walk"}
    final.update(walk.mark_state({} if options.full else state))
    final["last_sync"] = dt.datetime.now(dt.UTC).isoformat()
    pending.append(await writer.submit(feed, None, 0, [], final, final=True))  # after its pages
    for counts in await asyncio.gather(*pending):
        result.new_rows += counts.stored
        result.duplicates += counts.duplicates
        result.rejected += counts.rejected + counts.conflicts


async def _list_all(client: PlatformClient, path: str) -> list:
    rows: list = []
    async for page in client.pages(path):
        rows.extend(page)
    return rows


async def _dimensions(client: PlatformClient, writer: Writer, ws: str) -> str | None:
    """Refresh one workspace's members, agents and issues; the error, if any."""
    try:
        members = await client.get_json(f"/workspaces/{ws}/members")
        await writer.call(_core.refresh_dimension, "members", ws,
                          [(ws, m.get("user_id"), m.get("role")) for m in members])
        agents = await _list_all(client, f"/workspaces/{ws}/agents/")
        await writer.call(_core.refresh_dimension, "agents", ws,
                          [(ws, a.get("id"), a.get("name"), a.get("owner_id")) for a in agents])
        issues = await _list_all(client, f"/workspaces/{ws}/issues/")
        await writer.call(_core.refresh_dimension, "issues", ws,
                          [(ws, i.get("id"), i.get("identifier"), i.get("title"), i.get("status"),
                            i.get("priority")) for i in issues])
    except ApiError as exc:
        return str(exc)
    except StoreLockedError:
        pass  # the store stayed locked: names are fetched again by the next sync
    return None


async def _sync(api: str, db: str, workspaces: list[str] | None, issues: list[str] | None,
                credentials: Credentials, options: SyncOptions, lock_timeout: float) -> SyncResult:
    result = SyncResult(api.rstrip("/"), db)
    async with PlatformClient(api, credentials, options.client) as client:
        # the store is opened by the writer for each batch only (see Writer)
        async with Writer(db, client.base_url, lock_timeout=lock_timeout) as writer:
            spooled = sum(f.rows for f in _spool.waiting(db))  # a line for them, if any
            with progress_bar(total=spooled, desc="spool", enabled=options.progress if spooled else False,
                              unit=" rows", scale=False) as bar:
                try:  # what earlier syncs spooled first, so that states advance in order
                    result.from_spool = await writer.call(_spool.drain, db, bar.update)
                except StoreLockedError as exc:
                    bar.leave = False  # nothing stored: no line
                    writer.locked = exc  # from now on: fetch, and keep what is fetched in the spool
            result = await _sync_feeds(client, writer, workspaces, issues, options, result)
    if writer.locked is not None:
        waiting = sum(f.rows for f in _spool.waiting(db))
        raise StoreLockedError(
            f"{db} is in use by {writer.locked.holder} (waited {lock_timeout:g}s). Nothing fetched "
            f"is lost: {waiting} event(s) wait in {_spool.folder(db)}, and the next sync or ingest "
            "stores them first. Close the other connection (a DuckDB CLI, a duckdb.connect in a "
            f"notebook) or raise {option('lock_timeout')}.", writer.locked.holder) from writer.locked
    return result


async def _sync_feeds(client: PlatformClient, writer: Writer, workspaces: list[str] | None,
                      issues: list[str] | None, options: SyncOptions, result: SyncResult) -> SyncResult:
    listed = await _list_all(client, "/workspaces/")
    with contextlib.suppress(StoreLockedError):  # locked: the names come with the next sync
        for ws in listed:
            await writer.call(_core.upsert_workspace, writer.api_url, ws)
    targets = workspaces or [w["id"] for w in listed]
    if issues and len(targets) != 1:
        raise InputError(f"{option('issues')} needs exactly one {option('workspaces')} "
                         "(the issues' workspace)")
    feeds = ([(f"issue:{targets[0]}/{i}", targets[0], i) for i in issues] if issues
             else [(f"workspace:{w}", w, None) for w in targets])
    named = {w["id"]: w.get("name") or None for w in listed}
    names = {ws: name or ws for ws, name in named.items()}
    slots = list(range(max(1, options.client.concurrency)))  # terminal lines for the bars
    ahead = options.pages_ahead(len(feeds))
    gate = asyncio.Semaphore(len(slots))

    async def one(scope: str, ws: str, issue: str | None) -> ScopeResult:
        done = ScopeResult(scope, ws, issue, workspace_name=named.get(ws))
        path = f"/workspaces/{ws}/issues/{issue}/activity" if issue else f"/workspaces/{ws}/activity"
        async with gate:
            slot = slots.pop(0)
            label = names.get(ws, ws)[:24] + (f" / {issue[:8]}" if issue else "")
            with client.tally() as tally:
                # a workspace's dimension tables are fetched while its activity is walked
                dims = asyncio.create_task(_dimensions(client, writer, ws)) if issue is None else None
                try:
                    # nothing new: no line left behind (the summary says so)
                    with progress_bar(total=None, desc=label, enabled=options.progress, unit=" rows",
                                      position=slot, scale=False, keep_empty=False) as bar:
                        await _walk(client, writer, path, scope, done, options, bar, ahead)
                except AuthError:
                    raise
                except ApiError as exc:  # 403 and the like: this feed only
                    done.error = str(exc)
                finally:
                    slots.append(slot)
                    dims_error = await dims if dims else None
                    done.requests, done.retries = tally.requests, tally.retries
            if dims_error and not done.error:  # a feed that failed says why once
                result.dimension_errors.append(dims_error)
        return done

    result.scopes = list(await asyncio.gather(*(one(*f) for f in feeds)))
    result.requests, result.retries = client.requests, client.retries
    return result


def _run(coro):
    """asyncio.run, also from inside a running loop (Jupyter): then in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def sync(
    api: str,
    db: str | os.PathLike[str],
    *,
    workspaces: list[str] | None = None,
    issues: list[str] | None = None,
    full: bool = False,
    credentials: Credentials | None = None,
    token_file: str | os.PathLike[str] | None = None,
    email: str | None = None,
    options: SyncOptions | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> SyncResult:
    """Pull activity from the Platform's API at ``api`` into the store at ``db``.

    By default every workspace the account can list; or the ``workspaces``
    named, or the ``issues`` of one named workspace. The first run pulls
    everything; later runs only what is new (usually one request per
    workspace); ``full`` re-walks everything and repairs any gap. Also keeps
    the workspaces, members, agents and issues tables. Credentials come from
    the environment unless given (see :class:`Credentials`). Works in a
    script and in a notebook cell alike. Without ``credentials``, the token
    comes from ``$ACTIVITY_API_TOKEN`` or ``token_file``, or ``email`` logs in
    with the password in ``$ACTIVITY_API_PASSWORD``. A workspace the account may not
    read is reported in the result and skipped; a rejected token raises
    :class:`AuthError`.
    """
    credentials = credentials or Credentials.from_env(token_file=token_file, email=email)
    options = dataclasses.replace(options or SyncOptions(), full=full or (options is not None and options.full))
    if not 1 <= options.page_size <= PAGE_LIMIT:
        raise InputError(f"page size must be 1..{PAGE_LIMIT}")
    if options.read_ahead is not None and not 0 <= options.read_ahead <= 8:
        raise InputError("read-ahead must be 0..8 pages")
    return _run(_sync(api, os.fspath(db), workspaces, issues, credentials, options, lock_timeout))
