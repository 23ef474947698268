"""Scheduled reports: execute a notebook headless and write a self-contained HTML file.

The notebook's tagged ``parameters`` cell is followed by an injected cell
with this run's values (as papermill does). The HTML has images inline, the
code hidden unless asked for, and no script fetched from the network; it and
the executed ``.ipynb`` beside it appear atomically (written to a temporary
name, then renamed), so a watcher never picks up half a report.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import tempfile
from pathlib import Path

from ._defaults import NOTEBOOKS
from ._errors import InputError, ReportError
from ._lazy import need
from ._time import When
from .analysis._filters import Filters

DEFAULT_NOTEBOOK = NOTEBOOKS / "activity_report.ipynb"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>", re.IGNORECASE)


def _inject(nb, values: dict[str, object]) -> None:
    from nbformat.v4 import new_code_cell

    source = "# Injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in values.items())
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["injected-parameters"]
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), -1)
    nb.cells.insert(index + 1, cell)


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _iso(value: dt.datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def report(
    db: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    since: When = None,
    until: When = None,
    workspace: str | None = None,
    notebook: str | os.PathLike[str] | None = None,
    with_code: bool = False,
    timeout: float = 600,
) -> Path:
    """Run the report notebook against ``db`` and write ``out`` (HTML) and ``out``'s ``.ipynb``.

    ``since``/``until`` take the analyses' forms (a date, a time, ``"7d"``,
    a ``timedelta`` ...); a relative period is fixed when the report starts.
    Needs no TTY, network or display. Raises :class:`ReportError` naming the
    failing cell when one fails (the executed notebook is still written, for
    reading the traceback); no HTML is written then.
    """
    for module in ("nbformat", "nbclient", "nbconvert", "ipykernel"):
        need(module, "notebooks", "the report")
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import (
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )
    from nbconvert import HTMLExporter

    period = Filters(since, until)  # a bad period fails here; relative times become absolute
    nb_path = Path(notebook) if notebook else DEFAULT_NOTEBOOK
    if not nb_path.exists():
        raise InputError(f"{nb_path}: no such notebook")
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{out}: the report is HTML: name it .html")
    out.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(nb_path, as_version=4)
    _inject(nb, {"db": str(Path(db).resolve()), "since": _iso(period.since), "until": _iso(period.until),
                 "workspace": workspace})
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(nb_path.parent)}},
    )
    executed = out.with_suffix(".ipynb")
    try:
        # The kernel's own stderr is start-up chatter, not for cron mail: cell errors are in outputs.
        client.execute(env={**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"},
                       stderr=subprocess.DEVNULL)
    except (CellTimeoutError, DeadKernelError) as exc:
        _write_atomically(executed, nbformat.writes(nb))
        raise ReportError(f"{nb_path.name}: {type(exc).__name__}: {_ANSI.sub('', str(exc)).strip()[:300]}") from None
    except CellExecutionError as exc:
        _write_atomically(executed, nbformat.writes(nb))
        failing = next(
            (i for i, c in enumerate(nb.cells)
             if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        text = _ANSI.sub("", str(exc)).strip()
        last = text.splitlines()[-1] if text else type(exc).__name__
        raise ReportError(f"{nb_path.name}: cell {failing} failed: {last} (see {executed})") from None
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = not with_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    body = _REMOTE_SCRIPT.sub("", body)  # no network: require.js and MathJax are not needed
    _write_atomically(executed, nbformat.writes(nb))
    _write_atomically(out, body)
    return out
