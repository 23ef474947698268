"""The converter that turns a git history into Platform activity (bench/git_activity.py),
on a repository made here: real people and real bots, by their git identities."""

from __future__ import annotations

import os
import subprocess

import activity_analytics as aa
from bench import git_activity


def commit(repo, message: str, *, author: tuple[str, str], committer: tuple[str, str], at: str,
           committed: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
           "GIT_COMMITTER_NAME": committer[0], "GIT_COMMITTER_EMAIL": committer[1],
           "GIT_AUTHOR_DATE": at, "GIT_COMMITTER_DATE": committed or at}
    subprocess.run(["git", "-C", str(repo), "commit", "--allow-empty", "-q", "-m", message],
                   env=env, check=True)


def test_commits_become_events_by_their_authors_and_committers_bots_as_agents(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    ann = ("Ann", "1234+ann-gh@users.noreply.github.com")
    bob = ("Bob Smith", "Bob@Example.org")
    commit(repo, "first", author=ann, committer=ann, at="2026-01-05T09:00:00+01:00")
    commit(repo, "applied", author=ann, committer=bob, at="2026-01-05T10:00:00+01:00",
           committed="2026-01-06T08:30:00+00:00")
    commit(repo, "bump", author=("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
           committer=("GitHub", "noreply@github.com"), at="2026-01-07T03:00:00+00:00")
    events = git_activity.events(repo / ".git", "acme/repo")
    seen = [(e["action"], e["actor_id"], e["actor_type"], e["created_at"]) for e in events]
    assert seen == [
        ("commit.authored", "ann-gh", "member", "2026-01-05T08:00:00+00:00"),
        ("commit.authored", "ann-gh", "member", "2026-01-05T09:00:00+00:00"),
        ("commit.committed", "bob@example.org", "member", "2026-01-06T08:30:00+00:00"),
        ("commit.authored", "dependabot[bot]", "agent", "2026-01-07T03:00:00+00:00"),
        ("commit.committed", "github-web-flow", "agent", "2026-01-07T03:00:00+00:00"),
    ]
    assert len({e["id"] for e in events}) == 5 and {e["workspace_id"] for e in events} == {"acme/repo"}
    # what the package ingests, unchanged
    path = tmp_path / "acme.jsonl.gz"
    assert git_activity.write(repo / ".git", "acme/repo", path) == 5
    result = aa.ingest([path], tmp_path / "s.duckdb", progress=False)
    assert (result.total.stored, result.total.rejected) == (5, 0)
    types = dict(aa.sql(tmp_path / "s.duckdb", "SELECT actor_id, actor_type FROM events").rows())
    assert types["github-web-flow"] == "agent" and types["ann-gh"] == "user"


def test_known_automation_is_an_agent_whatever_its_address():
    from bench.git_activity import actor

    # github-actions commits as a plain address on fastapi/fastapi: it was counted as a person
    assert actor("github-actions", "github-actions@github.com") == ("github-actions@github.com", "agent")
    assert actor("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")[1] == "agent"
    assert actor("Ada Lovelace", "ada@example.org") == ("ada@example.org", "member")
