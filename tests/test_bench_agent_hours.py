"""The "agent at an hour it never runs" notice measured for issue 22's owner
(bench/agent_hours.py): one notice for a nightly job's batch at a new hour, none
for an agent that runs at any hour or for a batch an hour off its usual time."""

from __future__ import annotations

import datetime as dt
import json

import activity_analytics as aa
from bench import agent_hours

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _batch(actor: str, day: int, hour: int, n: int) -> list[dict]:
    return [{"id": f"{actor}-{day}-{hour}-{i}", "workspace_id": "ws", "actor_type": "agent", "actor_id": actor,
             "action": "issue.updated", "entity_type": "issue", "entity_id": "e", "details": {},
             "created_at": (T0 + dt.timedelta(days=day, hours=hour, seconds=20 * i)).isoformat()}
            for i in range(n)]


def test_a_batch_at_an_hour_a_nightly_job_never_runs_is_one_notice(tmp_path):
    rows = [r for d in range(10) for r in _batch("nightly", d, 2, 12)]
    rows += _batch("nightly", 8, 15, 10) + _batch("nightly", 8, 16, 10)   # two new hours: one notice
    rows += _batch("nightly", 9, 3, 12)                                   # an hour off its time: none
    rows += _batch("nightly", 9, 20, 7)                                   # under 8 events: none
    # an agent that runs at any hour: a new hour says nothing
    rows += [r for d in range(10) for h in (d * 5 % 24, (d * 5 + 11) % 24) for r in _batch("bursty", d, h, 10)]
    source = tmp_path / "events.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "store.duckdb"
    aa.ingest([source], db, progress=False)
    aa.mark_actors(db, ["nightly", "bursty"], "agent")
    notices = agent_hours.notices(db)
    assert notices.select("actor_id", "start", "end").rows() == [
        ("nightly", int((T0 + dt.timedelta(days=8, hours=15)).timestamp() * 1e6),
         int((T0 + dt.timedelta(days=8, hours=17)).timestamp() * 1e6))]
