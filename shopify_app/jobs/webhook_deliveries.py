"""Recording webhook deliveries: each ``X-Shopify-Webhook-Id`` once, enforced by the database;
refused deliveries kept, without their payload, for the operator to see."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopify_app.clock import utcnow
from shopify_app.ids import new_id
from shopify_app.models import WebhookDelivery
from shopify_app.upserts import insert_new

REFUSED_LISTED = 200

logger = logging.getLogger(__name__)


class Headers(Protocol):
    """A request's headers as the recording reads them: Werkzeug's, or a dict."""

    def get(self, key: str, default: str, /) -> str: ...


def record_delivery(session: Session, *, shop: str, topic: str, webhook_id: str, payload: dict[str, Any] | None,
                    headers: Headers, refused_reason: str | None = None) -> str | None:
    """The new delivery's id, or None when this webhook id was recorded already (a repeat).

    A refused delivery is recorded as done, with its reason and no payload."""
    now = utcnow()
    delivery = insert_new(session, WebhookDelivery, dict(
        id=new_id("whd"), webhook_id=webhook_id[:255], shop_domain=shop, topic=topic,
        api_version=_header(headers, "X-Shopify-API-Version", 16),
        event_id=_header(headers, "X-Shopify-Event-Id", 255),
        triggered_at=_header(headers, "X-Shopify-Triggered-At", 64),
        payload=None if refused_reason else payload, received_at=now, attempts=0,
        processed_at=now if refused_reason else None, refused_reason=refused_reason,
    ), ["webhook_id", "shop_domain"])
    if delivery is None:
        return None
    if refused_reason:
        _warn_refused(delivery)
    return delivery.id


def _header(headers: Headers, name: str, limit: int) -> str | None:
    """A header worth keeping: printable ASCII (anything else cannot come from Shopify), truncated."""
    value = headers.get(name, "").strip()
    return value[:limit] if value and value.isascii() and value.isprintable() else None


def refuse(delivery: WebhookDelivery, reason: str) -> None:
    """A recorded delivery found to contradict the shop we hold: done, never applied, payload gone."""
    delivery.refused_reason = reason
    delivery.payload = None
    delivery.processed_at = utcnow()
    _warn_refused(delivery)


def _warn_refused(delivery: WebhookDelivery) -> None:
    logger.warning("webhook %s (%s for %s) refused: %s", delivery.webhook_id, delivery.topic, delivery.shop_domain,
                   delivery.refused_reason)


def refused_deliveries(session: Session, shop_domain: str | None = None) -> list[WebhookDelivery]:
    """The latest refused deliveries, newest first, of one shop or of all."""
    query = select(WebhookDelivery).where(WebhookDelivery.refused_reason.is_not(None))
    if shop_domain:
        query = query.where(WebhookDelivery.shop_domain == shop_domain.strip().lower())
    return list(session.scalars(query.order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id.desc())
                                .limit(REFUSED_LISTED)))
