"""One exception hierarchy. Catch :class:`ActivityAnalyticsError` to catch them all.

Third-party errors (DuckDB, OS, HTTP) are translated once, where they cross
into this package, with ``raise ... from``, so the original stays attached.
Messages are one line and name the file, line, URL or status involved; they
never contain a token or password.
"""

from __future__ import annotations


class ActivityAnalyticsError(Exception):
    """Root of every error this package raises on purpose."""

    #: exit code the CLI uses for this kind of error
    exit_code = 1


class StoreError(ActivityAnalyticsError):
    """The DuckDB file cannot be opened, read or written."""


class StoreLockedError(StoreError):
    """Another process holds the DuckDB file and did not let go in time."""

    exit_code = 3


class SchemaError(StoreError):
    """The file is not an activity store, or its schema version is not usable."""


class InputError(ActivityAnalyticsError):
    """An input path cannot be read, or is not in a format we understand."""

    exit_code = 2


class RejectedRecordsError(ActivityAnalyticsError):
    """Raised by ``strict`` ingest when records were rejected (all good ones are stored).

    ``result`` holds the :class:`IngestResult` of the run.
    """

    exit_code = 1

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class QueryError(ActivityAnalyticsError):
    """A SQL query given by the user failed."""

    exit_code = 2


class ReportError(ActivityAnalyticsError):
    """A report notebook failed to run; the message names the failing cell."""

    exit_code = 5


class EngineError(ActivityAnalyticsError):
    """The distributed engine (Spark) is missing, could not start, or failed a query."""

    exit_code = 6
