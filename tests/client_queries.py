"""Ask a store every question a SQL user can, with whatever DuckDB runs this script.

Run as ``python client_queries.py STORE`` by the Python of an older DuckDB
client (``.venv-duckdb-*``) and by the package's own; prints one JSON object:
the client's version and, per query, its rows normalised so that two clients'
answers compare equal when they are the same numbers, or the error's text.
Imports nothing but DuckDB and the standard library: it runs where the
package is not installed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import sys

#: every view of the store and every ``aa_*`` macro, with the options that
#: change their SQL path (a test checks that every macro is here)
QUERIES = {
    "events": "SELECT * EXCLUDE (ingested_at) FROM events",
    "agent_runs": "SELECT * FROM agent_runs",
    "llm_calls": "SELECT * FROM llm_calls",
    "tool_calls": "SELECT * FROM tool_calls",
    "issue_names": "SELECT * FROM issue_names",
    "aa_events": "SELECT id FROM aa_events(atype := 'agent', since := TIMESTAMPTZ '2026-11-05 00:00:00+00')",
    "aa_actions": "SELECT * FROM aa_actions()",
    "aa_actions_every": "SELECT * FROM aa_actions(every := '1 day', by_workspace := true)",
    "aa_actors": "SELECT * FROM aa_actors(by_action := true)",
    "aa_actors_every": "SELECT * FROM aa_actors(every := '6 hours', by_workspace := true, "
                       "act := 'issue.updated')",
    "aa_top_actors": "SELECT * FROM aa_top_actors(n := 5)",
    "aa_timeline": "SELECT * FROM aa_timeline((SELECT min(issue_id) FROM activity))",
    "aa_bursts": "SELECT * FROM aa_bursts()",
    "aa_bursts_sensitive": "SELECT * FROM aa_bursts(sensitivity := 2, until := TIMESTAMPTZ '2026-11-16 00:00:00+00')",
    "aa_spend_bursts": "SELECT * FROM aa_spend_bursts()",
    "aa_bursts_alarms": "SELECT * FROM aa_bursts(kinds := 'alarms', since := TIMESTAMPTZ '2026-11-10 00:00:00+00')",
    "aa_bursts_judged": "SELECT * FROM aa_bursts_judged(sensitivity := 2)",
    "aa_bursts_reach": "SELECT aa_bursts_reach(NULL, NULL, 1.0) AS reach",
    "aa_bursts_keep": "SELECT kept, count(*) AS n, min(day) AS first_day, sum(events) AS events "
                      "FROM aa_bursts_keep(keep_to := TIMESTAMP '2026-11-15') GROUP BY ALL ORDER BY ALL",
    "aa_agents": "SELECT * FROM aa_agents()",
    "aa_agents_model": "SELECT * FROM aa_agents(per := 'model', every := '1 day')",
}


def normalise(value):
    """A value as JSON, equal across clients when it is the same value."""
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.9g}")
    if isinstance(value, decimal.Decimal):
        return normalise(float(value))
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    return value


def answers(path: str) -> dict:
    import duckdb

    con = duckdb.connect(path, read_only=True)
    con.execute("SET TimeZone = 'UTC'")  # as the package's connections: buckets are UTC days
    out = {"version": duckdb.__version__, "queries": {}}
    for name, query in QUERIES.items():
        try:
            cur = con.execute(query)
            columns = [d[0] for d in cur.description]
            rows = sorted((normalise(list(r)) for r in cur.fetchall()), key=json.dumps)
            out["queries"][name] = {"columns": columns, "rows": rows}
        except duckdb.Error as exc:
            out["queries"][name] = {"error": str(exc).splitlines()[0]}
    return out


if __name__ == "__main__":
    json.dump(answers(sys.argv[1]), sys.stdout)
