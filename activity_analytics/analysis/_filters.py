"""The filters every analysis takes, checked once, turned into macro arguments."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .._errors import InputError
from .._store import ACTOR_TYPES

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


def _aware(name: str, value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(f"{name} {value!r} is not an ISO date or timestamp") from exc
        if value.tzinfo is None:
            raise InputError(f"{name} {value.isoformat()!r} has no time zone: add Z or +00:00")
    if value.tzinfo is None:
        raise InputError(f"{name} must be timezone-aware (e.g. tzinfo=datetime.UTC)")
    return value


@dataclass(frozen=True)
class Filters:
    """Which events an analysis looks at. All optional; ``until`` is exclusive.

    ``since``/``until`` must be timezone-aware (datetimes, or ISO strings
    with an offset or ``Z``); ``actor_type`` is ``user``, ``agent`` or
    ``unknown`` after actor marks.
    """

    since: dt.datetime | str | None = None
    until: dt.datetime | str | None = None
    workspace: str | None = None
    action: str | None = None
    actor_type: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", _aware("since", self.since))
        object.__setattr__(self, "until", _aware("until", self.until))
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
