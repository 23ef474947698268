"""Progress bars that work on a terminal, in Jupyter, and stay silent under cron."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator

import duckdb
from tqdm.auto import tqdm


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    return sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(
    *, total: int | None, desc: str, enabled: bool | None, unit: str = "B", position: int | None = None
) -> Iterator[tqdm]:
    """A tqdm bar; ``enabled=None`` shows it only on a terminal or in Jupyter.

    ``position`` stacks several bars on a terminal (one per workspace of a sync).
    """
    show = _interactive() if enabled is None else enabled
    bar = tqdm(
        total=total, desc=desc, unit=unit, unit_scale=True,
        unit_divisor=1024 if unit == "B" else 1000,
        disable=not show, leave=True, file=sys.stderr, position=position,
    )
    try:
        yield bar
    finally:
        bar.close()


@contextlib.contextmanager
def watch_query(con: duckdb.DuckDBPyConnection, report: Callable[[float], None] | None):
    """While a long statement runs, pass DuckDB's progress (0..1) to ``report``."""
    if report is None:
        yield
        return
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.25):
            try:
                fraction = con.query_progress()
            except duckdb.Error:
                return
            if fraction is not None and fraction >= 0:
                report(min(fraction / 100.0, 1.0))

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
