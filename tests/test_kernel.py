"""At home in a notebook: a real Jupyter kernel (jupyter_client), driven cell by
cell, and the text a user sees under each cell: errors in the caller's own
terms, the kernel's own connection named, notebooks finding their store, a
waiting line that gives way to the answer, and ``%sql``'s edges."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import activity_analytics as aa

from .holders import hold

jupyter_client = pytest.importorskip("jupyter_client", reason="the notebooks extra")
pytestmark = pytest.mark.slow


class Kernel:
    """One live kernel; :meth:`run` executes a cell and returns what it showed."""

    def __init__(self, cwd: Path) -> None:
        self.km = jupyter_client.KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env={**_env(), "ACTIVITY_DB": ""})
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 60) -> dict:
        shown: dict[str, list] = {"stdout": [], "stderr": [], "html": [], "text": [], "errors": [],
                                  "updates": []}

        def hook(msg: dict) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                shown[content["name"]].append(content["text"])
            elif kind in ("display_data", "execute_result"):
                shown["html"].append(content["data"].get("text/html", ""))
                shown["text"].append(content["data"].get("text/plain", ""))
            elif kind == "update_display_data":
                shown["updates"].append(content["data"].get("text/html", ""))
            elif kind == "error":
                shown["errors"].append(content)

        reply = self.kc.execute_interactive(textwrap.dedent(code), output_hook=hook, timeout=timeout)
        shown["status"] = reply["content"]["status"]
        return shown

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ACTIVITY_")}


@pytest.fixture(scope="module")
def store(tmp_path_factory, sample_dir) -> Path:
    db = tmp_path_factory.mktemp("kernel") / "activity.duckdb"
    aa.demo(db, sample=sample_dir, progress=False)
    return db


@pytest.fixture
def kernel(tmp_path):
    k = Kernel(tmp_path)
    yield k
    k.close()


def test_the_kernels_own_connection_is_named_with_the_remedy(kernel, store):
    kernel.run(f"""
        import duckdb, activity_analytics as aa
        %load_ext activity_analytics.magic
        %sql_db {store}
        con = duckdb.connect({str(store)!r})
    """)
    magic = kernel.run("%sql SELECT count(*) AS n FROM events")
    said = "".join(magic["stderr"])
    assert "this Python process holds the store read-write through its own duckdb.connect" in said
    assert "con.close()" in said and "read_only=True" in said and "%sql opens the store per query" in said
    assert "different configuration" not in said and said.count("\n") == 1  # one line

    python = kernel.run(f"aa.actions({str(store)!r})")
    assert python["status"] == "error"
    (error,) = python["errors"]
    assert error["ename"] == "StoreError"
    assert len(error["traceback"]) == 1  # the message, not a traceback through the package
    assert "holds the store read-write" in error["traceback"][0]
    assert "aa.sql and %sql open the store per query" in error["traceback"][0]
    assert "different configuration" not in error["traceback"][0]

    kernel.run("con.close()")  # the remedy works
    after = kernel.run("%sql SELECT count(*) AS n FROM events")
    assert after["status"] == "ok" and not after["stderr"] and after["html"]


def test_python_is_told_argument_names_not_flags(kernel, store):
    shown = kernel.run(f"""
        import activity_analytics as aa
        aa.sync("http://127.0.0.1:9", {str(store)!r})
    """)
    (error,) = shown["errors"]
    text = error["traceback"][0]
    assert "token_file=" in text and "email=" in text
    assert "--token-file" not in text and "--email" not in text


def test_waiting_is_a_status_line_that_gives_way_to_the_answer(kernel, store):
    kernel.run("import activity_analytics as aa")
    holder = hold(store, 2.5)
    try:
        shown = kernel.run(f"aa.actions({str(store)!r}, lock_timeout=20)")
    finally:
        holder.wait(10)
    assert shown["status"] == "ok"
    assert not shown["stderr"]  # no red box
    waiting = [h for h in shown["html"] if "waiting for the store" in h]
    assert len(waiting) == 1 and "lock_timeout=" in waiting[0] and "--lock-timeout" not in waiting[0]
    assert shown["updates"] == [""]  # the line is taken away ...
    assert "issue.updated" in shown["html"][-1]  # ... and the answer stays


def test_the_magic_speaks_of_its_own_options(kernel, store):
    kernel.run(f"%load_ext activity_analytics.magic\n%sql_db {store}")
    holder = hold(store, 4)
    try:
        shown = kernel.run("%sql --lock-timeout 0.5 SELECT 1 AS one")
    finally:
        holder.wait(10)
    said = "".join(shown["stderr"])
    assert said.startswith("error: ") and "raise %sql --lock-timeout" in said
    assert "lock_timeout=" not in said.replace("%sql --lock-timeout", "")


def test_sql_magic_edges(kernel, store):
    kernel.run(f"%load_ext activity_analytics.magic\n%sql_db {store}")
    bare = kernel.run("%sql")
    assert "%sql QUERY runs one read-only query" in "".join(bare["stdout"])
    assert not bare["html"] and "shape: (0, 0)" not in "".join(bare["text"])

    both = kernel.run("%sql SELECT 1 AS a; SELECT 2 AS b")
    assert len(both["html"]) == 2  # each statement's result, in order
    assert ">a<" in both["html"][0] and ">b<" in both["html"][1]
    kept = kernel.run("df = %sql SELECT 1 AS a; SELECT 2 AS b\nprint(df.columns)")
    assert "['b']" in "".join(kept["stdout"])  # the last is the cell's value


def test_a_notebook_finds_its_store_or_says_how_to_make_one(kernel, store, tmp_path):
    missing = kernel.run("import activity_analytics as aa\ndb = aa.find_store(None)")
    (error,) = missing["errors"]
    line = error["traceback"][0]
    assert len(error["traceback"]) == 1
    for word in ("activity-analytics demo", "ingest", "sync", "set db"):
        assert word in line, line
    (tmp_path / "activity.duckdb").symlink_to(store)
    found = kernel.run("print(aa.find_store(None))")
    assert "".join(found["stdout"]).strip() == "activity.duckdb"


def test_an_empty_answer_says_why_without_changing_the_frame(kernel, store):
    shown = kernel.run(f"""
        import activity_analytics as aa
        frame = aa.actions({str(store)!r}, workspace="no-such-workspace")
        print(frame.height, frame.columns)
        frame
    """)
    assert "0 ['action', 'events', 'share', 'actors', 'issues']" in "".join(shown["stdout"])
    notes = [h for h in shown["html"] if "activity-analytics-note" in h]
    assert len(notes) == 1 and "no events in workspace &#x27;no-such-workspace&#x27;" in notes[0]
