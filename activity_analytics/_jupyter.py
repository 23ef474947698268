"""What a notebook shows: status lines that give way to the answer, notes, and
this package's errors as one line, as on the command line.

Nothing here imports IPython unless the process already runs it, so scripts
and the command line pay nothing.
"""

from __future__ import annotations

import html
import logging
import sys
from collections.abc import Callable
from typing import Any

from ._terms import caller

_LOG = logging.getLogger("activity_analytics")


def _shell() -> Any:
    """The running IPython kernel's shell, or None (plain Python, a terminal IPython)."""
    if "ipykernel" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel brings IPython
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def in_jupyter() -> bool:
    """True inside a Jupyter kernel (a notebook, JupyterLab, the headless report)."""
    return _shell() is not None


def status_line(text: str) -> Callable[[], None]:
    """Show ``text`` while something waits; returns the function that takes it away.

    In Jupyter it is a grey line under the cell, removed when the wait ends, so
    the answer is what stays. Elsewhere it is a line on stderr, which a terminal
    keeps and cron mails.
    """
    if in_jupyter():
        from IPython.display import HTML, display

        handle = display(HTML(f'<div class="activity-analytics-status" style="color:#666">'
                              f'&#8987; {html.escape(text)}</div>'), display_id=True)
        return lambda: handle.update(HTML(""))
    print(text, file=sys.stderr, flush=True)
    return lambda: None


#: notes for the command line, printed by it after the answer (:func:`take_notes`)
_CLI_NOTES: list[str] = []


def note(text: str) -> None:
    """A one-line note beside an answer (why a result is empty, say): shown under
    the cell in Jupyter, kept for the command line to print after its table
    (:func:`take_notes`), logged (``activity_analytics``, INFO) elsewhere."""
    if caller() == "cli":
        _CLI_NOTES.append(text)
    elif in_jupyter():
        from IPython.display import HTML, display

        display(HTML(f'<div class="activity-analytics-note" style="color:#666">'
                     f'{html.escape(text)}</div>'))
    else:
        _LOG.info("%s", text)


def take_notes() -> list[str]:
    """The notes kept for the command line since it last took them."""
    notes = list(_CLI_NOTES)
    _CLI_NOTES.clear()
    return notes


def _one_line_error(shell: Any, etype: type, value: BaseException, tb: Any,
                    tb_offset: int | None = None) -> list[str]:
    """IPython's handler for this package's errors: the message as one line, sent
    as the cell's error (so a headless run still fails on it)."""
    text = f"{etype.__name__}: {value}"
    shell._showtraceback(etype, value, [text])  # noqa: SLF001 - IPython's documented hook
    return [text]


def install_error_display() -> None:
    """In a Jupyter kernel, show :class:`ActivityAnalyticsError` as one line, as the
    command line does, instead of a traceback through the package's internals."""
    shell = _shell()
    if shell is None:
        return
    from ._errors import ActivityAnalyticsError

    known = tuple(getattr(shell, "custom_exceptions", ()) or ())
    if ActivityAnalyticsError in known:
        return
    shell.set_custom_exc((*known, ActivityAnalyticsError), _one_line_error)
