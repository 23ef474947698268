"""Start-up of the command line: ``activity-analytics --help`` against
``python -c "import duckdb"``, each a fresh process, best of N, in the same run.
Target (issue 15): within 1.5x."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ._common import machine, save


def _best(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench cli")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    script = shutil.which("activity-analytics") or str(Path(sys.executable).with_name("activity-analytics"))
    commands = {
        "import_duckdb": [sys.executable, "-c", "import duckdb"],
        "help": [script, "--help"],
        "ingest_help": [script, "ingest", "--help"],
        "bursts_help": [script, "bursts", "--help"],
    }
    _best(commands["help"], 2)  # warm the file cache
    seconds = {name: round(_best(cmd, args.repeat), 3) for name, cmd in commands.items()}
    base = seconds["import_duckdb"]
    result = {"benchmark": "cli start-up", "machine": machine(), "repeat": args.repeat,
              "seconds": seconds,
              "ratio_help_to_import_duckdb": round(seconds["help"] / base, 2),
              "ratio_ingest_help_to_import_duckdb": round(seconds["ingest_help"] / base, 2),
              "ratio_bursts_help_to_import_duckdb": round(seconds["bursts_help"] / base, 2)}
    print(f"activity-analytics --help {seconds['help']} s vs import duckdb {base} s = "
          f"{result['ratio_help_to_import_duckdb']}x (ingest --help {result['ratio_ingest_help_to_import_duckdb']}x, "
          f"bursts --help {result['ratio_bursts_help_to_import_duckdb']}x)")
    save("cli", result)
    return result
