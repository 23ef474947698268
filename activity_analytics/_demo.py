"""The main job on the bundled sample: ingest, mark agents, summarise."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ._actors import mark_actors
from ._bundled import generate_sample
from ._defaults import DEMO_DB, SAMPLE_DIR
from ._display import Shown
from ._status import StoreStatus, status
from .ingest import IngestResult, ingest


@dataclass(repr=False)
class DemoResult(Shown):
    """What :func:`demo` did: the ingest, and the store's status afterwards."""

    ingest: IngestResult
    status: StoreStatus
    #: the HTML report, when asked for
    report: Path | None = None

    def summary(self) -> str:
        lines = [self.status.summary(), self.ingest.summary()]
        return "\n".join(lines + ([f"report: {self.report}"] if self.report else []))


def demo(
    db: str | os.PathLike[str] = DEMO_DB,
    *,
    sample: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
    with_report: bool = False,
) -> DemoResult:
    """Load the bundled sample into ``db``, mark its agent accounts, and describe it.

    ``sample`` is a folder of activity files with an ``<folder>-actors.csv``
    beside it (default: the sample the package ships; generated afresh in a
    temporary folder should it be missing). Running it
    again stores nothing new. ``with_report`` also writes the HTML report
    (``<db>-report.html``, needs the ``notebooks`` extra).
    """
    if sample is None:
        sample = SAMPLE_DIR
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
