"""The filters every analysis takes, checked once, turned into macro arguments."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .._errors import InputError
from .._store import ACTOR_TYPES
from .._time import When, parse_when

_EVERY = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$")
_UNITS = {"m": "minute", "min": "minute", "h": "hour", "d": "day", "w": "week"}


def parse_every(every: str | None) -> str | None:
    """``"1h"`` -> ``"1 hour"`` (a DuckDB interval); ``None`` stays ``None``.

    >>> parse_every("15m"), parse_every("1d"), parse_every("2w")
    ('15 minute', '1 day', '2 week')
    """
    if every is None:
        return None
    match = _EVERY.match(every)
    if not match or int(match.group(1)) == 0:
        raise InputError(f"bucket width {every!r}: use a number and m, h, d or w (e.g. 1h, 1d, 1w)")
    return f"{int(match.group(1))} {_UNITS[match.group(2)]}"


_MICROS = {"minute": 60_000_000, "hour": 3_600_000_000, "day": 86_400_000_000,
           "week": 604_800_000_000}


def every_us(interval: str) -> int:
    """A :func:`parse_every` interval in microseconds.

    >>> every_us(parse_every("15m")), every_us("1 day")
    (900000000, 86400000000)
    """
    count, unit = interval.split()
    return int(count) * _MICROS[unit]


@dataclass(frozen=True)
class Filters:
    """Which events an analysis looks at. All optional; ``until`` is exclusive.

    ``since``/``until`` take what people write (see ``_time``): a date
    (UTC midnight), a time (UTC unless it has an offset), a duration before
    now (``"7d"``), or a ``date``, ``datetime`` (naive = UTC) or
    ``timedelta``; ``actor_type`` is ``user``, ``agent`` or ``unknown``
    after actor marks.
    """

    since: When = None
    until: When = None
    workspace: str | None = None
    action: str | None = None
    actor_type: str | None = None

    def __post_init__(self) -> None:
        now = dt.datetime.now(dt.UTC)  # one now for both ends of a relative period
        object.__setattr__(self, "since", parse_when("since", self.since, now=now))
        object.__setattr__(self, "until", parse_when("until", self.until, now=now))
        if self.actor_type is not None and self.actor_type not in ACTOR_TYPES:
            raise InputError(f"actor_type must be one of {', '.join(ACTOR_TYPES)}, not {self.actor_type!r}")
        if self.since and self.until and self.since >= self.until:
            raise InputError("since must be before until")

    def macro_args(self) -> str:
        """Named arguments for the ``aa_*`` macros, as SQL with $parameters."""
        return "since := $since, until := $until, ws := $ws, act := $act, atype := $atype"

    def params(self) -> dict[str, object]:
        return {
            "since": self.since,
            "until": self.until,
            "ws": self.workspace,
            "act": self.action,
            "atype": self.actor_type,
        }
