"""The store opens in the DuckDB clients analysts have: 1.4 LTS, 1.5 and 2.x.

New stores are written in the oldest supported storage version; ``migrate``
converts an older-format or newer-format file safely. Each older client runs
in a small virtualenv made by ``./run test`` (``.venv-duckdb-<version>``) and
must give the same answers as the package's own DuckDB to every view and
``aa_*`` macro.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import activity_analytics as aa
from activity_analytics import _store
from activity_analytics._defaults import DEFAULT_STORAGE_VERSION, STORAGE_VERSIONS
from activity_analytics._sql.macros import MACROS
from activity_analytics.cli import cli

from . import client_queries

REPO = Path(__file__).resolve().parent.parent
OLD_CLIENTS = ("1.4.4", "1.5.6")  # as ./run's OLD_DUCKDB_VERSIONS
QUERY_SCRIPT = Path(client_queries.__file__)


def client_python(version: str) -> Path:
    python = REPO / f".venv-duckdb-{version}" / "bin" / "python"
    if not python.exists():
        if os.environ.get("REQUIRE_OLD_DUCKDB"):
            pytest.fail(f"DuckDB {version} is required (REQUIRE_OLD_DUCKDB) but {python} is missing")
        pytest.skip(f"no .venv-duckdb-{version}: run ./run test to install it")
    return python


def ask(python: Path | str, db: Path) -> dict:
    proc = subprocess.run([str(python), str(QUERY_SCRIPT), str(db)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def digest(db: Path) -> dict:
    """Every table's row count and content hash."""
    with _store.connect(db) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()]
        return {t: con.execute(f'SELECT count(*), bit_xor(hash(t)) FROM "{t}" AS t').fetchall()[0]
                for t in sorted(tables)}


def storage(db: Path) -> str:
    with _store.connect(db) as con:
        return _store.file_storage_version(con)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    """The bundled sample as the package stores it, agents marked (the demo's store)."""
    db = tmp_path_factory.mktemp("clients") / "activity.duckdb"
    aa.demo(db, progress=False)
    return db


def test_every_view_and_macro_is_asked(sample_store):
    asked = " ".join(client_queries.QUERIES.values())
    with _store.connect(sample_store) as con:
        views = [r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()"
        ).fetchall()]
    assert views, "the store has views"
    missing = [name for name in [*MACROS, *views] if f" {name}" not in asked]
    assert not missing, f"client_queries.QUERIES asks nothing of {missing}"


def test_new_stores_open_in_the_oldest_supported_client(sample_store):
    assert storage(sample_store) == DEFAULT_STORAGE_VERSION == STORAGE_VERSIONS[0]


@pytest.mark.parametrize("version", OLD_CLIENTS)
def test_an_older_client_gives_the_package_s_answers(sample_store, version):
    ours = ask(sys.executable, sample_store)
    theirs = ask(client_python(version), sample_store)
    assert theirs["version"] == version
    errors = {name: q["error"] for name, q in theirs["queries"].items() if "error" in q}
    assert not errors, f"DuckDB {version} failed: {errors}"
    assert not [q for q in ours["queries"].values() if "error" in q]
    for name, answer in ours["queries"].items():
        assert theirs["queries"][name] == answer, f"{name} differs in DuckDB {version}"
    # the comparison is worth something: the questions have answers
    assert len(ours["queries"]["aa_bursts"]["rows"]) >= 5
    assert len(ours["queries"]["aa_agents_model"]["rows"]) > 0
    # and they are the numbers the Python API gives
    assert len(theirs["queries"]["aa_bursts"]["rows"]) == aa.bursts(sample_store).height
    actions = aa.actions(sample_store)
    columns = theirs["queries"]["aa_actions"]["columns"]
    assert columns == actions.columns  # no bucket or workspace_id column it was not asked for
    assert theirs["queries"]["aa_agents_model"]["columns"][:3] == ["bucket", "agent", "model"]
    events = {row[columns.index("action")]: row[columns.index("events")]
              for row in theirs["queries"]["aa_actions"]["rows"]}
    assert events == dict(zip(actions["action"], actions["events"], strict=True))


def test_the_package_works_beside_an_analyst_s_own_connection(sample_store):
    """DuckDB refuses a second connection to a file with another config: the
    storage version is given only when a file is made, never on later opens."""
    own = duckdb.connect(str(sample_store), read_only=True)
    try:
        assert aa.actions(sample_store)["events"].sum() == own.execute(
            "SELECT count(*) FROM events").fetchall()[0][0]
    finally:
        own.close()


@pytest.mark.parametrize("version", OLD_CLIENTS)
def test_the_duckdb_cli_of_an_older_line_answers_every_question(sample_store, version):
    """The CLI analysts type SQL into (`duckdb -readonly activity.duckdb`), not only the library."""
    binary = client_python(version).parent / "duckdb"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: ./run test installs duckdb-cli=={version}")
    ours = ask(sys.executable, sample_store)["queries"]
    counts = " UNION ALL ".join(f"SELECT '{name}' AS q, count(*) AS n FROM ({query})"
                                for name, query in client_queries.QUERIES.items())
    proc = subprocess.run([str(binary), "-readonly", str(sample_store), "-csv", "-noheader", "-c",
                           f"SET TimeZone = 'UTC'; SELECT version(); {counts};"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert lines[0] == f"v{version}"
    answered = dict(line.split(",") for line in lines[1:])
    assert answered == {name: str(len(q["rows"])) for name, q in ours.items()}


@pytest.mark.parametrize("version", OLD_CLIENTS)
def test_a_store_kept_in_2_x_storage_does_not_open_in_an_older_client(tmp_path, monkeypatch, version):
    """What the setting is for, and why the default is the oldest: the 2.x format locks 1.x out."""
    monkeypatch.setenv("ACTIVITY_STORAGE_VERSION", "v2.0.0")
    db = tmp_path / "new.duckdb"
    aa.migrate(db)
    assert storage(db) == "v2.0.0"
    proc = subprocess.run([str(client_python(version)), "-c",
                           f"import duckdb; duckdb.connect({str(db)!r}, read_only=True)"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "newer version of DuckDB" in proc.stderr


def _v2_store(tmp_path: Path, monkeypatch, sample_store: Path) -> Path:
    """A copy of the sample store as the previous release wrote it: storage v2.0.0."""
    db = tmp_path / "old.duckdb"
    monkeypatch.setenv("ACTIVITY_STORAGE_VERSION", "v2.0.0")
    aa.demo(db, progress=False)
    monkeypatch.delenv("ACTIVITY_STORAGE_VERSION")
    assert storage(db) == "v2.0.0"
    return db


def test_migrate_converts_a_2_x_store_keeping_every_row(tmp_path, monkeypatch, sample_store):
    db = _v2_store(tmp_path, monkeypatch, sample_store)
    before = digest(db)
    assert before["activity"][0] > 20_000
    result = CliRunner().invoke(cli, ["migrate", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "storage v1.4.0 (opens in DuckDB 1.4 and later)" in result.output
    assert storage(db) == "v1.4.0"
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.duckdb"]  # no copy left behind
    # a second migrate is a no-op: the same file, not a new copy
    inode = db.stat().st_ino
    aa.migrate(db)
    assert db.stat().st_ino == inode
    # the setting raises it again, both ways through the one function
    assert aa.migrate(db, storage_version="v1.5.0") == _store.SCHEMA_VERSION
    assert storage(db) == "v1.5.0" and digest(db) == before
    with _store.connect(db) as con:  # macros and views came along
        assert con.execute("SELECT count(*) FROM aa_bursts()").fetchall()[0][0] >= 5


def test_a_conversion_that_fails_its_check_leaves_the_store_as_it_was(tmp_path, monkeypatch,
                                                                      sample_store):
    db = _v2_store(tmp_path, monkeypatch, sample_store)
    sha = hashlib.sha256(db.read_bytes()).hexdigest()

    def corrupted_copy(con, source, copy, path, target):
        raise aa.StoreError(f"{path}: conversion to storage {target} failed its check, the store "
                            "is unchanged: table activity differs in the copy")

    monkeypatch.setattr(_store, "_check_copy", corrupted_copy)
    with pytest.raises(aa.StoreError, match="store is unchanged"):
        aa.migrate(db)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == sha
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.duckdb"]


def test_the_check_catches_a_copy_that_lost_rows(tmp_path):
    """_check_copy itself: a copy missing one row, or one changed value, is refused."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'a.duckdb'}' AS a")
    con.execute(f"ATTACH '{tmp_path / 'b.duckdb'}' AS b (STORAGE_VERSION 'v1.4.0')")
    for name in ("a", "b"):
        con.execute(f"CREATE TABLE {name}.t AS SELECT range AS x FROM range(100)")
    _store._check_copy(con, "a", "b", "a.duckdb", "v1.4.0")  # equal: no error
    con.execute("UPDATE b.t SET x = 1000 WHERE x = 7")
    with pytest.raises(aa.StoreError, match="table t differs"):
        _store._check_copy(con, "a", "b", "a.duckdb", "v1.4.0")
    with pytest.raises(aa.StoreError, match="copy was written in storage v1.4.0"):
        _store._check_copy(con, "b", "b", "a.duckdb", "v1.5.0")


KILLED = textwrap.dedent(
    """
    import sys
    from activity_analytics import migrate
    migrate(sys.argv[1], storage_version="v1.4.0")
    print("done", flush=True)
    """
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_during_a_conversion_leaves_the_old_store_intact(tmp_path, monkeypatch, seed):
    db = tmp_path / "big.duckdb"
    monkeypatch.setenv("ACTIVITY_STORAGE_VERSION", "v2.0.0")
    aa.migrate(db)
    with _store.connect(db, read_only=False) as con:  # enough rows that the copy takes a while
        con.execute(
            "INSERT INTO activity SELECT 'id-' || range, 'ws-' || (range % 7), NULL, 'issue', "
            "'e-' || (range % 5000), 'user', 'member', 'a-' || (range % 300), 'issue.updated', "
            "'{\"fields\": {\"status\": \"done\"}}', NULL, TIMESTAMPTZ '2026-11-01 00:00:00+00' + "
            "to_seconds(range), 'bench', now() FROM range(3000000)")
    monkeypatch.delenv("ACTIVITY_STORAGE_VERSION")
    before = digest(db)
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(db)], stdout=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("big.duckdb.convert-*")):  # the copy has begun
        assert child.poll() is None, "the conversion ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(random.Random(seed).uniform(0, 0.8))
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert storage(db) == "v2.0.0"
    assert digest(db) == before
    aa.migrate(db)  # the next migrate completes it, and clears what the killed one left
    assert storage(db) == "v1.4.0"
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.duckdb"]
