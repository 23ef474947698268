"""Progress bars that work on a terminal, in Jupyter, and stay silent under cron."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ._jupyter import in_jupyter
from ._lazy import lazy_module

if TYPE_CHECKING:
    import duckdb
    import tqdm.auto as tqdm_auto
    from tqdm.auto import tqdm
else:
    duckdb = lazy_module("duckdb")
    tqdm_auto = lazy_module("tqdm.auto")  # 50 ms: only when a bar is shown


def _interactive() -> bool:
    # a kernel running (not merely ipykernel imported, as a test runner or a tool may)
    return in_jupyter() or sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(
    *, total: int | None, desc: str, enabled: bool | None, unit: str = "B", position: int | None = None,
    scale: bool = True, keep_empty: bool = True,
) -> Iterator[tqdm]:
    """A tqdm bar; ``enabled=None`` shows it only on a terminal or in Jupyter.

    ``position`` stacks several bars on a terminal (one per workspace of a sync).
    ``scale``: counts as 1.2k, 3.4M (else as they are: ``0 rows``, not ``0.00 rows``).
    ``keep_empty=False``: a bar that counted nothing leaves no line behind.
    """
    show = _interactive() if enabled is None else enabled
    bar = tqdm_auto.tqdm(
        total=total, desc=desc, unit=unit, unit_scale=scale,
        unit_divisor=1024 if unit == "B" else 1000,
        disable=not show, leave=True, file=sys.stderr, position=position,
    )
    try:
        yield bar
    finally:
        if keep_empty or bar.disable or _widget(bar):
            if not keep_empty:  # (Jupyter's bars are widgets: no lines to mind)
                bar.leave = bar.n > 0
            bar.close()
        else:
            # On a terminal, a line left by one of several stacked bars would be drawn
            # over, or left stale, as the others go on: the bar goes, and its last
            # state is written above the bars still running.
            last = str(bar) if bar.n else None
            bar.leave = False
            bar.close()
            if last:  # (from the line's start: clearing a bar below leaves the cursor mid-line)
                tqdm_auto.tqdm.write("\r" + last, file=sys.stderr)


def _widget(bar: tqdm) -> bool:
    """A Jupyter widget, not a line of text (tqdm.auto imports its notebook bars only there)."""
    notebook = sys.modules.get("tqdm.notebook")
    return notebook is not None and isinstance(bar, notebook.tqdm_notebook)


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
