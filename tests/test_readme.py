"""The README's examples run: its shell, Python and SQL blocks, in order, in a
folder holding the bundled sample. A block that cannot run here says why in a
``<!-- not tested: ... -->`` comment right above it."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import activity_analytics as aa

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(?:<!--\s*(not tested[^>]*)-->\s*\n)?```(\w+)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, str | None]]:
    """(language, code, the reason it is not tested or None), in README order."""
    return [(lang, code, skip or None) for skip, lang, code in BLOCK.findall(README.read_text())]


def test_the_readme_is_a_guide_not_a_lab_notebook():
    assert len(README.read_text().splitlines()) <= 400
    for lang, _, skip in blocks():
        if skip is not None:
            assert len(skip.split(":", 1)[-1].strip()) > 10, f"a {lang} block is skipped without a reason"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "data" / "sample", tmp_path / "data" / "sample")
    shutil.copy(ROOT / "data" / "sample-actors.csv", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def _run_shell(code: str, cwd: Path) -> int:
    ran = 0
    for line in code.splitlines():
        args = shlex.split(line, comments=True)
        if not args:
            continue
        assert args[0] == "activity-analytics", f"not a command the test can run: {line}"
        proc = subprocess.run([sys.executable, "-m", "activity_analytics", *args[1:]], cwd=cwd,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{line}\n{proc.stdout}\n{proc.stderr}"
        assert proc.stderr.strip() == "" or "Traceback" not in proc.stderr
        ran += 1
    return ran


def test_every_example_in_the_readme_runs_on_the_sample(folder):
    namespace: dict = {}
    ran = {"sh": 0, "python": 0, "sql": 0}
    for lang, code, skip in blocks():
        if skip is not None or lang not in ran:
            continue
        if lang == "sh":
            ran["sh"] += _run_shell(code, folder)
        elif lang == "python":
            exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
            ran["python"] += 1
        else:
            for statement in filter(str.strip, code.split(";")):
                assert aa.sql(folder / "activity.duckdb", statement).height > 0, statement
                ran["sql"] += 1
    assert ran["sh"] >= 5 and ran["python"] >= 1 and ran["sql"] >= 2
    # what the recipes promise, checked on what they left behind
    assert namespace["result"].total.stored == 0  # the shell recipe stored the sample already
    assert namespace["bursts"].columns == ["workspace_id", "actor_id", "actor_type", "kind", "start", "end",
                                           "episode_start", "episode_end", "events", "expected", "busiest_before", "history_days", "score", "reason",
                                           "incident", "members"]
    marked = aa.sql(folder / "activity.duckdb", "SELECT count(*) AS n FROM actor_marks").item()
    in_csv = len((folder / "data" / "sample-actors.csv").read_text().splitlines()) - 1
    assert marked == in_csv + 1  # and the one the Python block marked
