"""Analyses: each a function returning one tidy Polars DataFrame, and a SQL macro.
Names load when first used."""

from .._lazy import exports as _exports

_WHERE = {
    "Filters": "._filters",
    "SparkLake": "._spark",
    "actions": "._basic",
    "agents": "._agents",
    "actors": "._basic",
    "bursts": "._basic",
    "glance": "._glance",
    "timeline": "._basic",
    "top_actors": "._basic",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = _exports(__name__, _WHERE, globals())
