"""``python -m bench docs``: write docs/benchmarks.md and the README's headline
table from the figures in bench/out/*.json (never edited by hand).

Every benchmark saves its figures, with the machine it ran on, to
bench/out/NAME.json; this page shows each file whole, and the README the few
figures that have a target. Run it after any benchmark.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from ._common import OUT

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"
START, END = "<!-- figures:start (python -m bench docs) -->", "<!-- figures:end -->"


def _load() -> dict[str, dict]:
    out = {}
    for path in sorted(OUT.glob("*.json")):
        data = json.loads(path.read_text())
        data["_when"] = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d")
        out[path.stem] = data
    return out


def _largest(runs: dict[str, dict], prefix: str) -> tuple[str, dict] | None:
    """The run of the largest size among files named ``prefix-<n>``."""
    sized = [(int(m.group(1)), k) for k in runs if (m := re.fullmatch(rf"{prefix}-(\d+)", k))]
    if not sized:
        return None
    key = max(sized)[1]
    return key, runs[key]


def headline(runs: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(figure, target, measured, source) for the figures that have a target."""
    rows = []
    if found := _largest(runs, "ingest"):
        key, r = found
        rows.append((f"ingest of {r['ours']['events']:,} events vs DuckDB's bare `read_json` (same "
                     "storage version)", "at most 1.5x",
                     f"{r['ratio_ours_to_bare']}x ({r['ours']['peak_rss_mb']} MB peak RSS)", key))
        if "ratio_bad_records_to_bare" in r:
            rows.append((f"... the same file with {r['bad_records']} records that break a rule; peak "
                         "memory of that file, and of the careful road alone, vs the clean file's",
                         "at most 3x; 1.5x", f"{r['ratio_bad_records_to_bare']}x; "
                         f"{r['ratio_bad_records_peak_to_clean_peak']}x, "
                         f"{r['ratio_batch_path_peak_to_clean_peak']}x", key))
    if found := _largest(runs, "analyses"):
        key, r = found
        for name in ("actions", "actors", "bursts"):
            if name in r:
                target = "at most 1 s" if name == "bursts" else "at most 2 s"
                rows.append((f"`{name}` on {r['events']:,} events", target, f"{r[name]['seconds']} s", key))
    if found := _largest(runs, "sync-real"):
        key, r = found
        rows.append((f"sync of {r['events']:,} events from the real server vs a bare httpx loop",
                     "at most 1.1x", f"{r['ratio_ours_to_bare']}x", key))
        if "ratio_without_read_ahead_to_bare" in r:
            rows.append(("... the same sync without read-ahead", "(read-ahead stays if faster)",
                         f"{r['ratio_without_read_ahead_to_bare']}x", key))
    if found := _largest(runs, "sync-stub"):
        key, r = found
        per_ws = r["incremental_activity_requests_per_workspace"]
        rows.append((f"incremental sync over {r['events']:,} stored events, {r['workspaces']} workspaces",
                     "1 request per workspace", f"{max(per_ws)} (in {r['incremental_seconds']} s)", key))
        if "ratio_ours_to_before" in r:
            rows.append((f"sync of {r['events']:,} events from the stub vs the same sync before the one "
                         f"load stage ({r['before_rev']})", "at most 1.05x",
                         f"{r['ratio_ours_to_before']}x ({r['child_seconds']} s)", key))
    if "cli" in runs:
        r = runs["cli"]
        rows.append(("`activity-analytics --help` vs `python -c \"import duckdb\"`", "at most 1.5x",
                     f"{r['ratio_help_to_import_duckdb']}x ({r['seconds']['help']} s)", "cli"))
        if q := r.get("queries"):
            names = ("actions", "actors", "status", "sql")
            rows.append((f"`actions`; `actors`; `status`; `sql` from the CLI on {q['events']:,} events vs a "
                         "bare Python process running the same query", "at most 1.3x",
                         "; ".join(f"{q[n]['ratio']}x" for n in names) + " ("
                         + "; ".join(f"{q[n]['cli_s']} s vs {q[n]['bare_s']} s" for n in names) + ")", "cli"))
    if found := _largest(runs, "agents"):
        key, r = found
        rows.append((f"ingest of {r['ours']['events']:,} PraisonAI trace events ({r['input'].split(',')[0]}) "
                     "vs DuckDB's bare `read_json`", "at most 2x", f"{r['ratio_ours_to_bare']}x", key))
        rows.append((f"`agents` on {r['store_events']:,} agent events", "at most 2 s",
                     f"{r['analyses_seconds']['agents']} s", key))
    if found := _largest(runs, "storage"):
        key, r = found
        old, cost = min(r["ingest"]), r["cost_of_oldest"]
        rows.append((f"ingest of {r['ingest_events']:,} events into storage {old} (opens in DuckDB "
                     f"1.4+) vs DuckDB's bare `read_json`", "at most 2x",
                     f"{r['ingest'][old]['ratio_to_bare_same_version']}x", key))
        rows.append((f"cost of storage {old} over v2.0.0: ingest; `actions`; `bursts` "
                     f"({r['analyses_events']:,} events); file size", "at most 1.1x",
                     f"{cost['ingest']}x; {cost['actions']}x; {cost['bursts']}x; {cost['store_size']}x", key))
        rows.append((f"`actions`; `bursts` on {r['analyses_events']:,} events in storage {old} vs the "
                     "bare SQL of the same counts", "at most 2x (bursts)",
                     f"{r['analyses'][old]['actions_ratio_to_bare']}x; "
                     f"{r['analyses'][old]['bursts_ratio_to_bare']}x", key))
    if found := _largest(runs, "sharing"):
        key, r = found
        o, b = r["ours"], r["before"]
        rows.append((f"questions every second during a sync of {r['events']:,} events from the real "
                     "server: wait p50 / p95 / max; failed (before: failed)", "p95 at most 1 s, none failing",
                     f"{o['wait_p50_s']} / {o['wait_p95_s']} / {o['wait_max_s']} s; {o['failed']} of "
                     f"{o['questions']} (before: {b['failed']} of {b['questions']})", key))
        rows.append(("... that sync with short write windows vs the one-window sync before",
                     "at most 1.1x", f"{r['ratio_sync_to_before']}x", key))
    if found := _largest(runs, "backfill"):
        key, r = found
        b, sec = r["backfill"], r["backfill"]["seconds"]
        rows.append((f"`ingest postgresql://` of {b['rows']:,} rows vs `psql` COPY TO STDOUT; vs a bare "
                     "ADBC read into Arrow; vs a bare ADBC read into a DuckDB table", "at most 3x; 1.5x; -",
                     f"{b['ratio_to_psql_copy']}x; {b['ratio_to_bare_adbc_arrow']}x; "
                     f"{b['ratio_to_bare_adbc_duckdb']}x ({sec['ours']} s)", key))
        inc = r["increment"]
        rows.append((f"then {inc['new_rows']:,} new rows: database ingest; API sync after it (activity "
                     "pages per workspace)", "at most 2 requests",
                     f"{inc['ingest_seconds']} s; {inc['sync_after_seconds']} s "
                     f"({max(inc['sync_after_activity_pages'].values())} page)", key))
        growth = {(g["backend"], g["rows"]): g for g in r.get("growth", [])}
        if growth:
            big = max(n for _, n in growth)
            cells = "; ".join(f"{backend}: {g['api_sync_seconds']} s vs {g['database_ingest_seconds']} s"
                              for (backend, n), g in sorted(growth.items()) if n == big)
            rows.append((f"full API sync vs database ingest of {big:,} rows (server on each backend)",
                         "(information)", cells, key))
    for real in sorted(k for k in runs if k.startswith("bursts-real")):  # (--out: a second set)
        repos = runs[real]["repositories"]
        held = {n: r for n, r in repos.items() if r.get("held_out")}
        seen = {n: r for n, r in repos.items() if not r.get("held_out")}
        def per_100(group: dict) -> str:  # alarms (incidents, where the run counted them)
            return "; ".join(f"{r['alarms_per_100_actor_weeks']}"
                             + (f" ({r['incidents_per_100_actor_weeks']})" if "incidents_per_100_actor_weeks" in r else "")
                             for r in group.values())

        looked = f" and looked at ({', '.join(seen)})" if seen else ""
        rows.append((f"bursts on git histories held out ({', '.join(held)}){looked}: alarms (incidents) per 100 "
                     "active actor-weeks after 4 weeks", "at most 1 (held out)",
                     per_100(held) + (f" (looked at: {per_100(seen)})" if seen else ""), real))
        injected = [r["injected"] for r in held.values() if r.get("injected")]
        if injected:
            worst, kind = _worst(injected, "recall_by_kind")
            anyk = _worst(injected, "recall_any_kind")
            rows.append(("the held-out histories with anomalies injected: lowest recall of a kind; F1 "
                         "(lowest, without the real first-seen ids)", "at least 0.9; 0.95",
                         f"{worst:.2f} ({kind}); {anyk[0]:.2f} ({anyk[1]}) counting another kind of the actor's; "
                         f"{min(i['f1_injected_only'] for i in injected):.2f}", real))
    for key, what in (("bursts-causal", "families"), ("bursts-causal-real", "repositories")):
        if key in runs:  # issue 34, item 1: a later event changes no earlier verdict
            r = runs[key]
            names = [x.get("family") or x.get("repository") for x in r[what]]
            alike = sum(x["ended_before_cut_alike"] + x["final_at_cut_alike"] for x in r[what])
            until = sum(x["until_alike"] for x in r[what])
            cuts = sum(x["cuts"] for x in r[what])
            rows.append((f"bursts cut at random times, judged, the rest appended: verdicts before the cut alike "
                         f"({len(names)} {what}{': ' + ', '.join(names) if what == 'repositories' else ''})",
                         "all", f"{alike} of {r['compared']}; `--until` the cut: {until} of {cuts}", key))
    found = _largest(runs, "bursts-speed")
    if found:
        key, r = found
        rows.append((f"`bursts` on {r['events']:,} events over {r['days']} days vs a bare count per actor "
                     "per 5 minutes", "at most 2x", f"{r['ratio']}x ({r['bursts_s']} s vs {r['bare_count_s']} s)",
                     key))
    if r := runs.get("bursts-kept"):
        rows.append((f"`bursts --keep --since 1d`, a daily cron run on {r['events']:,} events with verdicts kept, "
                     "vs a run that keeps nothing; its peak vs the same cron on the last 35 days",
                     "at most 0.1x; not growing", f"{r['daily_cron_vs_full']}x ({r['daily_cron_s']} s vs "
                     f"{r['full_s']} s); {r['cron_peak_vs_short_history']}x ({r['daily_cron_peak_mb']} MB)",
                     "bursts-kept"))
        if "big_one_pass_peak_mb" in r:
            same = "same verdicts" if r["big_steps_same_as_one_pass"] else "**verdicts differ**"
            rows.append((f"peak memory of a full run on {r['big_events']:,} events (read-only, judged in steps "
                         "of about 3M events); the first `--keep`; one pass, as before", "under 1.5 GB",
                         f"{r['big_full_peak_mb']} MB ({r['big_full_s']} s); {r['big_first_keep_peak_mb']} MB; "
                         f"{r['big_one_pass_peak_mb']} MB ({r['big_one_pass_s']} s, {same})", "bursts-kept"))
    if "bursts" in runs and "lowest_f1" in runs["bursts"].get("held_out", {}).get("bursts", {}):
        rows += _bursts_rows(runs["bursts"])
    return rows


def _bursts_rows(r: dict) -> list[tuple[str, str, str, str]]:
    """The bursts evaluation's figures (bench/bursts_eval.py): bursts beside both baselines."""
    rows = []
    if tuned := r.get("tuning"):
        b = tuned["bursts"]
        rows.append(("bursts on the tuning families: F1 (lowest family); false alarms per 100 actor-weeks "
                     "(highest)", "F1 >= 0.95; at most 1",
                     f"{b['lowest_f1']:.2f}; {b['highest_false_alarms_per_100_actor_weeks']}", "bursts"))
    held = r["held_out"]
    b, z, s = held["bursts"], held["seasonal_z"], held["spot"]

    rows.append(("bursts on held-out families: F1 (lowest family; without new_actor, which the baselines "
                 "cannot see); false alarms per 100 actor-weeks with nothing injected (highest)",
                 "F1 >= 0.95; at most 1",
                 f"{b['lowest_f1']:.2f} ({b['lowest_f1_without_new_actor']:.2f}); "
                 f"{b['highest_false_alarms_per_100_actor_weeks']} (seasonal z-score "
                 f"{z['lowest_f1_without_new_actor']:.2f}; {z['highest_false_alarms_per_100_actor_weeks']}; SPOT "
                 f"{s['lowest_f1_without_new_actor']:.2f}; {s['highest_false_alarms_per_100_actor_weeks']})", "bursts"))

    def runaways(m: dict) -> str:
        run = m["runaways"]
        return (f"{run['at_least_5x']['recall']}; {run['at_least_3x']['recall']} (lowest family "
                f"{m['lowest_runaway_recall_at_least_5x']}; {m['lowest_runaway_recall_at_least_3x']})")

    others = {k: v for k, v in b["worst_recall_by_kind"].items() if k != "runaway_agent"}
    kind = min(others, key=others.get)
    rows.append((f"bursts on held-out families: runaways at least 5x ({b['runaways']['at_least_5x']['runaways']}); "
                 f"at least 3x ({b['runaways']['at_least_3x']['runaways']}) the agent's largest comparable "
                 "stretch before them, recall; lowest recall of another kind in a family", "1.0; 0.9; 0.95",
                 f"{runaways(b)}; {others[kind]:.2f} ({kind}) (seasonal z-score {runaways(z)}; "
                 f"SPOT {runaways(s)})", "bursts"))
    return rows


def _worst(results: list[dict], key: str) -> tuple[float, str]:
    """The lowest recall of a kind over ``results`` (each with ``key``: recall per kind), and its kind."""
    worst = {k: min(r[key][k] for r in results if r[key][k] is not None) for k in results[0][key]
             if any(r[key][k] is not None for r in results)}
    kind = min(worst, key=worst.get)
    return worst[kind], kind


def _flat(value: object, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() if not str(k).startswith("_")
                for pair in _flat(v, f"{prefix}{k}.")]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [pair for i, v in enumerate(value) for pair in _flat(v, f"{prefix}{i}.")]
    return [(prefix.rstrip("."), json.dumps(value) if isinstance(value, list | bool | None) else str(value))]


def _table(rows: list[tuple[str, ...]], head: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def kept(runs: dict[str, dict]) -> tuple[list[tuple[str, ...]], dict[str, str]]:
    """The headline rows and sections of the current docs/benchmarks.md whose
    figures are not in bench/out (a machine that did not run that benchmark):
    kept as they were, so running one benchmark never erases the others."""
    if not DOCS.exists():
        return [], {}
    rows, sections = [], {}
    for chunk in DOCS.read_text().split("\n## ")[1:]:
        name, _, body = chunk.partition("\n")
        if name == "Headline figures":
            for line in body.splitlines():
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
                key = cells[3].split(" (")[0] if len(cells) == 4 else ""
                if key and key not in runs and key not in ("file", "---"):
                    kept_from = f"{key} (an earlier run: see its section)"
                    rows.append((*(c.replace("\\|", "|") for c in cells[:3]), kept_from))
        elif name not in runs:
            sections[name] = body.strip("\n")
    return rows, sections


def render(runs: dict[str, dict], old_rows: list, old_sections: dict[str, str]) -> str:
    parts = [
        "# Benchmarks",
        "",
        "Written by `python -m bench docs` from `bench/out/*.json`: do not edit by hand.",
        "Run the benchmarks with `./run bench` (all) or `./run bench NAME`, then this command.",
        "Each figure is measured against a baseline in the same run; none is asserted in tests.",
        "",
        "## Headline figures",
        "",
        _table(headline(runs) + old_rows, ("figure", "target", "measured", "file")),
    ]
    sections = {**old_sections, **{name: "\n".join([
        f"{data.get('benchmark', name)}; run {data['_when']} on {data.get('machine', 'an unrecorded machine')}.",
        "", _table([p for p in _flat(data) if p[0] not in ("machine", "benchmark")], ("figure", "value"))])
        for name, data in runs.items()}}
    for name in sorted(sections):
        parts += ["", f"## {name}", "", sections[name]]
    return "\n".join(parts) + "\n"


def update_readme(runs: dict[str, dict], old_rows: list, old_sections: dict[str, str]) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    machines = sorted({d.get("machine", "?") for d in runs.values()} | {
        m.group(1) for body in old_sections.values() if (m := re.search(r"; run \S+ on (.+)\.\n", body))})
    block = "\n".join([
        START,
        _table(headline(runs) + old_rows, ("figure", "target", "measured", "file")),
        "",
        f"Machine: {'; '.join(machines)}. All figures: [docs/benchmarks.md](docs/benchmarks.md).",
        END,
    ])
    head, rest = text.split(START, 1)
    README.write_text(head + block + rest.split(END, 1)[1])


def main(argv: list[str]) -> None:
    runs = _load()
    if not runs:
        raise SystemExit("no figures in bench/out: run ./run bench first")
    old_rows, old_sections = kept(runs)  # read before the page is written anew
    DOCS.write_text(render(runs, old_rows, old_sections))
    update_readme(runs, old_rows, old_sections)
    print(f"wrote {DOCS} and the README's figures from {len(runs)} file(s)")
