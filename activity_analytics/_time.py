"""Times as people write them, the same for the CLI, the Python functions, the
report and the notebooks' parameters.

A date is UTC midnight; a time without an offset is UTC (as in ingest); a
duration (``90m``, ``36h``, ``7d``, ``2w``) means that long before now. From
Python also ``datetime.date``, ``datetime.datetime`` (naive = UTC) and
``datetime.timedelta`` (before now).
"""

from __future__ import annotations

import datetime as dt
import re

from ._errors import InputError

#: what :func:`parse_when` accepts, for help texts and error messages
FORMS = ("a date (2026-11-20, UTC midnight), a time (2026-11-20T08:30, UTC unless it ends "
         "in Z or an offset) or a duration before now (90m, 36h, 7d, 2w)")

_DURATION = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_UNIT = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

When = dt.datetime | dt.date | dt.timedelta | str | None


def parse_when(name: str, value: When, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """``value`` as an aware UTC datetime (None stays None); ``name`` is for the error.

    >>> now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    >>> parse_when("since", "2026-11-20").isoformat()
    '2026-11-20T00:00:00+00:00'
    >>> parse_when("since", "2026-11-20 08:30").isoformat()
    '2026-11-20T08:30:00+00:00'
    >>> parse_when("since", "2026-11-20T10:30+02:00").isoformat()
    '2026-11-20T08:30:00+00:00'
    >>> parse_when("since", "36h", now=now).isoformat()
    '2026-11-26T00:00:00+00:00'
    >>> parse_when("until", dt.timedelta(days=7), now=now).isoformat()
    '2026-11-20T12:00:00+00:00'
    >>> parse_when("since", "last tuesday")
    Traceback (most recent call last):
    ...
    activity_analytics._errors.InputError: since 'last tuesday': use a date (2026-11-20, UTC midnight), a time (2026-11-20T08:30, UTC unless it ends in Z or an offset) or a duration before now (90m, 36h, 7d, 2w)
    """
    if value is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    if isinstance(value, dt.timedelta):
        if value <= dt.timedelta(0):
            raise InputError(f"{name}: a duration before now must be positive, not {value}")
        return now - value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if not isinstance(value, str):
        raise InputError(f"{name} {value!r}: use {FORMS}")
    text = value.strip()
    if match := _DURATION.match(text):
        if int(match.group(1)) == 0:
            raise InputError(f"{name} {value!r}: a duration before now must be positive")
        return now - dt.timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})
    try:
        if _DATE.match(text):
            return parse_when(name, dt.date.fromisoformat(text))
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(f"{name} {value!r}: use {FORMS}") from None
    return parse_when(name, parsed)


def parse_ts(value: object) -> dt.datetime | None:
    """A stored timestamp as an aware datetime (naive means UTC), or None when it
    is not one: ISO-8601 text (``Z`` or an offset, or none) or a datetime."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
