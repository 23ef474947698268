"""The record rules' cheap forms decide as their plain forms would, on any value.

Blank (``trim(v) = ''``) and the timestamp (a date and a time, then TRY_CAST)
skip copying the values that cannot need it; what they decide must not move.
"""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa

from activity_analytics._sql import ingest as sql

PLAIN_TIMESTAMP = f"""CASE WHEN
    (length(v) BETWEEN 16 AND 35 AND substr(v, 5, 1) = '-' AND substr(v, 11, 1) IN ('T', ' ')
     AND (right(v, 1) BETWEEN '0' AND '9' OR right(v, 1) = 'Z'))
    OR regexp_full_match(v, '{sql.TIMESTAMP_RE}')
  THEN TRY_CAST(trim(v) AS TIMESTAMPTZ) END"""


def _differences(values: list[str], plain: str, cheap: str) -> list:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("vals", pa.table({"v": values}))
    return con.execute(f"SELECT v, {plain}, {cheap} FROM vals "
                       f"WHERE ({plain}) IS DISTINCT FROM ({cheap})").fetchall()


def test_blank_is_trim_to_nothing_for_every_character():
    con = duckdb.connect()
    singles = [r[0] for r in con.execute(
        "SELECT chr(c::INTEGER) FROM range(1, 1114112) t(c) WHERE c NOT BETWEEN 55296 AND 57343"
    ).fetchall()]
    spaces = [c for c in singles if not c.strip(" \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                                                "\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000")]
    values = ["", *singles, *(a + b for a in singles[:300] for b in [*spaces, "x", "\t"]),
              *(s + "x" + s for s in spaces), " \u3000\u00a0 "]
    assert _differences(values, "trim(v) = ''", sql._blank("v")) == []
    assert len(_differences(values, "false", sql._blank("v"))) == 1 + len(spaces) + 2 * len(spaces) + 1


def test_timestamp_takes_and_refuses_what_the_plain_rule_does():
    pieces = ["2026", "-", "11", "26", "T", " ", "10", ":", "00", ".", "123456", "Z", "z", "+", "02",
              "05:30", "0500", "\u3000", "\u00a0", "\t", "Etc/GMT0", " UTC", "x", "\u00e9", "9",
              "-0", "  ", "202", "24", "60", "\n"]
    bases = ["2026-11-26T10:00:00", "2026-11-26 10:00", "2026-11-26T10:00:00.123456Z",
             "2026-11-26T10:00:00+02:00", "2026-11-26T18:22:03-0500"]
    values = set(bases)
    for base in bases:
        for i in range(len(base) + 1):
            for piece in pieces:
                values |= {base[:i] + piece + base[i:], base[:i] + piece, piece + base[i:]}
    rng = random.Random(35)
    for _ in range(20_000):
        values.add("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
    values = sorted(values)
    assert _differences(values, PLAIN_TIMESTAMP, sql._timestamp("v")) == []
    taken = len(values) - len(_differences(values, "NULL::TIMESTAMPTZ", sql._timestamp("v")))
    assert 0 < taken < len(values)
