"""The command line prints results without Polars (``_table``): the same text
as Polars, for every result it covers, and Polars' own for the rest."""

from __future__ import annotations

import datetime as dt
import math
import random
import struct

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activity_analytics import _table
from activity_analytics._query import render


def _polars(frame: pl.DataFrame, max_rows: int | None = 50) -> str:
    with pl.Config(tbl_rows=-1 if max_rows is None else max_rows, tbl_cols=-1,
                   fmt_str_lengths=_table.STR_LEN, tbl_width_chars=_table.WIDTH,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        return str(frame)


def _relation(con: duckdb.DuckDBPyConnection, query: str):
    con.execute("SET TimeZone = 'UTC'")
    return con.sql(query)


def test_floats_print_as_polars_prints_them():
    rnd = random.Random(36)
    values = [0.0, -0.0, 1.0, 0.706152, 1 / 3, 999999.0, 1e6, 1234567.0, 12345678.9, 1e-6, 9.99e-7, 1e-7,
              1e15, 1e300, 5e-324, 12.0000000001, 99999.99999999, 999999.5, 1.234e-5,
              1234450000.0, 1000.0078125, math.nan, math.inf, -math.inf]  # ties round half to even
    for _ in range(5000):
        values.append(struct.unpack("d", struct.pack("Q", rnd.getrandbits(64)))[0])
        values.append(rnd.uniform(-1, 1) * 10 ** rnd.randint(-12, 15))
        values.append(round(rnd.uniform(-1, 1) * 10 ** rnd.randint(0, 12), rnd.randint(0, 8)))
    shown = _polars(pl.DataFrame({"x": values}, schema={"x": pl.Float64}), None).splitlines()[3:-1]
    assert [line.strip("│ ") for line in shown] == [_table._float(v) for v in values]


names = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=70)
texts = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=70) | st.sampled_from(
    ["naïve", "日本語", "tab\there", "two\nlines", "…"])
COLUMNS = {  # DuckDB type -> values of it
    "VARCHAR": texts,
    "BIGINT": st.integers(-2**63, 2**63 - 1),
    "INTEGER": st.integers(-2**31, 2**31 - 1),
    "HUGEINT": st.integers(-2**100, 2**100),
    "UBIGINT": st.integers(0, 2**64 - 1),
    "DOUBLE": st.floats(allow_nan=True, allow_infinity=True),
    "BOOLEAN": st.booleans(),
    "DATE": st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
    "TIMESTAMP": st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)),
    "TIMESTAMP WITH TIME ZONE": st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30),
                                             timezones=st.just(dt.UTC)),
}


@st.composite
def results(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMNS)), min_size=1, max_size=6))
    # unique as DuckDB sees names: without regard to case ('0R00' and '0r00' are one column)
    columns = draw(st.lists(names, min_size=len(kinds), max_size=len(kinds), unique_by=str.casefold))
    height = draw(st.integers(0, 8))
    rows = [[draw(st.none() | COLUMNS[k]) for k in kinds] for _ in range(height)]
    return columns, kinds, rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results(), st.sampled_from([None, 3, 50]))
def test_any_result_prints_as_polars_prints_it(result, max_rows):
    columns, kinds, rows = result
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE TABLE t (" + ", ".join(f'"{c.replace(chr(34), chr(34) * 2)}" {k}'
                                                  for c, k in zip(columns, kinds, strict=True)) + ")")
        if rows:
            con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(kinds))})", rows)
        fetched = _table.fetch(_relation(con, "SELECT * FROM t"))
        expected = _relation(con, "SELECT * FROM t").pl()
    if isinstance(fetched, pl.DataFrame):  # a time at an edge (DuckDB's infinity): Polars' own
        assert fetched.equals(expected)
        return
    assert _table.to_polars(fetched).equals(expected)  # what render falls back to
    text = _table.text(fetched, max_rows)
    if text is not None:
        assert text == _polars(expected, max_rows)
    assert render(fetched, max_rows=max_rows) == render(expected, max_rows=max_rows)


def test_plain_ascii_within_the_width_is_printed_without_polars():
    rows = _table.Rows(["action", "events", "share", "first"],
                       ["VARCHAR", "BIGINT", "DOUBLE", "TIMESTAMP WITH TIME ZONE"],
                       [("issue.updated", 18343, 0.706152, dt.datetime(2026, 11, 2, 0, 20, 38, 662045, dt.UTC)),
                        ("x" * 61, None, 1e7, dt.datetime(2026, 11, 2, tzinfo=dt.UTC))])
    assert _table.text(rows, 50) == _polars(_table.to_polars(rows))
    assert _table.text(rows, 50).count("\n") == 5
    wide = _table.Rows([f"c{i}" for i in range(4)], ["VARCHAR"] * 4, [("y" * 60,) * 4])
    assert _table.text(wide, 50) is None  # 4 x 63 + 5 > 200: Polars wraps it


def test_other_types_and_infinite_times_are_fetched_by_polars():
    with duckdb.connect() as con:
        for query in ("SELECT 1.5::DECIMAL(4, 1) AS d", "SELECT [1, 2] AS l", "SELECT 1 AS a, 2 AS a",
                      "SELECT 'infinity'::TIMESTAMP AS t", "SELECT TIME '12:00' AS t"):
            assert isinstance(_table.fetch(_relation(con, query)), pl.DataFrame), query


def test_a_polars_setting_in_the_environment_is_left_to_polars(monkeypatch):
    rows = _table.Rows(["a"], ["BIGINT"], [(1,)])
    assert _table.text(rows, 50) is not None
    monkeypatch.setenv("POLARS_FMT_TABLE_FORMATTING", "ASCII_FULL")
    assert _table.text(rows, 50) is None
    assert "+" in render(rows)


@pytest.mark.parametrize("method", ["select", "head", "iter_rows"])
def test_rows_answer_what_the_command_line_asks_of_a_frame(method):
    rows = _table.Rows(["a", "b"], ["BIGINT", "VARCHAR"], [(1, "x"), (2, "y")])
    frame = _table.to_polars(rows)
    if method == "select":
        assert _table.to_polars(rows.select(["b", "a"])).equals(frame.select(["b", "a"]))
    elif method == "head":
        assert rows.head(1).rows() == frame.head(1).rows()
    else:
        assert list(rows.iter_rows(named=True)) == list(frame.iter_rows(named=True))
    assert (rows.height, rows.width, rows.columns) == (frame.height, frame.width, frame.columns)


# ------------------------------------------------------------------ the commands


@pytest.fixture(scope="module")
def sample_store(sample_dir, tmp_path_factory):
    import activity_analytics as aa

    db = tmp_path_factory.mktemp("table") / "s.duckdb"
    aa.ingest([sample_dir], db, progress=False)
    aa.mark_actors(db, [aa.sql(db, "SELECT min(actor_id) FROM events").item()], actor_type="agent")
    return db


QUERY = "SELECT action, count(*), min(created_at) AS first, avg(length(actor_id)) FROM events GROUP BY 1 ORDER BY 1"
COMMANDS = {  # the command, and the public function it wraps
    "actions": (["actions"], lambda aa, db: aa.actions(db)),
    "actions by day and workspace": (["actions", "--every", "1d", "--by-workspace"],
                                     lambda aa, db: aa.actions(db, every="1d", by_workspace=True)),
    "actors": (["actors", "--since", "2026-11-03"], lambda aa, db: aa.actors(db, since="2026-11-03")),
    "actors by action per week": (["actors", "--by-action", "--every", "1w"],
                                  lambda aa, db: aa.actors(db, by_action=True, every="1w")),
    "top actors": (["actors", "--top", "3"], lambda aa, db: aa.top_actors(db, n=3)),
    "sql": (["sql", QUERY, "--max-rows", "3"], lambda aa, db: aa.sql(db, QUERY)),
    "nothing": (["actions", "--action", "no.such"], lambda aa, db: aa.actions(db, action="no.such")),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_commands_print_what_polars_prints_for_their_function(sample_store, name):
    import activity_analytics as aa
    from click.testing import CliRunner

    from activity_analytics import cli

    args, function = COMMANDS[name]
    printed = CliRunner().invoke(cli.cli, [*args, "--db", str(sample_store)])
    assert printed.exit_code == 0, printed.output
    max_rows = int(args[-1]) if "--max-rows" in args else 50
    assert printed.stdout == render(function(aa, sample_store), max_rows=max_rows)


def test_status_prints_what_polars_prints(sample_store):
    from click.testing import CliRunner

    from activity_analytics import cli, status

    printed = CliRunner().invoke(cli.cli, ["status", "--db", str(sample_store)])
    assert printed.exit_code == 0 and printed.stdout == status(sample_store).to_text()


@pytest.mark.parametrize("args", [["actions"], ["actors"], ["status"], ["sql", "SELECT 1 AS one"]])
def test_small_questions_load_no_polars(sample_store, args):
    """bench/cli_bench.py measures these against a bare Python process."""
    import subprocess
    import sys

    code = ("import sys\nfrom activity_analytics.cli import main\n"
            f"try:\n    main({[*args, '--db', str(sample_store)]!r})\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('polars', 'pyarrow', 'numpy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "LOADED []"
