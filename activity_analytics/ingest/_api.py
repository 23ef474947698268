"""The Platform's REST API: credentials, one HTTP client, retries, pagination.

Every HTTP error is translated here, once, into this package's exceptions.
Secrets never appear in messages, reprs or logs: the token travels only in
the Authorization header, and URLs carry none.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import os
import random
import warnings
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TYPE_CHECKING
from urllib.parse import urlsplit

import orjson

from .._errors import ApiError, AuthError, ForbiddenError, InputError
from .._lazy import lazy_module
from .._terms import option

if TYPE_CHECKING:
    import asyncio

    import httpx
    import tenacity
else:
    asyncio = lazy_module("asyncio")
    httpx = lazy_module("httpx")
    tenacity = lazy_module("tenacity")

#: the Platform's page cap (limit 1..200)
PAGE_LIMIT = 200


@dataclass
class Tally:
    """Requests and retries counted for one piece of work (see :meth:`PlatformClient.tally`)."""

    requests: int = 0
    retries: int = 0


_TALLY: contextvars.ContextVar[Tally | None] = contextvars.ContextVar("activity_analytics_tally", default=None)


class _Transient(Exception):
    """A failure worth retrying: 5xx, 429, timeouts, resets, truncated or invalid bodies."""

    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Credentials:
    """How to authenticate. Built from the environment; never printed.

    ``token`` (``$ACTIVITY_API_TOKEN`` or a token file), or ``email`` with
    ``password`` (``$ACTIVITY_API_PASSWORD``), which also allows logging in
    again when a token expires mid-run.
    """

    token: str | None = field(default=None, repr=False)
    email: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(
        cls, *, token_file: str | os.PathLike[str] | None = None, email: str | None = None
    ) -> Credentials:
        token = os.environ.get("ACTIVITY_API_TOKEN") or None
        if token_file is not None:
            try:
                token = Path(token_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise InputError(f"{token_file}: cannot read the token file: {exc.strerror}") from exc
            if not token:
                raise InputError(f"{token_file}: the token file is empty")
        password = os.environ.get("ACTIVITY_API_PASSWORD") or None
        if email and not password:
            raise InputError(f"{option('email')} needs the password in $ACTIVITY_API_PASSWORD")
        if not token and not email:
            raise InputError(
                f"no credentials: set $ACTIVITY_API_TOKEN, or pass {option('token_file')} (a file "
                f"holding the token), or {option('email')} with $ACTIVITY_API_PASSWORD"
            )
        return cls(token=token, email=email, password=password)

    @property
    def can_login(self) -> bool:
        return bool(self.email and self.password)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


@dataclass
class ClientOptions:
    """HTTP settings. ``transport`` replaces the network (tests)."""

    timeout: float = 30.0
    max_attempts: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    verify: bool = True
    ca_bundle: str | None = None
    concurrency: int = 4
    transport: httpx.AsyncBaseTransport | None = None


class PlatformClient:
    """One connection pool for a whole sync, with auth, retries and pagination."""

    def __init__(self, base_url: str, credentials: Credentials, options: ClientOptions | None = None):
        self.base_url = base_url.rstrip("/")
        self.api = self.base_url + "/api/v1"
        self.options = options or ClientOptions()
        self._credentials = credentials
        self._token = credentials.token
        self._login_lock = asyncio.Lock()
        self.requests = 0
        self.retries = 0
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"{base_url}: the API URL must start with http:// or https://")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            warnings.warn(
                f"sending the API token over plain http to {parts.hostname}: anyone on the path "
                "can read it; use https",
                stacklevel=2,
            )
        verify: Any = self.options.ca_bundle or self.options.verify
        self._http = httpx.AsyncClient(
            timeout=self.options.timeout,
            verify=verify,
            transport=self.options.transport,
            limits=httpx.Limits(max_connections=max(self.options.concurrency * 2, 4)),
            headers={"Accept": "application/json"},
        )

    async def __aenter__(self) -> PlatformClient:
        if self._token is None:
            await self._login()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def _login(self) -> None:
        if not self._credentials.can_login:
            raise AuthError("the token was rejected (expired, or the server's signing key "
                            "changed) and no email/password is set to log in again")
        url = f"{self.api}/auth/login"
        try:
            response = await self._http.post(
                url, json={"email": self._credentials.email, "password": self._credentials.password}
            )
        except httpx.HTTPError as exc:
            raise ApiError(f"{url}: login failed: {type(exc).__name__}", url=url) from None
        if response.status_code != 200:
            raise AuthError(f"{url}: login failed ({response.status_code})", url=url,
                            status=response.status_code)
        self._token = response.json()["token"]

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, self.options.backoff_max)
        base = self.options.backoff_initial * (2 ** (state.attempt_number - 1))
        return random.uniform(0, min(base, self.options.backoff_max))  # full jitter

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` (under /api/v1) and return the decoded JSON, retrying transient failures."""
        return (await self._fetch(path, params))[0]

    async def _fetch(self, path: str, params: dict[str, Any] | None,
                     decode: Callable[[bytes], Any] = orjson.loads) -> tuple[Any, bytes]:
        """:meth:`get_json`, with the body as received. ``decode`` turns the body into
        a value; it raises ValueError when the body is not valid JSON (retried)."""
        url = f"{self.api}{path}"
        relogged = False
        while True:
            try:
                async for attempt in tenacity.AsyncRetrying(
                    retry=tenacity.retry_if_exception_type(_Transient),
                    stop=tenacity.stop_after_attempt(self.options.max_attempts),
                    wait=self._wait,
                    reraise=True,
                    before_sleep=lambda _: self._count_retry(),
                ):
                    with attempt:
                        return await self._get_once(url, params, decode)
            except _Transient as exc:
                raise ApiError(
                    f"{url}: gave up after {self.options.max_attempts} attempts: {exc}", url=url
                ) from None
            except AuthError:
                if relogged or not self._credentials.can_login:
                    raise
                async with self._login_lock:
                    await self._login()
                relogged = True

    def _count_retry(self) -> None:
        self.retries += 1
        if (tally := _TALLY.get()) is not None:
            tally.retries += 1

    @staticmethod
    @contextlib.contextmanager
    def tally():
        """Count the requests and retries made inside the block, and in the tasks it
        starts (a sync keeps one per workspace), beside the client's totals."""
        tally = Tally()
        token = _TALLY.set(tally)
        try:
            yield tally
        finally:
            _TALLY.reset(token)

    async def _get_once(self, url: str, params: dict[str, Any] | None,
                        decode: Callable[[bytes], Any]) -> tuple[Any, bytes]:
        self.requests += 1
        if (tally := _TALLY.get()) is not None:
            tally.requests += 1
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            response = await self._http.get(url, params=params, headers=headers)
        except httpx.TimeoutException:
            raise _Transient("timed out") from None
        except httpx.TransportError as exc:
            raise _Transient(f"connection failed ({type(exc).__name__})") from None
        status = response.status_code
        shown = f"{url}?{urlsplit(str(response.request.url)).query}" if params else url
        if status == 401:
            raise AuthError(
                f"{shown}: 401, the token was rejected (expired, or the server's signing key changed)",
                url=shown, status=status,
            )
        if status == 403:
            raise ForbiddenError(f"{shown}: 403, not a member of this workspace (or it does not exist)",
                                 url=shown, status=status)
        if status == 429 or status >= 500:
            raise _Transient(f"{status}", _retry_after(response))
        if status >= 400:
            raise ApiError(f"{shown}: {status} {response.reason_phrase}", url=shown, status=status)
        body = response.content
        try:
            return decode(body), body
        except ValueError:
            raise _Transient("truncated or invalid JSON body") from None

    async def pages(self, path: str, paginator: Paginator | None = None,
                    decode: Callable[[bytes], Any] = orjson.loads) -> AsyncIterator[Page]:
        """The pages of a limit/offset list, as the ``paginator`` strategy directs.

        The one pagination loop: it asks the strategy for each request's
        parameters, yields the page, and once the caller has dealt with it
        asks the strategy whether, and where, to go on. ``decode`` turns a
        body into its records (a feed may decode them lean).

        The requests the strategy's ``ahead()`` lists are sent while the
        current one is awaited (read-ahead), and one that turns out to be the
        next request is not sent again; its page is marked ``speculative``
        (it may have been served before the page before it).
        """
        paginator = paginator or OffsetPaginator()
        in_flight: dict[tuple, asyncio.Task] = {}
        try:
            while True:
                params = paginator.params()
                task = in_flight.pop(_key(params), None)
                speculative = task is not None
                if task is None:
                    task = asyncio.create_task(self._fetch(path, params, decode))
                wanted = {_key(p): p for p in paginator.ahead()}
                for key in [k for k in in_flight if k not in wanted]:  # no longer on the way
                    _drop(in_flight.pop(key))
                for key, later in wanted.items():
                    if key not in in_flight:
                        in_flight[key] = asyncio.create_task(self._fetch(path, later, decode))
                value, body = await task
                if not isinstance(value, list):
                    raise ApiError(f"{self.api}{path}: expected a JSON list, got {type(value).__name__}",
                                   url=f"{self.api}{path}")
                page = Page(value)
                page.body = body
                page.speculative = speculative
                yield page
                if not paginator.advance(page):
                    return
        finally:
            for task in in_flight.values():
                _drop(task)


def _key(params: dict[str, Any]) -> tuple:
    return tuple(sorted(params.items()))


def _drop(task: asyncio.Task) -> None:
    """Cancel a request nobody will await; its failure, if any, is not an error."""
    task.cancel()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())


class Page(list):
    """A page of a list endpoint: its records, ``body``, the JSON text as received
    (so a writer can hand it to DuckDB without serialising the records again),
    and whether it was read ahead (``speculative``)."""

    body: bytes = b"[]"
    speculative: bool = False


class Paginator(Protocol):
    """A pagination strategy: the next request's parameters, whether there is one,
    and which requests to send early (read-ahead; see :meth:`PlatformClient.pages`)."""

    def params(self) -> dict[str, int]:
        """The next request's query parameters."""
        ...

    def advance(self, page: list) -> bool:
        """Note the page just received; False when there is no next request."""
        ...

    def ahead(self) -> list[dict[str, int]]:
        """Requests to send now, before the current one is answered (may be empty)."""
        ...


@dataclass
class OffsetPaginator:
    """The Platform's lists: limit/offset, no total, done at a short page."""

    limit: int = PAGE_LIMIT
    offset: int = 0

    def params(self) -> dict[str, int]:
        return {"limit": self.limit, "offset": self.offset}

    def advance(self, page: list) -> bool:
        if len(page) < self.limit:
            return False
        self.offset += len(page)
        return True

    def ahead(self) -> list[dict[str, int]]:
        return []  # dimension lists are short: one page at a time
