"""A fast stand-in for the Platform's API: pages of a generated feed, served from memory.

``python -m bench.stub_server --events N --workspaces W --port P`` prints
``ready`` when it listens. Same paths, pagination and record shape as the
real server (newest first, limit/offset, no total), without its database.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from activity_analytics import SampleSpec, generate_events
from activity_analytics._sample import to_jsonl_lines


def build(events: int, workspaces: int) -> tuple[list[dict], dict[str, list[bytes]]]:
    spec = SampleSpec(seed=17, days=14, workspaces=workspaces, scale=events / (workspaces * 3_300))
    frame = generate_events(spec).head(events)
    feeds: dict[str, list[bytes]] = {}
    for (ws,), part in frame.group_by("workspace_id", maintain_order=True):
        part = part.sort("t_us", descending=True)
        feeds[ws] = [line.encode() for line in to_jsonl_lines(part).to_list()]
    listed = [{"id": ws, "name": f"Workspace {i}", "slug": f"ws-{i}"} for i, ws in enumerate(feeds)]
    return listed, feeds


def serve(port: int, listed: list[dict], feeds: dict[str, list[bytes]]) -> None:
    listed_body = json.dumps(listed).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, body: bytes, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            limit = int(query.get("limit", ["50"])[0])
            offset = int(query.get("offset", ["0"])[0])
            segments = parts.path.strip("/").split("/")  # api v1 workspaces [ws] [activity]
            if segments[2:] == ["workspaces"]:
                return self._send(listed_body if offset == 0 else b"[]")
            if len(segments) == 5 and segments[4] == "activity":
                feed = feeds.get(segments[3])
                if feed is None:
                    return self._send(b'{"detail": "forbidden"}', 403)
                return self._send(b"[" + b",".join(feed[offset: offset + limit]) + b"]")
            return self._send(b"[]")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--workspaces", type=int, default=4)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    listed, feeds = build(args.events, args.workspaces)
    print(f"{sum(len(f) for f in feeds.values())} events", file=sys.stderr, flush=True)
    serve(args.port, listed, feeds)


if __name__ == "__main__":
    main()
