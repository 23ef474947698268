"""Ctrl-C for DuckDB statements: the one place it is made to work.

DuckDB's Python client looks at signals only between the tasks of a query, and
one task can run for the whole query: a join whose every row matches millions
ignored Ctrl-C (and Jupyter's "interrupt kernel") until killed; ``bursts`` on ten
million events stopped up to a second later, as RuntimeError('Query
interrupted') rather than KeyboardInterrupt. So the statements run
in a worker thread while the main thread waits in short steps, where Python
delivers KeyboardInterrupt; the main thread then calls the connection's
``interrupt()`` until the worker has stopped (its transaction rolled back) and
raises KeyboardInterrupt again.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._lazy import lazy_module

if TYPE_CHECKING:
    import duckdb
else:
    duckdb = lazy_module("duckdb")

T = TypeVar("T")

_STEP = 0.05  # seconds between looks for Ctrl-C, and between interrupt() calls


def interruptible(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """``work()`` (statements on ``con``), cancelled by Ctrl-C: KeyboardInterrupt is
    raised once the statement running has stopped. Off the main thread (where
    no KeyboardInterrupt comes) ``work`` runs as it is.

    >>> con = duckdb.connect()
    >>> interruptible(con, lambda: con.execute("SELECT 42").fetchall())
    [(42,)]
    """
    if threading.current_thread() is not threading.main_thread():
        return work()
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=contextvars.copy_context().run, args=(run,),
                              name="activity-analytics-query", daemon=True)
    # Event.wait, not Thread.join: a join that KeyboardInterrupt cuts short can
    # mark a running thread stopped (Python 3.11)
    try:
        worker.start()
        while not done.wait(_STEP):
            pass
    except KeyboardInterrupt:
        while worker.is_alive() and not done.is_set():
            with contextlib.suppress(duckdb.Error):
                con.interrupt()  # again each step: one sent between statements is lost
            with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: still stopping
                done.wait(_STEP)
        raise
    finally:
        with contextlib.suppress(KeyboardInterrupt, RuntimeError):  # (never started)
            worker.join()  # it has set done: it is returning
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
