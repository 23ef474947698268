"""Analyses: each a function returning one tidy Polars DataFrame, and a SQL macro."""

from ._basic import actions, actors, bursts, timeline, top_actors
from ._filters import Filters

__all__ = ["Filters", "actions", "actors", "bursts", "timeline", "top_actors"]
