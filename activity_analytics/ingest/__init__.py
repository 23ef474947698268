"""Ingest: sources (``_files``, ``_database``, ``_api`` and ``_walk``,
``_traces``) read; the load stage (``_core``) writes; ``ingest`` (``_load``)
and ``sync`` (``_sync``, ``_writer``) orchestrate. See docs/architecture.md."""

from ._api import ClientOptions, Credentials
from ._load import IngestResult, ingest
from ._sync import ScopeResult, SyncOptions, SyncResult, sync
from ._types import LoadCounts

__all__ = [
    "ClientOptions",
    "Credentials",
    "IngestResult",
    "LoadCounts",
    "ScopeResult",
    "SyncOptions",
    "SyncResult",
    "ingest",
    "sync",
]
