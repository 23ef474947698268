"""A real PostgreSQL server for tests: Debian's ``postgresql`` package (``.ci/run``
installs it), one cluster per test session in a temporary folder, a fresh
database per test.

TCP connections need a password (scram-sha-256), as a production server's do,
so the tests of libpq's conventions ($PGPASSWORD, ~/.pgpass, a wrong
password) are real; the tests' own setup goes through the Unix socket.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.platform_server import free_port

PASSWORD = "pg-test-secret-7f3a"


def bindir() -> Path | None:
    """The folder of initdb and postgres: Debian's, or on the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Cluster:
    root: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def socket_dir(self) -> str:
        return str(self.root)

    def start(self, bin_dir: Path) -> Cluster:
        data = self.root / "data"
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(pwfile, "postgres")
        subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                                  "--auth-host=scram-sha-256", "--auth-local=trust",
                                  f"--pwfile={pwfile}", "--no-sync"]),
                       check=True, capture_output=True)
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - kept for the server's life
        self.process = subprocess.Popen(
            _as_owner([str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port),
                       "-k", self.socket_dir, "-c", "listen_addresses=127.0.0.1",
                       "-c", "fsync=off", "-c", "synchronous_commit=off",
                       "-c", "full_page_writes=off"]),
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "server.log").read_text()[-2000:])
            if subprocess.run([str(bin_dir / "pg_isready"), "-h", self.socket_dir, "-p",
                               str(self.port)], capture_output=True).returncode == 0:
                return self
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not start in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def socket_url(self, database: str) -> str:
        """A URL for the tests' own setup: the Unix socket, no password needed."""
        return f"postgresql:///{database}?host={self.socket_dir}&port={self.port}&user=postgres"

    def url(self, database: str, user: str = "postgres") -> str:
        """The URL a user gives: TCP, no password in it."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, *statements: str) -> list[tuple]:
        """Run statements (the last one's rows are returned), through the socket."""
        from adbc_driver_postgresql import dbapi

        with dbapi.connect(self.socket_url(database), autocommit=True) as con, con.cursor() as cur:
            rows: list[tuple] = []
            for statement in statements:
                cur.execute(statement)
                try:
                    rows = [tuple(r) for r in cur.fetchall()]
                except Exception:  # noqa: BLE001 - a statement without rows
                    rows = []
            return rows

    def create_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        self.sql("postgres", f"CREATE DATABASE {name}")
        return name


@pytest.fixture(scope="session")
def pg_cluster():
    bin_dir = bindir()
    if bin_dir is None:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (REQUIRE_POSTGRES) but initdb was not found")
        pytest.skip("no PostgreSQL server (Debian's postgresql package): .ci/run installs it")
    root = Path(tempfile.mkdtemp(prefix="aa-pg-"))
    cluster = Cluster(root, free_port()).start(bin_dir)
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg(pg_cluster, monkeypatch):
    """A fresh database on the session's cluster, with $PGPASSWORD set as a user
    would set it. Yields (cluster, database name)."""
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    return pg_cluster, pg_cluster.create_database()
