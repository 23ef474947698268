"""Ingest: files (here) and the Platform's API (sync) into the store."""

from ._api import ClientOptions, Credentials
from ._load import IngestResult, LoadCounts, ingest
from ._sync import ScopeResult, SyncOptions, SyncResult, sync

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
