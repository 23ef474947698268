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
