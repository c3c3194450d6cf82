"""Shopify's ids and times as webhooks and the GraphQL Admin API give them."""

from __future__ import annotations

import datetime as dt
from typing import Any


def shopify_id(value: Any) -> str:
    """A Shopify id from a webhook (integer) or GraphQL (``gid://shopify/Customer/1``) as digits."""
    text = str(value).rsplit("/", 1)[-1]
    if not text.isdigit():
        raise ValueError(f"not a Shopify id: {value!r}")
    return text


def parse_time(value: Any) -> dt.datetime | None:
    """Shopify's ISO 8601 timestamps (with an offset or a Z) as aware datetimes."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
