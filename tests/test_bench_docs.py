"""``python -m bench docs`` keeps the figures of benchmarks this machine did not run."""

from __future__ import annotations

import json

from bench import docs


def test_docs_keep_the_figures_of_benchmarks_not_rerun(tmp_path, monkeypatch):
    out, page, readme = tmp_path / "out", tmp_path / "benchmarks.md", tmp_path / "README.md"
    out.mkdir()
    page.write_text(
        "# Benchmarks\n\n## Headline figures\n\n| figure | target | measured | file |\n|---|---|---|---|\n"
        "| sync a \\| b | at most 1.1x | 0.94x | sync-real-20000 |\n"
        "| cli start | at most 1.5x | 0.99x | cli |\n\n"
        "## cli\n\ncli; run 2026-11-01 on an old machine.\n\n| figure | value |\n|---|---|\n| x | 1 |\n\n"
        "## sync-real-20000\n\nsync; run 2026-11-02 on machine A.\n\n| figure | value |\n|---|---|\n| y | 2 |\n")
    readme.write_text(f"intro\n{docs.START}\nold\n{docs.END}\noutro\n")
    (out / "cli.json").write_text(json.dumps({
        "benchmark": "cli", "machine": "machine B", "ratio_help_to_import_duckdb": 0.5,
        "seconds": {"help": 0.1}}))
    monkeypatch.setattr(docs, "OUT", out)
    monkeypatch.setattr(docs, "DOCS", page)
    monkeypatch.setattr(docs, "README", readme)
    docs.main([])
    text = page.read_text()
    # kept as it was, marked as an earlier run
    assert "| sync a \\| b | at most 1.1x | 0.94x | sync-real-20000 (an earlier run: see its section) |" in text
    assert "0.99x" not in text and "0.5x (0.1 s)" in text  # the rerun replaces its own
    assert "sync; run 2026-11-02 on machine A." in text and "old machine" not in text
    assert text.count("## ") == 3
    docs.main([])  # running it again changes nothing
    assert page.read_text() == text
    block = readme.read_text()
    assert block.startswith("intro\n") and block.endswith("outro\n")
    assert "Machine: machine A; machine B." in block and "0.94x" in block


def _real(per_100: float) -> dict:
    """One repository's result as ``bench bursts_real`` records it, nothing injected."""
    return {"held_out": True, "injected": None, "events": 1200, "actors": 40, "agents": 2,
            "span": "2020-01-01 .. 2024-01-01", "active_actor_weeks": 500, "alarms_after_warm_up": 3,
            "alarms_per_100_actor_weeks": per_100, "incidents_per_100_actor_weeks": per_100,
            "alarms_by_kind": {"rapid_succession": 3}, "first_seen_notices": 38, "new_hour_notices": 0,
            "_top": [{"start": "2021-05-19 01:00", "actor": "sam", "kind": "rapid_succession", "score": 2.5,
                      "reason": "user sam: 15 events in 60 min"}]}


def test_a_second_set_of_real_histories_gets_its_own_page_and_headline_row():
    from bench import bursts_real

    first = {"machine": "m", "per_kind": 10, "out": bursts_real.NAME, "repositories": {}}
    second = {"machine": "m", "per_kind": 0, "out": "bursts-real-large",
              "repositories": {"a/one": _real(0.4), "b/two": _real(1.2)}}
    page = bursts_real._markdown(second)
    assert "`python -m bench bursts_real --out bursts-real-large`" in page
    assert bursts_real.BLIND_LOOK not in page and bursts_real.BLIND_LOOK in bursts_real._markdown(first)
    assert "Nothing was injected in this run" in page and "| precision |" not in page  # no empty table
    assert page.count("the 20 highest-scored alarms") == 2 and "user sam: 15 events in 60 min" in page
    rows = docs.headline({"bursts-real-large": second})
    assert [r[3] for r in rows] == ["bursts-real-large"]
    assert "0.4 (0.4); 1.2 (1.2)" in rows[0][2] and "a/one, b/two" in rows[0][0]
