"""Timestamps as provgraph stores them: integer microseconds since the Unix epoch, UTC.

Integers compare the same way in SQLite and in Neo4j, so ``as_of`` means the same on both.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from provgraph.errors import ConfigurationError

#: "Still valid": the superseded_at of a current version.
FOREVER = 2**63 - 1
#: The as_of used when none is given: later than anything recorded.
NOW = 2**62


def now_us() -> int:
    """The current time in microseconds since the epoch."""
    return time.time_ns() // 1000


def to_us(value: datetime | str | None) -> int:
    """Turn an ``as_of`` (aware or naive-UTC datetime, ISO-8601 string, or None) into µs.

    >>> to_us("1970-01-01T00:00:01Z")
    1000000
    """
    if value is None:
        return NOW
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError as e:
            raise ConfigurationError(f"as_of: not an ISO-8601 timestamp: {value!r}") from e
    if not isinstance(value, datetime):
        raise ConfigurationError(f"as_of: expected a datetime or ISO-8601 string, got {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_iso(us: int) -> str:
    """Format µs since the epoch as ISO-8601 UTC.

    >>> to_iso(1000000)
    '1970-01-01T00:00:01.000000Z'
    """
    stamp = datetime.fromtimestamp(us // 1_000_000, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + f".{us % 1_000_000:06d}Z"
