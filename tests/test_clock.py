"""API timestamps: UTC, milliseconds, a Z."""

from __future__ import annotations

import datetime as dt

from shopify_app.clock import isoformat_z


def test_a_timestamp_is_written_in_utc_with_milliseconds_and_a_z() -> None:
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert isoformat_z(dt.datetime(2024, 3, 1, 5, 30, 7, 123_999, tzinfo=india)) == "2024-03-01T00:00:07.123Z"
    assert isoformat_z(dt.datetime(2024, 3, 1, tzinfo=dt.UTC)) == "2024-03-01T00:00:00.000Z"
    assert isoformat_z(None) is None
