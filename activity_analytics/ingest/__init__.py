"""Ingest: files (``_files``, ``_load``) and the Platform's API (``_api``,
``_walk``, ``_writer``, ``_sync``) into the store. Names load when first used."""

from .._lazy import exports as _exports

_WHERE = {
    "ClientOptions": "._api",
    "Credentials": "._api",
    "IngestResult": "._load",
    "LoadCounts": "._load",
    "ScopeResult": "._sync",
    "SyncOptions": "._sync",
    "SyncResult": "._sync",
    "ingest": "._load",
    "sync": "._sync",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = _exports(__name__, _WHERE, globals())
