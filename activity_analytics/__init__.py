"""activity-analytics: the PraisonAI Platform's activity log, in DuckDB, as answers.

The public API is what ``__all__`` lists; every module behind it is private.
The errors load with the package; everything else when first used, so a
script or command pays only for what it uses.
"""

from ._errors import (
    ActivityAnalyticsError,
    AnalysisError,
    ApiError,
    AuthError,
    EngineError,
    ForbiddenError,
    InputError,
    LakeError,
    MissingExtraError,
    QueryError,
    RejectedRecordsError,
    ReportError,
    SchemaError,
    StoreError,
    StoreLockedError,
)
from ._lazy import exports as _exports

# ``ingest`` is a subpackage and a function: load the (light) subpackage now and
# let the name mean the function, as users expect of ``aa.ingest(...)``.
from . import ingest as _ingest_package  # noqa: E402, F401  isort: skip

del globals()["ingest"]

_WHERE = {
    "SCHEMA_VERSION": "._sql.schema",
    "ClientOptions": ".ingest._api",
    "Credentials": ".ingest._api",
    "DemoResult": "._demo",
    "ExportResult": "._lake",
    "Filters": ".analysis._filters",
    "IngestResult": ".ingest._load",
    "LoadCounts": ".ingest._counts",
    "SampleSpec": "._defaults",
    "ScopeResult": ".ingest._sync",
    "SparkLake": ".analysis._spark",
    "StoreStatus": "._status",
    "SyncOptions": ".ingest._sync",
    "SyncResult": ".ingest._sync",
    "actions": ".analysis._basic",
    "agents": ".analysis._agents",
    "actors": ".analysis._basic",
    "bursts": ".analysis._basic",
    "connect": "._store",
    "demo": "._demo",
    "export": "._lake",
    "find_store": "._store",
    "generate_events": "._sample",
    "generate_sample": "._bundled",
    "glance": ".analysis._glance",
    "ingest": ".ingest._load",
    "list_actors": "._actors",
    "mark_actors": "._actors",
    "migrate": "._store",
    "new_bursts": "._alerts",
    "plots": ".plots",
    "report": "._report",
    "sql": "._query",
    "sql_prompt": "._query",
    "status": "._status",
    "sync": ".ingest._sync",
    "tables": ".tables",
    "timeline": ".analysis._basic",
    "top_actors": ".analysis._basic",
    "unmark_actors": "._actors",
}

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
    "MissingExtraError",
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
    "agents",
    "bursts",
    "connect",
    "demo",
    "export",
    "find_store",
    "generate_events",
    "generate_sample",
    "glance",
    "ingest",
    "list_actors",
    "mark_actors",
    "migrate",
    "new_bursts",
    "plots",
    "report",
    "sql",
    "sql_prompt",
    "status",
    "sync",
    "tables",
    "timeline",
    "top_actors",
    "unmark_actors",
]

__version__ = "0.1.0"

__getattr__, __dir__ = _exports(__name__, _WHERE, globals())

# In a Jupyter kernel this package's errors show as one line, as on the command line.
from ._jupyter import install_error_display as _install_error_display  # noqa: E402  isort: skip

_install_error_display()
