"""The real PraisonAI Platform server, started for tests on a free loopback port.

It lives in its own virtual environment (``.venv-platform``, made by
``./run test``; or ``$PLATFORM_PYTHON``) with the pins it needs to start
(see ../shared/platform-notes.md). Each server gets a fresh SQLite file,
so a test can compare our store with the server's ``activity_logs`` table.
"""

from __future__ import annotations

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

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, python: Path, timeout: float = 60.0) -> PlatformServer:
        env = {
            **os.environ,
            "PLATFORM_ENV": "dev",
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.db_path}",
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

    def activity_logs(self) -> list[dict]:
        """The server's own table, read from its SQLite file."""
        con = sqlite3.connect(self.db_path)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute("SELECT * FROM activity_logs ORDER BY id")]
        finally:
            con.close()


@pytest.fixture
def platform(tmp_path):
    python = platform_python()
    if python is None:
        if os.environ.get("REQUIRE_PLATFORM"):
            pytest.fail("the real Platform server is required (REQUIRE_PLATFORM) but .venv-platform is missing")
        pytest.skip("no .venv-platform: run ./run test to install the real Platform server")
    server = PlatformServer(tmp_path / "platform.db").start(python)
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
