"""Query results as the command line prints them, without loading Polars.

``activity-analytics actions`` (``actors``, ``status``, ``sql``) answers in
a fraction of a second on millions of events, and loading Polars and PyArrow
only to print a few rows cost more than the question (issue 36). So the
command line passes the store as :class:`ForPrinting`: the analyses, ``sql``
and ``status`` then fetch their result as :class:`Rows` (plain Python
values), and :func:`text` writes the very table ``str(DataFrame)`` writes
under ``_query.render``'s settings. Whatever it does not cover goes through
Polars as before, so the output is the same either way (the tests compare
the two): a column type outside :data:`TYPES` is fetched as a DataFrame in
the first place; text that is not printable ASCII, a table wider than
:data:`WIDTH`, or a ``POLARS_FMT_*`` setting in the environment make :func:`text`
return None and ``render`` converts the rows (:func:`to_polars`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import polars as pl

#: the table settings of ``_query.render`` (Polars' ``fmt_str_lengths`` and ``tbl_width_chars``)
STR_LEN, WIDTH = 60, 200
_ELLIPSIS = "…"

#: DuckDB column types :func:`text` prints, and the Polars type ``.pl()`` gives each
TYPES = {
    "VARCHAR": "String", "BOOLEAN": "Boolean", "DOUBLE": "Float64",
    "TINYINT": "Int8", "SMALLINT": "Int16", "INTEGER": "Int32", "BIGINT": "Int64", "HUGEINT": "Int128",
    "UTINYINT": "UInt8", "USMALLINT": "UInt16", "UINTEGER": "UInt32", "UBIGINT": "UInt64",
    "DATE": "Date", "TIMESTAMP": "Datetime", "TIMESTAMP WITH TIME ZONE": "Datetime",
}
_TIMES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE")
_EDGES = {dt.date.min, dt.date.max, dt.datetime.min, dt.datetime.max}  # how DuckDB hands over ±infinity


class ForPrinting(os.PathLike):
    """The store at ``path``, whose query results are wanted as :class:`Rows`,
    to be printed: what the command line passes instead of the path."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)

    def __fspath__(self) -> str:
        return self.path

    def __str__(self) -> str:  # in messages, the path as given
        return self.path

    def __repr__(self) -> str:
        return f"ForPrinting({self.path!r})"


class Rows:
    """A small query result: column names, DuckDB types and rows of Python
    values, with the few DataFrame methods the command line uses. (Not a
    dataclass: making one costs a millisecond of the command line's start.)"""

    __slots__ = ("columns", "data", "types")

    def __init__(self, columns: list[str], types: list[str], data: list[tuple[Any, ...]]) -> None:
        self.columns, self.types, self.data = columns, types, data

    def __repr__(self) -> str:
        return f"Rows({self.columns!r}, {self.height} rows)"

    @property
    def height(self) -> int:
        return len(self.data)

    @property
    def width(self) -> int:
        return len(self.columns)

    def select(self, columns: list[str]) -> Rows:
        at = [self.columns.index(c) for c in columns]
        return Rows(list(columns), [self.types[i] for i in at], [tuple(r[i] for i in at) for r in self.data])

    def head(self, n: int) -> Rows:
        return Rows(self.columns, self.types, self.data[:n])

    def rows(self) -> list[tuple[Any, ...]]:
        return list(self.data)

    def iter_rows(self, *, named: bool = False) -> Iterator[Any]:
        for row in self.data:
            yield dict(zip(self.columns, row, strict=True)) if named else row


def fetch(relation: duckdb.DuckDBPyRelation) -> Rows | pl.DataFrame:
    """The result of ``relation`` as :class:`Rows`; as ``.pl()`` gives it when
    a column's type is not one of :data:`TYPES`, or a name repeats, or a time
    is infinite, or in another time zone than UTC (which :func:`text` and
    :func:`to_polars` do not handle)."""
    columns, types = list(relation.columns), [str(t) for t in relation.types]
    if len(set(columns)) < len(columns) or any(t not in TYPES for t in types):
        return relation.pl()
    data = relation.fetchall()
    times = [i for i, t in enumerate(types) if t in _TIMES]
    if any(_odd_time(row[i]) for row in data for i in times):
        return relation.pl()
    return Rows(columns, types, data)


def _odd_time(value: dt.date | None) -> bool:
    """An infinite time (DuckDB hands it over as Python's extreme), or one in another zone than UTC."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and str(value.tzinfo) != "UTC":
            return True
        value = value.replace(tzinfo=None)
    return value in _EDGES


def to_polars(rows: Rows | pl.DataFrame) -> pl.DataFrame:
    """``rows`` as the DataFrame ``.pl()`` would have given (a DataFrame as it is)."""
    import polars as pl

    if not isinstance(rows, Rows):
        return rows
    schema = []
    for name, kind in zip(rows.columns, rows.types, strict=True):
        dtype = getattr(pl, TYPES[kind])
        if kind.startswith("TIMESTAMP"):
            dtype = pl.Datetime("us", "UTC" if kind.endswith("ZONE") else None)
        schema.append((name, dtype))
    return pl.DataFrame(rows.data, schema=schema, orient="row")


def text(rows: Rows, max_rows: int | None) -> str | None:
    """The table Polars prints for ``rows`` (``max_rows`` shown, half from
    each end, None for all), or None when it is beyond what this covers."""
    if not rows.columns or max_rows == 0 or any(k.startswith(("POLARS_FMT_", "POLARS_TABLE_")) for k in os.environ):
        return None
    data, cut_at = rows.data, None
    if max_rows is not None and len(data) > max_rows:
        cut_at = max_rows - max_rows // 2  # where a row of ellipses stands for the rest
        data = [*data[:cut_at], *data[len(data) - max_rows // 2:]]
    show = [_SHOW[t] for t in rows.types]
    cells = [rows.columns, *([f(v) if v is not None else "null" for f, v in zip(show, row, strict=True)]
                             for row in data)]
    if not all(rows.columns) or not all(c.isascii() and c.isprintable() for line in cells for c in line):
        return None  # Polars measures other text (and an empty name) by its own rules
    cells = [[_cut(c) for c in line] for line in cells]
    if cut_at is not None:
        cells.insert(1 + cut_at, [_ELLIPSIS] * len(show))
    widths = [max(len(line[i]) for line in cells) for i in range(len(show))]
    if sum(widths) + 3 * len(widths) + 1 > WIDTH:
        return None  # Polars wraps it

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def line(values: list[str]) -> str:
        return "│" + "┆".join(f" {v}{' ' * (w - len(v))} " for v, w in zip(values, widths, strict=True)) + "│"

    return "\n".join([rule("┌", "─", "┬", "┐"), line(cells[0]), rule("╞", "═", "╪", "╡"),
                      *map(line, cells[1:]), rule("└", "─", "┴", "┘")])


def _cut(value: str) -> str:
    return value if len(value) <= STR_LEN else value[:STR_LEN] + _ELLIPSIS


def _plain(v: float) -> str:
    """Rust's ``{}`` of a float: the shortest digits that read back (as
    Python's repr), never in exponent form, no ``.0`` on whole numbers."""
    r = repr(abs(v))
    sign = "-" if math.copysign(1.0, v) < 0 else ""
    if "e" not in r:
        return sign + r.removesuffix(".0")
    mantissa, exp = r.split("e")
    digits = mantissa.replace(".", "")
    point = (mantissa.index(".") if "." in mantissa else len(mantissa)) + int(exp)
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _exp(v: float, precision: int | None = None) -> str:
    """Rust's ``{:e}`` (shortest) or ``{:.Ne}`` of a float: ``1.2346e7``, ``1e-7``."""
    if precision is None:
        r = repr(abs(v))
        mantissa, _, exp = r.partition("e")
        digits = mantissa.replace(".", "").lstrip("0")
        point = (mantissa.index(".") if "." in mantissa else len(mantissa)) + int(exp or 0)
        shift = len(mantissa.replace(".", "")) - len(digits)  # leading zeros of 0.00x
        digits = digits.rstrip("0") or "0"
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return ("-" if v < 0 else "") + f"{mantissa}e{point - shift - 1}"
    mantissa, exp = f"{v:.{precision}e}".split("e")
    return f"{mantissa}e{int(exp)}"


def _float(v: float) -> str:
    """A float as Polars prints it in a table (its default, "mixed", format)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    whole = v == math.trunc(v)
    if whole and abs(v) < 999999.0:
        return f"{v:.1f}"
    if len(_plain(v)) > 9:
        if not 0.000001 <= abs(v) <= 999999.0:
            return _exp(v, 4)
        s = f"{v:.6f}"
        if s.endswith("0"):
            s = s.rstrip("0")
            s = s + "0" if s.endswith(".") else s
        return s
    return _exp(v) if whole else _plain(v)


def _time(v: dt.datetime | dt.time) -> str:
    us = v.microsecond
    fraction = "" if not us else f".{us // 1000:03d}" if us % 1000 == 0 else f".{us:06d}"
    return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}{fraction}"


def _date(v: dt.date) -> str:
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"


_SHOW = {
    **dict.fromkeys(TYPES, str),
    "BOOLEAN": lambda v: "true" if v else "false",
    "DOUBLE": _float,
    "DATE": _date,
    "TIMESTAMP": lambda v: f"{_date(v)} {_time(v)}",
    "TIMESTAMP WITH TIME ZONE": lambda v: f"{_date(v)} {_time(v)} UTC",
}
