"""The one source of "now", in UTC, with the millisecond precision the API shows."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    now = dt.datetime.now(dt.timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def isoformat_z(value: dt.datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and a Z, as every API timestamp is written."""
    if value is None:
        return None
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
