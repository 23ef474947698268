"""PraisonAI replay traces as a source: many small files, a group at a time.

A traces folder holds one file per run, often thousands of them, so files
are stored in groups (up to :data:`GROUP_FILES` files or
:data:`GROUP_BYTES`): DuckDB's JSON reader stages a whole group in one
statement. When anything in a group would be rejected, or a file cannot be
read that way, the group's files go the careful way one by one, with line
numbers for the rejects (``_core.store_traces``). Both ways end in the same
statements (:mod:`.._sql.traces`), each group or file in one transaction
with its ``loads`` row's counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ._files import Source

#: files per group on the fast path
GROUP_FILES = 2000
#: bytes per group on the fast path
GROUP_BYTES = 256 << 20


def groups(sources: list[Source]) -> Iterator[list[Source]]:
    """Consecutive trace files in groups bounded by count and size."""
    group: list[Source] = []
    size = 0
    for src in sources:
        n = src.size()
        if group and (len(group) >= GROUP_FILES or size + n > GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(src)
        size += n
    if group:
        yield group


def group_name(group: list[Source]) -> str:
    """What a group's ``loads`` row and summary line call it."""
    if len(group) == 1:
        return source_name(group[0])
    common = os.path.commonpath([os.path.abspath(s.name) for s in group])
    return f"{common} ({len(group)} trace files)"


def source_name(src: Source) -> str:
    """What ``agent_events.source`` and ``rejects.source`` call a trace file."""
    return src.name if src.name == "stdin" else os.path.abspath(src.name)
