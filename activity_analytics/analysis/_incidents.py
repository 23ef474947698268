"""Counting what ``bursts`` reported: incidents, not rows, and first-seen notices apart."""

from __future__ import annotations

from typing import Any

from .._sql.incidents import NOTICE_KINDS


def count(found: Any) -> dict[str, int]:
    """Incidents, alarms and first-seen notices in a :func:`bursts` result (a
    DataFrame, or the rows the command line prints).

    >>> import polars as pl
    >>> found = pl.DataFrame({"kind": ["runaway_agent", "rapid_succession", "new_actor", "off_hours"],
    ...                       "incident": ["w@10:00", "w@10:00", None, "w@23:00"]})
    >>> count(found)
    {'incidents': 2, 'alarms': 3, 'notices': 1}
    """
    rows = found.select(["kind", "incident"]).rows()
    alarms = [incident for kind, incident in rows if kind not in NOTICE_KINDS]
    return {"incidents": len(set(alarms)), "alarms": len(alarms), "notices": len(rows) - len(alarms)}


def summary(found: Any) -> str:
    """One line: ``count(found)`` for people.

    >>> import polars as pl
    >>> summary(pl.DataFrame({"kind": ["new_actor"], "incident": [None]}, schema_overrides={"incident": pl.String}))
    '0 incidents (0 alarms); 1 first-seen notice'
    """
    n = count(found)

    def many(k: int, word: str) -> str:
        return f"{k} {word}{'' if k == 1 else 's'}"

    return (f"{many(n['incidents'], 'incident')} ({many(n['alarms'], 'alarm')}); "
            f"{many(n['notices'], 'first-seen notice')}")
