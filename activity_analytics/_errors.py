"""One exception hierarchy. Catch :class:`ActivityAnalyticsError` to catch them all.

::

    ActivityAnalyticsError            exit 1  root: every error raised on purpose
    ├── InputError                    exit 2  a path, argument or input format we cannot use
    │   └── MissingExtraError         exit 2  an optional extra is not installed (names it)
    ├── RejectedRecordsError          exit 1  strict ingest: records were rejected (the rest stored)
    ├── StoreError                    exit 1  the DuckDB file cannot be opened, read or written
    │   ├── StoreLockedError          exit 75 another process held the file too long: try again later
    │   └── SchemaError               exit 1  not a store, or a schema version we cannot use
    ├── QueryError                    exit 2  a SQL query the user wrote failed
    ├── AnalysisError                 exit 1  an analysis failed on the data it was given
    │   └── EngineError               exit 6  Spark is missing, could not start, or failed
    ├── LakeError                     exit 1  a Parquet lake cannot be read or written
    ├── ApiError                      exit 4  the Platform's API answered with an error
    │   ├── AuthError                 exit 4  the token was rejected, or login failed
    │   └── ForbiddenError            exit 4  not a member of that workspace (or no such one)
    └── ReportError                   exit 5  a report notebook failed (the message names the cell)

Third-party errors (DuckDB, OS, HTTP, Spark) are translated once, where they
cross into this package, with ``raise ... from``, so the original stays
attached. Messages are one line (:func:`one_line`) and name the file, line,
URL or status involved; they never contain a token or password.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(r"^(?:[A-Z][A-Za-z ]*Error|Invalid Input Error|Binder Error|Catalog Error): ")


def one_line(exc: BaseException | str) -> str:
    """The first line of a third-party error's message, without DuckDB's
    ``"Binder Error: "``-style prefix: what our one-line messages quote.

    >>> one_line("Catalog Error: Table with name x does not exist!\\nDid you mean ...")
    'Table with name x does not exist!'
    """
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return _PREFIX.sub("", first, count=1) or first


class ActivityAnalyticsError(Exception):
    """Root of every error this package raises on purpose."""

    #: exit code the CLI uses for this kind of error
    exit_code = 1


class InputError(ActivityAnalyticsError):
    """An input path or argument cannot be used, or is not in a format we understand."""

    exit_code = 2


class MissingExtraError(InputError):
    """A command needs an optional extra that is not installed; the message names it."""


class RejectedRecordsError(ActivityAnalyticsError):
    """Raised by ``strict`` ingest when records were rejected (all good ones are stored).

    ``result`` holds the :class:`IngestResult` of the run.
    """

    exit_code = 1

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class StoreError(ActivityAnalyticsError):
    """The DuckDB file cannot be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file and did not let go in time.

    Exit 75 (EX_TEMPFAIL, "try again later"): nothing was lost, and running
    the same command again is safe. ``holder`` names the process.
    """

    exit_code = 75

    def __init__(self, message: str, holder: str = "another process"):
        super().__init__(message)
        self.holder = holder


class SchemaError(StoreError):
    """The file is not an activity store, or its schema version is not usable."""


class QueryError(ActivityAnalyticsError):
    """A SQL query given by the user failed."""

    exit_code = 2


class AnalysisError(ActivityAnalyticsError):
    """An analysis failed on the data it was given (a damaged store, views edited by hand)."""


class EngineError(AnalysisError):
    """The distributed engine (Spark) is missing, could not start, or failed a query."""

    exit_code = 6


class LakeError(ActivityAnalyticsError):
    """A Parquet lake cannot be read or written (its folder, its state file, its files)."""


class ApiError(ActivityAnalyticsError):
    """The API answered with an error that retrying will not fix (URL and status say which)."""

    exit_code = 4

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class AuthError(ApiError):
    """The token was rejected (expired, or the server's signing key changed), or login failed."""


class ForbiddenError(ApiError):
    """Not a member of that workspace (the Platform also says 403 for one that does not exist)."""


class ReportError(ActivityAnalyticsError):
    """A report notebook failed to run; the message names the failing cell."""

    exit_code = 5
