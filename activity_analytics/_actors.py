"""Tell agents from people beyond what the records say.

The Platform records every API caller as ``member``, agents that log in
included. Marks kept in ``actor_marks`` override the recorded type in the
``events`` view and so in every analysis.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._defaults import MARK_TYPES
from ._errors import InputError
from ._lazy import lazy_module
from ._store import DEFAULT_LOCK_TIMEOUT, connect, transaction

if TYPE_CHECKING:
    import polars as pl
else:
    pl = lazy_module("polars")


def _read_marks_csv(path: str | os.PathLike[str]) -> list[tuple[str, str, str | None, str | None]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "actor_id" not in reader.fieldnames:
                raise InputError(f"{path}: CSV needs an 'actor_id' column (and 'actor_type')")
            rows = []
            for line_no, row in enumerate(reader, start=2):
                kind = (row.get("actor_type") or "").strip().lower()
                if kind == "member":
                    kind = "user"
                if kind not in MARK_TYPES:
                    raise InputError(
                        f"{path}:{line_no}: actor_type must be 'agent' or 'user', got {kind!r}"
                    )
                actor_id = (row.get("actor_id") or "").strip()
                if not actor_id:
                    raise InputError(f"{path}:{line_no}: empty actor_id")
                rows.append((actor_id, kind, (row.get("note") or None),
                             (row.get("same_as") or "").strip() or None))
            return rows
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text") from exc


def mark_actors(
    db: str | os.PathLike[str],
    actor_ids: Iterable[str] = (),
    actor_type: str = "agent",
    *,
    csv_path: str | os.PathLike[str] | None = None,
    note: str | None = None,
    same_as: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> int:
    """Mark actor ids as ``agent`` or ``user``; return how many marks were written.

    ``csv_path`` names a CSV with columns ``actor_id``, ``actor_type`` and
    optional ``note`` (e.g. the agent's name) and ``same_as``. ``same_as``
    makes the marked ids count as that actor in every analysis: a PraisonAI
    agent's name and its Platform id are then one agent. A later mark
    replaces an earlier one.

    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "s.duckdb"
    >>> mark_actors(db, ["u-42"], "agent", note="nightly triage bot")
    1
    """
    actor_type = actor_type.lower()
    if actor_type not in MARK_TYPES:
        raise InputError(f"actor type must be 'agent' or 'user', got {actor_type!r}")
    if same_as is not None and not same_as.strip():
        raise InputError("same_as must be an actor id, not empty")
    rows = [(a, actor_type, note, same_as) for a in actor_ids]
    if csv_path is not None:
        rows.extend(_read_marks_csv(csv_path))
    if not rows:
        raise InputError("no actor ids given (name some, or pass a CSV)")
    now = dt.datetime.now(dt.UTC)
    with connect(db, read_only=False, lock_timeout=lock_timeout) as con:
        with transaction(con):
            con.executemany(
                "INSERT OR REPLACE INTO actor_marks (actor_id, actor_type, note, marked_at, same_as) "
                "VALUES (?, ?, ?, ?, ?)",
                [(a, k, n, now, same) for a, k, n, same in rows],
            )
    return len(rows)


def unmark_actors(
    db: str | os.PathLike[str],
    actor_ids: Iterable[str],
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> int:
    """Remove marks; the recorded actor type applies again. Returns marks removed."""
    ids = list(actor_ids)
    with connect(db, read_only=False, lock_timeout=lock_timeout) as con:
        (removed,) = con.execute(
            "SELECT count(*) FROM actor_marks WHERE list_contains(?, actor_id)", [ids]
        ).fetchall()[0]
        con.execute("DELETE FROM actor_marks WHERE list_contains(?, actor_id)", [ids])
    return removed


def list_actors(
    db: str | os.PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> pl.DataFrame:
    """Every actor with its event count, recorded and effective type, and mark.

    Columns: ``actor_id``, ``actor_type`` (effective, marks applied),
    ``recorded_types`` (as normalised from the records), ``marked``
    (the mark or null), ``note``, ``events``, ``first_seen``, ``last_seen``.
    """
    with connect(db, read_only=True, lock_timeout=lock_timeout) as con:
        return con.sql(
            """
            SELECT e.actor_id,
                   mode(e.actor_type) AS actor_type,
                   string_agg(DISTINCT e.actor_type_recorded, ',' ORDER BY e.actor_type_recorded)
                       AS recorded_types,
                   any_value(m.actor_type) AS marked,
                   any_value(m.note) AS note,
                   count(*) AS events,
                   min(e.created_at) AS first_seen,
                   max(e.created_at) AS last_seen
            FROM events AS e LEFT JOIN actor_marks AS m USING (actor_id)
            GROUP BY e.actor_id
            ORDER BY events DESC, e.actor_id
            """
        ).pl()
