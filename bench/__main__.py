"""``python -m bench [NAME] [options]``: run one benchmark, or all of them."""

from __future__ import annotations

import sys

from . import (
    agents_bench,
    analyses_bench,
    backfill_bench,
    bursts_causal,
    bursts_eval,
    bursts_kept,
    bursts_real,
    bursts_speed,
    cli_bench,
    docs,
    ingest_bench,
    sharing_bench,
    spark_bench,
    storage_bench,
    sync_bench,
)

BENCHES = {
    "ingest": ingest_bench.main,
    "bursts": bursts_eval.main,
    "bursts_causal": bursts_causal.main,
    "analyses": analyses_bench.main,
    "sync": sync_bench.main,
    "spark": spark_bench.main,
    "cli": cli_bench.main,
    "agents": agents_bench.main,
    "storage": storage_bench.main,
    "sharing": sharing_bench.main,
    "backfill": backfill_bench.main,
    "bursts_speed": bursts_speed.main,
    "bursts_kept": bursts_kept.main,
}
#: benchmarks that need arguments (git directories): not run by a bare `./run bench`
WITH_ARGS = {"bursts_real": bursts_real.main}
#: not a benchmark: writes docs/benchmarks.md and the README's figures from bench/out
TOOLS = {"docs": docs.main}


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] in {**BENCHES, **WITH_ARGS, **TOOLS}:
        {**BENCHES, **WITH_ARGS, **TOOLS}[args[0]](args[1:])
    elif not args:
        for run in BENCHES.values():
            run([])
        docs.main([])
    else:
        sys.exit(f"usage: python -m bench [{'|'.join([*BENCHES, *WITH_ARGS, *TOOLS])}] [options]")


main()
