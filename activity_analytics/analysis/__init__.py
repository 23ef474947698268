"""Analyses: each a function returning one tidy Polars DataFrame, and a SQL macro."""

from ._basic import actions, actors, bursts, timeline, top_actors
from ._filters import Filters
from ._spark import SparkLake

__all__ = ["Filters", "SparkLake", "actions", "actors", "bursts", "timeline", "top_actors"]
