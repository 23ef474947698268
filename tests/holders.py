"""Another process holding the store, as a DuckDB CLI or a notebook's connection does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def hold(db: Path, seconds: float, *, read_only: bool = False) -> subprocess.Popen:
    """A process holding ``db`` read-write (or read-only) for ``seconds`` (it says
    when it holds it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], "
         "read_only=sys.argv[3] == 'ro'); print('held', flush=True); time.sleep(float(sys.argv[2])); "
         "c.close()", str(db), str(seconds), "ro" if read_only else "rw"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder
