"""Ingest: files (here) and the Platform's API (sync) into the store."""

from ._api import ApiError, AuthError, ClientOptions, Credentials, ForbiddenError
from ._load import IngestResult, LoadCounts, ingest
from ._sync import ScopeResult, SyncOptions, SyncResult, sync

__all__ = [
    "ApiError",
    "AuthError",
    "ClientOptions",
    "Credentials",
    "ForbiddenError",
    "IngestResult",
    "LoadCounts",
    "ScopeResult",
    "SyncOptions",
    "SyncResult",
    "ingest",
    "sync",
]
