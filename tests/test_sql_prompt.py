"""The SQL prompt at a real terminal (Ctrl-C cancels a statement or discards
what was typed, and the prompt goes on), and one statement versus several."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import activity_analytics as aa
from activity_analytics._errors import QueryError
from activity_analytics._query import sql_each, sql_prompt

CLI = Path(sys.executable).with_name("activity-analytics")
#: runs far longer than any timeout here (10^13 rows joined), unless cancelled
ENDLESS = ("SELECT count(*) AS n FROM range(100000000) a, range(100000) b "
           "WHERE a.range + b.range = 7;")
INGEST_WORDS = "interrupted: batches already committed"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    aa.migrate(path)
    return path


class Terminal:
    """``activity-analytics sql --db STORE`` on a pseudo-terminal; every wait has a timeout."""

    def __init__(self, store: Path) -> None:
        env = {**os.environ, "TERM": "dumb", "INPUTRC": "/dev/null", "ACTIVITY_DB": str(store)}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the pty is its controlling terminal, so ^C is SIGINT
            try:
                os.execve(str(CLI), [str(CLI), "sql", "--db", str(store)], env)
            finally:
                os._exit(127)
        self.output = ""

    def expect(self, text: str, *, after: int = 0, timeout: float = 30.0) -> int:
        """Read until ``text`` appears at or after offset ``after``; return where it ends."""
        deadline = time.monotonic() + timeout
        while (found := self.output.find(text, after)) < 0:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} did not appear in {timeout}s; output:\n{self.output}")
            if select.select([self.fd], [], [], min(left, 0.2))[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child has gone
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"{text!r}: the prompt ended; output:\n{self.output}")
                self.output += chunk.decode(errors="replace")
        return found + len(text)

    def type(self, text: str) -> int:
        """Send keys; return the output's length before them."""
        mark = len(self.output)
        os.write(self.fd, text.encode())
        return mark

    def exit_code(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with _suppress_os_error():
                while select.select([self.fd], [], [], 0.05)[0]:  # drain, so it can write
                    chunk = os.read(self.fd, 65536)
                    if not chunk:
                        break
                    self.output += chunk.decode(errors="replace")
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = 0
                return os.waitstatus_to_exitcode(status)
        raise AssertionError(f"the prompt did not exit in {timeout}s; output:\n{self.output}")

    def close(self) -> None:
        if self.pid:
            with _suppress_os_error():
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        os.close(self.fd)


class _suppress_os_error:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, OSError)


@pytest.fixture
def terminal(store):
    term = Terminal(store)
    try:
        term.expect("aa-sql> ")
        yield term
    finally:
        term.close()


def test_ctrl_c_cancels_the_running_statement_and_the_prompt_goes_on(terminal, store):
    mark = terminal.type(ENDLESS + "\r")
    terminal.expect("range + b.range = 7;", after=mark, timeout=10)  # echoed: it was read
    time.sleep(1.0)  # the statement has opened the store and runs
    assert "aa-sql> " not in terminal.output[mark:]  # still running: no prompt yet
    sent = time.monotonic()
    mark = terminal.type("\x03")
    end = terminal.expect("cancelled", after=mark, timeout=15)
    assert time.monotonic() - sent < 10  # interrupted, not finished
    terminal.expect("aa-sql> ", after=end, timeout=10)
    # the cancelled statement's connection is closed: a writer can open the store now
    duckdb.connect(str(store)).close()

    mark = terminal.type("SELECT 42 AS answer;\r")
    end = terminal.expect("answer", after=mark + len("SELECT 42 AS answer;"), timeout=15)
    terminal.expect("42", after=end, timeout=10)
    terminal.expect("aa-sql> ", after=end, timeout=10)
    assert "error" not in terminal.output[mark:]

    terminal.type("\x04")  # Ctrl-D at an empty prompt
    assert terminal.exit_code() == 0
    assert INGEST_WORDS not in terminal.output
    assert "Traceback" not in terminal.output


def test_ctrl_c_while_typing_discards_the_partial_statement(terminal):
    mark = terminal.type("SELECT 'leftover' AS partial,\r")
    end = terminal.expect("   ...> ", after=mark, timeout=10)  # a continuation line
    terminal.type("  1 AS more\r")
    end = terminal.expect("   ...> ", after=end, timeout=10)
    time.sleep(0.5)  # readline waits for keys (a SIGINT just before it does waits for the next key)
    mark = terminal.type("\x03")
    end = terminal.expect("aa-sql> ", after=mark, timeout=10)  # a fresh prompt, not "...>"
    assert "cancelled" not in terminal.output[mark:end]

    mark = terminal.type("SELECT 42 AS answer;\r")
    end = terminal.expect("answer", after=mark + len("SELECT 42 AS answer;"), timeout=15)
    terminal.expect("42", after=end, timeout=10)
    terminal.expect("aa-sql> ", after=end, timeout=10)
    shown = terminal.output[mark:]
    # had the partial text been kept, the statement would have failed or shown its columns
    assert "error" not in shown and "partial" not in shown and "leftover" not in shown

    terminal.type("\x04")
    assert terminal.exit_code() == 0
    assert INGEST_WORDS not in terminal.output


def test_statements_from_a_pipe_keep_their_exit_codes(store):
    script = "SELECT 1 AS first_col; SELECT 2 AS second_col;\nSELECT nope;\nSELECT 3 AS third_col;\n"
    ran = subprocess.run([str(CLI), "sql", "--db", str(store), "--format", "csv"], input=script,
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 2  # a statement failed; the others ran, each line's statements in turn
    before, error, after = ran.stdout.partition("error: query failed: ")
    assert (before, after.split("\n", 1)[1]) == ("first_col\n1\nsecond_col\n2\n", "third_col\n3\n")
    assert "nope" in after.split("\n", 1)[0]
    fine = subprocess.run([str(CLI), "sql", "--db", str(store), "--format", "csv"],
                          input="SELECT 5 AS x;\n", capture_output=True, text=True, timeout=60)
    assert (fine.returncode, fine.stdout) == (0, "x\n5\n")


def test_sql_prompt_shows_each_result_of_a_line(store):
    out = io.StringIO()
    failed = sql_prompt(store, lines=io.StringIO("SET threads = 1; SELECT 7 AS a; SELECT 'z' AS b;\n"),
                        out=out, fmt="csv")
    assert (failed, out.getvalue()) == (0, "a\n7\nb\nz\n")


def test_sql_refuses_several_statements(store):
    with pytest.raises(QueryError) as caught:
        aa.sql(store, "SELECT 1 AS a; SELECT 2 AS b")
    message = str(caught.value)
    assert "\n" not in message and "this has 2" in message and "--" not in message
    # a trailing ';' and comments are not statements
    assert aa.sql(store, "SELECT 1 AS a; -- done\n")["a"].to_list() == [1]


@pytest.mark.parametrize("query", ["", "   \n ", "-- nothing\n", "/* nothing */ ;"])
def test_no_statement_is_an_error(store, query):
    for run in (aa.sql, sql_each):
        with pytest.raises(QueryError, match="^no SQL statement given$"):
            run(store, query)


def test_sql_each_returns_each_result(store):
    first, second, nothing, fourth = sql_each(
        store,
        "SELECT 1 AS a, 'x' AS s; SELECT 2 AS b UNION ALL SELECT 3 ORDER BY b; SET threads = 1;\n"
        "SELECT $n * 10 AS c, current_setting('threads') AS threads",
        {"n": 4},
    )
    assert first.to_dicts() == [{"a": 1, "s": "x"}]
    assert second.to_dicts() == [{"b": 2}, {"b": 3}]
    assert nothing.shape == (0, 0)
    assert fourth.to_dicts() == [{"c": 40, "threads": 1}]  # one connection: the SET holds


def test_sql_each_is_read_only_and_stops_at_the_first_failure(store):
    with pytest.raises(QueryError, match="query failed"):
        sql_each(store, "SELECT 1; DELETE FROM activity; SELECT 2")
    with pytest.raises(QueryError, match="query failed"):
        sql_each(store, "SELEC nonsense; SELECT 1")
    assert aa.sql(store, "SELECT count(*) AS n FROM activity").item() == 0
