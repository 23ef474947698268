"""The main job on the bundled sample: ingest, mark agents, summarise."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ._actors import mark_actors
from ._sample import generate_sample
from ._status import StoreStatus, status
from .ingest import IngestResult, ingest

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DEMO_DB = REPO_DATA / "demo.duckdb"


@dataclass
class DemoResult:
    """What :func:`demo` did: the ingest, and the store's status afterwards."""

    ingest: IngestResult
    status: StoreStatus
    #: the HTML report, when asked for
    report: Path | None = None


def demo(
    db: str | os.PathLike[str] = DEFAULT_DEMO_DB,
    *,
    sample: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    with_report: bool = False,
) -> DemoResult:
    """Load the bundled sample into ``db``, mark its agent accounts, and describe it.

    ``sample`` is a folder of activity files with an ``<folder>-actors.csv``
    beside it (default: the repository's ``data/sample``; generated afresh in
    a temporary folder when the package is installed without it). Running it
    again stores nothing new. ``with_report`` also writes the HTML report
    (``<db>-report.html``, needs the ``notebooks`` extra).
    """
    if sample is None:
        sample = REPO_DATA / "sample"
        if not sample.is_dir():
            sample = Path(tempfile.mkdtemp(prefix="activity-sample-")) / "sample"
            generate_sample(sample)
    sample = Path(sample)
    result = ingest([sample], db, progress=progress)
    marks = sample.parent / f"{sample.name}-actors.csv"
    if marks.exists():
        mark_actors(db, csv_path=marks)
    report_path = None
    if with_report:
        from ._report import report

        report_path = report(db, Path(db).with_name(Path(db).stem + "-report.html"))
    return DemoResult(result, status(db), report_path)
