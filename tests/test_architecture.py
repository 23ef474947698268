"""The layout the README's ARCHITECTURE section promises, checked on the source:
no import cycles (lazy imports inside functions included), SQL text in ``_sql``
importing nothing from the rest of the package, one way of templating SQL,
no module over 500 lines, every module importable without the heavy libraries,
and the generated SQL pinned by golden files."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import activity_analytics

PACKAGE = Path(activity_analytics.__file__).parent
GOLDEN = Path(__file__).parent / "golden"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # `from pkg import module` imports the module
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_no_import_cycles_lazy_or_not():
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_sql_text_imports_nothing_from_the_rest_of_the_package():
    sql_modules = [n for n in GRAPH if n.startswith("activity_analytics._sql")]
    assert len(sql_modules) >= 5
    for name in sql_modules:
        assert {m for m in GRAPH[name] if not m.startswith("activity_analytics._sql")} == set(), name


def test_the_store_knows_nothing_of_the_analyses_or_ingest():
    assert {m for m in GRAPH["activity_analytics._store"]} <= {
        "activity_analytics._defaults", "activity_analytics._errors", "activity_analytics._sql",
        "activity_analytics._sql.macros", "activity_analytics._sql.storage",
        "activity_analytics._sql.schema", "activity_analytics._terms", "activity_analytics._jupyter",
        "activity_analytics._lazy"}


_INGEST = "activity_analytics.ingest."
#: ingest/'s layers (docs/architecture.md): a new module must take its place here
INGEST_LAYERS = {
    "vocabulary": {"_types"},  # what sources hand over and the load stage returns
    "sources": {"_files", "_database", "_api", "_walk", "_traces"},  # they only read
    "core": {"_core", "_spool"},  # the load stage: everything that writes
    "orchestrators": {"_load", "_sync", "_writer"},  # ingest and sync, on top
}


def test_ingest_is_sources_then_the_load_stage_then_orchestrators():
    layer = {_INGEST + m: name for name, members in INGEST_LAYERS.items() for m in members}
    assert {m for m in MODULES if m.startswith(_INGEST)} == set(layer)
    allowed = {"vocabulary": set(), "sources": {"vocabulary", "sources"},
               "core": {"vocabulary", "core"}, "orchestrators": set(INGEST_LAYERS)}
    crossing = sorted(f"{m} imports {dep}" for m in layer for dep in GRAPH[m]
                      if dep.startswith(_INGEST) and layer[dep] not in allowed[layer[m]])
    assert crossing == []
    # the package's own name space: its public names only
    assert GRAPH["activity_analytics.ingest"] <= {_INGEST + m for m in INGEST_LAYERS["orchestrators"]
                                                 | {"_api", "_types"}}


def test_sql_is_templated_one_way():
    """Builder functions and f-strings only: no str.format, no .replace of a
    placeholder on SQL text."""
    offenders = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            target, attr = node.func.value, node.func.attr
            if attr == "format" and not (isinstance(target, ast.Name) and target.id == "pl"):
                offenders.append(f"{name}:{node.lineno} .format")
            if (attr == "replace" and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str) and node.args[0].value.startswith("{")):
                offenders.append(f"{name}:{node.lineno} .replace of a placeholder")
    assert offenders == []


def test_no_module_over_500_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > 500}
    assert long == {}


#: libraries a module loads only when a function of it needs them (``_lazy.lazy_module``)
HEAVY = ("duckdb", "polars", "pyarrow", "numpy", "httpx", "matplotlib", "pydantic", "nbformat", "nbclient")
#: entry points, whose import runs something
ENTRY_POINTS = ("activity_analytics.__main__",)

# Imports every package module in one child process and names, for each request of
# a heavy library (an import statement, importlib.import_module: need() and
# lazy_module go through it), the module whose body was running and its line.
# Requests are seen even when the library is already loaded, so a module is
# caught whichever module loaded the library first.
_IMPORT_EVERY_MODULE = """
import builtins, importlib, json, pkgutil, sys

heavy, entry_points = (json.loads(a) for a in sys.argv[1:3])
before = sorted(m for m in heavy if m in sys.modules)
asked = []

def ours(frame):
    return frame.f_globals.get("__name__", "").partition(".")[0] == "activity_analytics"

def loaded():
    return {m for m in heavy if m in sys.modules}

def traced(real, name, *args):
    frame = sys._getframe(2)  # what asked: the package's code, or a library's own
    if name.partition(".")[0] not in heavy or not ours(frame):
        return real(name, *args)
    while frame is not None and not (frame.f_code.co_name == "<module>" and ours(frame)):
        frame = frame.f_back
    if frame is None:  # asked by a function called later, not while a module loads
        return real(name, *args)
    had = loaded()
    try:
        return real(name, *args)
    finally:  # the library asked for, and those it loaded in turn
        for lib in {name.partition(".")[0]} | (loaded() - had):
            asked.append([frame.f_globals["__name__"], frame.f_lineno, lib])

real_import, real_import_module = builtins.__import__, importlib.import_module

def traced_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level:
        return real_import(name, globals, locals, fromlist, level)
    return traced(real_import, name, globals, locals, fromlist, level)

def traced_import_module(name, package=None):
    return traced(real_import_module, name, package)

builtins.__import__, importlib.import_module = traced_import, traced_import_module
import activity_analytics
names = [m.name for m in pkgutil.walk_packages(activity_analytics.__path__, "activity_analytics.")]
for name in names:
    if name not in entry_points:
        importlib.import_module(name)
print(json.dumps({"modules": names, "asked": asked, "before": before, "loaded": sorted(loaded())}))
"""


def test_every_module_imports_without_the_heavy_libraries():
    """``import activity_analytics`` and ``activity-analytics --help`` stay quick
    when ``__init__`` imports its names statically: no module body imports DuckDB,
    Polars, PyArrow, NumPy, HTTP, matplotlib or notebook machinery."""
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_MODULE, *(json.dumps(x) for x in (HEAVY, ENTRY_POINTS))],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"activity_analytics._store", "activity_analytics.plots", "activity_analytics.analysis._spark"} <= set(
        found["modules"])
    assert found["before"] == []  # else the child cannot tell
    offenders = sorted({f"{module}:{line} loads {lib}" for module, line, lib in found["asked"]})
    assert offenders == [], "\n".join(offenders)
    # a library loaded with no module body to name (a thread, a hook) would hide here
    named = {lib for _, _, lib in found["asked"]}
    assert set(found["loaded"]) <= named


# ------------------------------------------------------------------ golden SQL


def _statements() -> dict[str, str]:
    from activity_analytics._sql import alerts, ingest, macros, schema, stages, traces

    out = {f"schema_v{i + 1}": sql for i, sql in enumerate(schema.MIGRATIONS)}
    out["events_view"] = schema.events_select()
    out["events_view_lake"] = schema.events_select("lake_activity", "lake_marks")
    for i, statement in enumerate(macros.statements(temporary=False)):
        out[f"macro_{i}_{statement.split()[4].split('(')[0]}"] = statement
    for name in ("SELECT_ACTIVITY", "SELECT_AUDIT", "FILE_INSERT", "PAGES_INSERT", "EXPAND_PAGES",
                 "COLLISIONS", "KNOWN", "COUNT_STAGE", "DEDUPE_STAGE", "INSERT_REJECTS",
                 "INSERT_CONFLICT_REJECTS", "INSERT_EARLY_REJECTS"):
        out[f"ingest_{name.lower()}"] = getattr(ingest, name)
    out["ingest_stage"] = ingest.stage("SELECT 1")
    out["ingest_insert_new_cand"] = ingest.insert_new("_cand")
    out["ingest_conflicts_stage"] = ingest.conflicts("_stage")
    out["ingest_count_loads_2"] = ingest.count_loads(2)
    out["alerts_new"], out["alerts_record"] = alerts.NEW, alerts.RECORD
    for name in ("STAGE_BATCH", "STAGE_FILES", "INSERT_REJECTS", "RUNS", "DELETE_REPLACED_ACTIVITY",
                 "DELETE_REPLACED_EVENTS", "NEW_EVENTS", "INSERT_EVENTS", "INSERT_ACTIVITY",
                 "AUDIT_PAIRS"):
        out[f"traces_{name.lower()}"] = getattr(traces, name)
    events = "(SELECT * FROM lake_events) AS e"
    out["spark_actions"] = stages.stage1("actions", stages.SPARK, events, every_us="3600000000",
                                         by_workspace="true")
    out["spark_actors"] = stages.stage1("actors", stages.SPARK, events, every_us="NULL",
                                        by_workspace="false", by_action="true")
    out["spark_bursts"] = stages.stage1("bursts", stages.SPARK, events, selected="true")
    return out


STATEMENTS = _statements()


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_generated_sql_matches_its_golden_file(name):
    """Regenerate after an intended change: UPDATE_GOLDEN=1 pytest tests/test_architecture.py"""
    path = GOLDEN / f"{name}.sql"
    text = STATEMENTS[name].strip() + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1"
    assert text == path.read_text()


def test_no_golden_file_is_left_over():
    assert {p.stem for p in GOLDEN.glob("*.sql")} == set(STATEMENTS)
