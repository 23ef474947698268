"""Helpers shared by the benchmarks: run a step in a child process, measure it."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    output: str


_PEAK = """
import atexit, sys
def _report_peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("PEAK_RSS_KB " + line.split()[1] + "\\n")
atexit.register(_report_peak)
"""


def run_child(code: str, *args: str) -> Measured:
    """Run ``code`` in a fresh Python; return wall time, its peak RSS and its stdout.

    The peak is the child's own high-water mark (VmHWM), read as it exits:
    ``ru_maxrss`` would include the parent's memory inherited across fork.
    """
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK + code, *args], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark step failed ({proc.returncode}):\n{proc.stderr}")
    peak_kb = int(proc.stderr.rsplit("PEAK_RSS_KB ", 1)[1].split()[0])
    return Measured(seconds, peak_kb / 1024, proc.stdout)


def best_of(code: str, source: str, db: Path, *, repeat: int, fresh: bool) -> Measured:
    """The fastest of ``repeat`` runs of ``code`` over ``source`` into the store
    ``db`` (deleted first when ``fresh``; else runs again on what is there)."""
    best = None
    for _ in range(repeat):
        if fresh:
            db.unlink(missing_ok=True)
            Path(f"{db}.wal").unlink(missing_ok=True)
        measured = run_child(code, source, str(db))
        if best is None or measured.seconds < best.seconds:
            best = measured
    return best


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def save(name: str, result: dict) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path


def fastest(func, repeat: int) -> float:
    """Seconds of the fastest of ``repeat`` calls of ``func``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


ROOT = Path(__file__).resolve().parent.parent


def tree_at(rev: str) -> Path:
    """The package as it was at ``rev`` (a ``git archive`` of it), to put first on
    ``PYTHONPATH``: an earlier version measured in the same run."""
    import tempfile

    out = Path(tempfile.mkdtemp(prefix=f"aa-{rev}-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "activity_analytics"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out
