"""The real PraisonAI Platform server, started for tests on a free loopback port.

It lives in its own virtual environment (``.venv-platform``, made by
``./run test``; or ``$PLATFORM_PYTHON``) with the pins it needs to start
(see ../shared/platform-notes.md). Each server gets a fresh SQLite file,
so a test can compare our store with the server's ``activity_logs`` table.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent


def platform_python() -> Path | None:
    given = os.environ.get("PLATFORM_PYTHON")
    candidate = Path(given) if given else REPO / ".venv-platform" / "bin" / "python"
    return candidate if candidate.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PlatformServer:
    db_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    #: (cluster, database) when the server runs on PostgreSQL (see tests/pg_server.py)
    postgres: tuple | None = None

    @property
    def database_url(self) -> str:
        if self.postgres is None:
            return f"sqlite+aiosqlite:///{self.db_path}"
        from tests.pg_server import PASSWORD

        cluster, database = self.postgres
        return f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:{cluster.port}/{database}"

    @property
    def database(self) -> str:
        """What ``ingest`` is given to read the server's own database."""
        if self.postgres is None:
            return str(self.db_path)
        cluster, database = self.postgres
        return cluster.url(database)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, python: Path, timeout: float = 60.0) -> PlatformServer:
        env = {
            **os.environ,
            "PLATFORM_ENV": "dev",
            "DATABASE_URL": self.database_url,
        }
        log = open(self.db_path.with_suffix(".log"), "wb")  # noqa: SIM115 - kept for the server's life
        self.process = subprocess.Popen(
            [str(python), "-m", "praisonai_platform", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"platform server exited: {self.db_path.with_suffix('.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("platform server did not answer /health in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    # -- seeding through the API, as a client would

    def register(self, name: str = "Ann") -> httpx.Client:
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        answer = httpx.post(
            f"{self.url}/api/v1/auth/register",
            json={"email": email, "password": "correct horse battery", "name": name},
        )
        answer.raise_for_status()
        token = answer.json()["token"]
        return httpx.Client(base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {token}"})

    ACTIVITY_COLUMNS = ("id", "workspace_id", "entity_type", "entity_id", "action", "actor_type",
                        "actor_id", "issue_id", "details", "created_at")

    def insert_activity(self, rows: list[tuple]) -> None:
        """Rows written straight into the server's table, as a service writes them:
        tuples of ``ACTIVITY_COLUMNS``, details as JSON text, created_at a naive UTC datetime."""
        if self.postgres is not None:
            from adbc_driver_postgresql import dbapi

            cluster, database = self.postgres
            marks = ", ".join(f"${i}" for i in range(1, 9)) + ", $9::json, $10::timestamptz"
            with dbapi.connect(cluster.socket_url(database)) as con, con.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO activity_logs ({', '.join(self.ACTIVITY_COLUMNS)}) VALUES ({marks})",
                    [(*r[:9], r[9].isoformat() + "+00:00") for r in rows])
                con.commit()
            return
        con = sqlite3.connect(self.db_path)
        with con:
            con.executemany(
                f"INSERT INTO activity_logs ({', '.join(self.ACTIVITY_COLUMNS)}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(*r[:9], r[9].strftime("%Y-%m-%d %H:%M:%S.%f")) for r in rows])
        con.close()

    def execute(self, statement: str) -> None:
        """One SQL statement on the server's database (no parameters)."""
        if self.postgres is not None:
            cluster, database = self.postgres
            cluster.sql(database, statement)
            return
        con = sqlite3.connect(self.db_path)
        with con:
            con.execute(statement)
        con.close()

    def activity_logs(self) -> list[dict]:
        """The server's own table, read from its database."""
        if self.postgres is not None:
            cluster, database = self.postgres
            columns = self.ACTIVITY_COLUMNS
            rows = cluster.sql(database, f"SELECT {', '.join(columns[:8])}, details::text, "
                                         "created_at FROM activity_logs ORDER BY id")
            return [{**dict(zip(columns, r, strict=True)),
                     "created_at": r[9].astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")}
                    for r in rows]
        con = sqlite3.connect(self.db_path)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute("SELECT * FROM activity_logs ORDER BY id")]
        finally:
            con.close()


def _python() -> Path:
    python = platform_python()
    if python is None:
        if os.environ.get("REQUIRE_PLATFORM"):
            pytest.fail("the real Platform server is required (REQUIRE_PLATFORM) but .venv-platform is missing")
        pytest.skip("no .venv-platform: run ./run test to install the real Platform server")
    return python


@pytest.fixture
def platform(tmp_path):
    server = PlatformServer(tmp_path / "platform.db").start(_python())
    yield server
    server.stop()


@pytest.fixture
def platform_pg(tmp_path, pg):
    """The real server on PostgreSQL (with asyncpg), as production runs it."""
    server = PlatformServer(tmp_path / "platform.db", postgres=pg).start(_python())
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def platform_any(request, tmp_path):
    """The real server on each backend in turn."""
    pg = request.getfixturevalue("pg") if request.param == "postgresql" else None
    server = PlatformServer(tmp_path / "platform.db", postgres=pg).start(_python())
    yield server
    server.stop()


def call(send, *args, **kwargs) -> httpx.Response:
    """The server answers 403/404/500 now and then right after a write (its own races,
    e.g. an issue not yet visible to the next request): retry."""
    for _ in range(10):
        response = send(*args, **kwargs)
        if response.status_code not in (403, 404, 500):
            return response.raise_for_status()
        time.sleep(0.1)
    return response.raise_for_status()
