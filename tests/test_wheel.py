"""The installed wheel is the product: built from this checkout, installed into a
fresh virtualenv (without extras, then with ``[notebooks]``), and run from an
empty folder: ``demo``, ``report`` and a ``sync`` against the real server."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .platform_server import call, platform  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True)
    (built,) = out.glob("activity_analytics-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A fresh virtualenv with the wheel and its dependencies, no extras."""
    home = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
    pip = [str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    proc = subprocess.run([*pip, str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return home


def command(venv: Path, cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "activity-analytics"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "MPLBACKEND": "Agg", **(env or {})})


def test_the_wheel_ships_the_sample_and_the_notebooks(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("activity_analytics/_data/sample/activity.jsonl.gz", "activity_analytics/_data/sample/platform.db",
                   "activity_analytics/_data/sample-actors.csv", "activity_analytics/_notebooks/activity_report.ipynb",
                   "activity_analytics/_notebooks/anomalies.ipynb", "activity_analytics/_notebooks/explore.ipynb",
                   "activity_analytics/analysis/spark-log4j2.properties"):
        assert needed in names, needed
    traces = [n for n in names if n.startswith("activity_analytics/_data/sample/traces/")]
    assert len(traces) == len(list((ROOT / "data" / "sample" / "traces").iterdir())) > 100
    assert not any(n.startswith(("tests/", "bench/", "notebooks/", "data/")) for n in names)


def test_the_notebooks_an_analyst_opens_are_the_ones_the_package_runs():
    for link in (ROOT / "notebooks").glob("*.ipynb"):
        assert link.resolve() == (ROOT / "activity_analytics" / "_notebooks" / link.name).resolve(), link
    assert (ROOT / "data" / "sample").resolve() == (ROOT / "activity_analytics" / "_data" / "sample").resolve()


def test_without_extras_demo_and_sync_work_and_report_says_what_to_install(venv, tmp_path, platform):  # noqa: F811
    empty = tmp_path / "empty"
    empty.mkdir()
    demo = command(venv, empty, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "stored" in demo.stdout and (empty / "activity-demo.duckdb").exists()
    agents = command(venv, empty, "agents", "--db", "activity-demo.duckdb", "--format", "csv")
    assert agents.returncode == 0 and {"research-agent", "triage-agent"} <= {
        line.split(",")[0] for line in agents.stdout.splitlines()[1:]}
    assert "pip install 'activity-analytics[notebooks]'" in demo.stderr  # no report, and why
    report = command(venv, empty, "report", "--db", "activity-demo.duckdb", "--out", "r.html")
    assert report.returncode == 2
    assert report.stderr.strip() == ("error: the report needs the notebooks extra: "
                                     "pip install 'activity-analytics[notebooks]'")
    assert command(venv, empty, "export", "--db", "activity-demo.duckdb", "--lake", "lake").returncode == 0
    spark = command(venv, empty, "bursts", "--db", "activity-demo.duckdb", "--engine", "spark", "--lake", "lake")
    assert spark.returncode == 2 and "pip install 'activity-analytics[spark]'" in spark.stderr
    assert "Traceback" not in report.stderr + spark.stderr

    client = platform.register("Wheel")
    ws = call(client.post, "/workspaces/", json={"name": "Wheel"}).json()["id"]
    for i in range(3):
        call(client.post, f"/workspaces/{ws}/issues/", json={"title": f"from the wheel {i}"})
    token = client.headers["Authorization"].split()[1]
    sync = command(venv, empty, "sync", "--api", platform.url, "--db", "synced.duckdb", "--json",
                   env={"ACTIVITY_API_TOKEN": token})
    assert sync.returncode == 0, sync.stderr
    counted = command(venv, empty, "sql", "SELECT count(*) AS n FROM activity", "--db", "synced.duckdb",
                      "--format", "csv")
    assert counted.stdout.split() == ["n", str(len(platform.activity_logs()))]
    assert token not in sync.stdout + sync.stderr


def test_with_the_notebooks_extra_demo_and_report_write_html(venv, wheel, tmp_path):
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", f"{wheel}[notebooks]"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    demo = command(venv, empty, "demo")
    assert demo.returncode == 0, demo.stderr
    assert (empty / "activity-demo-report.html").exists()
    report = command(venv, empty, "report", "--db", "activity-demo.duckdb", "--out", "week.html",
                     "--since", "2026-11-09", "--until", "7d")
    assert report.returncode == 0, report.stderr
    html = (empty / "week.html").read_text()
    assert "<html" in html and "data:image/png;base64" in html
