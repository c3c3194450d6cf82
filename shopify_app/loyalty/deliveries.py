"""Recording webhook deliveries: each ``X-Shopify-Webhook-Id`` once, enforced by the database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.ids import new_id
from shopify_app.loyalty.upserts import insert_new
from shopify_app.models import WebhookDelivery


def record_delivery(session: Session, *, shop: str, topic: str, webhook_id: str, payload: dict[str, Any],
                    headers: Mapping[str, str]) -> str | None:
    """The new delivery's id, or None when this webhook id was recorded already (a repeat)."""
    delivery = insert_new(session, WebhookDelivery, dict(
        id=new_id("whd"), webhook_id=webhook_id[:255], shop_domain=shop, topic=topic,
        api_version=headers.get("X-Shopify-API-Version", "")[:16] or None,
        event_id=headers.get("X-Shopify-Event-Id", "")[:255] or None,
        triggered_at=headers.get("X-Shopify-Triggered-At", "")[:64] or None, payload=payload, received_at=utcnow(),
        attempts=0,
    ), ["webhook_id"])
    return delivery.id if delivery else None
