"""Ingest: files (here) and the Platform's API (sync) into the store."""

from ._load import IngestResult, LoadCounts, ingest

__all__ = ["IngestResult", "LoadCounts", "ingest"]
