"""Converting a store's file to another DuckDB storage version: the statements
that copy it and the ones that check the copy against the original."""

from __future__ import annotations


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: the file's storage version (``v1.4.0+``) among the tags of an attached database
STORAGE_TAGS = "SELECT tags FROM duckdb_databases() WHERE database_name = ?"


def attach(path: str, alias: str, *, storage_version: str | None = None,
           read_only: bool = False) -> str:
    """``ATTACH`` the file ``path`` as ``alias`` (new files in ``storage_version``)."""
    options = [f"STORAGE_VERSION {_literal(storage_version)}"] if storage_version else []
    options += ["READ_ONLY"] if read_only else []
    return f"ATTACH {_literal(path)} AS {_ident(alias)}" + (f" ({', '.join(options)})" if options else "")


def copy_database(source: str, target: str) -> str:
    """Every table, view, macro and constraint of ``source`` into ``target``."""
    return f"COPY FROM DATABASE {_ident(source)} TO {_ident(target)}"


def detach(alias: str) -> str:
    return f"DETACH {_ident(alias)}"


#: what a copy must have as the original does, one row per object (parameter: the database)
CATALOG = """
SELECT 'table', table_name FROM duckdb_tables() WHERE database_name = $db
UNION ALL SELECT 'view', view_name FROM duckdb_views() WHERE database_name = $db AND NOT internal
UNION ALL SELECT 'macro', function_name FROM duckdb_functions()
          WHERE database_name = $db AND function_type LIKE '%macro'
UNION ALL SELECT 'constraint', table_name || ' ' || constraint_type || ' ' || constraint_text
          FROM duckdb_constraints() WHERE database_name = $db
ORDER BY ALL"""


def table_digest(database: str, table: str) -> str:
    """A table's row count and an order-free hash of its rows."""
    return f"SELECT count(*), bit_xor(hash(t)) FROM {_ident(database)}.main.{_ident(table)} AS t"
