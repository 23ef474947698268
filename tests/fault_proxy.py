"""A loopback HTTP proxy that injects faults between the client and the real server.

Each request is forwarded to the server, unless a seeded coin says to answer
instead with one of: 500/502/503, 429 with ``Retry-After``, a stall longer
than the client's timeout, a dropped connection, or a truncated body.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

FAULTS = ("5xx", "429", "stall", "drop", "truncate")


class FaultProxy:
    def __init__(self, upstream: str, *, seed: int, rate: float, stall: float = 1.5):
        self.upstream = upstream.rstrip("/")
        self.random = random.Random(seed)
        self.rate = rate
        self.stall = stall
        self.injected: dict[str, int] = dict.fromkeys(FAULTS, 0)
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=self.upstream, timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy._pick()
                if fault == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if fault == "stall":
                    time.sleep(proxy.stall)
                if fault in ("5xx", "429"):
                    status = 429 if fault == "429" else proxy.random.choice((500, 502, 503))
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("authorization", "content-type", "accept")}
                upstream = proxy._client.request(self.command, self.path, headers=headers, content=body)
                payload = upstream.content
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", upstream.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if fault == "truncate" and len(payload) > 2:
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _pick(self) -> str | None:
        with self._lock:
            if self.random.random() >= self.rate:
                return None
            fault = self.random.choice(FAULTS)
            self.injected[fault] += 1
            return fault

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._client.close()
