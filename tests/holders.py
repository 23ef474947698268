"""Another process holding the store, as a DuckDB CLI or a notebook's connection does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def hold(db: Path, seconds: float) -> subprocess.Popen:
    """A process holding ``db`` read-write for ``seconds`` (it says when it holds it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(float(sys.argv[2])); c.close()", str(db), str(seconds)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder
