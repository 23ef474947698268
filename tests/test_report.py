"""Reports: notebooks run headless, HTML is complete, escaped, atomic, and renders in Chromium."""

from __future__ import annotations

import os
import html as html_lib
import re
import shutil
import subprocess
import tempfile

import duckdb
import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

import activity_analytics as aa
from activity_analytics._defaults import SAMPLE_DIR
from activity_analytics._report import NOTEBOOKS, _inject
from activity_analytics.cli import cli

SECTIONS = ("At a glance", "Volume over time", "Actions", "People vs agents", "Top actors and issues", "Bursts",
            "First-seen notices")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, sample_dir):
    db = tmp_path_factory.mktemp("report") / "demo.duckdb"
    aa.demo(db, sample=sample_dir, progress=False)
    con = duckdb.connect(str(db))  # an issue title as a sync would store it
    issue = con.execute("SELECT issue_id FROM activity WHERE issue_id IS NOT NULL "
                        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchall()[0][0]
    ws = con.execute("SELECT workspace_id FROM activity WHERE issue_id = ?", [issue]).fetchall()[0][0]
    con.execute("INSERT INTO issues VALUES (?, ?, 'ISS-1', '<script>alert(1)</script>', 'todo', 'high', now())",
                [ws, issue])
    con.close()
    return db


@pytest.fixture(scope="module")
def html_report(demo_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    assert aa.report(demo_db, out) == out
    return out


def test_report_has_every_section_and_inline_figures(html_report):
    html = html_report.read_text()
    for section in SECTIONS:
        assert f">{section}<" in html, section
    assert html.count("data:image/png;base64,") >= 5
    assert 'src="http' not in html  # nothing fetched from the network
    assert "plot_volume" not in html  # code hidden by default
    assert re.search(r"[\d,]+ events: (agents|people) \d+%", html)  # the findings were computed
    # tables for people, not DataFrame reprs
    assert "shape: (" not in html and "&quot;str&quot;" not in html and "Period before" in html
    for dtype_row in ("<td>str</td>", "<td>i64</td>", "decimal[38"):
        assert dtype_row not in html
    assert html_report.with_suffix(".ipynb").exists()
    assert {p.name for p in html_report.parent.iterdir()} == {"report.html", "report.ipynb"}  # no temp files


def _text(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", html,
                                                                             flags=re.S))))


def test_notices_have_a_table_of_their_own_and_incidents_are_counted(html_report, demo_db):
    """First-seen notices are not alarms: not in the incidents' table, not counted
    with them at a glance, listed apart; incidents are counted, not rows."""
    found = aa.bursts(demo_db)
    alarms, notices = found.filter(found["kind"] != "new_actor"), found.filter(found["kind"] == "new_actor")
    assert alarms.height and notices.height
    text = _text(html_report.read_text())
    glance = text[text.index("At a glance"):text.index("Volume over time")]
    assert f"Incidents (alarms) {alarms['incident'].n_unique()} " in glance
    assert f"First-seen notices {notices.height} " in glance
    assert f"{alarms['incident'].n_unique()} incident(s) of {alarms.height} alarm(s)" in glance
    incidents = text[text.index("Who (kind)"):text.index("First-seen notices ¶")]
    listed = text[text.index("First-seen notices ¶"):text.index("Agents: cost and reliability")]
    for reason in notices["reason"]:
        assert reason not in incidents and reason in listed
    assert incidents.count(" (runaway agent)") == (alarms["kind"] == "runaway_agent").sum()


def test_issues_without_a_synced_issues_table_are_named_by_the_log(html_report, demo_db):
    """Only one issue of the sample is in the issues table: the rest are named
    by their issue.created events (title and identifier)."""
    named = aa.sql(demo_db, "SELECT identifier, title FROM issue_names WHERE origin = 'activity'")
    assert named.height >= 10 and named["title"].null_count() == 0
    html = html_report.read_text()
    shown = {t for t in named["title"] if f">{html_lib.escape(t)}<" in html}
    assert len(shown) >= 5, shown  # before the log named them: every title but ISS-1's was "–"


def test_text_from_the_api_is_escaped(html_report):
    html = html_report.read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_with_code_shows_the_code(demo_db, tmp_path):
    out = aa.report(demo_db, tmp_path / "r.html", with_code=True)
    html = out.read_text()
    assert "plot_volume" in html


def test_empty_store_and_empty_period_say_so(demo_db, tmp_path):
    empty = tmp_path / "empty.duckdb"
    aa.migrate(empty)
    for db, kwargs in ((empty, {}), (demo_db, {"since": "2030-01-01T00:00:00Z"})):
        out = aa.report(db, tmp_path / f"r-{len(kwargs)}.html", **kwargs)
        assert "No activity in this period" in out.read_text()
    last = aa.sql(demo_db, "SELECT max(created_at) AS t FROM events").item()
    assert f"the store's data ends at {last:%Y-%m-%d %H:%M} UTC, its last event" in out.read_text()


def test_a_failing_cell_is_named_and_no_html_is_written(demo_db, tmp_path):
    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("db = None"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('boom in the report')"),
    ])
    book.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(book, tmp_path / "bad.ipynb")
    with pytest.raises(aa.ReportError, match=r"bad.ipynb: cell 3 failed: .*boom in the report"):
        aa.report(demo_db, tmp_path / "out" / "r.html", notebook=tmp_path / "bad.ipynb")
    assert not (tmp_path / "out" / "r.html").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["r.ipynb"]  # for reading the traceback
    result = CliRunner().invoke(cli, ["report", "--db", str(demo_db), "--out", str(tmp_path / "c.html"),
                                      "--notebook", str(tmp_path / "bad.ipynb")])
    assert result.exit_code == 5 and "cell 3 failed" in result.output


@pytest.mark.parametrize("name", ["activity_report", "anomalies", "explore"])
def test_every_notebook_runs_on_the_sample_without_errors(demo_db, name):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    params = next(c for c in book.cells if "parameters" in c.metadata.get("tags", []))
    assert "db =" in params.source  # one tagged parameters cell
    _inject(book, {"db": str(demo_db), **({"more": [str(SAMPLE_DIR)]} if name == "explore" else {})})
    NotebookClient(book, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert "from activity_analytics." not in code and "aa._" not in code  # public API only


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_report_renders_in_headless_chromium(html_report, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required (REQUIRE_CHROMIUM) but not installed")
        pytest.skip("no chromium: apt-get install chromium (CI installs it)")
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tempfile.mkdtemp()}", "--enable-logging=stderr", "--v=0",
         "--window-size=1200,2400", f"--screenshot={shot}", html_report.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.exists(), run.stderr[-2000:]
    assert "Uncaught" not in run.stderr  # no script error on the page
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.std() > 0.05  # not a blank page
    blue = ((pixels[..., 2] > 0.6) & (pixels[..., 0] < 0.2)).mean()  # people's blue bars
    orange = ((pixels[..., 0] > 0.8) & (pixels[..., 1] > 0.5) & (pixels[..., 2] < 0.2)).mean()
    assert blue > 0.002 and orange > 0.002  # the figures are there


def test_a_cell_past_its_timeout_is_a_report_error(demo_db, tmp_path):
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time; time.sleep(30)")])
    nbformat.write(book, tmp_path / "slow.ipynb")
    with pytest.raises(aa.ReportError, match="slow.ipynb: CellTimeoutError"):
        aa.report(demo_db, tmp_path / "r.html", notebook=tmp_path / "slow.ipynb", timeout=2)
    assert not (tmp_path / "r.html").exists()
