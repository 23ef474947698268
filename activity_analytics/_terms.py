"""Words that depend on who asks: Python code, the command line, or the ``%sql`` magic.

A message that tells people what to do names an option the way they can
type it: ``lock_timeout=`` to a Python caller, ``--lock-timeout`` on the
command line, ``%sql --lock-timeout`` in a notebook using the magic. This
module is the one place that decides those words.

The command line says so for its whole process (:func:`set_process_caller`),
so worker threads see it too; the magic says so for the call it makes
(:func:`calling_from`). Everything else is a Python caller.

>>> option("lock_timeout")
'lock_timeout='
>>> with calling_from("cli"):
...     option("lock_timeout")
'--lock-timeout'
>>> with calling_from("magic"):
...     option("lock_timeout"), option("token_file")
('%sql --lock-timeout', 'token_file=')
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

#: who may ask
CALLERS = ("python", "cli", "magic")

_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("activity_analytics_caller",
                                                                     default=None)
_PROCESS = {"caller": "python"}

#: how each option is written, per caller; the magic has only some of them and
#: otherwise speaks Python (its cells are Python)
_OPTIONS: dict[str, dict[str, str]] = {
    "lock_timeout": {"python": "lock_timeout=", "cli": "--lock-timeout", "magic": "%sql --lock-timeout"},
    "token_file": {"python": "token_file=", "cli": "--token-file"},
    "email": {"python": "email=", "cli": "--email"},
    "issues": {"python": "issues=", "cli": "--issue"},
    "workspaces": {"python": "workspaces=", "cli": "--workspace"},
    "engine_spark": {"python": "aa.SparkLake", "cli": "--engine spark"},
}

#: how to make a store, per caller (what a missing store's message suggests)
_MAKE_STORE = {
    "python": "aa.demo(db) (the bundled sample), aa.ingest(paths, db) or aa.sync(api, db) "
              "(from a terminal: activity-analytics demo, ingest or sync)",
    "cli": "`activity-analytics demo` (the bundled sample), `activity-analytics ingest PATH...` "
           "or `activity-analytics sync --api URL`",
}


def caller() -> str:
    """``"python"``, ``"cli"`` or ``"magic"``: who the current call is for."""
    return _CALLER.get() or _PROCESS["caller"]


def set_process_caller(who: str) -> None:
    """Say that this whole process is ``who`` (the command line says ``"cli"``)."""
    if who not in CALLERS:
        raise ValueError(f"caller must be one of {', '.join(CALLERS)}, not {who!r}")
    _PROCESS["caller"] = who


@contextlib.contextmanager
def calling_from(who: str) -> Iterator[None]:
    """Within the block, messages are worded for ``who``."""
    if who not in CALLERS:
        raise ValueError(f"caller must be one of {', '.join(CALLERS)}, not {who!r}")
    token = _CALLER.set(who)
    try:
        yield
    finally:
        _CALLER.reset(token)


def option(name: str) -> str:
    """How the current caller writes the option ``name`` (its Python argument name)."""
    words = _OPTIONS[name]
    return words.get(caller()) or words["python"]


def make_store() -> str:
    """The ways to make a store, in the current caller's words (the magic's are Python's)."""
    return _MAKE_STORE.get(caller(), _MAKE_STORE["python"])


def held_here(path: str, *, writing: bool, read_write: bool) -> str:
    """The message for a store this very process holds through its own
    ``duckdb.connect`` with another mode or settings than the package needs.

    ``read_write``: the process's own connection is read-write (with DuckDB's
    default settings); else it is read-only or has settings of its own.
    """
    if writing:
        return (f"{path}: this Python process holds the store through its own duckdb.connect "
                "(read-only, or with settings of its own), and DuckDB lets one process open a file one way only, so it cannot be "
                "written here: close that connection (con.close()) and run this again")
    how = "read-write" if read_write else "with settings of its own"
    tail = ("%sql opens the store per query, so it needs no connection of its own"
            if caller() == "magic" else "aa.sql and %sql open the store per query")
    return (f"{path}: this Python process holds the store {how} through its own duckdb.connect, "
            "and DuckDB lets one process open a file one way only: close that connection "
            f"(con.close()) or open it with duckdb.connect({path!r}, read_only=True); {tail}"
            + ("; while it is open read-write, a sync or ingest elsewhere waits" if read_write else ""))
