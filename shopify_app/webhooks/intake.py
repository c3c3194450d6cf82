"""What the intake decides without the database: the body is a JSON object of its topic's shape,
it names the header's shop, and it was triggered within Shopify's retry window.

Shopify signs the body only: the topic, shop and trigger time headers are not signed, so a body
signed once for this app could otherwise be resent as any topic, for any shop, at any time."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shopify_app.errors import BadRequest
from shopify_app.shopify.payloads import parse_time
from shopify_app.shopify.webhook_payloads import PayloadRefused, parse_payload

# Shopify retries a delivery for 4 hours and may be up to a day late; older is a replay.
STALE_AFTER = dt.timedelta(hours=48)


@dataclass(frozen=True)
class Checked:
    """A delivery to record: its validated payload, or why it is refused."""

    payload: dict[str, Any] | None
    refused_reason: str | None = None


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; 400 for anything else (NaN and Infinity are not JSON, and a deeply
    nested body is refused rather than followed down). Fractions come as Decimal, so 1e309 stays a
    number for the models to bound instead of becoming infinity."""
    try:
        payload = json.loads(body, parse_float=Decimal, parse_constant=_not_json)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise BadRequest("The webhook body is not a JSON object")
    return payload


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def check(topic: str, shop: str, payload: dict[str, Any], triggered_at: str | None, now: dt.datetime) -> Checked:
    """The delivery as it may be recorded: refused when stale, of another shape, or of another shop."""
    try:
        triggered = parse_time(triggered_at)
    except ValueError:
        triggered = None
    if triggered is None:
        return Checked(None, "X-Shopify-Triggered-At is missing or not an ISO 8601 time")
    if now - triggered > STALE_AFTER:
        return Checked(None, f"triggered at {triggered_at}, more than 48 hours ago")
    try:
        parsed = parse_payload(topic, payload)
    except PayloadRefused as refused:
        return Checked(None, str(refused))
    identity = parsed.shop_identity()
    if identity is not None and identity[0] != shop:
        return Checked(None, f"the payload names the shop {identity[0]}, the header {shop}")
    return Checked(parsed.model_dump(mode="json"))
