"""At home in Jupyter: a real JupyterLab, driven in headless Chromium (Playwright
with the system's Chromium, no browser download), runs the three notebooks to
the end: no error, figures rendered, tables and results shown as HTML,
progress bars ending full."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from activity_analytics._defaults import NOTEBOOKS

from .platform_server import free_port

pytestmark = pytest.mark.slow


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required (REQUIRE_CHROMIUM) but not installed")
        pytest.skip("no chromium: apt-get install chromium (CI installs it)")
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    pytest.importorskip("playwright", reason="pip install playwright (the dev extra)")
    chromium = _chromium()
    root = tmp_path_factory.mktemp("lab")
    # as an analyst does: the notebooks copied into an empty folder, beside a store
    # that `activity-analytics demo` made there (no repository, no ../data)
    shutil.copytree(NOTEBOOKS, root / "notebooks")
    demo = subprocess.run([str(Path(sys.executable).with_name("activity-analytics")), "demo"],
                          cwd=root / "notebooks", capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stderr
    assert (root / "notebooks" / "activity-demo.duckdb").is_file()
    token, port = uuid.uuid4().hex, free_port()
    # every cell in the page, not only those in view, so that all outputs can be read
    tracker = root / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(root / "runtime"), "JUPYTER_CONFIG_DIR": str(root / "config"),
           "JUPYTER_DATA_DIR": str(root / "jdata"), "JUPYTERLAB_SETTINGS_DIR": str(root / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--allow-root", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root / 'notebooks'}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/status", params={"token": token}, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield browser, url, token
        browser.close()
    server.terminate()
    server.wait(20)


def run_notebook(lab, name: str):
    """Open ``name`` in JupyterLab, run all its cells, wait for the last, return the page."""
    browser, url, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # a workspace of its own, so no notebook opened before is restored beside it
    page.goto(f"{url}/lab/workspaces/{uuid.uuid4().hex[:8]}/tree/{name}?token={token}&reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    # the status bar says "Python 3 (ipykernel) | Idle" once the kernel is up and connected
    page.wait_for_function("document.querySelector('#jp-main-statusbar')?.innerText.includes('| Idle')",
                           timeout=90_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    code_prompts = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt"
    page.wait_for_function(
        f"[...document.querySelectorAll('{code_prompts}')].every(p => /\\[\\d+\\]/.test(p.textContent))",
        timeout=180_000)
    return page


@pytest.mark.parametrize(("name", "figures", "tables"), [
    ("activity_report.ipynb", 5, 5), ("anomalies.ipynb", 1, 1), ("explore.ipynb", 0, 3)])
def test_each_notebook_runs_to_the_end_in_jupyterlab(lab, name, figures, tables):
    page = run_notebook(lab, name)
    outputs = page.locator(".jp-OutputArea-output")
    text = "\n".join(outputs.all_inner_texts())
    assert "Traceback" not in text and "Error" not in text, text[:2000]
    assert page.locator(".jp-OutputArea-output img").count() >= figures
    assert page.locator(".jp-OutputArea-output table").count() >= tables
    if name == "activity_report.ipynb":
        assert "shape: (" not in text  # tables for people, not DataFrame reprs
        assert "Period before" in text and re.search(r"\d+ incident\(s\) of \d+ alarm\(s\)", text)
        assert "First-seen notices" in text and "first-seen notices, not alarms" in text
    if name == "anomalies.ipynb":
        assert "no actor to drill into" not in text
    if name == "explore.ipynb":
        bars = page.locator(".widget-hprogress .progress-bar")
        assert bars.count() >= 4  # one per file of the sample, each full and green
        for i in range(bars.count()):
            assert "progress-bar-success" in (bars.nth(i).get_attribute("class") or "")
            assert "width: 100%" in (bars.nth(i).get_attribute("style") or "")
        assert "0 stored" in text and "duplicates" in text  # the IngestResult, in short
    page.close()
