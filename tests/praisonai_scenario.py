"""Run real PraisonAI agents offline and leave their own logs behind.

Runs inside a virtualenv with the pinned ``praisonaiagents`` and
``praisonai`` (see ``tests/conftest.py``), never in the test process:

    python praisonai_scenario.py OUT_DIR

An OpenAI-compatible stand-in on loopback answers every chat completion
with known token counts. Under ``praisonai.replay.record`` with the audit
log on, it runs:

* run ``solo``: one agent that calls a Python tool once, then answers;
* run ``team``: an AgentTeam of two agents, the second of which calls a tool
  that raises (which aborts the run);
* run ``direct``: ``Agent.execute_tool`` alone, twice (no LLM).

OUT_DIR gets ``traces/<run_id>.jsonl``, ``audit.jsonl`` and ``served.json``:
what the stand-in served, one entry per completion (model, prompt and
completion tokens, and the cost the library's price table gives them), for
the test to check our numbers against.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SERVED: list[dict] = []


class StandIn(BaseHTTPRequestHandler):
    """``POST /v1/chat/completions``, non-streaming; a tool call when the agent
    offers tools and has not called one yet, else an answer."""

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        messages = body.get("messages", [])
        tools = body.get("tools") or []
        called = any(m.get("role") == "tool" for m in messages)
        n = len(SERVED)
        prompt_tokens = 100 + 7 * len(messages) + n
        completion_tokens = 10 + 3 * n
        if tools and not called:
            name = tools[0]["function"]["name"]
            args = {"city": "Paris"} if "weather" in name else {"text": "boom"}
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{n}", "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)}}]}
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": f"answer {n}"}
            finish = "stop"
        SERVED.append({"model": body.get("model"), "prompt_tokens": prompt_tokens,
                       "completion_tokens": completion_tokens, "finish_reason": finish,
                       "tool": (message.get("tool_calls") or [{}])[0].get("function", {}).get("name")})
        out = json.dumps({
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def explode(text: str) -> str:
    """A tool that always fails."""
    raise RuntimeError(f"tool failed on {text}")


def main(out: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = out / "home"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update({
        "HOME": str(home), "PRAISONAI_TRACES_DIR": str(out / "traces"),
        "PRAISONAI_TELEMETRY_DISABLED": "true", "DO_NOT_TRACK": "true",
        "OTEL_SDK_DISABLED": "true", "OPENAI_API_KEY": "dummy",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_port}/v1",
    })
    from praisonai.replay import record
    from praisonai.security import enable_audit_log
    from praisonaiagents import Agent, AgentTeam, Task

    enable_audit_log(str(out / "audit.jsonl"))

    with record(run_id="solo"):
        agent = Agent(name="weather", instructions="Answer about the weather.",
                      llm="gpt-4o-mini", tools=[get_weather])
        agent.start("What is the weather in Paris?")

    with record(run_id="team"):
        writer = Agent(name="writer", instructions="Write a line.", llm="gpt-4o")
        breaker = Agent(name="breaker", instructions="Use the tool.", llm="gpt-4o-mini",
                        tools=[explode])
        team = AgentTeam(agents=[writer, breaker], tasks=[
            Task(description="Write one line.", expected_output="a line", agent=writer),
            Task(description="Call explode.", expected_output="text", agent=breaker),
        ])
        try:
            team.start()
        except Exception as exc:  # the raising tool aborts the team
            print(f"team: {type(exc).__name__}", file=sys.stderr)

    with record(run_id="direct"):
        agent = Agent(name="weather", instructions="x", llm="gpt-4o-mini",
                      tools=[get_weather])
        agent.execute_tool("get_weather", {"city": "Oslo"})
        agent.execute_tool("get_weather", {"city": "Rome"})

    from praisonaiagents.utils.cost_utils import calculate_llm_cost

    for served in SERVED:  # what the library's own price table makes of each completion
        served["cost_usd"] = calculate_llm_cost(served["prompt_tokens"], served["completion_tokens"],
                                                served["model"])
    (out / "served.json").write_text(json.dumps(SERVED, indent=1))
    server.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
