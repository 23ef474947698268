"""At home in Jupyter and in a terminal: results show as a short text and a
compact HTML block; progress bars end at 100% of the right total."""

from __future__ import annotations

import re

import activity_analytics as aa


def test_results_show_as_short_text_and_compact_html(tmp_path, sample_dir):
    db = tmp_path / "d.duckdb"
    result = aa.ingest([sample_dir], db, progress=False)
    status = aa.status(db)
    export = aa.export(db, tmp_path / "lake", progress=False)
    for shown in (result, status, export):
        text = repr(shown)
        assert text == shown.summary() and "datetime.datetime(" not in text and "tzinfo" not in text
        html = shown._repr_html_()
        assert html.startswith('<div class="activity-analytics-result"><b>') and len(html) < 4000
        assert "<script" not in html
    assert repr(result).splitlines()[-1].startswith("total: ")
    assert f"{status.events} events" in repr(status)


def test_every_progress_bar_ends_at_100_percent_of_its_file(tmp_path, capfd):
    """The gzipped sample file took the one-statement path, whose progress
    DuckDB reports in part: the bar still ends full, at the file's size."""
    db = tmp_path / "p.duckdb"
    from activity_analytics._defaults import SAMPLE_DIR

    aa.ingest([SAMPLE_DIR / "activity.jsonl.gz", SAMPLE_DIR / "audit.jsonl"], db, progress=True)
    err = capfd.readouterr().err
    for name, path in (("activity.jsonl.gz", SAMPLE_DIR / "activity.jsonl.gz"), ("audit.jsonl", SAMPLE_DIR / "audit.jsonl")):
        last = [seg for seg in re.split(r"[\r\n]", err) if seg.startswith(name)][-1]
        assert "100%" in last, last
        done, total = re.search(r"\| ([\d.]+[kMG]?)/([\d.]+[kMG]?) ", last).groups()
        assert done == total, last
