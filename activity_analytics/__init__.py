"""activity-analytics: the PraisonAI Platform's activity log, in DuckDB, as answers.

The public API is what ``__all__`` lists; every module behind it is private.
Every name is imported here; the heavy libraries behind them (DuckDB, Polars,
Arrow, HTTP, matplotlib) load when first used, so a script or command pays
only for what it uses.
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
from . import plots, tables
from ._actors import list_actors, mark_actors, unmark_actors
from ._alerts import new_bursts
from ._bundled import generate_sample
from ._defaults import SampleSpec
from ._demo import DemoResult, demo
from ._lake import ExportResult, export
from ._query import sql, sql_prompt
from ._report import report
from ._sample import generate_events
from ._sql.schema import SCHEMA_VERSION
from ._status import StoreStatus, status
from ._store import connect, find_store, migrate
from .analysis._agents import agents
from .analysis._basic import actions, actors, bursts, timeline, top_actors
from .analysis._filters import Filters
from .analysis._glance import glance
from .analysis._spark import SparkLake

# ``ingest`` names the subpackage and the function: last, so the name is the
# function, as users expect of ``aa.ingest(...)``
from .ingest import (  # isort: skip
    ClientOptions, Credentials, IngestResult, LoadCounts, ScopeResult, SyncOptions, SyncResult,
    ingest, sync,
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

# In a Jupyter kernel this package's errors show as one line, as on the command line.
from ._jupyter import install_error_display as _install_error_display  # noqa: E402  isort: skip

_install_error_display()
