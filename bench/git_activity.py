"""Real activity nobody here designed: a git history turned into Platform activity.

A repository is a workspace; each commit is one ``commit.authored`` event by its
author at its author time, and one ``commit.committed`` event by its committer
at its commit time when someone (or something) else applied it: a maintainer
applying a patch, GitHub's web flow merging a pull request, a merge queue.
Bots are agents: an identity whose name or address says ``[bot]`` (dependabot,
renovate, pre-commit-ci, github-actions), GitHub's web flow
(``noreply@github.com``), and the names in :data:`BOT_NAMES`. A person is
known by their GitHub login where the address is GitHub's no-reply one, else by
their address.

Used by ``python -m bench bursts_real`` (issue 22: judge ``bursts`` on real
people and real bots). It reads a repository's git directory (a clone, or a
snapshot), so it needs nothing but ``git``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import subprocess
from pathlib import Path

#: identities that are automation whatever their address says
BOT_NAMES = frozenset({"github", "github actions", "github-actions", "renovate", "dependabot", "mergify",
                       "pre-commit-ci", "copybara-service", "bors", "homu", "k8s-ci-robot"})
_NOREPLY = re.compile(r"^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$", re.IGNORECASE)
_FIELDS = ("sha", "an", "ae", "at", "cn", "ce", "ct")
_FORMAT = "%x1f".join(("%H", "%an", "%ae", "%at", "%cn", "%ce", "%ct")) + "%x1e"


def actor(name: str, email: str) -> tuple[str, str]:
    """(actor id, ``agent`` or ``member``) of a git identity."""
    email = email.strip().lower()
    lowered = name.strip().lower()
    is_bot = ("[bot]" in lowered or "[bot]" in email or email == "noreply@github.com"
              or lowered in BOT_NAMES)
    login = _NOREPLY.match(email)
    ident = login.group(1) if login else (email or lowered)
    if email == "noreply@github.com":
        ident = "github-web-flow"
    return ident, "agent" if is_bot else "member"


def commits(git_dir: Path, ref: str = "HEAD") -> list[dict]:
    """The commits reachable from ``ref``, oldest first, as dicts of ``_FIELDS``."""
    out = subprocess.run(["git", f"--git-dir={git_dir}", "log", ref, f"--format={_FORMAT}"],
                         capture_output=True, check=True).stdout.decode("utf-8", "replace")
    rows = [dict(zip(_FIELDS, r.strip("\n").split("\x1f"), strict=True))
            for r in out.split("\x1e") if r.strip()]
    return rows[::-1]


def events(git_dir: Path, workspace: str, ref: str = "HEAD") -> list[dict]:
    """The Platform activity of a repository's history (see the module's docstring)."""
    out = []
    for c in commits(git_dir, ref):
        author, author_type = actor(c["an"], c["ae"])
        out.append(_event(workspace, c["sha"], "a", "commit.authored", author, author_type, int(c["at"])))
        committer, committer_type = actor(c["cn"], c["ce"])
        if committer != author:
            out.append(_event(workspace, c["sha"], "c", "commit.committed", committer, committer_type,
                              int(c["ct"])))
    return out


def _event(workspace: str, sha: str, suffix: str, action: str, actor_id: str, actor_type: str,
           epoch: int) -> dict:
    when = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return {"id": f"{workspace}:{sha}:{suffix}", "workspace_id": workspace, "entity_type": "commit",
            "entity_id": sha, "issue_id": None, "actor_type": actor_type, "actor_id": actor_id,
            "action": action, "details": {}, "created_at": when.isoformat()}


def write(git_dir: Path, workspace: str, out: Path) -> int:
    """The repository's activity as gzipped JSON lines at ``out``; returns the count."""
    rows = events(git_dir, workspace)
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return len(rows)
