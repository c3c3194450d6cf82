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
    # isoformat truncates to milliseconds as the API does, and ends "+00:00" in UTC.
    return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"
