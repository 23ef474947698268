"""Analyses: each a function returning one tidy Polars DataFrame, and a SQL macro."""

from ._agents import agents
from ._basic import actions, actors, bursts, timeline, top_actors
from ._filters import Filters
from ._glance import glance
from ._spark import SparkLake

__all__ = ["Filters", "SparkLake", "actions", "actors", "agents", "bursts", "glance", "timeline",
           "top_actors"]
