"""activity-analytics: the PraisonAI Platform's activity log, in DuckDB, as answers.

The public API is what ``__all__`` lists; every module behind it is private.
"""

from ._actors import list_actors, mark_actors, unmark_actors
from ._demo import DemoResult, demo
from ._errors import (
    ActivityAnalyticsError,
    AnalysisError,
    ApiError,
    AuthError,
    EngineError,
    ForbiddenError,
    InputError,
    LakeError,
    QueryError,
    RejectedRecordsError,
    ReportError,
    SchemaError,
    StoreError,
    StoreLockedError,
)
from ._lake import ExportResult, export
from ._query import sql
from ._report import report
from ._sample import SampleSpec, generate_events, generate_sample
from ._status import StoreStatus, status
from ._store import SCHEMA_VERSION, connect, migrate
from .analysis import Filters, SparkLake, actions, actors, bursts, timeline, top_actors
from .ingest import (
    ClientOptions,
    Credentials,
    IngestResult,
    LoadCounts,
    ScopeResult,
    SyncOptions,
    SyncResult,
    ingest,
    sync,
)

__all__ = [
    "SCHEMA_VERSION",
    "ActivityAnalyticsError",
    "AnalysisError",
    "ApiError",
    "AuthError",
    "ClientOptions",
    "Credentials",
    "DemoResult",
    "EngineError",
    "ExportResult",
    "Filters",
    "ForbiddenError",
    "IngestResult",
    "InputError",
    "LakeError",
    "LoadCounts",
    "QueryError",
    "RejectedRecordsError",
    "ReportError",
    "SampleSpec",
    "SchemaError",
    "ScopeResult",
    "SparkLake",
    "StoreError",
    "StoreLockedError",
    "StoreStatus",
    "SyncOptions",
    "SyncResult",
    "actions",
    "actors",
    "bursts",
    "connect",
    "demo",
    "export",
    "generate_events",
    "generate_sample",
    "ingest",
    "list_actors",
    "mark_actors",
    "migrate",
    "plots",
    "report",
    "sql",
    "status",
    "sync",
    "timeline",
    "top_actors",
    "unmark_actors",
]

__version__ = "0.1.0"


def __getattr__(name: str):
    # matplotlib takes half a second to import: plots load when first used, so
    # the CLI and ingest jobs under cron start fast.
    if name == "plots":
        import importlib

        return importlib.import_module(".plots", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
